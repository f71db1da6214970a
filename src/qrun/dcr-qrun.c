/* ISC license. */

/* dcr-qrun: the runner. Owns the queue: schedules, routes, hands jobs
   to agents, retries, bounces, expires. doc/dcr-qrun.md. */

#include <sys/stat.h>
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include <dcr/conf.h>
#include <dcr/opts.h>
#include "qrun.h"

#define USAGE "dcr-qrun [ -c confdir ] [ -d notif-fd ] [ --remote prog ] [ --maildir prog ] queuedir"
#define dieusage() strerr_dieusage(100, USAGE)
#define MAXFDS 4096
#define SWEEP_EVERY 3600

qconf conf ;
dcr_routes routes = DCR_ROUTES_ZERO ;
uint64_t now ;

static stralloc dirty = STRALLOC_ZERO ;   /* directories to fsync, NUL-separated */
static stralloc after = STRALLOC_ZERO ;   /* files to unlink once they are synced, NUL-separated */
static char const *routesfile = 0 ;
static struct stat routes_st ;   /* the version loaded */
static int stopping = 0 ;

unsigned int randomness (unsigned int n)
{
  return n ? (unsigned int)(random() % n) : 0 ;
}

void dirty_dir (char const *dir)
{
  size_t n = strlen(dir) ;
  for (size_t i = 0 ; i < dirty.len ; i += strlen(dirty.s + i) + 1)
    if (!strcmp(dirty.s + i, dir)) return ;
  if (!stralloc_catb(&dirty, dir, n + 1)) strerr_diefu1sys(111, "allocate") ;
}

void unlink_after_sync (char const *path)
{
  if (!stralloc_catb(&after, path, strlen(path) + 1)) strerr_diefu1sys(111, "allocate") ;
}

/* Removals are made durable once per loop: one fsync a directory, however
   many; then what had to wait for them (the messages) goes. */
static void sync_dirty (void)
{
  for (size_t i = 0 ; i < dirty.len ; i += strlen(dirty.s + i) + 1)
    if (!dcr_fsync_dir(dirty.s + i)) dcr_log("event", "fsync-error", "dir", dirty.s + i, "error", strerror(errno), (char *)0) ;
  dirty.len = 0 ;
  for (size_t i = 0 ; i < after.len ; i += strlen(after.s + i) + 1) unlink(after.s + i) ;
  after.len = 0 ;
}

/* Group commit of removals: the first removal of a batch starts a
   sync-delay (ms) window; the directories are synced at its end, once
   for every message finished in it. */
static void maybe_sync (tain *deadline, int now_please)
{
  static tain due ;
  static int pending = 0 ;
  if (!dirty.len && !after.len) return ;
  if (!pending)
  {
    tain d ;
    tain_from_millisecs(&d, conf.sync_delay) ;
    tain_add_g(&due, &d) ;
    pending = 1 ;
  }
  if (now_please || !tain_less(&STAMP, &due)) { sync_dirty() ; pending = 0 ; }
  else if (tain_less(&due, deadline)) *deadline = due ;
}


void retry_all (char const *domain)
{
  uint32_t n = sched_limit() ;
  for (uint32_t e = 0 ; e < n ; e++)
  {
    qentry *q = sched_get(e) ;
    if ((q->flags & QE_USED) && !(q->flags & (QE_FLIGHT | QE_HELD))) { q->flags |= domain ? QE_FORCEDOM : QE_FORCE ; sched_put(e, 0) ; }
  }
  if (domain) flight_force_domain(domain) ;
}

 /* Configuration */

static unsigned int confnum (char const *name, uint64_t dflt, uint64_t min, uint64_t max)
{
  uint64_t v = dflt ;
  int r = dcr_conf_num(conf.confdir, name, &v) ;
  if (r <= 0 || v < min || v > max)
  {
    dcr_log("event", "config-error", "file", name, "error", r < 0 ? strerror(errno) : "not a number in range", "effect", "default used", (char *)0) ;
    v = dflt ;
  }
  return v ;
}

static void load_conf (void)
{
  static char host[256] ;
  conf.retry_base = confnum("retry-base", 300, 1, 86400) ;
  conf.retry_max = confnum("retry-max", 3600, 1, 7 * 86400) ;
  conf.expire = confnum("expire", 5 * 86400, 1, 365 * 86400) ;
  conf.max_tries = confnum("max-tries", 0, 0, 1000000) ;
  conf.concurrency = confnum("concurrency", 100, 1, 1000) ;
  conf.per_dest = confnum("concurrency-per-dest", 20, 1, 1000) ;
  conf.agent_idle = confnum("agent-idle", 10, 1, 3600) ;
  conf.down_time = confnum("down-time", 300, 1, 86400) ;
  conf.job_timeout = confnum("job-timeout", 3600, 1, 86400) ;
  conf.bounce_size = confnum("bounce-size", 50000, 0, 50 << 20) ;
  conf.max_flights = confnum("max-flights", 10000, 1, 1000000) ;
  conf.delay_warning = confnum("delay-warning", 0, 0, 365 * 86400) ;
  conf.sync_delay = confnum("sync-delay", 20, 0, 1000) ;
  if (!conf.confdir || dcr_conf_line(conf.confdir, "hostname", host, sizeof host) <= 0 || !host[0])
    if (gethostname(host, sizeof host - 1) < 0 || !host[0]) strcpy(host, "localhost") ;
  conf.hostname = host ;
}

