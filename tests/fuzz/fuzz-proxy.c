/* ISC license. */
/* libFuzzer target: the PROXY protocol header parser (src/tcp/proxy.c).
   Checks the contract of dcr_proxy_parse besides not crashing: a
   result is never longer than the input nor than the limits, and a
   buffer that asks for more is never a header when cut shorter. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dcr/proxy.h>

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  dcr_proxy p ;
  char const *why ;
  char *copy = malloc(size ? size : 1) ;   /* exact size: ASan sees any overread */
  ssize_t r ;
  if (!copy) return 0 ;
  memcpy(copy, data, size) ;
  r = dcr_proxy_parse(copy, size, &p, &why) ;
  if (r > (ssize_t)size || r > DCR_PROXY_MAX) abort() ;
  if (r > 0 && p.version == 1 && r > DCR_PROXY_V1_MAX) abort() ;
  if (r < 0 && (!why || !*why)) abort() ;
  if (r > 0)
  {
    /* the same header cut short must ask for more */
    if (dcr_proxy_parse(copy, (size_t)r - 1, &p, &why) != 0) abort() ;
  }
  free(copy) ;
  return 0 ;
}
