/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/djbunix.h>
#include <skalibs/tai.h>

#include <dcr/addr.h>
#include <dcr/xtext.h>
#include <dcr/log.h>
#include "remote.h"
#include "wire.h"

/* One job: checks, then one SMTP transaction per cf.maxrcpt recipients
   on the open session (opened if needed), verdicts at the end. */

typedef struct msg_s msg ;
struct msg_s
{
  dcr_job *j ;
  int fd ;
  uint64_t size ;
  int eightbit ;          /* -1 not scanned yet */
  int smtputf8 ;          /* SMTPUTF8 given, or an address needs it */
  char const *body ;      /* BODY= value, or 0 */
  size_t bodylen ;
  char const *ret, *envid ;
  size_t retlen, envidlen ;
  unsigned char *utf8 ;   /* per recipient: its address is UTF-8 */
} ;

static tain downuntil ;            /* the target failed: same verdict till then */
static char downst ;
static char downv[VERDICTMAX] ;

enum { TX_OK, TX_RETRY } ;

static int addrok (char const *addr, int sender, int *utf8)
{
  char buf[DCR_ADDR_PATHMAX + 2] ;
  size_t n = strlen(addr), used ;
  dcr_addr a ;
  *utf8 = 0 ;
  if (sender && !n) return 1 ;
  if (n + 2 > sizeof(buf) - 1) return 0 ;
  buf[0] = '<' ; memcpy(buf + 1, addr, n) ; buf[n + 1] = '>' ; buf[n + 2] = 0 ;
  if (dcr_addr_parse(buf, n + 2, sender ? DCR_ADDR_NULLOK : DCR_ADDR_POSTMASTER, &a, &used) != DCR_ADDR_OK || used != n + 2) return 0 ;
  *utf8 = a.utf8 ;
  return 1 ;
}

static int keyis (char const *k, size_t kl, char const *name)
{
  return kl == strlen(name) && !strncasecmp(k, name, kl) ;
}

