/* ISC license. */

/* PROXY protocol header parser: a pure function, see dcr/proxy.h.
   Reference: HAProxy's doc/proxy-protocol.txt. */

#include <string.h>
#include <stdint.h>
#include <sys/types.h>

#include <skalibs/ip46.h>

#include <dcr/cidr.h>
#include <dcr/proxy.h>

static char const v2sig[12] = "\r\n\r\n\0\r\nQUIT\n" ;

static ssize_t bad (char const **why, char const *s)
{
  *why = s ;
  return -1 ;
}

static int prefix_ok (char const *buf, size_t len, char const *want, size_t wantlen)
{
  return !memcmp(buf, want, len < wantlen ? len : wantlen) ;
}

/* v1 field [s, s+n): decimal port without leading zero */
static int v1_port (char const *s, size_t n, uint16_t *port)
{
  uint32_t v = 0 ;
  if (!n || n > 5 || (n > 1 && s[0] == '0')) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (uint32_t)(s[i] - '0') ;
  }
  if (v > 65535) return 0 ;
  *port = (uint16_t)v ;
  return 1 ;
}

/* v1 field: an address of the family the header named */
static int v1_addr (char const *s, size_t n, int is6, ip46full *a)
{
  char tmp[IP6_FMT + 8] ;
  char ip[16] ;
  if (!n || n >= sizeof(tmp)) return 0 ;
  memcpy(tmp, s, n) ; tmp[n] = 0 ;
  if (is6)
  {
    if (dcr_ip6_scan(tmp, ip) != n) return 0 ;
    ip46full_from_ip6(a, ip) ;
    dcr_ip46_unmap(a) ;
  }
  else
  {
    if (dcr_ip4_scan(tmp, ip) != n) return 0 ;
    ip46full_from_ip4(a, ip) ;
  }
  return 1 ;
}

static ssize_t v1 (char const *s, size_t len, dcr_proxy *p, char const **why)
{
  size_t max = len < DCR_PROXY_V1_MAX ? len : DCR_PROXY_V1_MAX ;
  size_t i = 0, end, nf = 0 ;
  char const *f[7] ;
  size_t fl[7] ;
  int is6 ;

  for (; i < max ; i++)
  {
    unsigned char c = s[i] ;
    if (c == '\n') break ;
    if (c == '\r')
    {
      if (i + 1 < len && s[i + 1] != '\n') return bad(why, "v1: CR not followed by LF") ;
      continue ;
    }
    if (c < 0x20 || c > 0x7e) return bad(why, "v1: control or non-ASCII byte") ;
  }
  if (i == max)
    return len >= DCR_PROXY_V1_MAX ? bad(why, "v1: no CRLF within 107 bytes") : 0 ;
  if (!i || s[i - 1] != '\r') return bad(why, "v1: LF without CR") ;
  end = i - 1 ;

  /* split on single spaces; an empty field is an error */
  for (size_t start = 0 ; ; )
  {
    size_t j = start ;
    while (j < end && s[j] != ' ') j++ ;
    if (nf == 7) return bad(why, "v1: too many fields") ;
    f[nf] = s + start ; fl[nf++] = j - start ;
    if (j == end) break ;
    start = j + 1 ;
    /* UNKNOWN: the rest of the line is ignored */
    if (nf == 2 && fl[1] == 7 && !memcmp(f[1], "UNKNOWN", 7)) break ;
  }
  if (nf < 2 || fl[0] != 5) return bad(why, "v1: bad header") ;
  if (fl[1] == 7 && !memcmp(f[1], "UNKNOWN", 7))
  {
    p->version = 1 ; p->local = 1 ;
    return (ssize_t)(i + 1) ;
  }
  if (fl[1] != 4 || memcmp(f[1], "TCP", 3) || (f[1][3] != '4' && f[1][3] != '6'))
    return bad(why, "v1: protocol is not TCP4, TCP6 or UNKNOWN") ;
  is6 = f[1][3] == '6' ;
  if (nf != 6) return bad(why, "v1: wrong number of fields") ;
  if (!v1_addr(f[2], fl[2], is6, &p->src) || !v1_addr(f[3], fl[3], is6, &p->dst))
    return bad(why, "v1: bad address") ;
  if (!v1_port(f[4], fl[4], &p->srcport) || !v1_port(f[5], fl[5], &p->dstport))
    return bad(why, "v1: bad port") ;
  p->version = 1 ; p->local = 0 ;
  return (ssize_t)(i + 1) ;
}

static uint16_t get16 (char const *s)
{
  return (uint16_t)(((unsigned char)s[0] << 8) | (unsigned char)s[1]) ;
}

static ssize_t v2 (char const *s, size_t len, dcr_proxy *p, char const **why)
{
  size_t total, off ;
  unsigned int cmd, fam ;
  if (len > 12)
  {
    if (((unsigned char)s[12] >> 4) != 2) return bad(why, "v2: bad version") ;
    cmd = (unsigned char)s[12] & 15 ;
    if (cmd > 1) return bad(why, "v2: bad command") ;
  }
  else return 0 ;
  if (len < 14) return 0 ;
  fam = (unsigned char)s[13] ;
  if (cmd == 1 && fam != 0x00 && fam != 0x11 && fam != 0x21)
    return bad(why, "v2: family is not TCP over IPv4 or IPv6") ;
  if (len < 16) return 0 ;
  total = 16 + (size_t)get16(s + 14) ;
  if (total > DCR_PROXY_V2_MAX) return bad(why, "v2: header too long") ;
  if (cmd == 1 && fam == 0x11 && total < 16 + 12) return bad(why, "v2: length too short for IPv4") ;
  if (cmd == 1 && fam == 0x21 && total < 16 + 36) return bad(why, "v2: length too short for IPv6") ;
  if (len < total) return 0 ;

  p->version = 2 ;
  if (cmd == 0 || fam == 0x00)
  {
    p->local = 1 ;
    return (ssize_t)total ;
  }
  p->local = 0 ;
  if (fam == 0x11)
  {
    ip46full_from_ip4(&p->src, s + 16) ;
    ip46full_from_ip4(&p->dst, s + 20) ;
    p->srcport = get16(s + 24) ;
    p->dstport = get16(s + 26) ;
    off = 16 + 12 ;
  }
  else
  {
    ip46full_from_ip6(&p->src, s + 16) ;
    ip46full_from_ip6(&p->dst, s + 32) ;
    dcr_ip46_unmap(&p->src) ;
    dcr_ip46_unmap(&p->dst) ;
    p->srcport = get16(s + 48) ;
    p->dstport = get16(s + 50) ;
    off = 16 + 36 ;
  }
  /* TLVs: type (1), length (2), value; they must tile the rest exactly */
  while (off < total)
  {
    if (total - off < 3) return bad(why, "v2: truncated TLV") ;
    off += 3 + (size_t)get16(s + off + 1) ;
    if (off > total) return bad(why, "v2: TLV overruns the header") ;
  }
  return (ssize_t)total ;
}

ssize_t dcr_proxy_parse (char const *buf, size_t len, dcr_proxy *p, char const **why)
{
  *why = "" ;
  if (!len) return 0 ;
  if (buf[0] == 'P')
  {
    if (!prefix_ok(buf, len, "PROXY ", 6)) return bad(why, "v1: bad signature") ;
    return len < 6 ? 0 : v1(buf, len, p, why) ;
  }
  if (!prefix_ok(buf, len, v2sig, 12)) return bad(why, "no PROXY header") ;
  return v2(buf, len, p, why) ;
}
