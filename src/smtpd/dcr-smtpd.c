/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/sig.h>

#include <dcr/log.h>
#include <dcr/conf.h>
#include <dcr/pool.h>
#include "smtpd.h"

#define USAGE "dcr-smtpd [ -c confdir ] [ -h hostname ] [ -a checkpassword ] [ -r ] [ -s maxsize ] [ -n maxrcpt ] [ -1 ] [ -R routes ] [ -g greetdelay ] [ -e maxerrors ] [ -t timeout ] [ -T datatimeout ] [ -S spooldir ] [ -E ] prog..."
#define dieusage() strerr_dieusage(100, USAGE)

/* What the command line says; a null pointer: not given. */
typedef struct opts_s opts ;
struct opts_s
{
  char const *confdir, *hostname, *routes, *spooldir, *checker ;
  int authrequired, onedomain, nobuiltin ;
  char const *size, *rcpt, *greet ;
  unsigned long long maxerrors, timeout, datatimeout ;
} ;

static char inbuf[SMTPD_INSIZE] ;
static char outbuf[SMTPD_OUTSIZE] ;
static smtpd s ;
static opts cmdline = { .maxerrors = 10, .timeout = 300, .datatimeout = 600 } ;

/* The conf/ files configure read, and what stat said of each just
   before it read them: a pre-started process reads conf/ again when one
   changed, so that it sees conf/ as a new process would, at the cost of
   a stat each per session rather than an open, two reads and a close. */
#define CONFMAX 8
static struct { char const *name ; struct stat st ; } seen[CONFMAX] ;
static unsigned int nseen ;

static void stamp (char const *dir, char const *name)
{
  unsigned int i = 0 ;
  if (!dir) return ;
  while (i < nseen && strcmp(seen[i].name, name)) i++ ;
  if (i < nseen) return ;   /* stamped when conf_changed saw it change */
  if (nseen == CONFMAX) strerr_dief1x(111, "internal error: more conf files than CONFMAX") ;
  seen[nseen].name = name ;
  dcr_conf_changed(dir, name, &seen[nseen++].st) ;
}

static int conf_changed (char const *dir)
{
  int changed = 0 ;
  for (unsigned int i = 0 ; i < nseen ; i++)
    changed |= dcr_conf_changed(dir, seen[i].name, &seen[i].st) ;   /* every one, to keep each stamp */
  return changed ;
}

/* DIR/name, first line, trimmed, into buf; 0 if the file is missing */
static int conffile (char const *dir, char const *name, char *buf, size_t max)
{
  int r ;
  stamp(dir, name) ;
  r = dcr_conf_line(dir, name, buf, max) ;
  if (r < 0) strerr_diefu5sys(111, "read ", dir, "/", name, "") ;
  return r ;
}

static void confnum (char const *dir, char const *name, unsigned long long *v)
{
  uint64_t u = *v ;
  int r ;
  stamp(dir, name) ;
  r = dcr_conf_num(dir, name, &u) ;
  if (r < 0) strerr_diefu5sys(111, "read ", dir, "/", name, "") ;
  if (!r) strerr_dief4x(100, dir, "/", name, ": not a number") ;
  *v = u ;
}

static unsigned long long num (char const *arg)
{
  uint64_t u ;
  if (!uint640_scan(arg, &u)) dieusage() ;
  return u ;
}

static char const *printable (char const *x)
{
  char const *p = x ;
  if (!x || !*x) return 0 ;
  for (; *p ; p++) if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) return 0 ;
  return p - x > 255 ? 0 : x ;
}

/* Before the banner: a client that talks first is refused (554). */
static void greet (unsigned int ms)
{
  iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
  tain d, t ;
  tain_now_g() ;
  tain_from_millisecs(&t, ms) ;
  tain_add_g(&d, &t) ;
  if (iopause_g(&x, 1, &d) <= 0 || !(x.revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))) return ;
  if (buffer_fill(&s.in) <= 0) smtpd_exit(&s, "eof") ;
  smtpd_put(&s, "554 5.5.0 you talked before the greeting, closing") ;
  smtpd_flush(&s) ;
  smtpd_exit(&s, "early-talker") ;
}

static char const *basename_of (char const *path)
{
  char const *slash = strrchr(path, '/') ;
  return slash ? slash + 1 : path ;
}

static int options (int argc, char const *const *argv, opts *o)
{
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "c:h:s:n:R:g:e:t:T:S:a:r1E", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'c' : o->confdir = l.arg ; break ;
      case 'h' : o->hostname = l.arg ; break ;
      case 's' : o->size = l.arg ; num(l.arg) ; break ;
      case 'n' : o->rcpt = l.arg ; num(l.arg) ; break ;
      case 'R' : o->routes = l.arg ; break ;
      case 'g' : o->greet = l.arg ; num(l.arg) ; break ;
      case 'e' : o->maxerrors = num(l.arg) ; break ;
      case 't' : o->timeout = num(l.arg) ; break ;
      case 'T' : o->datatimeout = num(l.arg) ; break ;
      case 'S' : o->spooldir = l.arg ; break ;
      case 'a' : o->checker = l.arg ; break ;
      case 'r' : o->authrequired = 1 ; break ;
      case '1' : o->onedomain = 1 ; break ;
      case 'E' : o->nobuiltin = 1 ; break ;
      default : dieusage() ;
    }
  }
  return l.ind ;
}

