/* ISC license. 
   Each socket goes into epoll once, edge-triggered, for reading and
   writing, and is never touched again (no epoll_ctl per state change):
   so every step goes on until EAGAIN, and a direction that yields its
   turn (FAIR_ROUNDS) goes on the ready list, taken up after the next
   epoll_wait (which then does not sleep). */
/* One connection's life: accept, peek (ClientHello or Host), route by
   the rules, connect (failover through the rule's targets), replay the
   peeked bytes behind an optional PROXY header, then splice(2) both
   ways through a pipe per direction, with half-close and back-pressure:
   a direction reads only when its pipe is empty, so at most one pipe's
   worth is ever in flight, and none of it in user space. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <fmt.h>
#include <ip4.h>
#include <ip6.h>
#include <socket.h>

#include "sni.h"
#include "httphost.h"
#include "log.h"

#define PEEK_FIRST 1024       /* the peek buffer starts so, doubles up to the bound */
#ifndef PIPE_SIZE
#define PIPE_SIZE (256 * 1024) /* F_SETPIPE_SZ: fewer splices per byte; pages only while in flight */
#endif
#define PIPE_CHUNK PIPE_SIZE   /* asked of one splice into the pipe */
#define PIPEPOOL_MAX 256      /* empty pipes kept for the next direction that needs one */
#define FAIR_ROUNDS 8         /* reads in a row for one direction before the others' turn */
#define IPHASH 4096

enum { ST_PEEK, ST_CONNECTING, ST_SENDING, ST_SPLICE } ;
enum { DIR_SRC, DIR_DST, DIR_DONE } ;   /* waiting for: the source, the destination; done */

typedef struct dir_s dir ;
struct dir_s
{
  int p[2] ;                   /* -1 while idle: borrowed from the pool when data comes */
  size_t inpipe ;
  unsigned char state, eof, again ;   /* again: yielded its turn with more to read */
} ;

typedef struct ipcount_s ipcount ;
struct ipcount_s
{
  ipcount *next ;
  sni_addr a ;
  unsigned int n ;
} ;

typedef struct conn_s conn ;
struct conn_s
{
  int cfd, tfd ;
  unsigned int slot ;
  unsigned char state, counted, reserved ;   /* reserved: a descriptor for its back end */
  unsigned char ready ;        /* on the ready list */
  uint32_t gen ;               /* tells this connection's events from an earlier one's in the slot */
  listener *l ;
  sni_addr client ;
  sni_rules *set ;             /* the rules it was routed by (held: refs) */
  int rule, target ;
  unsigned int first, tried ;
  unsigned char *buf ;         /* peeked bytes, then what to replay; 0 once spliced */
  size_t len, cap, sent, scan ;
  dir up, down ;
  uint64_t up_bytes, down_bytes, t_start, t_last, deadline ;
  ipcount *ip ;
  char const *why ;
  char name[HELLO_NAMEMAX] ;
} ;

static conn **slots ;
static unsigned int nslots, *freeslots, nfree ;
static int pool[PIPEPOOL_MAX][2] ;
static unsigned int npool ;
static ipcount *iphash[IPHASH] ;
static char copybuf[65536] ;
static unsigned int fds_reserved ;
static uint32_t generation ;
static unsigned int *readylist, nready ;   /* slots of connections with a direction to resume */   /* connections whose back-end socket is yet to come */

int conns_init (unsigned int max)
{
  unsigned int i ;
  nslots = max ;
  slots = calloc(max, sizeof(conn *)) ;
  freeslots = malloc(max * sizeof(unsigned int)) ;
  readylist = malloc(max * sizeof(unsigned int)) ;
  if (!slots || !freeslots || !readylist) return 0 ;
  for (i = 0 ; i < max ; i++) freeslots[i] = max - 1 - i ;
  nfree = max ;
  return 1 ;
}

unsigned int conns_open (void) { return nslots - nfree ; }

static int resource_errno (int e) { return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS ; }

 /* pipes: borrowed while a direction has data in flight */

static int pipe_get (dir *d)
{
  if (npool) { npool-- ; d->p[0] = pool[npool][0] ; d->p[1] = pool[npool][1] ; return 1 ; }
  if (fds_open + 2 + FD_RESERVE / 2 > fds_limit) { errno = EMFILE ; return 0 ; }
  if (pipe2(d->p, O_NONBLOCK | O_CLOEXEC) < 0) return 0 ;
  fcntl(d->p[1], F_SETPIPE_SZ, PIPE_SIZE) ;   /* may fail (pipe-max-size): the default then */
  fds_open += 2 ;
  return 1 ;
}

