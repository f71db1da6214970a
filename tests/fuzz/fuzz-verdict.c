/* ISC license. */
/* libFuzzer target: the agent verdict line (src/lib/verdict.c). Besides
   not crashing: what it accepts has the shape doc/agents.md gives. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dcr/verdict.h>

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char *s = malloc(size + 1) ;
  dcr_verdict v ;
  int r ;
  if (!s) return 0 ;
  memcpy(s, data, size) ; s[size] = 0 ;
  r = dcr_verdict_parse(s, &v) ;
  if (r == DCR_VERDICT_RCPT)
  {
    if (!v.id[0] || !v.rcpt[0] || !strchr("DTP", v.code) || strlen(v.reply) < 3) abort() ;
    if (strchr(v.rcpt, '\t') || strchr(v.id, '\t')) abort() ;
  }
  else if (r == DCR_VERDICT_DONE) { if (!v.id[0]) abort() ; }
  else if (r) abort() ;
  free(s) ;
  return 0 ;
}
