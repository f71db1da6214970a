/* ISC license. */

#include <string.h>

#include "reply.h"

void reply_init (reply *r)
{
  r->code = 0 ;
  r->nlines = 0 ;
  r->total = 0 ;
  r->linelen = 0 ;
  r->textlen = 0 ;
  r->cr = 0 ;
  r->done = 0 ;
  r->esc[0] = 0 ;
  r->line[0] = 0 ;
  r->text[0] = 0 ;
}

static size_t digits (char const *s, size_t len, size_t max)
{
  size_t i = 0 ;
  while (i < len && i < max + 1 && s[i] >= '0' && s[i] <= '9') i++ ;
  return i >= 1 && i <= max ? i : 0 ;
}

size_t reply_esc (char const *s, size_t len)
{
  size_t i = 1, k ;
  if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return 0 ;
  i = 2 ;
  k = digits(s + i, len - i, 3) ; if (!k) return 0 ; i += k ;
  if (i >= len || s[i] != '.') return 0 ;
  i++ ;
  k = digits(s + i, len - i, 3) ; if (!k) return 0 ; i += k ;
  if (i < len && s[i] != ' ') return 0 ;
  return i ;
}

static void addtext (reply *r, char const *s, size_t len)
{
  while (len && *s == ' ') { s++ ; len-- ; }
  while (len && s[len-1] == ' ') len-- ;
  if (!len) return ;
  if (r->textlen && r->textlen < REPLY_TEXTMAX) r->text[r->textlen++] = ' ' ;
  if (len > REPLY_TEXTMAX - r->textlen) len = REPLY_TEXTMAX - r->textlen ;
  memcpy(r->text + r->textlen, s, len) ;
  r->textlen += len ;
  r->text[r->textlen] = 0 ;
}

/* A whole line is in r->line: check it, take its text. */
static int endline (reply *r)
{
  char *l = r->line ;
  size_t len = r->linelen, off ;
  unsigned int code ;
  int last ;
  l[len] = 0 ;
  if (len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9')
    return REPLY_BAD ;
  if (len > 3 && l[3] != ' ' && l[3] != '-') return REPLY_BAD ;
  code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') ;
  last = len == 3 || l[3] == ' ' ;
  off = len > 3 ? 4 : 3 ;
  if (!r->nlines++)
  {
    size_t e = reply_esc(l + off, len - off) ;
    r->code = code ;
    /* an enhanced code of another class than the reply's is not one */
    if (e && e < REPLY_ESCMAX && l[off] == l[0])
    {
      memcpy(r->esc, l + off, e) ; r->esc[e] = 0 ;
      off += e ;
    }
  }
  else if (r->esc[0])
  {
    size_t e = reply_esc(l + off, len - off) ;
    if (e && e == strlen(r->esc) && !memcmp(l + off, r->esc, e)) off += e ;
  }
  addtext(r, l + off, len - off) ;
  memmove(l, l + (len > 3 ? 4 : 3), len - (len > 3 ? 4 : 3) + 1) ;   /* linetext: after the code */
  return last ? REPLY_DONE : REPLY_LINE ;
}

size_t reply_feed (reply *r, char const *s, size_t n, int *event)
{
  size_t i = 0 ;
  if (r->done) { r->linelen = 0 ; r->cr = 0 ; r->done = 0 ; }
  while (i < n)
  {
    char c = s[i++] ;
    if (++r->total > REPLY_TOTALMAX) { *event = REPLY_TOOBIG ; return i ; }
    if (c == '\n')
    {
      r->cr = 0 ;
      r->done = 1 ;
      *event = endline(r) ;
      return i ;
    }
    /* a CR is kept back until we know whether LF follows */
    if (r->cr && r->linelen < REPLY_LINEMAX) r->line[r->linelen++] = '\r' ;
    r->cr = c == '\r' ;
    if (!r->cr && r->linelen < REPLY_LINEMAX) r->line[r->linelen++] = c ;
  }
  *event = REPLY_MORE ;
  return i ;
}

char const *reply_linetext (reply const *r)
{
  return r->line ;
}

size_t reply_fmt (reply const *r, char *buf, size_t max)
{
  size_t len = 0, i ;
  char tmp[4 + REPLY_ESCMAX + 1] ;
  char const *esc = r->esc ;
  char synth[6] = "0.0.0" ;
  if (!max) return 0 ;
  if (!esc[0]) { synth[0] = '0' + r->code / 100 ; esc = synth ; }
  tmp[0] = '0' + r->code / 100 % 10 ;
  tmp[1] = '0' + r->code / 10 % 10 ;
  tmp[2] = '0' + r->code % 10 ;
  tmp[3] = ' ' ;
  i = strlen(esc) ;
  memcpy(tmp + 4, esc, i) ;
  len = 4 + i ;
  if (len > max - 1) len = max - 1 ;
  memcpy(buf, tmp, len) ;
  if (r->textlen && len < max - 1) buf[len++] = ' ' ;
  for (i = 0 ; i < r->textlen && len < max - 1 ; i++)
  {
    unsigned char c = r->text[i] ;
    buf[len++] = c < ' ' || c == 0x7f ? ' ' : c ;
  }
  buf[len] = 0 ;
  return len ;
}
