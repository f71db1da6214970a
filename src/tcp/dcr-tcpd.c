/* ISC license. */

#include <string.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/ip46.h>
#include <skalibs/tai.h>
#include <skalibs/iopause.h>
#include <skalibs/sig.h>
#include <skalibs/selfpipe.h>

#include <dcr/cidr.h>
#include <dcr/log.h>
#include <dcr/opts.h>
#include "conntable.h"
#include "rules.h"
#include "tcpd.h"
#include "workers.h"

#define USAGE "dcr-tcpd -k -r rulesfile | dcr-tcpd [ -v ] [ -c maxconns ] [ -C maxperip ] [ -r rulesfile ] [ -m refusemsg ] [ -p cidr[,cidr...] ] [ -t proxytimeout ] [ -b backlog ] [ -d notif ] [ -P spare [ -u maxuse ] ] host port prog..."
#define dieusage() strerr_dieusage(100, USAGE)

#define MAXCONNS_LIMIT 100000
#define PROXYFROM_MAX 64

static dcr_longopt const longopts[] =
{
  { "max-conns", 'c', 1 },
  { "max-per-ip", 'C', 1 },
  { "rules", 'r', 1 },
  { "refuse-message", 'm', 1 },
  { "proxy-from", 'p', 1 },
  { "proxy-timeout", 't', 1 },
  { "backlog", 'b', 1 },
  { "notify-fd", 'd', 1 },
  { "verbose", 'v', 0 },
  { "check-rules", 'k', 0 },
  { "prestart", 'P', 1 },
  { "max-use", 'u', 1 },
  { 0, 0, 0 }
} ;

static uint32_t maxconns = 1000 ;
static uint32_t maxperip = 50 ;
static char *refusemsg ;
static size_t refuselen ;
static dcr_cidr proxyfrom[PROXYFROM_MAX] ;
static unsigned int nproxyfrom = 0 ;
static rulesfile rf ;
static tcpd child = { .proxytimeout = 5000 } ;
static conntable conns ;
static int lfd = -1 ;            /* the listening socket; -1 once stopping */
static int listen6 ;
static tain acceptpause ;        /* out of descriptors: stop accepting until then */
static workers pool ;            /* -P: pre-started sessions; spare 0: none */
static iopause_fd *pollfds ;

/* a decimal number and nothing else */
static int scan_u32 (char const *s, uint32_t *u)
{
  size_t n = uint320_scan(s, u) ;
  return n && !s[n] ;
}

