/* ISC license. */
/* t-addr: the RFC 5321 path parser, with the classic open-relay tricks
   and hostile input. */

#include <string.h>

#include <dcr/addr.h>
#include "tap.h"

static dcr_addr a ;

static int parse (char const *s, unsigned int flags)
{
  size_t used = 0 ;
  int e = dcr_addr_parse(s, strlen(s), flags, &a, &used) ;
  return e ;
}

#define ACCEPT(s, flags, want, name) do { int e_ = parse(s, flags) ; ok(!e_ && !strcmp(a.addr, want), "%s: %s", name, s) ; if (e_) printf("#   error %d\n", e_) ; } while (0)
#define REFUSE(s, flags, err, name) do { int e_ = parse(s, flags) ; ok(e_ == err, "%s: %s", name, s) ; if (e_ != err) printf("#   got %d want %d\n", e_, err) ; } while (0)

int main (void)
{
  char big[600] ;
  size_t used ;

  ACCEPT("<user@example.com>", 0, "user@example.com", "plain") ;
  ACCEPT(" <user@example.com>", 0, "user@example.com", "space after the colon") ;
  ACCEPT("<first.last+tag@sub.example.com>", 0, "first.last+tag@sub.example.com", "dots and plus") ;
  ACCEPT("<\"john doe\"@example.com>", 0, "\"john doe\"@example.com", "quoted local part") ;
  ACCEPT("<u@[192.0.2.1]>", 0, "u@[192.0.2.1]", "IPv4 literal parses") ;
  ok(a.literal, "  and is flagged literal") ;
  ACCEPT("<u@[IPv6:2001:db8::1]>", 0, "u@[IPv6:2001:db8::1]", "IPv6 literal parses") ;
  ACCEPT("<u@x-y.example>", 0, "u@x-y.example", "hyphen in a label") ;
  ACCEPT("<u@localhost>", 0, "u@localhost", "one label") ;
  ok(!parse("<>", DCR_ADDR_NULLOK) && a.kind == DCR_ADDR_NULL, "null sender with NULLOK") ;
  REFUSE("<>", 0, DCR_ADDR_ENULL, "null path without NULLOK") ;
  ok(!parse("<Postmaster>", DCR_ADDR_POSTMASTER) && a.kind == DCR_ADDR_PM, "<Postmaster> in RCPT") ;
  ok(!parse("<POSTMASTER>", DCR_ADDR_POSTMASTER) && a.kind == DCR_ADDR_PM, "<POSTMASTER> any case") ;
  REFUSE("<postmaster>", 0, DCR_ADDR_ESYNTAX, "<postmaster> where not allowed") ;
  REFUSE("<\"postmaster\">", DCR_ADDR_POSTMASTER, DCR_ADDR_ESYNTAX, "quoted postmaster is not Postmaster") ;
  ok(!parse("<a@b.c> SIZE=10", 0) && !dcr_addr_parse("<a@b.c> SIZE=10", 15, 0, &a, &used) && used == 7, "used points after >") ;

  /* the classic open-relay tricks: refused, or flagged so they cannot relay */
  ok(!parse("<user%other.test@local.test>", 0) && a.relayhack, "1 percent hack flagged") ;
  ok(!parse("<other.test!user@local.test>", 0) && a.relayhack, "2 bang path flagged") ;
  REFUSE("<\"user@other.test\"@local.test>", 0, DCR_ADDR_EQUOTED, "3 quoted @") ;
  REFUSE("<\"user%other.test\"@local.test>", 0, DCR_ADDR_EQUOTED, "4 quoted %") ;
  REFUSE("<\"other.test!user\"@local.test>", 0, DCR_ADDR_EQUOTED, "5 quoted !") ;
  REFUSE("<\"user\\@other.test\"@local.test>", 0, DCR_ADDR_EQUOTED, "6 quoted-pair @") ;
  REFUSE("<@local.test:user@other.test>", 0, DCR_ADDR_EROUTE, "7 source route") ;
  REFUSE("<@a.test,@local.test:user@other.test>", 0, DCR_ADDR_EROUTE, "8 source route list") ;
  REFUSE("<user@other.test@local.test>", 0, DCR_ADDR_ESYNTAX, "9 two @") ;
  REFUSE("<user@local.test.>", 0, DCR_ADDR_ESYNTAX, "10 trailing dot") ;
  ok(!parse("<user@[127.0.0.1]>", 0) && a.literal, "11 IP literal flagged") ;
  REFUSE("<user\\@other.test@local.test>", 0, DCR_ADDR_ESYNTAX, "12 backslash outside quotes") ;
  REFUSE("user@local.test", 0, DCR_ADDR_ENOBRACKET, "13 no angle brackets") ;
  REFUSE("<user@local.test", 0, DCR_ADDR_ESYNTAX, "14 no closing bracket") ;
  REFUSE("<user@[1.2.3.4]@local.test>", 0, DCR_ADDR_ESYNTAX, "15 literal then @") ;
  REFUSE("<user@local.test:other.test>", 0, DCR_ADDR_ESYNTAX, "16 colon in domain") ;
  REFUSE("<user@other.test,local.test>", 0, DCR_ADDR_ESYNTAX, "17 comma in domain") ;
  REFUSE("<user@[tag:content]>", 0, DCR_ADDR_ESYNTAX, "18 general address literal") ;
  REFUSE("<user@[999.1.1.1]>", 0, DCR_ADDR_ESYNTAX, "19 bad IPv4 literal") ;
  REFUSE("<user@[IPv6:zz::1]>", 0, DCR_ADDR_ESYNTAX, "20 bad IPv6 literal") ;
  REFUSE("<<user@local.test>>", 0, DCR_ADDR_ESYNTAX, "21 double brackets") ;
  REFUSE("<user @local.test>", 0, DCR_ADDR_ESYNTAX, "22 space in the path") ;

  /* syntax */
  REFUSE("<.user@x.test>", 0, DCR_ADDR_ESYNTAX, "leading dot") ;
  REFUSE("<user.@x.test>", 0, DCR_ADDR_ESYNTAX, "trailing dot in local") ;
  REFUSE("<us..er@x.test>", 0, DCR_ADDR_ESYNTAX, "double dot") ;
  REFUSE("<user@x..test>", 0, DCR_ADDR_ESYNTAX, "empty label") ;
  REFUSE("<user@-x.test>", 0, DCR_ADDR_ESYNTAX, "label starts with hyphen") ;
  REFUSE("<user@x-.test>", 0, DCR_ADDR_ESYNTAX, "label ends with hyphen") ;
  REFUSE("<user@x_y.test>", 0, DCR_ADDR_ESYNTAX, "underscore") ;
  REFUSE("<user@>", 0, DCR_ADDR_ESYNTAX, "empty domain") ;
  REFUSE("<@x.test>", 0, DCR_ADDR_EROUTE, "empty local part is a route") ;
  REFUSE("<user>", 0, DCR_ADDR_ESYNTAX, "no domain") ;
  REFUSE("<us\001er@x.test>", 0, DCR_ADDR_ESYNTAX, "control character") ;
  REFUSE("<\"a\001b\"@x.test>", 0, DCR_ADDR_ESYNTAX, "control character quoted") ;
  REFUSE("<us\177er@x.test>", 0, DCR_ADDR_ESYNTAX, "DEL") ;
  REFUSE("<\"unterminated@x.test>", 0, DCR_ADDR_ESYNTAX, "unterminated quote") ;
  REFUSE("", 0, DCR_ADDR_ENOBRACKET, "empty") ;
  REFUSE("<", 0, DCR_ADDR_ESYNTAX, "lone <") ;
  {
    static char const nul[] = "<us\0er@x.test>" ;
    ok(dcr_addr_parse(nul, sizeof(nul) - 1, 0, &a, &used) == DCR_ADDR_ESYNTAX, "NUL in the path") ;
  }

  /* limits */
  memset(big, 'a', sizeof(big)) ;
  big[0] = '<' ; memcpy(big + 66, "@x.test>", 9) ;
  REFUSE(big, 0, DCR_ADDR_ETOOLONG, "local part of 65") ;
  memcpy(big + 65, "@x.test>", 9) ;
  ok(!parse(big, 0) && a.at == 64, "local part of 64") ;
  {
    /* a domain of 250 in labels of 49 + dots */
    char d[300] ;
    size_t i ;
    memcpy(d, "<u@", 3) ;
    for (i = 3 ; i < 3 + 250 ; i++) d[i] = (i - 3) % 50 == 49 ? '.' : 'b' ;
    memcpy(d + 253, "x>", 3) ;
    ok(!parse(d, 0), "path of 255 octets") ;
    memcpy(d + 253, "xy>", 4) ;
    ok(!parse(d, 0), "path of 256 octets") ;
    memcpy(d + 253, "xyz>", 5) ;
    REFUSE(d, 0, DCR_ADDR_ETOOLONG, "path of 257 octets") ;
    for (i = 3 ; i < 3 + 70 ; i++) d[i] = 'c' ;
    memcpy(d + 73, ".test>", 7) ;
    REFUSE(d, 0, DCR_ADDR_ESYNTAX, "label of 70") ;
  }

  /* UTF-8 */
  ok(!parse("<j\xc3\xbcrgen@m\xc3\xbcller.example>", 0) && a.utf8, "UTF-8 local and domain flagged") ;
  REFUSE("<j\xc3rgen@x.test>", 0, DCR_ADDR_ESYNTAX, "truncated UTF-8") ;
  REFUSE("<j\xc0\xafrgen@x.test>", 0, DCR_ADDR_ESYNTAX, "overlong UTF-8") ;
  REFUSE("<j\xed\xa0\x80@x.test>", 0, DCR_ADDR_ESYNTAX, "UTF-16 surrogate") ;
  REFUSE("<j\xf4\x90\x80\x80@x.test>", 0, DCR_ADDR_ESYNTAX, "above U+10FFFF") ;
  REFUSE("<j\xff@x.test>", 0, DCR_ADDR_ESYNTAX, "0xff") ;
  ok(dcr_utf8_seq("\xe2\x82\xac", 3) == 3 && dcr_utf8_seq("\xf0\x9f\x98\x80", 4) == 4, "utf8 sequences") ;

  /* domain helper */
  ok(dcr_addr_domain("example.com", 11, 0), "domain ok") ;
  ok(!dcr_addr_domain("example.com.", 12, 0), "domain trailing dot") ;
  ok(!dcr_addr_domain("m\xc3\xbc.de", 6, 0) && dcr_addr_domain("m\xc3\xbc.de", 6, 1), "U-label only with utf8") ;

  /* replies carry enhanced codes */
  ok(!strncmp(dcr_addr_reply(DCR_ADDR_EROUTE, 1), "553 5.1.3", 9), "source route reply") ;
  ok(!strncmp(dcr_addr_reply(DCR_ADDR_ESYNTAX, 0), "501 5.1.7", 9), "sender syntax reply") ;
  return done_testing() ;
}
