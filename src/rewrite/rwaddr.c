/* ISC license. */

/* The addr-specs of an RFC 5322 address list, found in the raw field
   value so that only their bytes are replaced and everything else
   (display names, encoded words, comments, groups, folding) stays as
   it was. Anything unusual makes the whole field "not parsed": the
   caller then leaves it alone. */

#include <string.h>

#include <skalibs/genalloc.h>

#include "rewrite.h"

enum { T_ATOM, T_QS, T_DL, T_LT, T_GT, T_AT, T_COMMA, T_SEMI, T_COLON, T_DOT } ;

typedef struct tok_s tok ;
struct tok_s
{
  size_t off, len ;
  unsigned char type ;
  unsigned char gap ;   /* white space or a comment before it */
} ;

static int ws (char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' ; }

static int special (char c, unsigned char *type)
{
  static char const s[] = "<>@,;:." ;
  static unsigned char const t[] = { T_LT, T_GT, T_AT, T_COMMA, T_SEMI, T_COLON, T_DOT } ;
  char const *p = c ? strchr(s, c) : 0 ;
  if (!p) return 0 ;
  *type = t[p - s] ;
  return 1 ;
}

/* the end of a quoted string or a domain literal opened at i, or 0 */
static size_t closing (char const *v, size_t n, size_t i, char close)
{
  for (i++ ; i < n ; i++)
  {
    if (v[i] == '\\') { i++ ; continue ; }
    if (v[i] == close) return i + 1 ;
    if (close == ']' && v[i] == '[') return 0 ;
  }
  return 0 ;
}

/* the next token from *pos: 1, 0 at the end, -1 on a lexical error */
static int next (char const *v, size_t n, size_t *pos, tok *t)
{
  size_t i = *pos ;
  t->gap = 0 ;
  for (;;)   /* CFWS */
  {
    while (i < n && ws(v[i])) { i++ ; t->gap = 1 ; }
    if (i >= n || v[i] != '(') break ;
    {
      unsigned int depth = 0 ;
      for (; i < n ; i++)
      {
        if (v[i] == '\\') { i++ ; continue ; }
        if (v[i] == '(') depth++ ;
        else if (v[i] == ')' && !--depth) break ;
      }
      if (i >= n) return -1 ;
      i++ ;
      t->gap = 1 ;
    }
  }
  if (i >= n) { *pos = i ; return 0 ; }
  t->off = i ;
  if (special(v[i], &t->type)) i++ ;
  else if (v[i] == '"' || v[i] == '[')
  {
    t->type = v[i] == '"' ? T_QS : T_DL ;
    i = closing(v, n, i, v[i] == '"' ? '"' : ']') ;
    if (!i) return -1 ;
  }
  else
  {
    unsigned char c = v[i] ;
    t->type = T_ATOM ;
    while (i < n)
    {
      unsigned char k ;
      c = v[i] ;
      if (ws(c) || special(c, &k) || c == '(' || c == '"' || c == '[') break ;
      if (c < 32 || c == 127 || c == ')' || c == ']' || c == '\\') return -1 ;
      i++ ;
    }
    if (i == t->off) return -1 ;   /* a stray ')', ']' or '\' */
  }
  t->len = i - t->off ;
  *pos = i ;
  return 1 ;
}

/* local-part "@" domain over t[a..b), no CFWS inside: 1 */
static int addrspec (tok const *t, size_t a, size_t b)
{
  size_t i = a ;
  if (a >= b) return 0 ;
  for (size_t k = a + 1 ; k < b ; k++) if (t[k].gap) return 0 ;
  for (;;)   /* dot-separated words */
  {
    if (i >= b || (t[i].type != T_ATOM && t[i].type != T_QS)) return 0 ;
    i++ ;
    if (i < b && t[i].type == T_DOT) { i++ ; continue ; }
    break ;
  }
  if (i >= b || t[i].type != T_AT) return 0 ;
  i++ ;
  if (i < b && t[i].type == T_DL) return i + 1 == b ;
  for (;;)
  {
    if (i >= b || t[i].type != T_ATOM) return 0 ;
    i++ ;
    if (i == b) return 1 ;
    if (t[i].type != T_DOT) return 0 ;
    i++ ;
  }
}

static int phrase (tok const *t, size_t a, size_t b)
{
  for (; a < b ; a++) if (t[a].type != T_ATOM && t[a].type != T_QS && t[a].type != T_DOT) return 0 ;
  return 1 ;
}

/* one mailbox (or an empty element) of k tokens: 1, 0, -1 */
static int mailbox (tok const *t, size_t k, genalloc *spans)
{
  size_t lt = 0, a, b ;
  rw_span sp ;
  if (!k) return 1 ;
  while (lt < k && t[lt].type != T_LT) lt++ ;
  if (lt == k) { a = 0 ; b = k ; }   /* a bare addr-spec */
  else
  {
    if (!phrase(t, 0, lt) || t[k-1].type != T_GT) return 0 ;
    a = lt + 1 ; b = k - 1 ;
    for (size_t i = a ; i < b ; i++)
      if (t[i].type == T_LT || t[i].type == T_GT) return 0 ;
    if (a == b) return 1 ;   /* <> */
    for (size_t i = b ; i > a ; i--)   /* an obsolete route, @a,@b: */
      if (t[i-1].type == T_COLON)
      {
        if (t[a].type != T_AT) return 0 ;
        a = i ;
        break ;
      }
  }
  if (!addrspec(t, a, b)) return 0 ;
  sp.off = t[a].off ;
  sp.len = t[b-1].off + t[b-1].len - sp.off ;
  return genalloc_append(rw_span, spans, &sp) ? 1 : -1 ;
}

int rw_addrlist (char const *v, size_t n, genalloc *spans)
{
  genalloc toks = GENALLOC_ZERO ;   /* tok: the current mailbox's */
  size_t pos = 0 ;
  int ingroup = 0, inangle = 0, r = 0 ;
  for (;;)
  {
    tok t ;
    int e = next(v, n, &pos, &t), end = 0 ;
    if (e < 0) goto out ;
    if (!e) { if (inangle || ingroup) goto out ; end = 1 ; }
    else if (t.type == T_LT) { if (inangle) goto out ; inangle = 1 ; }
    else if (t.type == T_GT) { if (!inangle) goto out ; inangle = 0 ; }
    else if (!inangle && t.type == T_COLON)
    {
      /* a group: what came before is its name */
      if (ingroup || !phrase(genalloc_s(tok, &toks), 0, genalloc_len(tok, &toks))) goto out ;
      ingroup = 1 ;
      genalloc_setlen(tok, &toks, 0) ;
      continue ;
    }
    else if (!inangle && t.type == T_SEMI) { if (!ingroup) goto out ; ingroup = 0 ; end = 1 ; }
    else if (!inangle && t.type == T_COMMA) end = 1 ;
    if (end)
    {
      int k = mailbox(genalloc_s(tok, &toks), genalloc_len(tok, &toks), spans) ;
      if (k <= 0) { r = k ; goto out ; }
      genalloc_setlen(tok, &toks, 0) ;
      if (!e) break ;
      continue ;
    }
    if (!genalloc_append(tok, &toks, &t)) { r = -1 ; goto out ; }
  }
  r = 1 ;
 out:
  genalloc_free(tok, &toks) ;
  return r ;
}
