/* ISC license. */
#ifndef DKIM_CANON_H
#define DKIM_CANON_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>
#include <skalibs/stralloc.h>

/* DKIM canonicalization (RFC 6376 3.4) of a message in internal form
   (contract 3). The signature is over the wire form, which is what
   dcr-remote sends: every LF becomes CRLF, a CR just before an LF is
   part of that line end (not doubled), a lone CR stays as it is, and a
   last line without LF gets one. Canonicalizing "as if on the wire"
   makes the signature verify after the relay. */

/* The body, streamed: the hash is the same however the input is split
   into chunks (fuzz-dkim checks it). Empty lines at the end are held
   back as a count, so memory is constant. */
typedef struct dkim_body_s dkim_body ;
struct dkim_body_s
{
  br_sha256_context sha ;
  uint64_t length ;      /* canonical octets hashed */
  size_t blank ;         /* empty lines held back */
  unsigned int relaxed : 1 ;
  unsigned int cr : 1 ;  /* a CR seen: a line end if an LF follows */
  unsigned int sp : 1 ;  /* relaxed: blanks seen since the last octet */
  unsigned int mid : 1 ; /* the line has content */
  size_t olen ;
  unsigned char out[4096] ;
} ;

extern void dkim_body_init (dkim_body *, int relaxed) ;
extern void dkim_body_update (dkim_body *, char const *, size_t) ;
extern void dkim_body_final (dkim_body *, unsigned char *hash) ;   /* 32 octets */

/* One header field (its text as in the section, name to last LF, the
   LF optional) in canonical form, appended to sa: "name:value" CRLF
   for relaxed, the field with CRLF line ends for simple. With noend,
   no CRLF at the end (the DKIM-Signature field itself, RFC 6376 3.7).
   1, or 0 if out of memory. */
extern int dkim_header_canon (stralloc *sa, char const *s, size_t len, size_t namelen, int relaxed, int noend) ;

#endif
