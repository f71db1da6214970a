/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/genalloc.h>

#include <dcr/job.h>

static int refuse (dcr_job *j, char const *why)
{
  j->why = why ;
  errno = EPROTO ;
  return 0 ;
}

/* "<addr> PARAMS" or "addr": cut in place. 0 if malformed. */
static int addrfield (char *s, dcr_jobaddr *a)
{
  char *p ;
  int quoted = 0 ;
  if (*s != '<') { a->addr = s ; a->params = s + strlen(s) ; return 1 ; }
  /* the ">" that ends the path: not one inside a quoted local part */
  for (p = s + 1 ; *p ; p++)
  {
    if (quoted && *p == '\\' && p[1]) { p++ ; continue ; }
    if (*p == '"') quoted = !quoted ;
    else if (*p == '>' && !quoted) break ;
  }
  if (*p != '>') return 0 ;
  if (p[1] && p[1] != ' ') return 0 ;
  *p++ = 0 ;
  a->addr = s + 1 ;
  while (*p == ' ') p++ ;
  a->params = p ;
  {
    size_t n = strlen(p) ;
    while (n && p[n-1] == ' ') p[--n] = 0 ;
  }
  return 1 ;
}

int dcr_job_parse (dcr_job *j, char *s, size_t len)
{
  size_t i, nfields = 1 ;
  char *field ;
  j->id = j->file = 0 ;
  j->sender.addr = j->sender.params = 0 ;
  j->why = 0 ;
  genalloc_setlen(dcr_jobaddr, &j->rcpts, 0) ;
  s[len] = 0 ;
  for (i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c == '\t')
    {
      /* the id first, so that even a refused line can be answered */
      if (nfields == 1 && i) j->id = s ;
      s[i] = 0 ; nfields++ ;
    }
    else if (c < ' ' || c == 0x7f) break ;
  }
  if (nfields == 1 && i == len && len) j->id = s ;
  if (i < len) return refuse(j, "control character in the job line") ;
  if (len > DCR_JOB_LINEMAX) return refuse(j, "job line too long") ;
  if (nfields < 4) return refuse(j, "fewer than four fields") ;
  if (!j->id) return refuse(j, "empty id") ;
  /* the fields are now NUL-separated strings, end to end */
  field = s + strlen(s) + 1 ;
  j->file = field ;
  if (!*field) return refuse(j, "empty message file") ;
  field += strlen(field) + 1 ;
  {
    char *next = field + strlen(field) + 1 ;   /* before addrfield cuts it */
    if (!addrfield(field, &j->sender)) return refuse(j, "malformed sender") ;
    field = next ;
  }
  for (i = 3 ; i < nfields ; i++)
  {
    dcr_jobaddr a ;
    char *next = field + strlen(field) + 1 ;
    if (!*field) return refuse(j, "empty recipient") ;
    if (!addrfield(field, &a)) return refuse(j, "malformed recipient") ;
    if (!*a.addr) return refuse(j, "empty recipient") ;
    if (!genalloc_append(dcr_jobaddr, &j->rcpts, &a)) { j->why = "out of memory" ; return 0 ; }
    field = next ;
  }
  return 1 ;
}

void dcr_job_free (dcr_job *j)
{
  genalloc_free(dcr_jobaddr, &j->rcpts) ;
}

char const *dcr_job_param (char const *p, char const **key, size_t *klen, char const **val, size_t *vlen)
{
  size_t n = 0 ;
  if (!p) return 0 ;
  while (*p == ' ') p++ ;
  if (!*p) return 0 ;
  *key = p ;
  while (p[n] && p[n] != ' ' && p[n] != '=') n++ ;
  *klen = n ;
  if (p[n] == '=')
  {
    size_t m = 0 ;
    *val = p + n + 1 ;
    while ((*val)[m] && (*val)[m] != ' ') m++ ;
    *vlen = m ;
    return *val + m ;
  }
  *val = 0 ; *vlen = 0 ;
  return p + n ;
}
