/* ISC license. */

/* dcr-header: add, set and remove header fields by rules, in the
   message chain (contract 3). The header section is read into memory
   (bounded); the body is copied, never loaded. When no rule changes
   anything the message goes on as it is. */

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include <dcr/cond.h>
#include <dcr/filter.h>
#include <dcr/header.h>
#include <dcr/log.h>

#include "hrules.h"

#define USAGE "dcr-header -f rulesfile prog..."

/* One field of the new header: in the message's header (hdr) or made
   by a rule (made). */
typedef struct entry_s entry ;
struct entry_s
{
  size_t off, len ;
  size_t namelen ;
  unsigned char made ;
} ;

static stralloc hdr = STRALLOC_ZERO, made = STRALLOC_ZERO, tmp = STRALLOC_ZERO ;
static genalloc fields = GENALLOC_ZERO ;   /* entry */
static char const *id = "" ;

static void nomem (void) { dcr_filter_fail("allocate") ; }

static void load_rules (hrules *h, char const *file)
{
  stralloc sa = STRALLOC_ZERO ;
  unsigned int line ;
  char const *why = "" ;
  int r ;
  if (!openslurpclose(&sa, file))
  {
    int e = errno ;
    dcr_filter_say("4.3.5 dcr-header: configuration error") ;
    errno = e ;
    strerr_diefu2sys(111, "read ", file) ;
  }
  r = hrules_parse(h, sa.s, sa.len, &line, &why) ;
  if (r < 0) nomem() ;
  if (!r)
  {
    dcr_filter_badconf(file, line, why) ;
  }
  stralloc_free(&sa) ;
}

static entry *at (size_t i) { return genalloc_s(entry, &fields) + i ; }
static char const *text (entry const *e) { return (e->made ? made.s : hdr.s) + e->off ; }

static int name_is (entry const *e, hrules const *h, hrule const *r)
{
  char const *n = h->text.s + r->name ;
  if (r->prefix) return e->namelen >= r->namelen && !strncasecmp(text(e), n, r->namelen) ;
  return e->namelen == r->namelen && !strncasecmp(text(e), n, r->namelen) ;
}

static int value_matches (entry const *e, hrule const *r)
{
  dcr_field f = { .off = 0, .len = e->len, .namelen = e->namelen } ;
  char const *s = text(e) ;
  f.value = e->namelen ;
  while (f.value < e->len && s[f.value] != ':') f.value++ ;
  f.value++ ;
  f.valuelen = e->len - f.value - (e->len > f.value && s[e->len - 1] == '\n') ;
  tmp.len = 0 ;
  if (!dcr_header_unfold(s, &f, &tmp) || !stralloc_0(&tmp)) nomem() ;
  return !regexec(&r->re, tmp.s, 0, 0, 0) ;
}

/* $NAME and ${NAME} from the environment; $$ is $. Control characters
   in what a variable holds become spaces: no field is ever split or
   forged by the envelope (SMTP_RECIPIENTS holds LFs). */
static void expand (char const *v)
{
  while (*v)
  {
    char const *val ;
    char name[256] ;
    size_t n = 0 ;
    int brace ;
    if (*v != '$') { if (!stralloc_catb(&tmp, v++, 1)) nomem() ; continue ; }
    if (v[1] == '$') { if (!stralloc_catb(&tmp, "$", 1)) nomem() ; v += 2 ; continue ; }
    brace = v[1] == '{' ;
    v += 1 + brace ;
    while (n < sizeof(name) - 1 && ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '_'))
      name[n++] = *v++ ;
    name[n] = 0 ;
    if (brace && *v == '}') v++ ;
    if (!n) { if (!stralloc_catb(&tmp, "$", 1)) nomem() ; continue ; }
    val = getenv(name) ;
    for (; val && *val ; val++)
    {
      char c = (unsigned char)*val < 32 || *val == 127 ? ' ' : *val ;
      if (!stralloc_catb(&tmp, &c, 1)) nomem() ;
    }
  }
}

/* "NAME: VALUE\n" into made, folded before a blank where the next
   word would pass 78 columns (RFC 5322 2.1.1); a word that alone would
   pass 998 octets on a line is broken there by a fold. */
static entry make (hrules const *h, hrule const *r)
{
  entry e = { .off = made.len, .namelen = r->namelen, .made = 1 } ;
  size_t col = r->namelen + 2 ;
  tmp.len = 0 ;
  expand(h->text.s + r->value) ;
  if (!stralloc_catb(&made, h->text.s + r->name, r->namelen) || !stralloc_cats(&made, ": ")) nomem() ;
  for (size_t i = 0 ; i < tmp.len ; i++)
  {
    char c = tmp.s[i] ;
    if ((c == ' ' || c == '\t') && col > r->namelen + 2)
    {
      size_t j = i + 1 ;
      while (j < tmp.len && tmp.s[j] != ' ' && tmp.s[j] != '\t') j++ ;
      if (col + (j - i) > 78) { if (!stralloc_catb(&made, "\n", 1)) nomem() ; col = 0 ; }
    }
    if (col >= 998) { if (!stralloc_catb(&made, "\n ", 2)) nomem() ; col = 1 ; }
    if (!stralloc_catb(&made, &c, 1)) nomem() ;
    col++ ;
  }
  if (!stralloc_catb(&made, "\n", 1)) nomem() ;
  e.len = made.len - e.off ;
  return e ;
}

