/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/sgetopt.h>
#include <skalibs/djbunix.h>

#include <dcr/header.h>
#include <dcr/filter.h>
#include <dcr/log.h>
#include <dcr/opts.h>

#include "canon.h"
#include "domain.h"
#include "keys.h"
#include "key.h"
#include "sign.h"

#define USAGE "dcr-dkimsign [ -c canon ] [ -h names ] [ -S selector ] [ -s ] [ -x seconds ] -d keysdir next..."
#define dieusage() dcr_filter_usage(USAGE)
#define OPTS "c:h:S:sx:d:"

static dcr_longopt const longopts[] =
{
  { "canon", 'c', 1 }, { "headers", 'h', 1 }, { "selector", 'S', 1 },
  { "sender-domain", 's', 0 }, { "expire", 'x', 1 }, { "keys", 'd', 1 },
  { 0, 0, 0 }
} ;

static char const *id = "" ;
static char inbuf[65536] ;

/* a configuration error: mail is kept (4.3.5, temporary), the operator
   is told which file and why */
static void confdie (char const *file, char const *why) __attribute__((noreturn)) ;
static void confdie (char const *file, char const *why)
{
  static char const reply[] = "4.3.5 dcr-dkimsign: configuration error\n" ;
  allwrite(1, reply, sizeof reply - 1) ;
  if (why) strerr_dief(111, file, ": ", why) ;
  strerr_diefsys(111, file) ;
}

static void skip (char const *const *next, char const *reason, char const *domain)
{
  dcr_log("event", "dkim-skip", "id", id, "reason", reason, domain ? "d" : (char *)0, domain, (char *)0) ;
  dcr_filter_next(next, -1) ;
}

static int canon_scan (char const *s, int *h, int *b)
{
  static char const *const names[4] = { "relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed" } ;
  static int const hh[4] = { 1, 0, 1, 0 }, bb[4] = { 1, 0, 0, 1 } ;
  for (unsigned int i = 0 ; i < 4 ; i++)
    if (!strcmp(s, names[i])) { *h = hh[i] ; *b = bb[i] ; return 1 ; }
  return 0 ;
}

/* -h: names of printable ASCII without ':', From among them (RFC 6376
   5.4: From must be signed) */
static int names_ok (char const *s)
{
  size_t n = 0 ;
  int from = 0 ;
  for (char const *p = s ; ; p++)
  {
    if (!*p || *p == ':')
    {
      if (!n || n > 255) return 0 ;
      if (n == 4 && !strncasecmp(p - 4, "from", 4)) from = 1 ;
      n = 0 ;
      if (!*p) break ;
      continue ;
    }
    if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127) return 0 ;
    n++ ;
  }
  return from ;
}

/* the domain of From: */
static int fromdomain (char const *hdr, size_t len, stralloc *dom)
{
  stralloc v = STRALLOC_ZERO ;
  size_t pos = 0 ;
  dcr_field f ;
  int r = 0 ;
  while (dcr_header_next(hdr, len, &pos, &f))
    if (dcr_header_is(hdr, &f, "from"))
    {
      if (!dcr_header_unfold(hdr, &f, &v)) dcr_filter_fail("allocate") ;
      r = dkim_from_domain(v.s, v.len, dom) ;
      break ;
    }
  stralloc_free(&v) ;
  return r ;
}

/* the key for a domain: 1 found, 0 none; a configuration error dies */
static int findkey (char const *keysdir, char const *domain, char const *selector, stralloc *file, stralloc *sel)
{
  char const *why ;
  int r = dkim_keys_find(keysdir, domain, selector, file, sel, &why) ;
  if (r < 0) confdie(file->len ? file->s : keysdir, why) ;
  return r ;
}

/* where the fields end in the section: the empty line goes, a line that
   is not a field is the body's first line */
static size_t fieldsend (char const *hdr, size_t len, size_t *bodystart)
{
  size_t pos = 0 ;
  dcr_field f ;
  while (dcr_header_next(hdr, len, &pos, &f)) ;
  *bodystart = pos ;
  if (pos < len && hdr[pos] == '\n') *bodystart = pos + 1 ;
  else if (pos + 1 < len && hdr[pos] == '\r' && hdr[pos+1] == '\n') *bodystart = pos + 2 ;
  return pos ;
}

static void hashbody (buffer *b, dkim_body *c)
{
  for (;;)
  {
    struct iovec v[2] ;
    ssize_t r ;
    buffer_rpeek(b, v) ;
    for (unsigned int i = 0 ; i < 2 ; i++)
      if (v[i].iov_len) dkim_body_update(c, v[i].iov_base, v[i].iov_len) ;
    buffer_rseek(b, v[0].iov_len + v[1].iov_len) ;
    r = buffer_fill(b) ;
    if (r < 0) dcr_filter_fail("read the message") ;
    if (!r) return ;
  }
}

/* the new message: the field, then the original, copied in the kernel
   where it can be */
