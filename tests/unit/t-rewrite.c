/* ISC license. */
/* src/rewrite: the map file (rules, scopes, precedence, broken lines)
   and the header address-list walker (display names, quoted strings,
   comments, groups, folding, routes, what it refuses). */

#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "../../src/rewrite/rewrite.h"
#include "tap.h"

static rw_map map = RW_MAP_ZERO ;

static int parse (char const *text, unsigned int *line, char const **why)
{
  return rw_map_parse(&map, text, strlen(text), line, why) ;
}

/* the rewritten address, "-" when no rule matches */
static char const *apply (unsigned int scope, char const *addr)
{
  static stralloc out = STRALLOC_ZERO ;
  out.len = 0 ;
  if (rw_map_apply(&map, scope, addr, strlen(addr), &out) <= 0) return "-" ;
  stralloc_0(&out) ;
  return out.s ;
}

/* the addr-specs found, joined with '|'; "!" when not parsed */
static char const *spans (char const *v)
{
  static stralloc out = STRALLOC_ZERO ;
  genalloc g = GENALLOC_ZERO ;
  int r = rw_addrlist(v, strlen(v), &g) ;
  out.len = 0 ;
  if (r <= 0) stralloc_cats(&out, "!") ;
  else for (size_t i = 0 ; i < genalloc_len(rw_span, &g) ; i++)
  {
    rw_span const *s = genalloc_s(rw_span, &g) + i ;
    if (i) stralloc_catb(&out, "|", 1) ;
    stralloc_catb(&out, v + s->off, s->len) ;
  }
  stralloc_0(&out) ;
  genalloc_free(rw_span, &g) ;
  return out.s ;
}

static void test_map (void)
{
  unsigned int line = 0 ;
  char const *why = 0 ;
  ok(parse(
    "# masquerading\n"
    "\n"
    "*@internal.example.com -> *@example.com\n"
    "  boss@internal.example.com   ->  ceo@example.com   sender  # a comment\n"
    "@old.test -> @new.test recipient\n"
    "x@list.test -> y@list.test envelope-from header-to\n"
    "a@dup.test -> first@dup.test\n"
    "a@dup.test -> second@dup.test\n"
    "*@keep.test -> fixed@one.test\n"
    "u@exact.test -> *@other.test\r\n", &line, &why) == 1, "a map with every form parses") ;
  ok(genalloc_len(rw_rule, &map.rules) == 8, "8 rules, comments and blank lines skipped") ;
  is_str(apply(RW_ENV_FROM, "joe@internal.example.com"), "joe@example.com", "*@domain keeps the local part") ;
  is_str(apply(RW_HDR_TO, "Joe.Bloggs@INTERNAL.Example.COM"), "Joe.Bloggs@example.com", "domains match in any case, the local part is kept as written") ;
  is_str(apply(RW_ENV_FROM, "boss@internal.example.com"), "ceo@example.com", "an exact address beats the domain rule above it") ;
  is_str(apply(RW_ENV_FROM, "BOSS@internal.example.com"), "ceo@example.com", "local parts match in any case") ;
  is_str(apply(RW_ENV_TO, "boss@internal.example.com"), "boss@example.com", "out of its scope the exact rule is skipped, the domain rule applies") ;
  is_str(apply(RW_ENV_TO, "r@old.test"), "r@new.test", "@domain is *@domain, recipient scope: envelope") ;
  is_str(apply(RW_HDR_TO, "r@old.test"), "r@new.test", "recipient scope: header To/Cc") ;
  is_str(apply(RW_ENV_FROM, "r@old.test"), "-", "recipient scope: not the sender") ;
  is_str(apply(RW_HDR_FROM, "r@old.test"), "-", "recipient scope: not From") ;
  is_str(apply(RW_ENV_FROM, "x@list.test"), "y@list.test", "two scope words: the first") ;
  is_str(apply(RW_HDR_TO, "x@list.test"), "y@list.test", "two scope words: the second") ;
  is_str(apply(RW_ENV_TO, "x@list.test"), "-", "two scope words: nothing else") ;
  is_str(apply(RW_ENV_TO, "a@dup.test"), "first@dup.test", "the first of two equal patterns wins") ;
  is_str(apply(RW_ENV_TO, "anyone@keep.test"), "fixed@one.test", "a fixed replacement for a whole domain") ;
  is_str(apply(RW_ENV_TO, "u@exact.test"), "u@other.test", "* in the replacement of an exact rule: its local part") ;
  is_str(apply(RW_ENV_TO, "joe@sub.internal.example.com"), "-", "a subdomain is not the domain") ;
  is_str(apply(RW_ENV_TO, "joe@example.com"), "-", "an unrelated domain") ;
  is_str(apply(RW_ENV_TO, "Postmaster"), "-", "no domain, no rule") ;
  is_str(apply(RW_ENV_TO, "\"a@b\"@internal.example.com"), "\"a@b\"@example.com", "the last @ splits a quoted local part holding one") ;
  is_str(apply(RW_ENV_TO, "joe@[192.0.2.1]"), "-", "an address literal matches nothing") ;
  is_str(apply(RW_ENV_TO, ""), "-", "an empty address") ;

  {
    static struct { char const *text ; unsigned int line ; char const *why ; } const bad[] =
    {
      { "a@b.test -> c@d.test\nnonsense\n", 2, "expected" },
      { "a@b.test c@d.test\n", 1, "expected" },
      { "a@b.test ->\n", 1, "expected" },
      { "ab.test -> c@d.test\n", 1, "bad pattern" },
      { "a@b..test -> c@d.test\n", 1, "bad pattern" },
      { "a@-b.test -> c@d.test\n", 1, "bad pattern" },
      { "a b@c.test -> c@d.test\n", 1, "expected" },
      { "a*b@c.test -> c@d.test\n", 1, "bad pattern" },
      { ".a@c.test -> c@d.test\n", 1, "bad pattern" },
      { "a@c.test -> c@\n", 1, "bad replacement" },
      { "a@c.test -> c@d.test everywhere\n", 1, "unknown scope" },
      { "\n\n# x\na@c.test -> c@[1.2.3.4]\n", 4, "bad replacement" },
      { "a@c.t\xc3\xa9st -> c@d.test\n", 1, "bad pattern" },
      { "a@c.test -> c@d.test \0\n", 1, "NUL" },
    } ;
    for (unsigned int i = 0 ; i < sizeof bad / sizeof bad[0] ; i++)
    {
      rw_map m = RW_MAP_ZERO ;
      size_t len = strlen(bad[i].text) ;
      if (i == sizeof bad / sizeof bad[0] - 1) len += 2 ;   /* the NUL and the LF after it */
      line = 0 ; why = "" ;
      ok(rw_map_parse(&m, bad[i].text, len, &line, &why) == 0 && line == bad[i].line && strstr(why, bad[i].why),
        "broken map %u: line %u, '%s' (got %u, '%s')", i, bad[i].line, bad[i].why, line, why) ;
      rw_map_free(&m) ;
    }
  }
  {
    char big[RW_LINEMAX + 40] ;
    rw_map m = RW_MAP_ZERO ;
    memset(big, 'a', sizeof big) ;
    memcpy(big + sizeof big - 20, "@x.test -> @y.test\n", 19) ;
    ok(rw_map_parse(&m, big, sizeof big - 1, &line, &why) == 0 && strstr(why, "too long"), "an over-long line is refused") ;
    rw_map_free(&m) ;
  }
}

