/* ISC license. */
/* One worker: its listeners, the epoll loop, signals (through a
   signalfd, so that they are events like the others), the pause of
   accept when descriptors or memory run out, and the timeouts sweep.
   epoll is used directly (connections edge-triggered, conn.c): see doc/dcr-sniproxy.md for
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
#include <netinet/tcp.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <fmt.h>
#include <socket.h>

#include "sni.h"
#include "log.h"

#define SWEEP_MS 200        /* timeouts are checked this often */
#define PAUSE_MS 100        /* accept stays paused this long after EMFILE */

uint64_t now_ms ;
unsigned int fds_open, fds_limit ;
int epfd = -1 ;
static stats own ;
stats *st = &own ;

static int sigfd = -1 ;
static int paused ;            /* listeners out of epoll until resume_at */
static int pause_logged ;      /* accept-paused said, accept-resumed not yet */
static uint64_t resume_at ;
static int closing ;           /* SIGTERM seen */
static uint64_t grace_end ;
static unsigned int lreg[LISTENERS_MAX] ;

static void fds_count (void)
{
  struct rlimit rl ;
  DIR *d = opendir("/proc/self/fd") ;
  struct dirent *e ;
  fds_open = 0 ;
  if (d)
  {
    while ((e = readdir(d))) if (e->d_name[0] != '.') fds_open++ ;
    closedir(d) ;
    fds_open-- ;   /* the directory's own */
  }
  else fds_open = 16 ;
  fds_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1u << 30 ? rl.rlim_cur : 1u << 30 ;
}

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
    setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ;   /* accepted sockets inherit it */
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

static size_t stats_line (char *line, size_t max, stats const *x, char const *worker)
{
  char conns[16], acc[24], ref[24], fo[24], bad[24], to[24], up[24], down[24] ;
  char const *kv[18] ;
  size_t n = 0 ;
  unsigned int i ;
  conns[fmt_ulong(conns, x->conns)] = 0 ;
  acc[fmt_ulonglong(acc, x->accepted)] = 0 ;
  ref[fmt_ulonglong(ref, x->refused)] = 0 ;
  fo[fmt_ulonglong(fo, x->failovers)] = 0 ;
  bad[fmt_ulonglong(bad, x->bad_hello)] = 0 ;
  to[fmt_ulonglong(to, x->timeouts)] = 0 ;
  up[fmt_ulonglong(up, x->bytes_up)] = 0 ;
  down[fmt_ulonglong(down, x->bytes_down)] = 0 ;
  kv[0] = "worker" ; kv[1] = worker ;
  kv[2] = "conns" ; kv[3] = conns ; kv[4] = "accepted" ; kv[5] = acc ;
  kv[6] = "refused" ; kv[7] = ref ; kv[8] = "failovers" ; kv[9] = fo ;
  kv[10] = "bad_hello" ; kv[11] = bad ; kv[12] = "timeouts" ; kv[13] = to ;
  kv[14] = "bytes_up" ; kv[15] = up ; kv[16] = "bytes_down" ; kv[17] = down ;
  for (i = 0 ; i < 18 ; i += 2) n = dcr_log_kv(line, n, max - 1, kv[i], kv[i + 1]) ;
  line[n++] = '\n' ;
  return n ;
}

/* one line per worker, and their sum (worker=all) when more than one:
   in the log, or into the -s file, replaced whole (a temporary, renamed) */
void stats_dump (stats const *a, unsigned int n, unsigned int first)
{
  char buf[SNI_LOG_MAX * 4] ;
  size_t len = 0 ;
  stats sum ;
  unsigned int i ;
  memset(&sum, 0, sizeof(sum)) ;
  for (i = 0 ; i <= n ; i++)
  {
    char w[16], line[SNI_LOG_MAX] ;
    stats const *x = i < n ? &a[i] : &sum ;
    size_t k ;
    if (i == n && n == 1) break ;
    if (i < n)
    {
      sum.conns += x->conns ; sum.accepted += x->accepted ; sum.refused += x->refused ;
      sum.failovers += x->failovers ; sum.bad_hello += x->bad_hello ; sum.timeouts += x->timeouts ;
      sum.bytes_up += x->bytes_up ; sum.bytes_down += x->bytes_down ;
      w[fmt_ulong(w, first + i)] = 0 ;
    }
    else memcpy(w, "all", 4) ;
    k = stats_line(line, sizeof(line), x, w) ;
    if (!cfg.statsfile)
    {
      char out[SNI_LOG_MAX + 32] ;
      size_t m = fmt_str(out, "dcr-sniproxy: event=stats ") ;
      memcpy(out + m, line, k) ;
      sni_log_flush() ;
      if (write(2, out, m + k) < 0) {}
    }
    else if (len + k <= sizeof(buf)) { memcpy(buf + len, line, k) ; len += k ; }
  }
  if (cfg.statsfile)
  {
    char tmp[4200] ;
    size_t pl = strlen(cfg.statsfile) ;
    int fd ;
    if (pl > 4000) return ;
    memcpy(tmp, cfg.statsfile, pl) ;
    memcpy(tmp + pl, ".tmp", 5) ;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) ;
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd) < 0 || rename(tmp, cfg.statsfile) < 0)
      sni_log("event", "stats-failed", "file", cfg.statsfile, "error", strerror(errno), (char *)0) ;
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
    if (cfg.l[i].fd >= 0) { close(cfg.l[i].fd) ; cfg.l[i].fd = -1 ; lreg[i] = 0 ; fds_open-- ; }
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
      case SIGUSR1 : stats_dump(st, 1, worker_index) ; break ;
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
  fds_count() ;
  listeners_watch(1) ;
  for (i = 0 ; i < cfg.nl ; i++)
  {
    char w[16] ;
    w[fmt_ulong(w, worker_index)] = 0 ;
    sni_log("event", "start", "listener", cfg.l[i].text, "worker", w, (char *)0) ;
  }
  if (readyfd >= 0) { if (write(readyfd, "\n", 1) < 0) {} close(readyfd) ; }
  next_sweep = now_ms + SWEEP_MS ;
  sni_log_batch(1) ;
  for (;;)
  {
    int n, k, timeout = SWEEP_MS ;
    if (closing && (!conns_open() || now_ms >= grace_end))
    {
      conns_sweep(1) ;
      sni_log("event", "stop", (char *)0) ;
      sni_log_flush() ;
      _exit(0) ;
    }
    sni_log_flush() ;
    if (conns_ready()) timeout = 0 ;
    n = epoll_wait(epfd, ev, 256, timeout) ;
    clock_update() ;
    if (n < 0 && errno != EINTR) sni_die(111, "epoll_wait", strerror(errno)) ;
    for (k = 0 ; k < n ; k++)
    {
      uint64_t tag = ev[k].data.u64 ;
      unsigned int kind = tag & 3, idx = (tag >> 2) & 0x3fffffff ;
      if (kind == TAG_SIGNAL) signals() ;
      else if (kind == TAG_LISTENER) { if (!paused && !closing && cfg.l[idx].fd >= 0) conn_accept(&cfg.l[idx]) ; }
      else conn_event(idx, tag >> 32, kind, ev[k].events) ;
    }
    conns_run_ready() ;
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
