/* ISC license. */

/* The tagged message: our fields on top, then the original header
   section, where the fields we set are dropped (a sender's own
   "X-Spam-Status: No" must not survive) and the Subject is prefixed,
   then the body as it is. Only the header section is in memory
   (bounded by header.c); the body is copied in chunks. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>

#include <dcr/header.h>
#include <dcr/filter.h>

#include "scan.h"

static char const *const ours[] = { "X-Spam-Status", "X-Spam-Score", "X-Spam-Flag", "X-Virus-Status", "X-DCR-Scan", 0 } ;

static int isours (char const *s, dcr_field const *f)
{
  for (char const *const *p = ours ; *p ; p++) if (dcr_header_is(s, f, *p)) return 1 ;
  return 0 ;
}

static void put (int out, char const *s, size_t len)
{
  if (allwrite(out, s, len) < len) dcr_filter_fail("write the tagged message") ;
}

/* the rest of fd from offset off, as it is */
static void copy (int out, int fd, off_t off)
{
  static char buf[65536] ;
  if (lseek(fd, off, SEEK_SET) < 0) dcr_filter_fail("seek in the message") ;
  for (;;)
  {
    ssize_t r = fd_read(fd, buf, sizeof(buf)) ;
    if (r < 0) dcr_filter_fail("read the message") ;
    if (!r) return ;
    put(out, buf, r) ;
  }
}

/* the Subject field with prefix before its value, folding kept */
static void subject (int out, char const *s, dcr_field const *f, char const *prefix)
{
  size_t v = f->value, end = f->off + f->len ;
  if (v < end && (s[v] == ' ' || s[v] == '\t')) v++ ;
  put(out, "Subject: ", 9) ;
  put(out, prefix, strlen(prefix)) ;
  put(out, s + v, end - v) ;
}

int scan_tag (int fd, char const *add, size_t addlen, char const *prefix)
{
  static char inbuf[16384] ;
  buffer b = BUFFER_INIT(&fd_readv, fd, inbuf, sizeof(inbuf)) ;
  stralloc h = STRALLOC_ZERO ;
  dcr_field f ;
  size_t pos = 0 ;
  int out = dcr_filter_tmpfile(), r, subj = 0 ;

  if (lseek(fd, 0, SEEK_SET) < 0) dcr_filter_fail("rewind the message") ;
  put(out, add, addlen) ;
  r = dcr_header_load(&b, &h, DCR_HEADER_MAX) ;
  if (r < 0) dcr_filter_fail("read the message") ;
  if (!r)
  {
    /* a header section too big to edit: our fields on top, no more */
    copy(out, fd, 0) ;
    stralloc_free(&h) ;
    return out ;
  }
  while (dcr_header_next(h.s, h.len, &pos, &f))
  {
    if (isours(h.s, &f)) continue ;
    if (prefix && !subj && dcr_header_is(h.s, &f, "Subject"))
    {
      subject(out, h.s, &f, prefix) ;
      subj = 1 ;
      continue ;
    }
    put(out, h.s + f.off, f.len) ;
  }
  if (prefix && !subj)
  {
    size_t n = strlen(prefix) ;
    while (n && (prefix[n - 1] == ' ' || prefix[n - 1] == '\t')) n-- ;
    if (pos && h.s[pos - 1] != '\n') put(out, "\n", 1) ;   /* a last field without its LF */
    put(out, "Subject: ", 9) ;
    put(out, prefix, n) ;
    put(out, "\n", 1) ;
  }
  put(out, h.s + pos, h.len - pos) ;
  copy(out, fd, (off_t)h.len) ;
  stralloc_free(&h) ;
  return out ;
}
