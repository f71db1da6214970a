/* ISC license. */

#include <regex.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/cond.h>

#include "hrules.h"

static int blank (char c) { return c == ' ' || c == '\t' ; }
static int namechar (unsigned char c) { return c > 32 && c < 127 && c != ':' ; }

/* glibc's regcomp expands repetitions into copies of the tree: "x++++"
   or nested counts take it to gigabytes. Refuse what has no meaning in
   POSIX EREs anyway (a repetition of a repetition), and bound the rest. */
static int re_sane (char const *re)
{
  size_t n = strlen(re), counts = 0 ;
  int lastrep = 0 ;
  if (n > 512) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = re[i] ;
    int rep = c == '*' || c == '+' || c == '?' || c == '{' ;
    if (c == '\\' && i + 1 < n) { i++ ; lastrep = 0 ; continue ; }
    if (rep && lastrep) return 0 ;
    if (c == '{')
    {
      if (++counts > 4) return 0 ;
      while (i < n && re[i] != '}') i++ ;
    }
    lastrep = rep ;
  }
  return 1 ;
}

static char const *const actions[] = { "add", "prepend", "set", "remove", 0 } ;

/* the next word of [*p, end): its start and length; *p after it */
static size_t word (char const **p, char const *end, char const **w)
{
  char const *s = *p ;
  while (s < end && blank(*s)) s++ ;
  *w = s ;
  while (s < end && !blank(*s)) s++ ;
  *p = s ;
  return s - *w ;
}

/* NAME: VALUE, the rest of the line */
static int field (hrules *h, hrule *r, char const *p, char const *end, char const **why)
{
  char const *colon ;
  while (p < end && blank(*p)) p++ ;
  colon = memchr(p, ':', end - p) ;
  if (!colon) { *why = "no ':' after the field name" ; return 0 ; }
  r->namelen = colon - p ;
  if (!r->namelen) { *why = "an empty field name" ; return 0 ; }
  for (char const *q = p ; q < colon ; q++)
    if (!namechar(*q)) { *why = "a field name has a blank or a control character" ; return 0 ; }
  r->name = h->text.len ;
  if (!stralloc_catb(&h->text, p, r->namelen) || !stralloc_0(&h->text)) return -1 ;
  for (p = colon + 1 ; p < end && blank(*p) ; p++) ;
  while (end > p && blank(end[-1])) end-- ;
  r->value = h->text.len ;
  return stralloc_catb(&h->text, p, end - p) && stralloc_0(&h->text) ? 1 : -1 ;
}

/* NAME [matching REGEX] */
static int removal (hrules *h, hrule *r, char const *p, char const *end, char const **why)
{
  char const *w ;
  size_t n = word(&p, end, &w) ;
  if (!n) { *why = "remove needs a field name" ; return 0 ; }
  r->prefix = w[n - 1] == '*' ;
  r->namelen = n - r->prefix ;
  if (!r->namelen) { *why = "an empty field name (remove * would remove every field)" ; return 0 ; }
  for (size_t i = 0 ; i < r->namelen ; i++)
    if (!namechar(w[i]) || w[i] == '*') { *why = "a bad field name (printable, no ':', '*' only at the end)" ; return 0 ; }
  r->name = h->text.len ;
  if (!stralloc_catb(&h->text, w, r->namelen) || !stralloc_0(&h->text)) return -1 ;
  n = word(&p, end, &w) ;
  if (!n) return 1 ;
  if (n != 8 || memcmp(w, "matching", 8)) { *why = "after the field name, only: matching REGEX" ; return 0 ; }
  while (p < end && blank(*p)) p++ ;
  while (end > p && blank(end[-1])) end-- ;
  if (p == end) { *why = "matching needs a regular expression" ; return 0 ; }
  {
    size_t at = h->text.len ;
    if (!stralloc_catb(&h->text, p, end - p) || !stralloc_0(&h->text)) return -1 ;
    if (!re_sane(h->text.s + at))
    { *why = "a regular expression over 512 octets, with more than 4 {counts}, or a repetition of a repetition" ; return 0 ; }
    if (regcomp(&r->re, h->text.s + at, REG_EXTENDED | REG_ICASE | REG_NOSUB))
    { *why = "a bad regular expression (POSIX extended)" ; return 0 ; }
    r->hasre = 1 ;
  }
  return 1 ;
}

static int one (hrules *h, char const *p, char const *end, unsigned int line, char const **why)
{
  hrule r = { .line = line } ;
  char const *w ;
  size_t n ;
  int e ;
  r.cond0 = genalloc_len(dcr_cond, &h->conds) ;
  for (;;)
  {
    char buf[1024] ;
    dcr_cond c ;
    n = word(&p, end, &w) ;
    if (!n) { *why = "no action (add, prepend, set, remove)" ; return 0 ; }
    if (n >= sizeof(buf)) { *why = "a word is too long" ; return 0 ; }
    memcpy(buf, w, n) ; buf[n] = 0 ;
    for (r.action = 0 ; actions[r.action] ; r.action++)
      if (!strcmp(buf, actions[r.action])) break ;
    if (actions[r.action]) break ;
    e = dcr_cond_scan(buf, &c, &h->pats, why) ;
    if (e < 0) return 0 ;
    if (!e) { *why = "an unknown word: neither a condition (sender=, sender-domain=, from-domain=, rcpt=, rcpt-domain=, ip=, auth=) nor an action" ; return 0 ; }
    if (c.key == DCR_COND_FROM_DOMAIN) h->needs_from = 1 ;
    if (!genalloc_append(dcr_cond, &h->conds, &c)) return -1 ;
  }
  r.ncond = genalloc_len(dcr_cond, &h->conds) - r.cond0 ;
  e = r.action == HR_REMOVE ? removal(h, &r, p, end, why) : field(h, &r, p, end, why) ;
  if (e <= 0) return e ;
  if (!genalloc_append(hrule, &h->rules, &r)) { if (r.hasre) regfree(&r.re) ; return -1 ; }
  return 1 ;
}

int hrules_parse (hrules *h, char const *s, size_t len, unsigned int *line, char const **why)
{
  char const *end = s + len ;
  *line = 0 ;
  while (s < end)
  {
    char const *nl = memchr(s, '\n', end - s), *e = nl ? nl : end, *p = s ;
    ++*line ;
    while (p < e && blank(*p)) p++ ;
    if (e > p && e[-1] == '\r') { *why = "a CR in the line (a DOS file?)" ; return 0 ; }
    if (memchr(p, 0, e - p)) { *why = "a NUL byte in the line" ; return 0 ; }
    if (p < e && *p != '#')
    {
      int r = one(h, p, e, *line, why) ;
      if (r <= 0) return r ;
    }
    s = nl ? nl + 1 : end ;
  }
  return 1 ;
}

void hrules_free (hrules *h)
{
  hrule *r = genalloc_s(hrule, &h->rules) ;
  for (size_t i = 0 ; i < genalloc_len(hrule, &h->rules) ; i++)
    if (r[i].hasre) regfree(&r[i].re) ;
  genalloc_free(hrule, &h->rules) ;
  genalloc_free(dcr_cond, &h->conds) ;
  stralloc_free(&h->pats) ;
  stralloc_free(&h->text) ;
  h->needs_from = 0 ;
}
