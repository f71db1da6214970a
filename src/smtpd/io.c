/* ISC license. */

#include <errno.h>
#include <unistd.h>
#include <string.h>
#include <signal.h>

#include <skalibs/types.h>
#include <skalibs/buffer.h>
#include <skalibs/tai.h>
#include <skalibs/iopause.h>
#include <skalibs/unix-timed.h>

#include <dcr/log.h>
#include "smtpd.h"

/* Replies are buffered: they go out when the client has nothing more
   for us (smtpd_fill), before blocking work, or when the buffer is full.
   That is PIPELINING (RFC 2920). */

static void deadline (tain *d, unsigned int secs)
{
  tain_now_g() ;
  tain_addsec_g(d, secs) ;
}

static void logdisconnect (smtpd const *s, char const *reason)
{
  char n[UINT_FMT], e[UINT_FMT] ;
  n[uint_fmt(n, s->nmsg)] = 0 ;
  e[uint_fmt(e, s->errors)] = 0 ;
  dcr_log("event", "disconnect", "ip", s->remoteip, "msgs", n, "errors", e, "reason", reason, (char *)0) ;
}

/* the end of a session; a pre-started one goes on to the next (pool.c) */
void smtpd_exit (smtpd *s, char const *reason)
{
  logdisconnect(s, reason) ;
  smtpd_pool_jump() ;
  _exit(0) ;
}

void smtpd_flush (smtpd *s)
{
  tain d ;
  /* fd 1 is non-blocking: a write first, which nearly always takes all;
     only what it leaves waits with a deadline (a poll less per reply) */
  if (buffer_flush(&s->out)) return ;
  if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) smtpd_exit(s, "write-error") ;
  deadline(&d, s->timeout) ;
  if (!buffer_timed_flush_g(&s->out, &d)) smtpd_exit(s, errno == ETIMEDOUT ? "write-timeout" : "write-error") ;
}

static void put (smtpd *s, char const *x, tain const *d)
{
  size_t len = strlen(x) ;
  if (buffer_timed_put_g(&s->out, x, len, d) < len)
    smtpd_exit(s, errno == ETIMEDOUT ? "write-timeout" : "write-error") ;
}

/* one reply line: a, b, c, then CRLF */
void smtpd_put3 (smtpd *s, char const *a, char const *b, char const *c)
{
  tain d ;
  deadline(&d, s->timeout) ;
  put(s, a, &d) ;
  put(s, b, &d) ;
  put(s, c, &d) ;
  put(s, "\r\n", &d) ;
}

void smtpd_put2 (smtpd *s, char const *a, char const *b)
{
  smtpd_put3(s, a, b, "") ;
}

void smtpd_put (smtpd *s, char const *line)
{
  smtpd_put3(s, line, "", "") ;
}

void smtpd_error (smtpd *s, char const *line)
{
  smtpd_put(s, line) ;
  if (s->maxerrors && ++s->errors >= s->maxerrors)
  {
    smtpd_put(s, "421 4.7.0 too many errors, closing") ;
    smtpd_flush(s) ;
    smtpd_exit(s, "too-many-errors") ;
  }
}

/* Wait for more input: flush the replies first, then read with a
   deadline. End of input or an error ends the session; a timeout gets
   421 4.4.2 first. */
/* SIGTERM (from dcr-tcpd, or s6 stopping the service): an idle session
   gets 421 at once; a message being received is finished first, and its
   session ends at the next command wait. skalibs' timed reads go on
   after EINTR, so the handler itself answers when the session is idle:
   the reply buffer is always flushed before an idle wait, and write(2)
   and _exit(2) are safe in a handler. */
static volatile sig_atomic_t terminating = 0 ;
static volatile sig_atomic_t idle = 0 ;
static volatile sig_atomic_t between = 0 ;   /* pre-started, waiting for a connection */
static smtpd *idle_session = 0 ;
static char const shutdown_reply[] = "421 4.3.2 service shutting down, try again later\r\n" ;

static void onterm (int sig)
{
  (void)sig ;
  terminating = 1 ;
  if (between) _exit(0) ;
  if (!idle) return ;
  { ssize_t w = write(1, shutdown_reply, sizeof(shutdown_reply) - 1) ; (void)w ; }
  logdisconnect(idle_session, "shutdown") ;
  _exit(0) ;   /* never a jump out of a handler, pre-started or not */
}

int smtpd_terminating (void)
{
  return terminating ;
}

void smtpd_between (int on)
{
  between = on ;
}

void smtpd_catch_term (void)
{
  struct sigaction sa ;
  memset(&sa, 0, sizeof(sa)) ;
  sa.sa_handler = &onterm ;
  sigemptyset(&sa.sa_mask) ;
  sigaction(SIGTERM, &sa, 0) ;
}

/* Before each command, even a pipelined one: once SIGTERM came, the
   next command gets 421 (a client sending BDAT chunk after chunk never
   waits idle). */
void smtpd_stopping (smtpd *s)
{
  if (!terminating) return ;
  smtpd_put(s, "421 4.3.2 service shutting down, try again later") ;
  smtpd_flush(s) ;
  smtpd_exit(s, "shutdown") ;
}

static void fill (smtpd *s, unsigned int secs, int indata)
{
  static tain stopby ;         /* after SIGTERM, a message must end by then */
  static int stopset = 0 ;
  tain d ;
  ssize_t r ;
  smtpd_flush(s) ;
  deadline(&d, secs) ;
  if (indata && terminating)
  {
    if (!stopset) { stopby = d ; stopset = 1 ; }
    if (tain_less(&stopby, &d)) d = stopby ;   /* no endless DATA after SIGTERM */
  }
  idle_session = s ;
  idle = !indata ;
  if (idle && terminating) onterm(SIGTERM) ;   /* it came before idle was set */
  if (idle)
  {
    /* the reply just went out: the next command is not there yet, so
       wait first (skalibs' timed read reads first, for an EAGAIN each
       command); in DATA the next bytes usually are there */
    iopause_fd x = { .fd = buffer_fd(&s->in), .events = IOPAUSE_READ } ;
    if (!iopause_g(&x, 1, &d)) { idle = 0 ; errno = ETIMEDOUT ; goto timeout ; }
  }
  r = buffer_timed_fill_g(&s->in, &d) ;
  idle = 0 ;
  if (r > 0) return ;
  if (!r) smtpd_exit(s, "eof") ;
  if (errno != ETIMEDOUT) smtpd_exit(s, "read-error") ;
 timeout:
  smtpd_put(s, "421 4.4.2 timeout, closing") ;
  smtpd_flush(s) ;
  smtpd_exit(s, "timeout") ;
}

/* waiting for a command */
void smtpd_fill (smtpd *s, unsigned int secs)
{
  fill(s, secs, 0) ;
}

/* inside DATA or a BDAT chunk: SIGTERM lets the message finish */
void smtpd_fill_data (smtpd *s)
{
  fill(s, s->datatimeout, 1) ;
}
