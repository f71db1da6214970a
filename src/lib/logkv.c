/* ISC license. */

/* The key=value formatting of the log lines, libc only: linked into the
   skalibs programs (through log.c) and into dcr-sniproxy (libowfat). */

#include <string.h>

#include <dcr/log.h>

static int needs_quotes (char const *s)
{
  if (!*s) return 1 ;
  for (; *s ; s++)
  {
    unsigned char c = *s ;
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\') return 1 ;
  }
  return 0 ;
}

size_t dcr_log_put (char *buf, size_t len, size_t max, char const *s, size_t n)
{
  if (len + n > max) n = max - len ;
  memcpy(buf + len, s, n) ;
  return len + n ;
}

size_t dcr_log_kv (char *buf, size_t len, size_t max, char const *key, char const *value)
{
  static char const hex[] = "0123456789abcdef" ;
  if (len) len = dcr_log_put(buf, len, max, " ", 1) ;
  len = dcr_log_put(buf, len, max, key, strlen(key)) ;
  len = dcr_log_put(buf, len, max, "=", 1) ;
  if (!value) value = "" ;
  if (!needs_quotes(value)) return dcr_log_put(buf, len, max, value, strlen(value)) ;
  len = dcr_log_put(buf, len, max, "\"", 1) ;
  for (; *value ; value++)
  {
    unsigned char c = *value ;
    char esc[4] = { '\\', c, 0, 0 } ;
    if (c == '"' || c == '\\') len = dcr_log_put(buf, len, max, esc, 2) ;
    else if (c < ' ' || c >= 0x7f)
    {
      esc[1] = 'x' ; esc[2] = hex[c >> 4] ; esc[3] = hex[c & 15] ;
      len = dcr_log_put(buf, len, max, esc, 4) ;
    }
    else len = dcr_log_put(buf, len, max, (char *)&c, 1) ;
  }
  return dcr_log_put(buf, len, max, "\"", 1) ;
}
