/* ISC license. */

/* One exchange with a scanner, the same for spamd and clamd: connect,
   send a request and the message, read the reply until its parser says
   it is complete. A scanner may hang up before it has read everything
   (clamd over its StreamMaxLength, spamd on a bad request): what it
   said before is still read, and is the verdict. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <skalibs/djbunix.h>

#include "scan.h"

void scan_fail (scan_result *r, char const *reason, char const *what, char const *detail)
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
  scan_fail(r, errno == ETIMEDOUT ? "timeout" : "io", what, strerror(errno)) ;
}

int scan_exchange (scan_request const *x, scan_result *r)
{
  size_t len = 0 ;
  char const *why = 0 ;
  int s, sent, e = 0 ;

  s = scan_connect(x->addr, tain_less(x->connect, x->deadline) ? x->connect : x->deadline) ;
  if (s < 0) { scan_fail(r, errno == ETIMEDOUT ? "timeout" : "connect", "connect", strerror(errno)) ; return 0 ; }
  sent = scan_send(s, x->head, x->headlen, x->deadline) ? (*x->sendmessage)(s, x->fd, x->deadline) : 0 ;
  if (sent < 0) { fd_close(s) ; scan_fail(r, "io", "read the message", strerror(errno)) ; return 0 ; }
  if (!sent)
  {
    e = errno ;
    if (e == ETIMEDOUT) { fd_close(s) ; failsys(r, "send the message") ; return 0 ; }
  }
  else if (x->halfclose) shutdown(s, SHUT_WR) ;

  for (;;)
  {
    ssize_t n = scan_recv(s, x->buf + len, x->max - len, x->deadline) ;
    if (n < 0)
    {
      if (!sent && errno != ETIMEDOUT) errno = e ;   /* it said nothing: the send's error */
      fd_close(s) ;
      failsys(r, sent ? "read the reply" : "send the message") ;
      return 0 ;
    }
    len += n ;
    switch ((*x->parse)(x->buf, len, !n || len == x->max, x->reply, &why))
    {
      case 1 : fd_close(s) ; return 1 ;
      case -1 :
        fd_close(s) ;
        if (!sent && !len) { errno = e ; failsys(r, "send the message") ; }
        else scan_fail(r, "protocol", why, 0) ;
        return 0 ;
    }
  }
}
