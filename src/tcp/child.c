/* ISC license. */

/* dcr-tcpd: the child forked for one connection. It reads the PROXY
   header when the peer is a trusted balancer, applies the rules to the
   real client, sets the UCSPI-TCP environment and execs the program. */

#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/djbunix.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/socket.h>
#include <skalibs/ip46.h>
#include <skalibs/exec.h>
#include <skalibs/env.h>

#include <dcr/cidr.h>
#include <dcr/log.h>
#include <dcr/proxy.h>
#include <dcr/pool.h>
#include "tcpd.h"

void tcpd_refuse (int fd, char const *line, size_t len)
{
  if (len) (void)send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) ;
  fd_close(fd) ;
}

static size_t fmt_ip (char *s, ip46full const *a)
{
  size_t n = ip46full_fmt(s, a) ;
  s[n] = 0 ;
  return n ;
}

void tcpd_log_refuse (char const *reason, ip46full const *ip, uint16_t port, rule const *r)
{
  char fip[IP46_FMT] ;
  char fport[UINT16_FMT] ;
  char frule[DCR_CIDR_FMT] ;
  fmt_ip(fip, ip) ;
  fport[uint16_fmt(fport, port)] = 0 ;
  if (r) frule[dcr_cidr_fmt(frule, &r->net)] = 0 ;
  dcr_log("event", "refuse", "reason", reason, "ip", fip, "port", fport, r ? "rule" : (char *)0, frule, (char *)0) ;
}

static void proxy_fail (ip46full const *peer, char const *why, int e)
{
  char fip[IP46_FMT] ;
  char fpid[PID_FMT] ;
  fmt_ip(fip, peer) ;
  fpid[pid_fmt(fpid, getpid())] = 0 ;
  dcr_log("event", "proxy-error", "pid", fpid, "ip", fip, "error", why, (char *)0) ;
  _exit(e) ;
}

/* Read exactly the header: peek, parse, consume only header bytes, so
   the program finds the client's first byte on its stdin. */
static void read_header (int fd, dcr_proxy *p, ip46full const *peer, uint32_t ms)
{
  char buf[DCR_PROXY_MAX] ;
  size_t len = 0 ;
  tain deadline ;
  tain_now_g() ;
  tain_from_millisecs(&deadline, (int)ms) ;
  tain_add_g(&deadline, &deadline) ;
  for (;;)
  {
    char const *why ;
    ssize_t h ;
    size_t take ;
    ssize_t r = recv(fd, buf + len, sizeof(buf) - len, MSG_PEEK) ;
    if (r < 0)
    {
      iopause_fd x = { .fd = fd, .events = IOPAUSE_READ } ;
      int n ;
      if (errno == EINTR) continue ;
      if (errno != EAGAIN && errno != EWOULDBLOCK) proxy_fail(peer, strerror(errno), 111) ;
      n = iopause_g(&x, 1, &deadline) ;
      if (n < 0) proxy_fail(peer, strerror(errno), 111) ;
      if (!n) proxy_fail(peer, "timeout waiting for the PROXY header", 111) ;
      continue ;
    }
    if (!r) proxy_fail(peer, "connection closed before the PROXY header", 100) ;
    h = dcr_proxy_parse(buf, len + r, p, &why) ;
    if (h < 0) proxy_fail(peer, why, 100) ;
    take = h ? (size_t)h - len : (size_t)r ;
    if (allread(fd, buf + len, take) != take) proxy_fail(peer, "short read", 111) ;
    len += take ;
    if (h) return ;
  }
}

static void log_proxy (ip46full const *peer, dcr_proxy const *p, ip46full const *ip, uint16_t port)
{
  char fpeer[IP46_FMT], fip[IP46_FMT] ;
  char fport[UINT16_FMT] ;
  char fpid[PID_FMT] ;
  fmt_ip(fpeer, peer) ;
  fmt_ip(fip, ip) ;
  fport[uint16_fmt(fport, port)] = 0 ;
  fpid[pid_fmt(fpid, getpid())] = 0 ;
  dcr_log("event", "proxy", "pid", fpid, "from", fpeer, "version", p->version == 1 ? "1" : "2",
    "command", p->local ? "local" : "proxy", "ip", fip, "port", fport, (char *)0) ;
}

static size_t addvar (char *s, char const *name, char const *value)
{
  size_t n = strlen(name), m = strlen(value) ;
  memcpy(s, name, n) ; s[n] = '=' ;
  memcpy(s + n + 1, value, m + 1) ;
  return n + m + 2 ;
}

/* the UCSPI-TCP variables and the rule's, as "NAME=value\0" and
   "NAME\0" (unset); modifs holds TCPD_MODIFS_MAX + the rule's envlen */
#define TCPD_MODIFS_MAX 256
static size_t modifs_fill (char *modifs, tcpd const *t, ip46full const *remote, uint16_t remoteport,
  ip46full const *local, uint16_t localport, rule const *r)
{
  size_t envlen = r ? r->envlen : 0, m = 0 ;
  char fip[IP46_FMT] ;
  char fport[UINT16_FMT] ;
  m += addvar(modifs + m, "PROTO", "TCP") ;
  fmt_ip(fip, remote) ; m += addvar(modifs + m, "TCPREMOTEIP", fip) ;
  fport[uint16_fmt(fport, remoteport)] = 0 ; m += addvar(modifs + m, "TCPREMOTEPORT", fport) ;
  fmt_ip(fip, local) ; m += addvar(modifs + m, "TCPLOCALIP", fip) ;
  fport[uint16_fmt(fport, localport)] = 0 ; m += addvar(modifs + m, "TCPLOCALPORT", fport) ;
  /* not known here: make sure nothing stale is inherited */
  memcpy(modifs + m, "TCPREMOTEHOST\0TCPREMOTEINFO\0TCPLOCALHOST", 41) ; m += 41 ;
  /* the rule's variables come last: they win */
  if (envlen) memcpy(modifs + m, t->rules->r.data.s + r->env, envlen) ;
  return m + envlen ;
}

