/* ISC license. */

/* The names in a zip archive's central directory (APPNOTE.TXT 4.3.12,
   4.3.16): the End Of Central Directory record is found in the last
   65557 octets, then the directory's entries are read one by one. The
   names are there even when the entries are encrypted. Zip64 archives
   and archives split over several disks are not read. Data before the
   archive (a self-extractor) is allowed for, as unzip does. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimecheck.h"

#define EOCD 22
#define TAIL (EOCD + 65535)
#define CDHDR 46
#define NAMEMAX 1024        /* longer names: their last NAMEMAX octets */

static unsigned int u16 (unsigned char const *s) { return s[0] | (s[1] << 8) ; }
static uint32_t u32 (unsigned char const *s) { return (uint32_t)s[0] | ((uint32_t)s[1] << 8) | ((uint32_t)s[2] << 16) | ((uint32_t)s[3] << 24) ; }

static int readat (int fd, uint64_t off, void *buf, size_t n)
{
  size_t got = 0 ;
  while (got < n)
  {
    ssize_t r = pread(fd, (char *)buf + got, n - got, off + got) ;
    if (r < 0) { if (errno == EINTR) continue ; return -1 ; }
    if (!r) return 0 ;
    got += r ;
  }
  return 1 ;
}

int zip_names (int fd, uint64_t size, int (*f) (void *, char const *, size_t), void *ctx, char const **why)
{
  static unsigned char tail[TAIL] ;
  unsigned char h[CDHDR] ;
  char name[NAMEMAX] ;
  size_t tn = size < TAIL ? size : TAIL, i ;
  uint64_t eocd, cd, pos ;
  uint32_t cdsize, cdoff ;
  unsigned int entries, k ;
  int r ;
  if (size < EOCD) { *why = "too short for a zip archive" ; return 0 ; }
  r = readat(fd, size - tn, tail, tn) ;
  if (r <= 0) { if (!r) *why = "truncated" ; return r ? -1 : 0 ; }
  /* the last signature whose comment ends the file, else the last one */
  for (i = tn - EOCD + 1 ; i-- ; )
    if (tail[i] == 'P' && tail[i+1] == 'K' && tail[i+2] == 5 && tail[i+3] == 6) break ;
  if (i == (size_t)-1) { *why = "no end of central directory record" ; return 0 ; }
  eocd = size - tn + i ;
  if (u16(tail + i + 4) || u16(tail + i + 6)) { *why = "an archive over several disks" ; return 0 ; }
  entries = u16(tail + i + 10) ;
  cdsize = u32(tail + i + 12) ;
  cdoff = u32(tail + i + 16) ;
  if (entries == 0xffff || cdsize == 0xffffffff || cdoff == 0xffffffff) { *why = "a zip64 archive" ; return 0 ; }
  if (cdsize > eocd) { *why = "a central directory larger than the archive" ; return 0 ; }
  cd = eocd - cdsize ;   /* where it is, whatever the offset says (prepended data) */
  (void)cdoff ;
  for (k = 0, pos = cd ; k < entries ; k++)
  {
    unsigned int n, x, c ;
    size_t take ;
    if (pos + CDHDR > eocd) { *why = "a central directory shorter than its entries" ; return 0 ; }
    r = readat(fd, pos, h, CDHDR) ;
    if (r <= 0) { if (!r) *why = "truncated" ; return r ? -1 : 0 ; }
    if (u32(h) != 0x02014b50) { *why = "a bad central directory entry" ; return 0 ; }
    n = u16(h + 28) ; x = u16(h + 30) ; c = u16(h + 32) ;
    if (pos + CDHDR + n + x + c > eocd) { *why = "a central directory entry past its end" ; return 0 ; }
    take = n < NAMEMAX ? n : NAMEMAX ;
    r = readat(fd, pos + CDHDR + (n - take), name, take) ;
    if (r <= 0) { if (!r) *why = "truncated" ; return r ? -1 : 0 ; }
    if (!f(ctx, name, take)) return 1 ;
    pos += CDHDR + n + x + c ;
  }
  return 1 ;
}
