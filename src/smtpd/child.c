/* ISC license. */

#include <sys/types.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/exec.h>

#include <dcr/log.h>
#include <dcr/submit.h>
#include "smtpd.h"

/* The spool file and the child (contract 3): PROG runs with the spool
   file as stdin, a pipe as stdout, the envelope in its environment. */

static int received (smtpd *s, int fd)
{
  static stralloc sa = STRALLOC_ZERO ;   /* kept: see smtpd_deliver */
  char date[64] ;
  time_t now = time(0) ;
  struct tm tm ;
  char const *tlsprotocol = getenv("SSL_PROTOCOL"), *tlscipher = getenv("SSL_CIPHER") ;
  int ok ;
  sa.len = 0 ;
  gmtime_r(&now, &tm) ;
  date[strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm)] = 0 ;
  ok = stralloc_cats(&sa, "Received: from ")
    && stralloc_cats(&sa, s->helo)
    && stralloc_cats(&sa, " (")
    && (!s->remotehost || (stralloc_cats(&sa, s->remotehost) && stralloc_cats(&sa, " ")))
    && stralloc_cats(&sa, "[")
    && stralloc_cats(&sa, s->remoteip ? s->remoteip : "unknown")
    && stralloc_cats(&sa, "])\n\t")
    && (!s->tls || !tlsprotocol || (stralloc_cats(&sa, "(using ") && stralloc_cats(&sa, tlsprotocol)
        && stralloc_cats(&sa, " with cipher ") && stralloc_cats(&sa, tlscipher ? tlscipher : "unknown")
        && stralloc_cats(&sa, ")\n\t")))
    && stralloc_cats(&sa, "by ")
    && stralloc_cats(&sa, s->hostname)
    && stralloc_cats(&sa, " (dcrouter) with ")
    && stralloc_cats(&sa, smtpd_proto(s))
    && stralloc_cats(&sa, " id ")
    && stralloc_cats(&sa, s->id)
    && (s->nrcpt != 1 || (stralloc_cats(&sa, "\n\tfor <") && stralloc_cats(&sa, s->rcpts.s ? s->rcpts.s : "") && stralloc_cats(&sa, ">")))
    && stralloc_cats(&sa, "; ")
    && stralloc_cats(&sa, date)
    && stralloc_cats(&sa, "\n") ;
  if (ok) ok = allwrite(fd, sa.s, sa.len) == sa.len ;
  sa.len = 0 ;
  return ok ;
}

/* A fresh unlinked file in the spool dir, Received header written. */
int smtpd_spool_open (smtpd *s)
{
  int fd = open(s->spooldir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0640) ;
  if (fd < 0)
  {
    stralloc sa = STRALLOC_ZERO ;
    if (!stralloc_cats(&sa, s->spooldir) || !stralloc_cats(&sa, "/smtpd.XXXXXX") || !stralloc_0(&sa)) return -1 ;
    fd = mkstemp(sa.s) ;
    if (fd >= 0) { unlink(sa.s) ; coe(fd) ; fchmod(fd, 0640) ; }
    stralloc_free(&sa) ;
    if (fd < 0) return -1 ;
  }
  if (!stralloc_0(&s->rcpts)) { close(fd) ; return -1 ; }
  s->rcpts.len-- ;   /* NUL-terminated for the "for <rcpt>" clause */
  if (!received(s, fd)) { int e = errno ; close(fd) ; errno = e ; return -1 ; }
  return fd ;
}

static int setvar (stralloc *sa, char const *name, char const *value)
{
  if (!value) return stralloc_cats(sa, name) && stralloc_0(sa) ;   /* unset */
  return stralloc_cats(sa, name) && stralloc_catb(sa, "=", 1) && stralloc_cats(sa, value) && stralloc_0(sa) ;
}

static int envmodifs (smtpd *s, stralloc *sa)
{
  char size[UINT64_FMT] ;
  static char const *const body[3] = { 0, "7BIT", "8BITMIME" } ;
  static char const *const ret[3] = { 0, "FULL", "HDRS" } ;
  size[uint64_fmt(size, s->mp.size)] = 0 ;
  if (!stralloc_0(&s->rcpts) || !stralloc_0(&s->notify) || !stralloc_0(&s->orcpt)) return 0 ;
  s->rcpts.len-- ; s->notify.len-- ; s->orcpt.len-- ;
  /* TMPDIR: where filters make a changed message, on the queue's file
     system, so that dcr-enqueue links it in without a copy */
  return setvar(sa, "DCR_ID", s->id)
    && setvar(sa, "TMPDIR", s->spooldir)
    && setvar(sa, "SMTP_SENDER", s->sender.addr)
    && setvar(sa, "SMTP_RECIPIENTS", s->rcpts.s)
    && setvar(sa, "SMTP_HELO", s->helo)
    && setvar(sa, "SMTP_PROTO", smtpd_proto(s))
    && setvar(sa, "SMTP_SIZE", s->mp.hassize ? size : 0)
    && setvar(sa, "SMTP_BODY", body[s->mp.body])
    && setvar(sa, "SMTP_SMTPUTF8", s->mp.smtputf8 ? "1" : 0)
    && setvar(sa, "SMTP_DSN_RET", ret[s->mp.ret])
    && setvar(sa, "SMTP_DSN_ENVID", s->mp.hasenvid ? s->mp.envid : 0)
    && setvar(sa, "SMTP_DSN_NOTIFY", s->hasnotify ? s->notify.s : 0)
    && setvar(sa, "SMTP_DSN_ORCPT", s->hasorcpt ? s->orcpt.s : 0)
    && setvar(sa, "SMTP_AUTHUSER", s->authuserlen ? s->authuser : 0) ;
}

