/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/exec.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include <dcr/filter.h>
#include <dcr/opts.h>

void dcr_filter_say (char const *s)
{
  size_t n = strlen(s) ;
  char nl = '\n' ;
  if (allwrite(1, s, n) < n || allwrite(1, &nl, 1) < 1) _exit(111) ;
}

void dcr_filter_refuse (int code, char const *reply)
{
  dcr_filter_say(reply) ;
  _exit(code) ;
}

void dcr_filter_fail (char const *what)
{
  int e = errno ;
  stralloc sa = STRALLOC_ZERO ;
  if (stralloc_cats(&sa, "4.3.0 ") && stralloc_cats(&sa, PROG) && stralloc_cats(&sa, ": temporary failure") && stralloc_0(&sa))
    dcr_filter_say(sa.s) ;
  else dcr_filter_say("4.3.0 temporary failure") ;
  errno = e ;
  strerr_diefu1sys(111, what) ;
}

void dcr_filter_badconf (char const *file, unsigned int line, char const *why)
{
  char fmt[UINT_FMT] ;
  stralloc sa = STRALLOC_ZERO ;
  fmt[uint_fmt(fmt, line)] = 0 ;
  if (stralloc_cats(&sa, "4.3.5 ") && stralloc_cats(&sa, PROG) && stralloc_cats(&sa, ": configuration error") && stralloc_0(&sa))
    dcr_filter_say(sa.s) ;
  else dcr_filter_say("4.3.5 configuration error") ;
  strerr_dief5x(111, file, ":", fmt, ": ", why) ;
}

void dcr_filter_usage (char const *usage)
{
  stralloc sa = STRALLOC_ZERO ;
  if (stralloc_cats(&sa, "4.3.5 ") && stralloc_cats(&sa, PROG) && stralloc_cats(&sa, ": bad command line") && stralloc_0(&sa))
    dcr_filter_say(sa.s) ;
  else dcr_filter_say("4.3.5 bad command line") ;
  strerr_dieusage(111, usage) ;
}

char const *const *dcr_filter_fileopt (int argc, char const *const *argv, char const *longname, char const *usage, char const **file)
{
  dcr_longopt const longopts[] = { { longname, 'f', 1 }, { 0, 0, 0 } } ;
  subgetopt l = SUBGETOPT_ZERO ;
  dcr_longopts_usage = &dcr_filter_usage ;
  argv = dcr_longopts(&argc, argv, longopts, "f:", usage) ;
  *file = 0 ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "f:", &l) ;
    if (opt == -1) break ;
    if (opt != 'f') dcr_filter_usage(usage) ;
    *file = l.arg ;
  }
  if (!*file || l.ind >= argc) dcr_filter_usage(usage) ;
  return argv + l.ind ;
}

int dcr_filter_tmpfile (void)
{
  char const *dir = getenv("TMPDIR") ;
  stralloc sa = STRALLOC_ZERO ;
  int fd ;
  if (!dir || !*dir) dir = "/tmp" ;
  fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0640) ;
  if (fd >= 0) return fd ;
  /* a filesystem without O_TMPFILE */
  if (!stralloc_cats(&sa, dir) || !stralloc_cats(&sa, "/dcr-filter.XXXXXX") || !stralloc_0(&sa))
    dcr_filter_fail("allocate") ;
  fd = mkstemp(sa.s) ;
  if (fd < 0) dcr_filter_fail("make a temporary file") ;
  if (unlink(sa.s) < 0) { fd_close(fd) ; dcr_filter_fail("unlink a temporary file") ; }
  stralloc_free(&sa) ;
  return fd ;
}

void dcr_filter_next (char const *const *argv, int fd)
{
  if (!argv[0]) dcr_filter_refuse(111, "4.3.0 no program after the filter") ;
  if (fd >= 0 && fd_move(0, fd) < 0) dcr_filter_fail("move the new message to stdin") ;
  if (lseek(0, 0, SEEK_SET) < 0) dcr_filter_fail("rewind the message") ;
  if (fcntl(0, F_SETFD, 0) < 0) dcr_filter_fail("clear close-on-exec") ;
  exec(argv) ;
  {
    int e = errno ;
    dcr_filter_say("4.3.0 cannot run the next program of the chain") ;
    errno = e ;
  }
  strerr_dieexec(111, argv[0]) ;
}
