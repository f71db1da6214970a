/* ISC license. */
#ifndef DCR_REMOTE_RIO_H
#define DCR_REMOTE_RIO_H

/* All network I/O of dcr-remote goes through one rio: two descriptors
   and three functions. Plain TCP is rio_plain(); a TLS layer (a later
   issue, src/remote/tls.c) sets its own recv/send/close and keep its state in
   `layer`, and nothing above this file changes. recv and send behave
   like read(2)/write(2) on non-blocking descriptors: -1 with EAGAIN
   means "wait"; a layer that must write to read (or read to write)
   sets `want` to the IOPAUSE_ event it waits for. send with 0 octets
   pushes out what the layer still holds: 0 when nothing is left. */

#include <stddef.h>
#include <sys/types.h>

#include <skalibs/tai.h>

#define RIO_INSIZE 8192
#define RIO_OUTSIZE 65536

typedef struct rio_s rio ;
struct rio_s
{
  int rfd, wfd ;
  ssize_t (*recv) (rio *, char *, size_t) ;
  ssize_t (*send) (rio *, char const *, size_t) ;
  void (*close) (rio *) ;
  void *layer ;
  unsigned int want ;   /* set by recv/send with EAGAIN; 0: the natural event */
  size_t inpos, inlen, outlen ;
  char in[RIO_INSIZE] ;
  char out[RIO_OUTSIZE] ;
} ;

extern void rio_plain (rio *io, int fd) ;
extern void rio_close (rio *io) ;

/* 1, or 0 with errno (ETIMEDOUT at the deadline) */
extern int rio_flush (rio *io, tain const *deadline) ;
/* buffered; flushes when full */
extern int rio_put (rio *io, char const *s, size_t n, tain const *deadline) ;
extern int rio_puts (rio *io, char const *s, tain const *deadline) ;
/* read more into in[]: > 0 octets, 0 at EOF, -1 with errno */
extern ssize_t rio_fill (rio *io, tain const *deadline) ;
/* without waiting: 1 if the peer sent something or closed, else 0 */
extern int rio_peek (rio *io) ;

#endif
