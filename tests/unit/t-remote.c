/* ISC license. */
/* t-remote: dcr-remote's pure parts: the SMTP reply reader, the wire
   encoder (CRLF, dot-stuffing), target and dcr-mx line parsing. */

#include <string.h>

#include <skalibs/ip46.h>

#include "../../src/remote/reply.h"
#include "../../src/remote/wire.h"
#include "../../src/remote/remote.h"
#include "tap.h"

conf cf ;   /* target.c reads it; only the parsers are tested here */
void deadline (tain *d, unsigned int which) { (void)which ; *d = tain_zero ; }

static reply r ;
static char out[REPLY_TEXTMAX + 100] ;

/* feed s in pieces of k octets; returns the last event */
static int feed (char const *s, size_t k)
{
  size_t n = strlen(s), i = 0 ;
  int ev = REPLY_MORE ;
  reply_init(&r) ;
  while (i < n)
  {
    size_t m = n - i < k ? n - i : k ;
    size_t used = reply_feed(&r, s + i, m, &ev) ;
    i += used ;
    if (ev == REPLY_DONE || ev == REPLY_BAD || ev == REPLY_TOOBIG) break ;
  }
  reply_fmt(&r, out, sizeof(out)) ;
  return ev ;
}

static char const *enc (char const *s, size_t k)
{
  static char o[4096] ;
  wire w = WIRE_ZERO ;
  size_t n = strlen(s), i = 0, len = 0 ;
  while (i < n)
  {
    size_t m = n - i < k ? n - i : k ;
    len += wire_encode(&w, s + i, m, o + len) ;
    i += m ;
  }
  len += wire_end(&w, o + len) ;
  o[len] = 0 ;
  return o ;
}