static void test_addrlist (void)
{
  is_str(spans(" joe@example.com"), "joe@example.com", "a bare address") ;
  is_str(spans(" \"Doe, John\" <john@internal.example.com>"), "john@internal.example.com", "a quoted display name with a comma") ;
  is_str(spans(" John Doe <john@a.test>, mary@b.test"), "john@a.test|mary@b.test", "name-addr and addr-spec") ;
  is_str(spans(" joe@a.test (Joe Bloggs)"), "joe@a.test", "a comment after") ;
  is_str(spans(" (Joe (nested) \\) x) joe@a.test"), "joe@a.test", "a nested comment with a quoted pair before") ;
  is_str(spans(" =?UTF-8?Q?J=C3=B6rg?= <jorg@a.test>"), "jorg@a.test", "an encoded word as the name") ;
  is_str(spans(" a@x.test,\n b@y.test,\n\tc@z.test"), "a@x.test|b@y.test|c@z.test", "folded list") ;
  is_str(spans(" undisclosed-recipients:;"), "", "an empty group") ;
  is_str(spans(" team: a@x.test, B <b@y.test>;, c@z.test"), "a@x.test|b@y.test|c@z.test", "a group among addresses") ;
  is_str(spans(" a@x.test,, ,b@y.test"), "a@x.test|b@y.test", "obsolete empty elements") ;
  is_str(spans(" \"joe smith\"@a.test"), "\"joe smith\"@a.test", "a quoted local part") ;
  is_str(spans(" <joe@[192.0.2.1]>"), "joe@[192.0.2.1]", "a domain literal") ;
  is_str(spans(" <@relay.test,@r2.test:joe@a.test>"), "joe@a.test", "an obsolete route is not part of the address") ;
  is_str(spans(" <>"), "", "an empty angle address") ;
  is_str(spans(""), "", "an empty field") ;
  is_str(spans(" \"a@b.test\" <c@d.test>"), "c@d.test", "an address-looking quoted name is not an address") ;
  is_str(spans(" \xc3\x89lodie <e@f.test>"), "e@f.test", "UTF-8 in a name (RFC 6532)") ;

  is_str(spans(" John Doe"), "!", "a name without address") ;
  is_str(spans(" \"open quote <a@b.test>"), "!", "an unterminated quoted string") ;
  is_str(spans(" (open comment a@b.test"), "!", "an unterminated comment") ;
  is_str(spans(" <a@b.test"), "!", "an unterminated angle address") ;
  is_str(spans(" a@b.test>"), "!", "a stray >") ;
  is_str(spans(" <<a@b.test>>"), "!", "nested angles") ;
  is_str(spans(" g: h: a@b.test;;"), "!", "nested groups") ;
  is_str(spans(" a@b.test;"), "!", "; outside a group") ;
  is_str(spans(" g: a@b.test"), "!", "an unterminated group") ;
  is_str(spans(" a @ b.test"), "!", "white space inside an addr-spec (obsolete): not rewritten") ;
  is_str(spans(" a@b.test <c@d.test>"), "!", "an address as a display name") ;
  is_str(spans(" <a@b.test> x"), "!", "words after the angle address") ;
  is_str(spans(" a@@b.test"), "!", "two @") ;
  is_str(spans(" a.@b.test"), "!", "a trailing dot in the local part") ;
  is_str(spans(" a@b.test."), "!", "a trailing dot in the domain") ;
  is_str(spans(" a\x01@b.test"), "!", "a control character") ;
  is_str(spans(" a)@b.test"), "!", "a stray )") ;
  is_str(spans(" [1.2.3.4"), "!", "an unterminated domain literal") ;
}

int main (void)
{
  test_map() ;
  test_addrlist() ;
  rw_map_free(&map) ;
  return done_testing() ;
}