static void load_routes (int force)
{
  dcr_routes fresh = DCR_ROUTES_ZERO ;
  if (!routesfile) return ;
  if (!dcr_file_changed(routesfile, &routes_st) && !force) return ;
  if (!dcr_routes_load(&fresh, routesfile))
  {
    dcr_routes_logerror(&fresh, routesfile, "old table kept") ;
    dcr_routes_free(&fresh) ;
    return ;
  }
  dcr_routes_free(&routes) ;
  routes = fresh ;
  jobs_reset_balance() ;
  dcr_log("event", "routes-loaded", "file", routesfile, (char *)0) ;
}

/* A program name without a slash: found once in PATH. */
static char const *which (char const *prog)
{
  char const *path = getenv("PATH") ;
  if (strchr(prog, '/') || !path) return prog ;
  while (*path)
  {
    size_t n = strcspn(path, ":") ;
    stralloc sa = STRALLOC_ZERO ;
    if (n && stralloc_catb(&sa, path, n) && stralloc_catb(&sa, "/", 1) && stralloc_cats(&sa, prog) && stralloc_0(&sa)
     && access(sa.s, X_OK) == 0) return sa.s ;
    stralloc_free(&sa) ;
    path += n + !!path[n] ;
  }
  return prog ;
}

/* Two pipes an agent: as many descriptors as the hard limit allows. */
static void more_fds (void)
{
  struct rlimit r ;
  if (getrlimit(RLIMIT_NOFILE, &r) < 0) return ;
  if (r.rlim_cur < r.rlim_max) { r.rlim_cur = r.rlim_max ; setrlimit(RLIMIT_NOFILE, &r) ; getrlimit(RLIMIT_NOFILE, &r) ; }
  if (r.rlim_cur < 2 * (rlim_t)conf.concurrency + 64)
  {
    char have[UINT64_FMT] ;
    have[uint64_fmt(have, r.rlim_cur)] = 0 ;
    dcr_log("event", "config-warning", "file", "concurrency", "error", "more agents than descriptors allow", "nofile", have, (char *)0) ;
  }
}

 /* Signals */

static void on_signal (void)
{
  for (;;)
  {
    int sig = selfpipe_read() ;
    if (sig <= 0) return ;
    if (sig == SIGCHLD) agent_reap() ;
    else if (sig == SIGHUP) { load_conf() ; load_routes(1) ; paused_load() ; }
    else if (sig == SIGTERM || sig == SIGINT) { stopping = 1 ; agent_closeall() ; }
  }
}

 /* The trigger: "ID\n" after each commit; lines may be lost, so a
    nearly full pipe also means "look at all of new/". */

static void on_trigger (int fd)
{
  static char buf[65536] ;
  ssize_t r = read(fd, buf, sizeof buf) ;
  size_t start = 0 ;
  if (r <= 0) return ;
  for (ssize_t i = 0 ; i < r ; i++)
    if (buf[i] == '\n')
    {
      buf[i] = 0 ;
      if (i - start == DCR_QID_LEN) pickup(buf + start) ;
      start = i + 1 ;
    }
  if (r >= 32768) scan_new() ;
}

static int open_trigger (void)
{
  int fd ;
  if (mkfifo("trigger", 0620) < 0 && errno != EEXIST) strerr_diefu1sys(111, "mkfifo trigger") ;
  fd = open("trigger", O_RDWR | O_NONBLOCK | O_CLOEXEC) ;   /* RDWR: never EOF */
  if (fd < 0) strerr_diefu1sys(111, "open trigger") ;
  return fd ;
}

static void take_lock (void)
{
  int fd = open("lock", O_RDWR | O_CREAT | O_CLOEXEC, DCR_QUEUE_FILEMODE) ;
  int r ;
  if (fd < 0) strerr_diefu1sys(111, "open lock") ;
  r = fd_lock(fd, 1, 1) ;
  if (r < 0) strerr_diefu1sys(111, "lock") ;
  if (!r)
  {
    dcr_log("event", "waiting-for-lock", "file", "lock", (char *)0) ;
    if (fd_lock(fd, 1, 0) < 1) strerr_diefu1sys(111, "lock") ;
  }
}

static void options (int *argc, char const ***argv, int *notif)
{
  static dcr_longopt const longs[] = { { "remote", 'r', 1 }, { "maildir", 'm', 1 }, { 0, 0, 0 } } ;
  subgetopt l = SUBGETOPT_ZERO ;
  char const **av = dcr_longopts(argc, *argv, longs, "c:d:r:m:", USAGE) ;
  conf.remote = "dcr-remote" ; conf.maildir = "dcr-maildir" ;
  for (;;)
  {
    int opt = subgetopt_r(*argc, av, "c:d:r:m:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'c' : conf.confdir = l.arg ; break ;
      case 'd' : { unsigned int u ; if (!uint0_scan(l.arg, &u)) dieusage() ; *notif = u ; break ; }
      case 'r' : conf.remote = l.arg ; break ;
      case 'm' : conf.maildir = l.arg ; break ;
      default : dieusage() ;
    }
  }
  *argc -= l.ind ; *argv = av + l.ind ;
}

