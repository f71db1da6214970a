/* ISC license. */

#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/djbunix.h>

#include <dcr/cidr.h>
#include <dcr/conf.h>
#include <dcr/log.h>
#include "rules.h"

/* Next token of the line s[0..n) from *pos, into tok (NUL-terminated).
   Parts in double quotes may hold blanks; inside them \" and \\ escape.
   Returns 1, or 0 at the end of the line or at a # comment, or -1. */
static int token (char const *s, size_t n, size_t *pos, stralloc *tok, char const **why)
{
  size_t i = *pos ;
  while (i < n && (s[i] == ' ' || s[i] == '\t')) i++ ;
  if (i == n || s[i] == '#') return 0 ;
  tok->len = 0 ;
  while (i < n && s[i] != ' ' && s[i] != '\t')
  {
    if (s[i] != '"')
    {
      if (!stralloc_catb(tok, s + i++, 1)) goto nomem ;
      continue ;
    }
    for (i++ ; ; i++)
    {
      if (i < n && s[i] == '\\') i++ ;
      else if (i < n && s[i] == '"') break ;
      if (i >= n) { *why = "unterminated quote" ; return -1 ; }
      if (!stralloc_catb(tok, s + i, 1)) goto nomem ;
    }
    i++ ;
  }
  if (!stralloc_0(tok)) goto nomem ;
  tok->len-- ;
  *pos = i ;
  return 1 ;
 nomem:
  *why = "out of memory" ;
  return -1 ;
}

static int valid_name (char const *s, size_t n)
{
  if (!n || (s[0] >= '0' && s[0] <= '9')) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
      return 0 ;
  return 1 ;
}

