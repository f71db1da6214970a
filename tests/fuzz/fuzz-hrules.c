/* ISC license. */
/* libFuzzer target: dcr-header's rules parser (src/header/hrules.c),
   the conditions (src/lib/cond.c) and the From: domain. The input is a
   rules text, then optionally "\0\0" and a header section. Besides not
   crashing: every rule it keeps has a field name of printable ASCII
   without ':', conditions within bounds, and the From: domain it finds
   is lowercase without blanks; every condition evaluates. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/cond.h>

#include "../../src/header/hrules.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data, *hdr = 0 ;
  size_t rlen = size, hlen = 0 ;
  hrules h = HRULES_ZERO ;
  stralloc dom = STRALLOC_ZERO ;
  unsigned int line ;
  char const *why = 0 ;
  dcr_cond_msg m = { .sender = "a@b.example", .rcpts = "x@y.example\nz@EXAMPLE.com\n\n@", .ip = "192.0.2.1", .authuser = "u", .from_domain = 0 } ;
  for (size_t i = 0 ; i + 1 < size ; i++)
    if (!s[i] && !s[i + 1]) { rlen = i ; hdr = s + i + 2 ; hlen = size - i - 2 ; break ; }
  int r = hrules_parse(&h, s, rlen, &line, &why) ;
  if (r == 0 && (!why || !line)) abort() ;
  if (hdr)
  {
    int d = dcr_from_domain(hdr, hlen, &dom) ;
    if (d < 0) abort() ;
    if (d)
    {
      if (!dom.len || dom.s[dom.len - 1] || strlen(dom.s) != dom.len - 1) abort() ;
      for (size_t i = 0 ; dom.s[i] ; i++)
        if ((dom.s[i] >= 'A' && dom.s[i] <= 'Z') || dom.s[i] == ' ' || dom.s[i] == '\t') abort() ;
      m.from_domain = dom.s ;
    }
  }
  for (size_t i = 0 ; i < genalloc_len(hrule, &h.rules) ; i++)
  {
    hrule const *x = genalloc_s(hrule, &h.rules) + i ;
    if (x->cond0 + x->ncond > genalloc_len(dcr_cond, &h.conds)) abort() ;
    if (!x->namelen || x->name + x->namelen > h.text.len) abort() ;
    for (size_t k = 0 ; k < x->namelen ; k++)
    {
      unsigned char c = h.text.s[x->name + k] ;
      if (c <= 32 || c >= 127 || c == ':') abort() ;
    }
  }
  for (size_t i = 0 ; i < genalloc_len(dcr_cond, &h.conds) ; i++)
  {
    dcr_cond const *c = genalloc_s(dcr_cond, &h.conds) + i ;
    if (c->pats >= h.pats.len) abort() ;
    (void)dcr_cond_match(c, h.pats.s, &m) ;
  }
  hrules_free(&h) ;
  stralloc_free(&dom) ;
  return 0 ;
}
