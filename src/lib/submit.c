/* ISC license. */
/* The client side of dcr-queued. The message's descriptor goes first,
   with one byte 'M' (SCM_RIGHTS), then the envelope text as a netstring
   ("LEN:text,"). The netstring's end is the submission's: the writer
   takes nothing but a whole one, so a client cut off half-way commits
   nothing. It answers one line: "K id" committed, "Z reply" temporary,
   "D reply" permanent, "X why" write it yourself (nothing was
   committed). The connection stays open for the process's next message:
   a pre-started dcr-smtpd connects once, not once per message. */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/socket.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/djbunix.h>

#include <dcr/log.h>
#include <dcr/submit.h>
#include <dcr/fdpass.h>

/* queuedir/submit; 0 when it would not fit a sun_path */
static int sockpath (char *buf, size_t max, char const *queuedir)
{
  size_t n = strlen(queuedir), k = sizeof(DCR_SUBMIT_SOCKET) ;
  if (n + 1 + k > max) return 0 ;
  memcpy(buf, queuedir, n) ;
  buf[n] = '/' ;
  memcpy(buf + n + 1, DCR_SUBMIT_SOCKET, k) ;
  return 1 ;
}

/* all of s, or 0 at the deadline or on an error */
static int send_all (int sock, char const *s, size_t n, tain const *deadline)
{
  iopause_fd x = { .fd = sock, .events = IOPAUSE_WRITE } ;
  while (n)
  {
    ssize_t w = send(sock, s, n, MSG_NOSIGNAL) ;
    if (w > 0) { s += w ; n -= w ; continue ; }
    if (w < 0 && errno != EAGAIN && errno != EINTR) return 0 ;
    if (iopause_g(&x, 1, deadline) <= 0 && errno != EINTR) return 0 ;
  }
  return 1 ;
}

/* the answer, one line: its length, or -1 at the deadline, on an error
   or at EOF before its end */
static ssize_t read_answer (int sock, char *line, tain const *deadline)
{
  iopause_fd x = { .fd = sock, .events = IOPAUSE_READ } ;
  size_t len = 0 ;
  /* the writer answers after a sync: never there yet, so wait first */
  if (iopause_g(&x, 1, deadline) <= 0 && errno != EINTR) return -1 ;
  for (;;)
  {
    ssize_t r = read(sock, line + len, DCR_SUBMIT_LINEMAX - 1 - len) ;
    if (!r) return -1 ;
    if (r > 0)
    {
      len += r ;
      if (line[len-1] == '\n' || len == DCR_SUBMIT_LINEMAX - 1) break ;
      continue ;
    }
    if (errno != EAGAIN && errno != EINTR) return -1 ;
    if (iopause_g(&x, 1, deadline) <= 0 && errno != EINTR) return -1 ;
  }
  while (len && (line[len-1] == '\n' || line[len-1] == '\r')) len-- ;
  line[len] = 0 ;
  return len ;
}

/* the connection to the writer, kept from one message to the next */
static int wsock = -1 ;
static char wpath[108] ;

static void drop (void)
{
  fd_close(wsock) ;
  wsock = -1 ;
}

/* the descriptor, its 'M' and as much of the netstring as the socket
   takes, in one call (the writer reads the 'M' as ancil_recv_fd does);
   what is left, in one piece. 0 when it could not all go: nothing is
   committed then. */
static int send_frame (int fd, stralloc const *frame, tain const *deadline)
{
  struct iovec v = { .iov_base = frame->s, .iov_len = frame->len } ;
  ssize_t w = dcr_fdpass_sendv(wsock, fd, &v, 1) ;
  return w >= 1 && send_all(wsock, frame->s + w, frame->len - w, deadline) ;
}

int dcr_submit (char const *queuedir, int fd, char const *env, size_t envlen, char *line, unsigned int timeout_ms)
{
  /* kept for the next message: no malloc and free each time */
  static stralloc frame = STRALLOC_ZERO ;
  char path[108] ;
  tain deadline ;
  char head[UINT64_FMT + 1] ;
  size_t headlen = uint64_fmt(head, envlen) ;
  ssize_t n ;
  char what ;
  head[headlen++] = ':' ;
  if (!sockpath(path, sizeof(path), queuedir)) return -1 ;
  frame.len = 0 ;
  if (!stralloc_catb(&frame, "M", 1) || !stralloc_catb(&frame, head, headlen)
   || !stralloc_catb(&frame, env, envlen) || !stralloc_catb(&frame, ",", 1)) return -1 ;
  tain_now_g() ;
  tain_from_millisecs(&deadline, timeout_ms) ;
  tain_add_g(&deadline, &deadline) ;
  if (wsock >= 0 && strcmp(path, wpath)) drop() ;
  for (int kept = wsock >= 0 ; ; kept = 0)
  {
    if (wsock < 0)
    {
      wsock = ipc_stream_nbcoe() ;
      if (wsock < 0) return -1 ;
      /* a unix socket's connect does not wait: refused or taken at once */
      if (ipc_connect(wsock, path) < 0 && errno != EINPROGRESS) { drop() ; return -1 ; }
      memcpy(wpath, path, sizeof(path)) ;
    }
    if (send_frame(fd, &frame, &deadline)) break ;
    /* a kept connection the writer closed (it restarted, or dropped us):
       it read nothing of this message, so once more on a new one; else
       "no writer", and the caller writes the message itself */
    {
      int e = errno ;
      drop() ;
      if (!kept || (e != EPIPE && e != ECONNRESET)) return -1 ;
    }
  }
  /* all sent: from here the writer may commit it, so never send it twice */
  n = read_answer(wsock, line, &deadline) ;
  if (n < 2 || line[1] != ' ' || !strchr("KZDX", line[0]))
  {
    drop() ;   /* out of step with the writer, or it has gone */
    strcpy(line, n < 0 ? "451 4.3.0 queue writer did not answer" : "451 4.3.0 queue writer answered nonsense") ;
    return 111 ;
  }
  what = line[0] ;
  memmove(line, line + 2, n - 1) ;
  return what == 'K' ? 0 : what == 'D' ? 100 : what == 'Z' ? 111 : -1 ;
}

void dcr_submit_logqueued (char const *id, uint64_t size, size_t nrcpts, char const *sender, char const *spool, char const *dcrid)
{
  char sizefmt[UINT64_FMT], nfmt[UINT64_FMT] ;
  sizefmt[uint64_fmt(sizefmt, size)] = 0 ;
  nfmt[uint64_fmt(nfmt, nrcpts)] = 0 ;
  dcr_log("event", "queued", "id", id, "size", sizefmt, "rcpts", nfmt, "sender", sender, "spool", spool,
    dcrid && strcmp(dcrid, id) ? "dcrid" : (char *)0, dcrid, (char *)0) ;
}
