/* ISC license. */
/* One worker: its listeners, the epoll loop, signals (through a
   signalfd, so that they are events like the others), the pause of
   accept when descriptors or memory run out, and the timeouts sweep.
   epoll is used directly, level-triggered: see doc/dcr-sniproxy.md for
   why not libowfat's io_wait layer. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <fmt.h>
#include <socket.h>

#include "sni.h"
#include "log.h"

#define SWEEP_MS 200        /* timeouts are checked this often */
#define PAUSE_MS 100        /* accept stays paused this long after EMFILE */

uint64_t now_ms ;
int epfd = -1 ;
stats st ;

static int sigfd = -1 ;
static int paused ;            /* listeners out of epoll until resume_at */
static int pause_logged ;      /* accept-paused said, accept-resumed not yet */
static uint64_t resume_at ;
static int closing ;           /* SIGTERM seen */
static uint64_t grace_end ;
static unsigned int lreg[LISTENERS_MAX] ;

static void clock_update (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  now_ms = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

int ep_set (int fd, uint64_t tag, unsigned int *reg, unsigned int want)
{
  struct epoll_event ev ;
  int op ;
  if (want == *reg) return 0 ;
  op = !*reg ? EPOLL_CTL_ADD : !want ? EPOLL_CTL_DEL : EPOLL_CTL_MOD ;
  ev.events = want ;
  ev.data.u64 = tag ;
  *reg = want ;
  return epoll_ctl(epfd, op, fd, &ev) ;
}

void listeners_bind (void)
{
  unsigned int i ;
  for (i = 0 ; i < cfg.nl ; i++)
  {
    listener *l = &cfg.l[i] ;
    int one = 1, r ;
    l->fd = l->addr.v6 ? socket_tcp6b() : socket_tcp4b() ;
    if (l->fd < 0) sni_die(111, "socket", strerror(errno)) ;
    setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ;
    if (l->addr.v6) setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ;
    r = l->addr.v6 ? socket_bind6_reuse(l->fd, (char const *)l->addr.ip, l->addr.port, 0)
                   : socket_bind4_reuse(l->fd, (char const *)l->addr.ip, l->addr.port) ;
    if (r < 0) { char m[160] ; m[fmt_str(m, l->text)] = 0 ; sni_die(111, m, strerror(errno)) ; }
    if (socket_listen(l->fd, 1024) < 0) sni_die(111, "listen", strerror(errno)) ;
    fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK) ;
    fcntl(l->fd, F_SETFD, FD_CLOEXEC) ;
  }
}

static void listeners_watch (int on)
{
  unsigned int i ;
  for (i = 0 ; i < cfg.nl ; i++)
    if (cfg.l[i].fd >= 0) ep_set(cfg.l[i].fd, (uint64_t)i << 2 | TAG_LISTENER, &lreg[i], on ? EPOLLIN : 0) ;
}

/* why: EMFILE, ENFILE or ENOMEM: stop accepting for a while; why = 0:
   an accept worked, say so if a pause was said */
void accept_pause (char const *why)
{
  if (!why)
  {
    if (pause_logged) { sni_log("event", "accept-resumed", (char *)0) ; pause_logged = 0 ; }
    return ;
  }
  if (!paused && !closing) listeners_watch(0) ;
  paused = 1 ;
  resume_at = now_ms + PAUSE_MS ;
  if (!pause_logged)
  {
    char n[16] ;
    n[fmt_ulong(n, conns_open())] = 0 ;
    sni_log("event", "accept-paused", "reason", why, "conns", n, (char *)0) ;
    pause_logged = 1 ;
  }
}

static void stats_dump (void)
{
  char w[16], conns[16], acc[24], ref[24], fo[24], bad[24], to[24], up[24], down[24] ;
  char line[SNI_LOG_MAX] ;
  char const *kv[20] ;
  size_t n ;
  w[fmt_ulong(w, worker_index)] = 0 ;
  conns[fmt_ulong(conns, st.conns)] = 0 ;
  acc[fmt_ulonglong(acc, st.accepted)] = 0 ;
  ref[fmt_ulonglong(ref, st.refused)] = 0 ;
  fo[fmt_ulonglong(fo, st.failovers)] = 0 ;
  bad[fmt_ulonglong(bad, st.bad_hello)] = 0 ;
  to[fmt_ulonglong(to, st.timeouts)] = 0 ;
  up[fmt_ulonglong(up, st.bytes_up)] = 0 ;
  down[fmt_ulonglong(down, st.bytes_down)] = 0 ;
  kv[0] = "event" ; kv[1] = "stats" ; kv[2] = "worker" ; kv[3] = w ;
  kv[4] = "conns" ; kv[5] = conns ; kv[6] = "accepted" ; kv[7] = acc ;
  kv[8] = "refused" ; kv[9] = ref ; kv[10] = "failovers" ; kv[11] = fo ;
  kv[12] = "bad_hello" ; kv[13] = bad ; kv[14] = "timeouts" ; kv[15] = to ;
  kv[16] = "bytes_up" ; kv[17] = up ; kv[18] = "bytes_down" ; kv[19] = down ;
  if (!cfg.statsfile) { sni_log_pairs(kv, 10) ; return ; }
  {
    /* FILE (one worker) or FILE.N (worker N), replaced whole: written
       to a temporary name, then renamed */
    char path[4096], tmp[4200] ;
    size_t pl = strlen(cfg.statsfile), i ;
    int fd ;
    if (pl > sizeof(path) - 20) return ;
    memcpy(path, cfg.statsfile, pl) ;
    if (cfg.workers > 1) { path[pl++] = '.' ; pl += fmt_ulong(path + pl, worker_index) ; }
    path[pl] = 0 ;
    memcpy(tmp, path, pl) ;
    memcpy(tmp + pl, ".tmp", 5) ;
    n = 0 ;
    for (i = 2 ; i < 20 ; i += 2) n = sni_log_kv(line, n, sizeof(line) - 1, kv[i], kv[i + 1]) ;
    line[n++] = '\n' ;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) ;
    if (fd < 0 || write(fd, line, n) != (ssize_t)n || close(fd) < 0 || rename(tmp, path) < 0)
      sni_log("event", "stats-failed", "file", path, "error", strerror(errno), (char *)0) ;
  }
}

