/* ISC license. */
/* libFuzzer target: dcr-sniproxy's HTTP Host reader (src/sni/httphost.c).
   Besides not crashing: a name returned is a valid lowercase host name,
   HELLO_NEED only under the bound, and feeding the bytes in pieces (the
   resume offset kept between calls, as the proxy does) decides exactly
   as one call over all of them. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/sni/httphost.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char name[HELLO_NAMEMAX], pname[HELLO_NAMEMAX] ;
  char const *why = 0, *pwhy = 0, *buf = (char const *)data ;
  enum hello_result r, pr = HELLO_NEED ;
  size_t scan = 0, cut, step ;
  if (size > HTTP_MAX) size = HTTP_MAX ;
  r = http_host(buf, size, &scan, name, &why) ;
  if (r == HELLO_NAME)
  {
    char copy[HELLO_NAMEMAX] ;
    size_t n = strlen(name) ;
    memcpy(copy, name, n + 1) ;
    if (!hello_name_ok(copy, n) || memcmp(copy, name, n)) abort() ;
  }
  if (r == HELLO_BAD && (!why || !*why)) abort() ;
  if (r == HELLO_NEED && size >= HTTP_MAX) abort() ;
  scan = 0 ;
  step = size <= 256 ? 1 : size / 32 ;
  for (cut = 1 ; cut <= size ; cut += step)
  {
    pr = http_host(buf, cut, &scan, pname, &pwhy) ;
    if (scan > cut) abort() ;
    if (pr != HELLO_NEED) break ;
  }
  if (pr == HELLO_NEED && cut - step != size) pr = http_host(buf, size, &scan, pname, &pwhy) ;
  if (pr != r) abort() ;
  if (r == HELLO_NAME && strcmp(name, pname)) abort() ;
  return 0 ;
}
