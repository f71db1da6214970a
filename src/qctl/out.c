/* ISC license. */

#include <string.h>

#include <skalibs/uint64.h>
#include <skalibs/buffer.h>
#include <skalibs/strerr.h>

#include "qctl.h"

/* stdout goes through buffer_1: a million-line listing is a few large
   writes. A failed write is fatal: a listing cut short must not look
   complete. */

static void put (char const *s, size_t n)
{
  if (buffer_put(buffer_1, s, n) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

void out (char const *s)
{
  put(s, strlen(s)) ;
}

void outn (char const *s, size_t n)
{
  put(s, n) ;
}

/* Addresses, replies and headers come from strangers: an ESC sequence
   in a Subject must not reach the administrator's terminal. */
void outesc (char const *s, size_t n)
{
  static char const hex[] = "0123456789abcdef" ;
  size_t i = 0, start = 0 ;
  for (; i < n ; i++)
  {
    unsigned char c = s[i] ;
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
    {
      char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] } ;
      put(s + start, i - start) ;
      put(esc, 4) ;
      start = i + 1 ;
    }
  }
  put(s + start, n - start) ;
}

void outu (uint64_t u)
{
  char fmt[UINT64_FMT] ;
  put(fmt, uint64_fmt(fmt, u)) ;
}

void outpad (char const *s, size_t width)
{
  static char const spaces[] = "                                " ;
  size_t n = strlen(s) ;
  put(s, n) ;
  while (n < width)
  {
    size_t k = width - n > sizeof(spaces) - 1 ? sizeof(spaces) - 1 : width - n ;
    put(spaces, k) ;
    n += k ;
  }
}

void outflush (void)
{
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}

/* Two units at most, as an administrator reads an age: 45s 4m 3h12m 2d3h */
size_t qctl_fmt_dur (char *buf, uint64_t s)
{
  size_t n = 0 ;
  uint64_t big, small ;
  char u1, u2 ;
  if (s < 60) { n = uint64_fmt(buf, s) ; buf[n++] = 's' ; buf[n] = 0 ; return n ; }
  if (s < 3600) { n = uint64_fmt(buf, s / 60) ; buf[n++] = 'm' ; buf[n] = 0 ; return n ; }
  if (s < 86400) { big = s / 3600 ; small = (s % 3600) / 60 ; u1 = 'h' ; u2 = 'm' ; }
  else { big = s / 86400 ; small = (s % 86400) / 3600 ; u1 = 'd' ; u2 = 'h' ; }
  n = uint64_fmt(buf, big) ;
  buf[n++] = u1 ;
  if (small)
  {
    n += uint64_fmt(buf + n, small) ;
    buf[n++] = u2 ;
  }
  buf[n] = 0 ;
  return n ;
}

char const *qctl_rcpt_domain (char const *addr)
{
  char const *at = strrchr(addr, '@') ;
  return at ? at + 1 : "" ;
}

int qctl_domain_eq (char const *a, char const *b)
{
  for (;; a++, b++)
  {
    unsigned char x = *a, y = *b ;
    if (x >= 'A' && x <= 'Z') x += 32 ;
    if (y >= 'A' && y <= 'Z') y += 32 ;
    if (x != y) return 0 ;
    if (!x) return 1 ;
  }
}
