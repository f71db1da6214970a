/* ISC license. */
/* libFuzzer target: the routes file (src/lib/routes.c). Besides not
   crashing: a broken file leaves an empty table; in a good one every
   exact pattern matches its own rule set (a sender= rule, for a sender
   it names), and matching any domain and
   sender out of the input stays in bounds. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/strerr.h>

#include <dcr/routes.h>

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  dcr_routes r = DCR_ROUTES_ZERO ;
  char *copy = malloc(size ? size : 1) ;
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  PROG = "fuzz-routes" ;
  if (!dcr_routes_parse(&r, copy, size))
  {
    if (dcr_routes_n(&r) || !r.error) abort() ;
  }
  else for (size_t i = 0 ; i < dcr_routes_n(&r) ; i++)
  {
    dcr_route const *rt = dcr_routes_get(&r, i), *m ;
    if (!rt->ntargets || rt->ntargets > DCR_ROUTES_MAXTARGETS) abort() ;
    if (rt->key[0] != '=') continue ;
    /* a sender= rule is matched only by a sender it names */
    if (rt->sender && !dcr_routes_sendermatch(rt->sender, "x@y.test")) continue ;
    m = dcr_routes_match(&r, rt->key + 1, strlen(rt->key + 1), rt->sender ? "x@y.test" : "") ;
    if (!m || strcmp(m->key, rt->key)) abort() ;
    if (!dcr_routes_local(&r, rt->key + 1, strlen(rt->key + 1))) abort() ;
  }
  {
    size_t half = size / 2 ;
    char *sender = malloc(size - half + 1) ;
    if (sender)
    {
      memcpy(sender, copy + half, size - half) ; sender[size - half] = 0 ;
      dcr_routes_match(&r, copy, half > 300 ? 300 : half, sender) ;
      free(sender) ;
    }
  }
  dcr_routes_free(&r) ;
  free(copy) ;
  return 0 ;
}
