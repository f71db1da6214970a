/* ISC license. */
/* libFuzzer target: dcr-sniproxy's ClientHello reader (src/sni/hello.c).
   Besides not crashing: a name returned is a valid lowercase host name;
   HELLO_NEED only while under the bound; and the answer is the same
   however the bytes arrive: once a prefix gives an answer other than
   HELLO_NEED, every longer input gives the same answer (so feeding a
   ClientHello one byte at a time, or in any split, decides the same). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/sni/hello.h"

static void check_name (char const *name)
{
  char copy[HELLO_NAMEMAX] ;
  size_t n = strlen(name) ;
  if (!n || n > 253) abort() ;
  memcpy(copy, name, n + 1) ;
  if (!hello_name_ok(copy, n) || memcmp(copy, name, n)) abort() ;   /* already lowercase */
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char name[HELLO_NAMEMAX], pname[HELLO_NAMEMAX] ;
  char const *why = 0, *pwhy = 0 ;
  enum hello_result r, pr ;
  size_t cut, step ;
  if (size > HELLO_MAX) size = HELLO_MAX ;
  r = hello_parse(data, size, name, &why) ;
  if (r == HELLO_NAME) check_name(name) ;
  if (r == HELLO_BAD && (!why || !*why)) abort() ;
  if (r == HELLO_NEED && size >= HELLO_MAX) abort() ;
  step = size <= 512 ? 1 : size / 16 ;
  for (cut = 0 ; cut < size ; cut += step)
  {
    pr = hello_parse(data, cut, pname, &pwhy) ;
    if (pr == HELLO_NEED) continue ;
    if (pr != r) abort() ;
    if (pr == HELLO_NAME && strcmp(pname, name)) abort() ;
    if (pr == HELLO_BAD && strcmp(pwhy, why)) abort() ;
  }
  return 0 ;
}
