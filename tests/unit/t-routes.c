/* ISC license. */
/* The routes file (src/lib/routes.c): parsing, errors with their line,
   most-specific matching, sender= rules, relay domains. */

#include <string.h>

#include <skalibs/strerr.h>

#include <dcr/routes.h>
#include "tap.h"

static char const table[] =
  "# pattern   targets   options\n"
  "example.com   smtp:mail1.example.com:25,smtp:mail2.example.com:25  balance=roundrobin tls=verify ca=/etc/dcrouter/ca.pem\n"
  "*.example.com smtp:[10.0.0.11]:2525   tls=may auth=/etc/dcrouter/auth/relay1\n"
  "\n"
  "local.test    maildir:/var/mail/%u\n"
  "partner.test  smtp:[10.0.0.12]:25     sender=*@sales.example.com\n"
  "partner.test  smtp:[10.0.0.13]:25     rate=60 concurrency=4\n"
  "only.test     smtp:[::1]:25           sender=<>\n"
  "*             mx                      tls=may\n" ;

static dcr_routes r = DCR_ROUTES_ZERO ;

static char const *route (char const *dom, char const *sender)
{
  dcr_route const *rt = dcr_routes_match(&r, dom, strlen(dom), sender) ;
  return rt ? rt->targets[0].spec : "(none)" ;
}

static int broken (char const *text, unsigned int line)
{
  dcr_routes b = DCR_ROUTES_ZERO ;
  int ok = dcr_routes_parse(&b, text, strlen(text)) ;
  int res = !ok && b.errline == line && b.error && !dcr_routes_n(&b) ;
  if (!res) printf("# %s: ok=%d line=%u error=%s\n", text, ok, b.errline, b.error ? b.error : "") ;
  dcr_routes_free(&b) ;
  return res ;
}

