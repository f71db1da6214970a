/* ISC license. */
/* t-dkim: DKIM canonicalization (RFC 6376 3.4, its example in 3.4.5,
   the empty-body hashes), the invariance of the body hash under any
   split of the input, the wire form (CR LF kept as one line end, a
   lone CR kept), From-domain extraction, the h= list with From
   oversigned, and the SubjectPublicKeyInfo encoding. */

#include <stdio.h>
#include <string.h>

#include <bearssl.h>
#include <skalibs/stralloc.h>

#include <dcr/base64.h>

#include "tap.h"
#include "../../src/dkim/canon.h"
#include "../../src/dkim/domain.h"
#include "../../src/dkim/key.h"
#include "../../src/dkim/sign.h"

static char const *b64hash (unsigned char const *h)
{
  static char out[48] ;
  out[dcr_base64_encode(out, (char const *)h, 32)] = 0 ;
  return out ;
}

static char const *body (char const *s, size_t n, int relaxed)
{
  dkim_body c ;
  unsigned char h[32] ;
  dkim_body_init(&c, relaxed) ;
  dkim_body_update(&c, s, n) ;
  dkim_body_final(&c, h) ;
  return b64hash(h) ;
}

static char const *sha (char const *s)
{
  br_sha256_context c ;
  unsigned char h[32] ;
  br_sha256_init(&c) ;
  br_sha256_update(&c, s, strlen(s)) ;
  br_sha256_out(&c, h) ;
  return b64hash(h) ;
}

static void body_is (char const *in, int relaxed, char const *canon, char const *what)
{
  char want[48] ;
  strcpy(want, sha(canon)) ;
  is_str(body(in, strlen(in), relaxed), want, "%s body: %s", relaxed ? "relaxed" : "simple", what) ;
}

static void header_is (char const *field, size_t namelen, int relaxed, int noend, char const *want, char const *what)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(dkim_header_canon(&sa, field, strlen(field), namelen, relaxed, noend) && stralloc_0(&sa), "%s: canonicalized", what) ;
  is_str(sa.s, want, "%s header: %s", relaxed ? "relaxed" : "simple", what) ;
  stralloc_free(&sa) ;
}

static void domain_is (char const *from, char const *want)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = dkim_from_domain(from, strlen(from), &sa) ;
  if (want) is_str(r ? sa.s : "(none)", want, "From: %s", from) ;
  else ok(!r, "From: %s: no domain", from) ;
  stralloc_free(&sa) ;
}

