/* ISC license. */
/* PROXY protocol v1/v2 header parser (src/tcp/proxy.c). */

#include <string.h>
#include <sys/types.h>

#include <skalibs/ip46.h>

#include <dcr/proxy.h>
#include "tap.h"

static dcr_proxy p ;
static char const *why ;

static ssize_t parse (char const *s, size_t len)
{
  memset(&p, 0x5a, sizeof(p)) ;
  return dcr_proxy_parse(s, len, &p, &why) ;
}

static ssize_t parses (char const *s)
{
  return parse(s, strlen(s)) ;
}

static char const *ip (ip46full const *a)
{
  static char buf[2][IP46_FMT] ;
  static int k = 0 ;
  k ^= 1 ;
  buf[k][ip46full_fmt(buf[k], a)] = 0 ;
  return buf[k] ;
}

/* every proper prefix of a valid header asks for more */
static int prefixes_want_more (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
    if (parse(s, i) != 0) return 0 ;
  return 1 ;
}

/* a v2 header: sig, ver_cmd, fam, then body of n bytes */
static size_t v2 (char *out, unsigned char vercmd, unsigned char fam, char const *body, size_t n, size_t declared)
{
  memcpy(out, "\r\n\r\n\0\r\nQUIT\n", 12) ;
  out[12] = (char)vercmd ;
  out[13] = (char)fam ;
  out[14] = (char)(declared >> 8) ;
  out[15] = (char)(declared & 0xff) ;
  memcpy(out + 16, body, n) ;
  return 16 + n ;
}

static char const v4body[12] = { 192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0, 25 } ;
static char const v6body[36] =
{
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
  0xff, 0xff, 0x01, 0xbb
} ;