static int writeout (char const *field, size_t len)
{
  int fd = dcr_filter_tmpfile() ;
  loff_t off = 0 ;
  if (allwrite(fd, field, len) < len) dcr_filter_fail("write the signed message") ;
  for (;;)
  {
    ssize_t r = copy_file_range(0, &off, fd, 0, 1 << 30, 0) ;
    if (r > 0) continue ;
    if (!r) return fd ;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) dcr_filter_fail("copy the message") ;
    break ;
  }
  if (lseek(0, off, SEEK_SET) < 0) dcr_filter_fail("seek in the message") ;
  for (;;)
  {
    ssize_t r = fd_read(0, inbuf, sizeof inbuf) ;
    if (r < 0) dcr_filter_fail("read the message") ;
    if (!r) return fd ;
    if (allwrite(fd, inbuf, r) < (size_t)r) dcr_filter_fail("write the signed message") ;
  }
}

int main (int argc, char const *const *argv)
{
  char const *keysdir = 0, *selector = 0, *names = DKIM_DEFAULT_HEADERS ;
  int hrelaxed = 1, brelaxed = 1, usesender = 0 ;
  unsigned int expire = 0 ;
  stralloc hdr = STRALLOC_ZERO, dom = STRALLOC_ZERO, file = STRALLOC_ZERO, sel = STRALLOC_ZERO, field = STRALLOC_ZERO ;
  buffer b = BUFFER_INIT(&buffer_read, 0, inbuf, sizeof inbuf) ;
  size_t fend, bstart ;
  char const *why ;
  dkim_key key ;
  dkim_body body ;
  unsigned char bh[32] ;
  int r, fd ;

  PROG = "dcr-dkimsign" ;
  dcr_longopts_usage = &dcr_filter_usage ;
  {
    char const **av = dcr_longopts(&argc, argv, longopts, OPTS, USAGE) ;
    subgetopt l = SUBGETOPT_ZERO ;
    argv = av ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, OPTS, &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'c' : if (!canon_scan(l.arg, &hrelaxed, &brelaxed)) dieusage() ; break ;
        case 'h' : if (!names_ok(l.arg)) (dcr_filter_say("4.3.5 dcr-dkimsign: bad command line"), strerr_dief(111, "-h: a ':' list of header names, From among them")) ; names = l.arg ; break ;
        case 'S' : if (!dkim_selector_ok(l.arg, strlen(l.arg))) (dcr_filter_say("4.3.5 dcr-dkimsign: bad command line"), strerr_dief(111, "-S: not a selector: ", l.arg)) ; selector = l.arg ; break ;
        case 's' : usesender = 1 ; break ;
        case 'x' : if (!uint0_scan(l.arg, &expire) || !expire) dieusage() ; break ;
        case 'd' : keysdir = l.arg ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (!keysdir || !argc) dieusage() ;
  if (getenv("DCR_ID")) id = getenv("DCR_ID") ;
  {
    /* a mistyped -d would pass all mail unsigned without a word */
    struct stat st ;
    if (stat(keysdir, &st) < 0) confdie(keysdir, 0) ;
    if (!S_ISDIR(st.st_mode)) confdie(keysdir, "not a directory") ;
  }

  r = dcr_header_load(&b, &hdr, DCR_HEADER_MAX) ;
  if (r < 0) dcr_filter_fail("read the message") ;
  if (!r) skip(argv, "header-too-large", 0) ;
  fend = fieldsend(hdr.s, hdr.len, &bstart) ;

  /* From's domain; with -s, the sender's when From's has no key */
  r = fromdomain(hdr.s, fend, &dom) && findkey(keysdir, dom.s, selector, &file, &sel) ;
  if (!r && usesender)
  {
    char const *sender = getenv("SMTP_SENDER") ;
    if (sender && *sender && dkim_addr_domain(sender, &dom)) r = findkey(keysdir, dom.s, selector, &file, &sel) ;
  }
  if (!r) skip(argv, dom.len ? "no-key" : "no-domain", dom.len ? dom.s : 0) ;
  if (!dkim_key_load(&key, file.s, &why)) confdie(file.s, why) ;

  dkim_body_init(&body, brelaxed) ;
  dkim_body_update(&body, hdr.s + bstart, hdr.len - bstart) ;
  hashbody(&b, &body) ;
  dkim_body_final(&body, bh) ;

  {
    uint64_t now = time(0) ;
    dkim_sig p = { .hrelaxed = hrelaxed, .brelaxed = brelaxed, .domain = dom.s, .selector = sel.s,
      .t = now, .x = expire ? now + expire : 0, .names = names } ;
    r = dkim_sign(&field, &p, hdr.s, fend, bh, key.sk) ;
    if (!r) dcr_filter_fail("allocate") ;
    if (r < 0) confdie(file.s, "the RSA signature failed") ;
  }
  dkim_key_wipe(&key) ;

  fd = writeout(field.s, field.len) ;
  {
    char bits[UINT_FMT] ;
    bits[uint_fmt(bits, key.bits)] = 0 ;
    dcr_log("event", "dkim-sign", "id", id, "d", dom.s, "s", sel.s, "bits", bits, (char *)0) ;
  }
  dcr_filter_next(argv, fd) ;
}
