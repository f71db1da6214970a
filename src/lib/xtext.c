/* ISC license. */

#include <dcr/xtext.h>

static int hexval (char c)
{
  if (c >= '0' && c <= '9') return c - '0' ;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10 ;
  return -1 ;   /* lowercase refused: RFC 3461 says uppercase */
}

static int xchar (unsigned char c)
{
  return c >= '!' && c <= '~' && c != '+' && c != '=' ;
}

long dcr_xtext_decode (char const *s, size_t len, char *out, size_t max)
{
  size_t i = 0, w = 0 ;
  while (i < len)
  {
    unsigned char c = s[i] ;
    if (w >= max) return -1 ;
    if (c == '+')
    {
      int h, l ;
      if (len - i < 3) return -1 ;
      h = hexval(s[i+1]) ; l = hexval(s[i+2]) ;
      if (h < 0 || l < 0) return -1 ;
      out[w++] = (char)(h << 4 | l) ;
      i += 3 ;
    }
    else if (xchar(c)) { out[w++] = c ; i++ ; }
    else return -1 ;
  }
  return (long)w ;
}

int dcr_xtext_valid (char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len)
  {
    if (s[i] == '+')
    {
      if (len - i < 3 || hexval(s[i+1]) < 0 || hexval(s[i+2]) < 0) return 0 ;
      i += 3 ;
    }
    else if (xchar(s[i])) i++ ;
    else return 0 ;
  }
  return 1 ;
}

long dcr_xtext_encode (char const *s, size_t len, char *out, size_t max)
{
  static char const hex[] = "0123456789ABCDEF" ;
  size_t i = 0, w = 0 ;
  for (; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (xchar(c))
    {
      if (w + 1 > max) return -1 ;
      out[w++] = c ;
    }
    else
    {
      if (w + 3 > max) return -1 ;
      out[w++] = '+' ; out[w++] = hex[c >> 4] ; out[w++] = hex[c & 15] ;
    }
  }
  return (long)w ;
}