int main (void)
{
  char buf[4096] ;
  size_t n ;

  /* v1, valid */
  {
    static char const h[] = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO x\r\n" ;
    ok(parses(h) == 44, "v1 TCP4: header length, data after it left alone") ;
    ok(p.version == 1 && !p.local, "v1 TCP4: version 1, PROXY") ;
    is_str(ip(&p.src), "192.0.2.1", "v1 TCP4: source address") ;
    is_str(ip(&p.dst), "198.51.100.2", "v1 TCP4: destination address") ;
    ok(p.srcport == 56324 && p.dstport == 25, "v1 TCP4: ports") ;
    ok(prefixes_want_more(h, 44), "v1 TCP4: every prefix asks for more") ;
  }
  {
    static char const h[] = "PROXY TCP6 2001:db8::1 2001:db8::2 0 65535\r\n" ;
    ok(parses(h) == (ssize_t)strlen(h), "v1 TCP6") ;
    is_str(ip(&p.src), "2001:db8::1", "v1 TCP6: source") ;
    is_str(ip(&p.dst), "2001:db8::2", "v1 TCP6: destination") ;
    ok(p.srcport == 0 && p.dstport == 65535, "v1 TCP6: ports 0 and 65535") ;
  }
  ok(parses("PROXY TCP6 ::ffff:192.0.2.1 ::ffff:192.0.2.2 1 2\r\n") > 0 && !p.src.is6, "v1 TCP6 mapped address becomes IPv4") ;
  is_str(ip(&p.src), "192.0.2.1", "v1 TCP6 mapped source prints as IPv4") ;
  ok(parses("PROXY UNKNOWN\r\n") == 15 && p.local && p.version == 1, "v1 UNKNOWN: keep the real peer") ;
  {
    static char const h[] = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n" ;
    ok(strlen(h) <= 107 && parses(h) == (ssize_t)strlen(h) && p.local, "v1 UNKNOWN with addresses (rest ignored)") ;
  }
  {
    static char const h[] = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n" ;
    ok(parses(h) == (ssize_t)strlen(h) && !p.local, "v1 longest TCP6 header") ;
  }

  /* v1, hostile */
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 56324") == 0, "v1 truncated: wants more") ;
  ok(parses("PROXY") == 0 && parses("P") == 0, "v1 short prefix: wants more") ;
  memset(buf, 'x', sizeof(buf)) ;
  memcpy(buf, "PROXY UNKNOWN ", 14) ;
  ok(parse(buf, 106) == 0, "v1 106 bytes without CRLF: wants more") ;
  ok(parse(buf, 107) < 0, "v1 107 bytes without CRLF: refused") ;
  ok(parse(buf, sizeof(buf)) < 0, "v1 overlong: refused") ;
  memcpy(buf + 105, "\r\n", 2) ;
  ok(parse(buf, 107) == 107, "v1 of exactly 107 bytes accepted") ;
  memcpy(buf + 105, "x\r\n", 3) ;
  ok(parse(buf, 108) < 0, "v1 of 108 bytes refused") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n") < 0, "v1 LF without CR") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\rX\n") < 0, "v1 CR without LF") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\r") == 0, "v1 CR at the end: wants more") ;
  ok(parses("PROXZ TCP4 192.0.2.1 198.51.100.2 1 2\r\n") < 0, "v1 bad signature") ;
  ok(parses("proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n") < 0, "v1 lower-case signature") ;
  ok(parses("GET / HTTP/1.0\r\n") < 0, "HTTP request") ;
  ok(parses("EHLO example.com\r\n") < 0, "SMTP command") ;
  ok(parses("PROXY tcp4 192.0.2.1 198.51.100.2 1 2\r\n") < 0, "v1 lower-case protocol") ;
  ok(parses("PROXY TCP5 192.0.2.1 198.51.100.2 1 2\r\n") < 0, "v1 unknown protocol") ;
  ok(parses("PROXY UNKNOWNX\r\n") < 0, "v1 UNKNOWN with a suffix") ;
  ok(parses("PROXY \r\n") < 0, "v1 empty protocol") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 65536 25\r\n") < 0, "v1 port 65536") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 025 25\r\n") < 0, "v1 port with a leading zero") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 -1 25\r\n") < 0, "v1 negative port") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 2a 25\r\n") < 0, "v1 port not a number") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 9999999999 25\r\n") < 0, "v1 huge port") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 1 \r\n") < 0, "v1 empty port") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n") < 0, "v1 missing port") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n") < 0, "v1 extra field") ;
  ok(parses("PROXY TCP4  192.0.2.1 198.51.100.2 1 2\r\n") < 0, "v1 double space") ;
  ok(parses("PROXY TCP4\t192.0.2.1 198.51.100.2 1 2\r\n") < 0, "v1 tab") ;
  ok(parses("PROXY TCP4 192.0.2 198.51.100.2 1 2\r\n") < 0, "v1 short address") ;
  ok(parses("PROXY TCP4 01.0.2.1 198.51.100.2 1 2\r\n") < 0, "v1 address with a leading zero") ;
  ok(parses("PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n") < 0, "v1 TCP4 with an IPv6 address") ;
  ok(parses("PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n") < 0, "v1 TCP6 with an IPv4 address") ;
  ok(parse("PROXY TCP4 192.0.2.1\0 198.51.100.2 1 2\r\n", 38) < 0, "v1 NUL byte") ;
  ok(parses("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\xff\r\n") < 0, "v1 non-ASCII byte") ;

  /* v2, valid */
  n = v2(buf, 0x21, 0x11, v4body, 12, 12) ;
  memcpy(buf + n, "EHLO", 4) ;
  ok(parse(buf, n + 4) == 28, "v2 TCP4: header length, data after it left alone") ;
  ok(p.version == 2 && !p.local, "v2 TCP4: version 2, PROXY") ;
  is_str(ip(&p.src), "192.0.2.1", "v2 TCP4: source") ;
  is_str(ip(&p.dst), "198.51.100.2", "v2 TCP4: destination") ;
  ok(p.srcport == 56324 && p.dstport == 25, "v2 TCP4: ports") ;
  ok(prefixes_want_more(buf, 28), "v2 TCP4: every prefix asks for more") ;

  n = v2(buf, 0x21, 0x21, v6body, 36, 36) ;
  ok(parse(buf, n) == 52, "v2 TCP6") ;
  is_str(ip(&p.src), "2001:db8::1", "v2 TCP6: source") ;
  is_str(ip(&p.dst), "2001:db8::2", "v2 TCP6: destination") ;
  ok(p.srcport == 65535 && p.dstport == 443, "v2 TCP6: ports") ;
  {
    char b[36] ;
    memcpy(b, v6body, 36) ;
    memset(b, 0, 10) ; b[10] = b[11] = (char)0xff ; b[12] = (char)192 ; b[13] = 0 ; b[14] = 2 ; b[15] = 7 ;
    n = v2(buf, 0x21, 0x21, b, 36, 36) ;
    ok(parse(buf, n) == 52 && !p.src.is6, "v2 TCP6 mapped source becomes IPv4") ;
    is_str(ip(&p.src), "192.0.2.7", "v2 TCP6 mapped source prints as IPv4") ;
  }
  n = v2(buf, 0x20, 0x00, "", 0, 0) ;
  ok(parse(buf, n) == 16 && p.local && p.version == 2, "v2 LOCAL: keep the real peer") ;
  n = v2(buf, 0x20, 0x11, v4body, 12, 12) ;
  ok(parse(buf, n) == 28 && p.local, "v2 LOCAL with addresses: addresses ignored") ;
  n = v2(buf, 0x21, 0x00, "", 0, 0) ;
  ok(parse(buf, n) == 16 && p.local, "v2 PROXY UNSPEC: keep the real peer") ;
  {
    /* TLVs: ALPN "smtp", NOOP of 3 bytes, an empty AUTHORITY */
    char b[12 + 7 + 6 + 3] ;
    memcpy(b, v4body, 12) ;
    memcpy(b + 12, "\x01\x00\x04smtp", 7) ;
    memcpy(b + 19, "\x04\x00\x03\0\0\0", 6) ;
    memcpy(b + 25, "\x02\x00\x00", 3) ;
    n = v2(buf, 0x21, 0x11, b, sizeof(b), sizeof(b)) ;
    ok(parse(buf, n) == (ssize_t)n && !p.local, "v2 TCP4 with TLVs") ;
    is_str(ip(&p.src), "192.0.2.1", "v2 with TLVs: source") ;
    ok(prefixes_want_more(buf, n), "v2 with TLVs: every prefix asks for more") ;
    b[12 + 2] = 5 ;   /* ALPN length now overruns */
    n = v2(buf, 0x21, 0x11, b, sizeof(b), sizeof(b)) ;
    ok(parse(buf, n) < 0, "v2 TLV overrunning the header") ;
    n = v2(buf, 0x21, 0x11, b, 14, 14) ;
    ok(parse(buf, n) < 0, "v2 truncated TLV (2 bytes)") ;
  }

  /* v2, hostile */
  n = v2(buf, 0x21, 0x11, v4body, 12, 12) ;
  ok(parse(buf, 27) == 0, "v2 truncated: wants more") ;
  buf[11] = 'X' ;
  ok(parse(buf, n) < 0, "v2 bad signature") ;
  ok(parse("\r\n\r\n\0\r\nQUIX", 12) < 0, "v2 bad signature, short") ;
  ok(parse("\r\nGET", 5) < 0, "CRLF then text") ;
  n = v2(buf, 0x11, 0x11, v4body, 12, 12) ;
  ok(parse(buf, n) < 0 && parse(buf, 13) < 0, "v2 version 1 nibble") ;
  n = v2(buf, 0x31, 0x11, v4body, 12, 12) ;
  ok(parse(buf, n) < 0, "v2 version 3") ;
  n = v2(buf, 0x22, 0x11, v4body, 12, 12) ;
  ok(parse(buf, n) < 0, "v2 unknown command") ;
  n = v2(buf, 0x21, 0x12, v4body, 12, 12) ;
  ok(parse(buf, n) < 0 && parse(buf, 14) < 0, "v2 UDP refused") ;
  n = v2(buf, 0x21, 0x31, v4body, 12, 12) ;
  ok(parse(buf, n) < 0, "v2 UNIX refused") ;
  n = v2(buf, 0x21, 0x41, v4body, 12, 12) ;
  ok(parse(buf, n) < 0, "v2 unknown family") ;
  n = v2(buf, 0x21, 0x11, v4body, 11, 11) ;
  ok(parse(buf, n) < 0 && parse(buf, 16) < 0, "v2 TCP4 length too short for the addresses") ;
  n = v2(buf, 0x21, 0x21, v6body, 35, 35) ;
  ok(parse(buf, n) < 0, "v2 TCP6 length too short for the addresses") ;
  n = v2(buf, 0x21, 0x21, v4body, 12, 12) ;
  ok(parse(buf, n) < 0, "v2 TCP6 family with IPv4-sized block") ;
  n = v2(buf, 0x21, 0x11, v4body, 12, 0xffff) ;
  ok(parse(buf, 16) < 0, "v2 length 65535: refused at once, not waited for") ;
  n = v2(buf, 0x20, 0x00, v4body, 12, DCR_PROXY_V2_MAX - 16 + 1) ;
  ok(parse(buf, 16) < 0, "v2 LOCAL longer than the limit") ;
  memset(buf + 16, 0, DCR_PROXY_V2_MAX) ;
  n = v2(buf, 0x20, 0x00, buf + 16, 0, DCR_PROXY_V2_MAX - 16) ;
  ok(parse(buf, DCR_PROXY_V2_MAX) == DCR_PROXY_V2_MAX, "v2 at the length limit accepted") ;

  /* neither */
  ok(parse("", 0) == 0, "empty buffer: wants more") ;
  ok(parses("\x16\x03\x01") < 0, "TLS ClientHello") ;
  ok(parses("QUIT\r\n") < 0, "plain data") ;
  return done_testing() ;
}
