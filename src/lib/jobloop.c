/* ISC license. */

/* The read loop every agent has: job lines from stdin until EOF or an
   idle timeout; a bad line is logged and answered "ID <TAB> done". */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include <dcr/job.h>

static char inbuf[65536] ;
static size_t inpos = 0, inlen = 0 ;

/* 1: a line in sa (NUL-terminated, without LF), *toolong if it was cut;
   0: EOF; -1: idle for idle seconds (0: never) */
static int getjob (stralloc *sa, int *toolong, unsigned int idle)
{
  tain d ;
  sa->len = 0 ;
  *toolong = 0 ;
  tain_now_g() ;
  if (idle) tain_addsec_g(&d, idle) ;
  for (;;)
  {
    char *lf = memchr(inbuf + inpos, '\n', inlen - inpos) ;
    size_t n = (lf ? (size_t)(lf - inbuf) : inlen) - inpos ;
    size_t room = sa->len < DCR_JOB_LINEMAX ? DCR_JOB_LINEMAX - sa->len : 0 ;
    if (n > room) *toolong = 1 ;
    if (!stralloc_catb(sa, inbuf + inpos, n > room ? room : n)) strerr_diefu1sys(111, "allocate") ;
    inpos += n ;
    if (lf)
    {
      inpos++ ;
      if (!stralloc_0(sa)) strerr_diefu1sys(111, "allocate") ;
      sa->len-- ;
      return 1 ;
    }
    inpos = inlen = 0 ;
    for (;;)
    {
      ssize_t r ;
      iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
      tain_now_g() ;
      r = iopause_g(&x, 1, idle ? &d : &tain_infinite) ;
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

unsigned long dcr_job_loop (unsigned int idle, dcr_job_fn *deliver, dcr_jobdone_fn *done)
{
  stralloc line = STRALLOC_ZERO ;
  dcr_job j = DCR_JOB_ZERO ;
  unsigned long jobs = 0 ;
  for (;;)
  {
    int toolong ;
    int r = getjob(&line, &toolong, idle) ;
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
      if (j.id) (*done)(j.id) ;
      continue ;
    }
    (*deliver)(&j) ;
  }
  dcr_job_free(&j) ;
  stralloc_free(&line) ;
  return jobs ;
}
