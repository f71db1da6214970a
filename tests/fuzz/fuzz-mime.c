/* ISC license. */
/* libFuzzer target: the streaming MIME parser (src/lib/mime.c).
   The first 3 octets choose the limits and a chunk size; the rest is
   the message. Besides not crashing: the limits hold in every event,
   the offsets are ordered and within the input, begin and end events
   pair up, and the events are the same fed whole and in chunks.
   The same octets then go to dcr-mimecheck's zip central directory
   reader (src/mime/zip.c) as a file: names within the file, never
   more than its entries. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <skalibs/stralloc.h>

#include <dcr/mime.h>

#include "../../src/mime/mimecheck.h"

typedef struct run_s { stralloc tr ; int last ; unsigned int open ; size_t size ; dcr_mime_limits lim ; } run ;

static void check (run *r, dcr_mime_part const *p)
{
  if (p->depth > r->lim.max_depth || p->index > r->lim.max_parts) abort() ;
  if (p->hdr_off > p->body_off || p->body_off > r->size) abort() ;
  if (!memchr(p->type, 0, sizeof p->type) || !memchr(p->filename, 0, sizeof p->filename) || !memchr(p->name, 0, sizeof p->name)) abort() ;
}

static void on_begin (void *ctx, dcr_mime_part const *p)
{
  run *r = ctx ;
  char buf[1400] ;
  check(r, p) ;
  r->open++ ;
  snprintf(buf, sizeof buf, "B%u,%u,%u,%s,%d,%d,%u,%s,%s,%s,%llu,%llu;", p->index, p->depth, p->parent, p->type,
    p->multipart, p->message, p->cte, p->disposition, p->filename, p->name,
    (unsigned long long)p->hdr_off, (unsigned long long)p->body_off) ;
  if (!stralloc_cats(&r->tr, buf)) abort() ;
  r->last = -1 ;
}

static void on_data (void *ctx, dcr_mime_part const *p, char const *s, size_t n)
{
  run *r = ctx ;
  check(r, p) ;
  if (!n || p->multipart) abort() ;
  if (r->last != (int)p->index)
  {
    char buf[32] ;
    snprintf(buf, sizeof buf, "D%u:", p->index) ;
    if (!stralloc_cats(&r->tr, buf)) abort() ;
    r->last = p->index ;
  }
  if (!stralloc_catb(&r->tr, s, n)) abort() ;
}

static void on_end (void *ctx, dcr_mime_part const *p)
{
  run *r = ctx ;
  char buf[80] ;
  check(r, p) ;
  if (!r->open-- || p->end_off < p->body_off || p->end_off > r->size) abort() ;
  snprintf(buf, sizeof buf, "E%u,%llu,%u;", p->index, (unsigned long long)p->end_off, p->malformed) ;
  if (!stralloc_cats(&r->tr, buf)) abort() ;
  r->last = -1 ;
}

static dcr_mime_events const ev = { &on_begin, &on_data, &on_end } ;

static void parse (run *r, char const *s, size_t n, size_t step, int *err, unsigned int *mal)
{
  dcr_mime p ;
  r->tr.len = 0 ; r->last = -1 ; r->open = 0 ; r->size = n ;
  if (!dcr_mime_init(&p, &r->lim, &ev, r)) abort() ;
  for (size_t i = 0 ; i < n ; i += step) dcr_mime_feed(&p, s + i, n - i < step ? n - i : step) ;
  dcr_mime_finish(&p) ;
  if (!p.err && r->open) abort() ;   /* every part begun has ended */
  if (p.nparts > r->lim.max_parts) abort() ;
  *err = p.err ; *mal = p.malformed ;
  dcr_mime_free(&p) ;
}

static size_t nnames ;

static int onename (void *ctx, char const *name, size_t len)
{
  size_t *size = ctx ;
  if (len > 1024 || len > *size) abort() ;
  if (len) (void)(volatile char)name[len - 1] ;
  nnames++ ;
  return 1 ;
}

static void zip (uint8_t const *data, size_t size)
{
  static int fd = -1 ;
  char const *why = 0 ;
  int r ;
  if (fd < 0) fd = memfd_create("fuzz-zip", 0) ;
  if (fd < 0) abort() ;
  if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size) abort() ;
  nnames = 0 ;
  r = zip_names(fd, size, &onename, &size, &why) ;
  /* each directory read (2 passes, 8 records each at most) has entries of 46 octets at least */
  if (r < 0 || (!r && !why) || nnames > 16 * 65535 || nnames * 46 > size * 16) abort() ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static run a = { .tr = STRALLOC_ZERO }, b = { .tr = STRALLOC_ZERO } ;
  int ea, eb ;
  unsigned int ma, mb ;
  size_t step ;
  if (size < 3) return 0 ;
  a.lim.max_depth = 1 + data[0] % 8 ;
  a.lim.max_parts = 1 + data[1] % 32 ;
  a.lim.max_header = 64 + (data[2] % 16) * 64 ;
  b.lim = a.lim ;
  step = 1 + data[2] / 16 ;
  parse(&a, (char const *)data + 3, size - 3, size, &ea, &ma) ;
  parse(&b, (char const *)data + 3, size - 3, step, &eb, &mb) ;
  if (ea != eb || ma != mb || a.tr.len != b.tr.len || memcmp(a.tr.s, b.tr.s, a.tr.len)) abort() ;
  zip(data, size) ;
  return 0 ;
}
