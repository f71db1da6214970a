/* ISC license. */

#include <string.h>

#include "canon.h"

static void flush (dkim_body *c)
{
  br_sha256_update(&c->sha, c->out, c->olen) ;
  c->length += c->olen ;
  c->olen = 0 ;
}

static inline void put (dkim_body *c, unsigned char ch)
{
  if (c->olen == sizeof c->out) flush(c) ;
  c->out[c->olen++] = ch ;
}

/* the empty lines held back: content follows them after all */
static void release (dkim_body *c)
{
  for (; c->blank ; c->blank--) { put(c, '\r') ; put(c, '\n') ; }
}

void dkim_body_init (dkim_body *c, int relaxed)
{
  br_sha256_init(&c->sha) ;
  c->length = 0 ;
  c->blank = 0 ;
  c->relaxed = !!relaxed ;
  c->cr = c->sp = c->mid = 0 ;
  c->olen = 0 ;
}

static void endline (dkim_body *c)
{
  c->sp = 0 ;
  if (c->mid) { put(c, '\r') ; put(c, '\n') ; c->mid = 0 ; }
  else c->blank++ ;
}

/* an octet of the line's content (not a line end) */
static inline void octet (dkim_body *c, unsigned char ch)
{
  if (c->relaxed && (ch == ' ' || ch == '\t')) { c->sp = 1 ; return ; }
  if (!c->mid) { release(c) ; c->mid = 1 ; }
  if (c->sp) { put(c, ' ') ; c->sp = 0 ; }
  put(c, ch) ;
}

void dkim_body_update (dkim_body *c, char const *s, size_t n)
{
  size_t i = 0 ;
  while (i < n)
  {
    unsigned char ch = s[i] ;
    if (c->cr)
    {
      c->cr = 0 ;
      if (ch == '\n') { endline(c) ; i++ ; continue ; }
      octet(c, '\r') ;
    }
    if (ch == '\r') { c->cr = 1 ; i++ ; continue ; }
    if (ch == '\n') { endline(c) ; i++ ; continue ; }
    if (!c->relaxed && c->mid)
    {
      /* simple, inside a line: copy the run up to the next CR or LF */
      size_t j = i ;
      while (j < n && s[j] != '\n' && s[j] != '\r') j++ ;
      while (i < j)
      {
        size_t room = sizeof c->out - c->olen, k = j - i < room ? j - i : room ;
        memcpy(c->out + c->olen, s + i, k) ;
        c->olen += k ; i += k ;
        if (c->olen == sizeof c->out) flush(c) ;
      }
      continue ;
    }
    octet(c, ch) ;
    i++ ;
  }
}

void dkim_body_final (dkim_body *c, unsigned char *hash)
{
  if (c->cr) { c->cr = 0 ; octet(c, '\r') ; }
  if (c->mid) { put(c, '\r') ; put(c, '\n') ; c->mid = 0 ; }   /* the last line's end */
  /* simple: an empty body is one CRLF; relaxed: nothing (RFC 6376 3.4.3, 3.4.4) */
  if (!c->relaxed && !c->length && !c->olen) { put(c, '\r') ; put(c, '\n') ; }
  c->blank = 0 ;
  flush(c) ;
  br_sha256_out(&c->sha, hash) ;
}

static int isblank_ (char c) { return c == ' ' || c == '\t' ; }

static int simple (stralloc *sa, char const *s, size_t len, int noend)
{
  size_t i ;
  if (!stralloc_readyplus(sa, 2 * len + 2)) return 0 ;
  for (i = 0 ; i < len ; i++)
  {
    if (s[i] == '\n') { sa->s[sa->len++] = '\r' ; sa->s[sa->len++] = '\n' ; continue ; }
    if (s[i] == '\r' && i + 1 < len && s[i+1] == '\n') continue ;
    sa->s[sa->len++] = s[i] ;
  }
  if (noend)
  {
    if (sa->len >= 2 && sa->s[sa->len - 1] == '\n') sa->len -= 2 ;
  }
  else if (!len || s[len-1] != '\n') { sa->s[sa->len++] = '\r' ; sa->s[sa->len++] = '\n' ; }
  return 1 ;
}

int dkim_header_canon (stralloc *sa, char const *s, size_t len, size_t namelen, int relaxed, int noend)
{
  size_t i, start ;
  int sp = 0 ;
  if (!relaxed) return simple(sa, s, len, noend) ;
  if (!stralloc_readyplus(sa, len + 3)) return 0 ;
  for (i = 0 ; i < namelen ; i++)
  {
    char c = s[i] ;
    sa->s[sa->len++] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
  }
  while (i < len && s[i] != ':') i++ ;   /* blanks before the colon */
  sa->s[sa->len++] = ':' ;
  start = sa->len ;
  for (i++ ; i < len ; i++)
  {
    char c = s[i] ;
    /* unfold: line ends go; the blank that starts a continuation stays */
    if (c == '\n' || (c == '\r' && i + 1 < len && s[i+1] == '\n')) continue ;
    if (isblank_(c)) { sp = 1 ; continue ; }
    if (sp && sa->len > start) sa->s[sa->len++] = ' ' ;
    sp = 0 ;
    sa->s[sa->len++] = c ;
  }
  if (!noend) { sa->s[sa->len++] = '\r' ; sa->s[sa->len++] = '\n' ; }
  return 1 ;
}