static int printable (char const *s, size_t n)
{
  for (size_t i = 0 ; i < n ; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return 0 ;
  return 1 ;
}

static int parse_line (rules *r, char const *s, size_t n, unsigned int line, stralloc *tok, stralloc *msg, char const **why)
{
  rule x = { .line = line } ;
  size_t pos = 0 ;
  int hasmsg = 0 ;
  int e ;

  for (size_t i = 0 ; i < n ; i++)
    if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
    {
      *why = "control character" ;
      return 0 ;
    }
  e = token(s, n, &pos, tok, why) ;
  if (e <= 0) return !e ;                  /* blank or comment line */
  if (dcr_cidr_scan(tok->s, &x.net) != tok->len) { *why = "bad address or prefix" ; return 0 ; }
  if (dcr_cidr_clearhost(&x.net)) { *why = "bits set after the prefix length" ; return 0 ; }
  e = token(s, n, &pos, tok, why) ;
  if (e < 0) return 0 ;
  if (!e) { *why = "missing action (allow or deny)" ; return 0 ; }
  if (!strcmp(tok->s, "deny")) x.deny = 1 ;
  else if (strcmp(tok->s, "allow")) { *why = "action is neither allow nor deny" ; return 0 ; }

  x.env = r->data.len ;
  while ((e = token(s, n, &pos, tok, why)) > 0)
  {
    char const *eq = strchr(tok->s, '=') ;
    if (eq && eq - tok->s == 3 && !memcmp(tok->s, "msg", 3))
    {
      size_t len = tok->len - 4 ;
      if (!x.deny) { *why = "msg= on an allow rule" ; return 0 ; }
      if (hasmsg++) { *why = "two msg=" ; return 0 ; }
      if (!len || len > RULES_MSG_MAX || !printable(eq + 1, len)) { *why = "msg must be 1 to 510 printable ASCII characters" ; return 0 ; }
      if (!stralloc_copyb(msg, eq + 1, len) || !stralloc_catb(msg, "\r\n", 2)) goto nomem ;
      continue ;
    }
    if (x.deny) { *why = "variables on a deny rule" ; return 0 ; }
    if (tok->s[0] == '-' ? !valid_name(tok->s + 1, tok->len - 1) : !eq || !valid_name(tok->s, eq - tok->s))
    {
      *why = "expected VAR=value, -VAR or msg=\"...\"" ;
      return 0 ;
    }
    if (!stralloc_catb(&r->data, tok->s + (tok->s[0] == '-'), tok->len + 1 - (tok->s[0] == '-'))) goto nomem ;
    x.envn++ ;
  }
  if (e < 0) return 0 ;
  x.envlen = r->data.len - x.env ;
  if (hasmsg)
  {
    x.msg = r->data.len ;
    x.msglen = msg->len ;
    if (!stralloc_catb(&r->data, msg->s, msg->len)) goto nomem ;
  }
  if (!genalloc_append(rule, &r->list, &x)) goto nomem ;
  return 1 ;
 nomem:
  *why = "out of memory" ;
  return 0 ;
}

/* longest prefix first; same prefixes next to each other, by line */
static int rule_cmp (void const *a, void const *b)
{
  rule const *x = a, *y = b ;
  int c ;
  if (x->net.bits != y->net.bits) return x->net.bits > y->net.bits ? -1 : 1 ;
  if (x->net.is6 != y->net.is6) return x->net.is6 ? 1 : -1 ;
  c = memcmp(x->net.ip, y->net.ip, 16) ;
  if (c) return c ;
  return x->line < y->line ? -1 : x->line > y->line ;
}

int rules_parse (rules *r, char const *text, size_t len, rules_error *err)
{
  rules new = RULES_ZERO ;
  stralloc tok = STRALLOC_ZERO, msg = STRALLOC_ZERO ;
  char const *why = 0 ;
  unsigned int ln = 0, other = 0 ;
  size_t pos = 0 ;

  while (pos < len)
  {
    char const *s = text + pos ;
    char const *nl = memchr(s, '\n', len - pos) ;
    size_t n = nl ? (size_t)(nl - s) : len - pos ;
    pos += n + !!nl ;
    ln++ ;
    if (n && s[n - 1] == '\r') n-- ;
    if (n > RULES_LINE_MAX) { why = "line too long" ; goto fail ; }
    if (!parse_line(&new, s, n, ln, &tok, &msg, &why)) goto fail ;
  }
  {
    rule *v = genalloc_s(rule, &new.list) ;
    size_t n = genalloc_len(rule, &new.list) ;
    if (n) qsort(v, n, sizeof(rule), &rule_cmp) ;
    for (size_t i = 1 ; i < n ; i++)
      if (dcr_cidr_equal(&v[i - 1].net, &v[i].net))
      {
        ln = v[i].line ;
        other = v[i - 1].line ;
        why = "same prefix as line" ;
        goto fail ;
      }
  }
  stralloc_free(&tok) ;
  stralloc_free(&msg) ;
  rules_free(r) ;
  *r = new ;
  return 1 ;

 fail:
  stralloc_free(&tok) ;
  stralloc_free(&msg) ;
  rules_free(&new) ;
  err->line = ln ;
  err->other = other ;
  err->why = why ;
  return 0 ;
}

rule const *rules_match (rules const *r, ip46full const *a)
{
  rule const *v = genalloc_s(rule, &r->list) ;
  size_t n = genalloc_len(rule, &r->list) ;
  for (size_t i = 0 ; i < n ; i++)
    if (dcr_cidr_match(&v[i].net, a)) return v + i ;
  return 0 ;
}

size_t rules_count (rules const *r)
{
  return genalloc_len(rule, &r->list) ;
}

void rules_free (rules *r)
{
  genalloc_free(rule, &r->list) ;
  stralloc_free(&r->data) ;
}

/* 1: loaded into f->r; 0: bad file, see err; -1: system error, errno */
static int load (rulesfile *f, struct stat *st, rules_error *err)
{
  stralloc sa = STRALLOC_ZERO ;
  int r ;
  int fd = open_read(f->path) ;
  if (fd < 0) return -1 ;
  if (fstat(fd, st) < 0) goto syserr ;
  for (;;)
  {
    ssize_t n ;
    if (!stralloc_readyplus(&sa, 65536)) goto syserr ;
    n = fd_read(fd, sa.s + sa.len, 65536) ;
    if (n < 0) goto syserr ;
    if (!n) break ;
    sa.len += n ;
    if (sa.len > RULES_FILE_MAX)
    {
      err->line = 0 ; err->other = 0 ; err->why = "file larger than 4 MiB" ;
      fd_close(fd) ;
      stralloc_free(&sa) ;
      return 0 ;
    }
  }
  fd_close(fd) ;
  r = rules_parse(&f->r, sa.s, sa.len, err) ;
  stralloc_free(&sa) ;
  return r ;
 syserr:
  {
    int e = errno ;
    fd_close(fd) ;
    stralloc_free(&sa) ;
    errno = e ;
  }
  return -1 ;
}

static void log_loaded (rulesfile const *f)
{
  char fmt[UINT64_FMT] ;
  fmt[uint64_fmt(fmt, rules_count(&f->r))] = 0 ;
  dcr_log("event", "rules-load", "file", f->path, "rules", fmt, (char *)0) ;
}

void rulesfile_init (rulesfile *f, char const *path)
{
  rules_error err ;
  int r ;
  f->path = path ;
  f->r = (rules)RULES_ZERO ;
  r = load(f, &f->seen, &err) ;
  if (r < 0) strerr_diefu2sys(111, "read ", path) ;
  if (!r)
  {
    char fline[UINT_FMT], fother[UINT_FMT] ;
    fline[uint_fmt(fline, err.line)] = 0 ;
    fother[uint_fmt(fother, err.other)] = 0 ;
    strerr_dief(100, path, ":", fline, ": ", err.why, err.other ? " " : "", err.other ? fother : "") ;
  }
  log_loaded(f) ;
}

void rulesfile_check (rulesfile *f, int force)
{
  struct stat st ;
  rules_error err ;
  int r ;
  if (stat(f->path, &st) < 0)
  {
    /* log once, not at every connection */
    if (force || f->seen.st_ino)
      dcr_log("event", "rules-error", "at", f->path, "error", strerror(errno), "rules", "unchanged", (char *)0) ;
    memset(&f->seen, 0, sizeof(f->seen)) ;
    return ;
  }
  if (!force && dcr_stat_same(&st, &f->seen)) return ;
  r = load(f, &f->seen, &err) ;
  if (r < 0)
  {
    dcr_log("event", "rules-error", "at", f->path, "error", strerror(errno), "rules", "unchanged", (char *)0) ;
    f->seen = st ;
  }
  else if (!r)
  {
    size_t plen = strlen(f->path), wlen = strlen(err.why) ;
    char at[plen + UINT_FMT + 2] ;
    char why[wlen + UINT_FMT + 2] ;
    memcpy(at, f->path, plen) ;
    at[plen] = ':' ;
    at[plen + 1 + uint_fmt(at + plen + 1, err.line)] = 0 ;
    memcpy(why, err.why, wlen) ;
    if (err.other)
    {
      why[wlen] = ' ' ;
      wlen += 1 + uint_fmt(why + wlen + 1, err.other) ;
    }
    why[wlen] = 0 ;
    dcr_log("event", "rules-error", "at", at, "error", why, "rules", "unchanged", (char *)0) ;
  }
  else log_loaded(f) ;
}
