/* ISC license. */
/* libFuzzer target: the agent job line parser (src/lib/job.c). Besides
   not crashing: every string it returns lies inside the line, holds no
   control character, and a bare address never starts with "<". */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dcr/job.h>

static void inside (char const *p, char const *s, size_t n)
{
  size_t i ;
  if (!p) abort() ;
  if (p < s || p > s + n) abort() ;
  for (i = 0 ; p[i] ; i++) if ((unsigned char)p[i] < ' ' || p[i] == 0x7f) abort() ;
  if (p + i > s + n) abort() ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static dcr_job j = DCR_JOB_ZERO ;
  char *s = malloc(size + 1) ;   /* the parser writes s[size] */
  size_t i ;
  if (!s) return 0 ;
  memcpy(s, data, size) ;
  if (dcr_job_parse(&j, s, size))
  {
    dcr_jobaddr const *r = dcr_job_rcpts(&j) ;
    inside(j.id, s, size) ; inside(j.file, s, size) ;
    inside(j.sender.addr, s, size) ; inside(j.sender.params, s, size) ;
    if (!*j.id || !*j.file || !dcr_job_nrcpts(&j)) abort() ;
    for (i = 0 ; i < dcr_job_nrcpts(&j) ; i++)
    {
      char const *p, *k, *v ;
      size_t kl, vl, guard = 0 ;
      inside(r[i].addr, s, size) ; inside(r[i].params, s, size) ;
      if (!*r[i].addr) abort() ;
      for (p = r[i].params ; (p = dcr_job_param(p, &k, &kl, &v, &vl)) ; )
        if (!kl && !vl && ++guard > size + 1) abort() ;
    }
  }
  else if (j.id) inside(j.id, s, size) ;
  free(s) ;
  return 0 ;
}
