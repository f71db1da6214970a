/* ISC license. */

/* The names in a zip archive's central directory (APPNOTE.TXT 4.3.12,
   4.3.16): the End Of Central Directory record is found in the last
   65557 octets, then the directory's entries are read one by one. The
   names are there even when the entries are encrypted. The signature
   may appear in the archive's comment too: the records whose comment
   ends the file are tried first, then any (8 at most each time), and
   the names of every directory that reads count. Zip64 archives
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
#define CANDIDATES 8        /* End Of Central Directory records tried */

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

/* the directory of the End Of Central Directory record at eocd (its
   22 octets in rec): 1, 0 (why), -1 */
static int directory (int fd, uint64_t eocd, unsigned char const *rec, int (*f) (void *, char const *, size_t), void *ctx, char const **why)
{
  unsigned char h[CDHDR] ;
  char name[NAMEMAX] ;
  unsigned int entries = u16(rec + 10), k ;
  uint32_t cdsize = u32(rec + 12), cdoff = u32(rec + 16) ;
  uint64_t pos ;
  int r ;
  if (u16(rec + 4) || u16(rec + 6)) { *why = "an archive over several disks" ; return 0 ; }
  if (entries == 0xffff || cdsize == 0xffffffff || cdoff == 0xffffffff) { *why = "a zip64 archive" ; return 0 ; }
  if (cdsize > eocd) { *why = "a central directory larger than the archive" ; return 0 ; }
  /* where it is, whatever the offset says (data prepended) */
  for (k = 0, pos = eocd - cdsize ; k < entries ; k++)
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
    if (!f(ctx, name, take)) return 2 ;
    pos += CDHDR + n + x + c ;
  }
  return 1 ;
}

int zip_names (int fd, uint64_t size, int (*f) (void *, char const *, size_t), void *ctx, char const **why)
{
  static unsigned char tail[TAIL] ;
  size_t tn = size < TAIL ? size : TAIL, i ;
  unsigned int tried = 0 ;
  int r, readable = 0 ;
  if (size < EOCD) { *why = "too short for a zip archive" ; return 0 ; }
  r = readat(fd, size - tn, tail, tn) ;
  if (r <= 0) { if (!r) *why = "truncated" ; return r ? -1 : 0 ; }
  /* the signature may also be in the archive's comment: first the
     records whose comment ends the file, then the others; at most CANDIDATES
     each, and every directory that reads adds its names */
  *why = "no end of central directory record" ;
  for (int pass = 0 ; pass < 2 && !readable ; pass++)
  {
    tried = 0 ;
    for (i = tn - EOCD + 1 ; i-- && tried < CANDIDATES ; )
    {
      if (tail[i] != 'P' || tail[i+1] != 'K' || tail[i+2] != 5 || tail[i+3] != 6) continue ;
      if ((i + EOCD + u16(tail + i + 20) == tn) != !pass) continue ;   /* each record read once */
      tried++ ;
      r = directory(fd, size - tn + i, tail + i, f, ctx, why) ;
      if (r < 0) return -1 ;
      if (r == 2) return 1 ;
      if (r) readable = 1 ;
    }
  }
  return readable ;
}
