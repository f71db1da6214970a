/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "qctl.h"

/* The runner compares recipient domains with these entries, so what
   passes here is what an address can carry after its '@': no spaces,
   no '@', no '/', no control character. */
int qctl_domain_ok (char const *s)
{
  size_t i = 0 ;
  for (; s[i] ; i++)
  {
    unsigned char c = s[i] ;
    if (i >= QCTL_DOMAINMAX) return 0 ;
    if (c >= 0x80) continue ;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue ;
    if (!strchr("-._[]:", c)) return 0 ;
  }
  return i > 0 ;
}

void qctl_lower (char *s)
{
  for (; *s ; s++) if (*s >= 'A' && *s <= 'Z') *s += 32 ;
}

int qctl_paused_has (stralloc const *list, char const *entry)
{
  size_t pos = 0 ;
  while (pos < list->len)
  {
    char const *x = list->s + pos ;
    if (!strcmp(x, entry)) return 1 ;
    pos += strlen(x) + 1 ;
  }
  return 0 ;
}

int qctl_paused_add (stralloc *list, char const *entry)
{
  if (qctl_paused_has(list, entry)) return 1 ;
  return stralloc_catb(list, entry, strlen(entry) + 1) ;
}

int qctl_paused_remove (stralloc *list, char const *entry)
{
  size_t pos = 0 ;
  while (pos < list->len)
  {
    char *x = list->s + pos ;
    size_t n = strlen(x) + 1 ;
    if (!strcmp(x, entry))
    {
      memmove(x, x + n, list->len - pos - n) ;
      list->len -= n ;
      return 1 ;
    }
    pos += n ;
  }
  return 0 ;
}

static int isblank_ (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

int qctl_paused_parse (stralloc *list, char const *s, size_t n)
{
  char entry[QCTL_DOMAINMAX + 1] ;
  size_t pos = 0 ;
  int bad = 0 ;
  while (pos < n)
  {
    char const *nl = memchr(s + pos, '\n', n - pos) ;
    size_t end = nl ? (size_t)(nl - s) : n ;
    size_t a = pos, b = end ;
    pos = end + 1 ;
    while (a < b && isblank_(s[a])) a++ ;
    while (b > a && isblank_(s[b-1])) b-- ;
    if (a == b || s[a] == '#') continue ;
    /* a NUL inside would cut the entry short: refuse the line */
    if (b - a > QCTL_DOMAINMAX || memchr(s + a, 0, b - a)) { bad++ ; continue ; }
    memcpy(entry, s + a, b - a) ;
    entry[b - a] = 0 ;
    qctl_lower(entry) ;
    if (strcmp(entry, "*") && !qctl_domain_ok(entry)) { bad++ ; continue ; }
    if (!qctl_paused_add(list, entry)) return -1 ;
  }
  return bad ;
}

int qctl_paused_fmt (stralloc *out, stralloc const *list)
{
  size_t pos = 0 ;
  while (pos < list->len)
  {
    char const *x = list->s + pos ;
    size_t n = strlen(x) ;
    if (!stralloc_catb(out, x, n) || !stralloc_catb(out, "\n", 1)) return 0 ;
    pos += n + 1 ;
  }
  return 1 ;
}
