/* ISC license. */

/* The values of MIME header fields: parameters (RFC 2045, with RFC 2231
   charsets and continuations), RFC 2047 encoded words, tokens. Pure
   functions on an unfolded value; the parser (mime.c) and the filters
   use them. */

#include <stdlib.h>
#include <string.h>

#include <dcr/mime.h>

#include "mimechar.h"

 /* Output into a bounded NUL-terminated string, cut at the first NUL */

typedef struct out_s { char *d ; size_t len, max ; int stop ; } out ;

static void out_init (out *o, char *d, size_t max) { o->d = d ; o->len = 0 ; o->max = max ; o->stop = 0 ; d[0] = 0 ; }
static void out_c (out *o, unsigned char c)
{
  if (o->stop || o->len + 1 >= o->max) return ;
  if (!c) { o->stop = 1 ; return ; }
  o->d[o->len++] = c ; o->d[o->len] = 0 ;
}

/* charset conversion to UTF-8: Latin-1 (and Windows-1252 as Latin-1)
   converted, everything else copied */
static int latin1 (char const *cs)
{
  static char const *const names[] = { "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "us-ascii", 0 } ;
  for (unsigned int i = 0 ; names[i] ; i++)
  {
    size_t j = 0 ;
    for (; names[i][j] && lower(cs[j]) == names[i][j] ; j++) ;
    if (!names[i][j] && !cs[j]) return 1 ;
  }
  return 0 ;
}

static void convert (out *o, char const *cs, char const *s, size_t n)
{
  int l1 = latin1(cs) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = s[i] ;
    if (l1 && c >= 0x80) { out_c(o, 0xc0 | (c >> 6)) ; out_c(o, 0x80 | (c & 0x3f)) ; }
    else out_c(o, c) ;
  }
}


 /* RFC 2047 encoded words */

/* one word at s (len): its length, or 0 if not a well-formed word */
static size_t word2047 (char const *s, size_t len, out *o)
{
  char cs[64], raw[DCR_MIME_NAMEMAX * 2] ;
  size_t i = 2, c = 0, t, e, r = 0 ;
  int enc ;
  if (len < 8 || s[0] != '=' || s[1] != '?') return 0 ;
  for (; i < len && s[i] != '?' ; i++)
  {
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') return 0 ;
    if (c + 1 < sizeof cs) cs[c++] = s[i] ;
  }
  cs[c] = 0 ;
  { char *star = strchr(cs, '*') ; if (star) *star = 0 ; }   /* RFC 2231 language */
  if (i + 3 > len || s[i+2] != '?') return 0 ;
  enc = lower(s[i+1]) ;
  if (enc != 'b' && enc != 'q') return 0 ;
  t = i + 3 ;
  for (e = t ; e + 1 < len && !(s[e] == '?' && s[e+1] == '=') ; e++)
    if (s[e] == ' ' || s[e] == '\t' || s[e] == '\n') return 0 ;
  if (e + 1 >= len) return 0 ;
  if (enc == 'b')
  {
    uint32_t acc = 0 ; unsigned int k = 0 ;
    for (i = t ; i < e ; i++)
    {
      int v = b64val((unsigned char)s[i]) ;
      if (v < 0) continue ;
      acc = (acc << 6) | v ;
      if (++k == 4)
      {
        if (r + 3 <= sizeof raw) { raw[r++] = acc >> 16 ; raw[r++] = acc >> 8 ; raw[r++] = acc ; }
        k = 0 ; acc = 0 ;
      }
    }
    if (k == 2 && r + 1 <= sizeof raw) raw[r++] = acc >> 4 ;
    else if (k == 3 && r + 2 <= sizeof raw) { raw[r++] = acc >> 10 ; raw[r++] = acc >> 2 ; }
  }
  else
    for (i = t ; i < e && r < sizeof raw ; i++)
    {
      if (s[i] == '_') raw[r++] = ' ' ;
      else if (s[i] == '=' && i + 2 < e && hexval(s[i+1]) >= 0 && hexval(s[i+2]) >= 0)
      {
        raw[r++] = (hexval(s[i+1]) << 4) | hexval(s[i+2]) ;
        i += 2 ;
      }
      else raw[r++] = s[i] ;
    }
  convert(o, cs, raw, r) ;
  return e + 2 ;
}

