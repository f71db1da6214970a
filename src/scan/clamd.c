/* ISC license. */

/* clamd's INSTREAM: "zINSTREAM\0", the message in chunks each after its
   length (4 octets, network order), a zero length, then one reply line
   ended by NUL: "stream: OK", "stream: NAME FOUND", "... ERROR". The
   message goes as it is: clamd does not care for line ends. */

#include <string.h>
#include <unistd.h>

#include <skalibs/uint32.h>
#include <skalibs/allreadwrite.h>

#include "scan.h"

#define CHUNK 65536

static int sendmessage (int s, int fd, tain const *deadline)
{
  static char buf[4 + CHUNK] ;
  if (lseek(fd, 0, SEEK_SET) < 0) return -1 ;
  for (;;)
  {
    ssize_t r = fd_read(fd, buf + 4, CHUNK) ;
    if (r < 0) return -1 ;
    uint32_pack_big(buf, (uint32_t)r) ;   /* the last one, r = 0, ends the stream */
    if (!scan_send(s, buf, 4 + r, deadline)) return 0 ;
    if (!r) return 1 ;
  }
}

static int parse (char const *s, size_t len, int eof, void *reply, char const **why)
{
  return scan_clamd_parse(s, len, eof, reply, why) ;
}

void scan_clamd (scan_addr const *a, int fd, tain const *connect, tain const *deadline, scan_result *r)
{
  char buf[SCAN_CLAMD_MAX + 2] ;
  scan_clamdreply c ;
  scan_request x =
  {
    .addr = a, .connect = connect, .deadline = deadline,
    .head = "zINSTREAM", .headlen = 10, .sendmessage = &sendmessage, .fd = fd, .halfclose = 0,
    .buf = buf, .max = sizeof(buf), .parse = &parse, .reply = &c
  } ;
  if (!scan_exchange(&x, r)) return ;
  switch (c.verdict)
  {
    case 'O' : r->status = SCAN_OK ; break ;
    case 'F' :
      r->status = SCAN_FOUND ;
      memcpy(r->text, buf + c.text, c.textlen) ;   /* at most SCAN_SIG_MAX */
      r->text[c.textlen] = 0 ;
      break ;
    default :
      buf[c.text + c.textlen] = 0 ;
      scan_fail(r, c.limit ? "limit" : "scanner", "clamd says", buf + c.text) ;
  }
}
