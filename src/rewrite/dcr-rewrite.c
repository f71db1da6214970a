/* ISC license. */

/* dcr-rewrite: rewrite addresses by a map file, in the message chain
   (contract 3): the envelope (SMTP_SENDER, SMTP_RECIPIENTS, passed on
   in the environment) and the addresses of From, Sender, Reply-To, To,
   Cc and Bcc, where only the addr-spec bytes change. The header section
   is read into memory (bounded); the body is copied, never loaded. When
   no header changes the message goes on as it is. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include <dcr/filter.h>
#include <dcr/header.h>
#include <dcr/log.h>

#include "rewrite.h"

#define USAGE "dcr-rewrite -f mapfile prog..."

static rw_map map = RW_MAP_ZERO ;
static char const *id = "" ;

static void nomem (void) { dcr_filter_fail("allocate") ; }

static void load_map (char const *file)
{
  stralloc sa = STRALLOC_ZERO ;
  unsigned int line = 0 ;
  char const *why = "" ;
  int r ;
  if (!openslurpclose(&sa, file))
  {
    int e = errno ;
    dcr_filter_say("4.3.5 dcr-rewrite: configuration error") ;
    errno = e ;
    strerr_diefu2sys(111, "read ", file) ;
  }
  r = rw_map_parse(&map, sa.s, sa.len, &line, &why) ;
  if (r < 0) nomem() ;
  if (!r) dcr_filter_badconf(file, line, why) ;
  stralloc_free(&sa) ;
}

/* addr (len octets) rewritten for scope into out (cleared): 1 if it
   changed */
static int lookup (unsigned int scope, char const *addr, size_t len, stralloc *out)
{
  int r ;
  out->len = 0 ;
  r = rw_map_apply(&map, scope, addr, len, out) ;
  if (r < 0) nomem() ;
  return r && (out->len != len || memcmp(out->s, addr, len)) ;
}

static void logit (char const *what, char const *field, char const *old, size_t oldlen, stralloc const *new)
{
  stralloc o = STRALLOC_ZERO, n = STRALLOC_ZERO ;
  if (!stralloc_catb(&o, old, oldlen) || !stralloc_0(&o)
   || !stralloc_catb(&n, new->s, new->len) || !stralloc_0(&n)) nomem() ;
  if (field) dcr_log("event", "rewrite", "id", id, "what", what, "field", field, "old", o.s, "new", n.s, (char *)0) ;
  else dcr_log("event", "rewrite", "id", id, "what", what, "old", o.s, "new", n.s, (char *)0) ;
  stralloc_free(&o) ;
  stralloc_free(&n) ;
}

static void set (char const *var, stralloc *sa)
{
  if (!stralloc_0(sa)) nomem() ;
  sa->len-- ;
  if (setenv(var, sa->s, 1) < 0) nomem() ;
}

 /* The envelope */

static void envelope_sender (void)
{
  char const *s = getenv("SMTP_SENDER") ;
  stralloc out = STRALLOC_ZERO ;
  if (!s || !*s) return ;   /* the null sender stays null */
  if (!lookup(RW_ENV_FROM, s, strlen(s), &out)) return ;
  logit("envelope-from", 0, s, strlen(s), &out) ;
  set("SMTP_SENDER", &out) ;
}

/* the n-th line of s (0 if fewer lines): its start, *len */
static char const *nth (char const *s, size_t i, size_t *len)
{
  for (; i ; i--)
  {
    s = strchr(s, '\n') ;
    if (!s) return 0 ;
    s++ ;
  }
  *len = strcspn(s, "\n") ;
  return s ;
}

static size_t lines (char const *s)
{
  size_t n = 1 ;
  for (; *s ; s++) n += *s == '\n' ;
  return n ;
}

/* The recipients, and the DSN lines that go with them. Two recipients
   that become the same address become one (the first keeps its DSN
   parameters): dcr-enqueue would deliver a duplicate twice. */
static void envelope_recipients (void)
{
  char const *rc = getenv("SMTP_RECIPIENTS") ;
  char const *dsn[2] = { getenv("SMTP_DSN_NOTIFY"), getenv("SMTP_DSN_ORCPT") } ;
  static char const *const dsnvar[2] = { "SMTP_DSN_NOTIFY", "SMTP_DSN_ORCPT" } ;
  stralloc list = STRALLOC_ZERO, dlist[2] = { STRALLOC_ZERO, STRALLOC_ZERO }, out = STRALLOC_ZERO ;
  genalloc kept = GENALLOC_ZERO ;   /* rw_span in list */
  size_t n, i ;
  int changed = 0 ;
  if (!rc || !*rc) return ;
  n = lines(rc) ;
  for (i = 0 ; i < 2 ; i++) if (dsn[i] && (!*dsn[i] || lines(dsn[i]) != n)) dsn[i] = 0 ;   /* dcr-enqueue judges a mismatch */
  for (i = 0 ; i < n ; i++)
  {
    size_t len = 0, k ;
    char const *a = nth(rc, i, &len) ;
    rw_span sp ;
    int dup = 0 ;
    if (lookup(RW_ENV_TO, a, len, &out)) { logit("envelope-to", 0, a, len, &out) ; changed = 1 ; }
    else if (!stralloc_copyb(&out, a, len)) nomem() ;
    for (k = 0 ; k < genalloc_len(rw_span, &kept) && !dup ; k++)
    {
      rw_span const *x = genalloc_s(rw_span, &kept) + k ;
      dup = x->len == out.len && !memcmp(list.s + x->off, out.s, out.len) ;
    }
    if (dup)
    {
      stralloc_0(&out) ;
      dcr_log("event", "rewrite", "id", id, "what", "envelope-to", "duplicate", out.s, (char *)0) ;
      changed = 1 ;
      continue ;
    }
    if (list.len && !stralloc_catb(&list, "\n", 1)) nomem() ;
    sp.off = list.len ; sp.len = out.len ;
    if (!stralloc_catb(&list, out.s, out.len) || !genalloc_append(rw_span, &kept, &sp)) nomem() ;
    for (k = 0 ; k < 2 ; k++) if (dsn[k])
    {
      size_t dl = 0 ;
      char const *d = nth(dsn[k], i, &dl) ;
      if ((dlist[k].len && !stralloc_catb(&dlist[k], "\n", 1)) || !stralloc_catb(&dlist[k], d, dl)) nomem() ;
    }
  }
  if (!changed) return ;
  set("SMTP_RECIPIENTS", &list) ;
  for (i = 0 ; i < 2 ; i++) if (dsn[i]) set(dsnvar[i], &dlist[i]) ;
}

 /* The header */

