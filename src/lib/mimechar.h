/* ISC license. */
/* Character classes shared by the MIME parser (mime.c) and its field
   value decoders (mimefield.c). Internal to src/lib. */
#ifndef DCR_MIMECHAR_H
#define DCR_MIMECHAR_H

static inline int lower (int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c ; }
static inline int isblank_ (int c) { return c == ' ' || c == '\t' ; }
static inline int hexval (int c)
{
  if (c >= '0' && c <= '9') return c - '0' ;
  c = lower(c) ;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1 ;
}
static inline int b64val (int c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  return c == '+' ? 62 : c == '/' ? 63 : -1 ;
}

#endif
