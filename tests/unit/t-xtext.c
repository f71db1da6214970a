/* ISC license. */
/* t-xtext: xtext (RFC 3461 4) decoding, strict, and encoding. */

#include <string.h>

#include <dcr/xtext.h>
#include "tap.h"

static char out[600] ;

static long dec (char const *s, size_t max) { return dcr_xtext_decode(s, strlen(s), out, max) ; }

int main (void)
{
  long n ;
  unsigned int i ;
  char all[256], enc[800], back[256] ;

  n = dec("abc", sizeof(out)) ;
  ok(n == 3 && !memcmp(out, "abc", 3), "plain") ;
  n = dec("a+2Bb", sizeof(out)) ;
  ok(n == 3 && !memcmp(out, "a+b", 3), "+2B is +") ;
  n = dec("+3D", sizeof(out)) ;
  ok(n == 1 && out[0] == '=', "+3D is =") ;
  n = dec("+00", sizeof(out)) ;
  ok(n == 1 && out[0] == 0, "+00 decodes (callers refuse controls)") ;
  ok(dec("", sizeof(out)) == 0, "empty") ;
  ok(dec("a+2b", sizeof(out)) < 0, "lowercase hex refused") ;
  ok(dec("a+2", sizeof(out)) < 0, "truncated escape") ;
  ok(dec("a+", sizeof(out)) < 0, "lone +") ;
  ok(dec("a+GG", sizeof(out)) < 0, "not hex") ;
  ok(dec("a=b", sizeof(out)) < 0, "= refused") ;
  ok(dec("a b", sizeof(out)) < 0, "space refused") ;
  ok(dec("a\tb", sizeof(out)) < 0, "tab refused") ;
  ok(dec("a\xc3\xa9", sizeof(out)) < 0, "8-bit refused") ;
  ok(dec("abcd", 3) < 0, "does not fit") ;
  ok(dec("abc", 3) == 3, "fits exactly") ;
  ok(dcr_xtext_valid("a+2Bb", 5) && !dcr_xtext_valid("a+2b", 4) && !dcr_xtext_valid("a=", 2), "valid()") ;

  for (i = 0 ; i < 256 ; i++) all[i] = (char)i ;
  n = dcr_xtext_encode(all, 256, enc, sizeof(enc)) ;
  ok(n > 0 && dcr_xtext_valid(enc, n), "encoding of every octet is valid xtext") ;
  ok(dcr_xtext_decode(enc, n, back, sizeof(back)) == 256 && !memcmp(back, all, 256), "and decodes back") ;
  ok(dcr_xtext_encode("a+b", 3, enc, 4) < 0, "encode: does not fit") ;
  return done_testing() ;
}
