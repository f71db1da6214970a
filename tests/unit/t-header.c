/* ISC license. */
/* src/lib/header.c: loading a header section bounded, walking its
   fields, folding, odd and hostile input. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#include <dcr/header.h>
#include "tap.h"

/* load text through a pipe in one go; what stays in the buffer after */
static int load (char const *text, size_t max, stralloc *sa, stralloc *rest)
{
  int p[2] ;
  char buf[64] ;   /* small: lines cross buffer refills */
  buffer b ;
  int r ;
  char c ;
  if (pipe(p) < 0) return -9 ;
  if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text)) return -9 ;
  close(p[1]) ;
  buffer_init(&b, &buffer_read, p[0], buf, sizeof buf) ;
  int e ;
  r = dcr_header_load(&b, sa, max) ;
  e = errno ;
  rest->len = 0 ;
  while (buffer_get(&b, &c, 1) == 1) stralloc_catb(rest, &c, 1) ;
  close(p[0]) ;
  errno = e ;
  return r ;
}

static unsigned int count (char const *s, size_t len, size_t *end)
{
  size_t pos = 0 ;
  unsigned int n = 0 ;
  dcr_field f ;
  while (dcr_header_next(s, len, &pos, &f)) n++ ;
  *end = pos ;
  return n ;
}

int main (void)
{
  stralloc sa = STRALLOC_ZERO, rest = STRALLOC_ZERO, u = STRALLOC_ZERO ;
  size_t end, pos = 0 ;
  dcr_field f ;
  static char const m1[] = "Received: from a\n\tby b\nSubject: hello\n world\nFrom: <a@b.test>\n\nbody line\nX: not a header\n" ;

  ok(load(m1, DCR_HEADER_MAX, &sa, &rest) == 1, "a message loads") ;
  ok(sa.len == 63 && !memcmp(sa.s + sa.len - 2, "\n\n", 2), "up to and including the empty line") ;
  ok(rest.len == strlen("body line\nX: not a header\n"), "the body stays in the buffer") ;
  ok(count(sa.s, sa.len, &end) == 3 && end == sa.len - 1, "three fields, the walk stops at the empty line") ;
  ok(dcr_header_next(sa.s, sa.len, &pos, &f) && dcr_header_is(sa.s, &f, "received") && f.len == 23, "the first field with its folded line") ;
  ok(dcr_header_next(sa.s, sa.len, &pos, &f) && dcr_header_is(sa.s, &f, "SUBJECT") && !dcr_header_is(sa.s, &f, "Subj"), "names compare case-insensitively and whole") ;
  ok(dcr_header_unfold(sa.s, &f, &u) && u.len == 11 && !memcmp(u.s, "hello world", 11), "unfolded: line ends removed, fold blank kept") ;

  ok(load("From mbox-style\nSubject: x\n\nb\n", DCR_HEADER_MAX, &sa, &rest) == 1 && sa.len == 16, "a first line that is no field ends the section at once") ;
  ok(count(sa.s, sa.len, &end) == 0 && end == 0, "  and no fields") ;
  ok(load("Subject: x\nnot a field\nTo: y\n\n", DCR_HEADER_MAX, &sa, &rest) == 1 && count(sa.s, sa.len, &end) == 1 && end == 11, "a line without colon ends the fields") ;
  ok(load("Subject: no end", DCR_HEADER_MAX, &sa, &rest) == 1 && sa.len == 15 && count(sa.s, sa.len, &end) == 1, "EOF without LF: one field") ;
  pos = 0 ;
  ok(dcr_header_next(sa.s, sa.len, &pos, &f) && f.valuelen == 7 && f.len == 15, "  its value to the end") ;
  ok(load("", DCR_HEADER_MAX, &sa, &rest) == 1 && !sa.len, "empty input: empty section") ;
  ok(load("\nbody\n", DCR_HEADER_MAX, &sa, &rest) == 1 && sa.len == 1 && rest.len == 5, "no header: just the empty line") ;
  ok(load("Subject : obsolete\r\nX:\r\n\r\nb", DCR_HEADER_MAX, &sa, &rest) == 1 && count(sa.s, sa.len, &end) == 2, "obsolete blank before colon, CRLF lines, empty value") ;
  pos = 0 ;
  ok(dcr_header_next(sa.s, sa.len, &pos, &f) && f.namelen == 7 && dcr_header_is(sa.s, &f, "Subject"), "  the name without its blanks") ;
  u.len = 0 ;
  ok(dcr_header_unfold(sa.s, &f, &u) && u.len == 8 && !memcmp(u.s, "obsolete", 8), "  CR dropped by unfold") ;
  ok(load(": no name\n\n", DCR_HEADER_MAX, &sa, &rest) == 1 && count(sa.s, sa.len, &end) == 0, "an empty name is not a field") ;
  ok(load(" continued first\n\n", DCR_HEADER_MAX, &sa, &rest) == 1 && sa.len == 17 && count(sa.s, sa.len, &end) == 0, "a continuation as first line ends the section") ;
  ok(load("X\x01Y: ctl\n\n", DCR_HEADER_MAX, &sa, &rest) == 1 && count(sa.s, sa.len, &end) == 0, "a control character in a name: no field") ;
  ok(load("X: \xc3\xa9t\xc3\xa9\n\n", DCR_HEADER_MAX, &sa, &rest) == 1 && count(sa.s, sa.len, &end) == 1, "8-bit in a value is kept") ;

  {
    static char big[4096] ;
    memset(big, 'a', sizeof big - 1) ;
    memcpy(big, "X: ", 3) ;
    errno = 0 ;
    ok(load(big, 1000, &sa, &rest) == 0 && errno == EMSGSIZE, "over the limit: 0 and EMSGSIZE") ;
    ok(sa.len <= 1000, "  and never more than the limit in memory") ;
    ok(load(big, 5000, &sa, &rest) == 1 && sa.len == sizeof big - 1, "under a larger limit: loaded") ;
  }
  pos = 100 ;
  ok(!dcr_header_next("abc", 3, &pos, &f) && pos == 100, "a position past the end: no field, unchanged") ;
  ok(load("A: 1\n\tx\n\tz\nB: 2\n\n", DCR_HEADER_MAX, &sa, &rest) == 1 && count(sa.s, sa.len, &end) == 2, "two continuation lines stay in their field") ;
  stralloc_free(&sa) ; stralloc_free(&rest) ; stralloc_free(&u) ;
  return done_testing() ;
}
