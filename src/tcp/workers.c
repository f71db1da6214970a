/* ISC license. */

#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/djbunix.h>
#include <skalibs/env.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include <dcr/pool.h>
#include "tcpd.h"
#include "workers.h"

void workers_init (workers *p, uint32_t max, uint32_t spare, uint32_t maxuse, char const *const *argv)
{
  size_t n = env_len((char const *const *)environ) ;
  memset(p, 0, sizeof(*p)) ;
  p->max = max ;
  p->spare = spare ;
  p->maxuse = maxuse ;
  p->argv = argv ;
  p->w = calloc(max, sizeof(worker)) ;
  p->envp = malloc((n + 2) * sizeof(char const *)) ;
  if (!p->w || !p->envp) strerr_diefu1sys(111, "allocate the worker table") ;
  if (!env_merge(p->envp, n + 2, (char const *const *)environ, n, DCR_POOL_VAR "=0", sizeof(DCR_POOL_VAR "=0")))
    strerr_diefu1x(111, "make the workers' environment") ;
  p->null = open_readb("/dev/null") ;
  if (p->null < 0 || coe(p->null) < 0) strerr_diefu2sys(111, "open ", "/dev/null") ;
  p->pause = tain_zero ;
}

static void logerror (char const *what, int e)
{
  dcr_log("event", "error", "error", what, "errno", strerror(e), (char *)0) ;
}

/* started as for a connection, with the pool socket on 0 and
   /dev/null on 1 */
static int start (workers *p)
{
  int sv[2] ;
  pid_t pid ;
  worker *w = p->w + p->n ;
  if (dcr_pool_pair(sv) < 0) return -1 ;
  pid = tcpd_posix_spawn(p->argv, p->envp, sv[1], p->null) ;
  if (pid < 0)
  {
    int e = errno ;
    fd_close(sv[0]) ;
    fd_close(sv[1]) ;
    errno = e ;
    return -1 ;
  }
  fd_close(sv[1]) ;
  w->pid = pid ;
  w->sock = sv[0] ;
  w->state = WORKER_STARTING ;
  w->uses = 0 ;
  w->retire = 0 ;
  p->n++ ;
  p->nstarting++ ;
  return 0 ;
}

void workers_fill (workers *p)
{
  while (p->nidle + p->nstarting < p->spare && p->n < p->max && !tain_future(&p->pause))
    if (start(p) < 0)
    {
      logerror("unable to start a pre-started session", errno) ;
      tain_addsec_g(&p->pause, 1) ;
    }
}

/* its socket closed: it reads EOF and exits */
static void leave (workers *p, worker *w)
{
  if (w->state == WORKER_IDLE) p->nidle-- ;
  else if (w->state == WORKER_STARTING) p->nstarting-- ;
  if (w->sock >= 0) fd_close(w->sock) ;
  w->sock = -1 ;
  w->state = WORKER_LEAVING ;
}

int workers_take (workers *p)
{
  /* the one idle the shortest time: its pages are warm, and the others
     age out when there are more than the spares */
  int best = -1 ;
  if (!p->nidle) return -1 ;
  for (uint32_t i = 0 ; i < p->n ; i++)
    if (p->w[i].state == WORKER_IDLE && (best < 0 || tain_less(&p->w[best].idlesince, &p->w[i].idlesince))) best = (int)i ;
  if (best < 0) return -1 ;
  p->w[best].state = WORKER_BUSY ;
  p->w[best].uses++ ;
  p->nidle-- ;
  return best ;
}

void workers_drop (workers *p, int i)
{
  logerror("unable to hand a connection to a pre-started session", errno) ;
  leave(p, p->w + i) ;
}

void workers_untake (workers *p, int i)
{
  p->w[i].state = WORKER_IDLE ;
  p->w[i].uses-- ;
  p->nidle++ ;
}

unsigned int workers_pollfds (workers const *p, iopause_fd *x)
{
  unsigned int n = 0 ;
  for (uint32_t i = 0 ; i < p->n ; i++)
    if (p->w[i].sock >= 0)
    {
      x[n].fd = p->w[i].sock ;
      x[n].events = IOPAUSE_READ ;
      n++ ;
    }
  return n ;
}