static void setup (char const *queue)
{
  if (conf.confdir)
  {
    stralloc sa = STRALLOC_ZERO ;
    char *abs = realpath(conf.confdir, 0) ;
    if (!abs) strerr_diefu2sys(111, "find ", conf.confdir) ;
    conf.confdir = abs ;
    if (!stralloc_cats(&sa, abs) || !stralloc_cats(&sa, "/routes") || !stralloc_0(&sa)) strerr_diefu1sys(111, "allocate") ;
    routesfile = sa.s ;
  }
  conf.remote = which(conf.remote) ;
  conf.maildir = which(conf.maildir) ;
  if (chdir(queue) < 0) strerr_diefu2sys(111, "chdir to ", queue) ;
  umask(027) ;
  take_lock() ;
  load_conf() ;
  load_routes(1) ;
  paused_load() ;
  srandom(getpid() ^ time(0)) ;
  more_fds() ;
}

int main (int argc, char const *const *argv)
{
  iopause_fd x[MAXFDS] ;
  int notif = -1, trigger, sfd ;
  tain lastsweep ;
  int sweeping ;
  PROG = "dcr-qrun" ;
  options(&argc, (char const ***)&argv, &notif) ;
  if (argc != 1) dieusage() ;
  setup(argv[0]) ;
  sfd = selfpipe_init() ;
  if (sfd < 0) strerr_diefu1sys(111, "selfpipe_init") ;
  if (!selfpipe_trap(SIGCHLD) || !selfpipe_trap(SIGHUP) || !selfpipe_trap(SIGTERM) || !selfpipe_trap(SIGINT))
    strerr_diefu1sys(111, "trap signals") ;
  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  trigger = open_trigger() ;
  control_open() ;
  tain_now_set_stopwatch_g() ;
  now = time(0) ;
  scan_env() ;
  scan_new() ;
  lastsweep = STAMP ;
  sweeping = 1 ;   /* the first sweep right after readiness, a directory a turn */
  {
    char n[UINT_FMT] ;
    n[uint_fmt(n, sched_size())] = 0 ;
    dcr_log("event", "start", "queued", n, (char *)0) ;
  }
  if (notif >= 0) { fd_write(notif, "\n", 1) ; fd_close(notif) ; }

  for (;;)
  {
    tain deadline ;
    uint32_t top ;
    unsigned int n = 0, na ;
    tain_now_g() ;
    now = time(0) ;
    tain_addsec_g(&deadline, 60) ;
    if (stopping && !agent_busy()) break ;
    if (!stopping)
    {
      load_routes(0) ;
      unsigned int started = 0 ;
      if (scan_new_due()) scan_new() ;
      /* at most 1000 a turn: the loop serves its fds between batches */
      while (!paused_all() && flight_count() < conf.max_flights && started++ < 1000
          && (top = sched_top()) != NONE32 && sched_get(top)->next <= now)
        flight_start(top) ;
      if (started > 1000) deadline = STAMP ;
      if (!paused_all() && flight_count() < conf.max_flights && (top = sched_top()) != NONE32)
      {
        tain t ;
        tain_addsec_g(&t, sched_get(top)->next > now ? sched_get(top)->next - now : 1) ;
        if (tain_less(&t, &deadline)) deadline = t ;
      }
      agent_dispatch(&deadline) ;
      {
        tain t ;
        tain_addsec(&t, &lastsweep, SWEEP_EVERY) ;
        if (!sweeping && !tain_less(&STAMP, &t)) sweeping = 1 ;
        if (sweeping && !(sweeping = sweep_step())) lastsweep = STAMP ;
        if (sweeping) deadline = STAMP ;   /* more to sweep: do not sleep */
      }
    }
    else agent_closeall() ;
    maybe_sync(&deadline, stopping) ;
    agent_timers(&deadline) ;
    x[n].fd = sfd ; x[n++].events = IOPAUSE_READ ;
    /* stopping: the trigger is not read, so not watched (it would stay readable) */
    x[n].fd = stopping ? -1 : trigger ; x[n++].events = IOPAUSE_READ ;
    x[n].fd = control_fd() ; x[n++].events = IOPAUSE_READ ;
    na = agent_fds(x + n, MAXFDS - n) ;
    if (iopause_g(x, n + na, &deadline) < 0 && errno != EINTR) strerr_diefu1sys(111, "iopause") ;
    if (x[1].revents & IOPAUSE_READ && !stopping) on_trigger(trigger) ;
    if (x[2].revents & IOPAUSE_READ) control_read() ;
    agent_events(x + n, na) ;
    if (x[0].revents & IOPAUSE_READ) on_signal() ;
    agent_compact() ;
  }
  sync_dirty() ;
  dcr_log("event", "stop", (char *)0) ;
  return 0 ;
}
