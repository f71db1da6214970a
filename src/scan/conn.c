/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <skalibs/types.h>
#include <skalibs/ip46.h>
#include <skalibs/socket.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/djbunix.h>

#include "scan.h"

int scan_addr_parse (char const *s, uint16_t defport, scan_addr *a)
{
  size_t n, len = strlen(s) ;
  char host[IP46_FMT + 2] ;
  char const *port = 0 ;
  memset(a, 0, sizeof(*a)) ;
  if (!strncmp(s, "unix:", 5) || s[0] == '/')
  {
    if (s[0] != '/') s += 5 ;
    n = strlen(s) ;
    if (s[0] != '/' || n > IPCPATH_MAX) return 0 ;
    a->isunix = 1 ;
    memcpy(a->path, s, n + 1) ;
    return 1 ;
  }
  if (s[0] == '[')
  {
    char const *e = strchr(s, ']') ;
    if (!e || (size_t)(e - s - 1) >= sizeof(host)) return 0 ;
    memcpy(host, s + 1, e - s - 1) ; host[e - s - 1] = 0 ;
    if (e[1] == ':') port = e + 2 ; else if (e[1]) return 0 ;
  }
  else
  {
    char const *c = strrchr(s, ':') ;
    n = c ? (size_t)(c - s) : len ;
    if (n >= sizeof(host)) return 0 ;
    memcpy(host, s, n) ; host[n] = 0 ;
    if (c) port = c + 1 ;
  }
  if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1") ;   /* no resolver in a filter */
  n = ip46_scan(host, &a->ip) ;
  if (!n || host[n]) return 0 ;
  if (port)
  {
    uint16_t p ;
    n = uint160_scan(port, &p) ;
    if (!n || port[n] || !p) return 0 ;
    a->port = p ;
  }
  else a->port = defport ;
  return 1 ;
}

/* A unix socket whose backlog is full (a busy clamd) says EAGAIN at
   once, and is not connecting: try again every 50 ms until the deadline. */
static int unixconnect (char const *path, tain const *deadline)
{
  for (;;)
  {
    tain pause, until ;
    int fd = ipc_stream_nbcoe() ;
    if (fd < 0) return -1 ;
    if (ipc_connect(fd, path)) return fd ;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
    {
      if (errno != EINPROGRESS || !ipc_timed_connect_g(fd, path, deadline)) { fd_close(fd) ; return -1 ; }
      return fd ;
    }
    fd_close(fd) ;
    tain_now_g() ;
    if (!tain_future(deadline)) { errno = ETIMEDOUT ; return -1 ; }
    tain_from_millisecs(&pause, 50) ;
    tain_add_g(&until, &pause) ;
    deepsleepuntil_g(tain_less(&until, deadline) ? &until : deadline) ;
  }
}

int scan_connect (scan_addr const *a, tain const *deadline)
{
  int fd ;
  tain_now_g() ;
  if (a->isunix) return unixconnect(a->path, deadline) ;
  fd = socket_tcp46_nbcoe(ip46_is6(&a->ip)) ;
  if (fd < 0) return -1 ;
  if (!socket_deadlineconnstamp46_g(fd, &a->ip, a->port, deadline)) { fd_close(fd) ; return -1 ; }
  return fd ;
}

/* wait until fd is ready for events or the deadline: 1, or 0 (errno) */
static int ready (int fd, short events, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = events } ;
  for (;;)
  {
    int r ;
    tain_now_g() ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0) { if (errno == EINTR) continue ; return 0 ; }
    if (!r) { errno = ETIMEDOUT ; return 0 ; }
    return 1 ;   /* ready, or an error the next call reports */
  }
}

int scan_send (int fd, char const *s, size_t len, tain const *deadline)
{
  while (len)
  {
    /* MSG_NOSIGNAL: a scanner that hangs up early is EPIPE, not SIGPIPE */
    ssize_t w = send(fd, s, len, MSG_NOSIGNAL) ;
    if (w < 0)
    {
      if (errno == EINTR) continue ;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return 0 ;
      if (!ready(fd, IOPAUSE_WRITE, deadline)) return 0 ;
      continue ;
    }
    s += w ; len -= w ;
  }
  return 1 ;
}

ssize_t scan_recv (int fd, char *s, size_t max, tain const *deadline)
{
  for (;;)
  {
    ssize_t r = read(fd, s, max) ;
    if (r >= 0) return r ;
    if (errno == EINTR) continue ;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1 ;
    if (!ready(fd, IOPAUSE_READ, deadline)) return -1 ;
  }
}
