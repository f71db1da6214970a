/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/uint64.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/sig.h>
#include <skalibs/djbunix.h>

#include <dcr/opts.h>
#include <dcr/qid.h>
#include <dcr/queue.h>

#include "qctl.h"

#define USAGE "dcr-qctl [ -q queuedir ] list [ --ids ] [ --domain D ] [ --state pending|delivered|failed|held ] [ --older SECONDS ]" \
  " | show ID | stats [ --top N ] | retry ID|@DOMAIN|all | hold ID | release ID | delete ID | bounce ID" \
  " | pause [ DOMAIN ] | resume [ DOMAIN ] | reload"
#define dieusage() strerr_dieusage(100, USAGE)

#define DEFAULT_QUEUE "/var/spool/dcrouter"
#define LINEMAX 1024   /* one control line, written in one write(): atomic in a pipe */

uint64_t qctl_now ;

 /* Arguments */

static void check_id (char const *id)
{
  if (!dcr_qid_valid(id))
    strerr_die(100, PROG, ": unknown queue id: ", id, " (an id is 23 lowercase hex digits)") ;
}

/* DOMAIN or @DOMAIN, lower-cased into buf */
static void get_domain (char *buf, char const *arg)
{
  if (arg[0] == '@') arg++ ;
  if (strlen(arg) > QCTL_DOMAINMAX || !qctl_domain_ok(arg))
    strerr_die(100, PROG, ": not a domain: ", arg) ;
  strcpy(buf, arg) ;
  qctl_lower(buf) ;
}

/* SECONDS, or a number with s, m, h or d */
static uint64_t get_duration (char const *s)
{
  uint64_t u ;
  size_t n = uint64_scan(s, &u) ;
  uint64_t mult = 1 ;
  if (!n) dieusage() ;
  switch (s[n])
  {
    case 0 : case 's' : break ;
    case 'm' : mult = 60 ; break ;
    case 'h' : mult = 3600 ; break ;
    case 'd' : mult = 86400 ; break ;
    default : dieusage() ;
  }
  if (s[n] && s[n+1]) dieusage() ;
  if (u > UINT64_MAX / mult) dieusage() ;
  return u * mult ;
}

 /* Read-only commands: no lock, the runner may be running */

static int cmd_list (int argc, char const *const *argv)
{
  static dcr_longopt const longopts[] =
  {
    { "ids", 'i', 0 }, { "domain", 'd', 1 }, { "state", 's', 1 }, { "older", 'o', 1 }, { 0, 0, 0 }
  } ;
  static char domain[QCTL_DOMAINMAX + 1] ;
  qctl_filter f = { .domain = 0, .state = -1, .older = 0, .idsonly = 0 } ;
  subgetopt l = SUBGETOPT_ZERO ;
  argv = dcr_longopts(&argc, argv, longopts, "id:s:o:", USAGE) ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "id:s:o:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'i' : f.idsonly = 1 ; break ;
      case 'd' : get_domain(domain, l.arg) ; f.domain = domain ; break ;
      case 's' :
        if (!strcmp(l.arg, "pending")) f.state = DCR_RCPT_PENDING ;
        else if (!strcmp(l.arg, "delivered")) f.state = DCR_RCPT_DELIVERED ;
        else if (!strcmp(l.arg, "failed")) f.state = DCR_RCPT_FAILED ;
        else if (!strcmp(l.arg, "held")) f.state = QCTL_HELD ;
        else dieusage() ;
        break ;
      case 'o' : f.older = get_duration(l.arg) ; break ;
      default : dieusage() ;
    }
  }
  if (l.ind != argc) dieusage() ;
  return qctl_list(&f) ;
}

