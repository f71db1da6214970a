/* ISC license. */

/* dcr-footer: append a configured text to the first text/plain part of
   a message and an HTML version to the first text/html part, in their
   transfer encoding and charset, or add it as a part of its own when
   the structure does not allow that; signed and encrypted messages are
   left alone. The message is walked once to find its parts (offsets in
   the file), then copied once with the changes: never loaded. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/random.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include <dcr/addr.h>
#include <dcr/filter.h>
#include <dcr/header.h>
#include <dcr/log.h>
#include <dcr/opts.h>

#include "footer.h"

#define USAGE "dcr-footer -t textfile [ -H htmlfile ] prog..."
#define dieusage() dcr_filter_usage(USAGE)
#define FOOTER_MAX 65536

static char const *id = "" ;
static stralloc foot[2] = { STRALLOC_ZERO, STRALLOC_ZERO } ;   /* text, html: UTF-8, LF, ending with LF */
static int footascii[2] ;

static void nomem (void) { dcr_filter_fail("allocate") ; }

 /* The footers */

static void load_footer (char const *file, stralloc *sa)
{
  stralloc raw = STRALLOC_ZERO ;
  unsigned int line = 1 ;
  if (!openslurpclose(&raw, file))
  {
    int e = errno ;
    dcr_filter_say("4.3.5 dcr-footer: configuration error") ;
    errno = e ;
    strerr_diefu2sys(111, "read ", file) ;
  }
  if (raw.len > FOOTER_MAX) dcr_filter_badconf(file, 1, "the footer is over 64 KiB") ;
  for (size_t i = 0 ; i < raw.len ; i++)
  {
    unsigned char c = raw.s[i] ;
    if (c == '\r') continue ;   /* internal form: LF line ends */
    if (c == '\n') line++ ;
    else if (!c || (c < 32 && c != '\t')) dcr_filter_badconf(file, line, "a control character in the footer") ;
    else if (c >= 0x80)
    {
      size_t k = dcr_utf8_seq(raw.s + i, raw.len - i) ;
      if (!k) dcr_filter_badconf(file, line, "the footer is not UTF-8") ;
      if (!stralloc_catb(sa, raw.s + i, k)) nomem() ;
      i += k - 1 ;
      continue ;
    }
    if (!stralloc_catb(sa, raw.s + i, 1)) nomem() ;
  }
  while (sa->len && sa->s[sa->len - 1] == '\n') sa->len-- ;
  if (!sa->len) dcr_filter_badconf(file, 1, "the footer is empty") ;
  if (!stralloc_catb(sa, "\n", 1)) nomem() ;
  stralloc_free(&raw) ;
}

/* no -H: the text, escaped, as preformatted HTML */
static void html_from_text (void)
{
  if (!stralloc_cats(&foot[1], "<pre>")) nomem() ;
  for (size_t i = 0 ; i + 1 < foot[0].len ; i++)
  {
    char c = foot[0].s[i] ;
    char const *e = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : 0 ;
    if (e ? !stralloc_cats(&foot[1], e) : !stralloc_catb(&foot[1], &c, 1)) nomem() ;
  }
  if (!stralloc_cats(&foot[1], "</pre>\n")) nomem() ;
}

static int ascii (stralloc const *sa)
{
  for (size_t i = 0 ; i < sa->len ; i++) if ((unsigned char)sa->s[i] >= 0x80) return 0 ;
  return 1 ;
}

 /* Whether a text part can take a footer */

enum { NO = 0, AS_IS, TO_UTF8 = 2, TO_QP = 4 } ;

static int appendable (fpart const *p, int which)
{
  char const *cs = p->charset[0] ? p->charset : "us-ascii" ;
  int r = AS_IS ;
  if (p->cte == CTE_OTHER) return NO ;
  if (!strncmp(cs, "utf-16", 6) || !strncmp(cs, "utf-32", 6) || !strcmp(cs, "utf-7") || !strncmp(cs, "ucs-", 4)) return NO ;
  if (footascii[which]) return AS_IS ;
  if (!strcmp(cs, "us-ascii") || !strcmp(cs, "ascii")) r |= TO_UTF8 ;   /* ASCII text is UTF-8 already */
  else if (strcmp(cs, "utf-8") && strcmp(cs, "utf8")) return NO ;
  if (p->cte == CTE_7BIT) r |= TO_QP ;   /* 8-bit octets cannot go in a 7bit part */
  return r ;
}

