/* ISC license. */
/* src/lib/mime.c: the streaming MIME parser. Each case is fed whole and
   one octet at a time; both must give the same events. */

#include <stdio.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include <dcr/mime.h>
#include "tap.h"

static stralloc tr = STRALLOC_ZERO ;   /* the transcript of the events */
static int lastdata = -1 ;

static void cat (char const *s) { stralloc_cats(&tr, s) ; }

static void on_begin (void *ctx, dcr_mime_part const *p)
{
  char buf[2048] ;
  snprintf(buf, sizeof buf, "[B%u d%u p%u %s%s%s cte%u cs=%s disp=%s fn=%s n=%s h%llu b%llu]",
    p->index, p->depth, p->parent, p->type, p->multipart ? " multi" : "", p->message ? " msg" : "",
    p->cte, p->charset, p->disposition, p->filename, p->name,
    (unsigned long long)p->hdr_off, (unsigned long long)p->body_off) ;
  cat(buf) ;
  lastdata = -1 ;
}

static void on_data (void *ctx, dcr_mime_part const *p, char const *s, size_t n)
{
  if (lastdata != (int)p->index)
  {
    char buf[32] ;
    snprintf(buf, sizeof buf, "[D%u]", p->index) ;
    cat(buf) ;
    lastdata = p->index ;
  }
  stralloc_catb(&tr, s, n) ;
}

static void on_end (void *ctx, dcr_mime_part const *p)
{
  char buf[64] ;
  snprintf(buf, sizeof buf, "[E%u e%llu m%u]", p->index, (unsigned long long)p->end_off, p->malformed) ;
  cat(buf) ;
  lastdata = -1 ;
}

static dcr_mime_events const ev = { &on_begin, &on_data, &on_end } ;

static unsigned int gmal ;
static int gerr ;

/* the transcript of text fed in chunks of size step (0: whole), NUL-terminated in tr */
static char const *parse1 (char const *text, size_t len, dcr_mime_limits const *lim, size_t step)
{
  dcr_mime p ;
  tr.len = 0 ; lastdata = -1 ;
  if (!dcr_mime_init(&p, lim, &ev, 0)) return "init failed" ;
  if (!step) dcr_mime_feed(&p, text, len) ;
  else for (size_t i = 0 ; i < len ; i += step) dcr_mime_feed(&p, text + i, len - i < step ? len - i : step) ;
  dcr_mime_finish(&p) ;
  gmal = p.malformed ; gerr = p.err ;
  dcr_mime_free(&p) ;
  stralloc_0(&tr) ;
  return tr.s ;
}

static stralloc whole = STRALLOC_ZERO ;

/* parse whole and byte by byte; checks they agree; the whole transcript */
static char const *parse (char const *text, dcr_mime_limits const *lim)
{
  size_t len = strlen(text) ;
  unsigned int m ; int e ;
  parse1(text, len, lim, 0) ;
  whole.len = 0 ; stralloc_catb(&whole, tr.s, tr.len) ;
  m = gmal ; e = gerr ;
  parse1(text, len, lim, 1) ;
  ok(!strcmp(tr.s, whole.s) && m == gmal && e == gerr, "same events fed whole and octet by octet") ;
  if (strcmp(tr.s, whole.s)) printf("#   whole: %s\n#   bytes: %s\n", whole.s, tr.s) ;
  parse1(text, len, lim, 7) ;
  ok(!strcmp(tr.s, whole.s), "same events fed 7 octets at a time") ;
  gmal = m ; gerr = e ;
  return whole.s ;
}

static int has (char const *hay, char const *needle)
{
  int r = strstr(hay, needle) != 0 ;
  if (!r) printf("#   '%s' not in: %s\n", needle, hay) ;
  return r ;
}

