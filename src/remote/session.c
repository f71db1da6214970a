/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <skalibs/types.h>
#include <skalibs/socket.h>
#include <skalibs/ip46.h>
#include <skalibs/djbunix.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include "remote.h"

sess S = { .io = { .rfd = -1, .wfd = -1 } } ;

/* An EHLO keyword line (RFC 5321 4.1.1.1) */
static void keyword (char const *k)
{
  size_t n = strcspn(k, " ") ;
  if (n == 10 && !strncasecmp(k, "PIPELINING", 10)) S.ext |= EXT_PIPELINING ;
  else if (n == 8 && !strncasecmp(k, "8BITMIME", 8)) S.ext |= EXT_8BITMIME ;
  else if (n == 8 && !strncasecmp(k, "SMTPUTF8", 8)) S.ext |= EXT_SMTPUTF8 ;
  else if (n == 3 && !strncasecmp(k, "DSN", 3)) S.ext |= EXT_DSN ;
  else if (n == 8 && !strncasecmp(k, "CHUNKING", 8)) S.ext |= EXT_CHUNKING ;
  else if (n == 10 && !strncasecmp(k, "BINARYMIME", 10)) S.ext |= EXT_BINARYMIME ;
  else if (n == 8 && !strncasecmp(k, "STARTTLS", 8)) S.ext |= EXT_STARTTLS ;
  else if ((n == 4 && !strncasecmp(k, "AUTH", 4)) || (n > 5 && !strncasecmp(k, "AUTH=", 5)))
  {
    /* "AUTH PLAIN LOGIN", or the old "AUTH=LOGIN" */
    for (char const *m = k + 5 ; m[-1] ; m += strcspn(m, " ") + (m[strcspn(m, " ")] ? 1 : 0))
    {
      size_t mn = strcspn(m, " ") ;
      if (mn == 5 && !strncasecmp(m, "PLAIN", 5)) S.ext |= EXT_AUTHPLAIN ;
      else if (mn == 5 && !strncasecmp(m, "LOGIN", 5)) S.ext |= EXT_AUTHLOGIN ;
      if (!m[mn]) break ;
    }
  }
  else if (n == 4 && !strncasecmp(k, "SIZE", 4))
  {
    uint64_t u = 0 ;
    S.ext |= EXT_SIZE ;
    if (k[4] == ' ' && uint640_scan(k + 5, &u)) S.sizemax = u ;
  }
}

int sess_readreply (unsigned int tmo, int ehlo)
{
  tain d ;
  deadline(&d, tmo) ;
  reply_init(&S.r) ;
  for (;;)
  {
    while (S.io.inpos < S.io.inlen)
    {
      int ev = REPLY_MORE ;
      S.io.inpos += reply_feed(&S.r, S.io.in + S.io.inpos, S.io.inlen - S.io.inpos, &ev) ;
      if (ev == REPLY_BAD) { errno = EPROTO ; return -1 ; }
      if (ev == REPLY_TOOBIG) { errno = EMSGSIZE ; return -1 ; }
      if (ehlo && (ev == REPLY_LINE || ev == REPLY_DONE) && S.r.nlines > 1 && S.r.code / 100 == 2)
        keyword(reply_linetext(&S.r)) ;
      if (ev == REPLY_DONE) return 1 ;
    }
    {
      ssize_t r = rio_fill(&S.io, &d) ;
      if (r <= 0) return r ;
    }
  }
}

int sess_reply (unsigned int tmo)
{
  return sess_readreply(tmo, 0) ;
}

size_t sess_cat (char *v, size_t n, size_t vmax, char const *s)
{
  size_t k = strlen(s) ;
  if (k > vmax - 1 - n) k = vmax - 1 - n ;
  memcpy(v + n, s, k) ;
  v[n + k] = 0 ;
  return n + k ;
}

void sess_failtext (char *v, size_t vmax, int r, char const *what)
{
  size_t n = sess_cat(v, 0, vmax, "451 4.4.2 ") ;
  n = sess_cat(v, n, vmax, S.peer) ;
  n = sess_cat(v, n, vmax, ": ") ;
  if (!r) n = sess_cat(v, n, vmax, "connection closed") ;
  else if (errno == ETIMEDOUT) n = sess_cat(v, n, vmax, "timeout") ;
  else if (errno == EPROTO) n = sess_cat(v, n, vmax, "malformed reply") ;
  else if (errno == EMSGSIZE) n = sess_cat(v, n, vmax, "reply too long") ;
  else n = sess_cat(v, n, vmax, strerror(errno)) ;
  n = sess_cat(v, n, vmax, " while ") ;
  sess_cat(v, n, vmax, what) ;
}

