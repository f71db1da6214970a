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

#define USAGE "dcr-remote [ -h helo ] [ -i idle ] [ -T timeoutcap ] [ -m dcr-mx ] [ -n maxrcpt ] [ -d downsecs ] [ -s none|may|encrypt|verify ] [ -a authfile ] [ -C cafile ] target"
#define dieusage() strerr_dieusage(100, USAGE)

conf cf = { .idle = 60, .maxrcpt = 100, .downsecs = 30, .mxprog = "dcr-mx", .tls = DCR_TLS_MAY, .ca = "/etc/ssl/certs/ca-certificates.crt" } ;
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
  { "tls", 's', 1 }, { "auth", 'a', 1 }, { "ca", 'C', 1 },
  { 0, 0, 0 }
} ;

static unsigned int num (char const *s, unsigned int min, unsigned int max)
{
  unsigned int u ;
  if (!uint0_scan(s, &u) || u < min || u > max) dieusage() ;
  return u ;
}

static unsigned int policy (char const *s)
{
  if (!strcmp(s, "none")) return DCR_TLS_NONE ;
  if (!strcmp(s, "may")) return DCR_TLS_MAY ;
  if (!strcmp(s, "encrypt")) return DCR_TLS_ENCRYPT ;
  if (!strcmp(s, "verify")) return DCR_TLS_VERIFY ;
  dieusage() ;
}

int main (int argc, char const *const *argv)
{
  char const *why ;
  PROG = "dcr-remote" ;
  argv = dcr_longopts(&argc, argv, longopts, "h:i:T:m:n:d:s:a:C:", USAGE) ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "h:i:T:m:n:d:s:a:C:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'h' : cf.helo = l.arg ; break ;
        case 'i' : cf.idle = num(l.arg, 0, 86400) ; break ;
        case 'T' : cf.cap = num(l.arg, 1, 86400) ; break ;
        case 'm' : cf.mxprog = l.arg ; break ;
        case 'n' : cf.maxrcpt = num(l.arg, 1, 100000) ; break ;
        case 'd' : cf.downsecs = num(l.arg, 0, 86400) ; break ;
        case 's' : cf.tls = policy(l.arg) ; break ;
        case 'a' : cf.auth = l.arg ; break ;
        case 'C' : cf.ca = l.arg ; break ;
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

  dcr_job_loop(cf.idle, &deliver, &verdict_done) ;
  sess_quit() ;
  return 0 ;
}
