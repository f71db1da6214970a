/* ISC license. */
/* The splicer's connections: their table, accept, the dispatch of epoll's
   events by state, close, and the timeouts. What a connection does on
   its way (target.c) and once spliced (splice.c) is in those files;
   conn.h is what they share.
   Each socket goes into epoll once, edge-triggered, for reading and
   writing, and is never touched again (no epoll_ctl per state change):
   so every step goes on until EAGAIN, and a direction that yields its
   turn (FAIR_ROUNDS) goes on the ready list, taken up after the next
   epoll_wait (which then does not sleep). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <fmt.h>

#include "sni.h"
#include "log.h"
#include "conn.h"

#define IPHASH 4096

static conn **slots ;
static unsigned int nslots, *freeslots, nfree ;
static ipcount *iphash[IPHASH] ;
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

int conn_resource_errno (int e) { return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS ; }

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

void conn_close (conn *c, char const *reason)
{
  log_close(c, reason) ;
  if (c->cfd >= 0) { close(c->cfd) ; fds_open-- ; }
  if (c->tfd >= 0) { close(c->tfd) ; fds_open-- ; }
  splice_release(&c->up) ; splice_release(&c->down) ;
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
void conn_refuse (conn *c, char const *reason, char const *http)
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
void conn_ep_add (conn *c, int fd, unsigned int side)
{
  unsigned int reg = 0 ;
  ep_set(fd, (uint64_t)c->gen << 32 | (uint64_t)c->slot << 2 | side, &reg, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) ;
}

void conn_ready_add (conn *c)
{
  if (c->ready) return ;
  c->ready = 1 ;
  readylist[nready++] = c->slot ;
}

void conn_unreserve (conn *c)
{
  if (c->reserved) { c->reserved = 0 ; fds_reserved-- ; }
}

int conns_ready (void) { return nready > 0 ; }

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
    case ST_PEEK : if (side == TAG_CLIENT && ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) target_peek(c, ev) ; break ;
    case ST_CONNECTING :
    case ST_SENDING :
      if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
      {
        /* to be read once spliced: the edge is remembered */
        if (side == TAG_CLIENT) c->up.again = 1 ; else c->down.again = 1 ;
      }
      if (side == TAG_CLIENT) break ;
      if (c->state == ST_CONNECTING) target_connect_done(c) ;
      else target_send_replay(c) ;
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
      if (conn_resource_errno(errno)) accept_pause(errno == EMFILE ? "EMFILE" : errno == ENFILE ? "ENFILE" : "ENOMEM") ;
      return ;
    }
    fds_open++ ;
    accept_pause(0) ;   /* accepting again, if it was paused */
    st->accepted++ ;
    sni_addr_of(&client, &ss) ;
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
      conn_ep_add(c, fd, TAG_CLIENT) ;
      target_route(c) ;
    }
    else conn_ep_add(c, fd, TAG_CLIENT) ;   /* bytes already there give the first event */
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
        if (now_ms >= c->deadline) target_connect_timeout(c) ;
        break ;
      default :
        if (now_ms - c->t_last >= (uint64_t)c->set->rule[c->rule].idle_timeout * 1000) { st->timeouts++ ; conn_close(c, "idle-timeout") ; }
    }
  }
}