static void pipe_put (dir *d)
{
  if (d->p[0] < 0) return ;
  if (!d->inpipe && npool < PIPEPOOL_MAX) { pool[npool][0] = d->p[0] ; pool[npool][1] = d->p[1] ; npool++ ; }
  else { close(d->p[0]) ; close(d->p[1]) ; fds_open -= 2 ; }
  d->p[0] = d->p[1] = -1 ;
  d->inpipe = 0 ;
}

 /* per client address counts (-i) */

static unsigned int iph (sni_addr const *a)
{
  unsigned int h = 5381, i ;
  for (i = 0 ; i < 16 ; i++) h = h * 33 + a->ip[i] ;
  return h % IPHASH ;
}

static ipcount *ip_get (sni_addr const *a)
{
  ipcount *x ;
  unsigned int h = iph(a) ;
  for (x = iphash[h] ; x ; x = x->next)
    if (x->a.v6 == a->v6 && !memcmp(x->a.ip, a->ip, 16)) return x ;
  x = calloc(1, sizeof(*x)) ;
  if (!x) return 0 ;
  x->a = *a ; x->a.port = 0 ;
  x->next = iphash[h] ;
  iphash[h] = x ;
  return x ;
}

static void ip_drop (ipcount *x)
{
  ipcount **p ;
  if (--x->n) return ;
  for (p = &iphash[iph(&x->a)] ; *p != x ; p = &(*p)->next) ;
  *p = x->next ;
  free(x) ;
}

 /* the log line of a connection's end */

static void log_close (conn *c, char const *reason)
{
  char client[SNI_ADDR_FMT], target[SNI_ADDR_FMT], up[24], down[24], ms[24] ;
  char const *kv[22] ;
  unsigned int n = 0 ;
  sni_addr_fmt(client, &c->client) ;
  if (c->target >= 0) sni_addr_fmt(target, &c->set->target[c->target]) ;
  up[fmt_ulonglong(up, c->up_bytes)] = 0 ;
  down[fmt_ulonglong(down, c->down_bytes)] = 0 ;
  ms[fmt_ulonglong(ms, now_ms - c->t_start)] = 0 ;
  kv[n++] = "event" ; kv[n++] = "close" ;
  kv[n++] = "client" ; kv[n++] = client ;
  kv[n++] = "listener" ; kv[n++] = c->l->text ;
  kv[n++] = "sni" ; kv[n++] = c->name[0] ? c->name : 0 ;
  kv[n++] = "rule" ; kv[n++] = c->rule >= 0 ? c->set->rule[c->rule].text : 0 ;
  kv[n++] = "target" ; kv[n++] = c->target >= 0 ? target : 0 ;
  kv[n++] = "up" ; kv[n++] = up ;
  kv[n++] = "down" ; kv[n++] = down ;
  kv[n++] = "ms" ; kv[n++] = ms ;
  kv[n++] = "reason" ; kv[n++] = reason ;
  kv[n++] = "error" ; kv[n++] = c->why ;
  sni_log_pairs(kv, n / 2) ;
}

static void conn_close (conn *c, char const *reason)
{
  log_close(c, reason) ;
  if (c->cfd >= 0) { close(c->cfd) ; fds_open-- ; }
  if (c->tfd >= 0) { close(c->tfd) ; fds_open-- ; }
  pipe_put(&c->up) ; pipe_put(&c->down) ;
  if (c->set)
  {
    if (c->counted) c->set->rule[c->rule].conns-- ;
    rules_release(c->set) ;
  }
  if (c->ip) ip_drop(c->ip) ;
  if (c->reserved) fds_reserved-- ;
  free(c->buf) ;
  slots[c->slot] = 0 ;
  freeslots[nfree++] = c->slot ;
  st->conns-- ;
  free(c) ;
}

