/* ISC license. */

/* The new message: the tag header first, then the original octets,
   each removed part (its header and body) replaced by a short text/plain
   part saying what was removed. Everything else is copied unchanged. */

#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/filter.h>

#include "mimecheck.h"

static char const replacement[] =
  "Content-Type: text/plain; charset=us-ascii\n"
  "Content-Disposition: inline\n"
  "Content-Transfer-Encoding: 7bit\n"
  "\n" ;

static void put (buffer *out, char const *s, size_t n)
{
  if (buffer_put(out, s, n) < 0) dcr_filter_fail("write the new message") ;
}

/* n octets (or to the end, n = -1) from in to out, or skipped; the next octet after them, or -1 at the end */
static int copy (buffer *in, buffer *out, uint64_t n, int write)
{
  for (;;)
  {
    struct iovec v[2] ;
    size_t avail ;
    buffer_rpeek(in, v) ;
    avail = v[0].iov_len + v[1].iov_len ;
    if (!avail)
    {
      ssize_t r = buffer_fill(in) ;
      if (r < 0) dcr_filter_fail("read the message") ;
      if (!r) return -1 ;
      continue ;
    }
    if (!n) return (unsigned char)*(char *)v[0].iov_base ;
    for (unsigned int i = 0 ; i < 2 && n ; i++)
    {
      size_t k = v[i].iov_len < n ? v[i].iov_len : n ;
      if (!k) continue ;
      if (write) put(out, v[i].iov_base, k) ;
      buffer_rseek(in, k) ;
      n -= k ;
    }
  }
}

int rewrite (policy const *po)
{
  int fd = dcr_filter_tmpfile() ;
  char ibuf[65536], obuf[65536] ;
  buffer in = BUFFER_INIT(&buffer_read, 0, ibuf, sizeof ibuf) ;
  buffer out = BUFFER_INIT(&buffer_write, fd, obuf, sizeof obuf) ;
  removal const *rm = genalloc_s(removal, &po->removals) ;
  size_t n = genalloc_len(removal, &po->removals) ;
  uint64_t pos = 0 ;
  if (lseek(0, 0, SEEK_SET) < 0) dcr_filter_fail("rewind the message") ;
  if (po->tags.len)
  {
    put(&out, po->r->tagheader, strlen(po->r->tagheader)) ;
    put(&out, ": ", 2) ;
    put(&out, po->tags.s, po->tags.len) ;
    put(&out, "\n", 1) ;
  }
  for (size_t i = 0 ; i < n ; i++)
  {
    char const *t = po->texts.s + rm[i].text ;
    int next ;
    if (rm[i].from < pos) continue ;   /* inside one already replaced */
    copy(&in, &out, rm[i].from - pos, 1) ;
    next = copy(&in, &out, rm[i].to - rm[i].from, 0) ;
    pos = rm[i].to ;
    put(&out, replacement, sizeof replacement - 1) ;
    put(&out, t, strlen(t)) ;
    /* the newline before the next delimiter is the delimiter's: keep one there */
    if (next != '\n' && next != '\r') put(&out, "\n", 1) ;
  }
  copy(&in, &out, (uint64_t)-1, 1) ;
  if (!buffer_flush(&out)) dcr_filter_fail("write the new message") ;
  return fd ;
}