/* "451 4.4.2 PEER what: <the server's reply>" */
void sess_refusedtext (char *v, size_t vmax, char const *what)
{
  char rbuf[VERDICTMAX] ;
  size_t n = sess_cat(v, 0, vmax, "451 4.4.2 ") ;
  reply_fmt(&S.r, rbuf, sizeof(rbuf)) ;
  n = sess_cat(v, n, vmax, S.peer) ;
  n = sess_cat(v, n, vmax, " ") ;
  n = sess_cat(v, n, vmax, what) ;
  n = sess_cat(v, n, vmax, ": ") ;
  sess_cat(v, n, vmax, rbuf) ;
}

void sess_drop (char const *why)
{
  if (S.io.rfd < 0) return ;
  dcr_log("event", "disconnect", "peer", S.peer, "reason", why, (char *)0) ;
  rio_close(&S.io) ;
  S.up = 0 ;
}

int sess_command (char const *a, char const *b, unsigned int tmo)
{
  tain d ;
  deadline(&d, tmo) ;
  return rio_puts(&S.io, a, &d) && rio_puts(&S.io, b, &d) && rio_puts(&S.io, "\r\n", &d) && rio_flush(&S.io, &d) ;
}

/* EHLO, or HELO; 1 when ready for MAIL, else 0 and v */
int sess_ehlo (char *v, size_t vmax)
{
  int r ;
  S.ext = 0 ; S.sizemax = 0 ;
  if (!sess_command("EHLO ", cf.helo, TMO_EHLO)) { sess_failtext(v, vmax, -1, "sending EHLO") ; return 0 ; }
  r = sess_readreply(TMO_EHLO, 1) ;
  if (r <= 0) { sess_failtext(v, vmax, r, "waiting for the EHLO reply") ; return 0 ; }
  if (S.r.code / 100 == 2) return 1 ;
  S.ext = 0 ; S.sizemax = 0 ;
  /* 421 means go away: HELO would only get the same */
  if (S.r.code == 421) { sess_refusedtext(v, vmax, "refused EHLO") ; return 0 ; }
  if (!sess_command("HELO ", cf.helo, TMO_EHLO)) { sess_failtext(v, vmax, -1, "sending HELO") ; return 0 ; }
  r = sess_reply(TMO_EHLO) ;
  if (r <= 0) { sess_failtext(v, vmax, r, "waiting for the HELO reply") ; return 0 ; }
  if (S.r.code / 100 == 2) return 1 ;
  sess_refusedtext(v, vmax, "refused EHLO and HELO") ;
  return 0 ;
}

/* the greeting, then EHLO */
static int hello (char *v, size_t vmax)
{
  int r = sess_reply(TMO_GREETING) ;
  if (r <= 0) { sess_failtext(v, vmax, r, "waiting for the greeting") ; return 0 ; }
  if (S.r.code != 220) { sess_refusedtext(v, vmax, "greeted us with") ; return 0 ; }
  return sess_ehlo(v, vmax) ;
}

static void setpeer (peer const *p, uint16_t port)
{
  char pf[UINT16_FMT] ;
  size_t n ;
  S.ip[ip46full_fmt(S.ip, &p->ip)] = 0 ;
  pf[uint16_fmt(pf, port)] = 0 ;
  memcpy(S.host, p->host, strlen(p->host) + 1) ;
  n = sess_cat(S.peer, 0, sizeof(S.peer), S.host) ;
  n = sess_cat(S.peer, n, sizeof(S.peer), "[") ;
  n = sess_cat(S.peer, n, sizeof(S.peer), S.ip) ;
  n = sess_cat(S.peer, n, sizeof(S.peer), "]:") ;
  sess_cat(S.peer, n, sizeof(S.peer), pf) ;
}

