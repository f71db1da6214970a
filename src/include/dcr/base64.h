/* ISC license. */
#ifndef DCR_BASE64_H
#define DCR_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* RFC 4648 base64, as SASL (RFC 4954) and MIME use it. */

/* encode n octets of s into d (room for 4*((n+2)/3) octets); returns
   the length written, no NUL */
extern size_t dcr_base64_encode (char *d, char const *s, size_t n) ;

/* strict decode of n octets of s into d (room for 3*(n/4)): only the
   64 characters, '=' only at the end, length a multiple of 4. Returns
   the decoded length, or -1 if s is not base64. */
extern ssize_t dcr_base64_decode (char *d, char const *s, size_t n) ;

#endif