static volatile sig_atomic_t alarmed = 0 ;
static void onalarm (int sig) { (void)sig ; alarmed = 1 ; }

/* wait for pid until the deadline (ms from now); SIGKILL after it */
int smtpd_reap (pid_t pid, int *wstat, long ms)
{
  struct sigaction sa ;
  struct itimerval it ;
  pid_t r ;
  memset(&sa, 0, sizeof(sa)) ;
  sa.sa_handler = &onalarm ;   /* no SA_RESTART: waitpid returns EINTR */
  sigaction(SIGALRM, &sa, 0) ;
  memset(&it, 0, sizeof(it)) ;
  if (ms < 1) ms = 1 ;
  it.it_value.tv_sec = ms / 1000 ; it.it_value.tv_usec = (ms % 1000) * 1000 ;
  /* and again every 100 ms: one SIGALRM that lands between the check of
     alarmed and waitpid would otherwise be lost, and waitpid never end */
  it.it_interval.tv_usec = 100000 ;
  alarmed = 0 ;
  setitimer(ITIMER_REAL, &it, 0) ;
  do r = waitpid(pid, wstat, 0) ; while (r < 0 && errno == EINTR && !alarmed) ;
  memset(&it, 0, sizeof(it)) ;
  setitimer(ITIMER_REAL, &it, 0) ;
  if (r == pid) return 1 ;
  kill(pid, SIGKILL) ;
  waitpid_nointr(pid, wstat, 0) ;
  return 0 ;
}

/* read the child's stdout until EOF or the deadline; keep the first line */
static int readreply (int fd, char *buf, size_t max, size_t *len, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = IOPAUSE_READ } ;
  *len = 0 ;
  ndelay_on(fd) ;
  for (;;)
  {
    char tmp[512] ;
    ssize_t r ;
    int p = iopause_g(&x, 1, deadline) ;
    if (p < 0 && errno == EINTR) continue ;   /* SIGTERM: the message finishes */
    if (p < 0) return 0 ;
    if (!p) return 0 ;   /* timeout */
    r = read(fd, tmp, sizeof(tmp)) ;
    if (r < 0) { if (errno == EINTR || errno == EAGAIN) continue ; return 1 ; }
    if (!r) return 1 ;
    if (*len < max)
    {
      size_t k = (size_t)r > max - *len ? max - *len : (size_t)r ;
      memcpy(buf + *len, tmp, k) ; *len += k ;
    }
  }
}

static pid_t spawn (smtpd *s, stralloc const *modifs, int *rfd)
{
  int p[2] ;
  pid_t pid ;
  if (lseek(s->spool, 0, SEEK_SET) < 0 || pipe2(p, O_CLOEXEC) < 0) return -1 ;
  pid = fork() ;
  if (pid < 0) { close(p[0]) ; close(p[1]) ; return -1 ; }
  if (!pid)
  {
    if (fd_move(1, p[1]) < 0 || fd_copy(0, s->spool) < 0) _exit(111) ;
    signal(SIGPIPE, SIG_DFL) ;
    xmexec_m(s->prog, modifs->s, modifs->len) ;
  }
  close(p[1]) ;
  *rfd = p[0] ;
  return pid ;
}

/* Builds the SMTP reply from the child's exit and first line:
   0 -> 250 queued as LINE; 100 / 111 -> LINE as "D.S.N text" or
   "NNN [D.S.N] text", in class 5 / 4; anything else, or no line at
   all (even with exit 0), -> 451: never accept without an id. */
