/* ISC license. */

#include <string.h>

#include "domain.h"

int dkim_domain_ok (char const *d, size_t n)
{
  size_t label = 0 ;
  if (!n || n > 253) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = d[i] ;
    if (c == '.') { if (!label) return 0 ; label = 0 ; continue ; }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0 ;
    if (++label > 63) return 0 ;
  }
  return label > 0 ;
}

/* sa holds an addr-spec (blanks possible): keep what follows its last
   '@', without blanks, lowercased */
static int takedomain (stralloc *sa)
{
  size_t at = sa->len, i, j = 0 ;
  while (at && sa->s[at-1] != '@') at-- ;
  if (!at) { sa->len = 0 ; return 0 ; }
  for (i = at ; i < sa->len ; i++)
  {
    char c = sa->s[i] ;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue ;
    sa->s[j++] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
  }
  sa->len = j ;
  if (!dkim_domain_ok(sa->s, sa->len) || !stralloc_0(sa)) { sa->len = 0 ; return 0 ; }
  return 1 ;
}

int dkim_from_domain (char const *v, size_t n, stralloc *sa)
{
  size_t i ;
  unsigned int depth = 0 ;   /* comment nesting */
  int quoted = 0, angle = 0, content = 0 ;
  sa->len = 0 ;
  for (i = 0 ; i < n ; i++)
  {
    char c = v[i] ;
    if (depth)
    {
      if (c == '\\') i++ ;
      else if (c == '(') depth++ ;
      else if (c == ')') depth-- ;
      continue ;
    }
    if (quoted)
    {
      if (c == '\\') i++ ;
      else if (c == '"') quoted = 0 ;
      continue ;   /* a display name or a quoted local part: never the domain */
    }
    switch (c)
    {
      case '(' : depth = 1 ; continue ;
      case '"' : quoted = 1 ; if (!stralloc_catb(sa, "q", 1)) return 0 ; content = 1 ; continue ;
      case '<' : angle = 1 ; sa->len = 0 ; content = 0 ; continue ;   /* the display name goes */
      case '>' : if (angle) return takedomain(sa) ; continue ;
      case ':' : sa->len = 0 ; content = 0 ; continue ;   /* a group's name, or a source route's end */
      case ',' : case ';' :
        if (angle) { sa->len = 0 ; continue ; }   /* inside a source route */
        if (content) return takedomain(sa) ;
        sa->len = 0 ;
        continue ;
      case ' ' : case '\t' : case '\r' : case '\n' : continue ;
      default :
        if (!stralloc_catb(sa, &c, 1)) return 0 ;
        content = 1 ;
    }
  }
  if (content) return takedomain(sa) ;
  sa->len = 0 ;
  return 0 ;
}

int dkim_addr_domain (char const *addr, stralloc *sa)
{
  sa->len = 0 ;
  return stralloc_cats(sa, addr) && takedomain(sa) ;
}