/* closed before any byte went to a target: for http, a short reply */
static void refuse (conn *c, char const *reason, char const *http)
{
  st->refused++ ;
  if (c->l->mode == MODE_HTTP && http)
  {
    char msg[160] = "" ;
    size_t n = 0 ;
    n += fmt_str(msg + n, "HTTP/1.1 ") ;
    n += fmt_str(msg + n, http) ;
    n += fmt_str(msg + n, "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n") ;
    if (send(c->cfd, msg, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {}   /* best effort */
  }
  conn_close(c, reason) ;
}

/* fd into epoll for good: both ways, edge-triggered */
static void ep_add (conn *c, int fd, unsigned int side)
{
  unsigned int reg = 0 ;
  ep_set(fd, (uint64_t)c->gen << 32 | (uint64_t)c->slot << 2 | side, &reg, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) ;
}

static void ready_add (conn *c)
{
  if (c->ready) return ;
  c->ready = 1 ;
  readylist[nready++] = c->slot ;
}

int conns_ready (void) { return nready > 0 ; }

 /* the PROXY header (haproxy's proxy-protocol.txt, v1 and v2) */

static size_t proxy_header (conn *c, unsigned int version, char *out)
{
  static char const sig[12] = "\r\n\r\n\0\r\nQUIT\n" ;
  struct sockaddr_storage ss ;
  socklen_t sl = sizeof(ss) ;
  sni_addr local ;
  size_t n = 0 ;
  memset(&local, 0, sizeof(local)) ;
  if (getsockname(c->cfd, (struct sockaddr *)&ss, &sl) < 0) return 0 ;
  if (ss.ss_family == AF_INET6)
  {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss ;
    memcpy(local.ip, &s6->sin6_addr, 16) ; local.v6 = 1 ; local.port = ntohs(s6->sin6_port) ;
  }
  else
  {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss ;
    memcpy(local.ip, &s4->sin_addr, 4) ; local.port = ntohs(s4->sin_port) ;
  }
  sni_addr_unmap(&local) ;
  if (local.v6 != c->client.v6) return 0 ;   /* cannot be: one socket */
  if (version == 1)
  {
    char ip[64] ;
    n += fmt_str(out + n, local.v6 ? "PROXY TCP6 " : "PROXY TCP4 ") ;
    ip[c->client.v6 ? fmt_ip6(ip, (char *)c->client.ip) : fmt_ip4(ip, (char *)c->client.ip)] = 0 ;
    n += fmt_str(out + n, ip) ; out[n++] = ' ' ;
    ip[local.v6 ? fmt_ip6(ip, (char *)local.ip) : fmt_ip4(ip, (char *)local.ip)] = 0 ;
    n += fmt_str(out + n, ip) ; out[n++] = ' ' ;
    n += fmt_ulong(out + n, c->client.port) ; out[n++] = ' ' ;
    n += fmt_ulong(out + n, local.port) ;
    out[n++] = '\r' ; out[n++] = '\n' ;
    return n ;
  }
  memcpy(out, sig, 12) ; n = 12 ;
  out[n++] = 0x21 ;                          /* version 2, PROXY */
  out[n++] = local.v6 ? 0x21 : 0x11 ;        /* TCP over IPv6 or IPv4 */
  out[n++] = 0 ; out[n++] = local.v6 ? 36 : 12 ;
  memcpy(out + n, c->client.ip, local.v6 ? 16 : 4) ; n += local.v6 ? 16 : 4 ;
  memcpy(out + n, local.ip, local.v6 ? 16 : 4) ; n += local.v6 ? 16 : 4 ;
  out[n++] = c->client.port >> 8 ; out[n++] = c->client.port & 255 ;
  out[n++] = local.port >> 8 ; out[n++] = local.port & 255 ;
  return n ;
}

 /* splicing */

static void start_splice (conn *c)
{
  st->bytes_up += c->up_bytes ;   /* the replayed bytes */
  free(c->buf) ; c->buf = 0 ;
  c->state = ST_SPLICE ;
  c->up.state = c->down.state = DIR_SRC ;
  c->t_last = now_ms ;
  if (c->up.again || c->down.again) ready_add(c) ;   /* edges that came while connecting */
}

/* moves what it can from src to dst; 0, or -1 on an error (errno) */
static int pump (conn *c, dir *d, int src, int dst, uint64_t *count, uint64_t *total)
{
  unsigned int rounds = 0 ;
  if (d->state == DIR_DONE) return 0 ;
  for (;;)
  {
    ssize_t r ;
    if (d->inpipe)
    {
      r = splice(d->p[0], 0, dst, 0, d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK) ;
      if (r < 0)
      {
        if (errno == EINTR) continue ;
        if (errno == EAGAIN) { d->state = DIR_DST ; return 0 ; }
        return -1 ;
      }
      d->inpipe -= r ;
      c->t_last = now_ms ;
      continue ;
    }
    if (d->eof)
    {
      dir const *other = d == &c->up ? &c->down : &c->up ;
      /* the half-close, passed on; when the other way is done too, the
         close that follows says it */
      if (other->state != DIR_DONE) shutdown(dst, SHUT_WR) ;
      d->state = DIR_DONE ;
      pipe_put(d) ;
      return 0 ;
    }
    if (rounds++ == FAIR_ROUNDS) { d->state = DIR_SRC ; d->again = 1 ; ready_add(c) ; return 0 ; }
    if (d->p[0] < 0 && !pipe_get(d))
    {
      /* no pipe to be had (descriptors short): copy through one shared
         buffer, and take from the source only what the destination
         accepted, so nothing stays in user space */
      ssize_t w ;
      r = recv(src, copybuf, sizeof(copybuf), MSG_PEEK) ;
      if (!r) { d->eof = 1 ; continue ; }
      if (r < 0)
      {
        if (errno == EINTR) continue ;
        if (errno == EAGAIN) { d->state = DIR_SRC ; return 0 ; }
        return -1 ;
      }
      w = send(dst, copybuf, r, MSG_NOSIGNAL | MSG_DONTWAIT) ;
      if (w < 0)
      {
        if (errno == EINTR) continue ;
        if (errno == EAGAIN) { d->state = DIR_DST ; return 0 ; }
        return -1 ;
      }
      if (recv(src, copybuf, w, 0) != w) return -1 ;
      *count += w ; *total += w ;
      c->t_last = now_ms ;
      continue ;
    }
    r = splice(src, 0, d->p[1], 0, PIPE_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK) ;
    if (!r) { d->eof = 1 ; continue ; }
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      if (errno == EAGAIN) { d->state = DIR_SRC ; pipe_put(d) ; return 0 ; }
      return -1 ;
    }
    d->inpipe += r ;
    *count += r ; *total += r ;
    c->t_last = now_ms ;
  }
}

/* ev: what epoll said of one side (0 with side 0: from the ready list);
   a direction moves when what it waits for came, or it yielded its turn */
static void splice_event (conn *c, unsigned int side, unsigned int ev)
{
  int r = 0, up, down ;
  if (ev & EPOLLERR)
  {
    /* a reset: said now, even if neither way would touch that socket */
    int e = 0 ;
    socklen_t l = sizeof(e) ;
    if (getsockopt(side == TAG_CLIENT ? c->cfd : c->tfd, SOL_SOCKET, SO_ERROR, &e, &l) == 0 && e)
    {
      c->why = e == ECONNRESET ? 0 : strerror(e) ;
      conn_close(c, "reset") ;
      return ;
    }
  }
  if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) ev |= EPOLLIN | EPOLLOUT ;
  up = c->up.again
    || (c->up.state == DIR_SRC && side == TAG_CLIENT && ev & EPOLLIN)
    || (c->up.state == DIR_DST && side == TAG_TARGET && ev & EPOLLOUT) ;
  down = c->down.again
    || (c->down.state == DIR_SRC && side == TAG_TARGET && ev & EPOLLIN)
    || (c->down.state == DIR_DST && side == TAG_CLIENT && ev & EPOLLOUT) ;
  if (up) { c->up.again = 0 ; r = pump(c, &c->up, c->cfd, c->tfd, &c->up_bytes, &st->bytes_up) ; }
  if (!r && down) { c->down.again = 0 ; r = pump(c, &c->down, c->tfd, c->cfd, &c->down_bytes, &st->bytes_down) ; }
  if (r < 0)
  {
    c->why = errno == ECONNRESET ? 0 : strerror(errno) ;
    conn_close(c, "reset") ;
    return ;
  }
  if (c->up.state == DIR_DONE && c->down.state == DIR_DONE) conn_close(c, "eof") ;
}

 /* the replay: PROXY header and the peeked bytes, before any splicing */