static void decode2047 (char const *s, size_t len, out *o)
{
  size_t i = 0 ;
  int lastword = 0 ;
  while (i < len)
  {
    size_t w = word2047(s + i, len - i, o), j ;
    if (w) { i += w ; lastword = 1 ; continue ; }
    /* whitespace between two encoded words is dropped */
    for (j = i ; j < len && (isblank_(s[j]) || s[j] == '\r' || s[j] == '\n') ; j++) ;
    if (j > i && lastword && j < len)
    {
      out probe = *o ;
      char tmp[4] ;
      probe.d = tmp ; probe.len = 0 ; probe.max = sizeof tmp ; probe.stop = 0 ;
      if (word2047(s + j, len - j, &probe)) { i = j ; continue ; }
    }
    if (j > i) { for (; i < j ; i++) out_c(o, s[i]) ; lastword = 0 ; continue ; }
    out_c(o, s[i++]) ;
    lastword = 0 ;
  }
}

void dcr_mime_decode2047 (char const *s, size_t len, char *d, size_t dlen)
{
  out o ;
  if (!dlen) return ;
  out_init(&o, d, dlen) ;
  decode2047(s, len, &o) ;
}


 /* Parameters (RFC 2045 5.1, RFC 2231) */

/* skip blanks and comments */
static size_t cfws (char const *v, size_t n, size_t i)
{
  for (;;)
  {
    while (i < n && (isblank_(v[i]) || v[i] == '\r' || v[i] == '\n')) i++ ;
    if (i < n && v[i] == '(')
    {
      unsigned int depth = 0 ;
      for (; i < n ; i++)
      {
        if (v[i] == '\\' && i + 1 < n) { i++ ; continue ; }
        if (v[i] == '(') depth++ ;
        else if (v[i] == ')' && !--depth) { i++ ; break ; }
      }
      continue ;
    }
    return i ;
  }
}

static int tspecial (int c) { return c == ';' || c == '=' || c == '"' || c == '(' || c <= ' ' || c == 127 ; }

/* the parameters after the first ';': calls f on each (attribute and
   value, the value unquoted into buf) */
typedef struct param_s { char const *a ; size_t alen ; char const *val ; size_t vlen ; } param ;

static size_t nextparam (char const *v, size_t n, size_t i, param *p, char *buf, size_t bufmax)
{
  size_t b = 0 ;
  /* to the next ';' outside quotes */
  while (i < n && v[i] != ';')
  {
    if (v[i] == '"')
    {
      for (i++ ; i < n && v[i] != '"' ; i++) if (v[i] == '\\') i++ ;
    }
    i++ ;
  }
  if (i >= n) return 0 ;
  i = cfws(v, n, i + 1) ;
  p->a = v + i ;
  while (i < n && !tspecial((unsigned char)v[i]) && v[i] != '(') i++ ;
  p->alen = v + i - p->a ;
  i = cfws(v, n, i) ;
  p->val = buf ; p->vlen = 0 ;
  if (i >= n || v[i] != '=') return i ;
  i = cfws(v, n, i + 1) ;
  if (i < n && v[i] == '"')
  {
    for (i++ ; i < n && v[i] != '"' ; i++)
    {
      if (v[i] == '\\' && i + 1 < n) i++ ;
      if (v[i] == '\r' || v[i] == '\n') continue ;
      if (b < bufmax) buf[b++] = v[i] ;
    }
    if (i < n) i++ ;
  }
  else
    for (; i < n && v[i] != ';' && !isblank_(v[i]) && v[i] != '(' ; i++)
      if (b < bufmax) buf[b++] = v[i] ;
  p->vlen = b ;
  return i ;
}

/* attribute a (alen) against attr: 1 plain, 2 "attr*", 3 "attr*N"
   (*sec = N), 4 "attr*N*"; 0 other */
static int attrkind (char const *a, size_t alen, char const *attr, unsigned int *sec)
{
  size_t n = strlen(attr), i ;
  unsigned int k = 0 ;
  if (alen < n) return 0 ;
  for (i = 0 ; i < n ; i++) if (lower(a[i]) != attr[i]) return 0 ;
  if (alen == n) return 1 ;
  if (a[n] != '*') return 0 ;
  if (alen == n + 1) return 2 ;
  for (i = n + 1 ; i < alen && a[i] >= '0' && a[i] <= '9' ; i++) { k = k * 10 + (a[i] - '0') ; if (k > 1000) return 0 ; }
  if (i == n + 1) return 0 ;
  *sec = k ;
  if (i == alen) return 3 ;
  return i + 1 == alen && a[i] == '*' ? 4 : 0 ;
}

