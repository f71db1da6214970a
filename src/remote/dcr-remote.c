/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/sig.h>

#include <dcr/job.h>
#include <dcr/log.h>
#include <dcr/opts.h>
#include "remote.h"

#define USAGE "dcr-remote [ -h helo ] [ -i idle ] [ -T timeoutcap ] [ -m dcr-mx ] [ -n maxrcpt ] [ -d downsecs ] target"
#define dieusage() strerr_dieusage(100, USAGE)

conf cf = { .idle = 60, .maxrcpt = 100, .downsecs = 30, .mxprog = "dcr-mx" } ;
target tgt ;

/* RFC 5321 4.5.3.2, and our own for what it does not name */
static unsigned int const tmo_default[TMO_N] =
{
  [TMO_CONNECT] = 30, [TMO_GREETING] = 300, [TMO_EHLO] = 300, [TMO_MAIL] = 300,
  [TMO_RCPT] = 300, [TMO_DATA] = 120, [TMO_BLOCK] = 180, [TMO_DOT] = 600,
  [TMO_RSET] = 300, [TMO_QUIT] = 30, [TMO_MX] = 120
} ;

void deadline (tain *d, unsigned int which)
{
  unsigned int s = tmo_default[which] ;
  if (cf.cap && s > cf.cap) s = cf.cap ;
  tain_now_g() ;
  tain_addsec_g(d, s) ;
}

static dcr_longopt const longopts[] =
{
  { "helo", 'h', 1 }, { "idle", 'i', 1 }, { "timeout-cap", 'T', 1 },
  { "mx", 'm', 1 }, { "max-rcpt", 'n', 1 }, { "down", 'd', 1 },
  { 0, 0, 0 }
} ;

static unsigned int num (char const *s, unsigned int min, unsigned int max)
{
  unsigned int u ;
  if (!uint0_scan(s, &u) || u < min || u > max) dieusage() ;
  return u ;
}

 /* Job lines on stdin: our own small buffer, so that a line of any
    length is read in bounded memory and the wait has a deadline. */

static char inbuf[65536] ;
static size_t inpos = 0, inlen = 0 ;

/* 1: a line in sa (LF cut, a NUL in its place); 0: EOF; -1: idle
   timeout. A line over DCR_JOB_LINEMAX keeps its start and *toolong. */
static int getjob (stralloc *sa, int *toolong)
{
  tain d ;
  sa->len = 0 ;
  *toolong = 0 ;
  tain_now_g() ;
  if (cf.idle) tain_addsec_g(&d, cf.idle) ;
  for (;;)
  {
    char *lf = memchr(inbuf + inpos, '\n', inlen - inpos) ;
    size_t n = (lf ? (size_t)(lf - inbuf) : inlen) - inpos ;
    size_t room = sa->len < DCR_JOB_LINEMAX ? DCR_JOB_LINEMAX - sa->len : 0 ;
    if (n > room) { *toolong = 1 ; }
    if (!stralloc_catb(sa, inbuf + inpos, n > room ? room : n)) strerr_diefu1sys(111, "allocate") ;
    inpos += n ;
    if (lf) { inpos++ ; if (!stralloc_0(sa)) strerr_diefu1sys(111, "allocate") ; sa->len-- ; return 1 ; }
    inpos = inlen = 0 ;
    for (;;)
    {
      ssize_t r ;
      iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
      tain_now_g() ;
      r = iopause_g(&x, 1, cf.idle ? &d : &tain_infinite) ;
      if (r < 0 && errno == EINTR) continue ;
      if (r < 0) strerr_diefu1sys(111, "iopause") ;
      if (!r) return -1 ;
      r = read(0, inbuf, sizeof(inbuf)) ;
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue ;
      if (r < 0) strerr_diefu1sys(111, "read stdin") ;
      if (!r)
      {
        if (sa->len) dcr_log("event", "bad-job", "why", "last line without LF, ignored", (char *)0) ;
        return 0 ;
      }
      inlen = r ;
      break ;
    }
  }
}

int main (int argc, char const *const *argv)
{
  stralloc line = STRALLOC_ZERO ;
  dcr_job j = DCR_JOB_ZERO ;
  unsigned long jobs = 0 ;
  char const *why ;
  PROG = "dcr-remote" ;
  argv = dcr_longopts(&argc, argv, longopts, USAGE) ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "h:i:T:m:n:d:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'h' : cf.helo = l.arg ; break ;
        case 'i' : cf.idle = num(l.arg, 0, 86400) ; break ;
        case 'T' : cf.cap = num(l.arg, 1, 86400) ; break ;
        case 'm' : cf.mxprog = l.arg ; break ;
        case 'n' : cf.maxrcpt = num(l.arg, 1, 100000) ; break ;
        case 'd' : cf.downsecs = num(l.arg, 0, 86400) ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc != 1) dieusage() ;
  if (!target_parse(argv[0], &tgt, &why)) strerr_dief4x(100, "bad target ", argv[0], ": ", why) ;
  if (!cf.helo)
  {
    stralloc h = STRALLOC_ZERO ;
    if (sagethostname(&h) < 0 || !h.len || !stralloc_0(&h)) strerr_diefu1sys(111, "get hostname") ;
    cf.helo = h.s ;
  }
  if (strpbrk(cf.helo, " \t\r\n")) strerr_dief1x(100, "the EHLO name may not hold spaces") ;
  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  tain_now_set_stopwatch_g() ;

  for (;;)
  {
    int toolong ;
    int r = getjob(&line, &toolong) ;
    if (r <= 0)
    {
      char n[ULONG_FMT] ;
      n[ulong_fmt(n, jobs)] = 0 ;
      dcr_log("event", "exit", "reason", r ? "idle" : "eof", "jobs", n, (char *)0) ;
      break ;
    }
    jobs++ ;
    if (toolong || !dcr_job_parse(&j, line.s, line.len))
    {
      if (toolong) { dcr_job_parse(&j, line.s, line.len) ; j.why = "job line too long" ; }
      dcr_log("id", j.id, "event", "bad-job", "why", j.why, (char *)0) ;
      if (j.id) verdict_done(j.id) ;
      continue ;
    }
    deliver(&j) ;
  }
  sess_quit() ;
  return 0 ;
}