static void connect_failed (conn *, int) ;

static void send_replay (conn *c)
{
  while (c->sent < c->len)
  {
    ssize_t w = send(c->tfd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL) ;
    if (w < 0)
    {
      if (errno == EINTR) continue ;
      if (errno == EAGAIN) return ;   /* the next EPOLLOUT edge */
      if (!c->sent && (errno == ECONNREFUSED || errno == ETIMEDOUT || errno == EHOSTUNREACH || errno == ENETUNREACH || errno == ECONNRESET))
      {
        /* the connect had failed: on to the next target */
        c->state = ST_CONNECTING ;
        connect_failed(c, errno) ;
        return ;
      }
      c->why = strerror(errno) ;
      conn_close(c, "reset") ;
      return ;
    }
    c->sent += w ;
    c->t_last = now_ms ;
  }
  start_splice(c) ;
}

static void connected (conn *c)
{
  sni_rule const *x = &c->set->rule[c->rule] ;
  char hdr[128] ;
  size_t h = 0 ;
  int one = 1 ;
  setsockopt(c->tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ;
  if (x->proxy && !(h = proxy_header(c, x->proxy, hdr))) { c->why = "getsockname" ; conn_close(c, "error") ; return ; }
  c->up_bytes = c->len ;
  if (h + c->len)
  {
    unsigned char *b = realloc(c->buf, h + c->len) ;
    if (!b) { accept_pause("ENOMEM") ; conn_close(c, "no-memory") ; return ; }
    memmove(b + h, b, c->len) ;
    memcpy(b, hdr, h) ;
    c->buf = b ; c->len += h ; c->sent = 0 ;
  }
  c->state = ST_SENDING ;
  c->t_last = now_ms ;
  send_replay(c) ;
}

static void log_connect_failed (conn *c, char const *error)
{
  char client[SNI_ADDR_FMT], target[SNI_ADDR_FMT] ;
  sni_addr_fmt(client, &c->client) ;
  sni_addr_fmt(target, &c->set->target[c->target]) ;
  sni_log("event", "connect-failed", "client", client, "rule", c->set->rule[c->rule].text, "target", target, "error", error, (char *)0) ;
}

/* the next target of the rule, each tried at most once */
static void connect_next (conn *c)
{
  sni_rule const *x = &c->set->rule[c->rule] ;
  while (c->tried < x->nt)
  {
    unsigned int k = x->t0 + (c->first + c->tried++) % x->nt ;
    sni_addr const *a = &c->set->target[k] ;
    int fd = socket(a->v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;   /* not socket_tcp4(): 3 syscalls */
    int r ;
    if (fd < 0)
    {
      if (resource_errno(errno)) { accept_pause(errno == EMFILE ? "EMFILE" : "ENFILE") ; conn_close(c, "no-fd") ; return ; }
      c->why = strerror(errno) ;
      conn_close(c, "error") ;
      return ;
    }
    fds_open++ ;
    if (c->reserved) { c->reserved = 0 ; fds_reserved-- ; }
    if (c->tried > 1) st->failovers++ ;
    c->target = k ;
    r = a->v6 ? socket_connect6(fd, (char const *)a->ip, a->port, 0) : socket_connect4(fd, (char const *)a->ip, a->port) ;
    if (!r || errno == EINPROGRESS || errno == EWOULDBLOCK)
    {
      c->tfd = fd ;
      c->state = ST_CONNECTING ;
      c->deadline = now_ms + (uint64_t)x->connect_timeout * 1000 ;
      ep_add(c, fd, TAG_TARGET) ;
      if (!r) connected(c) ;
      return ;
    }
    log_connect_failed(c, strerror(errno)) ;
    close(fd) ; fds_open-- ;
  }
  refuse(c, "no-target", "503 Service Unavailable") ;
}

static void connect_failed (conn *c, int e)
{
  log_connect_failed(c, strerror(e)) ;
  close(c->tfd) ; c->tfd = -1 ; fds_open-- ;
  connect_next(c) ;
}

static void connect_done (conn *c)
{
  int e = 0 ;
  socklen_t l = sizeof(e) ;
  if (c->len && !c->set->rule[c->rule].proxy) { connected(c) ; return ; }   /* the replay's send() will tell */
  if (getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) e = errno ;
  if (!e) connected(c) ; else connect_failed(c, e) ;
}

 /* routing */

static void route (conn *c)
{
  sni_rules *set = rules ;
  sni_rule *x ;
  int i ;
  c->set = set ; set->refs++ ;
  i = sni_rules_match(set, c->l->mode, c->name) ;
  if (i < 0) { refuse(c, c->name[0] ? "no-rule" : "no-sni-rule", "421 Misdirected Request") ; return ; }
  c->rule = i ;
  x = &set->rule[i] ;
  if (!sni_rule_admits(set, x, &c->client)) { refuse(c, "denied", "403 Forbidden") ; return ; }
  if (x->max_conns && x->conns >= x->max_conns) { refuse(c, "max-conns", "503 Service Unavailable") ; return ; }
  x->conns++ ; c->counted = 1 ;
  c->first = x->balance == BALANCE_ROUNDROBIN ? x->rr++ % x->nt : x->balance == BALANCE_RANDOM ? (unsigned int)random() % x->nt : 0 ;
  c->tried = 0 ;
  connect_next(c) ;   /* the client is not read while connecting */
}

static void peek (conn *c, unsigned int ev)
{
  size_t max = c->l->mode == MODE_HTTP ? HTTP_MAX : HELLO_MAX ;
  for (;;)
  {
    enum hello_result r ;
    ssize_t n ;
    if (c->len == c->cap)
    {
      size_t cap = c->cap ? c->cap * 2 : PEEK_FIRST ;
      unsigned char *b ;
      if (cap > max) cap = max ;
      b = realloc(c->buf, cap) ;
      if (!b) { accept_pause("ENOMEM") ; conn_close(c, "no-memory") ; return ; }
      c->buf = b ; c->cap = cap ;
    }
    n = recv(c->cfd, c->buf + c->len, c->cap - c->len, 0) ;
    if (n < 0)
    {
      if (errno == EINTR) continue ;
      if (errno == EAGAIN) return ;
      c->why = strerror(errno) ;
      conn_close(c, "reset") ;
      return ;
    }
    if (!n) { c->why = c->len ? "truncated" : 0 ; if (c->len) st->bad_hello++ ; conn_close(c, c->len ? "bad-hello" : "eof") ; return ; }
    /* more may wait, and no edge will say so: the buffer was filled, or
       the client's FIN came with this event */
    c->up.again = (size_t)n == c->cap - c->len || ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR) ;
    c->len += n ;
    r = c->l->mode == MODE_HTTP
      ? http_host((char const *)c->buf, c->len, &c->scan, c->name, &c->why)
      : hello_parse(c->buf, c->len, c->name, &c->why) ;
    if (r == HELLO_NEED) continue ;
    if (r == HELLO_BAD)
    {
      st->bad_hello++ ;
      refuse(c, "bad-hello", "400 Bad Request") ;
      return ;
    }
    c->why = 0 ;
    route(c) ;
    return ;
  }
}

/* the directions that yielded their turn, or have to look first */
void conns_run_ready (void)
{
  unsigned int n = nready, i ;
  static unsigned int *todo ;
  static unsigned int todomax ;
  if (!n) return ;
  if (todomax < n) { free(todo) ; todo = malloc(nslots * sizeof(unsigned int)) ; todomax = todo ? nslots : 0 ; if (!todo) return ; }
  memcpy(todo, readylist, n * sizeof(unsigned int)) ;
  nready = 0 ;
  for (i = 0 ; i < n ; i++)
  {
    conn *c = slots[todo[i]] ;
    if (!c || !c->ready) continue ;
    c->ready = 0 ;
    if (c->state == ST_SPLICE) splice_event(c, 0, 0) ;
  }
}

void conn_event (unsigned int slot, uint32_t gen, unsigned int side, unsigned int ev)
{
  conn *c = slot < nslots ? slots[slot] : 0 ;
  if (!c || c->gen != gen) return ;   /* closed earlier in this round */
  switch (c->state)
  {
    case ST_PEEK : if (side == TAG_CLIENT && ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peek(c, ev) ; break ;
    case ST_CONNECTING :
    case ST_SENDING :
      if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
      {
        /* to be read once spliced: the edge is remembered */
        if (side == TAG_CLIENT) c->up.again = 1 ; else c->down.again = 1 ;
      }
      if (side == TAG_CLIENT) break ;
      if (c->state == ST_CONNECTING) connect_done(c) ;
      else send_replay(c) ;
      break ;
    default : splice_event(c, side, ev) ;
  }
}

static void refuse_early (int fd, listener *l, sni_addr const *client, char const *reason)
{
  char s[SNI_ADDR_FMT] ;
  sni_addr_fmt(s, client) ;
  st->refused++ ;
  sni_log("event", "close", "client", s, "listener", l->text, "up", "0", "down", "0", "ms", "0", "reason", reason, (char *)0) ;
  close(fd) ; fds_open-- ;
}

void conn_accept (listener *l)
{
  unsigned int i ;
  for (i = 0 ; i < 64 ; i++)
  {
    struct sockaddr_storage ss ;
    socklen_t sl = sizeof(ss) ;
    sni_addr client ;
    conn *c ;
    int fd ;
    if (fds_open + fds_reserved + 2 + FD_RESERVE > fds_limit) { accept_pause("EMFILE") ; return ; }
    fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC) ;
    if (fd < 0)
    {
      if (errno == EINTR || errno == ECONNABORTED) continue ;
      if (resource_errno(errno)) accept_pause(errno == EMFILE ? "EMFILE" : errno == ENFILE ? "ENFILE" : "ENOMEM") ;
      return ;
    }
    fds_open++ ;
    accept_pause(0) ;   /* accepting again, if it was paused */
    st->accepted++ ;
    memset(&client, 0, sizeof(client)) ;
    if (ss.ss_family == AF_INET6)
    {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss ;
      memcpy(client.ip, &s6->sin6_addr, 16) ; client.v6 = 1 ; client.port = ntohs(s6->sin6_port) ;
    }
    else
    {
      struct sockaddr_in *s4 = (struct sockaddr_in *)&ss ;
      memcpy(client.ip, &s4->sin_addr, 4) ; client.port = ntohs(s4->sin_port) ;
    }
    sni_addr_unmap(&client) ;
    if (!nfree) { refuse_early(fd, l, &client, "max-conns") ; continue ; }
    c = calloc(1, sizeof(*c)) ;
    if (!c) { close(fd) ; fds_open-- ; accept_pause("ENOMEM") ; return ; }
    if (cfg.maxperip)
    {
      c->ip = ip_get(&client) ;
      if (!c->ip) { free(c) ; close(fd) ; fds_open-- ; accept_pause("ENOMEM") ; return ; }
      if (c->ip->n >= cfg.maxperip)
      {
        free(c) ;
        refuse_early(fd, l, &client, "max-per-ip") ;
        continue ;
      }
      c->ip->n++ ;
    }
    c->slot = freeslots[--nfree] ;
    c->gen = ++generation ;   /* TCP_NODELAY: inherited from the listener */
    slots[c->slot] = c ;
    st->conns++ ;
    c->cfd = fd ; c->tfd = -1 ;
    c->reserved = 1 ; fds_reserved++ ;
    c->up.p[0] = c->up.p[1] = c->down.p[0] = c->down.p[1] = -1 ;
    c->rule = c->target = -1 ;
    c->l = l ;
    c->client = client ;
    c->t_start = c->t_last = now_ms ;
    c->deadline = now_ms + (uint64_t)cfg.hello_timeout * 1000 ;
    c->state = ST_PEEK ;
    if (l->mode == MODE_FORWARD)
    {
      memcpy(c->name, l->name, sizeof(c->name)) ;
      ep_add(c, fd, TAG_CLIENT) ;
      route(c) ;
    }
    else ep_add(c, fd, TAG_CLIENT) ;   /* bytes already there give the first event */
  }
}

/* timeouts, once in a while; shutting: the grace time is over */
void conns_sweep (int shutting)
{
  unsigned int i ;
  for (i = 0 ; i < nslots ; i++)
  {
    conn *c = slots[i] ;
    if (!c) continue ;
    if (shutting) { conn_close(c, "shutdown") ; continue ; }
    switch (c->state)
    {
      case ST_PEEK :
        if (now_ms >= c->deadline) { st->timeouts++ ; conn_close(c, "hello-timeout") ; }
        break ;
      case ST_CONNECTING :
        if (now_ms >= c->deadline)
        {
          log_connect_failed(c, "timeout") ;
          close(c->tfd) ; c->tfd = -1 ; fds_open-- ;
          connect_next(c) ;
        }
        break ;
      default :
        if (now_ms - c->t_last >= (uint64_t)c->set->rule[c->rule].idle_timeout * 1000) { st->timeouts++ ; conn_close(c, "idle-timeout") ; }
    }
  }
}
