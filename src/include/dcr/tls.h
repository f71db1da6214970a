/* ISC license. */
#ifndef DCR_TLS_H
#define DCR_TLS_H

/* What dcr-tlsd and dcr-remote share on top of BearSSL: the one TLS
   profile (TLS 1.2 only, ECDHE with AES-GCM or ChaCha20-Poly1305, no
   renegotiation; BearSSL has no TLS 1.3 and no compression), PEM files
   of certificates and keys, and trust anchors for verification. */

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>
#include <skalibs/stralloc.h>

/* A certificate chain and its private key, as read from PEM files. */
typedef struct dcr_tlscert_s dcr_tlscert ;
struct dcr_tlscert_s
{
  stralloc der ;                  /* the certificates, end to end */
  br_x509_certificate chain[8] ;  /* pointers into der, leaf first */
  size_t chainlen ;
  int keytype ;                   /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
  br_skey_decoder_context key ;   /* holds the key itself */
} ;
#define DCR_TLSCERT_ZERO { .der = STRALLOC_ZERO, .chainlen = 0, .keytype = 0 }

/* Read CERTFILE (the chain, leaf first) and KEYFILE (may be the same
   file, holding both). 1 on success; 0 with errno set for a system error
   (ENOENT...), or with *why set to what is wrong in the files. */
extern int dcr_tlscert_load (dcr_tlscert *, char const *certfile, char const *keyfile, char const **why) ;
extern void dcr_tlscert_free (dcr_tlscert *) ;
/* 1 if the private key is that of the leaf certificate (RSA modulus, EC
   point). It costs a scalar multiplication: dcr-tlsd asks only after a
   failed handshake, to say why in its log. */
extern int dcr_tlscert_keymatch (dcr_tlscert const *) ;

/* n = p q of an RSA private key, big-endian, without leading zeros,
   into n (max octets): its length, 0 if it does not fit. BearSSL 0.6's
   br_rsa_compute_modulus gives 0 for 4096-bit keys. */
#define DCR_RSA_BITS_MAX 4096
extern size_t dcr_rsa_modulus (unsigned char *n, size_t max, br_rsa_private_key const *sk) ;

/* Every PEM object of FILE: cb(name, der, len, arg) for each; cb returns
   0 to stop with an error. 1 on success, 0 on error (errno, or *why). */
typedef int dcr_pem_cb (char const *, unsigned char const *, size_t, void *) ;
extern int dcr_pem_read (char const *file, dcr_pem_cb *, void *, char const **why) ;

/* Trust anchors from a PEM bundle of CA certificates. */
typedef struct dcr_anchors_s dcr_anchors ;
struct dcr_anchors_s
{
  stralloc data ;              /* DNs and keys */
  br_x509_trust_anchor *ta ;
  size_t n ;
} ;
#define DCR_ANCHORS_ZERO { .data = STRALLOC_ZERO, .ta = 0, .n = 0 }
extern int dcr_anchors_load (dcr_anchors *, char const *file, char const **why) ;

/* The profile, on a server or client context; the caller sets the
   buffer, the policy (server) or X.509 engine (client), then resets. */
extern void dcr_tls_profile_server (br_ssl_server_context *) ;
extern void dcr_tls_profile_client (br_ssl_client_context *) ;

/* "ECDHE-RSA-AES128-GCM-SHA256" (OpenSSL's names, as Postfix logs
   them) for a suite of the profile; "unknown" otherwise. */
extern char const *dcr_tls_suite_name (uint16_t) ;

/* "TLSv1.2" and the like */
extern char const *dcr_tls_version_name (unsigned int) ;

/* A short reason for a BearSSL error code, for logs and replies. */
extern char const *dcr_tls_error (int) ;

#endif
