/* ISC license. */
/* t-sni: dcr-sniproxy's pure readers (src/sni/hello.c, httphost.c,
   rules.c) on libowfat, never libdcr: real ClientHellos from the fuzz
   corpus (openssl s_client, curl, made ones), each fed whole and one
   byte at a time; HTTP heads; rules: errors with their lines, the most
   specific rule, CIDRs. Run from the top of the tree. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../src/sni/hello.h"
#include "../../src/sni/httphost.h"
#include "../../src/sni/rules.h"

static unsigned char buf[HELLO_MAX * 2] ;

static size_t load (char const *name)
{
  char path[256] ;
  FILE *f ;
  size_t n ;
  snprintf(path, sizeof(path), "tests/fuzz/corpus-fuzz-sni-hello/%s", name) ;
  f = fopen(path, "rb") ;
  if (!f) return 0 ;
  n = fread(buf, 1, sizeof(buf), f) ;
  fclose(f) ;
  return n ;
}

static void hello_case (char const *file, enum hello_result want, char const *what)
{
  char name[HELLO_NAMEMAX] ;
  char const *why = "" ;
  size_t n = load(file), cut ;
  enum hello_result r ;
  ok(n > 0, "%s: corpus file there", file) ;
  r = hello_parse(buf, n, name, &why) ;
  ok(r == want, "%s: result %d (want %d, why=%s)", file, r, want, r == HELLO_BAD ? why : "-") ;
  if (want == HELLO_NAME) is_str(name, what, "%s: the name", file) ;
  if (want == HELLO_BAD) is_str(why, what, "%s: the reason", file) ;
  for (cut = 1 ; cut < n ; cut++)   /* one byte at a time: nothing decided early, unless bad */
    if ((r = hello_parse(buf, cut, name, &why)) != HELLO_NEED) break ;
  if (want == HELLO_BAD) ok(r == HELLO_BAD || cut == n, "%s: byte by byte, bad too", file) ;
  else ok(cut == n, "%s: byte by byte: need more until the last byte (stopped at %zu of %zu)", file, cut, n) ;
}

static unsigned int resolve (char const *host, sni_addr *out, unsigned int max)
{
  if (strcmp(host, "backend.test")) return 0 ;
  memset(out, 0, sizeof(*out)) ;
  out->ip[0] = 127 ; out->ip[3] = 9 ;
  return 1 ;
}

static int self (sni_addr const *a) { return !a->v6 && a->ip[0] == 127 && a->port == 443 ; }

static void rules_bad (char const *text, unsigned int want_line, char const *want)
{
  sni_rules r ;
  unsigned int line ;
  char const *err = "" ;
  int got = sni_rules_parse(text, strlen(text), &r, &line, &err, &resolve, &self) ;
  ok(!got && line == want_line && strstr(err, want), "refused at line %u with \"%s\" (got line %u: %s)", want_line, want, line, err) ;
}