int main (void)
{
  size_t k ;
  char big[REPLY_TOTALMAX + 100] ;
  target t ;
  char const *why ;
  peer p ;
  char line[200] ;

  ok(feed("250 2.1.0 Ok\r\n", 100) == REPLY_DONE && r.code == 250, "one line") ;
  is_str(out, "250 2.1.0 Ok", "formatted") ;
  ok(feed("250 Ok\r\n", 100) == REPLY_DONE, "no enhanced code") ;
  is_str(out, "250 2.0.0 Ok", "2.0.0 made up") ;
  feed("451 try later\r\n", 100) ; is_str(out, "451 4.0.0 try later", "4.0.0 made up") ;
  feed("550\r\n", 100) ; is_str(out, "550 5.0.0", "bare code") ;
  feed("550 4.1.1 mixed\r\n", 100) ; is_str(out, "550 5.0.0 4.1.1 mixed", "enhanced code of another class is text") ;
  for (k = 1 ; k <= 7 ; k += 3)
  {
    ok(feed("550-5.1.1 <bob@x>: no\r\n550-5.1.1 such\r\n550 5.1.1 user\r\n", k) == REPLY_DONE, "multi-line, pieces of %zu", k) ;
    is_str(out, "550 5.1.1 <bob@x>: no such user", "  joined, repeated codes dropped") ;
  }
  feed("250-mx.example Hello\n250-PIPELINING\n250 SIZE 100\n", 100) ;
  is_str(out, "250 2.0.0 mx.example Hello PIPELINING SIZE 100", "bare LF line ends") ;
  ok(feed("250-a\r\n", 100) == REPLY_LINE && !strcmp(reply_linetext(&r), "a"), "continuation line event and text") ;
  ok(feed("hello\r\n", 100) == REPLY_BAD, "garbage is BAD") ;
  ok(feed("25\r\n", 100) == REPLY_BAD, "short code is BAD") ;
  ok(feed("2500 x\r\n", 100) == REPLY_BAD, "four digits is BAD") ;
  ok(feed("150 x\r\n", 100) == REPLY_BAD, "1xx is BAD") ;
  ok(feed("250-a\r\n354 b\r\n", 100) == REPLY_DONE && r.code == 250, "a continuation with another code keeps the first code") ;
  feed("451 a\tb\x01" "c\r\n", 100) ; is_str(out, "451 4.0.0 a b c", "control characters made spaces") ;
  memset(big, 'x', sizeof(big)) ;
  memcpy(big, "250 ", 4) ; big[5000] = '\n' ; big[5001] = 0 ;
  ok(feed(big, 999) == REPLY_DONE, "a 5000-octet line is read") ;
  ok(strlen(out) <= REPLY_TEXTMAX + 20, "  and kept short") ;
  for (k = 0 ; k + 6 < sizeof(big) ; k += 6) memcpy(big + k, "250-x\n", 6) ;
  big[k] = 0 ;
  ok(feed(big, 4096) == REPLY_TOOBIG, "an endless multi-line reply is TOOBIG") ;
  memset(big, 'y', sizeof(big) - 1) ; memcpy(big, "250 ", 4) ; big[sizeof(big) - 1] = 0 ;
  ok(feed(big, 4096) == REPLY_TOOBIG, "a giant line without LF is TOOBIG") ;
  ok(reply_esc("2.1.0", 5) == 5 && reply_esc("5.7.123 x", 9) == 7, "reply_esc") ;
  ok(!reply_esc("3.1.0", 5) && !reply_esc("2.1000.0", 8) && !reply_esc("2..0", 4) && !reply_esc("2.1.0x", 6), "reply_esc refusals") ;

  is_str(enc("a\nb\n", 100), "a\r\nb\r\n.\r\n", "LF to CRLF") ;
  is_str(enc(".\n..\nx.\n.y", 100), "..\r\n...\r\nx.\r\n..y\r\n.\r\n", "dots doubled at line start only; last line ended") ;
  for (k = 1 ; k <= 3 ; k++)
    is_str(enc("a\r\n.b\rc\n.", k), "a\r\n..b\rc\r\n..\r\n.\r\n", "CRLF kept single, lone CR kept, pieces of %zu", k) ;
  is_str(enc("", 10), ".\r\n", "empty message") ;
  is_str(enc("x\r", 10), "x\r\r\n.\r\n", "a CR at the very end") ;
  ok(wire_8bit("abc\x80", 4) && !wire_8bit("abc~\x7f", 5), "8-bit scan") ;

  ok(target_parse("smtp:[127.0.0.1]:2525", &t, &why) && t.kind == TARGET_IP && t.port == 2525, "smtp:[IPv4]:port") ;
  ok(target_parse("smtp:[::1]:25", &t, &why) && t.kind == TARGET_IP && ip46full_is6(&t.ip), "smtp:[IPv6]:port") ;
  ok(target_parse("smtp:[IPv6:2001:db8::1]:25", &t, &why) && ip46full_is6(&t.ip), "smtp:[IPv6:...]") ;
  ok(target_parse("smtp:mail.example.com:587", &t, &why) && t.kind == TARGET_HOST && t.port == 587 && !strcmp(t.name, "mail.example.com"), "smtp:host:port") ;
  ok(target_parse("smtp:mail.example.com", &t, &why) && t.port == 25, "smtp:host, port 25") ;
  ok(target_parse("smtp:10.0.0.1:25", &t, &why) && t.kind == TARGET_IP, "smtp:IPv4 without brackets: no look-up") ;
  ok(target_parse("mx:example.com", &t, &why) && t.kind == TARGET_MX && t.port == 25, "mx:domain") ;
  ok(target_parse("mx:example.com:2525", &t, &why) && t.port == 2525, "mx:domain:port") ;
  ok(!target_parse("smtp:[127.0.0.1]", &t, &why) || t.port == 25, "smtp:[ip] defaults to 25") ;
  ok(!target_parse("smtp:[127.0.0.1]:0", &t, &why), "port 0 refused") ;
  ok(target_parse("smtp:[127.0.0.1]:25", &t, &why) && !t.implicit, "smtp: is not implicit TLS") ;
  ok(target_parse("smtps:[127.0.0.1]", &t, &why) && t.implicit && t.kind == TARGET_IP && t.port == 465, "smtps:[ip]: implicit TLS, port 465") ;
  ok(target_parse("smtps:relay.example.com:4650", &t, &why) && t.implicit && t.kind == TARGET_HOST && t.port == 4650 && !strcmp(t.name, "relay.example.com"), "smtps:host:port") ;
  ok(!target_parse("smtps:", &t, &why), "smtps: without a host refused") ;
  ok(!target_parse("smtpss:[127.0.0.1]:25", &t, &why), "smtpss: refused") ;
  ok(!target_parse("mx:[127.0.0.1]:25", &t, &why), "mx:[ip] refused") ;
  ok(!target_parse("smtp:[127.0.0.1]:65536", &t, &why), "port 65536 refused") ;
  ok(!target_parse("smtp:[127.0.0.1]:25x", &t, &why), "port 25x refused") ;
  ok(!target_parse("smtp:[300.0.0.1]:25", &t, &why), "bad IP refused") ;
  ok(!target_parse("smtp:[127.0.0.1:25", &t, &why), "no ] refused") ;
  ok(!target_parse("smtp::25", &t, &why), "empty host refused") ;
  ok(!target_parse("smtp:bad_host:25", &t, &why), "bad host name refused") ;
  ok(!target_parse("mx:", &t, &why), "empty mx domain refused") ;
  ok(!target_parse("lmtp:x:25", &t, &why) && why && *why, "unknown kind refused with a reason") ;
  ok(!target_parse("maildir:/x", &t, &why), "maildir: is not ours") ;

  strcpy(line, "10\tmx1.example.com\t192.0.2.1") ;
  ok(target_mxline(line, &p) && !strcmp(p.host, "mx1.example.com") && !ip46full_is6(&p.ip), "mx line IPv4") ;
  strcpy(line, "0\tmx6.example.com\t2001:db8::25") ;
  ok(target_mxline(line, &p) && ip46full_is6(&p.ip), "mx line IPv6") ;
  strcpy(line, "x\th\t192.0.2.1") ; ok(!target_mxline(line, &p), "bad pref") ;
  strcpy(line, "10\t\t192.0.2.1") ; ok(!target_mxline(line, &p), "empty host") ;
  strcpy(line, "10\th\t192.0.2.1x") ; ok(!target_mxline(line, &p), "bad ip") ;
  strcpy(line, "10\th") ; ok(!target_mxline(line, &p), "two fields") ;
  return done_testing() ;
}
