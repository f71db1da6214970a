/* ISC license. */
/* libFuzzer target: the queue envelope reader (src/lib/envelope.c),
   which the runner will use on files of its queue. Besides not
   crashing: what it accepts, the writer writes back, and that text
   reads again to the same text (parse -> fmt is a fixed point). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include <dcr/queue.h>

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO, f = DCR_ENVELOPE_ZERO ;
  stralloc a = STRALLOC_ZERO, b = STRALLOC_ZERO ;
  char *copy = malloc(size ? size : 1) ;
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  if (dcr_envelope_parse(&e, copy, size) && dcr_envelope_fmt(&a, &e))
  {
    char *again = malloc(a.len ? a.len : 1) ;
    if (!again) abort() ;
    memcpy(again, a.s, a.len) ;
    if (!dcr_envelope_parse(&f, again, a.len)) abort() ;
    if (!dcr_envelope_fmt(&b, &f)) abort() ;
    if (a.len != b.len || memcmp(a.s, b.s, a.len)) abort() ;
    dcr_envelope_free(&f) ;
    free(again) ;
  }
  dcr_envelope_free(&e) ;
  stralloc_free(&a) ;
  stralloc_free(&b) ;
  free(copy) ;
  return 0 ;
}
