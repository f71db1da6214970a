/* ISC license. */

/* The datagrams of pre-started sessions (dcr/pool.h). skalibs' ancil
   and unixmessage frame fds over stream sockets; here one connection
   must be one atomic datagram, hence sendmsg on SOCK_SEQPACKET. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <skalibs/socket.h>
#include <skalibs/djbunix.h>

#include <dcr/pool.h>
#include <dcr/fdpass.h>

int dcr_pool_pair (int *sv)
{
  return socketpair_internal(AF_UNIX, SOCK_SEQPACKET, 0, O_CLOEXEC, sv) ;
}

int dcr_pool_send (int sock, int fd, char const *vars, size_t len)
{
  struct iovec v = { .iov_base = (char *)vars, .iov_len = len } ;
  if (!len || len > DCR_POOL_ENVMAX || vars[len - 1]) return (errno = EINVAL, 0) ;
  return dcr_fdpass_sendv(sock, fd, &v, 1) == (ssize_t)len ;
}

/* close whatever descriptors a datagram carried */
static void closefds (struct msghdr *m)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m) ; c ; c = CMSG_NXTHDR(m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
    {
      size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) ;
      for (size_t i = 0 ; i < n ; i++)
      {
        int x ;
        memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int)) ;
        fd_close(x) ;
      }
    }
}

int dcr_pool_recv (int sock, char *buf, size_t max, size_t *len, int *fd)
{
  union { struct cmsghdr h ; char buf[CMSG_SPACE(4 * sizeof(int))] ; } ctl ;
  struct iovec v = { .iov_base = buf, .iov_len = max } ;
  struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) } ;
  struct cmsghdr *c ;
  ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC) ;
  if (r < 0) return -1 ;
  if (!r && !m.msg_controllen) return 0 ;
  c = CMSG_FIRSTHDR(&m) ;
  /* one datagram: variables ending in NUL, and exactly one descriptor */
  if (!r || m.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || buf[r - 1] || !c
   || m.msg_controllen != CMSG_SPACE(sizeof(int)) || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
  {
    closefds(&m) ;
    return (errno = EPROTO, -1) ;
  }
  memcpy(fd, CMSG_DATA(c), sizeof(int)) ;
  *len = (size_t)r ;
  return 1 ;
}