/* the charset and the encoding fields of p changed as how says */
static void fix_header (fpart const *p, int how, int top)
{
  if (how & TO_UTF8)
  {
    if (p->cslen) ft_add(E_INSERT, p->csoff, p->csoff + p->cslen, "utf-8", 5, 0, 0) ;
    else if (p->ctlen)
    {
      size_t e = p->ctoff + p->ctlen ;
      char c ;
      ft_pread(&c, 1, e - 1) ;
      ft_insert(c == '\n' ? e - 1 : e, "; charset=utf-8") ;
    }
    else
    {
      if (top && !p->mimeversion) ft_insert(p->fields_end, "MIME-Version: 1.0\n") ;
      ft_insert(p->fields_end, "Content-Type: text/plain; charset=utf-8\n") ;
    }
  }
  if (how & TO_QP)
  {
    static char const f[] = "Content-Transfer-Encoding: quoted-printable\n" ;
    if (p->ctelen) ft_add(E_INSERT, p->cteoff, p->cteoff + p->ctelen, f, sizeof f - 1, 0, 0) ;
    else ft_insert(p->fields_end, f) ;
  }
}

/* the footer which appended to p's content */
static void append_to (fpart const *p, int which, int how, int top)
{
  size_t n = p->end - p->body ;
  char t[2] = { 0, 0 } ;
  int nl, soft ;
  char prefix[3] ;
  size_t k = 0 ;
  if (n) ft_pread(t + (n < 2), n < 2 ? 1 : 2, p->end - (n < 2 ? 1 : 2)) ;
  nl = t[1] == '\n' ;
  soft = nl ? t[0] == '=' : t[1] == '=' ;
  fix_header(p, how, top) ;
  if (p->cte == CTE_BASE64) { ft_add(E_RECODE_B64, p->body, p->end, "", 0, which, !top) ; return ; }
  if (how & TO_QP) { ft_add(E_RECODE_QP, p->body, p->end, "", 0, which, !top) ; return ; }
  if (n && !nl) prefix[k++] = '\n' ;
  if (p->cte == CTE_QP && n && soft) prefix[k++] = '\n' ;   /* end the soft line break with a hard one */
  ft_add(p->cte == CTE_QP ? E_APPEND_QP : E_INSERT, p->end, p->end, prefix, k, which, !top) ;
  if (p->cte != CTE_QP)
  {
    /* the footer itself, as it is */
    ft_edit *e = genalloc_s(ft_edit, &ft_edits) + genalloc_len(ft_edit, &ft_edits) - 1 ;
    if (!stralloc_catb(&ft_pool, foot[which].s, foot[which].len)) nomem() ;
    e->len += foot[which].len ;
  }
}

static void boundary (stralloc *b)
{
  char r[8], hex[17] ;
  random_buf(r, sizeof r) ;
  for (unsigned int i = 0 ; i < 8 ; i++)
  {
    hex[2*i] = "0123456789abcdef"[(unsigned char)r[i] >> 4] ;
    hex[2*i+1] = "0123456789abcdef"[r[i] & 15] ;
  }
  hex[16] = 0 ;
  /* "=_" never occurs in quoted-printable nor in base64 */
  if (!stralloc_copys(b, "=_dcr-footer_") || !stralloc_cats(b, hex)) nomem() ;
}

/* the text footer as a part: headers, the empty line, the content */
static void footer_part (stralloc *sa, stralloc const *b, int last)
{
  int qp = !footascii[0] ;
  if (!stralloc_cats(sa, "\n--") || !stralloc_catb(sa, b->s, b->len)
   || !stralloc_cats(sa, "\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: inline\nContent-Transfer-Encoding: ")
   || !stralloc_cats(sa, qp ? "quoted-printable\n\n" : "7bit\n\n")) nomem() ;
  ft_add(qp ? E_APPEND_QP : E_INSERT, 0, 0, sa->s, sa->len, 0, 0) ;   /* off set by the caller; the text with its last LF */
  if (!qp)
  {
    ft_edit *e = genalloc_s(ft_edit, &ft_edits) + genalloc_len(ft_edit, &ft_edits) - 1 ;
    if (!stralloc_catb(&ft_pool, foot[0].s, foot[0].len)) nomem() ;
    e->len += foot[0].len ;
  }
  if (last)
  {
    stralloc end = STRALLOC_ZERO ;
    if (!stralloc_cats(&end, "\n--") || !stralloc_catb(&end, b->s, b->len) || !stralloc_cats(&end, "--\n") || !stralloc_0(&end)) nomem() ;
    ft_insert(0, end.s) ;
    stralloc_free(&end) ;
  }
}

