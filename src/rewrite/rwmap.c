/* ISC license. */

/* The map file of dcr-rewrite: one rule a line,
     PATTERN -> REPLACEMENT [scope...]   # comment
   PATTERN is user@domain, *@domain or @domain; REPLACEMENT likewise,
   where * (or nothing) before the @ keeps the old local part. */

#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/addr.h>

#include "rewrite.h"

static int blank (char c) { return c == ' ' || c == '\t' || c == '\r' ; }

/* atext and '.' (RFC 5322 3.2.3): a local part as an admin writes it */
static int localchar (unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1 ;
  return c && strchr("!#$%&'*+-/=?^_`{|}~.", c) != 0 ;
}

static int localpart (char const *s, size_t n)
{
  if (!n || n > DCR_ADDR_LOCALMAX || s[0] == '.' || s[n-1] == '.') return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (!localchar(s[i]) || s[i] == '*') return 0 ;
    if (s[i] == '.' && s[i+1] == '.') return 0 ;
  }
  return 1 ;
}

/* word s (n octets) at offset base of the text: an address pattern.
   1 and the parts set, or 0 */
static int address (char const *s, size_t n, size_t base, size_t *local, size_t *locallen, size_t *domain, size_t *domainlen, unsigned char *wild)
{
  char const *at = memchr(s, '@', n) ;
  size_t l ;
  if (!at) return 0 ;
  l = at - s ;
  *wild = !l || (l == 1 && s[0] == '*') ;
  if (!*wild && !localpart(s, l)) return 0 ;
  *local = base ; *locallen = *wild ? 0 : l ;
  *domain = base + l + 1 ; *domainlen = n - l - 1 ;
  return dcr_addr_domain(s + l + 1, n - l - 1, 0) ;
}

static struct { char const *word ; unsigned char scope ; } const scopes[] =
{
  { "envelope-from", RW_ENV_FROM }, { "envelope-to", RW_ENV_TO },
  { "header-from", RW_HDR_FROM }, { "header-to", RW_HDR_TO },
  { "sender", RW_ENV_FROM | RW_HDR_FROM }, { "recipient", RW_ENV_TO | RW_HDR_TO },
  { "envelope", RW_ENV_FROM | RW_ENV_TO }, { "header", RW_HDR_FROM | RW_HDR_TO },
  { "all", RW_ALL }, { 0, 0 }
} ;

static int scopeword (char const *s, size_t n, unsigned char *scope)
{
  for (unsigned int i = 0 ; scopes[i].word ; i++)
    if (strlen(scopes[i].word) == n && !memcmp(scopes[i].word, s, n))
    {
      *scope |= scopes[i].scope ;
      return 1 ;
    }
  return 0 ;
}

/* one line (no LF) at offset base: 1 rule, 0 nothing, -1 broken */
static int rule (char const *s, size_t n, size_t base, rw_rule *r, char const **why)
{
  size_t w[16][2], nw = 0, i = 0 ;
  while (i < n)
  {
    size_t start ;
    while (i < n && blank(s[i])) i++ ;
    if (i >= n || s[i] == '#') break ;
    start = i ;
    while (i < n && !blank(s[i])) i++ ;
    if (nw == 16) { *why = "too many words" ; return -1 ; }
    w[nw][0] = start ; w[nw][1] = i - start ; nw++ ;
  }
  if (!nw) return 0 ;
  if (nw < 3 || w[1][1] != 2 || memcmp(s + w[1][0], "->", 2))
  { *why = "expected PATTERN -> REPLACEMENT [scope...]" ; return -1 ; }
  if (!address(s + w[0][0], w[0][1], base + w[0][0], &r->local, &r->locallen, &r->domain, &r->domainlen, &r->wild))
  { *why = "bad pattern: expected user@domain, *@domain or @domain" ; return -1 ; }
  if (!address(s + w[2][0], w[2][1], base + w[2][0], &r->rlocal, &r->rlocallen, &r->rdomain, &r->rdomainlen, &r->rwild))
  { *why = "bad replacement: expected user@domain, *@domain or @domain" ; return -1 ; }
  r->scope = 0 ;
  for (i = 3 ; i < nw ; i++)
    if (!scopeword(s + w[i][0], w[i][1], &r->scope))
    { *why = "unknown scope: expected envelope-from, envelope-to, header-from, header-to, sender, recipient, envelope, header or all" ; return -1 ; }
  if (!r->scope) r->scope = RW_ALL ;
  return 1 ;
}

int rw_map_parse (rw_map *m, char const *s, size_t len, unsigned int *line, char const **why)
{
  size_t pos = 0 ;
  unsigned int ln = 0 ;
  m->text.len = 0 ;
  genalloc_setlen(rw_rule, &m->rules, 0) ;
  if (!stralloc_catb(&m->text, s, len)) return -1 ;
  s = m->text.s ;
  while (pos < len)
  {
    char const *nl = memchr(s + pos, '\n', len - pos) ;
    size_t end = nl ? (size_t)(nl - s) : len ;
    rw_rule r ;
    int k ;
    ln++ ;
    *line = ln ;
    if (end - pos > RW_LINEMAX) { *why = "line too long" ; return 0 ; }
    if (memchr(s + pos, 0, end - pos)) { *why = "NUL in the line" ; return 0 ; }
    k = rule(s + pos, end - pos, pos, &r, why) ;
    if (k < 0) return 0 ;
    if (k)
    {
      r.line = ln ;
      if (!genalloc_append(rw_rule, &m->rules, &r)) return -1 ;
    }
    pos = end + 1 ;
  }
  return 1 ;
}

static int caseeq (char const *a, char const *b, size_t n)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char x = a[i], y = b[i] ;
    if (x >= 'A' && x <= 'Z') x += 32 ;
    if (y >= 'A' && y <= 'Z') y += 32 ;
    if (x != y) return 0 ;
  }
  return 1 ;
}

int rw_map_apply (rw_map const *m, unsigned int scope, char const *addr, size_t len, stralloc *out)
{
  rw_rule const *r = genalloc_s(rw_rule, &m->rules), *hit = 0 ;
  size_t n = genalloc_len(rw_rule, &m->rules), at = len, i ;
  char const *t = m->text.s ;
  while (at && addr[at-1] != '@') at-- ;   /* the last @: a quoted local part may hold one */
  if (!at) return 0 ;
  at-- ;
  for (i = 0 ; i < n && !hit ; i++)   /* exact addresses first */
    if (!r[i].wild && (r[i].scope & scope) && r[i].locallen == at && r[i].domainlen == len - at - 1
     && caseeq(t + r[i].local, addr, at) && caseeq(t + r[i].domain, addr + at + 1, len - at - 1)) hit = r + i ;
  for (i = 0 ; i < n && !hit ; i++)
    if (r[i].wild && (r[i].scope & scope) && r[i].domainlen == len - at - 1
     && caseeq(t + r[i].domain, addr + at + 1, len - at - 1)) hit = r + i ;
  if (!hit) return 0 ;
  if (!(hit->rwild ? stralloc_catb(out, addr, at) : stralloc_catb(out, t + hit->rlocal, hit->rlocallen))
   || !stralloc_catb(out, "@", 1)
   || !stralloc_catb(out, t + hit->rdomain, hit->rdomainlen)) return -1 ;
  return 1 ;
}

void rw_map_free (rw_map *m)
{
  stralloc_free(&m->text) ;
  genalloc_free(rw_rule, &m->rules) ;
}
