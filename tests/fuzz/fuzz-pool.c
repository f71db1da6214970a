/* ISC license. */
/* libFuzzer target: dcr_pool_recv (src/lib/pool.c), the datagram a
   pre-started dcr-smtpd takes its next connection from. The first
   input byte says how many descriptors ride along (0 to 3, as
   SCM_RIGHTS), the rest is the datagram. Besides not crashing: it takes
   a datagram only with exactly one descriptor and variables ending in
   NUL, and whatever it refuses or takes, no descriptor is left behind
   but the one it hands over. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <dcr/pool.h>

static int nfds (void)
{
  int n = 0 ;
  DIR *d = opendir("/proc/self/fd") ;
  if (!d) abort() ;
  while (readdir(d)) n++ ;
  closedir(d) ;
  return n ;
}

static void sendraw (int sock, uint8_t const *data, size_t len, unsigned int k)
{
  union { struct cmsghdr h ; char buf[CMSG_SPACE(3 * sizeof(int))] ; } ctl ;
  struct iovec v = { .iov_base = (void *)data, .iov_len = len } ;
  struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 } ;
  int fds[3] ;
  for (unsigned int i = 0 ; i < k ; i++) if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) abort() ;
  if (k)
  {
    struct cmsghdr *c ;
    memset(ctl.buf, 0, sizeof(ctl.buf)) ;
    m.msg_control = ctl.buf ;
    m.msg_controllen = CMSG_SPACE(k * sizeof(int)) ;
    c = CMSG_FIRSTHDR(&m) ;
    c->cmsg_level = SOL_SOCKET ;
    c->cmsg_type = SCM_RIGHTS ;
    c->cmsg_len = CMSG_LEN(k * sizeof(int)) ;
    memcpy(CMSG_DATA(c), fds, k * sizeof(int)) ;
  }
  if (sendmsg(sock, &m, MSG_DONTWAIT) < 0) abort() ;
  for (unsigned int i = 0 ; i < k ; i++) close(fds[i]) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char buf[DCR_POOL_ENVMAX] ;
  int sv[2], fd = -1, before, r ;
  unsigned int k ;
  size_t len = 0 ;
  if (!size || size > 2 * DCR_POOL_ENVMAX) return 0 ;
  k = data[0] & 3 ;
  data++ ; size-- ;
  if (dcr_pool_pair(sv) < 0) abort() ;
  {
    int big = 4 * DCR_POOL_ENVMAX ;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)) ;
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) ;
  }
  before = nfds() ;
  sendraw(sv[0], data, size, k) ;
  r = dcr_pool_recv(sv[1], buf, sizeof(buf), &len, &fd) ;
  if (r == 1)
  {
    if (k != 1 || !size || size > DCR_POOL_ENVMAX || data[size - 1] || len != size || memcmp(buf, data, size)) abort() ;
    if (fcntl(fd, F_GETFD) != FD_CLOEXEC) abort() ;
    close(fd) ;
  }
  else if (r == 0)
  {
    if (size || k) abort() ;   /* an empty datagram without descriptors reads as EOF */
  }
  else if (k == 1 && size && size <= DCR_POOL_ENVMAX && !data[size - 1]) abort() ;
  if (nfds() != before) abort() ;
  close(sv[0]) ;
  close(sv[1]) ;
  return 0 ;
}
