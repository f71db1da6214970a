/* ISC license. */
#ifndef DCR_FDPASS_H
#define DCR_FDPASS_H

/* One sendmsg: the iovecs' bytes, with fd riding on the first of them
   (SCM_RIGHTS). Never blocks (MSG_DONTWAIT), never raises SIGPIPE. The
   bytes sent, as sendmsg(2), or -1 (errno). skalibs' ancil_send_fd
   sends the descriptor with one byte of its own; this lets the data go
   in the same call. */

#include <sys/types.h>
#include <sys/uio.h>

extern ssize_t dcr_fdpass_sendv (int sock, int fd, struct iovec const *v, unsigned int n) ;

#endif
