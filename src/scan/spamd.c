/* ISC license. */

/* spamd's SPAMC/1.5: "SYMBOLS SPAMC/1.5", Content-length, User, an
   empty line, the message with CRLF line ends; the reply is a SPAMD/1.1
   status line, "Spam: True ; 15.0 / 5.0", and the symbols as the body.
   The message is LF: its CRLF length is counted by a first pass, then
   it is converted on the fly by a second one. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/allreadwrite.h>

#include "scan.h"

#define CHUNK 32768

static char in[CHUNK], out[2 * CHUNK] ;
static char reply[SCAN_SPAMD_MAX + 1] ;

/* the length of the message in CRLF form, or -1 */
static off_t crlflength (int fd)
{
  off_t total = 0 ;
  if (lseek(fd, 0, SEEK_SET) < 0) return -1 ;
  for (;;)
  {
    ssize_t r = fd_read(fd, in, sizeof(in)) ;
    if (r < 0) return -1 ;
    if (!r) return total ;
    total += r ;
    for (char const *p = in, *e = in + r ; (p = memchr(p, '\n', e - p)) ; p++) total++ ;
  }
}

/* 1 sent, 0 the scanner stopped reading, -1 reading the message failed */
static int sendmessage (int s, int fd, tain const *deadline)
{
  if (lseek(fd, 0, SEEK_SET) < 0) return -1 ;
  for (;;)
  {
    size_t n = 0 ;
    ssize_t r = fd_read(fd, in, sizeof(in)) ;
    if (r < 0) return -1 ;
    if (!r) return 1 ;
    for (ssize_t i = 0 ; i < r ; i++)
    {
      if (in[i] == '\n') out[n++] = '\r' ;
      out[n++] = in[i] ;
    }
    if (!scan_send(s, out, n, deadline)) return 0 ;
  }
}

static int parse (char const *s, size_t len, int eof, void *p, char const **why)
{
  return scan_spamd_parse(s, len, eof, p, why) ;
}

void scan_spamd (scan_addr const *a, scan_spamdopts const *o, int fd, tain const *connect, tain const *deadline, scan_result *r)
{
  stralloc head = STRALLOC_ZERO ;
  char fmt[UINT64_FMT] ;
  scan_spamdreply p ;
  off_t clen = crlflength(fd) ;
  scan_request x =
  {
    .addr = a, .connect = connect, .deadline = deadline,
    .sendmessage = &sendmessage, .fd = fd, .halfclose = 1,
    .buf = reply, .max = sizeof(reply), .parse = &parse, .reply = &p
  } ;
  int ok ;

  if (clen < 0) { scan_fail(r, "io", "read the message", strerror(errno)) ; return ; }
  fmt[uint64_fmt(fmt, (uint64_t)clen)] = 0 ;
  if (!stralloc_cats(&head, o->check ? "CHECK" : "SYMBOLS") || !stralloc_cats(&head, " SPAMC/1.5\r\nContent-length: ")
   || !stralloc_cats(&head, fmt) || !stralloc_cats(&head, "\r\n")
   || (o->user && !(stralloc_cats(&head, "User: ") && stralloc_cats(&head, o->user) && stralloc_cats(&head, "\r\n")))
   || !stralloc_cats(&head, "\r\n"))
  { scan_fail(r, "io", "allocate", strerror(errno)) ; return ; }
  x.head = head.s ; x.headlen = head.len ;
  ok = scan_exchange(&x, r) ;
  stralloc_free(&head) ;
  if (!ok) return ;

  if (p.code)
  {
    char d[160] ;   /* "76 Bad header line: ..." */
    size_t n = uint_fmt(d, p.code), m = p.textlen ;
    d[n++] = ' ' ;
    if (m > sizeof(d) - n - 1) m = sizeof(d) - n - 1 ;
    memcpy(d + n, reply + p.text, m) ;
    d[n + m] = 0 ;
    scan_fail(r, "scanner", "spamd says", d) ;
    return ;
  }
  r->status = SCAN_OK ;
  r->score = p.score ;
  r->required = p.required ;
  r->symbols.len = 0 ;
  if (!stralloc_catb(&r->symbols, reply + p.sym, p.symlen)) scan_fail(r, "io", "allocate", strerror(errno)) ;
}
