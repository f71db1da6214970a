/* ISC license. */

/* dcr-footer's edits of the message file, and the one copy that
   applies them: the bytes between edits are copied as they are
   (fd_catn), the edited ranges inserted, replaced or re-encoded. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/filter.h>

#include "footer.h"

genalloc ft_edits = GENALLOC_ZERO ;   /* ft_edit */
stralloc ft_pool = STRALLOC_ZERO ;

void ft_add (unsigned char kind, size_t off, size_t end, char const *s, size_t n, unsigned char which, unsigned char inpart)
{
  ft_edit e = { .off = off, .end = end, .data = ft_pool.len, .len = n, .seq = genalloc_len(ft_edit, &ft_edits), .kind = kind, .which = which, .lastnl = !inpart } ;
  if (!stralloc_catb(&ft_pool, s, n) || !genalloc_append(ft_edit, &ft_edits, &e)) dcr_filter_fail("allocate") ;
}

void ft_insert (size_t off, char const *s) { ft_add(E_INSERT, off, off, s, strlen(s), 0, 0) ; }

static int byoff (void const *a, void const *b)
{
  ft_edit const *x = a, *y = b ;
  if (x->off != y->off) return x->off < y->off ? -1 : 1 ;
  return x->seq < y->seq ? -1 : x->seq > y->seq ;
}

void ft_pread (char *d, size_t n, size_t off)
{
  ssize_t r = pread(0, d, n, off) ;
  if (r < (ssize_t)n) { if (r >= 0) errno = EIO ; dcr_filter_fail("read the message") ; }
}

 /* Writing the new message */

static char outbuf[65536] ;
static buffer out ;
static int outfd ;

static void put (char const *s, size_t n)
{
  if (buffer_put(&out, s, n) < (ssize_t)n) dcr_filter_fail("write the new message") ;
}

static void copy (size_t a, size_t b)
{
  if (a >= b) return ;
  if (!buffer_flush(&out)) dcr_filter_fail("write the new message") ;
  if (lseek(0, a, SEEK_SET) < 0) dcr_filter_fail("seek in the message") ;
  if (fd_catn(0, outfd, b - a) < (off_t)(b - a)) dcr_filter_fail("copy the message") ;
}

/* [a, b) of the message through fn, in chunks */
static void through (size_t a, size_t b, void (*fn)(void *, char const *, size_t), void *ctx)
{
  char buf[65536] ;
  while (a < b)
  {
    size_t n = b - a < sizeof buf ? b - a : sizeof buf ;
    ft_pread(buf, n, a) ;
    fn(ctx, buf, n) ;
    a += n ;
  }
}

static void qp_fn (void *q, char const *s, size_t n) { if (!ft_qp_put(q, s, n)) dcr_filter_fail("write the new message") ; }

typedef struct b64ctx_s { ftb64 dec, enc ; char last ; size_t n ; } b64ctx ;
static void b64_fn (void *c_, char const *s, size_t n)
{
  b64ctx *c = c_ ;
  char d[65536 + 3] ;
  size_t k = ft_b64_decode(&c->dec, d, s, n) ;
  if (k) { c->last = d[k-1] ; c->n += k ; }
  if (!ft_b64_put(&c->enc, d, k)) dcr_filter_fail("write the new message") ;
}

static void apply (ft_edit const *e, stralloc const *foot)
{
  char const *f = foot[e->which].s ;
  size_t fl = foot[e->which].len ;
  switch (e->kind)
  {
    case E_INSERT : put(ft_pool.s + e->data, e->len) ; break ;
    case E_APPEND_QP :
    {
      ftqp q = { .b = &out, .col = 0, .ws = 0 } ;
      put(ft_pool.s + e->data, e->len) ;
      if (!ft_qp_put(&q, f, fl) || !ft_qp_end(&q)) dcr_filter_fail("write the new message") ;
      break ;
    }
    case E_RECODE_QP :
    {
      ftqp q = { .b = &out, .col = 0, .ws = 0 } ;
      char last = '\n' ;
      if (e->end > e->off) ft_pread(&last, 1, e->end - 1) ;
      through(e->off, e->end, &qp_fn, &q) ;
      if ((last != '\n' && !ft_qp_put(&q, "\n", 1)) || !ft_qp_put(&q, f, fl) || !ft_qp_end(&q)) dcr_filter_fail("write the new message") ;
      break ;
    }
    case E_RECODE_B64 :
    {
      static b64ctx c ;
      char d[2] ;
      size_t k ;
      memset(&c, 0, sizeof c) ;
      c.enc.b = &out ;
      through(e->off, e->end, &b64_fn, &c) ;
      k = ft_b64_decode_end(&c.dec, d) ;
      if (k) { c.last = d[k-1] ; c.n += k ; }
      if (!ft_b64_put(&c.enc, d, k)
       || (c.n && c.last != '\n' && !ft_b64_put(&c.enc, "\n", 1))
       || !ft_b64_put(&c.enc, f, fl)
       || !ft_b64_end(&c.enc, e->lastnl)) dcr_filter_fail("write the new message") ;
      break ;
    }
  }
}

int ft_write (size_t size, stralloc const *foot)
{
  ft_edit const *e ;
  size_t n = genalloc_len(ft_edit, &ft_edits), pos = 0 ;
  outfd = dcr_filter_tmpfile() ;
  buffer_init(&out, &buffer_write, outfd, outbuf, sizeof outbuf) ;
  qsort(genalloc_s(ft_edit, &ft_edits), n, sizeof(ft_edit), &byoff) ;
  e = genalloc_s(ft_edit, &ft_edits) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    copy(pos, e[i].off) ;
    apply(e + i, foot) ;
    if (e[i].end > pos) pos = e[i].end ;
  }
  copy(pos, size) ;
  if (!buffer_flush(&out)) dcr_filter_fail("write the new message") ;
  return outfd ;
}
