/* ISC license. */
/* libFuzzer target: dcr-rewrite's parsers (src/rewrite). The input is
   a map file, a NUL, then a field value. Besides not crashing: every
   rule is within the text; the spans of the address list are in order,
   within bounds, without overlap, each holds an @; and replacing every
   span by a plain address gives a list that parses again with as many
   addresses, where the bytes between them are unchanged. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "../../src/rewrite/rewrite.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  char const *nul = memchr(s, 0, size) ;
  size_t maplen = nul ? (size_t)(nul - s) : size ;
  char const *v = nul ? nul + 1 : s ;
  size_t n = nul ? size - maplen - 1 : size ;
  rw_map m = RW_MAP_ZERO ;
  genalloc g = GENALLOC_ZERO, g2 = GENALLOC_ZERO ;
  stralloc out = STRALLOC_ZERO ;
  unsigned int line ;
  char const *why ;
  int r ;

  if (rw_map_parse(&m, s, maplen, &line, &why) == 1)
  {
    rw_rule const *x = genalloc_s(rw_rule, &m.rules) ;
    for (size_t i = 0 ; i < genalloc_len(rw_rule, &m.rules) ; i++)
      if (x[i].domain + x[i].domainlen > maplen || x[i].rdomain + x[i].rdomainlen > maplen || !x[i].scope) abort() ;
  }

  r = rw_addrlist(v, n, &g) ;
  if (r < 0) abort() ;
  if (r)
  {
    rw_span const *sp = genalloc_s(rw_span, &g) ;
    size_t k = genalloc_len(rw_span, &g), done = 0 ;
    for (size_t i = 0 ; i < k ; i++)
    {
      if (sp[i].off < done || sp[i].off + sp[i].len > n || !memchr(v + sp[i].off, '@', sp[i].len)) abort() ;
      if (!stralloc_catb(&out, v + done, sp[i].off - done) || !stralloc_cats(&out, "x@y.test")) abort() ;
      done = sp[i].off + sp[i].len ;
    }
    if (!stralloc_catb(&out, v + done, n - done)) abort() ;
    if (rw_addrlist(out.s ? out.s : "", out.len, &g2) != 1 || genalloc_len(rw_span, &g2) != k) abort() ;
    {
      /* and the map on each address does not crash */
      stralloc a = STRALLOC_ZERO ;
      for (size_t i = 0 ; i < k ; i++) if (rw_map_apply(&m, RW_ALL, v + sp[i].off, sp[i].len, &a) < 0) abort() ;
      stralloc_free(&a) ;
    }
  }
  stralloc_free(&out) ;
  genalloc_free(rw_span, &g) ;
  genalloc_free(rw_span, &g2) ;
  rw_map_free(&m) ;
  return 0 ;
}
