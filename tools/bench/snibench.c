/* ISC license. */
/* snibench: the load tool of tools/bench/sni (built by that script with
   the host cc; never installed). Every connection starts with a
   hand-made TLS ClientHello naming SNI, so a splicer can route it; the
   back end skips that record and then does its part.

   snibench serve PORT source|sourcew|reply|hold   back end on
       127.0.0.1:PORT: source: sends bytes (sendfile from a 64 MiB memfd)
       until the client goes; sourcew: the same with write(2) from a
       1 MiB buffer; reply: sends "x" and closes; hold: sends "x" and
       keeps the connection until the client closes it
   snibench get PORT SNI BYTES [copy]   reads BYTES (recv MSG_TRUNC: the
       client copies nothing; with copy, plain recv into a buffer),
       prints "BYTES SECONDS"
   snibench cps PORT SNI SECONDS CONC   CONC connections at a time, each:
       connect, hello, read "x" and the end, close; prints
       "DONE SECONDS ERRORS"
   snibench hold PORT SNI N        opens N connections (200 in flight at
       most), each routed (its "x" read), prints "held N ERRORS", then
       holds them until stdin ends */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SRC_SIZE (64u << 20)

static void die (char const *what)
{
  fprintf(stderr, "snibench: %s: %s\n", what, strerror(errno)) ;
  exit(111) ;
}

static double now (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return ts.tv_sec + ts.tv_nsec / 1e9 ;
}

static void put16 (unsigned char *p, size_t v)
{
  p[0] = v >> 8 ; p[1] = v & 0xff ;
}

/* the same ClientHello as tests/sni/snilib.py client_hello() */
static size_t hello_build (unsigned char *b, char const *sni)
{
  size_t n = strlen(sni), p = 0, ext ;
  unsigned int i ;
  static unsigned char const tail[] = { 0, 10, 0, 6, 0, 4, 0, 0x17, 0, 0x1d, 0, 13, 0, 6, 0, 4, 4, 3, 8, 4 } ;
  b[p++] = 0x16 ; b[p++] = 3 ; b[p++] = 1 ; p += 2 ;
  b[p++] = 1 ; p += 3 ;
  b[p++] = 3 ; b[p++] = 3 ;
  for (i = 0 ; i < 32 ; i++) b[p++] = i * 7 + 1 ;
  b[p++] = 0 ;
  b[p++] = 0 ; b[p++] = 4 ; b[p++] = 0xc0 ; b[p++] = 0x2b ; b[p++] = 0xc0 ; b[p++] = 0x2f ;
  b[p++] = 1 ; b[p++] = 0 ;
  ext = p ; p += 2 ;
  put16(b + p, 0) ; put16(b + p + 2, n + 5) ; put16(b + p + 4, n + 3) ;
  b[p + 6] = 0 ; put16(b + p + 7, n) ; memcpy(b + p + 9, sni, n) ; p += 9 + n ;
  memcpy(b + p, tail, sizeof tail) ; p += sizeof tail ;
  put16(b + ext, p - ext - 2) ;
  b[6] = 0 ; put16(b + 7, p - 9) ;
  put16(b + 3, p - 5) ;
  return p ;
}

static struct sockaddr_in addr_of (char const *port)
{
  struct sockaddr_in sa ;
  memset(&sa, 0, sizeof sa) ;
  sa.sin_family = AF_INET ;
  sa.sin_port = htons(atoi(port)) ;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK) ;
  return sa ;
}

static void nofile_max (void)
{
  struct rlimit r ;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max)
  {
    r.rlim_cur = r.rlim_max ;
    setrlimit(RLIMIT_NOFILE, &r) ;
  }
}

/* ------------------------------------------------------------ back end */

struct conn { int fd ; unsigned int got, need, phase ; off_t off ; unsigned char hdr[5] ; } ;   /* phase 0: hello, 1: sending, 2: held */

