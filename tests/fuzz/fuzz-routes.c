/* ISC license. */
/* libFuzzer target: the routes file as dcr-smtpd reads it for relay
   control (src/smtpd/relay.c). Besides not crashing: a broken file
   leaves no domain local, and in a good one every exact pattern it
   names is local. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/strerr.h>

#include "../../src/smtpd/relay.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  relay_table r = RELAY_TABLE_ZERO ;
  char *copy = malloc(size ? size : 1) ;
  int ok ;
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  PROG = "fuzz-routes" ;
  ok = relay_parse(&r, copy, size, "fuzz") ;
  if (!ok && (r.nexact || r.nwild)) abort() ;
  for (size_t i = 0 ; i < r.nexact ; i++)
    if (!relay_local(&r, r.exact[i], strlen(r.exact[i]))) abort() ;
  relay_local(&r, copy, size > 255 ? 255 : size) ;
  free(r.exact) ;
  stralloc_free(&r.names) ;
  free(copy) ;
  return 0 ;
}
