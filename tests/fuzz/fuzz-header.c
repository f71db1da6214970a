/* ISC license. */
/* libFuzzer target: the header section parser (src/lib/header.c).
   Besides not crashing: the fields it finds tile the input from the
   start without gaps or overlap, each within bounds, each with a name
   and a colon where it says, and the walk ends. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include <dcr/header.h>

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  size_t pos = 0, last = 0 ;
  dcr_field f ;
  stralloc sa = STRALLOC_ZERO ;
  while (dcr_header_next(s, size, &pos, &f))
  {
    if (f.off != last || !f.len || f.off + f.len > size || pos != f.off + f.len) abort() ;
    if (!f.namelen || f.value > f.off + f.len || s[f.value - 1] != ':') abort() ;
    if (f.value + f.valuelen > f.off + f.len) abort() ;
    if (memchr(s + f.off, ':', f.namelen)) abort() ;
    sa.len = 0 ;
    if (!dcr_header_unfold(s, &f, &sa)) abort() ;
    if (sa.len > f.valuelen || memchr(sa.s, '\n', sa.len)) abort() ;
    (void)dcr_header_is(s, &f, "From") ;
    last = pos ;
  }
  if (pos != last || pos > size) abort() ;
  stralloc_free(&sa) ;
  return 0 ;
}
