/* ISC license. */

#include <string.h>

#include "data.h"

enum { S_BOL, S_BOLDOT, S_BOLDOTCR, S_MID, S_CR } ;

void dcr_data_init (dcr_data *d, unsigned long long max, int bdat)
{
  memset(d, 0, sizeof(*d)) ;
  d->max = max ;
  d->bdat = !!bdat ;
  d->state = S_BOL ;
  d->inhdr = 1 ;
  d->hbol = 1 ;
}

static void hdrscan (dcr_data *d, char const *s, size_t n)
{
  static char const want[] = "received:" ;
  size_t i = 0 ;
  for (; i < n && d->inhdr ; i++)
  {
    char c = s[i] ;
    if (d->hbol)
    {
      if (c == '\n') { d->inhdr = 0 ; break ; }
      d->hbol = 0 ; d->hmatch = 0 ;
    }
    if (d->hmatch >= 0)
    {
      char l = c >= 'A' && c <= 'Z' ? c + 32 : c ;
      if (l == want[(int)d->hmatch])
      {
        if (++d->hmatch == 9) { d->received++ ; d->hmatch = -1 ; }
      }
      else d->hmatch = -1 ;
    }
    if (c == '\n') d->hbol = 1 ;
  }
}

/* append s[0..n) to the output, unless refused or too big */
static void emit (dcr_data *d, char const *s, size_t n, char *out, size_t *w)
{
  d->size += n ;
  if (d->bare || d->toobig) return ;
  if (d->size > d->max) { d->toobig = 1 ; return ; }
  if (d->inhdr) hdrscan(d, s, n) ;
  memcpy(out + *w, s, n) ;
  *w += n ;
}

size_t dcr_data_feed (dcr_data *d, char const *s, size_t n, char *out, size_t *outlen)
{
  size_t i = 0, w = 0 ;
  while (i < n && !d->end)
  {
    char c = s[i] ;
    switch (d->state)
    {
      case S_BOL :
        if (c == '.' && !d->bdat) { d->state = S_BOLDOT ; i++ ; continue ; }
        d->state = S_MID ;
        continue ;   /* same octet, as in the middle of a line */
      case S_BOLDOT :
        if (c == '\r') { d->state = S_BOLDOTCR ; i++ ; continue ; }
        d->state = S_MID ;   /* the stuffed dot is dropped */
        continue ;
      case S_BOLDOTCR :
        if (c == '\n') { d->end = 1 ; i++ ; continue ; }
        d->bare = 1 ;   /* "." CR x */
        d->state = S_MID ;
        continue ;
      case S_CR :
        if (c == '\n') { emit(d, "\n", 1, out, &w) ; d->state = S_BOL ; i++ ; continue ; }
        d->bare = 1 ;
        if (c == '\r') { i++ ; continue ; }
        d->state = S_MID ;
        continue ;
      case S_MID :
      default :
        if (c == '\r') { d->state = S_CR ; i++ ; continue ; }
        if (c == '\n') { d->bare = 1 ; i++ ; continue ; }   /* bare LF: no new line */
        {
          size_t j = i + 1 ;
          while (j < n && s[j] != '\r' && s[j] != '\n') j++ ;
          emit(d, s + i, j - i, out, &w) ;
          i = j ;
        }
        continue ;
    }
  }
  *outlen = w ;
  return i ;
}

void dcr_data_finish (dcr_data *d)
{
  if (d->state == S_CR || d->state == S_BOLDOTCR) d->bare = 1 ;
}
