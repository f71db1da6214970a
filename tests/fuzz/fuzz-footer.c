/* ISC license. */
/* libFuzzer target: dcr-footer's MIME walk (src/footer/mimewalk.c) and
   its decoders. The input is a whole message in a memory file. Besides
   not crashing: every part found lies in the message, in file order,
   its content after its header and inside its parent; a walk that
   succeeds ends; base64 decoding never writes past what it says. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/header.h>

#include "../../src/footer/footer.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  fwalk w = FWALK_ZERO ;
  stralloc bnd = STRALLOC_ZERO ;
  fpart top ;
  size_t pos = 0 ;
  dcr_field f ;
  int fd, r ;

  memset(&top, 0, sizeof top) ;
  while (dcr_header_next(s, size, &pos, &f)) ;
  if (!ft_header(s, pos, 0, &top, &bnd)) abort() ;
  if (top.ctlen && top.ctoff + top.ctlen > size) abort() ;
  if (top.cslen && (top.csoff < top.ctoff || top.csoff + top.cslen > top.ctoff + top.ctlen)) abort() ;
  top.body = pos < size && s[pos] == '\n' ? pos + 1 : pos ;
  top.end = size ;
  top.parent = -1 ;
  if (bnd.len && bnd.len <= FT_BOUNDARYMAX && !memchr(bnd.s, 0, bnd.len))
  {
    top.multipart = 1 ;
    if (!stralloc_catb(&w.store, bnd.s, bnd.len) || !stralloc_0(&w.store)) abort() ;
  }
  if (!genalloc_append(fpart, &w.parts, &top)) abort() ;
  if (top.multipart)
  {
    fd = memfd_create("fuzz-footer", 0) ;
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) abort() ;
    r = ft_walk(&w, fd, size) ;
    close(fd) ;
    if (r < 0) abort() ;
    if (r)
    {
      fpart const *p = genalloc_s(fpart, &w.parts) ;
      size_t n = genalloc_len(fpart, &w.parts), last = 0 ;
      for (size_t i = 1 ; i < n ; i++)
      {
        if (p[i].hdr < last || p[i].body < p[i].hdr || p[i].end < p[i].body || p[i].end > size) abort() ;
        if (p[i].parent < 0 || (size_t)p[i].parent >= i || p[i].depth != p[p[i].parent].depth + 1) abort() ;
        if (p[i].hdr < p[p[i].parent].body) abort() ;
        if (p[i].multipart && p[i].closed && (p[i].closeoff < p[i].body || p[i].closeoff > size)) abort() ;
        last = p[i].hdr ;
      }
    }
  }
  {
    /* the base64 decoder on the same bytes, in two pieces */
    ftb64 e ;
    char *d = malloc(size + 8) ;
    size_t k, h = size / 2 ;
    if (!d) abort() ;
    memset(&e, 0, sizeof e) ;
    k = ft_b64_decode(&e, d, s, h) ;
    if (k > h + 3) abort() ;
    k += ft_b64_decode(&e, d + k, s + h, size - h) ;
    k += ft_b64_decode_end(&e, d + k) ;
    if (k > size * 3 / 4 + 3) abort() ;
    free(d) ;
  }
  stralloc_free(&bnd) ;
  stralloc_free(&w.store) ;
  genalloc_free(fpart, &w.parts) ;
  return 0 ;
}
