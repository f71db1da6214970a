/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/wait.h>

#include <skalibs/types.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include <dcr/addr.h>
#include <dcr/cidr.h>
#include <dcr/log.h>
#include "remote.h"

#define MXOUTMAX 65536
#define MXERRMAX 512

/* ":PORT" or nothing (dflt) at s */
static int port (char const *s, uint16_t *p, uint16_t dflt)
{
  uint32_t u ;
  size_t n ;
  if (!*s) { *p = dflt ; return 1 ; }
  if (*s++ != ':' || *s == '0') return 0 ;
  n = uint32_scan(s, &u) ;
  if (!n || s[n] || u < 1 || u > 65535) return 0 ;
  *p = u ;
  return 1 ;
}

int target_parse (char const *s, target *t, char const **why)
{
  size_t n ;
  int smtp ;
  memset(t, 0, sizeof(*t)) ;
  /* smtps: is smtp: with TLS from the first byte, on port 465 by default */
  if (!strncmp(s, "smtps:", 6)) { t->implicit = 1 ; s += 6 ; smtp = 1 ; }
  else if (!strncmp(s, "smtp:", 5)) { s += 5 ; smtp = 1 ; }
  else if (!strncmp(s, "mx:", 3)) { s += 3 ; smtp = 0 ; }
  else { *why = "unknown target: not smtp:HOST:PORT, smtp:[IP]:PORT, smtps:... or mx:DOMAIN" ; return 0 ; }
  if (smtp && *s == '[')
  {
    char const *e = strchr(s + 1, ']') ;
    s++ ;
    if (!strncasecmp(s, "IPv6:", 5)) s += 5 ;
    n = e ? (size_t)(e - s) : 0 ;
    if (!e || !n || n >= sizeof(t->name)) { *why = "bad address literal" ; return 0 ; }
    memcpy(t->name, s, n) ;
    if (dcr_ip46_scan(t->name, &t->ip) != n) { *why = "bad IP address" ; return 0 ; }
    t->kind = TARGET_IP ;
    s = e + 1 ;
  }
  else
  {
    n = strcspn(s, ":") ;
    if (!n || n >= sizeof(t->name)) { *why = smtp ? "missing host" : "missing domain" ; return 0 ; }
    memcpy(t->name, s, n) ;
    if (smtp && dcr_ip4_scan(t->name, t->ip.ip) == n) t->kind = TARGET_IP ;
    else if (!dcr_addr_domain(t->name, n, 0)) { *why = smtp ? "bad host name" : "bad domain" ; return 0 ; }
    else t->kind = smtp ? TARGET_HOST : TARGET_MX ;
    s += n ;
  }
  if (!port(s, &t->port, t->implicit ? 465 : 25)) { *why = "bad port" ; return 0 ; }
  return 1 ;
}

int target_mxline (char *s, peer *p)
{
  char *host, *ip ;
  size_t n = 0 ;
  while (s[n] >= '0' && s[n] <= '9') n++ ;
  if (!n || n > 5 || s[n] != '\t') return 0 ;
  host = s + n + 1 ;
  ip = strchr(host, '\t') ;
  if (!ip || ip == host || (size_t)(ip - host) >= PEER_HOSTMAX) return 0 ;
  *ip++ = 0 ;
  for (n = 0 ; host[n] ; n++) if ((unsigned char)host[n] <= ' ' || host[n] == 0x7f) return 0 ;
  n = strlen(ip) ;
  if (!n || dcr_ip46_scan(ip, &p->ip) != n) return 0 ;
  memcpy(p->host, host, strlen(host) + 1) ;
  return 1 ;
}

/* Run dcr-mx with its stdout and stderr in pipes, stdin /dev/null (it
   must never eat our jobs), under a deadline. Returns its wait status,
   or -1 if it ran out of time (killed) or could not be started. */
static int runmx (char const *const *argv, stralloc *out, char *err, size_t errmax)
{
  int po[2], pe[2], wstat ;
  size_t elen = 0 ;
  pid_t pid ;
  tain d ;
  int nopen = 2, late = 0 ;
  /* close-on-exec: only the dup2'd copies reach dcr-mx */
  if (pipecoe(po) < 0) return -1 ;
  if (pipecoe(pe) < 0) { fd_close(po[0]) ; fd_close(po[1]) ; return -1 ; }
  pid = fork() ;
  if (pid < 0) { fd_close(po[0]) ; fd_close(po[1]) ; fd_close(pe[0]) ; fd_close(pe[1]) ; return -1 ; }
  if (!pid)
  {
    int nul = open("/dev/null", O_RDONLY) ;
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0) _exit(111) ;
    execvp(argv[0], (char *const *)argv) ;
    {
      char const *e = strerror(errno) ;
      ssize_t w = write(2, "cannot run ", 11) ;
      w = write(2, argv[0], strlen(argv[0])) ;
      w = write(2, ": ", 2) ;
      w = write(2, e, strlen(e)) ;
      (void)w ;
    }
    _exit(111) ;
  }
  fd_close(po[1]) ; fd_close(pe[1]) ;
  ndelay_on(po[0]) ; ndelay_on(pe[0]) ;
  deadline(&d, TMO_MX) ;
  while (nopen)
  {
    iopause_fd x[2] = { { .fd = po[0], .events = IOPAUSE_READ }, { .fd = pe[0], .events = IOPAUSE_READ } } ;
    int i, r ;
    tain_now_g() ;
    r = iopause_g(x, 2, &d) ;
    if (r < 0 && errno == EINTR) continue ;
    if (r <= 0) { late = 1 ; break ; }
    for (i = 0 ; i < 2 ; i++)
    {
      char buf[4096] ;
      ssize_t k ;
      if (x[i].fd < 0 || !(x[i].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))) continue ;
      k = read(x[i].fd, buf, sizeof(buf)) ;
      if (k < 0 && (errno == EAGAIN || errno == EINTR)) continue ;
      if (k <= 0) { fd_close(x[i].fd) ; if (i) pe[0] = -1 ; else po[0] = -1 ; nopen-- ; continue ; }
      /* what does not fit is read and dropped: dcr-mx is never blocked */
      if (!i && out->len < MXOUTMAX && !stralloc_catb(out, buf, k > MXOUTMAX ? MXOUTMAX : (size_t)k)) { late = 1 ; break ; }
      if (i && elen < errmax - 1)
      {
        size_t m = (size_t)k < errmax - 1 - elen ? (size_t)k : errmax - 1 - elen ;
        memcpy(err + elen, buf, m) ; elen += m ;
      }
    }
    if (late) break ;
  }
  err[elen] = 0 ;
  if (po[0] >= 0) fd_close(po[0]) ;
  if (pe[0] >= 0) fd_close(pe[0]) ;
  if (late) kill(pid, SIGKILL) ;
  if (waitpid_nointr(pid, &wstat, 0) < 0) return -1 ;
  return late ? -1 : wstat ;
}