int main (void)
{
  char const *t ;
  char name[DCR_MIME_NAMEMAX] ;

  t = parse("Subject: x\n\nhello\nworld\n", 0) ;
  is_str(t, "[B0 d0 p0 text/plain cte0 cs= disp= fn= n= h0 b12][D0]hello\nworld\n[E0 e24 m0]", "a plain message: one leaf, the body whole") ;

  t = parse("Content-Type: multipart/mixed; boundary=\"XX\"\n\npreamble\n--XX\nContent-Type: text/plain; charset=UTF-8\n\none\n--XX\n\ntwo\n\n--XX--\nepilogue\n", 0) ;
  ok(has(t, "[B0 d0 p0 multipart/mixed multi") && has(t, "[B1 d1 p0 text/plain cte0 cs=utf-8") && has(t, "[D1]one[E1 e") && has(t, "[D2]two\n[E2"), "multipart/mixed: two parts, the newline before a delimiter is not the body's") ;
  ok(!strstr(t, "preamble") && !strstr(t, "epilogue") && gmal == 0, "preamble and epilogue not passed on, not malformed") ;
  {
    char const *m = "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n\nabc\n--XX--\n" ;
    t = parse(m, 0) ;
    ok(has(t, "[B1 d1 p0 text/plain cte0 cs= disp= fn= n= h49 b50][D1]abc[E1 e53 m0]") && !memcmp(m + 50, "abc\n--XX", 8), "offsets: header, body, end of the part") ;
  }

  t = parse("Content-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: multipart/alternative; boundary=B\n\n--B\n\nplain\n--B\nContent-Type: text/html\n\n<p>html\n--B--\n--A\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"a.pdf.exe\"\nContent-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA//8AALgAAAAA\n--A--\n", 0) ;
  ok(has(t, "[B2 d2 p1 text/plain") && has(t, "[B3 d2 p1 text/html") && has(t, "[B4 d1 p0 application/octet-stream cte3 cs= disp=attachment fn=a.pdf.exe"), "nested multipart/alternative in multipart/mixed: depths, parents, file name") ;
  ok(has(t, "[D4]MZ\x90"), "base64 decoded") ;

  t = parse("Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nclick=20here =\nto w=69n=3D\nlast line=\n", 0) ;
  ok(has(t, "[D0]click here to win=\nlast line[E0"), "quoted-printable: =XX and soft line breaks") ;

  t = parse("Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=ZZb=\n", 0) ;
  ok(has(t, "[D0]a=ZZb") && (gmal & DCR_MIME_MQP), "quoted-printable: a bad '=' is kept and flagged") ;

  t = parse("Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVs\nbG8=\nd29y bGQ=\n", 0) ;
  ok(has(t, "[D0]hellowor") && has(t, "ld[E0"), "base64 over lines, decoding goes on after padding") ;
  t = parse("Content-Transfer-Encoding: base64\n\naGVs*bG8\n", 0) ;
  ok(has(t, "[D0]hello[E0") && (gmal & DCR_MIME_MBASE64), "base64: a character outside the alphabet is skipped and flagged") ;

  /* file names */
  ok(dcr_mime_param("attachment; filename*=UTF-8''%C3%A9t%C3%A9.EXE", 46, "filename", name, sizeof name) && !strcmp(name, "\xc3\xa9t\xc3\xa9.EXE"), "RFC 2231 filename*= with a charset") ;
  {
    char const *v = "attachment; filename*0*=UTF-8'en'long%20na; filename*1=\"me.pd\"; filename*2*=f%2Eexe; filename=\"decoy.txt\"" ;
    ok(dcr_mime_param(v, strlen(v), "filename", name, sizeof name) && !strcmp(name, "long name.pdf.exe"), "RFC 2231 continuations, encoded and not, beat the plain parameter") ;
  }
  {
    char const *v = "attachment; filename*=iso-8859-1'fr'caf%E9.scr" ;
    ok(dcr_mime_param(v, strlen(v), "filename", name, sizeof name) && !strcmp(name, "caf\xc3\xa9.scr"), "RFC 2231 in ISO-8859-1: converted to UTF-8") ;
  }
  {
    char const *v = "application/octet-stream; name=\"=?UTF-8?B?w6l0w6kuZXhl?=\"" ;
    ok(dcr_mime_param(v, strlen(v), "name", name, sizeof name) && !strcmp(name, "\xc3\xa9t\xc3\xa9.exe"), "RFC 2047 B word in name=") ;
  }
  {
    char const *w = "=?iso-8859-1?Q?caf=E9?= =?UTF-8?Q?_x.exe?= tail" ;
    dcr_mime_decode2047(w, strlen(w), name, sizeof name) ;
  }
  is_str(name, "caf\xc3\xa9 x.exe tail", "RFC 2047: Q words, the space between two words dropped") ;
  ok(dcr_mime_param("x; filename*=''a.exe%00.txt", 27, "filename", name, sizeof name) && !strcmp(name, "a.exe"), "a name is cut at a NUL octet") ;
  ok(!dcr_mime_param("x; name=a", 9, "filename", name, sizeof name) && !name[0], "an absent parameter") ;
  ok(dcr_mime_param("x; (comment) FileName = \"a \\\"b\\\" c\" ; y=1", 41, "filename", name, sizeof name) && !strcmp(name, "a \"b\" c"), "quoted-string with escapes, comment, case of the attribute") ;

  t = parse("Content-Type: multipart/mixed; boundary=Z\n\n--Z\nContent-Type: application/x-msdownload; name=\"=?UTF-8?B?w6l0w6kuZXhl?=\"\nContent-Disposition: attachment;\n filename*0*=UTF-8''%C3%A9t;\n filename*1*=%C3%A9.exe\n\nx\n--Z--\n", 0) ;
  ok(has(t, "application/x-msdownload cte0 cs= disp=attachment fn=\xc3\xa9t\xc3\xa9.exe n=\xc3\xa9t\xc3\xa9.exe"), "folded header fields: both names decoded") ;

  /* malformed */
  t = parse("Content-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Disposition: attachment; filename=a.exe\n\nbody\n", 0) ;
  ok(has(t, "fn=a.exe") && has(t, "[D1]body\n[E1") && (gmal & DCR_MIME_MNOCLOSE), "no close delimiter: the rest is the part's body, flagged") ;
  t = parse("Content-Type: multipart/mixed\n\n--Q\n\nbody\n--Q--\n", 0) ;
  ok(has(t, "[B0 d0 p0 multipart/mixed cte0") && !strstr(t, "multi ") && has(t, "[D0]--Q\n\nbody\n--Q--\n") && (gmal & DCR_MIME_MNOBOUNDARY), "multipart without a boundary: a leaf, flagged") ;
  t = parse("Content-Type: multipart/mixed; boundary=S\n\n--S\nContent-Type: multipart/mixed; boundary=S\n\n--S\nContent-Disposition: attachment; filename=x.exe\n\ny\n--S--\n", 0) ;
  ok((gmal & DCR_MIME_MSAMEBOUNDARY) && has(t, "fn=x.exe"), "nested boundary equal to the parent's: a leaf, the next parts still seen") ;
  t = parse("Content-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: multipart/mixed; boundary=B\n\n--B\n\ninner\n--A\n\nouter\n--A--\n", 0) ;
  ok(has(t, "[D2]inner[E2") && has(t, "[E1 e100 m2]") && (gmal & DCR_MIME_MNOCLOSE) && has(t, "[D3]outer[E3"), "an outer delimiter closes an unclosed inner multipart") ;
  t = parse("Content-Type: multipart/mixed; boundary=A\n\n--A \t\nX-A: 1\n\nx\n--Ab\n--A-- \n", 0) ;
  ok(has(t, "[D1]x\n--Ab[E1") && !gmal, "delimiters: trailing blanks allowed, a longer line is body") ;
  t = parse("Content-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: text/plain\n--A\n\n\n--A--\n", 0) ;
  ok(has(t, "[B1 d1 p0 text/plain") && (gmal & DCR_MIME_MHEADER) && has(t, "[B2 "), "a part header ended by a delimiter") ;
  t = parse("Content-Type: multipart/mixed; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain\r\n\r\nbody\r\n--A--\r\n", 0) ;
  ok(has(t, "[D1]body[E1") && !gmal, "CR LF line ends tolerated") ;
  t = parse("Content-Type: text/plain\nContent-Type: application/x-msdownload; name=a.exe\nContent-Transfer-Encoding: base64\ncontent-transfer-encoding: 7bit\n\naGk=\n", 0) ;
  ok(has(t, "[B0 d0 p0 text/plain cte3 cs= disp= fn= n= h0") && has(t, "[D0]hi[E0") && (gmal & DCR_MIME_MDUPLICATE), "two Content-Type fields, two encodings: the first counts, flagged") ;
  t = parse("", 0) ;
  ok(has(t, "[B0 d0") && has(t, "[E0 e0 m0]"), "empty input") ;
  t = parse("Content-Type: multipart/mixed; boundary=\"\"\n\n", 0) ;
  ok(gmal & DCR_MIME_MNOBOUNDARY, "empty boundary") ;

  /* message/rfc822 and digest */
  t = parse("Content-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: message/rfc822\n\nSubject: fwd\nContent-Type: application/zip; name=in.zip\n\nPK\n--A--\n", 0) ;
  ok(has(t, "[B1 d1 p0 message/rfc822 msg") && has(t, "[B2 d2 p1 application/zip cte0 cs= disp= fn= n=in.zip") && has(t, "[D2]PK[E2"), "message/rfc822: the enclosed message is parsed") ;
  t = parse("Content-Type: multipart/digest; boundary=D\n\n--D\n\nSubject: one\n\nx\n--D--\n", 0) ;
  ok(has(t, "[B1 d1 p0 message/rfc822 msg") && has(t, "[B2 d2 p1 text/plain"), "multipart/digest: parts are messages by default") ;

  /* long lines */
  {
    static char big[5000] ;
    size_t n ;
    strcpy(big, "Content-Type: multipart/mixed; boundary=L\n\n--L\nX-Long: ") ;
    n = strlen(big) ;
    memset(big + n, 'h', 1500) ; n += 1500 ;
    strcpy(big + n, "\n\n--L") ; n += 5 ;
    memset(big + n, 'b', 1500) ; n += 1500 ;
    strcpy(big + n, "\r\n--L--\n") ;
    t = parse(big, 0) ;
    ok(has(t, "[D1]--Lbbbbbbbbbb") && has(t, "bbb[E1") && !gmal, "lines longer than 998 octets in a header and a body") ;
  }

  /* limits */
  {
    dcr_mime_limits l = { 20, 2, 65536 } ;
    parse("Content-Type: multipart/mixed; boundary=A\n\n--A\n\n1\n--A\n\n2\n--A--\n", &l) ;
    ok(!gerr, "2 parts within a limit of 2") ;
    parse("Content-Type: multipart/mixed; boundary=A\n\n--A\n\n1\n--A\n\n2\n--A\n\n3\n--A--\n", &l) ;
    ok(gerr == DCR_MIME_EPARTS, "3 parts beyond a limit of 2") ;
  }
  {
    dcr_mime_limits l = { 2, 1000, 65536 } ;
    parse("Content-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: multipart/mixed; boundary=B\n\n--B\n\nx\n--B--\n--A--\n", &l) ;
    ok(!gerr, "depth 2 within a limit of 2") ;
    parse("Content-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: multipart/mixed; boundary=C\n\n--C\n\nx\n--C--\n--B--\n--A--\n", &l) ;
    ok(gerr == DCR_MIME_EDEPTH, "depth 3 beyond a limit of 2") ;
  }
  {
    dcr_mime_limits l = { 20, 1000, 64 } ;
    parse("Content-Type: multipart/mixed; boundary=A\n\n--A\nX-1: 0123456789012345678901234567890123456789\nX-2: 0123456789012345678901234567890123456789\n\nx\n--A--\n", &l) ;
    ok(gerr == DCR_MIME_EHEADER, "a part header beyond its limit") ;
  }

  stralloc_free(&tr) ;
  stralloc_free(&whole) ;
  return done_testing() ;
}
