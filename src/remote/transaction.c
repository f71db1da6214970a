/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/tai.h>

#include <dcr/xtext.h>
#include <dcr/log.h>
#include "remote.h"
#include "wire.h"

/* One SMTP transaction: MAIL, RCPTs, DATA, pipelined when the server
   offers PIPELINING (RFC 2920), the message streamed, the replies
   turned into verdicts. Any failure of the session gives its verdict to
   every recipient not yet decided, and closes the session. */

static int keyis (char const *k, size_t kl, char const *name)
{
  return kl == strlen(name) && !strncasecmp(k, name, kl) ;
}

static int put (char const *s, size_t n, tain const *d)
{
  return rio_put(&S.io, s, n, d) ;
}

static int puts_ (char const *s, tain const *d)
{
  return put(s, strlen(s), d) ;
}

static int mailcmd (msg const *m, tain const *d)
{
  int ok = puts_("MAIL FROM:<", d) && puts_(m->j->sender.addr, d) && puts_(">", d) ;
  if (ok && S.ext & EXT_SIZE)
  {
    char num[UINT64_FMT] ;
    num[uint64_fmt(num, m->size)] = 0 ;
    ok = puts_(" SIZE=", d) && puts_(num, d) ;
  }
  /* BODY=7BIT to a server without 8BITMIME: said by not saying it */
  if (ok && m->body && S.ext & EXT_8BITMIME) ok = puts_(" BODY=", d) && put(m->body, m->bodylen, d) ;
  if (ok && m->smtputf8 && S.ext & EXT_SMTPUTF8) ok = puts_(" SMTPUTF8", d) ;
  if (ok && S.ext & EXT_DSN)
  {
    if (ok && m->ret) ok = puts_(" RET=", d) && put(m->ret, m->retlen, d) ;
    if (ok && m->envid) ok = puts_(" ENVID=", d) && put(m->envid, m->envidlen, d) ;
  }
  return ok && puts_("\r\n", d) ;
}

static int rcptcmd (dcr_jobaddr const *a, tain const *d)
{
  int ok = puts_("RCPT TO:<", d) && puts_(a->addr, d) && puts_(">", d) ;
  if (ok && S.ext & EXT_DSN)
  {
    char const *p = a->params, *k, *val ;
    size_t kl, vl ;
    while (ok && (p = dcr_job_param(p, &k, &kl, &val, &vl)))
    {
      int keep = 0 ;
      if (keyis(k, kl, "NOTIFY") && val && vl && vl <= 30) keep = strspn(val, "NEVRSUCFAILDYnevrsucfaildy,") >= vl ;
      else if (keyis(k, kl, "ORCPT") && val && vl <= 500)
      {
        char const *semi = memchr(val, ';', vl) ;
        keep = semi && semi > val && dcr_xtext_valid(semi + 1, vl - (semi + 1 - val)) ;
      }
      if (keep) ok = puts_(" ", d) && put(k, kl + 1 + vl, d) ;
    }
  }
  return ok && puts_("\r\n", d) ;
}

static void fmtreply (char *v)
{
  reply_fmt(&S.r, v, VERDICTMAX) ;
}

/* the session failed (r from sess_reply, or -1 with errno) */
static void broken (size_t from, size_t to, int r, char const *what)
{
  char v[VERDICTMAX] ;
  sess_failtext(v, sizeof(v), r, what) ;
  verdict_rest(from, to, 1, 'T', v) ;
  sess_drop(what) ;
}

/* a 421: every recipient not final gets it, and the session ends */
static void closing (size_t from, size_t to)
{
  char v[VERDICTMAX] ;
  fmtreply(v) ;
  verdict_rest(from, to, 1, 'T', v) ;
  sess_drop("421") ;
}

/* the connection is gone rather than slow */
static int lost (int r)
{
  return !r || (r < 0 && errno != ETIMEDOUT) ;
}

/* send the message after 354; 1, or 0 with verdicts given */
static int data (msg const *m, size_t from, size_t to)
{
  char in[16384], out[2 * sizeof(in) + 8] ;
  wire w = WIRE_ZERO ;
  tain d ;
  int r ;
  if (lseek(m->fd, 0, SEEK_SET) < 0) goto readerr ;
  for (;;)
  {
    ssize_t k = read(m->fd, in, sizeof(in)) ;
    if (k < 0 && errno == EINTR) continue ;
    if (k < 0) goto readerr ;
    if (!k) break ;
    deadline(&d, TMO_BLOCK) ;
    if (!put(out, wire_encode(&w, in, k, out), &d)) goto writeerr ;
  }
  deadline(&d, TMO_BLOCK) ;
  if (!put(out, wire_end(&w, out), &d) || !rio_flush(&S.io, &d)) goto writeerr ;
  return 1 ;

 readerr:
  {
    /* never the final dot after a short message: closing the
       connection makes the server drop what it got */
    char v[VERDICTMAX] = "451 4.3.0 cannot read the message file: " ;
    size_t n = strlen(v), e = strlen(strerror(errno)) ;
    if (e > sizeof(v) - 1 - n) e = sizeof(v) - 1 - n ;
    memcpy(v + n, strerror(errno), e) ; v[n + e] = 0 ;
    dcr_log("id", m->j->id, "event", "read-error", "file", m->j->file, (char *)0) ;
    verdict_rest(from, to, 1, 'T', v) ;
    sess_drop("message file unreadable") ;
    return 0 ;
  }
 writeerr:
  if (errno == ETIMEDOUT) { broken(from, to, -1, "sending the message") ; return 0 ; }
  /* the server may have said why before it closed (552, 554...) */
  r = sess_reply(TMO_QUIT) ;
  if (r > 0)
  {
    char v[VERDICTMAX] ;
    fmtreply(v) ;
    verdict_rest(from, to, 1, S.r.code / 100 == 5 ? 'P' : 'T', v) ;
    sess_drop("closed during DATA") ;
    return 0 ;
  }
  errno = EPIPE ;
  broken(from, to, -1, "sending the message") ;
  return 0 ;
}