/* the first line of dcr-mx's complaint, printable */
static char const *firstline (char *err)
{
  size_t i ;
  for (i = 0 ; err[i] && err[i] != '\n' ; i++)
    if ((unsigned char)err[i] < ' ' || err[i] == 0x7f) err[i] = ' ' ;
  err[i] = 0 ;
  return err ;
}

static void say (char *v, size_t vmax, char const *a, char const *b, char const *c, char const *d)
{
  size_t n = 0 ;
  char const *parts[4] = { a, b, c, d } ;
  unsigned int i ;
  for (i = 0 ; i < 4 ; i++)
  {
    size_t k = strlen(parts[i]) ;
    if (k > vmax - 1 - n) k = vmax - 1 - n ;
    memcpy(v + n, parts[i], k) ; n += k ;
  }
  v[n] = 0 ;
}

int target_resolve (target const *t, peer *list, unsigned int *n, char *st, char *v, size_t vmax)
{
  stralloc out = STRALLOC_ZERO ;
  char err[MXERRMAX] ;
  char const *argv[4] ;
  int wstat ;
  size_t i = 0 ;
  *n = 0 ;
  if (t->kind == TARGET_IP)
  {
    memcpy(list[0].host, t->name, strlen(t->name) + 1) ;
    list[0].ip = t->ip ;
    *n = 1 ;
    return 1 ;
  }
  argv[0] = cf.mxprog ;
  if (t->kind == TARGET_HOST) { argv[1] = "-A" ; argv[2] = t->name ; argv[3] = 0 ; }
  else { argv[1] = t->name ; argv[2] = 0 ; }
  wstat = runmx(argv, &out, err, sizeof(err)) ;
  firstline(err) ;
  if (wstat == -1)
  {
    dcr_log("event", "mx-fail", "name", t->name, "error", "timeout or fork failure", (char *)0) ;
    *st = 'T' ; say(v, vmax, "451 4.4.3 lookup of ", t->name, ": dcr-mx timed out or could not be run", "") ;
    return 0 ;
  }
  if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 0)
  {
    while (i < out.len && *n < PEER_MAX)
    {
      char *line = out.s + i ;
      char *e = memchr(line, '\n', out.len - i) ;
      if (!e) break ;   /* a last line without LF was cut: not trusted */
      *e = 0 ;
      i = e - out.s + 1 ;
      if (target_mxline(line, &list[*n])) (*n)++ ;
      else dcr_log("event", "mx-badline", "name", t->name, "line", line, (char *)0) ;
    }
    stralloc_free(&out) ;
    if (*n) return 1 ;
    *st = 'T' ; say(v, vmax, "451 4.4.3 lookup of ", t->name, ": dcr-mx gave no usable address", "") ;
    return 0 ;
  }
  stralloc_free(&out) ;
  dcr_log("event", "mx-fail", "name", t->name, "error", err, (char *)0) ;
  if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 100)
  {
    /* a route's own relay host that does not exist is a broken target,
       to fail over from, not a reason to bounce the mail */
    if (t->kind == TARGET_HOST) { *st = 'T' ; say(v, vmax, "451 4.4.1 host ", t->name, " not found: ", err[0] ? err : "no address") ; }
    else { *st = 'P' ; say(v, vmax, "550 5.1.2 domain ", t->name, ": ", err[0] ? err : "no mail server") ; }
    return 0 ;
  }
  *st = 'T' ;
  if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 111)
    say(v, vmax, "451 4.4.3 lookup of ", t->name, ": ", err[0] ? err : "temporary DNS failure") ;
  else
  {
    char num[UINT_FMT + 20] ;
    size_t k = 0 ;
    if (WIFSIGNALED(wstat)) { memcpy(num, "killed by signal ", 17) ; k = 17 + uint_fmt(num + 17, WTERMSIG(wstat)) ; }
    else { memcpy(num, "exit code ", 10) ; k = 10 + uint_fmt(num + 10, WEXITSTATUS(wstat)) ; }
    num[k] = 0 ;
    say(v, vmax, "451 4.4.3 lookup of ", t->name, ": dcr-mx failed, ", num) ;
  }
  return 0 ;
}