static stralloc hdr = STRALLOC_ZERO, newhdr = STRALLOC_ZERO ;

/* the scope of a field, or 0 */
static unsigned int field_scope (dcr_field const *f)
{
  static char const *const from[] = { "From", "Sender", "Reply-To", 0 } ;
  static char const *const to[] = { "To", "Cc", "Bcc", 0 } ;
  for (unsigned int i = 0 ; from[i] ; i++) if (dcr_header_is(hdr.s, f, from[i])) return RW_HDR_FROM ;
  for (unsigned int i = 0 ; to[i] ; i++) if (dcr_header_is(hdr.s, f, to[i])) return RW_HDR_TO ;
  return 0 ;
}

/* field f onto newhdr, its addresses rewritten: the number changed */
static unsigned int field (dcr_field const *f, unsigned int scope)
{
  static genalloc spans = GENALLOC_ZERO ;
  static stralloc out = STRALLOC_ZERO, name = STRALLOC_ZERO ;
  char const *v = hdr.s + f->value ;
  size_t done = 0, n, i ;
  unsigned int changed = 0 ;
  int r ;
  genalloc_setlen(rw_span, &spans, 0) ;
  if (!stralloc_copyb(&name, hdr.s + f->off, f->namelen) || !stralloc_0(&name)) nomem() ;
  r = rw_addrlist(v, f->valuelen, &spans) ;
  if (r < 0) nomem() ;
  if (!r)
  {
    dcr_log("event", "rewrite-skip", "id", id, "field", name.s, "reason", "not an address list", (char *)0) ;
    if (!stralloc_catb(&newhdr, hdr.s + f->off, f->len)) nomem() ;
    return 0 ;
  }
  if (!stralloc_catb(&newhdr, hdr.s + f->off, f->value - f->off)) nomem() ;
  n = genalloc_len(rw_span, &spans) ;
  for (i = 0 ; i < n ; i++)
  {
    rw_span const *sp = genalloc_s(rw_span, &spans) + i ;
    if (!lookup(scope, v + sp->off, sp->len, &out)) continue ;
    logit("header", name.s, v + sp->off, sp->len, &out) ;
    if (!stralloc_catb(&newhdr, v + done, sp->off - done) || !stralloc_catb(&newhdr, out.s, out.len)) nomem() ;
    done = sp->off + sp->len ;
    changed++ ;
  }
  if (!stralloc_catb(&newhdr, v + done, f->off + f->len - f->value - done)) nomem() ;
  return changed ;
}

/* the new header section in newhdr: the number of addresses changed */
static unsigned int header (void)
{
  char buf[BUFFER_INSIZE] ;
  buffer in = BUFFER_INIT(&buffer_read, 0, buf, sizeof buf) ;
  size_t pos = 0 ;
  dcr_field f ;
  unsigned int changed = 0 ;
  if (lseek(0, 0, SEEK_SET) < 0) dcr_filter_fail("rewind the message") ;
  switch (dcr_header_load(&in, &hdr, DCR_HEADER_MAX))
  {
    case 1 : break ;
    case 0 :
      dcr_log("event", "rewrite-skip", "id", id, "reason", "header section over 1 MiB", (char *)0) ;
      return 0 ;
    default : dcr_filter_fail("read the message") ;
  }
  while (dcr_header_next(hdr.s, hdr.len, &pos, &f))
  {
    unsigned int scope = field_scope(&f) ;
    if (scope) changed += field(&f, scope) ;
    else if (!stralloc_catb(&newhdr, hdr.s + f.off, f.len)) nomem() ;
  }
  if (!stralloc_catb(&newhdr, hdr.s + pos, hdr.len - pos)) nomem() ;   /* the empty line, or the body's first line */
  return changed ;
}

/* the new header, then the body copied from stdin: the new message */
static int write_message (void)
{
  int fd = dcr_filter_tmpfile() ;
  if (allwrite(fd, newhdr.s, newhdr.len) < newhdr.len) dcr_filter_fail("write the new message") ;
  if (lseek(0, hdr.len, SEEK_SET) < 0) dcr_filter_fail("seek in the message") ;
  if (fd_cat(0, fd) < 0) dcr_filter_fail("copy the body") ;
  return fd ;
}

int main (int argc, char const *const *argv)
{
  char const *file = 0 ;
  PROG = "dcr-rewrite" ;
  argv = dcr_filter_fileopt(argc, argv, "file", USAGE, &file) ;
  if (getenv("DCR_ID")) id = getenv("DCR_ID") ;

  load_map(file) ;
  envelope_sender() ;
  envelope_recipients() ;
  dcr_filter_next(argv, header() ? write_message() : -1) ;
}