/* the percent-decoding of an extended value into raw */
static size_t pct (char const *s, size_t n, char *raw, size_t r, size_t rmax)
{
  for (size_t i = 0 ; i < n && r < rmax ; i++)
  {
    if (s[i] == '%' && i + 2 < n && hexval(s[i+1]) >= 0 && hexval(s[i+2]) >= 0)
    {
      raw[r++] = (hexval(s[i+1]) << 4) | hexval(s[i+2]) ;
      i += 2 ;
    }
    else raw[r++] = s[i] ;
  }
  return r ;
}

/* "charset'lang'text": the charset into cs, the offset of text */
static size_t extstart (char const *s, size_t n, char *cs, size_t csmax)
{
  char const *q1 = memchr(s, '\'', n), *q2 ;
  size_t c ;
  cs[0] = 0 ;
  if (!q1) return 0 ;
  q2 = memchr(q1 + 1, '\'', s + n - q1 - 1) ;
  if (!q2) return 0 ;
  c = q1 - s < (ptrdiff_t)csmax ? (size_t)(q1 - s) : csmax - 1 ;
  memcpy(cs, s, c) ; cs[c] = 0 ;
  return q2 - s + 1 ;
}

#define PMAX 4096

/* decode: RFC 2047 words in a plain value (not in a boundary) */
static int getparam (char const *v, size_t vlen, char const *attr, char *d, size_t dlen, int decode)
{
  char buf[PMAX], raw[DCR_MIME_NAMEMAX * 2], cs[64] = "" ;
  size_t i, r = 0 ;
  param p ;
  unsigned int sec, want ;
  int found = 0 ;
  out o ;
  if (!dlen) return 0 ;
  out_init(&o, d, dlen) ;

  /* attr* wins, then the continuations attr*0.., then attr */
  for (i = 0 ; (i = nextparam(v, vlen, i, &p, buf, sizeof buf)) ; )
    if (attrkind(p.a, p.alen, attr, &sec) == 2)
    {
      size_t t = extstart(p.val, p.vlen, cs, sizeof cs) ;
      r = pct(p.val + t, p.vlen - t, raw, 0, sizeof raw) ;
      convert(&o, cs, raw, r) ;
      return 1 ;
    }
  for (want = 0 ; want < 64 && r < sizeof raw ; want++)
  {
    int got = 0 ;
    for (i = 0 ; (i = nextparam(v, vlen, i, &p, buf, sizeof buf)) ; )
    {
      int k = attrkind(p.a, p.alen, attr, &sec) ;
      if ((k != 3 && k != 4) || sec != want) continue ;
      if (k == 4)
      {
        size_t t = want ? 0 : extstart(p.val, p.vlen, cs, sizeof cs) ;
        r = pct(p.val + t, p.vlen - t, raw, r, sizeof raw) ;
      }
      else for (size_t j = 0 ; j < p.vlen && r < sizeof raw ; j++) raw[r++] = p.val[j] ;
      got = 1 ;
      break ;
    }
    if (!got) break ;
    found = 1 ;
  }
  if (found) { convert(&o, cs, raw, r) ; return 1 ; }
  for (i = 0 ; (i = nextparam(v, vlen, i, &p, buf, sizeof buf)) ; )
    if (attrkind(p.a, p.alen, attr, &sec) == 1)
    {
      if (decode) decode2047(p.val, p.vlen, &o) ;
      else for (size_t j = 0 ; j < p.vlen ; j++) out_c(&o, p.val[j]) ;
      return 1 ;
    }
  return 0 ;
}

int dcr_mime_param (char const *v, size_t vlen, char const *attr, char *d, size_t dlen)
{
  return getparam(v, vlen, attr, d, dlen, 1) ;
}

int dcr_mime_param_raw (char const *v, size_t vlen, char const *attr, char *d, size_t dlen)
{
  return getparam(v, vlen, attr, d, dlen, 0) ;
}

/* the first token of a value, lower case, into d: its length */
size_t dcr_mime_token (char const *v, size_t n, char *d, size_t dmax, int slash)
{
  size_t i = cfws(v, n, 0), k = 0 ;
  for (; i < n && !tspecial((unsigned char)v[i]) && v[i] != '(' && (slash || v[i] != '/') ; i++)
    if (k + 1 < dmax) d[k++] = lower(v[i]) ;
  d[k] = 0 ;
  return k ;
}