static void verdict (smtpd *s, int wstat, char *line, size_t len, char *reply)
{
  char cls ;
  size_t i = 0, n ;
  char const *head ;
  while (i < len && line[i] != '\n') i++ ;
  len = i ;
  while (len && (line[len-1] == '\r' || line[len-1] == ' ')) len-- ;
  if (len > 400) len = 400 ;
  for (i = 0 ; i < len ; i++)
    if ((unsigned char)line[i] < 32 || line[i] == 127) line[i] = '?' ;
  line[len] = 0 ;
  if (WIFEXITED(wstat) && !WEXITSTATUS(wstat) && len)
  {
    n = strlen(strcpy(reply, "250 2.0.0 Ok: queued as ")) ;
    strcpy(reply + n, line) ;
    return ;
  }
  if (!WIFEXITED(wstat) || (WEXITSTATUS(wstat) != 100 && WEXITSTATUS(wstat) != 111) || !len)
  {
    strcpy(reply, "451 4.3.0 temporary failure") ;
    return ;
  }
  cls = WEXITSTATUS(wstat) == 100 ? '5' : '4' ;
  head = cls == '5' ? "554 " : "451 " ;
  if (len >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9' && (len == 3 || line[3] == ' '))
  {
    if (line[0] == cls) { memcpy(reply, line, 3) ; reply[3] = ' ' ; reply[4] = 0 ; }
    else strcpy(reply, head) ;
    line += len > 3 ? 4 : 3 ;
    len -= len > 3 ? 4 : 3 ;
  }
  else strcpy(reply, head) ;
  n = strlen(reply) ;
  if (len >= 5 && line[0] >= '2' && line[0] <= '5' && line[1] == '.' && line[2] >= '0' && line[2] <= '9')
  {
    memcpy(reply + n, line, len + 1) ;
    reply[n] = cls ;   /* the class follows the exit code */
  }
  else
  {
    memcpy(reply + n, cls == '5' ? "5.3.0 " : "4.3.0 ", 6) ;
    memcpy(reply + n + 6, line, len + 1) ;
    if (!len) strcpy(reply + n + 6, cls == '5' ? "message refused" : "temporary failure") ;
  }
}

/* the variables the chain would see: modifs first, then the environment */
static char const *getvar (char const *name, void *ctx)
{
  stralloc const *m = ctx ;
  size_t n = strlen(name), i = 0 ;
  while (i < m->len)
  {
    char const *v = m->s + i ;
    size_t k = strlen(v) ;
    if (!strncmp(v, name, n) && (v[n] == '=' || !v[n])) return v[n] ? v + n + 1 : 0 ;
    i += k + 1 ;
  }
  return getenv(name) ;
}

/* dcr-enqueue built in: the spool file to the queue's writer. 0 when the
   program is to run after all: no writer, or an envelope it would refuse
   (so that the refusal is dcr-enqueue's own) */
static int builtin (smtpd *s, stralloc *modifs, char *reply)
{
  /* kept for the next message, as modifs is (smtpd_deliver) */
  static stralloc text = STRALLOC_ZERO ;
  static dcr_envelope e = DCR_ENVELOPE_ZERO ;
  char line[DCR_SUBMIT_LINEMAX] ;
  char const *why ;
  struct stat st ;
  int r = -1 ;
  text.len = 0 ;
  dcr_envelope_clear(&e) ;
  if (dcr_envelope_from_vars(&e, &getvar, modifs, &why) <= 0 || fstat(s->spool, &st) < 0) goto end ;
  e.id = s->id ;
  e.size = st.st_size ;
  if (!dcr_envelope_fmt(&text, &e)) goto end ;
  r = dcr_submit(s->queuedir, s->spool, text.s, text.len, line, s->datatimeout * 1000) ;
  if (r < 0) goto end ;
  if (!r) dcr_submit_logqueued(line, e.size, dcr_envelope_nrcpts(&e), e.sender, "writer", s->id) ;
  else dcr_log("event", "failed", "id", s->id, "step", "queue writer", "error", line, (char *)0) ;
  verdict(s, r << 8, line, strlen(line), reply) ;
 end:
  return r >= 0 ;
}

void smtpd_deliver (smtpd *s, char *reply)
{
  char buf[SMTPD_CHILDREPLY + 1] ;
  size_t len = 0 ;
  int rfd, wstat = 0 ;
  tain deadline, left ;
  /* static: freed after each message, its pages went back to the kernel
     and came again (musl's malloc), a TLB flush each on these machines */
  static stralloc modifs = STRALLOC_ZERO ;
  pid_t pid = -1 ;
  /* the variables of the chain, made once for the built-in and the child */
  modifs.len = 0 ;
  if (envmodifs(s, &modifs))
  {
    if (s->queuedir && builtin(s, &modifs, reply)) return ;
    pid = spawn(s, &modifs, &rfd) ;
  }
  if (pid < 0)
  {
    dcr_log("event", "child-error", "id", s->id, "error", strerror(errno), (char *)0) ;
    strcpy(reply, "451 4.3.0 temporary failure") ;
    return ;
  }
  tain_now_g() ;
  tain_addsec_g(&deadline, s->datatimeout) ;
  if (!readreply(rfd, buf, SMTPD_CHILDREPLY, &len, &deadline))
  {
    close(rfd) ;
    kill(pid, SIGKILL) ;
    waitpid_nointr(pid, &wstat, 0) ;
    dcr_log("event", "child-timeout", "id", s->id, (char *)0) ;
    strcpy(reply, "451 4.3.0 temporary failure (timeout)") ;
    return ;
  }
  close(rfd) ;
  tain_now_g() ;
  tain_sub(&left, &deadline, &STAMP) ;
  if (!smtpd_reap(pid, &wstat, tain_less(&STAMP, &deadline) ? tain_to_millisecs(&left) : 1))
  {
    dcr_log("event", "child-timeout", "id", s->id, (char *)0) ;
    strcpy(reply, "451 4.3.0 temporary failure (timeout)") ;
    return ;
  }
  verdict(s, wstat, buf, len, reply) ;
}
