/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#include <dcr/header.h>

static int isname (unsigned char c) { return c > 32 && c < 127 && c != ':' ; }
static int isblank_ (char c) { return c == ' ' || c == '\t' ; }

/* n > 0 if s (len octets) starts a field: the length of its name */
static size_t fieldstart (char const *s, size_t len)
{
  size_t n = 0, i ;
  while (n < len && isname(s[n])) n++ ;
  if (!n) return 0 ;
  for (i = n ; i < len && isblank_(s[i]) ; i++) ;
  return i < len && s[i] == ':' ? n : 0 ;
}

/* 1 if the line s (len octets, LF included) ends the section */
static int ends (char const *s, size_t len, int first)
{
  if ((len == 1 && s[0] == '\n') || (len == 2 && s[0] == '\r' && s[1] == '\n')) return 1 ;   /* the empty line */
  if (!first && isblank_(s[0])) return 0 ;                 /* a continuation */
  return !fieldstart(s, len) ;
}

/* one line into sa (LF included, if any): 1, 0 at EOF with nothing, -1 */
static int line (buffer *b, stralloc *sa, size_t max)
{
  size_t got = 0 ;
  for (;;)
  {
    struct iovec v[2] ;
    ssize_t r ;
    buffer_rpeek(b, v) ;
    for (unsigned int i = 0 ; i < 2 ; i++)
    {
      char const *nl ;
      if (!v[i].iov_len) continue ;   /* an empty part may have no base at all */
      nl = memchr(v[i].iov_base, '\n', v[i].iov_len) ;
      size_t n = nl ? (size_t)(nl - (char *)v[i].iov_base) + 1 : v[i].iov_len ;
      if (sa->len + n > max) { errno = EMSGSIZE ; return -2 ; }
      if (!stralloc_catb(sa, v[i].iov_base, n)) return -1 ;
      buffer_rseek(b, n) ;
      got += n ;
      if (nl) return 1 ;
    }
    r = buffer_fill(b) ;
    if (r < 0) return -1 ;
    if (!r) return got ? 1 : 0 ;
  }
}

int dcr_header_load (buffer *b, stralloc *sa, size_t max)
{
  int first = 1 ;
  sa->len = 0 ;
  for (;;)
  {
    size_t start = sa->len ;
    int r = line(b, sa, max) ;
    if (r == -2) return 0 ;
    if (r < 0) return -1 ;
    if (!r) return 1 ;
    if (ends(sa->s + start, sa->len - start, first)) return 1 ;
    first = 0 ;
  }
}

int dcr_header_next (char const *s, size_t len, size_t *pos, dcr_field *f)
{
  size_t p = *pos, n, e ;
  if (p >= len) return 0 ;
  n = fieldstart(s + p, len - p) ;
  if (!n) return 0 ;
  f->off = p ;
  f->namelen = n ;
  e = p + n ;
  while (s[e] != ':') e++ ;
  f->value = e + 1 ;
  /* to the end of the line, then through the continuation lines */
  for (;;)
  {
    char const *nl = memchr(s + e, '\n', len - e) ;
    if (!nl) { e = len ; break ; }
    e = nl - s + 1 ;
    if (e >= len || !isblank_(s[e])) break ;
  }
  f->len = e - p ;
  f->valuelen = (e > f->value && s[e-1] == '\n' ? e - 1 : e) - f->value ;
  *pos = e ;
  return 1 ;
}

int dcr_header_is (char const *s, dcr_field const *f, char const *name)
{
  size_t n = strlen(name) ;
  if (n != f->namelen) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char a = s[f->off + i], c = name[i] ;
    if (a >= 'A' && a <= 'Z') a += 32 ;
    if (c >= 'A' && c <= 'Z') c += 32 ;
    if (a != c) return 0 ;
  }
  return 1 ;
}

int dcr_header_unfold (char const *s, dcr_field const *f, stralloc *sa)
{
  size_t i = f->value, e = f->value + f->valuelen, start = sa->len ;
  while (i < e && isblank_(s[i])) i++ ;
  for (; i < e ; i++)
    if (s[i] != '\r' && s[i] != '\n' && !stralloc_catb(sa, s + i, 1)) return 0 ;
  while (sa->len > start && isblank_(sa->s[sa->len - 1])) sa->len-- ;
  return 1 ;
}
