/* ISC license. */
/* The Host header of a plain HTTP/1.x request. The header section is
   parsed once, when its end (an empty line) has arrived; before that
   only the first octet is looked at, so that non-HTTP is refused early. */

#include <string.h>

#include "httphost.h"

static int tchar (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c)) ;
}

/* the end of the header section: the offset just past the empty line */
static size_t header_end (char const *buf, size_t len, size_t *scan)
{
  size_t i = *scan ;
  for (; i < len ; i++)
  {
    if (buf[i] != '\n') continue ;
    if (i + 1 < len && buf[i + 1] == '\n') return i + 2 ;
    if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3 ;
    if (i + 2 >= len) break ;   /* not decided yet: look here again */
  }
  *scan = i ;
  return 0 ;
}

/* one line [*pos, eol) without its CR LF; 0 when there is none */
static int line (char const *buf, size_t end, size_t *pos, size_t *start, size_t *n)
{
  char const *nl = memchr(buf + *pos, '\n', end - *pos) ;
  size_t e ;
  if (!nl) return 0 ;
  e = nl - buf ;
  *start = *pos ;
  *n = e - *pos ;
  if (*n && buf[e - 1] == '\r') (*n)-- ;
  *pos = e + 1 ;
  return 1 ;
}

static enum hello_result request_line (char const *s, size_t n, int *minor, char const **why)
{
  size_t i = 0, t ;
  while (i < n && tchar(s[i])) i++ ;
  if (!i || i == n || s[i] != ' ') { *why = "bad-request-line" ; return HELLO_BAD ; }
  t = ++i ;
  while (i < n && (unsigned char)s[i] > ' ' && (unsigned char)s[i] < 0x7f) i++ ;
  if (i == t || i == n || s[i] != ' ') { *why = "bad-request-line" ; return HELLO_BAD ; }
  i++ ;
  if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) || s[i + 7] < '0' || s[i + 7] > '9') { *why = "not-http1" ; return HELLO_BAD ; }
  *minor = s[i + 7] - '0' ;
  return HELLO_NEED ;
}

/* the Host value, trimmed: reg-name or IPv4 with an optional port */
static enum hello_result host_value (char const *v, size_t n, char *name, char const **why)
{
  size_t i, colon = n ;
  if (!n) return HELLO_NONAME ;
  if (v[0] == '[')
  {
    char const *close = memchr(v, ']', n) ;
    if (!close) { *why = "bad-host" ; return HELLO_BAD ; }
    i = close - v + 1 ;
    if (i < n && v[i] != ':') { *why = "bad-host" ; return HELLO_BAD ; }
    for (i = i + 1 ; i < n ; i++) if (v[i] < '0' || v[i] > '9') { *why = "bad-host" ; return HELLO_BAD ; }
    return HELLO_NONAME ;   /* an IPv6 literal is no name to route by */
  }
  for (i = 0 ; i < n ; i++) if (v[i] == ':') { colon = i ; break ; }
  for (i = colon + 1 ; i < n ; i++) if (v[i] < '0' || v[i] > '9') { *why = "bad-host" ; return HELLO_BAD ; }
  if (colon && v[colon - 1] == '.') colon-- ;   /* an absolute name: "example.com." */
  if (!colon || colon >= HELLO_NAMEMAX) { *why = "bad-host" ; return HELLO_BAD ; }
  memcpy(name, v, colon) ;
  name[colon] = 0 ;
  if (!hello_name_ok(name, colon)) { *why = "bad-host" ; return HELLO_BAD ; }
  return HELLO_NAME ;
}

enum hello_result http_host (char const *buf, size_t len, size_t *scan, char *name, char const **why)
{
  size_t end, pos = 0, s, n ;
  int minor = 0, hosts = 0 ;
  enum hello_result r = HELLO_NONAME ;
  name[0] = 0 ;
  if (len && !tchar(buf[0])) { *why = "not-http" ; return HELLO_BAD ; }
  end = header_end(buf, len > HTTP_MAX ? HTTP_MAX : len, scan) ;
  if (!end)
  {
    if (len >= HTTP_MAX) { *why = "too-big" ; return HELLO_BAD ; }
    return HELLO_NEED ;
  }
  line(buf, end, &pos, &s, &n) ;
  if (request_line(buf + s, n, &minor, why) == HELLO_BAD) return HELLO_BAD ;
  while (line(buf, end, &pos, &s, &n) && n)
  {
    char const *h = buf + s ;
    size_t i = 0, e = n ;
    while (i < n && tchar(h[i])) i++ ;
    if (!i || i == n || h[i] != ':') { *why = "bad-header" ; return HELLO_BAD ; }
    if (i != 4 || strncasecmp(h, "host", 4)) continue ;
    if (hosts++) { *why = "two-hosts" ; return HELLO_BAD ; }
    for (i++ ; i < e && (h[i] == ' ' || h[i] == '\t') ; i++) ;
    while (e > i && (h[e - 1] == ' ' || h[e - 1] == '\t')) e-- ;
    r = host_value(h + i, e - i, name, why) ;
    if (r == HELLO_BAD) return r ;
  }
  if (!hosts && minor >= 1) { *why = "no-host" ; return HELLO_BAD ; }
  return r ;
}