/* a 354 to a DATA that should not have been: end the empty message at once */
static void lonedot (void)
{
  tain d ;
  deadline(&d, TMO_BLOCK) ;
  if (!puts_(".\r\n", &d) || !rio_flush(&S.io, &d) || sess_reply(TMO_DOT) <= 0) sess_drop("354 without recipients") ;
}

int transaction (msg *m, size_t from, size_t to, int reused)
{
  dcr_jobaddr const *a = dcr_job_rcpts(m->j) ;
  int pipelining = !!(S.ext & EXT_PIPELINING), rset = S.dirty, r, wok ;
  size_t i, naccepted = 0 ;
  char mailfail[VERDICTMAX], mailst = 0 ;
  tain d ;

  deadline(&d, TMO_MAIL) ;
  wok = (!rset || puts_("RSET\r\n", &d)) && mailcmd(m, &d) ;
  if (pipelining)
    for (i = from ; wok && i < to ; i++)
      if (verdict_rv(i)->state == RS_OPEN) wok = rcptcmd(a + i, &d) ;
  if (wok && pipelining) wok = puts_("DATA\r\n", &d) ;
  if (wok) wok = rio_flush(&S.io, &d) ;
  /* a write error: read on, the server's last words may be there */
  if (!wok && errno == ETIMEDOUT) { broken(from, to, -1, "sending MAIL") ; return TX_OK ; }
  S.dirty = 1 ;

  if (rset)
  {
    r = sess_reply(TMO_RSET) ;
    if (r > 0 && S.r.code / 100 == 2) ;
    else if (reused && (lost(r) || S.r.code == 421)) { sess_drop("reused session failed") ; return TX_RETRY ; }
    else if (r <= 0) { broken(from, to, r, "waiting for the RSET reply") ; return TX_OK ; }
    else { closing(from, to) ; return TX_OK ; }
  }

  r = sess_reply(TMO_MAIL) ;
  if (r <= 0 && reused && lost(r)) { sess_drop("reused session failed") ; return TX_RETRY ; }
  if (r <= 0) { broken(from, to, r, "waiting for the MAIL reply") ; return TX_OK ; }
  if (S.r.code == 421 && reused) { sess_drop("421 on a reused session") ; return TX_RETRY ; }
  if (S.r.code == 421) { closing(from, to) ; return TX_OK ; }
  if (S.r.code / 100 != 2)
  {
    fmtreply(mailfail) ;
    mailst = S.r.code / 100 == 5 ? 'P' : 'T' ;
    if (!pipelining) { verdict_rest(from, to, 1, mailst, mailfail) ; return TX_OK ; }
  }

  for (i = from ; i < to ; i++)
  {
    if (verdict_rv(i)->state != RS_OPEN) continue ;
    if (!pipelining)
    {
      deadline(&d, TMO_RCPT) ;
      if (!rcptcmd(a + i, &d) || !rio_flush(&S.io, &d))
        if (errno == ETIMEDOUT) { broken(from, to, -1, "sending RCPT") ; return TX_OK ; }
    }
    r = sess_reply(TMO_RCPT) ;
    if (r <= 0) { broken(from, to, r, "waiting for a RCPT reply") ; return TX_OK ; }
    if (S.r.code == 421) { closing(from, to) ; return TX_OK ; }
    if (mailst) continue ;
    if (S.r.code / 100 == 2) { verdict_accept(i) ; naccepted++ ; }
    else { char v[VERDICTMAX] ; fmtreply(v) ; verdict_set(i, verdict_class(S.r.code), v) ; }
  }
  if (mailst) verdict_rest(from, to, 1, mailst, mailfail) ;

  if (!pipelining)
  {
    if (mailst || !naccepted) return TX_OK ;
    deadline(&d, TMO_DATA) ;
    if ((!puts_("DATA\r\n", &d) || !rio_flush(&S.io, &d)) && errno == ETIMEDOUT)
    { broken(from, to, -1, "sending DATA") ; return TX_OK ; }
  }
  r = sess_reply(TMO_DATA) ;
  if (r <= 0) { broken(from, to, r, "waiting for the DATA reply") ; return TX_OK ; }
  if (S.r.code == 421) { closing(from, to) ; return TX_OK ; }
  if (mailst || !naccepted)
  {
    /* RFC 2920 3.1: DATA pipelined after refused recipients; a
       server that still says 354 gets an empty message, which it
       cannot deliver to nobody */
    if (S.r.code == 354) lonedot() ;
    return TX_OK ;
  }
  if (S.r.code != 354)
  {
    char v[VERDICTMAX] ;
    fmtreply(v) ;
    verdict_rest(from, to, 1, S.r.code / 100 == 5 ? 'P' : 'T', v) ;
    return TX_OK ;
  }

  if (!data(m, from, to)) return TX_OK ;
  r = sess_reply(TMO_DOT) ;
  if (r <= 0)
  {
    /* the message may have been taken: a duplicate is possible (RFC 1047) */
    dcr_log("id", m->j->id, "event", "no-final-reply", "peer", S.peer, (char *)0) ;
    broken(from, to, r, "waiting for the reply to the end of the message") ;
    return TX_OK ;
  }
  if (S.r.code == 421) { closing(from, to) ; return TX_OK ; }
  {
    char v[VERDICTMAX] ;
    fmtreply(v) ;
    verdict_rest(from, to, 1, verdict_class(S.r.code), v) ;
  }
  S.dirty = 0 ;
  S.ntx++ ;
  return TX_OK ;
}