static int cmd_stats (int argc, char const *const *argv)
{
  static dcr_longopt const longopts[] = { { "top", 'n', 1 }, { 0, 0, 0 } } ;
  subgetopt l = SUBGETOPT_ZERO ;
  unsigned int top = 10 ;
  argv = dcr_longopts(&argc, argv, longopts, "n:", USAGE) ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "n:", &l) ;
    if (opt == -1) break ;
    if (opt != 'n' || !uint0_scan(l.arg, &top)) dieusage() ;
  }
  if (l.ind != argc) dieusage() ;
  return qctl_stats(top) ;
}

 /* Commands that change the queue: the runner's, or ours when it is down */

/* the envelope is in env/NN/ or new/ (or moving between them) */
static void check_exists (char const *id)
{
  char path[DCR_QUEUE_PATHMAX] ;
  struct stat st ;
  dcr_queue_envpath(path, id) ;
  if (!stat(path, &st)) return ;
  dcr_queue_newpath(path, id) ;
  if (!stat(path, &st)) return ;
  dcr_queue_envpath(path, id) ;
  if (!stat(path, &st)) return ;
  if (errno != ENOENT) strerr_diefu2sys(111, "stat ", path) ;
  strerr_die(100, PROG, ": unknown queue id: ", id) ;
}

/* 1: we hold the lock, so the runner is down; 0: the runner holds it.
   The descriptor stays open, and the lock held, until we exit. */
static int runner_down (void)
{
  int fd = open("lock", O_RDWR | O_CREAT | O_CLOEXEC, 0640) ;
  int r ;
  if (fd < 0) strerr_diefu1sys(111, "open lock (changing the queue needs write access to it)") ;
  r = fd_lock(fd, 1, 1) ;
  if (r < 0) strerr_diefu1sys(111, "test lock") ;
  return r ;
}