static int serve (char const *port, char const *mode)
{
  struct sockaddr_in sa = addr_of(port) ;
  int one = 1, ep, lfd, memfd = -1 ;
  int kind = !strcmp(mode, "source") ? 0 : !strcmp(mode, "reply") ? 1 : !strcmp(mode, "hold") ? 2 : !strcmp(mode, "sourcew") ? 3 : -1 ;
  static char wbuf[1 << 20] ;
  struct epoll_event ev, evs[256] ;
  if (kind < 0) { fprintf(stderr, "snibench: serve: source, sourcew, reply or hold\n") ; return 100 ; }
  signal(SIGPIPE, SIG_IGN) ;
  nofile_max() ;
  if (!kind)
  {
    char *buf = malloc(1 << 20) ;
    unsigned int i ;
    memfd = memfd_create("snibench", 0) ;
    if (memfd < 0 || !buf) die("memfd") ;
    for (i = 0 ; i < (1 << 20) ; i++) buf[i] = (char)(i * 2654435761u >> 13) ;
    for (i = 0 ; i < SRC_SIZE >> 20 ; i++)
      if (write(memfd, buf, 1 << 20) != 1 << 20) die("write memfd") ;
    free(buf) ;
  }
  lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0) ;
  if (lfd < 0) die("socket") ;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ;
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind") ;
  if (listen(lfd, 4096) < 0) die("listen") ;
  ep = epoll_create1(0) ;
  ev.events = EPOLLIN ; ev.data.ptr = 0 ;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) ;
  printf("ready\n") ; fflush(stdout) ;
  for (;;)
  {
    int i, n = epoll_wait(ep, evs, 256, -1) ;
    if (n < 0) { if (errno == EINTR) continue ; die("epoll_wait") ; }
    for (i = 0 ; i < n ; i++)
    {
      struct conn *c = evs[i].data.ptr ;
      if (!c)
      {
        for (;;)
        {
          int fd = accept4(lfd, 0, 0, SOCK_NONBLOCK) ;
          if (fd < 0) break ;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
          c = calloc(1, sizeof *c) ;
          if (!c) die("calloc") ;
          c->fd = fd ; c->need = 5 ;
          ev.events = EPOLLIN ; ev.data.ptr = c ;
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ;
        }
        continue ;
      }
      if (c->phase == 0)
      {
        unsigned char b[16384] ;
        ssize_t r = read(c->fd, b, c->need - c->got > sizeof b ? sizeof b : c->need - c->got) ;
        if (r < 0 && errno == EAGAIN) continue ;
        if (r <= 0) goto drop ;
        if (c->got < 5)   /* the record header tells the length */
        {
          memcpy(c->hdr + c->got, b, r < 5 - (ssize_t)c->got ? (size_t)r : 5 - c->got) ;
          if (c->got + r >= 5) c->need = 5 + (c->hdr[3] << 8 | c->hdr[4]) ;
        }
        c->got += r ;
        if (c->got < c->need) continue ;
        if (kind == 0 || kind == 3)
        {
          c->phase = 1 ;
          ev.events = EPOLLOUT ; ev.data.ptr = c ;
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) ;
          continue ;
        }
        if (write(c->fd, "x", 1) != 1 || kind == 1) goto drop ;
        c->phase = 2 ;
        continue ;
      }
      if (c->phase == 1)
      {
        for (;;)
        {
          ssize_t w ;
          if (kind == 3) w = write(c->fd, wbuf, sizeof wbuf) ;
          else
          {
            if (c->off >= SRC_SIZE) c->off = 0 ;
            w = sendfile(c->fd, memfd, &c->off, SRC_SIZE - c->off) ;
          }
          if (w < 0 && errno == EAGAIN) break ;
          if (w <= 0) goto drop ;
        }
        continue ;
      }
      {   /* held: the client's end */
        char b[512] ;
        ssize_t r = read(c->fd, b, sizeof b) ;
        if (r < 0 && errno == EAGAIN) continue ;
        if (r > 0) continue ;
      }
    drop:
      close(c->fd) ;
      free(c) ;
    }
  }
}

/* --------------------------------------------------------------- clients */

static int connect_to (struct sockaddr_in const *sa, int nonblock)
{
  int one = 1 ;
  int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0) ;
  if (fd < 0) die("socket") ;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
  if (connect(fd, (struct sockaddr const *)sa, sizeof *sa) < 0 && errno != EINPROGRESS) { close(fd) ; return -1 ; }
  return fd ;
}

static int get (char const *port, char const *sni, char const *bytes, int copy)
{
  struct sockaddr_in sa = addr_of(port) ;
  unsigned char h[600] ;
  size_t hl = hello_build(h, sni) ;
  unsigned long long want = strtoull(bytes, 0, 10), got = 0 ;
  static char buf[1 << 20] ;
  double t0 = now() ;
  int fd = connect_to(&sa, 0) ;
  if (fd < 0) die("connect") ;
  if (write(fd, h, hl) != (ssize_t)hl) die("write") ;
  while (got < want)
  {
    ssize_t r = recv(fd, buf, sizeof buf, copy ? 0 : MSG_TRUNC) ;
    if (r < 0 && errno == EINTR) continue ;
    if (r <= 0) break ;
    got += r ;
  }
  printf("%llu %.6f\n", got, now() - t0) ;
  close(fd) ;
  return got >= want ? 0 : 1 ;
}

struct slot { int fd ; unsigned int state ; } ;   /* state 0 connecting, 1 waiting for x, 2 got x */

