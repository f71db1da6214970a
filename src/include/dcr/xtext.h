/* ISC license. */
#ifndef DCR_XTEXT_H
#define DCR_XTEXT_H

#include <stddef.h>

/* xtext (RFC 3461 section 4): printable US-ASCII "!" to "~" except "+"
   and "=" stand for themselves; any octet may be written "+HH" with two
   UPPERCASE hex digits. Decoding is strict: anything else is an error.

   dcr_xtext_decode writes at most max octets to out (no NUL added) and
   returns the decoded length, or -1 on bad xtext or when it would not
   fit. dcr_xtext_encode writes the xtext form of s (up to 3*len octets)
   and returns its length, or -1 when it would not fit in max.
   dcr_xtext_valid: 1 if s is well-formed xtext. */

extern long dcr_xtext_decode (char const *s, size_t len, char *out, size_t max) ;
extern long dcr_xtext_encode (char const *s, size_t len, char *out, size_t max) ;
extern int dcr_xtext_valid (char const *s, size_t len) ;

#endif
