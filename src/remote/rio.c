/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "rio.h"

static ssize_t plain_recv (rio *io, char *s, size_t n)
{
  return read(io->rfd, s, n) ;
}

static ssize_t plain_send (rio *io, char const *s, size_t n)
{
  return n ? write(io->wfd, s, n) : 0 ;
}

static void plain_close (rio *io)
{
  fd_close(io->rfd) ;
  if (io->wfd != io->rfd) fd_close(io->wfd) ;
}

void rio_plain (rio *io, int fd)
{
  io->rfd = io->wfd = fd ;
  io->recv = &plain_recv ;
  io->send = &plain_send ;
  io->close = &plain_close ;
  io->layer = 0 ;
  io->want = 0 ;
  io->inpos = io->inlen = io->outlen = 0 ;
}

void rio_close (rio *io)
{
  if (io->rfd >= 0) (*io->close)(io) ;
  io->rfd = io->wfd = -1 ;
  io->inpos = io->inlen = io->outlen = 0 ;
}

/* wait for the event the last call asked for; 0 and ETIMEDOUT at the deadline */
static int await (rio *io, unsigned int natural, tain const *deadline)
{
  unsigned int ev = io->want ? io->want : natural ;
  iopause_fd x = { .fd = ev == IOPAUSE_READ ? io->rfd : io->wfd, .events = ev } ;
  int r ;
  io->want = 0 ;
  tain_now_g() ;
  r = iopause_g(&x, 1, deadline) ;
  if (r < 0) return errno == EINTR ;
  if (!r) { errno = ETIMEDOUT ; return 0 ; }
  return 1 ;
}

int rio_flush (rio *io, tain const *deadline)
{
  size_t done = 0 ;
  if (io->wfd < 0) { errno = EPIPE ; return 0 ; }
  while (done < io->outlen)
  {
    ssize_t w = (*io->send)(io, io->out + done, io->outlen - done) ;
    if (w > 0) { done += w ; continue ; }
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break ;
    if (!await(io, IOPAUSE_WRITE, deadline)) break ;
  }
  memmove(io->out, io->out + done, io->outlen - done) ;
  io->outlen -= done ;
  if (io->outlen) return 0 ;
  /* a layer may still hold some (TLS records): send(0 octets) pushes it */
  for (;;)
  {
    ssize_t w = (*io->send)(io, io->out, 0) ;
    if (!w) return 1 ;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return 0 ;
    if (!await(io, IOPAUSE_WRITE, deadline)) return 0 ;
  }
}

int rio_put (rio *io, char const *s, size_t n, tain const *deadline)
{
  while (n)
  {
    size_t k = RIO_OUTSIZE - io->outlen ;
    if (!k) { if (!rio_flush(io, deadline)) return 0 ; continue ; }
    if (k > n) k = n ;
    memcpy(io->out + io->outlen, s, k) ;
    io->outlen += k ; s += k ; n -= k ;
  }
  return 1 ;
}

int rio_puts (rio *io, char const *s, tain const *deadline)
{
  return rio_put(io, s, strlen(s), deadline) ;
}

ssize_t rio_fill (rio *io, tain const *deadline)
{
  if (io->rfd < 0) { errno = EPIPE ; return -1 ; }
  if (io->inpos == io->inlen) io->inpos = io->inlen = 0 ;
  if (io->inlen == RIO_INSIZE)
  {
    memmove(io->in, io->in + io->inpos, io->inlen - io->inpos) ;
    io->inlen -= io->inpos ; io->inpos = 0 ;
  }
  for (;;)
  {
    ssize_t r = (*io->recv)(io, io->in + io->inlen, RIO_INSIZE - io->inlen) ;
    if (r >= 0) { io->inlen += r ; return r ; }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1 ;
    if (!await(io, IOPAUSE_READ, deadline)) return -1 ;
  }
}

int rio_peek (rio *io)
{
  iopause_fd x = { .fd = io->rfd, .events = IOPAUSE_READ } ;
  tain now ;
  if (io->rfd < 0) return 1 ;
  if (io->inpos < io->inlen) return 1 ;
  tain_now_g() ;
  now = STAMP ;
  return iopause_g(&x, 1, &now) > 0 ;
}
