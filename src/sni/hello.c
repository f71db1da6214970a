/* ISC license. */
/* The ClientHello reader (RFC 8446 sections 4.1.2 and 5.1, RFC 6066
   section 3). Strict and bounded: each call walks the record headers
   only (a few steps per record), and the ClientHello itself is parsed
   once, when its last octet has arrived. Nothing is kept between calls. */

#include <string.h>

#include "hello.h"

#define RECORD_MAX 16384   /* TLSPlaintext.length limit, 2^14 */
#define RECORDS_MAX 256    /* more records for one ClientHello is an attack */

int hello_name_ok (char *s, size_t len)
{
  size_t i, label = 0 ;
  if (!len || len > 253) return 0 ;
  for (i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c == '.')
    {
      if (!label) return 0 ;
      label = 0 ;
      continue ;
    }
    if (c >= 'A' && c <= 'Z') s[i] = c + 32 ;
    else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0 ;
    if (++label > 63) return 0 ;
  }
  return label > 0 ;
}

static unsigned int u16 (unsigned char const *p) { return (p[0] << 8) | p[1] ; }

/* the server_name extension: one host_name, well formed */
static enum hello_result sni (unsigned char const *p, size_t n, char *name, char const **why)
{
  size_t i ;
  int found = 0 ;
  if (n < 2 || u16(p) != n - 2 || n == 2) { *why = "bad-sni-list" ; return HELLO_BAD ; }
  for (i = 2 ; i < n ;)
  {
    size_t k ;
    if (n - i < 3) { *why = "bad-sni-list" ; return HELLO_BAD ; }
    k = u16(p + i + 1) ;
    if (k > n - i - 3) { *why = "bad-sni-list" ; return HELLO_BAD ; }
    if (!p[i])
    {
      if (found++) { *why = "two-sni-names" ; return HELLO_BAD ; }
      if (k >= HELLO_NAMEMAX) { *why = "bad-sni-name" ; return HELLO_BAD ; }
      memcpy(name, p + i + 3, k) ;
      name[k] = 0 ;
      if (memchr(name, 0, k) || !hello_name_ok(name, k)) { *why = "bad-sni-name" ; return HELLO_BAD ; }
    }
    i += 3 + k ;
  }
  return found ? HELLO_NAME : HELLO_NONAME ;
}

/* the ClientHello body, p[0..n) */
static enum hello_result body (unsigned char const *p, size_t n, char *name, char const **why)
{
  unsigned char seen[8192] ;
  enum hello_result r = HELLO_NONAME ;
  size_t i = 0, k ;
  if (n < 2 + 32 + 1 || p[0] != 3) { *why = "bad-version" ; return HELLO_BAD ; }
  i = 2 + 32 ;
  k = p[i++] ;
  if (k > 32 || k > n - i) { *why = "bad-session-id" ; return HELLO_BAD ; }
  i += k ;
  if (n - i < 2) { *why = "bad-ciphers" ; return HELLO_BAD ; }
  k = u16(p + i) ; i += 2 ;
  if (!k || k & 1 || k > n - i) { *why = "bad-ciphers" ; return HELLO_BAD ; }
  i += k ;
  if (n - i < 1) { *why = "bad-compression" ; return HELLO_BAD ; }
  k = p[i++] ;
  if (!k || k > n - i) { *why = "bad-compression" ; return HELLO_BAD ; }
  i += k ;
  if (i == n) return HELLO_NONAME ;   /* no extensions at all (TLS 1.2) */
  if (n - i < 2 || u16(p + i) != n - i - 2) { *why = "bad-extensions" ; return HELLO_BAD ; }
  i += 2 ;
  memset(seen, 0, sizeof(seen)) ;
  while (i < n)
  {
    unsigned int type ;
    if (n - i < 4) { *why = "bad-extensions" ; return HELLO_BAD ; }
    type = u16(p + i) ;
    k = u16(p + i + 2) ;
    i += 4 ;
    if (k > n - i) { *why = "bad-extensions" ; return HELLO_BAD ; }
    if (seen[type >> 3] & (1 << (type & 7))) { *why = "duplicate-extension" ; return HELLO_BAD ; }
    seen[type >> 3] |= 1 << (type & 7) ;
    if (!type)
    {
      r = sni(p + i, k, name, why) ;
      if (r == HELLO_BAD) return r ;
    }
    i += k ;
  }
  return r ;
}

enum hello_result hello_parse (unsigned char const *buf, size_t len, char *name, char const **why)
{
  static unsigned char const zero[4] ;
  unsigned char hdr[4] ;     /* the handshake header, maybe split over records */
  size_t frag[RECORDS_MAX][2] ;   /* offset and length of each fragment */
  size_t off = 0, have = 0, need = 0 ;
  unsigned int nrec = 0, i ;
  memcpy(hdr, zero, 4) ;
  name[0] = 0 ;
  for (;;)
  {
    size_t rlen, take ;
    if (len - off < 5) break ;
    if (buf[off] != 22) { *why = nrec ? "bad-record-type" : "not-tls" ; return HELLO_BAD ; }
    if (buf[off + 1] != 3 || buf[off + 2] > 4) { *why = "bad-record-version" ; return HELLO_BAD ; }
    rlen = u16(buf + off + 3) ;
    if (!rlen || rlen > RECORD_MAX) { *why = "bad-record-length" ; return HELLO_BAD ; }
    if (nrec == RECORDS_MAX) { *why = "too-many-records" ; return HELLO_BAD ; }
    off += 5 ;
    take = len - off < rlen ? len - off : rlen ;
    frag[nrec][0] = off ; frag[nrec][1] = take ; nrec++ ;
    for (i = 0 ; have + i < 4 && i < take ; i++) hdr[have + i] = buf[off + i] ;
    have += take ;
    if (have >= 4 && !need)
    {
      if (hdr[0] != 1) { *why = "not-client-hello" ; return HELLO_BAD ; }
      need = 4 + ((size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3]) ;
      if (need == 4) { *why = "bad-hello-length" ; return HELLO_BAD ; }
      if (need > HELLO_MAX - 5) { *why = "too-big" ; return HELLO_BAD ; }
    }
    if (need && have >= need) break ;
    if (take < rlen) break ;
    off += rlen ;
  }
  if (!need || have < need)
  {
    if (len >= HELLO_MAX) { *why = "too-big" ; return HELLO_BAD ; }
    if (len && buf[0] != 22) { *why = "not-tls" ; return HELLO_BAD ; }
    return HELLO_NEED ;
  }
  /* all there: gather the message, once, and parse it */
  {
    unsigned char msg[HELLO_MAX] ;
    size_t got = 0 ;
    for (i = 0 ; i < nrec && got < need ; i++)
    {
      size_t k = frag[i][1] < need - got ? frag[i][1] : need - got ;
      memcpy(msg + got, buf + frag[i][0], k) ;
      got += k ;
    }
    return body(msg + 4, need - 4, name, why) ;
  }
}
