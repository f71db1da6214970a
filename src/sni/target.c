/* ISC license. */
/* The way from a client to its target: peek at the ClientHello (or the
   Host header), route by the rules, connect (failover through the
   rule's targets, each once), then replay the peeked bytes behind an
   optional PROXY header; splice.c takes it from there. */

#include <errno.h>
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
#include "conn.h"

#define PEEK_FIRST 1024       /* the peek buffer starts so, doubles up to the bound */

static void connect_failed (conn *, int) ;

 /* the PROXY header (haproxy's proxy-protocol.txt, v1 and v2) */

static size_t proxy_header (conn *c, unsigned int version, char *out)
{
  static char const sig[12] = "\r\n\r\n\0\r\nQUIT\n" ;
  struct sockaddr_storage ss ;
  socklen_t sl = sizeof(ss) ;
  sni_addr local ;
  size_t n = 0 ;
  if (getsockname(c->cfd, (struct sockaddr *)&ss, &sl) < 0) return 0 ;
  sni_addr_of(&local, &ss) ;
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

 /* the replay: PROXY header and the peeked bytes, before any splicing */

void target_send_replay (conn *c)
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
  splice_start(c) ;
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
  target_send_replay(c) ;
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
      if (conn_resource_errno(errno)) { accept_pause(errno == EMFILE ? "EMFILE" : "ENFILE") ; conn_close(c, "no-fd") ; return ; }
      c->why = strerror(errno) ;
      conn_close(c, "error") ;
      return ;
    }
    fds_open++ ;
    conn_unreserve(c) ;
    if (c->tried > 1) st->failovers++ ;
    c->target = k ;
    r = a->v6 ? socket_connect6(fd, (char const *)a->ip, a->port, 0) : socket_connect4(fd, (char const *)a->ip, a->port) ;
    if (!r || errno == EINPROGRESS || errno == EWOULDBLOCK)
    {
      c->tfd = fd ;
      c->state = ST_CONNECTING ;
      c->deadline = now_ms + (uint64_t)x->connect_timeout * 1000 ;
      conn_ep_add(c, fd, TAG_TARGET) ;
      if (!r) connected(c) ;
      return ;
    }
    log_connect_failed(c, strerror(errno)) ;
    close(fd) ; fds_open-- ;
  }
  conn_refuse(c, "no-target", "503 Service Unavailable") ;
}

static void connect_failed (conn *c, int e)
{
  log_connect_failed(c, strerror(e)) ;
  close(c->tfd) ; c->tfd = -1 ; fds_open-- ;
  connect_next(c) ;
}

void target_connect_done (conn *c)
{
  int e = 0 ;
  socklen_t l = sizeof(e) ;
  if (c->len && !c->set->rule[c->rule].proxy) { connected(c) ; return ; }   /* the replay's send() will tell */
  if (getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) e = errno ;
  if (!e) connected(c) ; else connect_failed(c, e) ;
}

 /* routing */

void target_route (conn *c)
{
  sni_rules *set = rules ;
  sni_rule *x ;
  int i ;
  c->set = set ; set->refs++ ;
  i = sni_rules_match(set, c->l->mode, c->name) ;
  if (i < 0) { conn_refuse(c, c->name[0] ? "no-rule" : "no-sni-rule", "421 Misdirected Request") ; return ; }
  c->rule = i ;
  x = &set->rule[i] ;
  if (!sni_rule_admits(set, x, &c->client)) { conn_refuse(c, "denied", "403 Forbidden") ; return ; }
  if (x->max_conns && x->conns >= x->max_conns) { conn_refuse(c, "max-conns", "503 Service Unavailable") ; return ; }
  x->conns++ ; c->counted = 1 ;
  c->first = x->balance == BALANCE_ROUNDROBIN ? x->rr++ % x->nt : x->balance == BALANCE_RANDOM ? (unsigned int)random() % x->nt : 0 ;
  c->tried = 0 ;
  connect_next(c) ;   /* the client is not read while connecting */
}

void target_peek (conn *c, unsigned int ev)
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
      conn_refuse(c, "bad-hello", "400 Bad Request") ;
      return ;
    }
    c->why = 0 ;
    target_route(c) ;
    return ;
  }
}


/* the connect took too long: on to the next target */
void target_connect_timeout (conn *c)
{
  log_connect_failed(c, "timeout") ;
  close(c->tfd) ; c->tfd = -1 ; fds_open-- ;
  connect_next(c) ;
}