void tcpd_child (tcpd const *t, int fd, ip46full const *peer, uint16_t port, int proxied, rule const *r)
{
  ip46full remote = *peer, local ;
  uint16_t remoteport = port, localport ;
  int havelocal = 0 ;

  selfpipe_finish() ;
  if (fd_move(0, fd) < 0 || fd_copy(1, 0) < 0 || uncoe(0) < 0 || uncoe(1) < 0)
    strerr_diefu1sys(111, "set up the connection descriptors") ;

  if (proxied)
  {
    dcr_proxy p ;
    read_header(0, &p, peer, t->proxytimeout) ;
    if (!p.local)
    {
      remote = p.src ; remoteport = p.srcport ;
      local = p.dst ; localport = p.dstport ;
      havelocal = 1 ;
    }
    if (t->verbose) log_proxy(peer, &p, &remote, remoteport) ;
    r = t->rules ? rules_match(&t->rules->r, &remote) : 0 ;
    if (r && r->deny)
    {
      tcpd_log_refuse("deny", &remote, remoteport, r) ;
      tcpd_refuse(0, t->rules->r.data.s + r->msg, r->msglen) ;
      _exit(0) ;
    }
  }
  if (!havelocal)
  {
    if (socket_local46(0, &local, &localport) < 0) strerr_diefu1sys(111, "getsockname") ;
    dcr_ip46_unmap(&local) ;
  }
  if (ndelay_off(0) < 0) strerr_diefu1sys(111, "set the socket blocking") ;
  {
    char modifs[TCPD_MODIFS_MAX + (r ? r->envlen : 0)] ;
    size_t m = modifs_fill(modifs, t, &remote, remoteport, &local, localport, r) ;
    xmexec_n(t->argv, modifs, m, 8 + (r ? r->envn : 0)) ;
  }
}

/* Without a PROXY header there is nothing to do between the fork and
   the exec that the parent cannot do first, so the child is made with
   posix_spawn (a vfork): no copy of the parent's page tables, which is
   most of what a fork costs on a virtual machine (doc/dcr-tcpd.md). */
pid_t tcpd_posix_spawn (char const *const *argv, char const *const *envp, int fd0, int fd1)
{
  posix_spawn_file_actions_t fa ;
  posix_spawnattr_t attr ;
  sigset_t none ;
  pid_t pid ;
  int e ;
  sigemptyset(&none) ;
  if ((e = posix_spawn_file_actions_init(&fa))) return (errno = e, -1) ;
  if ((e = posix_spawnattr_init(&attr))) { posix_spawn_file_actions_destroy(&fa) ; return (errno = e, -1) ; }
  /* dup2 clears close-on-exec on 0 and 1; the originals stay close-on-exec */
  e = posix_spawn_file_actions_adddup2(&fa, fd0, 0) ;
  if (!e) e = posix_spawn_file_actions_adddup2(&fa, fd1, 1) ;
  if (!e) e = posix_spawnattr_setsigmask(&attr, &none) ;   /* selfpipe blocks its signals */
  if (!e) e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK) ;
  if (!e) e = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, (char *const *)envp) ;
  posix_spawnattr_destroy(&attr) ;
  posix_spawn_file_actions_destroy(&fa) ;
  if (e) return (errno = e, -1) ;
  return pid ;
}

pid_t tcpd_spawn (tcpd const *t, int fd, ip46full const *peer, uint16_t port, rule const *r)
{
  ip46full local ;
  uint16_t localport ;
  size_t envlen = env_len((char const *const *)environ), modifn = 8 + (r ? r->envn : 0) ;
  char modifs[TCPD_MODIFS_MAX + (r ? r->envlen : 0)] ;
  char const *envp[envlen + modifn + 1] ;
  size_t m ;
  if (socket_local46(fd, &local, &localport) < 0 || ndelay_off(fd) < 0) return -1 ;
  dcr_ip46_unmap(&local) ;
  m = modifs_fill(modifs, t, peer, port, &local, localport, r) ;
  if (!env_mergen(envp, envlen + modifn + 1, (char const *const *)environ, envlen, modifs, m, modifn)) return (errno = E2BIG, -1) ;
  return tcpd_posix_spawn(t->argv, envp, fd, fd) ;
}

/* dcr-tcpd -P: the connection and its variables to a pre-started
   program, which sets them itself (dcr/pool.h). 1 if it has them, 0 if
   the program's socket failed, -1 if the connection did. */
int tcpd_hand (tcpd const *t, int sock, int fd, ip46full const *peer, uint16_t port, rule const *r)
{
  ip46full local ;
  uint16_t localport ;
  char modifs[TCPD_MODIFS_MAX + (r ? r->envlen : 0)] ;
  size_t m ;
  /* left non-blocking (dcr/pool.h): the program wants it so */
  if (socket_local46(fd, &local, &localport) < 0) return -1 ;
  dcr_ip46_unmap(&local) ;
  m = modifs_fill(modifs, t, peer, port, &local, localport, r) ;
  return dcr_pool_send(sock, fd, modifs, m) ;
}