int main (void)
{
  dcr_route const *rt ;
  PROG = "t-routes" ;
  ok(dcr_routes_parse(&r, table, sizeof table - 1), "the example table parses") ;
  ok(dcr_routes_n(&r) == 7, "seven rules") ;
  is_str(route("example.com", "a@b.c"), "smtp:mail1.example.com:25", "exact pattern") ;
  is_str(route("EXAMPLE.Com", "a@b.c"), "smtp:mail1.example.com:25", "case-insensitive") ;
  is_str(route("a.b.example.com", "a@b.c"), "smtp:[10.0.0.11]:2525", "*.domain matches a subdomain") ;
  is_str(route("badexample.com", "a@b.c"), "mx", "*.example.com does not match badexample.com") ;
  is_str(route("partner.test", "bob@sales.example.com"), "smtp:[10.0.0.12]:25", "sender= rule beats the plain one") ;
  is_str(route("partner.test", "bob@SALES.example.com"), "smtp:[10.0.0.12]:25", "sender domain case-insensitive") ;
  is_str(route("partner.test", "bob@example.com"), "smtp:[10.0.0.13]:25", "other senders take the plain rule") ;
  is_str(route("only.test", ""), "smtp:[::1]:25", "sender=<> matches the null sender") ;
  is_str(route("only.test", "a@b.c"), "mx", "a sender-only pattern falls back to a less specific rule") ;
  is_str(route("nowhere.test", "a@b.c"), "mx", "default") ;
  rt = dcr_routes_match(&r, "example.com", 11, "") ;
  ok(rt && rt->ntargets == 2 && rt->balance == DCR_BALANCE_ROUNDROBIN && rt->tls == DCR_TLS_VERIFY, "targets and options") ;
  ok(rt && rt->targets[1].kind == DCR_TARGET_SMTP && !strcmp(rt->targets[1].arg, "mail2.example.com:25"), "target arg") ;
  rt = dcr_routes_match(&r, "partner.test", 12, "") ;
  ok(rt && rt->rate == 60 && rt->concurrency == 4 && rt->tls == DCR_TLS_MAY, "rate and concurrency") ;
  rt = dcr_routes_match(&r, "x.example.com", 13, "") ;
  ok(rt && rt->auth && !strcmp(rt->auth, "/etc/dcrouter/auth/relay1"), "auth=") ;
  ok(rt && !rt->ca, "no ca=: 0, the system's bundle") ;
  rt = dcr_routes_match(&r, "example.com", 11, "") ;
  ok(rt && rt->tls == DCR_TLS_VERIFY && rt->ca && !strcmp(rt->ca, "/etc/dcrouter/ca.pem") && !rt->auth, "tls=verify ca=") ;
  rt = dcr_routes_match(&r, "local.test", 10, "") ;
  ok(rt && rt->targets[0].kind == DCR_TARGET_MAILDIR && !strcmp(rt->targets[0].arg, "/var/mail/%u"), "maildir target") ;
  ok(dcr_routes_local(&r, "local.test", 10), "a pattern is local") ;
  ok(dcr_routes_local(&r, "x.example.com", 13), "a subdomain of *.pattern is local") ;
  ok(!dcr_routes_local(&r, "nowhere.test", 12), "* is not local") ;

  ok(broken("a.test\n", 1), "pattern without target") ;
  ok(broken("# c\n\na.test smtp:[1.2.3.4]:0\n", 3), "port 0, error on line 3") ;
  ok(broken("a.test smtp:host\n", 1), "smtp target without port") ;
  ok(broken("a.test smtp:[1.2.3]:25\n", 1), "bad ip literal") ;
  ok(broken("a.test maildir:rel/path\n", 1), "relative maildir") ;
  ok(broken("a.test mx ballance=roundrobin\n", 1), "unknown option (typo)") ;
  ok(broken("a.test mx tls=maybe\n", 1), "bad tls value") ;
  ok(broken("a.test mx tls=verify ca=ca.pem\n", 1), "relative ca=") ;
  ok(broken("a.test smtps:host\n", 1), "smtps target without port") ;
  {
    static char const t2[] = "a.test smtps:[10.0.0.14]:465 tls=verify\n" ;
    dcr_routes r2 = DCR_ROUTES_ZERO ;
    dcr_route const *x ;
    ok(dcr_routes_parse(&r2, t2, strlen(t2)) && (x = dcr_routes_match(&r2, "a.test", 6, "")) && x->ntargets == 1
       && x->targets[0].kind == DCR_TARGET_SMTP && !strcmp(x->targets[0].spec, "smtps:[10.0.0.14]:465"),
       "smtps:[ip]:port is an SMTP target, its spec kept whole") ;
    dcr_routes_free(&r2) ;
  }
  ok(broken("a.test mx ca=/a ca=/b\n", 1), "ca= twice") ;
  ok(broken("a.test mx auth=/a auth=/b\n", 1), "auth= twice") ;
  ok(broken("a.test mx,,mx\n", 1), "empty target") ;
  ok(broken("a.test mx\nb.test mx\na.test smtp:[::1]:25\n", 3), "duplicate pattern names the later line") ;
  ok(broken("a..test mx\n", 1), "bad domain") ;
  ok(broken("a.test mx rate=0\n", 1), "rate=0") ;
  ok(broken("a.test mx sender=nobody\n", 1), "bad sender pattern") ;
  {
    dcr_routes b = DCR_ROUTES_ZERO ;
    ok(dcr_routes_parse(&b, "a.test mx\0\n", 11) == 0 && b.errline == 1, "NUL in a line refused") ;
    ok(dcr_routes_parse(&b, "", 0) == 1 && !dcr_routes_n(&b), "empty file: empty table") ;
    ok(!dcr_routes_match(&b, "a.test", 6, ""), "empty table matches nothing") ;
    dcr_routes_free(&b) ;
  }
  dcr_routes_free(&r) ;
  return done_testing() ;
}
