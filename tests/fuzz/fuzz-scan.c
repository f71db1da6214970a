/* ISC license. */
/* libFuzzer target: dcr-scan's parsers of clamd's and spamd's replies
   (src/scan/parse.c). The first octet picks the parser and whether the
   scanner has closed (eof); the rest is the reply, in a buffer of its
   exact size. Besides not crashing: "need more" only before EOF; what a
   complete reply points at is inside the input; a signature has no
   blank, quote or control octet; symbols are [A-Za-z0-9_.,-]; a score
   formats and scans back to itself. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/scan/scan.h"

static void tenths (long t)
{
  char s[SCAN_TENTHS_FMT] ;
  long back ;
  size_t n = scan_tenths_fmt(s, t) ;
  if (n >= SCAN_TENTHS_FMT || scan_tenths_scan(s, n, &back) != n || back != t) abort() ;
}

static void clamd (char const *s, size_t len, int eof)
{
  scan_clamdreply c ;
  char const *why = 0 ;
  int r = scan_clamd_parse(s, len, eof, &c, &why) ;
  if (r < -1 || r > 1 || (!r && eof) || (r < 0 && !why)) abort() ;
  if (r != 1) return ;
  if (c.text + c.textlen > len) abort() ;
  switch (c.verdict)
  {
    case 'O' : break ;
    case 'F' :
      if (!c.textlen || c.textlen > SCAN_SIG_MAX) abort() ;
      for (size_t i = c.text ; i < c.text + c.textlen ; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == '"' || s[i] == '\\') abort() ;
      break ;
    case 'E' : break ;
    default : abort() ;
  }
}

static void spamd (char const *s, size_t len, int eof)
{
  scan_spamdreply p ;
  char const *why = 0 ;
  int r = scan_spamd_parse(s, len, eof, &p, &why) ;
  if (r < -1 || r > 1 || (!r && eof) || (r < 0 && !why)) abort() ;
  if (r != 1) return ;
  if (p.text + p.textlen > len) abort() ;
  if (p.code) return ;
  if (p.sym + p.symlen > len) abort() ;
  for (size_t i = p.sym ; i < p.sym + p.symlen ; i++)
    if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,-", s[i]) || !s[i]) abort() ;
  if (p.score > 9999999 || p.score < -9999999 || p.required > 9999999 || p.required < -9999999) abort() ;
  tenths(p.score) ;
  tenths(p.required) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char *s ;
  long t ;
  if (!size) return 0 ;
  s = malloc(size - 1 ? size - 1 : 1) ;
  if (!s) return 0 ;
  memcpy(s, data + 1, size - 1) ;
  if (data[0] & 1) spamd(s, size - 1, !!(data[0] & 2)) ;
  else clamd(s, size - 1, !!(data[0] & 2)) ;
  {
    size_t n = scan_tenths_scan(s, size - 1, &t) ;
    if (n > size - 1) abort() ;
    if (n) tenths(t) ;
  }
  free(s) ;
  return 0 ;
}