/* the MAIL parameters of the job; 0 and a verdict text if it cannot go */
static int mailparams (msg *m, char const **why)
{
  char const *p = m->j->sender.params, *k, *val ;
  size_t kl, vl ;
  while ((p = dcr_job_param(p, &k, &kl, &val, &vl)))
  {
    if (keyis(k, kl, "BODY") && val)
    {
      if (vl == 10 && !strncasecmp(val, "BINARYMIME", 10))
      { *why = "554 5.6.3 BODY=BINARYMIME needs BDAT, which dcr-remote does not implement" ; return 0 ; }
      if ((vl == 4 && !strncasecmp(val, "7BIT", 4)) || (vl == 8 && !strncasecmp(val, "8BITMIME", 8)))
      { m->body = val ; m->bodylen = vl ; continue ; }
    }
    else if (keyis(k, kl, "SMTPUTF8") && !val) { m->smtputf8 = 1 ; continue ; }
    else if (keyis(k, kl, "RET") && val && ((vl == 4 && !strncasecmp(val, "FULL", 4)) || (vl == 4 && !strncasecmp(val, "HDRS", 4))))
    { m->ret = val ; m->retlen = vl ; continue ; }
    else if (keyis(k, kl, "ENVID") && val && vl <= 100 && dcr_xtext_valid(val, vl))
    { m->envid = val ; m->envidlen = vl ; continue ; }
    {
      char name[64] ;
      size_t n = kl < sizeof(name) - 1 ? kl : sizeof(name) - 1 ;
      memcpy(name, k, n) ; name[n] = 0 ;
      dcr_log("id", m->j->id, "event", "param-dropped", "param", name, (char *)0) ;
    }
  }
  return 1 ;
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

static int transaction (msg *m, size_t from, size_t to, int reused)
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

/* what this server cannot take, whatever the recipients: 0 and why */
static int fits (msg *m, char *v)
{
  if (S.ext & EXT_SIZE && S.sizemax && m->size > S.sizemax)
  {
    char a[UINT64_FMT], b[UINT64_FMT] ;
    a[uint64_fmt(a, m->size)] = 0 ;
    b[uint64_fmt(b, S.sizemax)] = 0 ;
    strcpy(v, "552 5.3.4 message of ") ; strcat(v, a) ;
    strcat(v, " octets is over the size limit of ") ; strcat(v, b) ;
    strcat(v, " of ") ; strcat(v, S.peer) ;
    return 0 ;
  }
  if (m->smtputf8 && !(S.ext & EXT_SMTPUTF8))
  {
    strcpy(v, "553 5.6.7 the message needs SMTPUTF8 (RFC 6531), which ") ;
    strcat(v, S.peer) ; strcat(v, " does not offer") ;
    return 0 ;
  }
  if (m->body && m->bodylen == 8 && !(S.ext & EXT_8BITMIME))
  {
    if (m->eightbit < 0)
    {
      char buf[16384] ;
      ssize_t k ;
      m->eightbit = 0 ;
      if (lseek(m->fd, 0, SEEK_SET) < 0) m->eightbit = 1 ;
      while (!m->eightbit && (k = read(m->fd, buf, sizeof(buf))) != 0)
      {
        if (k < 0) { if (errno == EINTR) continue ; m->eightbit = 1 ; break ; }
        m->eightbit = wire_8bit(buf, k) ;
      }
    }
    if (m->eightbit)
    {
      strcpy(v, "554 5.6.3 the message has 8-bit content (BODY=8BITMIME) and ") ;
      strcat(v, S.peer) ; strcat(v, " does not offer 8BITMIME; dcr-remote does not convert it") ;
      return 0 ;
    }
  }
  return 1 ;
}

/* one transaction for [from, to), reconnecting once if a reused
   session turns out dead. 0 if the rest of the job cannot go either. */
static int chunk (msg *m, size_t from, size_t to, size_t n)
{
  char v[VERDICTMAX], st ;
  int tries ;
  for (tries = 0 ; tries < 2 ; tries++)
  {
    int reused ;
    sess_check() ;
    reused = S.up ;
    if (!S.up && !sess_open(&tgt, &st, v, sizeof(v)))
    {
      verdict_rest(from, n, 1, st, v) ;
      downst = st ;
      memcpy(downv, v, sizeof(v)) ;
      tain_now_g() ;
      tain_addsec_g(&downuntil, cf.downsecs) ;
      return 0 ;
    }
    if (!fits(m, v)) { verdict_rest(from, n, 1, v[0] == '4' ? 'T' : 'P', v) ; return 0 ; }
    if (transaction(m, from, to, reused) == TX_OK) return 1 ;
  }
  return 1 ;
}

void deliver (dcr_job *j)
{
  size_t n = dcr_job_nrcpts(j), i, from ;
  dcr_jobaddr const *a = dcr_job_rcpts(j) ;
  msg m = { .j = j, .fd = -1, .eightbit = -1 } ;
  char const *why ;
  struct stat st ;
  int u8 = 0, anyok = 0 ;
  verdict_start(j) ;
  if (!addrok(j->sender.addr, 1, &u8))
  {
    verdict_rest(0, n, 1, 'P', "553 5.1.7 bad sender address syntax") ;
    goto end ;
  }
  if (u8) m.smtputf8 = 1 ;
  for (i = 0 ; i < n ; i++)
  {
    if (!addrok(a[i].addr, 0, &u8)) verdict_set(i, 'P', "553 5.1.3 bad recipient address syntax") ;
    else { anyok = 1 ; if (u8) m.smtputf8 = 1 ; }
  }
  if (!anyok) goto end ;
  if (!mailparams(&m, &why)) { verdict_rest(0, n, 1, 'P', why) ; goto end ; }
  tain_now_g() ;
  if (cf.downsecs && tain_less(&STAMP, &downuntil))
  {
    dcr_log("id", j->id, "event", "target-down", (char *)0) ;
    verdict_rest(0, n, 1, downst, downv) ;
    goto end ;
  }
  m.fd = open_read(j->file) ;
  if (m.fd < 0 || fstat(m.fd, &st) < 0)
  {
    char v[VERDICTMAX] = "451 4.3.0 cannot open the message file: " ;
    strncat(v, strerror(errno), 200) ;
    dcr_log("id", j->id, "event", "open-error", "file", j->file, "error", strerror(errno), (char *)0) ;
    verdict_rest(0, n, 1, 'T', v) ;
    goto end ;
  }
  m.size = st.st_size ;
  for (from = 0 ; from < n ; )
  {
    size_t to = from, k = 0 ;
    /* cf.maxrcpt open recipients per transaction */
    while (to < n && k < cf.maxrcpt) { if (verdict_rv(to)->state == RS_OPEN) k++ ; to++ ; }
    if (k && !chunk(&m, from, to, n)) break ;
    from = to ;
  }
 end:
  if (m.fd >= 0) fd_close(m.fd) ;
  verdict_print(j) ;
}
