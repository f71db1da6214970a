/* ISC license. */
#ifndef DCR_POOL_H
#define DCR_POOL_H

/* Pre-started sessions (doc/dcr-tcpd.md, "Pre-started sessions"):
   dcr-tcpd -P hands each accepted connection to a program it started
   beforehand, over a SOCK_SEQPACKET socket pair of its own. One datagram
   is one connection: the socket as SCM_RIGHTS (non-blocking, unlike
   under UCSPI: the programs are dcrouter's own) and the variables the
   program would have had under UCSPI-TCP, as "NAME=value\0" (set) and
   "NAME\0" (unset). The program answers one byte, DCR_POOL_READY, when
   it starts waiting for a connection: once at start, then after each
   connection it has closed. EOF on the socket: exit. A datagram is
   taken whole or not at all, so neither side ever holds half a
   message, and a program that dies takes its socket's EOF with it. */

#include <stddef.h>

#define DCR_POOL_VAR "DCR_POOL"     /* set in the program's environment: the socket's fd */
#define DCR_POOL_ENVMAX 65536       /* octets of variables in one datagram */
#define DCR_POOL_READY 'R'

/* the pair: sv[0] for dcr-tcpd, sv[1] for the program; close-on-exec. 0 or -1 */
extern int dcr_pool_pair (int *sv) ;

/* Sends fd and the variables (len octets). 1: sent; 0: the program's
   socket is full or gone (errno); nothing was sent then. */
extern int dcr_pool_send (int sock, int fd, char const *vars, size_t len) ;

/* Waits for the next connection. 1: *fd is the connection (close-on-exec)
   and buf holds *len octets of variables ending in NUL. 0: EOF, no more
   connections. -1: error (errno; EPROTO for a malformed datagram, EINTR
   for a signal). */
extern int dcr_pool_recv (int sock, char *buf, size_t max, size_t *len, int *fd) ;

#endif
