/* ISC license. */

#include <sys/stat.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>

#include <dcr/addr.h>
#include <dcr/log.h>
#include "relay.h"

static int cmp (void const *a, void const *b)
{
  return strcmp(*(char const *const *)a, *(char const *const *)b) ;
}

static void broken (char const *file, size_t line, char const *what)
{
  char fmt[SIZE_FMT] ;
  fmt[size_fmt(fmt, line)] = 0 ;
  dcr_log("event", "config-error", "file", file, "line", fmt, "error", what, "effect", "no domain is local", (char *)0) ;
}

static int isspc (char c) { return c == ' ' || c == '\t' || c == '\r' ; }

/* one line: [pattern targets options] or comment; -1 broken, 0 skip, 1 name, 2 wildcard */
static int parseline (char const *s, size_t len, size_t *start, size_t *plen, char const **err)
{
  size_t i = 0, j ;
  while (i < len && isspc(s[i])) i++ ;
  if (i == len || s[i] == '#') return 0 ;
  j = i ;
  while (j < len && !isspc(s[j])) j++ ;
  *start = i ; *plen = j - i ;
  while (j < len && isspc(s[j])) j++ ;
  if (j == len || s[j] == '#') { *err = "pattern without target" ; return -1 ; }
  if (*plen == 1 && s[i] == '*') return 0 ;
  if (*plen > 2 && s[i] == '*' && s[i+1] == '.')
  {
    if (!dcr_addr_domain(s + i + 2, *plen - 2, 1)) { *err = "bad pattern" ; return -1 ; }
    *start += 2 ; *plen -= 2 ;
    return 2 ;
  }
  if (!dcr_addr_domain(s + i, *plen, 1)) { *err = "bad pattern" ; return -1 ; }
  return 1 ;
}

static int fail (relay_table *r, char const *file, size_t line, char const *what)
{
  broken(file, line, what) ;
  r->names.len = 0 ;
  r->nexact = r->nwild = 0 ;
  return 0 ;
}

int relay_parse (relay_table *r, char const *text, size_t len, char const *file)
{
  size_t i = 0, lineno = 0, n, k ;
  r->names.len = 0 ; r->nexact = r->nwild = 0 ;
  while (i < len)
  {
    char const *err = 0 ;
    size_t end = i, start, plen ;
    int kind ;
    while (end < len && text[end] != '\n') end++ ;
    if (++lineno > RELAY_MAXLINES) return fail(r, file, lineno, "too many lines") ;
    kind = parseline(text + i, end - i, &start, &plen, &err) ;
    if (kind < 0) return fail(r, file, lineno, err) ;
    if (kind)
    {
      if (!stralloc_catb(&r->names, kind == 2 ? "*" : "=", 1)
       || !stralloc_catb(&r->names, text + i + start, plen)
       || !stralloc_0(&r->names)) return fail(r, file, lineno, "out of memory") ;
      if (kind == 2) r->nwild++ ; else r->nexact++ ;
    }
    i = end + 1 ;
  }
  n = r->nexact + r->nwild ;
  free(r->exact) ;
  r->exact = n ? malloc(n * sizeof(char const *)) : 0 ;
  if (n && !r->exact) return fail(r, file, 0, "out of memory") ;
  r->wild = n ? r->exact + r->nexact : 0 ;
  r->nexact = r->nwild = 0 ;
  for (k = 0 ; k < r->names.len ; k += strlen(r->names.s + k) + 1)
  {
    char *p = r->names.s + k + 1 ;
    char *q = p ;
    for (; *q ; q++) if (*q >= 'A' && *q <= 'Z') *q += 32 ;
    if (r->names.s[k] == '*') r->wild[r->nwild++] = p ;
    else r->exact[r->nexact++] = p ;
  }
  /* qsort on a null array is undefined even for 0 elements */
  if (r->nexact) qsort(r->exact, r->nexact, sizeof(char const *), &cmp) ;
  if (r->nwild) qsort(r->wild, r->nwild, sizeof(char const *), &cmp) ;
  return 1 ;
}

int relay_load (relay_table *r, char const *file)
{
  stralloc sa = STRALLOC_ZERO ;
  struct stat st ;
  int ok ;
  r->names.len = 0 ; r->nexact = r->nwild = 0 ;
  if (stat(file, &st) < 0)
  {
    if (errno == ENOENT) return 1 ;
    return fail(r, file, 0, strerror(errno)) ;
  }
  if (st.st_size > RELAY_MAXFILE) return fail(r, file, 0, "file too big") ;
  if (!openslurpclose(&sa, file)) return fail(r, file, 0, strerror(errno)) ;
  ok = relay_parse(r, sa.s, sa.len, file) ;
  stralloc_free(&sa) ;
  return ok ;
}

static int find (char const *const *t, size_t n, char const *s)
{
  return n && bsearch(&s, t, n, sizeof(char const *), &cmp) ;
}

int relay_local (relay_table const *r, char const *d, size_t len)
{
  char low[DCR_ADDR_DOMAINMAX + 1] ;
  size_t i = 0 ;
  if (!len || len > DCR_ADDR_DOMAINMAX) return 0 ;
  for (; i < len ; i++) low[i] = d[i] >= 'A' && d[i] <= 'Z' ? d[i] + 32 : d[i] ;
  low[len] = 0 ;
  if (find(r->exact, r->nexact, low)) return 1 ;
  for (i = 0 ; i < len ; i++)
    if (low[i] == '.' && find(r->wild, r->nwild, low + i + 1)) return 1 ;
  return 0 ;
}