static void place_last (unsigned int n, size_t off)
{
  ft_edit *e = genalloc_s(ft_edit, &ft_edits) + genalloc_len(ft_edit, &ft_edits) - n ;
  for (unsigned int i = 0 ; i < n ; i++) e[i].off = e[i].end = off ;
}

/* a part of its own, before the close delimiter of the top multipart/mixed */
static void new_part (fpart const *top, char const *bnd)
{
  stralloc b = STRALLOC_ZERO, sa = STRALLOC_ZERO ;
  if (!stralloc_copys(&b, bnd)) nomem() ;
  footer_part(&sa, &b, 0) ;
  place_last(1, top->closeoff) ;
  stralloc_free(&b) ; stralloc_free(&sa) ;
}

/* the whole body becomes the first part of a new multipart/mixed, the
   footer the second; the Content-* fields go down with the body */
static void wrap (fpart const *top, char const *h, size_t hlen, int hasempty, size_t size)
{
  stralloc b = STRALLOC_ZERO, sa = STRALLOC_ZERO, moved = STRALLOC_ZERO ;
  size_t pos = 0 ;
  dcr_field f ;
  boundary(&b) ;
  while (dcr_header_next(h, hlen, &pos, &f))
    if (f.namelen > 8 && !strncasecmp(h + f.off, "Content-", 8))
    {
      if (!stralloc_catb(&moved, h + f.off, f.len)) nomem() ;
      ft_add(E_INSERT, f.off, f.off + f.len, "", 0, 0, 0) ;
    }
  if (!top->mimeversion) ft_insert(top->fields_end, "MIME-Version: 1.0\n") ;
  if (!stralloc_cats(&sa, "Content-Type: multipart/mixed; boundary=\"") || !stralloc_catb(&sa, b.s, b.len) || !stralloc_cats(&sa, "\"\n")) nomem() ;
  if (!hasempty && !stralloc_cats(&sa, "\n")) nomem() ;
  if (!stralloc_0(&sa)) nomem() ;
  ft_insert(top->fields_end, sa.s) ;
  sa.len = 0 ;
  if (!stralloc_cats(&sa, "This is a multi-part message in MIME format.\n\n--") || !stralloc_catb(&sa, b.s, b.len) || !stralloc_cats(&sa, "\n")
   || !stralloc_catb(&sa, moved.s, moved.len) || !stralloc_cats(&sa, "\n") || !stralloc_0(&sa)) nomem() ;
  ft_insert(top->body, sa.s) ;
  sa.len = 0 ;
  footer_part(&sa, &b, 1) ;
  place_last(2, size) ;
  stralloc_free(&b) ; stralloc_free(&sa) ; stralloc_free(&moved) ;
}

 /* What to do with this message */

static int skip (char const *why)
{
  dcr_log("event", "footer-skip", "id", id, "reason", why, (char *)0) ;
  return 0 ;
}

static void logpart (char const *what, fpart const *p)
{
  static char const *const ctes[] = { "7bit", "8bit", "binary", "quoted-printable", "base64", "other" } ;
  dcr_log("event", "footer", "id", id, "what", what, "type", p->type[0] ? p->type : "text/plain", "cte", ctes[p->cte], (char *)0) ;
}

