/* ISC license. */
/* Both ways of a connection once its target has the replay: splice(2)
   through a pipe per direction, with half-close and back-pressure. A
   direction reads only when its pipe is empty, so at most one pipe's
   worth is ever in flight, and none of it in user space; without a pipe
   to be had, it copies through one shared buffer what the destination
   takes. A direction that had FAIR_ROUNDS reads in a row yields its turn
   (conn_ready_add). */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "sni.h"
#include "conn.h"

#ifndef PIPE_SIZE
#define PIPE_SIZE (256 * 1024) /* F_SETPIPE_SZ: fewer splices per byte; pages only while in flight */
#endif
#define PIPE_CHUNK PIPE_SIZE   /* asked of one splice into the pipe */
#define PIPEPOOL_MAX 256      /* empty pipes kept for the next direction that needs one */
#define FAIR_ROUNDS 8         /* reads in a row for one direction before the others' turn */

static int pool[PIPEPOOL_MAX][2] ;
static unsigned int npool ;
static char copybuf[65536] ;

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

void splice_release (dir *d)
{
  if (d->p[0] < 0) return ;
  if (!d->inpipe && npool < PIPEPOOL_MAX) { pool[npool][0] = d->p[0] ; pool[npool][1] = d->p[1] ; npool++ ; }
  else { close(d->p[0]) ; close(d->p[1]) ; fds_open -= 2 ; }
  d->p[0] = d->p[1] = -1 ;
  d->inpipe = 0 ;
}

void splice_start (conn *c)
{
  st->bytes_up += c->up_bytes ;   /* the replayed bytes */
  free(c->buf) ; c->buf = 0 ;
  c->state = ST_SPLICE ;
  c->up.state = c->down.state = DIR_SRC ;
  c->t_last = now_ms ;
  if (c->up.again || c->down.again) conn_ready_add(c) ;   /* edges that came while connecting */
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
      splice_release(d) ;
      return 0 ;
    }
    if (rounds++ == FAIR_ROUNDS) { d->state = DIR_SRC ; d->again = 1 ; conn_ready_add(c) ; return 0 ; }
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
      if (errno == EAGAIN) { d->state = DIR_SRC ; splice_release(d) ; return 0 ; }
      return -1 ;
    }
    d->inpipe += r ;
    *count += r ; *total += r ;
    c->t_last = now_ms ;
  }
}

/* ev: what epoll said of one side (0 with side 0: from the ready list);
   a direction moves when what it waits for came, or it yielded its turn */
void splice_event (conn *c, unsigned int side, unsigned int ev)
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

