/* ISC license. */

#include <string.h>

#include <dcr/line.h>

void dcr_line_init (dcr_line *l)
{
  l->len = 0 ;
  l->cr = l->toolong = l->bare = l->done = 0 ;
  l->buf[0] = 0 ;
}

static void store (dcr_line *l, char c)
{
  if (l->len < sizeof(l->buf) - 1) l->buf[l->len++] = c ;
  else l->toolong = 1 ;
}

static int finish (dcr_line *l)
{
  l->buf[l->len] = 0 ;
  l->done = 1 ;
  return l->toolong ? DCR_LINE_TOOLONG : l->bare ? DCR_LINE_BARE : DCR_LINE_OK ;
}

size_t dcr_line_feed (dcr_line *l, char const *s, size_t n, int *event)
{
  size_t i = 0 ;
  if (l->done) dcr_line_init(l) ;
  while (i < n)
  {
    char c = s[i++] ;
    if (l->cr)
    {
      l->cr = 0 ;
      if (c == '\n') { *event = finish(l) ; return i ; }
      l->bare = 1 ;   /* CR not followed by LF: keep it, go on */
      store(l, '\r') ;
    }
    if (c == '\r') l->cr = 1 ;
    else if (c == '\n')
    {
      l->bare = 1 ;   /* bare LF: not a line end, the line goes on */
      store(l, '\n') ;
    }
    else
    {
      /* fast path: copy a run of ordinary octets */
      size_t j = i ;
      while (j < n && s[j] != '\r' && s[j] != '\n') j++ ;
      store(l, c) ;
      if (j > i)
      {
        size_t room = sizeof(l->buf) - 1 - l->len ;
        size_t k = j - i ;
        if (k > room) { k = room ; l->toolong = 1 ; }
        memcpy(l->buf + l->len, s + i, k) ;
        l->len += k ;
        i = j ;
      }
    }
  }
  *event = DCR_LINE_MORE ;
  return i ;
}

static int verbis (char const *s, size_t len, char const *verb)
{
  size_t i = 0 ;
  for (; i < 4 ; i++)
  {
    char c = i < len ? s[i] : 0 ;
    if (c >= 'a' && c <= 'z') c -= 32 ;
    if (c != verb[i]) return 0 ;
  }
  return len == 4 || s[4] == ' ' ;
}

size_t dcr_line_limit (char const *s, size_t len)
{
  if (verbis(s, len, "AUTH")) return DCR_LINE_MAX_AUTH ;
  return verbis(s, len, "MAIL") || verbis(s, len, "RCPT") ? DCR_LINE_MAX_EXT : DCR_LINE_MAX ;
}
