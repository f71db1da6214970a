/* ISC license. */
/* src/lib/cond.c: scanning conditions, matching them on an envelope,
   and the From: domain of a header section. */

#include <string.h>

#include <skalibs/stralloc.h>

#include <dcr/cond.h>
#include "tap.h"

static dcr_cond_msg msg = { "Alice@Mail.Example.com", "bob@example.org\ncarol@Sub.Partner.test", "192.0.2.7", 0, "example.net" } ;

/* 1 holds, 0 does not, -1 refused by the scanner, -2 not a condition */
static int eval (char const *word)
{
  stralloc pats = STRALLOC_ZERO ;
  dcr_cond c ;
  char const *why = 0 ;
  int r = dcr_cond_scan(word, &c, &pats, &why) ;
  if (r < 0) { stralloc_free(&pats) ; return why ? -1 : -9 ; }
  if (!r) return -2 ;
  r = dcr_cond_match(&c, pats.s, &msg) ;
  stralloc_free(&pats) ;
  return r ;
}

static char const *from (char const *hdr)
{
  static stralloc sa = STRALLOC_ZERO ;
  sa.len = 0 ;
  int r = dcr_from_domain(hdr, strlen(hdr), &sa) ;
  return r == 1 ? sa.s : r == 0 ? "(none)" : "(error)" ;
}

int main (void)
{
  ok(eval("sender=alice@mail.example.com") == 1, "sender, exact, case ignored") ;
  ok(eval("sender=*@mail.example.com") == 1, "sender *@domain") ;
  ok(eval("sender=@MAIL.example.com") == 1, "sender @domain") ;
  ok(eval("sender=*@*.example.com") == 1, "sender *@*.domain") ;
  ok(eval("sender=*@example.com") == 0, "sender *@domain is not its subdomains") ;
  ok(eval("sender=<>") == 0, "sender <> is the null sender only") ;
  ok(eval("sender-domain=mail.example.com") == 1, "sender-domain exact") ;
  ok(eval("sender-domain=*.example.com") == 1, "sender-domain *.domain") ;
  ok(eval("sender-domain=example.com") == 0, "sender-domain exact is not a parent") ;
  ok(eval("!sender-domain=example.com") == 1, "negation") ;
  ok(eval("rcpt-domain=partner.test") == 0, "rcpt-domain exact") ;
  ok(eval("rcpt-domain=nowhere.test,*.partner.test") == 1, "rcpt-domain: any recipient, any pattern") ;
  ok(eval("rcpt=bob@example.org") == 1, "rcpt exact") ;
  ok(eval("rcpt=carol@partner.test") == 0, "rcpt exact, other domain") ;
  ok(eval("from-domain=example.net") == 1, "from-domain") ;
  ok(eval("from-domain=*") == 1, "from-domain *") ;
  ok(eval("ip=192.0.2.0/24") == 1, "ip in a prefix") ;
  ok(eval("ip=2001:db8::/32,198.51.100.0/24") == 0, "ip in no prefix") ;
  ok(eval("auth=*") == 0, "auth=* without AUTH") ;
  ok(eval("!auth=*") == 1, "!auth=* without AUTH") ;
  msg.authuser = "Bob" ;
  ok(eval("auth=Bob") == 1 && eval("auth=bob") == 0, "auth=USER, case kept") ;
  msg.sender = "" ;
  ok(eval("sender=<>") == 1, "sender <> on the null sender") ;
  ok(eval("sender=*") == 0 && eval("sender-domain=*") == 0, "* is no null sender") ;
  ok(eval("ip=10.0.0.1/33") == -1, "a bad prefix is refused") ;
  ok(eval("sender-domain=a b") == -1, "a blank in a domain is refused") ;
  ok(eval("sender-domain=*example.com") == -1, "* only as *. or alone") ;
  ok(eval("rcpt=bob") == -1, "an address pattern needs @") ;
  ok(eval("rcpt-domain=a,,b") == -1, "an empty pattern is refused") ;
  ok(eval("color=red") == -2 && eval("add") == -2, "not a condition") ;

  is_str(from("From: a@B.Example\n"), "b.example", "bare address, lowercased") ;
  is_str(from("Subject: x\nFrom: \"Doe, J <j@evil.test>\" <j@good.test>\n"), "good.test", "quoted display name with an address in it") ;
  is_str(from("From: (comment a@evil.test) j@good.test\n"), "good.test", "comment skipped") ;
  is_str(from("From: team: a@one.test, b@two.test;\n"), "one.test", "a group: its first address") ;
  is_str(from("From: \"a@evil.test\"@good.test\n"), "good.test", "quoted local part with @") ;
  is_str(from("From: J\n <j@fold.test>\n"), "fold.test", "folded") ;
  is_str(from("From: j@good.test.\n"), "good.test", "a root dot dropped") ;
  is_str(from("From: undisclosed\n"), "(none)", "no address") ;
  is_str(from("To: a@b.test\n"), "(none)", "no From:") ;
  is_str(from("From: a@b.test\nFrom: c@d.test\n"), "b.test", "the first From: only") ;
  is_str(from("From: <a@b c.test>\n"), "(none)", "a blank in the domain: no domain") ;
  is_str(from("From:\n"), "(none)", "an empty From:") ;
  return done_testing() ;
}
