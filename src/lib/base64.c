/* ISC license. */

#include <dcr/base64.h>

static char const alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

size_t dcr_base64_encode (char *d, char const *s, size_t n)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t i = 0, j = 0 ;
  for (; i + 3 <= n ; i += 3)
  {
    d[j++] = alphabet[u[i] >> 2] ;
    d[j++] = alphabet[((u[i] & 3) << 4) | (u[i+1] >> 4)] ;
    d[j++] = alphabet[((u[i+1] & 15) << 2) | (u[i+2] >> 6)] ;
    d[j++] = alphabet[u[i+2] & 63] ;
  }
  if (n - i == 1)
  {
    d[j++] = alphabet[u[i] >> 2] ;
    d[j++] = alphabet[(u[i] & 3) << 4] ;
    d[j++] = '=' ; d[j++] = '=' ;
  }
  else if (n - i == 2)
  {
    d[j++] = alphabet[u[i] >> 2] ;
    d[j++] = alphabet[((u[i] & 3) << 4) | (u[i+1] >> 4)] ;
    d[j++] = alphabet[(u[i+1] & 15) << 2] ;
    d[j++] = '=' ;
  }
  return j ;
}

static int value (char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return -1 ;
}

ssize_t dcr_base64_decode (char *d, char const *s, size_t n)
{
  size_t i = 0, j = 0 ;
  if (n % 4) return -1 ;
  for (; i < n ; i += 4)
  {
    int a = value(s[i]), b = value(s[i+1]), c = value(s[i+2]), e = value(s[i+3]) ;
    int last = i + 4 == n ;
    if (a < 0 || b < 0) return -1 ;
    d[j++] = (char)((a << 2) | (b >> 4)) ;
    if (c < 0)
    {
      if (!last || s[i+2] != '=' || s[i+3] != '=' || (b & 15)) return -1 ;
      break ;
    }
    d[j++] = (char)(((b & 15) << 4) | (c >> 2)) ;
    if (e < 0)
    {
      if (!last || s[i+3] != '=' || (c & 3)) return -1 ;
      break ;
    }
    d[j++] = (char)(((c & 3) << 6) | e) ;
  }
  return (ssize_t)j ;
}
