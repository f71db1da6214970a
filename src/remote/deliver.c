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

static tain downuntil ;            /* the target failed: same verdict till then */
static char downst ;
static char downv[VERDICTMAX] ;

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
