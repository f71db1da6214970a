/* ISC license. */

/* The replies of clamd and spamd, parsed strictly: a scanner that says
   something else is a protocol error, never a guess. Pure functions on
   what has arrived so far (fuzz-scan). */

#include <string.h>
#include <strings.h>

#include "scan.h"

static int isprint_ (char c) { return c >= 0x20 && c < 0x7f ; }
static int isdigit_ (char c) { return c >= '0' && c <= '9' ; }

size_t scan_tenths_scan (char const *s, size_t len, long *t)
{
  size_t i = 0, d = 0 ;
  long v = 0, tenth = 0 ;
  int neg = 0 ;
  if (i < len && s[i] == '-') { neg = 1 ; i++ ; }
  while (i < len && isdigit_(s[i]))
  {
    if (++d > 6) return 0 ;
    v = v * 10 + (s[i++] - '0') ;
  }
  if (!d) return 0 ;
  if (i < len && s[i] == '.')
  {
    size_t f = 0 ;
    for (i++ ; i < len && isdigit_(s[i]) ; i++, f++)
      if (!f) tenth = s[i] - '0' ;
    if (!f) return 0 ;
  }
  v = v * 10 + tenth ;
  *t = neg ? -v : v ;
  return i ;
}

size_t scan_tenths_fmt (char *s, long t)
{
  char tmp[SCAN_TENTHS_FMT] ;
  size_t n = 0, i = 0 ;
  unsigned long u = t < 0 ? -(unsigned long)t : (unsigned long)t ;
  if (t < 0) s[n++] = '-' ;
  tmp[i++] = '0' + u % 10 ; tmp[i++] = '.' ; u /= 10 ;
  do { tmp[i++] = '0' + u % 10 ; u /= 10 ; } while (u) ;
  while (i) s[n++] = tmp[--i] ;
  s[n] = 0 ;
  return n ;
}


 /* clamd, with the 'z' prefix: one line ended by NUL ("\n" accepted) */

int scan_clamd_parse (char const *s, size_t len, int eof, scan_clamdreply *c, char const **why)
{
  static char const found[] = " FOUND", error[] = " ERROR", stream[] = "stream: " ;
  size_t n = 0 ;
  memset(c, 0, sizeof(*c)) ;
  while (n < len && s[n] && s[n] != '\n')
  {
    if (!isprint_(s[n])) { *why = "a control octet in the reply" ; return -1 ; }
    if (++n > SCAN_CLAMD_MAX) { *why = "reply too long" ; return -1 ; }
  }
  if (n == len)
  {
    if (!eof) return 0 ;
    *why = len ? "reply cut short" : "no reply" ;
    return -1 ;
  }
  if (n < len - 1) { *why = "more than one reply" ; return -1 ; }
  if (n >= 6 && !memcmp(s + n - 6, error, 6))
  {
    static char const limit[] = "size limit exceeded" ;
    size_t i ;
    c->verdict = 'E' ;
    c->textlen = n - 6 ;
    for (i = 0 ; i + sizeof(limit) - 1 <= c->textlen ; i++)
      if (!memcmp(s + i, limit, sizeof(limit) - 1)) { c->limit = 1 ; break ; }
    return 1 ;
  }
  if (n < 8 || memcmp(s, stream, 8)) { *why = "not a stream reply" ; return -1 ; }
  if (n == 10 && !memcmp(s + 8, "OK", 2)) { c->verdict = 'O' ; return 1 ; }
  if (n > 14 && !memcmp(s + n - 6, found, 6))
  {
    size_t i ;
    c->text = 8 ; c->textlen = n - 14 ;
    if (c->textlen > SCAN_SIG_MAX) { *why = "signature name too long" ; return -1 ; }
    for (i = c->text ; i < c->text + c->textlen ; i++)
      if (s[i] == ' ' || s[i] == '"' || s[i] == '\\') { *why = "a bad octet in the signature name" ; return -1 ; }
    c->verdict = 'F' ;
    return 1 ;
  }
  *why = "neither OK, FOUND nor ERROR" ;
  return -1 ;
}


 /* spamd (SPAMD/1.x): a status line, header lines, an empty line, then
    Content-length octets of body (the symbols); lines end in CRLF (a
    bare LF accepted). */

/* the length of the line at s (its end excluded) and of its end; 0 if
   it is not complete */
static int getline_ (char const *s, size_t len, size_t *linelen, size_t *endlen)
{
  char const *nl = memchr(s, '\n', len) ;
  size_t n ;
  if (!nl) return 0 ;
  n = nl - s ;
  *endlen = 1 ;
  if (n && s[n - 1] == '\r') { n-- ; *endlen = 2 ; }
  *linelen = n ;
  return 1 ;
}

static size_t skipblanks (char const *s, size_t i, size_t len)
{
  while (i < len && (s[i] == ' ' || s[i] == '\t')) i++ ;
  return i ;
}