static void send_line (char const *line)
{
  char buf[LINEMAX] ;
  size_t n = strlen(line) ;
  struct stat st ;
  ssize_t w ;
  int fd ;
  if (n + 1 > LINEMAX) strerr_dief1x(100, "control line too long") ;
  memcpy(buf, line, n) ;
  buf[n++] = '\n' ;
  fd = open("control", O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (fd < 0)
  {
    if (errno == ENXIO) strerr_dief1x(111, "dcr-qrun holds the lock but nobody reads the control fifo: it has just stopped (or is starting); try again") ;
    if (errno == ENOENT) strerr_dief1x(111, "dcr-qrun holds the lock but there is no control fifo: it is starting; try again") ;
    strerr_diefu1sys(111, "open control") ;
  }
  if (fstat(fd, &st) < 0) strerr_diefu1sys(111, "stat control") ;
  if (!S_ISFIFO(st.st_mode)) strerr_dief1x(111, "control is not a fifo") ;
  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  do w = write(fd, buf, n) ; while (w < 0 && errno == EINTR) ;
  if (w < 0)
  {
    if (errno == EAGAIN) strerr_dief1x(111, "the control fifo is full: dcr-qrun is not reading it; try again") ;
    if (errno == EPIPE) strerr_dief1x(111, "dcr-qrun stopped reading the control fifo; try again") ;
    strerr_diefu1sys(111, "write to control") ;
  }
  if ((size_t)w != n) strerr_dief1x(111, "short write to control") ;
  fd_close(fd) ;
  out(PROG) ; out(": asked dcr-qrun to ") ; out(line) ; out("\n") ;
  outflush() ;
}

static void join (char *buf, char const *verb, char const *arg)
{
  strcpy(buf, verb) ;
  if (arg) { strcat(buf, " ") ; strcat(buf, arg) ; }
}

/* hold, release, delete, bounce: one id */
static int cmd_id (char const *verb, int argc, char const *const *argv)
{
  char line[LINEMAX] ;
  char const *id ;
  if (argc != 2) dieusage() ;
  id = argv[1] ;
  check_id(id) ;
  if (!runner_down())
  {
    check_exists(id) ;
    join(line, verb, id) ;
    send_line(line) ;
    return 0 ;
  }
  if (!strcmp(verb, "hold")) return qctl_act_hold(id, 1) ;
  if (!strcmp(verb, "release")) return qctl_act_hold(id, 0) ;
  if (!strcmp(verb, "delete")) return qctl_act_delete(id) ;
  check_exists(id) ;
  strerr_dief1x(111, "bounce needs dcr-qrun (it writes the DSN to the sender) and it is not running: start it and try again, or use delete to drop the message without a DSN") ;
}

static int cmd_retry (int argc, char const *const *argv)
{
  char line[LINEMAX] ;
  char domain[QCTL_DOMAINMAX + 2] ;
  char const *a ;
  if (argc != 2) dieusage() ;
  a = argv[1] ;
  if (!strcmp(a, "all") || !strcmp(a, "*"))
  {
    if (runner_down()) return qctl_act_retry_domain(0) ;
    send_line("retry *") ;
    return 0 ;
  }
  if (a[0] == '@')
  {
    domain[0] = '@' ;
    get_domain(domain + 1, a) ;
    if (runner_down()) return qctl_act_retry_domain(domain + 1) ;
    join(line, "retry", domain) ;
    send_line(line) ;
    return 0 ;
  }
  check_id(a) ;
  if (runner_down()) return qctl_act_retry_id(a) ;
  check_exists(a) ;
  join(line, "retry", a) ;
  send_line(line) ;
  return 0 ;
}

/* pause, resume: the whole queue, or a recipient domain */
static int cmd_pause (char const *verb, int argc, char const *const *argv)
{
  char line[LINEMAX] ;
  char domain[QCTL_DOMAINMAX + 1] ;
  int whole ;
  if (argc > 2) dieusage() ;
  whole = argc == 1 || !strcmp(argv[1], "*") ;
  if (!whole) get_domain(domain, argv[1]) ;
  if (runner_down()) return qctl_act_pause(whole ? "*" : domain, verb[0] == 'p') ;
  join(line, verb, whole ? 0 : domain) ;
  send_line(line) ;
  return 0 ;
}

static int cmd_reload (int argc, char const *const *argv)
{
  if (argc != 1) dieusage() ;
  if (runner_down())
  {
    out(PROG) ; out(": dcr-qrun is not running: nothing to reload (it reads its configuration when it starts)\n") ;
    outflush() ;
    return 0 ;
  }
  send_line("reload") ;
  return 0 ;
}

int main (int argc, char const *const *argv)
{
  char const *qdir = getenv("DCR_QUEUE") ;
  char const *cmd ;
  PROG = "dcr-qctl" ;
  if (!qdir || !*qdir) qdir = DEFAULT_QUEUE ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "q:", &l) ;
      if (opt == -1) break ;
      if (opt != 'q' || !l.arg[0]) dieusage() ;
      qdir = l.arg ;
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (!argc) dieusage() ;
  cmd = argv[0] ;
  if (chdir(qdir) < 0) strerr_diefu2sys(111, "enter queue directory ", qdir) ;
  umask(027) ;   /* what we rewrite stays 0640, as dcr-enqueue makes it */
  qctl_now = (uint64_t)time(0) ;

  if (!strcmp(cmd, "list")) return cmd_list(argc, argv) ;
  if (!strcmp(cmd, "stats")) return cmd_stats(argc, argv) ;
  if (!strcmp(cmd, "show"))
  {
    if (argc != 2) dieusage() ;
    check_id(argv[1]) ;
    return qctl_show(argv[1]) ;
  }
  if (!strcmp(cmd, "retry")) return cmd_retry(argc, argv) ;
  if (!strcmp(cmd, "hold") || !strcmp(cmd, "release") || !strcmp(cmd, "delete") || !strcmp(cmd, "bounce"))
    return cmd_id(cmd, argc, argv) ;
  if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) return cmd_pause(cmd, argc, argv) ;
  if (!strcmp(cmd, "reload")) return cmd_reload(argc, argv) ;
  dieusage() ;
}
