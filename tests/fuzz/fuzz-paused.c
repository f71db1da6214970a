/* ISC license. */
/* libFuzzer target: dcr-qctl's reader of QUEUEDIR/paused
   (src/qctl/paused.c), a file the runner writes and an administrator
   may edit by hand. Besides not crashing: every entry kept is "*" or a
   valid lower-case domain, none twice; what it keeps, written back,
   reads again to the same list with no bad line (parse -> fmt is a
   fixed point). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../src/qctl/qctl.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  stralloc list = STRALLOC_ZERO, text = STRALLOC_ZERO, again = STRALLOC_ZERO ;
  size_t pos = 0 ;
  int bad = qctl_paused_parse(&list, (char const *)data, size) ;
  if (bad < 0) return 0 ;
  while (pos < list.len)
  {
    char const *x = list.s + pos ;
    size_t n = strlen(x), i = 0 ;
    if (strcmp(x, "*") && !qctl_domain_ok(x)) abort() ;
    for (; i < n ; i++) if (x[i] >= 'A' && x[i] <= 'Z') abort() ;
    pos += n + 1 ;
    {
      /* no duplicate: the entry is not found again after itself */
      size_t p2 = pos ;
      while (p2 < list.len)
      {
        if (!strcmp(list.s + p2, x)) abort() ;
        p2 += strlen(list.s + p2) + 1 ;
      }
    }
  }
  if (!qctl_paused_fmt(&text, &list)) abort() ;
  if (qctl_paused_parse(&again, text.s, text.len) != 0) abort() ;
  if (again.len != list.len || memcmp(again.s, list.s, list.len)) abort() ;
  stralloc_free(&list) ;
  stralloc_free(&text) ;
  stralloc_free(&again) ;
  return 0 ;
}
