/* ISC license. */
/* dcr-queued: the resident queue writer. dcr-enqueue (or dcr-smtpd's
   built-in dcr-enqueue) hands it a spool file's descriptor and the
   envelope over QUEUE/submit; it commits whatever arrived together with
   one sync for all (commit.c) and answers each. doc/dcr-queued.md. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/ancil.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include "queued.h"

#define USAGE "dcr-queued [ -d notif-fd ] [ -c maxclients ] [ -t timeout ] queuedir"
#define dieusage() strerr_dieusage(100, USAGE)

#define ENVMAX (16 << 20)   /* a bigger envelope: the client writes it itself */

static job **jobs ;
static unsigned int njobs, maxjobs = 1000 ;

/* jobs closed, kept with their buffers for the next clients: allocating
   and freeing 64 KiB per message made musl's malloc map and unmap it */
#define SPARE_MAX 64
static job *spare[SPARE_MAX] ;
static unsigned int nspare ;

static void job_close (unsigned int i)
{
  job *j = jobs[i] ;
  fd_close(j->sock) ;
  if (j->mfd >= 0) fd_close(j->mfd) ;
  jobs[i] = jobs[--njobs] ;
  if (nspare < SPARE_MAX && j->in.a <= 2 * 65536)
  {
    stralloc in = j->in ;
    memset(j, 0, sizeof(*j)) ;
    in.len = 0 ;
    j->in = in ;
    spare[nspare++] = j ;
    return ;
  }
  stralloc_free(&j->in) ;
  free(j) ;
}

