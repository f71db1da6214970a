/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <dcr/fdpass.h>

ssize_t dcr_fdpass_sendv (int sock, int fd, struct iovec const *v, unsigned int n)
{
  union { struct cmsghdr h ; char buf[CMSG_SPACE(sizeof(int))] ; } ctl ;
  struct msghdr m = { .msg_iov = (struct iovec *)v, .msg_iovlen = n, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) } ;
  struct cmsghdr *c ;
  ssize_t r ;
  memset(ctl.buf, 0, sizeof(ctl.buf)) ;
  c = CMSG_FIRSTHDR(&m) ;
  c->cmsg_level = SOL_SOCKET ;
  c->cmsg_type = SCM_RIGHTS ;
  c->cmsg_len = CMSG_LEN(sizeof(int)) ;
  memcpy(CMSG_DATA(c), &fd, sizeof(int)) ;
  do r = sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL) ;
  while (r < 0 && errno == EINTR) ;
  return r ;
}