static void reload (void)
{
  unsigned int line = 0 ;
  char const *err = "" ;
  sni_rules *r = rules_load(cfg.rulesfile, &line, &err) ;
  char n[16] ;
  if (!r)
  {
    n[fmt_ulong(n, line)] = 0 ;
    sni_log("event", "reload-failed", "file", cfg.rulesfile, "line", n, "error", err, (char *)0) ;
    return ;
  }
  rules_release(rules) ;   /* freed when the last connection routed by it ends */
  rules = r ;
  n[fmt_ulong(n, r->n)] = 0 ;
  sni_log("event", "reload", "rules", n, (char *)0) ;
}

static void begin_shutdown (void)
{
  unsigned int i ;
  char g[16] ;
  if (closing) return ;
  closing = 1 ;
  for (i = 0 ; i < cfg.nl ; i++)
    if (cfg.l[i].fd >= 0) { close(cfg.l[i].fd) ; cfg.l[i].fd = -1 ; lreg[i] = 0 ; }
  grace_end = now_ms + (uint64_t)cfg.grace * 1000 ;
  g[fmt_ulong(g, conns_open())] = 0 ;
  sni_log("event", "stopping", "conns", g, (char *)0) ;
}

static void signals (void)
{
  struct signalfd_siginfo si ;
  while (read(sigfd, &si, sizeof(si)) == sizeof(si))
    switch (si.ssi_signo)
    {
      case SIGHUP : reload() ; break ;
      case SIGUSR1 : stats_dump() ; break ;
      case SIGTERM : case SIGINT : begin_shutdown() ; break ;
    }
}

void loop_run (int readyfd)
{
  struct epoll_event ev[256] ;
  uint64_t next_sweep ;
  sigset_t set ;
  unsigned int i, reg = 0 ;
  clock_update() ;
  epfd = epoll_create1(EPOLL_CLOEXEC) ;
  if (epfd < 0) sni_die(111, "epoll_create1", strerror(errno)) ;
  sigemptyset(&set) ;
  sigaddset(&set, SIGHUP) ; sigaddset(&set, SIGUSR1) ; sigaddset(&set, SIGTERM) ; sigaddset(&set, SIGINT) ;
  sigprocmask(SIG_BLOCK, &set, 0) ;
  sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC) ;
  if (sigfd < 0) sni_die(111, "signalfd", strerror(errno)) ;
  ep_set(sigfd, TAG_SIGNAL, &reg, EPOLLIN) ;
  if (!conns_init(cfg.maxconns)) sni_die(111, "out of memory", 0) ;
  listeners_watch(1) ;
  for (i = 0 ; i < cfg.nl ; i++)
  {
    char w[16] ;
    w[fmt_ulong(w, worker_index)] = 0 ;
    sni_log("event", "start", "listener", cfg.l[i].text, "worker", w, (char *)0) ;
  }
  if (readyfd >= 0) { if (write(readyfd, "\n", 1) < 0) {} close(readyfd) ; }
  next_sweep = now_ms + SWEEP_MS ;
  for (;;)
  {
    int n, k, timeout = SWEEP_MS ;
    if (closing && (!conns_open() || now_ms >= grace_end))
    {
      conns_sweep(1) ;
      sni_log("event", "stop", (char *)0) ;
      _exit(0) ;
    }
    n = epoll_wait(epfd, ev, 256, timeout) ;
    clock_update() ;
    if (n < 0 && errno != EINTR) sni_die(111, "epoll_wait", strerror(errno)) ;
    for (k = 0 ; k < n ; k++)
    {
      uint64_t tag = ev[k].data.u64 ;
      unsigned int kind = tag & 3, idx = tag >> 2 ;
      if (kind == TAG_SIGNAL) signals() ;
      else if (kind == TAG_LISTENER) { if (!paused && !closing && cfg.l[idx].fd >= 0) conn_accept(&cfg.l[idx]) ; }
      else conn_event(idx, kind, ev[k].events) ;
    }
    if (paused && now_ms >= resume_at)
    {
      paused = 0 ;
      if (!closing) listeners_watch(1) ;
    }
    if (now_ms >= next_sweep)
    {
      conns_sweep(0) ;
      next_sweep = now_ms + SWEEP_MS ;
    }
  }
}
