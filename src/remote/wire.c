/* ISC license. */

#include "wire.h"

size_t wire_encode (wire *w, char const *in, size_t n, char *out)
{
  size_t i, o = 0 ;
  for (i = 0 ; i < n ; i++)
  {
    char c = in[i] ;
    if (w->cr)
    {
      w->cr = 0 ;
      if (c == '\n') { out[o++] = '\r' ; out[o++] = '\n' ; w->mid = 0 ; continue ; }
      out[o++] = '\r' ;   /* a lone CR: part of the line, as it was */
      w->mid = 1 ;
    }
    if (c == '\r') { w->cr = 1 ; continue ; }
    if (c == '\n') { out[o++] = '\r' ; out[o++] = '\n' ; w->mid = 0 ; continue ; }
    if (c == '.' && !w->mid) out[o++] = '.' ;
    out[o++] = c ;
    w->mid = 1 ;
  }
  return o ;
}

size_t wire_end (wire *w, char *out)
{
  size_t o = 0 ;
  if (w->cr) { out[o++] = '\r' ; w->cr = 0 ; w->mid = 1 ; }
  if (w->mid) { out[o++] = '\r' ; out[o++] = '\n' ; }
  out[o++] = '.' ; out[o++] = '\r' ; out[o++] = '\n' ;
  w->mid = 0 ;
  return o ;
}

int wire_8bit (char const *s, size_t n)
{
  size_t i ;
  for (i = 0 ; i < n ; i++) if ((unsigned char)s[i] >= 0x80) return 1 ;
  return 0 ;
}