static void ready (workers *p, worker *w, conntable *conns)
{
  if (w->state == WORKER_BUSY)
  {
    ip46full a ;
    conntable_remove(conns, w->pid, &a) ;   /* its connection is over */
  }
  else p->nstarting-- ;
  w->state = WORKER_IDLE ;
  p->nidle++ ;
  tain_copynow(&w->idlesince) ;
  if (w->retire || w->uses >= p->maxuse) leave(p, w) ;
}

static worker *bysock (workers *p, int fd)
{
  for (uint32_t i = 0 ; i < p->n ; i++) if (p->w[i].sock == fd) return p->w + i ;
  return 0 ;
}

void workers_events (workers *p, iopause_fd const *x, unsigned int nx, conntable *conns)
{
  for (unsigned int j = 0 ; j < nx ; j++)
  {
    worker *w ;
    char buf[16] ;
    ssize_t r ;
    if (!(x[j].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))) continue ;
    w = bysock(p, x[j].fd) ;
    if (!w) continue ;
    r = recv(w->sock, buf, sizeof(buf), MSG_DONTWAIT) ;
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue ;
    if (r == 1 && buf[0] == DCR_POOL_READY && w->state != WORKER_IDLE) ready(p, w, conns) ;
    else
    {
      /* EOF, an error, or not the protocol: it goes. One that said
         something else does not speak the protocol: it is told to go,
         and no other is started for a while */
      if (r > 0)
      {
        dcr_log("event", "error", "error", "a pre-started session broke the protocol", (char *)0) ;
        if (w->state == WORKER_STARTING) tain_addsec_g(&p->pause, 1) ;
        kill(w->pid, SIGTERM) ;
      }
      leave(p, w) ;
    }
  }
}

int workers_reaped (workers *p, pid_t pid, int wstat)
{
  uint32_t i = 0 ;
  for (; i < p->n ; i++) if (p->w[i].pid == pid) break ;
  if (i == p->n) return 0 ;
  if (p->w[i].state == WORKER_STARTING)
  {
    char fstatus[UINT_FMT] ;
    fstatus[uint_fmt(fstatus, WIFEXITED(wstat) ? WEXITSTATUS(wstat) : 128 + WTERMSIG(wstat))] = 0 ;
    dcr_log("event", "error", "error", "a pre-started session exited before it was ready: does the program take connections from dcr-tcpd -P?",
      "status", fstatus, (char *)0) ;
    tain_addsec_g(&p->pause, 1) ;
  }
  leave(p, p->w + i) ;
  p->w[i] = p->w[--p->n] ;
  return 1 ;
}

void workers_expire (workers *p, tain *deadline)
{
  tain limit, next ;
  if (tain_future(&p->pause) && p->nidle + p->nstarting < p->spare && tain_less(&p->pause, deadline)) *deadline = p->pause ;
  if (p->nidle <= p->spare) return ;
  tain_addsec_g(&limit, -WORKERS_IDLE_SECS) ;
  for (uint32_t i = 0 ; i < p->n && p->nidle > p->spare ; i++)
  {
    worker *w = p->w + i ;
    if (w->state != WORKER_IDLE) continue ;
    if (!tain_less(&limit, &w->idlesince)) { leave(p, w) ; continue ; }
    tain_addsec(&next, &w->idlesince, WORKERS_IDLE_SECS) ;
    if (tain_less(&next, deadline)) *deadline = next ;
  }
}

void workers_retire (workers *p, int sig)
{
  for (uint32_t i = 0 ; i < p->n ; i++)
  {
    worker *w = p->w + i ;
    if (w->state == WORKER_BUSY) { w->retire = 1 ; continue ; }
    if (w->state != WORKER_LEAVING) leave(p, w) ;
    /* one that never reads its socket would not see the EOF */
    if (sig) kill(w->pid, sig) ;
  }
}

void workers_closeall (workers const *p)
{
  for (uint32_t i = 0 ; i < p->n ; i++) if (p->w[i].sock >= 0) fd_close(p->w[i].sock) ;
}