static void answer (job *j, char const *line)
{
  size_t n = strlen(line) ;
  char buf[DCR_SUBMIT_LINEMAX + 1] ;
  memcpy(buf, line, n) ;
  buf[n] = '\n' ;
  /* the socket is empty and the line small: it fits, or the client is gone */
  if (send(j->sock, buf, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {}
}

/* kept connections, idle: how many */
static unsigned int nidle (void)
{
  unsigned int n = 0 ;
  for (unsigned int i = 0 ; i < njobs ; i++) n += jobs[i]->idle ;
  return n ;
}

/* All the slots held, a client waiting: the kept connection idle the
   longest makes room. Its owner finds it closed at its next send (EPIPE,
   nothing read) and connects again. 0 when none is idle. */
static int evict (void)
{
  int oldest = -1 ;
  for (unsigned int i = 0 ; i < njobs ; i++)
    if (jobs[i]->idle && (oldest < 0 || tain_less(&jobs[i]->idlesince, &jobs[oldest]->idlesince))) oldest = (int)i ;
  if (oldest < 0) return 0 ;
  job_close((unsigned int)oldest) ;
  return 1 ;
}

static void accept_all (int lsock, unsigned int timeout)
{
  while (njobs < maxjobs || nidle())
  {
    int s = ipc_accept_nbcoe(lsock, 0, 0, 0) ;
    job *j ;
    if (s < 0)
    {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR)
        dcr_log("event", "accept-error", "error", strerror(errno), (char *)0) ;
      return ;
    }
    if (njobs >= maxjobs) evict() ;   /* only for a client that is there */
    j = nspare ? spare[--nspare] : calloc(1, sizeof(job)) ;
    if (!j) { fd_close(s) ; return ; }
    j->sock = s ;
    j->mfd = -1 ;
    j->readable = 1 ;
    j->idle = 0 ;   /* a new client has until the deadline to submit */
    tain_addsec_g(&j->deadline, timeout) ;
    jobs[njobs++] = j ;
  }
}

/* all of a submission is in: one whole netstring, or bytes that can
   never be one (refused then by commit.c). Its end is its own mark, so a
   client may keep its connection for the next message (dcr-smtpd does). */
static int whole (job *j)
{
  size_t i = 0, len = 0 ;
  for (; i < j->in.len && j->in.s[i] != ':' ; i++)
  {
    if (j->in.s[i] < '0' || j->in.s[i] > '9' || i >= 9) return (j->last = 1) ;
    len = len * 10 + (j->in.s[i] - '0') ;
  }
  if (i == j->in.len) return 0 ;
  if (j->in.len - i - 1 < len + 1) return 0 ;
  if (j->in.len - i - 1 > len + 1) j->last = 1 ;   /* it did not wait for the answer */
  return 1 ;
}

/* what one client sent so far; 0 when it is to be dropped */
static int take (job *j, unsigned int timeout)
{
  if (j->mfd < 0)
  {
    j->mfd = ancil_recv_fd(j->sock, 'M') ;
    if (j->mfd < 0) return errno == EAGAIN || errno == EWOULDBLOCK ;
  }
  if (j->idle)
  {
    /* a kept connection starts its next submission: the clock runs */
    j->idle = 0 ;
    tain_addsec_g(&j->deadline, timeout) ;
  }
  for (;;)
  {
    ssize_t r ;
    if (!stralloc_readyplus(&j->in, 65536)) { answer(j, "X out of memory") ; return 0 ; }
    r = read(j->sock, j->in.s + j->in.len, 65536) ;
    if (!r) { j->done = j->last = 1 ; return 1 ; }
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ;
    j->in.len += r ;
    if (j->in.len > ENVMAX) { answer(j, "X envelope too large for the writer") ; return 0 ; }
    if (whole(j)) { j->done = 1 ; return 1 ; }
  }
}

/* answered: the connection waits for the client's next message, with no
   deadline (an idle client holds one descriptor), or closes */
static void job_next (unsigned int i, int stopping)
{
  job *j = jobs[i] ;
  answer(j, j->answer) ;
  if (j->last || stopping) { job_close(i) ; return ; }
  fd_close(j->mfd) ;
  j->mfd = -1 ;
  j->in.len = 0 ;
  j->done = 0 ;
  j->idle = 1 ;
  j->idlesince = STAMP ;
  j->deadline = tain_infinite ;
}

static int handle_signals (void)
{
  int stop = 0 ;
  for (;;)
  {
    int sig = selfpipe_read() ;
    if (sig <= 0) return stop ;
    if (sig == SIGTERM || sig == SIGINT) stop = 1 ;
  }
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  unsigned int notif = 0, timeout = 60 ;
  int lsock, lockfd, queuefd, newfd, sfd, stopping = 0 ;
  iopause_fd *x ;
  job **batch ;
  PROG = "dcr-queued" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "d:c:t:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'd' : if (!uint0_scan(l.arg, &notif) || notif < 3) dieusage() ; break ;
      case 'c' : if (!uint0_scan(l.arg, &maxjobs) || !maxjobs) dieusage() ; break ;
      case 't' : if (!uint0_scan(l.arg, &timeout) || !timeout) dieusage() ; break ;
      default : dieusage() ;
    }
  }
  argc -= l.ind ; argv += l.ind ;
  if (argc < 1 || !argv[0][0]) dieusage() ;
  umask(027) ;
  if (chdir(argv[0]) < 0) strerr_diefu2sys(111, "chdir to ", argv[0]) ;

  /* one writer per queue: the lock says whether the socket is live */
  lockfd = open("submit.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0640) ;
  if (lockfd < 0) strerr_diefu3sys(111, "open ", argv[0], "/submit.lock") ;
  {
    int r = fd_lock(lockfd, 1, 1) ;
    if (r < 0) strerr_diefu3sys(111, "lock ", argv[0], "/submit.lock") ;
    if (!r) strerr_dief3x(111, "another dcr-queued holds ", argv[0], "/submit.lock") ;
  }
  queuefd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (queuefd < 0) strerr_diefu2sys(111, "open ", argv[0]) ;
  newfd = open("new", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (newfd < 0) strerr_diefu3sys(111, "open ", argv[0], "/new") ;
  jobs = calloc(maxjobs, sizeof(job *)) ;
  batch = calloc(maxjobs, sizeof(job *)) ;
  x = calloc(maxjobs + 2, sizeof(iopause_fd)) ;
  if (!jobs || !batch || !x) strerr_diefu1sys(111, "allocate") ;

  sfd = selfpipe_init() ;
  if (sfd < 0 || !selfpipe_trap(SIGTERM) || !selfpipe_trap(SIGINT)) strerr_diefu1sys(111, "trap signals") ;
  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  lsock = ipc_stream_nbcoe() ;
  if (lsock < 0) strerr_diefu1sys(111, "create socket") ;
  unlink(DCR_SUBMIT_SOCKET) ;
  if (ipc_bind(lsock, DCR_SUBMIT_SOCKET) < 0 || chmod(DCR_SUBMIT_SOCKET, 0660) < 0 || ipc_listen(lsock, 1024) < 0)
    strerr_diefu3sys(111, "listen on ", argv[0], "/" DCR_SUBMIT_SOCKET) ;
  dcr_log("event", "start", "queue", argv[0], (char *)0) ;
  if (notif) { if (write(notif, "\n", 1) < 0) {} close(notif) ; }

  tain_now_set_stopwatch_g() ;
  while (!stopping || njobs)
  {
    unsigned int i, n = 0, nb = 0, first ;
    int listening ;
    tain deadline = TAIN_INFINITE ;
    x[n].fd = sfd ; x[n++].events = IOPAUSE_READ ;
    listening = !stopping && (njobs < maxjobs || nidle()) ;
    if (listening) { x[n].fd = lsock ; x[n++].events = IOPAUSE_READ ; }
    first = n ;
    for (i = 0 ; i < njobs ; i++)
    {
      x[n].fd = jobs[i]->sock ; x[n++].events = IOPAUSE_READ ;
      if (tain_less(&jobs[i]->deadline, &deadline)) deadline = jobs[i]->deadline ;
    }
    if (iopause_g(x, n, &deadline) < 0 && errno != EINTR) strerr_diefu1sys(111, "iopause") ;
    if (x[0].revents & IOPAUSE_READ && handle_signals() && !stopping)
    {
      /* what is being sent is still committed; nothing new is taken */
      stopping = 1 ;
      fd_close(lsock) ;
      unlink(DCR_SUBMIT_SOCKET) ;
      dcr_log("event", "stopping", (char *)0) ;
    }
    /* only the clients iopause named are read, and the new ones, whose
       submission is often there already */
    for (i = 0 ; i < njobs ; i++) jobs[i]->readable = !!x[first + i].revents ;
    if (listening && !stopping && x[1].revents) accept_all(lsock, timeout) ;
    for (i = 0 ; i < njobs ; )
    {
      job *j = jobs[i] ;
      if (!j->done && j->readable && !take(j, timeout)) { job_close(i) ; continue ; }
      if (!j->done && !tain_less(&STAMP, &j->deadline)) { job_close(i) ; continue ; }
      if (stopping && j->idle && !j->in.len) { job_close(i) ; continue ; }
      if (j->done) batch[nb++] = j ;
      i++ ;
    }
    if (!nb) continue ;
    commit_batch(batch, nb, queuefd, newfd) ;
    for (i = 0 ; i < njobs ; )
      if (jobs[i]->done) job_next(i, stopping) ;
      else i++ ;
  }
  dcr_log("event", "stop", (char *)0) ;
  return 0 ;
}