int main (void)
{
  /* RFC 6376 3.4.5, in internal form (LF) */
  header_is("A: X\n", 1, 1, 0, "a:X\r\n", "RFC 6376 3.4.5 A") ;
  header_is("B : Y\t\n\tZ  \n", 1, 1, 0, "b:Y Z\r\n", "RFC 6376 3.4.5 B") ;
  header_is("B : Y\t\n\tZ  \n", 1, 0, 0, "B : Y\t\r\n\tZ  \r\n", "RFC 6376 3.4.5 B kept") ;
  body_is(" C \nD \t E\n\n\n", 1, " C\r\nD E\r\n", "RFC 6376 3.4.5") ;
  body_is(" C \nD \t E\n\n\n", 0, " C \r\nD \t E\r\n", "RFC 6376 3.4.5") ;

  /* empty bodies: the well-known hashes */
  is_str(body("", 0, 0), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=", "simple: empty body hashes CRLF") ;
  is_str(body("", 0, 1), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "relaxed: empty body hashes nothing") ;
  is_str(body("\n\n\n", 3, 0), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=", "simple: only empty lines is an empty body") ;
  is_str(body(" \t\n  \n", 6, 1), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "relaxed: only blank lines is an empty body") ;

  body_is("abc", 0, "abc\r\n", "no final LF: one added") ;
  body_is("abc", 1, "abc\r\n", "no final LF: one added") ;
  body_is("a\r\nb\r\n\r\n", 0, "a\r\nb\r\n", "CR LF is one line end") ;
  body_is("a\rb\n", 0, "a\rb\r\n", "a lone CR is kept") ;
  body_is("a\rb\n", 1, "a\rb\r\n", "a lone CR is kept") ;
  body_is("x\r", 0, "x\r\r\n", "a CR at the very end is kept") ;
  body_is("\n\na\n\n b \n\n", 1, "\r\n\r\na\r\n\r\n b\r\n", "empty lines inside are kept, at the end dropped") ;
  body_is("\n\na\n\n b \n\n", 0, "\r\n\r\na\r\n\r\n b \r\n", "empty lines inside are kept, at the end dropped") ;
  body_is("a  \t b\t\n", 1, "a b\r\n", "blanks inside reduced, at the end gone") ;

  /* any split of the input gives the same hash */
  {
    static char const in[] = "Line one  \r\n\tsecond\t line \r\n\r\n\r lone\r\rx\n \n\n\nend  \t\r\n\n\n" ;
    size_t n = sizeof in - 1 ;
    for (int relaxed = 0 ; relaxed < 2 ; relaxed++)
    {
      char want[48] ;
      int same = 1 ;
      strcpy(want, body(in, n, relaxed)) ;
      for (size_t i = 0 ; i <= n ; i++)
        for (size_t j = i ; j <= n ; j++)
        {
          dkim_body c ;
          unsigned char h[32] ;
          dkim_body_init(&c, relaxed) ;
          dkim_body_update(&c, in, i) ;
          dkim_body_update(&c, in + i, j - i) ;
          dkim_body_update(&c, in + j, n - j) ;
          dkim_body_final(&c, h) ;
          if (strcmp(b64hash(h), want)) same = 0 ;
        }
      ok(same, "%s: every three-way split gives the same body hash", relaxed ? "relaxed" : "simple") ;
      /* one octet at a time, and more than the output buffer at once */
      {
        dkim_body c ;
        unsigned char h[32] ;
        dkim_body_init(&c, relaxed) ;
        for (size_t i = 0 ; i < n ; i++) dkim_body_update(&c, in + i, 1) ;
        dkim_body_final(&c, h) ;
        is_str(b64hash(h), want, "%s: octet by octet, the same", relaxed ? "relaxed" : "simple") ;
      }
    }
    {
      static char big[20000] ;
      memset(big, 'x', sizeof big) ;
      big[9999] = '\n' ;
      dkim_body c ;
      unsigned char h[32] ;
      char want[48] ;
      dkim_body_init(&c, 0) ;
      dkim_body_update(&c, big, sizeof big) ;
      dkim_body_final(&c, h) ;
      strcpy(want, b64hash(h)) ;
      dkim_body_init(&c, 0) ;
      for (size_t i = 0 ; i < sizeof big ; i += 7) dkim_body_update(&c, big + i, sizeof big - i < 7 ? sizeof big - i : 7) ;
      dkim_body_final(&c, h) ;
      is_str(b64hash(h), want, "simple: 20000 octets, whole or by 7, the same") ;
    }
  }

  /* header fields */
  header_is("Subject:   a  \t b  \n", 7, 1, 0, "subject:a b\r\n", "blanks reduced and trimmed") ;
  header_is("SUBJECT: x\r\n", 7, 1, 0, "subject:x\r\n", "CR LF end") ;
  header_is("Subject: x\r\n", 7, 0, 0, "Subject: x\r\n", "CR LF end not doubled") ;
  header_is("Subject: x", 7, 0, 0, "Subject: x\r\n", "no LF: CRLF added") ;
  header_is("DKIM-Signature: v=1;\n\tb=", 14, 1, 1, "dkim-signature:v=1; b=", "the signature field, no CRLF") ;
  header_is("DKIM-Signature: v=1;\n\tb=", 14, 0, 1, "DKIM-Signature: v=1;\r\n\tb=", "the signature field, no CRLF") ;
  header_is("X:\n", 1, 1, 0, "x:\r\n", "empty value") ;

  /* From: domains */
  domain_is("alice@Example.COM", "example.com") ;
  domain_is("Alice <alice@example.com>", "example.com") ;
  domain_is("\"a@evil.test, <b@evil.test>\" <alice@example.com>", "example.com") ;
  domain_is("alice@example.com (comment @evil.test (nested @x.y))", "example.com") ;
  domain_is("(c@evil.test) alice@example.com", "example.com") ;
  domain_is("alice @ example . com", "example.com") ;
  domain_is("a@example.com, b@evil.test", "example.com") ;
  domain_is("Group: a@example.com, b@evil.test;", "example.com") ;
  domain_is("Empty:; a@example.com", "example.com") ;
  domain_is("<@r1.test,@r2.test:a@example.com>", "example.com") ;
  domain_is("\"x\\\"@evil.test\"@example.com", "example.com") ;
  domain_is("a@sub-1.example_x.com", "sub-1.example_x.com") ;
  domain_is("a@[192.0.2.1]", 0) ;
  domain_is("a@../etc", 0) ;
  domain_is("a@example.com/x", 0) ;
  domain_is("a@.example.com", 0) ;
  domain_is("a@example..com", 0) ;
  domain_is("a@", 0) ;
  domain_is("alice", 0) ;
  domain_is("", 0) ;
  domain_is("undisclosed-recipients:;", 0) ;
  domain_is("a@exa\xc3\xa9mple.com", 0) ;
  domain_is("a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0) ;   /* a 64-octet label */
  domain_is("(unclosed a@example.com", 0) ;
  domain_is("\"unclosed a@example.com", 0) ;
  {
    stralloc sa = STRALLOC_ZERO ;
    ok(dkim_addr_domain("bounce@Sender.TEST", &sa) && !strcmp(sa.s, "sender.test"), "the sender's domain, lowercased") ;
    ok(!dkim_addr_domain("", &sa), "the null sender has no domain") ;
    stralloc_free(&sa) ;
  }

  /* h=: every instance, From once more, names not present left out */
  {
    static char const hdr[] = "Received: x\nFrom: a@example.com\nSubject: one\nSubject: two\nTo: b\nX-Other: y\n" ;
    stralloc sa = STRALLOC_ZERO ;
    ok(dkim_hlist(&sa, DKIM_DEFAULT_HEADERS, hdr, sizeof hdr - 1) && stralloc_0(&sa), "h= list made") ;
    is_str(sa.s, "from:from:subject:subject:to", "h= for a default list") ;
    sa.len = 0 ;
    ok(dkim_hlist(&sa, "To:from:TO:Subject", hdr, sizeof hdr - 1) && stralloc_0(&sa), "h= list made") ;
    is_str(sa.s, "to:from:from:subject:subject", "h= for -h: a name once, lowercased") ;
    sa.len = 0 ;
    ok(dkim_hlist(&sa, "From", "Subject: x\n", 11) && stralloc_0(&sa), "h= list made") ;
    is_str(sa.s, "from", "no From: still signed once (as absent)") ;
    stralloc_free(&sa) ;
  }

  /* SubjectPublicKeyInfo: lengths and the INTEGER sign octet */
  {
    unsigned char n[] = { 0x00, 0x00, 0xc1, 0x02 }, e[] = { 0x01, 0x00, 0x01 }, der[64] ;
    unsigned char const want[] = { 0x30, 0x1e, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
      0x03, 0x0d, 0x00, 0x30, 0x0a, 0x02, 0x03, 0x00, 0xc1, 0x02, 0x02, 0x03, 0x01, 0x00, 0x01 } ;
    size_t len = dkim_spki(der, sizeof der, n, sizeof n, e, sizeof e) ;
    ok(len == sizeof want && !memcmp(der, want, len), "SPKI of a tiny key: leading zeros dropped, a sign octet put back") ;
    ok(!dkim_spki(der, 10, n, sizeof n, e, sizeof e), "SPKI: too small a buffer is refused") ;
  }
  return done_testing() ;
}