/* "True ; 15.0 / 5.0" */
static int spamvalue (char const *s, size_t len, scan_spamdreply *p)
{
  size_t i = 0, n ;
  if (len >= 4 && !strncasecmp(s, "True", 4)) { p->spam = 1 ; i = 4 ; }
  else if (len >= 3 && !strncasecmp(s, "Yes", 3)) { p->spam = 1 ; i = 3 ; }
  else if (len >= 5 && !strncasecmp(s, "False", 5)) { p->spam = 0 ; i = 5 ; }
  else if (len >= 2 && !strncasecmp(s, "No", 2)) { p->spam = 0 ; i = 2 ; }
  else return 0 ;
  i = skipblanks(s, i, len) ;
  if (i >= len || s[i++] != ';') return 0 ;
  i = skipblanks(s, i, len) ;
  if (!(n = scan_tenths_scan(s + i, len - i, &p->score))) return 0 ;
  i = skipblanks(s, i + n, len) ;
  if (i >= len || s[i++] != '/') return 0 ;
  i = skipblanks(s, i, len) ;
  if (!(n = scan_tenths_scan(s + i, len - i, &p->required))) return 0 ;
  return skipblanks(s, i + n, len) == len ;
}

static int issymbol (char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isdigit_(c) || c == '_' || c == '.' || c == '-' || c == ',' ;
}

int scan_spamd_parse (char const *s, size_t len, int eof, scan_spamdreply *p, char const **why)
{
  size_t pos = 0, n, e, i, clen = 0 ;
  int hasclen = 0, hasspam = 0 ;
  memset(p, 0, sizeof(*p)) ;
  if (len > SCAN_SPAMD_MAX) { *why = "reply too long" ; return -1 ; }

  /* SPAMD/1.1 0 EX_OK */
  if (!getline_(s, len, &n, &e)) goto more ;
  if (n < 6 || memcmp(s, "SPAMD/", 6)) { *why = "not a SPAMD reply" ; return -1 ; }
  for (i = 6 ; i < n && (isdigit_(s[i]) || s[i] == '.') ; i++) ;
  if (i == 6 || i >= n || s[i++] != ' ') { *why = "bad SPAMD status line" ; return -1 ; }
  if (i >= n || !isdigit_(s[i])) { *why = "bad SPAMD status code" ; return -1 ; }
  for (; i < n && isdigit_(s[i]) ; i++)
  {
    if (p->code > 9999) { *why = "bad SPAMD status code" ; return -1 ; }
    p->code = p->code * 10 + (s[i] - '0') ;
  }
  if (i < n && s[i] != ' ') { *why = "bad SPAMD status line" ; return -1 ; }
  i = skipblanks(s, i, n) ;
  p->text = i ; p->textlen = n - i ;
  for (; i < n ; i++) if (!isprint_(s[i])) { *why = "a control octet in the reply" ; return -1 ; }
  pos = n + e ;
  if (p->code) return 1 ;   /* an error: spamd says nothing more */

  /* header lines up to the empty line */
  for (;;)
  {
    size_t c ;
    if (!getline_(s + pos, len - pos, &n, &e)) goto more ;
    if (!n) { pos += e ; break ; }
    for (i = 0 ; i < n ; i++) if (!isprint_(s[pos + i]) && s[pos + i] != '\t') { *why = "a control octet in the reply" ; return -1 ; }
    c = 0 ;
    while (c < n && s[pos + c] != ':') c++ ;
    if (!c || c == n) { *why = "bad header line in the reply" ; return -1 ; }
    i = skipblanks(s + pos, c + 1, n) ;
    if (c == 4 && !strncasecmp(s + pos, "Spam", 4))
    {
      if (hasspam++) { *why = "two Spam lines in the reply" ; return -1 ; }
      if (!spamvalue(s + pos + i, n - i, p)) { *why = "bad Spam line in the reply" ; return -1 ; }
    }
    else if (c == 14 && !strncasecmp(s + pos, "Content-length", 14))
    {
      size_t k = i ;
      if (hasclen++) { *why = "two Content-length lines in the reply" ; return -1 ; }
      for (; k < n && isdigit_(s[pos + k]) ; k++)
      {
        clen = clen * 10 + (s[pos + k] - '0') ;
        if (clen > SCAN_SPAMD_MAX) { *why = "Content-length too big" ; return -1 ; }
      }
      if (k == i || skipblanks(s + pos, k, n) != n) { *why = "bad Content-length in the reply" ; return -1 ; }
    }
    pos += n + e ;
  }
  if (!hasspam) { *why = "no Spam line in the reply" ; return -1 ; }

  /* the body: Content-length octets, or up to EOF */
  if (hasclen)
  {
    if (len - pos < clen) goto more ;
    if (len - pos > clen) { *why = "more octets than Content-length" ; return -1 ; }
  }
  else if (!eof) return 0 ;
  n = len - pos ;
  while (n && (s[pos + n - 1] == '\n' || s[pos + n - 1] == '\r' || s[pos + n - 1] == ' ')) n-- ;
  for (i = 0 ; i < n ; i++)
    if (!issymbol(s[pos + i])) { *why = "a bad octet in the symbols" ; return -1 ; }
  p->sym = pos ; p->symlen = n ;
  return 1 ;

 more:
  if (!eof) return 0 ;
  *why = len ? "reply cut short" : "no reply" ;
  return -1 ;
}