int main (void)
{
  char name[HELLO_NAMEMAX] ;
  char const *why = "" ;
  size_t scan = 0 ;
  sni_rules r ;
  unsigned int line ;
  char const *err = "" ;

  hello_case("openssl-sni", HELLO_NAME, "www.example.com") ;
  hello_case("openssl-tls12", HELLO_NAME, "mail.example.org") ;
  hello_case("curl", HELLO_NAME, "curl.example.net") ;
  hello_case("openssl-nosni", HELLO_NONAME, 0) ;
  hello_case("pq-one-record", HELLO_NAME, "www.example.com") ;
  hello_case("pq-split-700", HELLO_NAME, "www.example.com") ;
  hello_case("split-at-sni", HELLO_NAME, "www.example.com") ;
  hello_case("tiny-records", HELLO_NAME, "www.example.com") ;
  hello_case("two-names", HELLO_BAD, "two-sni-names") ;
  hello_case("bad-reclen", HELLO_BAD, "bad-record-length") ;
  hello_case("bad-msglen", HELLO_BAD, "too-big") ;
  hello_case("sslv2", HELLO_BAD, "not-tls") ;
  hello_case("http", HELLO_BAD, "not-tls") ;
  hello_case("alert", HELLO_BAD, "not-tls") ;
  memset(buf, 0, sizeof(buf)) ;
  /* a ClientHello of 16379 octets in two records: with the headers, 5
     octets more than the bound */
  buf[0] = 22 ; buf[1] = 3 ; buf[2] = 1 ; buf[3] = 0x3e ; buf[4] = 0x80 ;
  buf[5] = 1 ; buf[6] = 0 ; buf[7] = 0x3f ; buf[8] = 0xf7 ;
  buf[5 + 16000] = 22 ; buf[5 + 16001] = 3 ; buf[5 + 16002] = 1 ; buf[5 + 16003] = 0x01 ; buf[5 + 16004] = 0x7b ;
  ok(hello_parse(buf, HELLO_MAX - 1, name, &why) == HELLO_NEED, "a hello over the bound in two records: waiting under it") ;
  ok(hello_parse(buf, HELLO_MAX, name, &why) == HELLO_BAD && !strcmp(why, "too-big"), "at the bound: too-big (%s)", why) ;

  {
    static char const req[] = "GET / HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\nAccept: */*\r\n\r\n" ;
    size_t i ;
    enum hello_result hr = HELLO_NEED ;
    for (i = 1 ; i <= sizeof(req) - 1 && hr == HELLO_NEED ; i++) hr = http_host(req, i, &scan, name, &why) ;
    ok(hr == HELLO_NAME && i == sizeof(req), "http: byte by byte, decided at the last byte") ;
    is_str(name, "www.example.com", "http: the Host, lowercased, without its port") ;
  }
  scan = 0 ;
  ok(http_host("GET / HTTP/1.0\r\n\r\n", 18, &scan, name, &why) == HELLO_NONAME, "http: 1.0 without Host: the default rule") ;
  scan = 0 ;
  ok(http_host("GET / HTTP/1.1\r\n\r\n", 18, &scan, name, &why) == HELLO_BAD && !strcmp(why, "no-host"), "http: 1.1 without Host: bad (%s)", why) ;
  scan = 0 ;
  ok(http_host("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 36, &scan, name, &why) == HELLO_BAD && !strcmp(why, "two-hosts"), "http: two Hosts: bad (%s)", why) ;
  scan = 0 ;
  ok(http_host("\x16\x03\x01", 3, &scan, name, &why) == HELLO_BAD, "http: TLS on an http listener: bad at the first byte") ;

  rules_bad("a.test 127.0.0.1:1\n\n# c\nb.test 127.0.0.1:2 colour=blue\n", 4, "unknown option colour") ;
  rules_bad("a.test 300.1.2.3:25\n", 1, "bad target address") ;
  rules_bad("a.test 127.0.0.1:443\n", 1, "own listeners") ;
  rules_bad("a.test nowhere.test:443\n", 1, "does not resolve") ;
  rules_bad("a.test 127.0.0.1:0\n", 1, "port") ;
  rules_bad("x*y.test 127.0.0.1:1\n", 1, "bad pattern") ;
  rules_bad("a.test\n", 1, "no target") ;
  rules_bad("a.test 127.0.0.1:1\nA.TEST 127.0.0.1:2\n", 2, "twice") ;
  rules_bad("a.test 127.0.0.1:1 allow=10.0.0.0/33\n", 1, "CIDR") ;

  {
    static char const text[] =
      "www.example.com 127.0.0.1:1\n"
      "*.example.com 127.0.0.1:2\n"
      "*.b.example.com 127.0.0.1:3\n"
      "http:www.example.com 127.0.0.1:4\n"
      "* backend.test:5 deny=10.0.0.0/8 allow=10.1.0.0/16,192.0.2.0/24,::1\n" ;
    sni_addr c ;
    int i ;
    ok(sni_rules_parse(text, sizeof(text) - 1, &r, &line, &err, &resolve, &self), "a good file loads") ;
    ok(r.n == 5, "5 rules") ;
    i = sni_rules_match(&r, MODE_TLS, "www.example.com") ; ok(i == 0, "exact beats wildcard") ;
    i = sni_rules_match(&r, MODE_HTTP, "www.example.com") ; ok(i == 3, "http: the mode-prefixed rule") ;
    i = sni_rules_match(&r, MODE_TLS, "x.b.example.com") ; ok(i == 2, "the longer suffix wins") ;
    i = sni_rules_match(&r, MODE_TLS, "example.com") ; ok(i == 4, "*.example.com does not take example.com") ;
    i = sni_rules_match(&r, MODE_TLS, "") ; ok(i == 4, "no name: the default") ;
    ok(r.target[r.rule[4].t0].ip[3] == 9, "a name resolved at load") ;
    memset(&c, 0, sizeof(c)) ;
    c.ip[0] = 10 ; c.ip[1] = 1 ; c.ip[2] = 2 ; c.ip[3] = 3 ;
    ok(!sni_rule_admits(&r, &r.rule[4], &c), "deny wins over allow") ;
    c.ip[0] = 192 ; c.ip[1] = 0 ; c.ip[2] = 2 ; c.ip[3] = 77 ;
    ok(sni_rule_admits(&r, &r.rule[4], &c), "an allowed network") ;
    c.ip[0] = 198 ;
    ok(!sni_rule_admits(&r, &r.rule[4], &c), "with allow=, the rest is denied") ;
    memset(&c, 0, sizeof(c)) ; c.v6 = 1 ; c.ip[15] = 1 ;
    ok(sni_rule_admits(&r, &r.rule[4], &c), "::1 allowed") ;
    sni_rules_free(&r) ;
  }
  return done_testing() ;
}