static int cps (char const *port, char const *sni, char const *secs, char const *conc)
{
  struct sockaddr_in sa = addr_of(port) ;
  unsigned char h[600] ;
  size_t hl = hello_build(h, sni) ;
  double dur = atof(secs), t0, tend, tstop ;
  unsigned int n = atoi(conc), i, active = 0 ;
  unsigned long long done = 0, errors = 0 ;
  struct slot *s = calloc(n, sizeof *s) ;
  struct epoll_event ev, evs[256] ;
  int ep = epoll_create1(0) ;
  if (!s || ep < 0) die("init") ;
  signal(SIGPIPE, SIG_IGN) ;
  nofile_max() ;
  t0 = now() ; tend = t0 + dur ; tstop = tend + 3 ;
  for (i = 0 ; i < n ; i++) s[i].fd = -1 ;
  for (;;)
  {
    int k, m ;
    double t = now() ;
    if (t < tend)
      for (i = 0 ; i < n ; i++)
        if (s[i].fd < 0)
        {
          s[i].fd = connect_to(&sa, 1) ;
          if (s[i].fd < 0) { errors++ ; continue ; }
          s[i].state = 0 ;
          ev.events = EPOLLOUT ; ev.data.u32 = i ;
          epoll_ctl(ep, EPOLL_CTL_ADD, s[i].fd, &ev) ;
          active++ ;
        }
    if (!active || t > tstop) break ;
    m = epoll_wait(ep, evs, 256, 100) ;
    for (k = 0 ; k < m ; k++)
    {
      struct slot *c = s + evs[k].data.u32 ;
      if (c->state == 0)
      {
        int err = 0 ;
        socklen_t el = sizeof err ;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) ;
        if (err || write(c->fd, h, hl) != (ssize_t)hl) goto fail ;
        c->state = 1 ;
        ev.events = EPOLLIN ; ev.data.u32 = evs[k].data.u32 ;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) ;
        continue ;
      }
      {
        char b[64] ;
        ssize_t r = read(c->fd, b, sizeof b) ;
        if (r < 0 && errno == EAGAIN) continue ;
        if (r > 0 && r == 1 && b[0] == 'x' && c->state == 1) { c->state = 2 ; continue ; }
        if (r != 0 || c->state != 2) goto fail ;
        done++ ;
        goto next ;
      }
    fail:
      errors++ ;
    next:
      close(c->fd) ;   /* closing removes it from the epoll set */
      c->fd = -1 ;
      active-- ;
    }
  }
  printf("%llu %.6f %llu\n", done, now() - t0 > dur ? dur : now() - t0, errors) ;
  return 0 ;
}

static int hold (char const *port, char const *sni, char const *count)
{
  struct sockaddr_in sa = addr_of(port) ;
  unsigned char h[600] ;
  size_t hl = hello_build(h, sni) ;
  unsigned int n = atoi(count), opened = 0, inflight = 0, held = 0, errors = 0 ;
  int *fds = calloc(n, sizeof *fds) ;
  unsigned char *st = calloc(n, 1) ;
  struct epoll_event ev, evs[256] ;
  int ep = epoll_create1(0) ;
  char b[16] ;
  double t0 = now() ;
  if (!fds || !st || ep < 0) die("init") ;
  signal(SIGPIPE, SIG_IGN) ;
  nofile_max() ;
  while (held + errors < n && now() - t0 < 120)
  {
    int k, m ;
    while (opened < n && inflight < 200)
    {
      int fd = connect_to(&sa, 1) ;
      if (fd < 0) { errors++ ; opened++ ; continue ; }
      fds[opened] = fd ;
      ev.events = EPOLLOUT ; ev.data.u32 = opened ;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ;
      opened++ ; inflight++ ;
    }
    m = epoll_wait(ep, evs, 256, 100) ;
    for (k = 0 ; k < m ; k++)
    {
      unsigned int i = evs[k].data.u32 ;
      if (!st[i])
      {
        int err = 0 ;
        socklen_t el = sizeof err ;
        getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &el) ;
        if (err || write(fds[i], h, hl) != (ssize_t)hl) { errors++ ; inflight-- ; epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], 0) ; st[i] = 3 ; continue ; }
        st[i] = 1 ;
        ev.events = EPOLLIN ; ev.data.u32 = i ;
        epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev) ;
        continue ;
      }
      epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], 0) ;
      inflight-- ;
      if (read(fds[i], b, sizeof b) == 1 && b[0] == 'x') { held++ ; st[i] = 2 ; }
      else { errors++ ; st[i] = 3 ; }
    }
  }
  printf("held %u %u %.3f\n", held, errors, now() - t0) ;
  fflush(stdout) ;
  while (read(0, b, sizeof b) > 0) ;
  return 0 ;
}

int main (int argc, char **argv)
{
  if (argc == 4 && !strcmp(argv[1], "serve")) return serve(argv[2], argv[3]) ;
  if ((argc == 5 || (argc == 6 && !strcmp(argv[5], "copy"))) && !strcmp(argv[1], "get")) return get(argv[2], argv[3], argv[4], argc == 6) ;
  if (argc == 6 && !strcmp(argv[1], "cps")) return cps(argv[2], argv[3], argv[4], argv[5]) ;
  if (argc == 5 && !strcmp(argv[1], "hold")) return hold(argv[2], argv[3], argv[4]) ;
  fprintf(stderr, "usage: snibench serve PORT source|sourcew|reply|hold | get PORT SNI BYTES [copy] | cps PORT SNI SECONDS CONC | hold PORT SNI N\n") ;
  return 100 ;
}