/* one address: 1 if a session is ready, else 0 and why in v */
static int try (peer const *p, uint16_t port, int plain, char *v, size_t vmax)
{
  tain d ;
  int fd ;
  setpeer(p, port) ;
  fd = socket_tcp46_nbcoe(ip46full_is6(&p->ip)) ;
  if (fd < 0)
  {
    size_t n = sess_cat(v, 0, vmax, "451 4.3.0 cannot make a socket: ") ;
    sess_cat(v, n, vmax, strerror(errno)) ;
    return 0 ;
  }
  deadline(&d, TMO_CONNECT) ;
  if (!socket_deadlineconnstamp46_g(fd, &p->ip, port, &d))
  {
    size_t n = sess_cat(v, 0, vmax, "451 4.4.1 connect to ") ;
    n = sess_cat(v, n, vmax, S.peer) ;
    n = sess_cat(v, n, vmax, ": ") ;
    sess_cat(v, n, vmax, errno == ETIMEDOUT ? "timeout" : strerror(errno)) ;
    fd_close(fd) ;
    dcr_log("event", "connect-fail", "peer", S.peer, "reply", v, (char *)0) ;
    return 0 ;
  }
  /* every write is a whole command group (rio buffers them) or a TLS
     flight: Nagle would only hold it behind the server's delayed ACK */
  {
    int one = 1 ;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
  }
  rio_plain(&S.io, fd) ;
  S.tls = S.authed = S.tlsfailed = 0 ;
  S.cipher[0] = 0 ;
  if ((tgt.implicit && !sess_tls(p, v, vmax)) || !hello(v, vmax) || !sess_secure(p, plain, v, vmax))
  {
    dcr_log("event", "session-fail", "peer", S.peer, "reply", v, (char *)0) ;
    rio_close(&S.io) ;
    return 0 ;
  }
  S.up = 1 ; S.dirty = 0 ; S.ntx = 0 ;
  {
    char size[UINT64_FMT] ;
    size[uint64_fmt(size, S.sizemax)] = 0 ;
    dcr_log("event", "connect", "peer", S.peer,
      "pipelining", S.ext & EXT_PIPELINING ? "1" : "0",
      "8bitmime", S.ext & EXT_8BITMIME ? "1" : "0",
      "smtputf8", S.ext & EXT_SMTPUTF8 ? "1" : "0",
      "dsn", S.ext & EXT_DSN ? "1" : "0",
      "size", size, "tls", S.tls ? S.cipher : "no", "auth", S.authed ? "1" : "0", (char *)0) ;
  }
  return 1 ;
}

int sess_open (target const *t, char *st, char *v, size_t vmax)
{
  static peer list[PEER_MAX] ;
  unsigned int n, i ;
  if (S.up) return 1 ;
  if (!target_resolve(t, list, &n, st, v, vmax)) return 0 ;
  for (i = 0 ; i < n ; i++)
  {
    if (try(&list[i], t->port, 0, v, vmax)) return 1 ;
    /* tls=may: a failed handshake leaves the connection unusable; the
       same server once more, in plaintext (RFC 7435 3) */
    if (S.tlsfailed && cf.tls == DCR_TLS_MAY && !t->implicit && try(&list[i], t->port, 1, v, vmax)) return 1 ;
  }
  *st = 'T' ;
  return 0 ;
}

/* Between jobs the server may have closed, or said 421 and closed
   (RFC 5321 3.8): anything it sends unasked ends the session. */
void sess_check (void)
{
  if (!S.up || !rio_peek(&S.io)) return ;
  {
    tain d ;
    ssize_t r ;
    tain_now_g() ;
    d = STAMP ;
    r = S.io.inpos < S.io.inlen ? 1 : rio_fill(&S.io, &d) ;
    if (r > 0)
    {
      char buf[200] ;
      size_t n = S.io.inlen - S.io.inpos ;
      if (n > sizeof(buf) - 1) n = sizeof(buf) - 1 ;
      memcpy(buf, S.io.in + S.io.inpos, n) ; buf[n] = 0 ;
      dcr_log("event", "unasked", "peer", S.peer, "text", buf, (char *)0) ;
      sess_drop("server spoke unasked") ;
    }
    else if (!r) sess_drop("server closed the connection") ;
    else if (errno != ETIMEDOUT) sess_drop(strerror(errno)) ;
  }
}

void sess_quit (void)
{
  if (S.io.rfd < 0) return ;
  if (S.up && sess_command("QUIT", "", TMO_QUIT)) sess_reply(TMO_QUIT) ;
  sess_drop("quit") ;
}
