/* ISC license. */

/* spamd's SPAMC/1.5: "SYMBOLS SPAMC/1.5", Content-length, User, an
   empty line, the message with CRLF line ends; the reply is a SPAMD/1.1
   status line, "Spam: True ; 15.0 / 5.0", and the symbols as the body.
   The message is LF: its CRLF length is counted by a first pass, then
   it is converted on the fly by a second one. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>

#include "scan.h"

#define CHUNK 32768

static char in[CHUNK], out[2 * CHUNK] ;
static char reply[SCAN_SPAMD_MAX + 1] ;

static void fail (scan_result *r, char const *reason, char const *what, char const *detail)
{
  size_t n = strlen(what), m = detail ? strlen(detail) : 0 ;
  r->status = SCAN_ERROR ;
  r->reason = reason ;
  if (n > sizeof(r->text) - 1) n = sizeof(r->text) - 1 ;
  memcpy(r->text, what, n) ;
  if (m && n + 2 + m < sizeof(r->text)) { memcpy(r->text + n, ": ", 2) ; memcpy(r->text + n + 2, detail, m) ; n += 2 + m ; }
  r->text[n] = 0 ;
}

static void failsys (scan_result *r, char const *what)
{
  fail(r, errno == ETIMEDOUT ? "timeout" : "io", what, strerror(errno)) ;
}

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

void scan_spamd (scan_addr const *a, scan_spamdopts const *o, int fd, tain const *connect, tain const *deadline, scan_result *r)
{
  stralloc head = STRALLOC_ZERO ;
  char fmt[UINT64_FMT] ;
  scan_spamdreply p ;
  char const *why = 0 ;
  size_t len = 0 ;
  off_t clen = crlflength(fd) ;
  int s, sent, e = 0, done = 0 ;

  if (clen < 0) { fail(r, "io", "read the message", strerror(errno)) ; return ; }
  fmt[uint64_fmt(fmt, (uint64_t)clen)] = 0 ;
  if (!stralloc_cats(&head, o->check ? "CHECK" : "SYMBOLS") || !stralloc_cats(&head, " SPAMC/1.5\r\nContent-length: ")
   || !stralloc_cats(&head, fmt) || !stralloc_cats(&head, "\r\n")
   || (o->user && !(stralloc_cats(&head, "User: ") && stralloc_cats(&head, o->user) && stralloc_cats(&head, "\r\n")))
   || !stralloc_cats(&head, "\r\n"))
  { fail(r, "io", "allocate", strerror(errno)) ; return ; }

  s = scan_connect(a, tain_less(connect, deadline) ? connect : deadline) ;
  if (s < 0) { stralloc_free(&head) ; fail(r, errno == ETIMEDOUT ? "timeout" : "connect", "connect", strerror(errno)) ; return ; }
  sent = scan_send(s, head.s, head.len, deadline) ? sendmessage(s, fd, deadline) : 0 ;
  stralloc_free(&head) ;
  if (sent < 0) { fd_close(s) ; fail(r, "io", "read the message", strerror(errno)) ; return ; }
  if (!sent)
  {
    e = errno ;
    if (e == ETIMEDOUT) { fd_close(s) ; failsys(r, "send the message") ; return ; }
  }
  else shutdown(s, SHUT_WR) ;

  /* the reply; after a failed send, whatever spamd said before it hung up */
  while (!done)
  {
    ssize_t n = scan_recv(s, reply + len, sizeof(reply) - len, deadline) ;
    if (n < 0)
    {
      if (!sent && errno != ETIMEDOUT) { errno = e ; break ; }
      fd_close(s) ; failsys(r, "read the reply") ; return ;
    }
    len += n ;
    switch (scan_spamd_parse(reply, len, !n || len == sizeof(reply), &p, &why))
    {
      case 1 : done = 1 ; break ;
      case -1 :
        if (!sent && !len) { errno = e ; done = -1 ; break ; }
        fd_close(s) ; fail(r, "protocol", why, 0) ; return ;
    }
  }
  fd_close(s) ;
  if (done != 1) { failsys(r, "send the message") ; return ; }

  if (p.code)
  {
    char d[160] ;   /* "76 Bad header line: ..." */
    size_t n = uint_fmt(d, p.code), m = p.textlen ;
    d[n++] = ' ' ;
    if (m > sizeof(d) - n - 1) m = sizeof(d) - n - 1 ;
    memcpy(d + n, reply + p.text, m) ;
    d[n + m] = 0 ;
    fail(r, "scanner", "spamd says", d) ;
    return ;
  }
  r->status = SCAN_OK ;
  r->score = p.score ;
  r->required = p.required ;
  r->symbols.len = 0 ;
  if (!stralloc_catb(&r->symbols, reply + p.sym, p.symlen)) { fail(r, "io", "allocate", strerror(errno)) ; return ; }
}