/* TMPDIR is the session's: a dcr-tcpd rule may set it */
static char const *spooldir_of (opts const *o)
{
  char const *spooldir = o->spooldir ? o->spooldir : getenv("TMPDIR") ;
  return spooldir && *spooldir ? spooldir : "/tmp" ;
}

/* options, then confdir files, then defaults */
static unsigned int configure (opts *o, smtpd *ss)
{
  static char namebuf[256] ;
  unsigned long long maxsize = 52428800, maxrcpt = 1000, greetdelay = 0, onedomain = 0 ;
  if (o->size) maxsize = num(o->size) ; else confnum(o->confdir, "max-size", &maxsize) ;
  if (o->rcpt) maxrcpt = num(o->rcpt) ; else confnum(o->confdir, "max-rcpt", &maxrcpt) ;
  if (o->onedomain) onedomain = 1 ; else confnum(o->confdir, "one-domain", &onedomain) ;
  if (o->greet) greetdelay = num(o->greet) ; else confnum(o->confdir, "greet-delay", &greetdelay) ;
  static stralloc sysname = STRALLOC_ZERO ;
  char const *hostname = o->hostname ;
  if (!hostname && o->confdir && conffile(o->confdir, "hostname", namebuf, sizeof(namebuf)) && namebuf[0]) hostname = namebuf ;
  if (!hostname)
  {
    if (!sysname.len && (sagethostname(&sysname) < 0 || !sysname.len || !stralloc_0(&sysname))) strerr_diefu1sys(111, "get hostname") ;
    hostname = sysname.s ;
  }
  if (!o->routes && o->confdir)
  {
    stralloc r = STRALLOC_ZERO ;
    if (!stralloc_cats(&r, o->confdir) || !stralloc_cats(&r, "/routes") || !stralloc_0(&r)) strerr_diefu1sys(111, "allocate") ;
    o->routes = r.s ;
  }
  if (!maxsize || !maxrcpt || maxrcpt > 100000 || o->timeout < 1 || o->timeout > 86400
   || o->datatimeout < 1 || o->datatimeout > 86400 || greetdelay > 300000)
    strerr_dief1x(100, "a limit is out of range") ;
  ss->hostname = hostname ;
  ss->maxsize = maxsize ;
  ss->maxrcpt = maxrcpt ;
  ss->onedomain = !!onedomain ;
  ss->maxerrors = o->maxerrors > 100000 ? 100000 : o->maxerrors ;
  ss->timeout = o->timeout ;
  ss->datatimeout = o->datatimeout ;
  ss->spooldir = spooldir_of(o) ;
  ss->checker = o->checker ;
  ss->authrequired = o->authrequired ;
  if (ss->authrequired && !ss->checker) strerr_dief1x(100, "-r (AUTH required) needs -a checkpassword") ;
  return greetdelay ;
}

/* one connection on 0 and 1, its UCSPI-TCP variables in the environment */
static void session (smtpd *ss)
{
  ss->spool = -1 ;
  ss->remoteip = printable(getenv("TCPREMOTEIP")) ;
  ss->remoteport = printable(getenv("TCPREMOTEPORT")) ;
  ss->remotehost = printable(getenv("TCPREMOTEHOST")) ;
  ss->relayclient = !!getenv("RELAYCLIENT") ;
  ss->authnotls = !!getenv("AUTH_WITHOUT_TLS") ;   /* a trusted net, by dcr-tcpd's rules */
  smtpd_tls_init(ss) ;
  dcr_line_init(&ss->line) ;
  ndelay_on(0) ;
  ndelay_on(1) ;
  buffer_init(&ss->in, &buffer_read, 0, inbuf, sizeof(inbuf)) ;
  buffer_init(&ss->out, &buffer_write, 1, outbuf, sizeof(outbuf)) ;

  dcr_log("event", "connect", "ip", ss->remoteip, "port", ss->remoteport, "relayclient", ss->relayclient ? "1" : "0",
    "tls", ss->tls ? getenv("SSL_CIPHER") : ss->ctlfd >= 0 ? "starttls" : "no", (char *)0) ;
  greet(ss->greetdelay) ;
  smtpd_put3(ss, "220 ", ss->hostname, " ESMTP dcrouter") ;   /* out at the first read */
  smtpd_loop(ss) ;
}

static void prestarted_session (smtpd *ss)
{
  if (conf_changed(cmdline.confdir)) ss->greetdelay = configure(&cmdline, ss) ;
  else ss->spooldir = spooldir_of(&cmdline) ;
  session(ss) ;
}

int main (int argc, char const *const *argv)
{
  char const *pool ;
  PROG = "dcr-smtpd" ;
  {
    int n = options(argc, argv, &cmdline) ;
    argc -= n ; argv += n ;
  }
  if (!argc) dieusage() ;
  s.greetdelay = configure(&cmdline, &s) ;

  s.prog = argv ;
  /* "dcr-enqueue QUEUE" as the whole chain runs built in: handed to the
     queue's writer, without a fork and an exec (doc/dcr-smtpd.md) */
  if (!cmdline.nobuiltin && argc == 2 && argv[1][0] && !strcmp(basename_of(argv[0]), "dcr-enqueue"))
    s.queuedir = argv[1] ;
  s.spool = -1 ;
  s.routesfile = cmdline.routes ;
  smtpd_routes_fresh(&s) ;

  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  smtpd_catch_term() ;
  tain_now_set_stopwatch_g() ;
  pool = getenv(DCR_POOL_VAR) ;
  if (pool) smtpd_pool(&s, pool, &prestarted_session) ;   /* started by dcr-tcpd -P */
  session(&s) ;
  return 0 ;
}