static void set_refusemsg (char const *s)
{
  size_t n = strlen(s) ;
  if (n > 510) strerr_dief1x(100, "refuse message longer than 510 characters") ;
  for (size_t i = 0 ; i < n ; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
      strerr_dief1x(100, "refuse message must be printable ASCII") ;
  refusemsg = malloc(n + 2) ;
  if (!refusemsg) strerr_diefu1sys(111, "allocate") ;
  memcpy(refusemsg, s, n) ;
  memcpy(refusemsg + n, "\r\n", 2) ;
  refuselen = n + 2 ;
}

static void add_proxyfrom (char const *s)
{
  for (;;)
  {
    dcr_cidr *c = proxyfrom + nproxyfrom ;
    size_t n ;
    if (nproxyfrom >= PROXYFROM_MAX) strerr_dief1x(100, "too many --proxy-from prefixes") ;
    n = dcr_cidr_scan(s, c) ;
    if (!n || (s[n] && s[n] != ',')) strerr_dief2x(100, "bad --proxy-from prefix: ", s) ;
    if (dcr_cidr_clearhost(c)) strerr_dief2x(100, "bits set after the prefix length in --proxy-from: ", s) ;
    nproxyfrom++ ;
    if (!s[n]) break ;
    s += n + 1 ;
  }
}

static int trusted (ip46full const *a)
{
  for (unsigned int i = 0 ; i < nproxyfrom ; i++)
    if (dcr_cidr_match(proxyfrom + i, a)) return 1 ;
  return 0 ;
}

static void fmt_status (char *s, int wstat)
{
  if (WIFSIGNALED(wstat))
  {
    size_t n = 7 ;
    memcpy(s, "signal:", 7) ;
    n += uint_fmt(s + n, WTERMSIG(wstat)) ;
    s[n] = 0 ;
  }
  else s[uint_fmt(s, WEXITSTATUS(wstat))] = 0 ;
}

static void reap (void)
{
  for (;;)
  {
    ip46full a ;
    int wstat ;
    pid_t pid = wait_nohang(&wstat) ;
    if (pid < 0 && errno != ECHILD) strerr_diefu1sys(111, "wait") ;
    if (pid <= 0) break ;
    if (pool.spare || pool.n) workers_reaped(&pool, pid, wstat) ;
    if (!conntable_remove(&conns, pid, &a)) continue ;
    if (child.verbose)
    {
      char fpid[PID_FMT], fstatus[UINT_FMT + 8], fconns[UINT32_FMT] ;
      fpid[pid_fmt(fpid, pid)] = 0 ;
      fmt_status(fstatus, wstat) ;
      fconns[uint32_fmt(fconns, conns.n)] = 0 ;
      dcr_log("event", "end", "pid", fpid, "status", fstatus, "conns", fconns, (char *)0) ;
    }
  }
}

static void stop_listening (void)
{
  char fconns[UINT32_FMT] ;
  if (lfd < 0) return ;
  fd_close(lfd) ;
  lfd = -1 ;
  fconns[uint32_fmt(fconns, conns.n)] = 0 ;
  dcr_log("event", "stop", "conns", fconns, (char *)0) ;
}

static void handle_signals (void)
{
  for (;;) switch (selfpipe_read())
  {
    case -1 : strerr_diefu1sys(111, "read the selfpipe") ;
    case 0 : return ;
    case SIGCHLD : reap() ; break ;
    case SIGTERM :
      /* sessions are told too: dcr-smtpd closes an idle session with
         421 and finishes a message in progress (doc/dcr-tcpd.md) */
      stop_listening() ;
      pool.spare = 0 ;
      workers_retire(&pool, SIGTERM) ;   /* the idle ones exit */
      conntable_kill(&conns, SIGTERM) ;
      conntable_kill(&conns, SIGCONT) ;
      break ;
    case SIGHUP :
      if (rf.path) rulesfile_check(&rf, 1) ;
      /* the sessions started from now on read conf/ afresh */
      if (lfd >= 0) workers_retire(&pool, 0) ;
      break ;
    default : break ;
  }
}

static void log_connect (pid_t pid, ip46full const *peer, uint16_t port, int proxied, int pooled)
{
  char fpid[PID_FMT], fip[IP46_FMT], fport[UINT16_FMT], fconns[UINT32_FMT] ;
  fpid[pid_fmt(fpid, pid)] = 0 ;
  fip[ip46full_fmt(fip, peer)] = 0 ;
  fport[uint16_fmt(fport, port)] = 0 ;
  fconns[uint32_fmt(fconns, conns.n)] = 0 ;
  dcr_log("event", "connect", "pid", fpid, "ip", fip, "port", fport, "conns", fconns,
    proxied ? "proxy" : pooled ? "prestarted" : (char *)0, "1", (char *)0) ;
}

/* -P: to an idle pre-started session; 0 if there is none to take it */
static int hand (int fd, ip46full const *peer, uint16_t port, rule const *r)
{
  int i = workers_take(&pool), h ;
  if (i < 0) return 0 ;
  h = tcpd_hand(&child, pool.w[i].sock, fd, peer, port, r) ;
  if (h <= 0)
  {
    /* -1: the connection's fault, the spawn that follows says so */
    if (h < 0) workers_untake(&pool, i) ; else workers_drop(&pool, i) ;
    return 0 ;
  }
  fd_close(fd) ;
  conntable_add(&conns, pool.w[i].pid, peer) ;
  if (child.verbose) log_connect(pool.w[i].pid, peer, port, 0, 1) ;
  return 1 ;
}

/* fork the child that becomes the program; the parent keeps count */
static void spawn (int fd, ip46full const *peer, uint16_t port, int proxied, rule const *r)
{
  pid_t pid = proxied ? fork() : tcpd_spawn(&child, fd, peer, port, r) ;
  if (pid < 0)
  {
    dcr_log("event", "error", "error", proxied ? "unable to fork" : "unable to spawn", "errno", strerror(errno), (char *)0) ;
    tcpd_refuse(fd, refusemsg, refuselen) ;
    return ;
  }
  if (!pid)
  {
    workers_closeall(&pool) ;
    tcpd_child(&child, fd, peer, port, proxied, r) ;
  }
  fd_close(fd) ;
  conntable_add(&conns, pid, peer) ;
  if (child.verbose) log_connect(pid, peer, port, proxied, 0) ;
}

static void new_connection (void)
{
  ip46full peer = IP46FULL_ZERO ;
  uint16_t port ;
  rule const *r = 0 ;
  int proxied ;
  int fd = listen6 ? socket_accept6_nbcoe(lfd, peer.ip, &port) : socket_accept4_nbcoe(lfd, peer.ip, &port) ;
  if (fd < 0)
  {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
    {
      dcr_log("event", "error", "error", "unable to accept", "errno", strerror(errno), (char *)0) ;
      tain_addsec_g(&acceptpause, 1) ;
    }
    return ;
  }
  peer.is6 = listen6 ;
  dcr_ip46_unmap(&peer) ;
  if (rf.path) rulesfile_check(&rf, 0) ;
  proxied = trusted(&peer) ;
  if (!proxied && rf.path) r = rules_match(&rf.r, &peer) ;

  if (conns.n >= maxconns)
  {
    tcpd_log_refuse("max-conns", &peer, port, 0) ;
    tcpd_refuse(fd, refusemsg, refuselen) ;
  }
  else if (!proxied && conntable_count(&conns, &peer) >= maxperip)
  {
    tcpd_log_refuse("max-per-ip", &peer, port, 0) ;
    tcpd_refuse(fd, refusemsg, refuselen) ;
  }
  else if (r && r->deny)
  {
    tcpd_log_refuse("deny", &peer, port, r) ;
    tcpd_refuse(fd, rf.r.data.s + r->msg, r->msglen) ;
  }
  /* a PROXY header is read by a forked child: it may take a while */
  else if (proxied || !pool.spare || !hand(fd, &peer, port, r)) spawn(fd, &peer, port, proxied, r) ;
}

static void listen_on (ip46full const *ip, uint16_t *port, uint32_t backlog)
{
  ip46full bound ;
  listen6 = ip->is6 ;
  lfd = socket_tcp46_nbcoe(listen6) ;
  if (lfd < 0) strerr_diefu1sys(111, "create socket") ;
  if (socket_bind46_reuse(lfd, ip, *port) < 0) strerr_diefu1sys(111, "bind") ;
  if (socket_listen(lfd, (int)backlog) < 0) strerr_diefu1sys(111, "listen") ;
  if (socket_local46(lfd, &bound, port) < 0) strerr_diefu1sys(111, "getsockname") ;
}

static void trap_signals (int *sigfd)
{
  sigset_t set ;
  *sigfd = selfpipe_init() ;
  if (*sigfd < 0) strerr_diefu1sys(111, "create the selfpipe") ;
  sigemptyset(&set) ;
  sigaddset(&set, SIGCHLD) ;
  sigaddset(&set, SIGTERM) ;
  sigaddset(&set, SIGHUP) ;
  if (!selfpipe_trapset(&set)) strerr_diefu1sys(111, "trap signals") ;
  if (!sig_altignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
}

static void notify_ready (uint32_t notif)
{
  if (notif == UINT32_MAX) return ;
  if (fd_write((int)notif, "\n", 1) < 1) strerr_diefu1sys(111, "write to the notification descriptor") ;
  fd_close((int)notif) ;
}

static void log_start (ip46full const *ip, uint16_t port)
{
  char fip[IP46_FMT], fport[UINT16_FMT], fmax[UINT32_FMT], fper[UINT32_FMT] ;
  char fproxy[PROXYFROM_MAX * (DCR_CIDR_FMT + 1) + 5] = "none" ;
  size_t m = 0 ;
  fip[ip46full_fmt(fip, ip)] = 0 ;
  fport[uint16_fmt(fport, port)] = 0 ;
  fmax[uint32_fmt(fmax, maxconns)] = 0 ;
  fper[uint32_fmt(fper, maxperip)] = 0 ;
  for (unsigned int i = 0 ; i < nproxyfrom ; i++)
  {
    if (i) fproxy[m++] = ',' ;
    m += dcr_cidr_fmt(fproxy + m, proxyfrom + i) ;
    fproxy[m] = 0 ;
  }
  dcr_log("event", "start", "ip", fip, "port", fport, "max-conns", fmax, "max-per-ip", fper,
    "rules", rf.path ? rf.path : "none", "proxy-from", fproxy, (char *)0) ;
}

/* until SIGTERM has closed the socket and the last session has ended */
static void serve (int sigfd)
{
  while (lfd >= 0 || conns.n || pool.n)
  {
    iopause_fd *x = pollfds ;
    unsigned int n = 1, nw ;
    tain deadline = tain_infinite ;
    int accepting = 0 ;
    x[0].fd = sigfd ; x[0].events = IOPAUSE_READ ;
    if (lfd >= 0)
    {
      if (tain_future(&acceptpause)) deadline = acceptpause ;
      else { x[1].fd = lfd ; x[1].events = IOPAUSE_READ ; n = 2 ; accepting = 1 ; }
    }
    workers_fill(&pool) ;   /* after a signal, an event, a pause */
    workers_expire(&pool, &deadline) ;
    nw = workers_pollfds(&pool, x + n) ;
    if (iopause_g(x, n + nw, &deadline) < 0) strerr_diefu1sys(111, "iopause") ;
    if (x[0].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) { handle_signals() ; continue ; }
    /* first what the sessions said: a session that is ready again takes
       the connection waiting behind it */
    workers_events(&pool, x + n, nw, &conns) ;
    if (accepting && x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) new_connection() ;
  }
}

int main (int argc, char const *const *argv)
{
  ip46full ip ;
  uint16_t port ;
  uint32_t backlog = 1024 ;
  uint32_t notif = UINT32_MAX ;
  int sigfd ;
  int checkonly = 0 ;
  uint32_t spare = 0, maxuse = 100 ;
  PROG = "dcr-tcpd" ;

  argv = dcr_longopts(&argc, argv, longopts, "kvc:C:r:m:p:t:b:d:P:u:", USAGE) ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "kvc:C:r:m:p:t:b:d:P:u:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'k' : checkonly = 1 ; break ;
        case 'v' : child.verbose = 1 ; break ;
        case 'c' : if (!scan_u32(l.arg, &maxconns) || !maxconns || maxconns > MAXCONNS_LIMIT) dieusage() ; break ;
        case 'C' : if (!scan_u32(l.arg, &maxperip) || !maxperip) dieusage() ; break ;
        case 'r' : rf.path = l.arg ; child.rules = &rf ; break ;
        case 'm' : set_refusemsg(l.arg) ; break ;
        case 'p' : add_proxyfrom(l.arg) ; break ;
        case 't' : if (!scan_u32(l.arg, &child.proxytimeout) || !child.proxytimeout || child.proxytimeout > 3600000) dieusage() ; break ;
        case 'b' : if (!scan_u32(l.arg, &backlog) || !backlog || backlog > 65535) dieusage() ; break ;
        case 'd' : if (!scan_u32(l.arg, &notif) || notif > INT_MAX) dieusage() ; break ;
        case 'P' : if (!scan_u32(l.arg, &spare) || spare > MAXCONNS_LIMIT) dieusage() ; break ;
        case 'u' : if (!scan_u32(l.arg, &maxuse) || !maxuse) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (checkonly)
  {
    /* dcr-tcpd -k -r FILE: the rules file as dcr-tcpd would load it */
    if (!rf.path) dieusage() ;
    rulesfile_init(&rf, rf.path) ;   /* dies 100 with FILE:LINE */
    return 0 ;
  }
  if (argc < 3) dieusage() ;
  {
    size_t n = dcr_ip46_scan(argv[0], &ip) ;
    if (!n || argv[0][n]) strerr_dief2x(100, "host must be an IPv4 or IPv6 address: ", argv[0]) ;
    uint32_t u ;
    if (!scan_u32(argv[1], &u) || u > 65535) strerr_dief2x(100, "bad port: ", argv[1]) ;
    port = (uint16_t)u ;
  }
  child.argv = argv + 2 ;
  if (!refusemsg) set_refusemsg("421 4.7.0 too many connections, try again later") ;
  if (notif != UINT32_MAX && fcntl((int)notif, F_GETFD) < 0) strerr_dief1sys(100, "notification descriptor") ;
  if (rf.path) rulesfile_init(&rf, rf.path) ;
  conntable_init(&conns, maxconns) ;
  if (spare > maxconns) spare = maxconns ;
  /* at most one per connection, and the spares while they age out */
  workers_init(&pool, maxconns + spare, spare, maxuse, child.argv) ;
  pollfds = malloc((2 + pool.max) * sizeof(iopause_fd)) ;
  if (!pollfds) strerr_diefu1sys(111, "allocate") ;
  tain_now_set_stopwatch_g() ;

  trap_signals(&sigfd) ;
  listen_on(&ip, &port, backlog) ;
  log_start(&ip, port) ;
  notify_ready(notif) ;

  serve(sigfd) ;
  dcr_log("event", "exit", (char *)0) ;
  return 0 ;
}
