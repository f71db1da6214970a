/* ISC license. */
/* libFuzzer target: dcr-tcpd's access rules file parser (src/tcp/rules.c).
   Besides not crashing: a failed parse names a line within the text and
   leaves the old rules untouched; a good one matches addresses, and a
   rule found for an address really covers it. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/ip46.h>

#include "../../src/tcp/rules.h"

static void probe (rules const *r, char const *ip, size_t len, int is6)
{
  ip46full a ;
  rule const *x ;
  memset(&a, 0, sizeof(a)) ;
  memcpy(a.ip, ip, len) ;
  a.is6 = is6 ;
  x = rules_match(r, &a) ;
  if (x && !dcr_cidr_match(&x->net, &a)) abort() ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  rules r = RULES_ZERO ;
  rules_error err ;
  char *copy = malloc(size ? size : 1) ;   /* exact size: ASan sees any overread */
  size_t lines = 1 ;
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  for (size_t i = 0 ; i < size ; i++) if (copy[i] == '\n') lines++ ;
  if (!rules_parse(&r, copy, size, &err))
  {
    if (!err.why || err.line > lines) abort() ;
    if (rules_count(&r)) abort() ;   /* untouched: still empty */
  }
  else
  {
    probe(&r, "\x7f\0\0\x01", 4, 0) ;
    probe(&r, "\xc0\x00\x02\x01", 4, 0) ;
    probe(&r, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16, 1) ;
    probe(&r, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16, 1) ;
    if (size >= 16) probe(&r, copy, 16, 1) ;
    if (size >= 4) probe(&r, copy, 4, 0) ;
  }
  rules_free(&r) ;
  free(copy) ;
  return 0 ;
}
