/* ISC license. */
#ifndef DKIM_KEY_H
#define DKIM_KEY_H

#include <stddef.h>

#include <bearssl.h>

#define DKIM_BITS_MIN 1024
#define DKIM_BITS_MAX 4096

/* An RSA private key from a PEM file ("RSA PRIVATE KEY", PKCS#1, or
   "PRIVATE KEY", PKCS#8). The decoder holds the key's numbers. */
typedef struct dkim_key_s dkim_key ;
struct dkim_key_s
{
  br_skey_decoder_context dc ;
  br_rsa_private_key const *sk ;
  unsigned int bits ;
} ;

/* 1: loaded. 0: not, and *why says why (a text), or *why is 0 and
   errno is set (the file could not be read). The file must be readable
   by its owner only (mode & 077 is 0): it holds the private key. */
extern int dkim_key_load (dkim_key *k, char const *file, char const **why) ;

/* The fast path of dkim_key_load, for tests: PEM text of one object in
   OpenSSL's layout. 1: an RSA key (of any size); 0: not a usable key,
   *why says why; -1: not that layout (dkim_key_load then hands the
   file to BearSSL's PEM decoder). */
extern int dkim_key_text (dkim_key *k, char const *text, size_t len, char const **why) ;

extern void dkim_key_wipe (dkim_key *k) ;

/* The public key as a DER SubjectPublicKeyInfo (what the p= tag of the
   DNS record holds, RFC 6376 3.6.1), into der (room for max octets):
   the length, or 0 if the key's public exponent cannot be found. */
extern size_t dkim_key_spki (dkim_key const *k, unsigned char *der, size_t max) ;

/* the same from n and e */
extern size_t dkim_spki (unsigned char *der, size_t max, unsigned char const *n, size_t nlen, unsigned char const *e, size_t elen) ;

#endif
