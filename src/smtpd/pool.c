/* ISC license. */

/* dcr-smtpd under dcr-tcpd -P (doc/dcr-tcpd.md, "Pre-started
   sessions"): one process serves connection after connection, so that
   a connection costs no fork and no exec. A session ends wherever
   smtpd_exit is called; here that jumps back to the loop below, which
   releases what the session held (the connection, the spool file, the
   transaction, the client's name and credentials) before it says it is
   ready for the next one. SIGTERM still ends the process. */

#include <errno.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/djbunix.h>
#include <skalibs/env.h>

#include <dcr/log.h>
#include <dcr/pool.h>
#include <dcr/conf.h>
#include "smtpd.h"

static sigjmp_buf sessionend ;
static int pooled = 0 ;

void smtpd_pool_jump (void)
{
  if (pooled) siglongjmp(sessionend, 1) ;
}

/* The routes file again when it is not the one loaded: a pooled process
   lives for many sessions, and a domain added to conf/routes must be
   accepted from the next connection on, as without -P. */
void smtpd_routes_fresh (smtpd *s)
{
  if (!s->routesfile) return ;
  if (!dcr_file_changed(s->routesfile, &s->routesst) && s->routesloaded) return ;
  if (!dcr_routes_load(&s->routes, s->routesfile))
    dcr_routes_logerror(&s->routes, s->routesfile, "no domain is local") ;
  s->routesloaded = 1 ;
}

/* after a session: nothing of it is left for the next client */
static void release (smtpd *s, int null)
{
  smtpd_reset(s) ;
  if (fd_copy(0, null) < 0 || fd_copy(1, null) < 0) strerr_diefu1sys(111, "close the connection") ;
  s->errors = s->nmsg = 0 ;
  s->esmtp = 0 ;
  s->helolen = 0 ; s->helo[0] = 0 ;
  smtpd_auth_forget(s) ;
  explicit_bzero(s->line.buf, sizeof(s->line.buf)) ;   /* an AUTH line may be in it */
  s->line.len = 0 ;
  /* and the raw bytes the client sent (base64 credentials) and was sent */
  explicit_bzero(s->in.c.x, s->in.c.a) ;
  explicit_bzero(s->out.c.x, s->out.c.a) ;
  memset(&s->mp, 0, sizeof(s->mp)) ;
}

static void ready (int sock)
{
  char c = DCR_POOL_READY ;
  ssize_t r ;
  do r = write(sock, &c, 1) ;
  while (r < 0 && errno == EINTR) ;
  if (r < 0 && errno == EPIPE) _exit(0) ;   /* dcr-tcpd has gone */
  if (r != 1) strerr_diefu1sys(111, "tell dcr-tcpd it is ready") ;
}

/* the environment without DCR_POOL: what each session's is made from */
static char const **baseenv (size_t *n)
{
  size_t len = env_len((char const *const *)environ), m = 0 ;
  char const **v = malloc((len + 1) * sizeof(char const *)) ;
  if (!v) strerr_diefu1sys(111, "allocate") ;
  for (size_t i = 0 ; i < len ; i++)
    if (strncmp(environ[i], DCR_POOL_VAR "=", sizeof(DCR_POOL_VAR))) v[m++] = environ[i] ;
  v[m] = 0 ;
  *n = m ;
  return v ;
}

void smtpd_pool (smtpd *s, char const *var, void (*session)(smtpd *))
{
  static char vars[DCR_POOL_ENVMAX] ;
  static char const **base, **env ;
  static size_t nbase ;
  static int sock, null ;
  unsigned int u ;
  if (!uint0_scan(var, &u) || u > 1000000) strerr_dief2x(100, "bad " DCR_POOL_VAR ": ", var) ;
  sock = fcntl((int)u, F_DUPFD_CLOEXEC, 3) ;
  if (sock < 0) strerr_diefu1sys(111, "take the pool socket") ;
  null = open_readb("/dev/null") ;   /* stands in for the connection between two */
  if (null < 0 || coe(null) < 0) strerr_diefu2sys(111, "open ", "/dev/null") ;
  if (fd_copy((int)u, null) < 0) strerr_diefu1sys(111, "set up the descriptors") ;
  base = baseenv(&nbase) ;
  env = malloc((nbase + DCR_POOL_ENVMAX / 2 + 1) * sizeof(char const *)) ;
  if (!env) strerr_diefu1sys(111, "allocate") ;
  pooled = 1 ;

  if (sigsetjmp(sessionend, 0)) release(s, null) ;
  for (;;)
  {
    size_t len ;
    int fd, r ;
    /* between two sessions, SIGTERM exits at once (io.c) */
    smtpd_between(1) ;
    if (smtpd_terminating()) _exit(0) ;
    ready(sock) ;
    do
    {
      r = dcr_pool_recv(sock, vars, sizeof(vars), &len, &fd) ;
      if (r < 0 && errno == EINTR && smtpd_terminating()) _exit(0) ;
    } while (r < 0 && errno == EINTR) ;
    smtpd_between(0) ;
    if (!r) _exit(0) ;
    if (r < 0) strerr_diefu1sys(111, "read the next connection from dcr-tcpd") ;
    if (fd_move(0, fd) < 0 || fd_copy(1, 0) < 0) strerr_diefu1sys(111, "set up the connection descriptors") ;
    if (!env_merge(env, nbase + DCR_POOL_ENVMAX / 2 + 1, (char const *const *)base, nbase, vars, len))
      strerr_diefu1x(111, "merge the environment") ;
    environ = (char **)env ;
    smtpd_routes_fresh(s) ;
    (*session)(s) ;
  }
}
