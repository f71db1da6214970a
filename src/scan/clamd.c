/* ISC license. */

/* clamd's INSTREAM: "zINSTREAM\0", the message in chunks each after its
   length (4 octets, network order), a zero length, then one reply line
   ended by NUL: "stream: OK", "stream: NAME FOUND", "... ERROR". */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/uint32.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>

#include "scan.h"

#define CHUNK 65536

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

/* the message in chunks; 1, or 0 when the scanner stopped reading (it
   may have said why: read its reply), -1 reading the message failed */
static int sendmessage (int s, int fd, tain const *deadline)
{
  static char buf[4 + CHUNK] ;
  if (lseek(fd, 0, SEEK_SET) < 0) return -1 ;
  for (;;)
  {
    ssize_t r = fd_read(fd, buf + 4, CHUNK) ;
    if (r < 0) return -1 ;
    uint32_pack_big(buf, (uint32_t)r) ;
    if (!scan_send(s, buf, 4 + r, deadline)) return 0 ;
    if (!r) return 1 ;
  }
}

void scan_clamd (scan_addr const *a, int fd, tain const *connect, tain const *deadline, scan_result *r)
{
  char buf[SCAN_CLAMD_MAX + 2] ;
  size_t len = 0 ;
  scan_clamdreply c ;
  char const *why = 0 ;
  int s, sent, e = 0, done = 0 ;

  s = scan_connect(a, tain_less(connect, deadline) ? connect : deadline) ;
  if (s < 0) { fail(r, errno == ETIMEDOUT ? "timeout" : "connect", "connect", strerror(errno)) ; return ; }
  sent = scan_send(s, "zINSTREAM", 10, deadline) ? sendmessage(s, fd, deadline) : 0 ;
  if (sent < 0) { fd_close(s) ; fail(r, "io", "read the message", strerror(errno)) ; return ; }
  if (!sent)
  {
    e = errno ;
    if (e == ETIMEDOUT) { fd_close(s) ; failsys(r, "send the message") ; return ; }
  }

  /* the reply; after a failed send, whatever clamd said before it hung up */
  while (!done)
  {
    ssize_t n = scan_recv(s, buf + len, sizeof(buf) - len, deadline) ;
    if (n < 0)
    {
      if (!sent && errno != ETIMEDOUT) { errno = e ; break ; }
      fd_close(s) ; failsys(r, "read the reply") ; return ;
    }
    len += n ;
    switch (scan_clamd_parse(buf, len, !n || len == sizeof(buf), &c, &why))
    {
      case 1 : done = 1 ; break ;
      case -1 :
        if (!sent && !len) { errno = e ; done = -1 ; break ; }
        fd_close(s) ; fail(r, "protocol", why, 0) ; return ;
    }
  }
  fd_close(s) ;
  if (done != 1) { failsys(r, "send the message") ; return ; }

  switch (c.verdict)
  {
    case 'O' : r->status = SCAN_OK ; break ;
    case 'F' :
      r->status = SCAN_FOUND ;
      memcpy(r->text, buf + c.text, c.textlen) ;
      r->text[c.textlen] = 0 ;
      break ;
    default :
      buf[c.text + c.textlen] = 0 ;
      fail(r, c.limit ? "limit" : "scanner", "clamd says", buf + c.text) ;
  }
}
