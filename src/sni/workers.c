/* ISC license. */
/* -w N: the parent forks N workers, each binds its own SO_REUSEPORT
   listeners (the kernel spreads connections among them), and the parent
   supervises: readiness once all are bound, a dead worker restarted
   (after a second, so that a crashing one does not spin), SIGHUP and
   SIGTERM passed on; SIGUSR1 answered here, from the counters the
   workers keep in shared memory. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <fmt.h>

#include "sni.h"
#include "log.h"

#define WORKERS_MAX 256
#define RESPAWN_MS 1000

static pid_t pid[WORKERS_MAX] ;
static uint64_t respawn_at[WORKERS_MAX] ;   /* 0: running or not due */
static int ready[2] = { -1, -1 } ;
static int sigfd = -1 ;
static stats *shared ;   /* each worker's counters, where the parent reads them */

static uint64_t clock_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

static void spawn (unsigned int i)
{
  pid_t p = fork() ;
  if (p < 0)
  {
    sni_log("event", "fork-failed", "error", strerror(errno), (char *)0) ;
    respawn_at[i] = clock_ms() + RESPAWN_MS ;
    return ;
  }
  if (!p)
  {
    close(ready[0]) ; close(sigfd) ;
    if (cfg.readyfd >= 0) close(cfg.readyfd) ;
    worker_index = i ;
    st = &shared[i] ;
    st->conns = 0 ;   /* a restarted worker: the totals go on */
    listeners_bind() ;
    loop_run(ready[1]) ;
  }
  pid[i] = p ;
  respawn_at[i] = 0 ;
}

static void forward (int sig)
{
  unsigned int i ;
  for (i = 0 ; i < cfg.workers ; i++) if (pid[i] > 0) kill(pid[i], sig) ;
}

static unsigned int alive (void)
{
  unsigned int i, n = 0 ;
  for (i = 0 ; i < cfg.workers ; i++) n += pid[i] > 0 ;
  return n ;
}

void workers_run (void)
{
  sigset_t set ;
  unsigned int i, nready = 0 ;
  int terminating = 0 ;
  sigemptyset(&set) ;
  sigaddset(&set, SIGHUP) ; sigaddset(&set, SIGUSR1) ; sigaddset(&set, SIGTERM) ;
  sigaddset(&set, SIGINT) ; sigaddset(&set, SIGCHLD) ;
  sigprocmask(SIG_BLOCK, &set, 0) ;
  sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) ;
  if (sigfd < 0 || pipe(ready) < 0) sni_die(111, "signalfd or pipe", strerror(errno)) ;
  shared = mmap(0, cfg.workers * sizeof(stats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) ;
  if (shared == MAP_FAILED) sni_die(111, "mmap", strerror(errno)) ;
  for (i = 0 ; i < cfg.workers ; i++) spawn(i) ;
  close(ready[1]) ;
  for (;;)
  {
    struct pollfd p[2] = { { .fd = sigfd, .events = POLLIN }, { .fd = ready[0], .events = POLLIN } } ;
    struct signalfd_siginfo si ;
    uint64_t now = clock_ms(), next = 0 ;
    int timeout = -1 ;
    for (i = 0 ; i < cfg.workers ; i++)
    {
      if (!respawn_at[i] || terminating) continue ;
      if (now >= respawn_at[i]) { ready[1] = -1 ; spawn(i) ; continue ; }
      if (!next || respawn_at[i] < next) next = respawn_at[i] ;
    }
    if (next) timeout = next - now ;
    if (poll(p, ready[0] >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR) sni_die(111, "poll", strerror(errno)) ;
    if (ready[0] >= 0 && p[1].revents)
    {
      char buf[64] ;
      ssize_t n = read(ready[0], buf, sizeof(buf)) ;
      if (n <= 0) { close(ready[0]) ; ready[0] = -1 ; }
      else
      {
        nready += n ;
        if (nready >= cfg.workers && cfg.readyfd >= 0)
        {
          if (write(cfg.readyfd, "\n", 1) < 0) {}
          close(cfg.readyfd) ;
          cfg.readyfd = -1 ;
        }
      }
    }
    while (read(sigfd, &si, sizeof(si)) == sizeof(si))
      switch (si.ssi_signo)
      {
        case SIGHUP :
        {
          /* the parent's copy too: a restarted worker starts with it */
          unsigned int line ;
          char const *err ;
          sni_rules *r = rules_load(cfg.rulesfile, &line, &err) ;
          if (r) { rules_release(rules) ; rules = r ; }
          forward(SIGHUP) ;
          break ;
        }
        case SIGUSR1 : stats_dump(shared, cfg.workers, 0) ; break ;
        case SIGTERM : case SIGINT : terminating = 1 ; forward(SIGTERM) ; break ;
        case SIGCHLD : break ;
      }
    for (;;)
    {
      int status ;
      pid_t dead = waitpid(-1, &status, WNOHANG) ;
      if (dead <= 0) break ;
      for (i = 0 ; i < cfg.workers ; i++)
        if (pid[i] == dead)
        {
          char w[16], s[16] ;
          pid[i] = 0 ;
          if (terminating) break ;
          w[fmt_ulong(w, i)] = 0 ;
          s[fmt_ulong(s, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status))] = 0 ;
          sni_log("event", "worker-exit", "worker", w, "status", s, (char *)0) ;
          if (nready < cfg.workers && cfg.readyfd >= 0)
          {
            /* died before it was ready: at start, a bind that failed */
            terminating = 1 ;
            forward(SIGTERM) ;
            while (alive()) { int st2 ; pid_t d2 = wait(&st2) ; unsigned int k ; if (d2 < 0) break ; for (k = 0 ; k < cfg.workers ; k++) if (pid[k] == d2) pid[k] = 0 ; }
            _exit(111) ;
          }
          respawn_at[i] = clock_ms() + RESPAWN_MS ;
        }
    }
    if (terminating && !alive()) _exit(0) ;
  }
}