/* 1 if edits were planned */
static int plan (fwalk *w, stralloc const *hdr, size_t hdrfields, int hasempty, size_t size)
{
  fpart *top = genalloc_s(fpart, &w->parts) ;
  char const *t = top->type ;
  int how ;
  if (!strcmp(t, "multipart/signed")) return skip("signed") ;
  if (!strcmp(t, "multipart/encrypted") || !strcmp(t, "application/pkcs7-mime") || !strcmp(t, "application/x-pkcs7-mime") || !strcmp(t, "application/pgp-encrypted"))
    return skip("encrypted") ;
  if (!strcmp(t, "multipart/report")) return skip("a delivery or disposition report") ;
  if (!hasempty) return skip("no empty line after the header") ;
  if (top->ctlen && !t[0]) return skip("unparsable Content-Type") ;
  if (!t[0] || !strcmp(t, "text/plain") || !strcmp(t, "text/html"))
  {
    int which = !strcmp(t, "text/html") ;
    how = appendable(top, which) ;
    if (how) { append_to(top, which, how, 1) ; logpart("append", top) ; return 1 ; }
  }
  else if (top->multipart)
  {
    int r = ft_walk(w, 0, size) ;
    fpart *p, *target[2] = { 0, 0 } ;
    size_t n ;
    if (r < 0) dcr_filter_fail("read the message") ;
    if (!r) return skip(w->why) ;
    p = genalloc_s(fpart, &w->parts) ; top = p ; t = top->type ;   /* the walk moved them */
    n = genalloc_len(fpart, &w->parts) ;
    for (size_t i = 1 ; i < n ; i++)
    {
      int which = !strcmp(p[i].type, "text/html") ;
      if (p[i].attachment || p[i].multipart || target[which]) continue ;
      if (!which && p[i].type[0] && strcmp(p[i].type, "text/plain")) continue ;
      if (!p[i].type[0] && p[i].ctlen) continue ;   /* unparsable: not text */
      target[which] = p + i ;
    }
    how = 0 ;
    for (int k = 0 ; k < 2 ; k++)
    {
      int h = target[k] ? appendable(target[k], k) : 0 ;
      if (!h) continue ;
      append_to(target[k], k, h, 0) ;
      logpart("append", target[k]) ;
      how = 1 ;
    }
    if (how) return 1 ;
    if (!strcmp(t, "multipart/mixed") && top->closed)
    {
      new_part(top, w->store.s + top->boundary) ;
      logpart("new-part", top) ;
      return 1 ;
    }
  }
  wrap(top, hdr->s, hdrfields, hasempty, size) ;
  logpart("wrap", top) ;
  return 1 ;
}

int main (int argc, char const *const *argv)
{
  static dcr_longopt const longopts[] = { { "text", 't', 1 }, { "html", 'H', 1 }, { 0, 0, 0 } } ;
  char const *textfile = 0, *htmlfile = 0 ;
  fwalk w = FWALK_ZERO ;
  stralloc hdr = STRALLOC_ZERO, bnd = STRALLOC_ZERO ;
  fpart top ;
  size_t pos = 0, size ;
  int hasempty ;
  PROG = "dcr-footer" ;
  dcr_longopts_usage = &dcr_filter_usage ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    argv = dcr_longopts(&argc, argv, longopts, "t:H:", USAGE) ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "t:H:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 't' : textfile = l.arg ; break ;
        case 'H' : htmlfile = l.arg ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (!textfile || !argc) dieusage() ;
  if (getenv("DCR_ID")) id = getenv("DCR_ID") ;

  load_footer(textfile, &foot[0]) ;
  if (htmlfile) load_footer(htmlfile, &foot[1]) ; else html_from_text() ;
  footascii[0] = ascii(&foot[0]) ; footascii[1] = ascii(&foot[1]) ;

  {
    struct stat st ;
    char buf[BUFFER_INSIZE] ;
    buffer in = BUFFER_INIT(&buffer_read, 0, buf, sizeof buf) ;
    if (fstat(0, &st) < 0 || lseek(0, 0, SEEK_SET) < 0) dcr_filter_fail("look at the message") ;
    size = st.st_size ;
    switch (dcr_header_load(&in, &hdr, DCR_HEADER_MAX))
    {
      case 1 : break ;
      case 0 : skip("header section over 1 MiB") ; dcr_filter_next(argv, -1) ;
      default : dcr_filter_fail("read the message") ;
    }
  }
  {
    dcr_field f ;
    while (dcr_header_next(hdr.s, hdr.len, &pos, &f)) ;
  }
  hasempty = (hdr.len - pos == 1 && hdr.s[pos] == '\n') || (hdr.len - pos == 2 && hdr.s[pos] == '\r' && hdr.s[pos+1] == '\n') ;
  memset(&top, 0, sizeof top) ;
  if (!ft_header(hdr.s, hdr.len, 0, &top, &bnd)) nomem() ;
  top.body = hasempty ? hdr.len : pos ;
  top.end = size ;
  top.parent = -1 ;
  if (!strncmp(top.type, "multipart/", 10) && bnd.len && bnd.len <= FT_BOUNDARYMAX
   && (!strcmp(top.type, "multipart/mixed") || !strcmp(top.type, "multipart/alternative") || !strcmp(top.type, "multipart/related") || !strcmp(top.type, "multipart/parallel")))
  {
    top.multipart = 1 ;
    top.boundary = 0 ;
    if (!stralloc_catb(&w.store, bnd.s, bnd.len) || !stralloc_0(&w.store)) nomem() ;
  }
  if (!genalloc_append(fpart, &w.parts, &top)) nomem() ;
  dcr_filter_next(argv, plan(&w, &hdr, pos, hasempty, size) ? ft_write(size, foot) : -1) ;
}
