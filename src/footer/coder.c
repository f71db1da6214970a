/* ISC license. */

/* Streaming quoted-printable (RFC 2045 6.7) and base64 (6.8) for the
   parts dcr-footer re-encodes: lines of at most 76 octets. */

#include <skalibs/buffer.h>

#include <dcr/base64.h>

#include "footer.h"

static char const hex[] = "0123456789ABCDEF" ;

static int emit (ftqp *q, char const *s, size_t n)
{
  if (q->col + n > 75)
  {
    if (buffer_put(q->b, "=\n", 2) < 2) return 0 ;
    q->col = 0 ;
  }
  if (buffer_put(q->b, s, n) < (ssize_t)n) return 0 ;
  q->col += n ;
  return 1 ;
}

static int encoded (ftqp *q, unsigned char c)
{
  char t[3] = { '=', hex[c >> 4], hex[c & 15] } ;
  return emit(q, t, 3) ;
}

/* a space or a tab waits: encoded before a line break, plain otherwise */
int ft_qp_put (ftqp *q, char const *s, size_t n)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = s[i] ;
    if (q->ws)
    {
      char w = q->ws ;
      q->ws = 0 ;
      if (c == '\n' ? !encoded(q, w) : !emit(q, &w, 1)) return 0 ;
    }
    if (c == '\n')
    {
      if (buffer_put(q->b, "\n", 1) < 1) return 0 ;
      q->col = 0 ;
    }
    else if (c == ' ' || c == '\t') q->ws = c ;
    else if (c >= 33 && c <= 126 && c != '=') { if (!emit(q, (char *)&c, 1)) return 0 ; }
    else if (!encoded(q, c)) return 0 ;
  }
  return 1 ;
}

int ft_qp_end (ftqp *q)
{
  if (q->ws)
  {
    char w = q->ws ;
    q->ws = 0 ;
    return encoded(q, w) ;
  }
  return 1 ;
}

static int b64line (ftb64 *e, size_t n, int nl)
{
  char d[76] ;
  size_t k = dcr_base64_encode(d, e->in, n) ;
  if (buffer_put(e->b, d, k) < (ssize_t)k) return 0 ;
  return !nl || buffer_put(e->b, "\n", 1) == 1 ;
}

int ft_b64_put (ftb64 *e, char const *s, size_t n)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    e->in[e->n++] = s[i] ;
    if (e->n == 57)
    {
      if (!b64line(e, 57, 1)) return 0 ;
      e->n = 0 ;
    }
  }
  return 1 ;
}

int ft_b64_end (ftb64 *e, int lastnl)
{
  if (e->n && !b64line(e, e->n, lastnl)) return 0 ;
  e->n = 0 ;
  return 1 ;
}

static int sextet (unsigned char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return c == '=' ? -2 : -1 ;
}

size_t ft_b64_decode_end (ftb64 *e, char *d)
{
  /* padding, or the end of the text: what the quartet holds so far */
  size_t k = 0 ;
  if (e->done) return 0 ;
  if (e->dn == 2) d[k++] = (e->dq >> 4) & 255 ;
  else if (e->dn == 3) { d[k++] = (e->dq >> 10) & 255 ; d[k++] = (e->dq >> 2) & 255 ; }
  e->done = 1 ;
  return k ;
}

size_t ft_b64_decode (ftb64 *e, char *d, char const *s, size_t n)
{
  size_t k = 0 ;
  for (size_t i = 0 ; i < n && !e->done ; i++)
  {
    int v = sextet(s[i]) ;
    if (v == -1) continue ;
    if (v == -2) { k += ft_b64_decode_end(e, d + k) ; break ; }
    e->dq = (e->dq << 6) | v ;
    if (++e->dn == 4)
    {
      d[k++] = (e->dq >> 16) & 255 ;
      d[k++] = (e->dq >> 8) & 255 ;
      d[k++] = e->dq & 255 ;
      e->dq = 0 ; e->dn = 0 ;
    }
  }
  return k ;
}