static void delete (size_t i)
{
  size_t n = genalloc_len(entry, &fields) ;
  memmove(at(i), at(i + 1), (n - i - 1) * sizeof(entry)) ;
  genalloc_setlen(entry, &fields, n - 1) ;
}

/* one rule on the fields: the number of changes */
static unsigned int apply (hrules const *h, hrule const *r)
{
  unsigned int changes = 0 ;
  size_t first = (size_t)-1 ;
  for (size_t i = 0 ; (r->action == HR_SET || r->action == HR_REMOVE) && i < genalloc_len(entry, &fields) ;)
  {
    if (name_is(at(i), h, r) && (!r->hasre || value_matches(at(i), r)))
    {
      if (first == (size_t)-1) first = i ;
      delete(i) ; changes++ ;
    }
    else i++ ;
  }
  if (r->action != HR_REMOVE)
  {
    entry e = make(h, r) ;
    size_t where = r->action == HR_PREPEND ? 0 : first != (size_t)-1 ? first : genalloc_len(entry, &fields) ;
    if (!genalloc_insertb(entry, &fields, where, &e, 1)) nomem() ;
    changes++ ;
  }
  return changes ;
}

static int holds (hrules const *h, hrule const *r, dcr_cond_msg const *m)
{
  dcr_cond const *c = genalloc_s(dcr_cond, &h->conds) + r->cond0 ;
  for (size_t i = 0 ; i < r->ncond ; i++)
    if (!dcr_cond_match(c + i, h->pats.s, m)) return 0 ;
  return 1 ;
}

static void out (buffer *b, char const *s, size_t n)
{
  if (buffer_put(b, s, n) < (ssize_t)n) dcr_filter_fail("write the new message") ;
}

/* the new header, then what followed the fields, then the body */
static int write_message (buffer *in, size_t rest)
{
  char obuf[65536] ;
  int fd = dcr_filter_tmpfile() ;
  buffer b = BUFFER_INIT(&buffer_write, fd, obuf, sizeof(obuf)) ;
  for (size_t i = 0 ; i < genalloc_len(entry, &fields) ; i++)
  {
    entry const *e = at(i) ;
    out(&b, text(e), e->len) ;
    if (!e->len || text(e)[e->len - 1] != '\n') out(&b, "\n", 1) ;
  }
  out(&b, hdr.s + rest, hdr.len - rest) ;
  for (;;)
  {
    ssize_t r = buffer_len(in) ? (ssize_t)buffer_len(in) : buffer_fill(in) ;
    if (r < 0) dcr_filter_fail("read the message") ;
    if (!r) break ;
    {
      struct iovec v[2] ;
      buffer_rpeek(in, v) ;
      out(&b, v[0].iov_base, v[0].iov_len) ;
      if (v[1].iov_len) out(&b, v[1].iov_base, v[1].iov_len) ;
      buffer_rseek(in, v[0].iov_len + v[1].iov_len) ;
    }
  }
  if (!buffer_flush(&b)) dcr_filter_fail("write the new message") ;
  return fd ;
}

int main (int argc, char const *const *argv)
{
  hrules h = HRULES_ZERO ;
  dcr_cond_msg m ;
  char const *file = 0 ;
  char ibuf[65536] ;
  buffer in = BUFFER_INIT(&buffer_read, 0, ibuf, sizeof(ibuf)) ;
  stralloc from = STRALLOC_ZERO ;
  unsigned int changes = 0 ;
  size_t pos = 0 ;
  dcr_field f ;
  PROG = "dcr-header" ;
  argv = dcr_filter_fileopt(argc, argv, "rules", USAGE, &file) ;
  if (getenv("DCR_ID")) id = getenv("DCR_ID") ;
  load_rules(&h, file) ;

  switch (dcr_header_load(&in, &hdr, DCR_HEADER_MAX))
  {
    case 1 : break ;
    case 0 : dcr_filter_refuse(100, "5.6.0 dcr-header: the header section is over 1 MiB") ;
    default : dcr_filter_fail("read the message") ;
  }
  while (dcr_header_next(hdr.s, hdr.len, &pos, &f))
  {
    entry e = { .off = f.off, .len = f.len, .namelen = f.namelen } ;
    if (!genalloc_append(entry, &fields, &e)) nomem() ;
  }
  dcr_cond_msg_env(&m) ;
  if (h.needs_from)
  {
    int r = dcr_from_domain(hdr.s, hdr.len, &from) ;
    if (r < 0) nomem() ;
    if (r) m.from_domain = from.s ;
  }
  for (size_t i = 0 ; i < genalloc_len(hrule, &h.rules) ; i++)
  {
    hrule const *r = genalloc_s(hrule, &h.rules) + i ;
    unsigned int n ;
    if (!holds(&h, r, &m)) continue ;
    n = apply(&h, r) ;
    if (n)
    {
      char fmt[UINT_FMT] ;
      fmt[uint_fmt(fmt, r->line)] = 0 ;
      dcr_log("event", "header", "id", id, "line", fmt, "action", r->action == HR_ADD ? "add" : r->action == HR_PREPEND ? "prepend" : r->action == HR_SET ? "set" : "remove", "field", h.text.s + r->name, (char *)0) ;
    }
    changes += n ;
  }
  dcr_filter_next(argv, changes ? write_message(&in, pos) : -1) ;
}
