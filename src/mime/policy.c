/* ISC license. */

/* The checks of dcr-mimecheck on the parser's events: names and types
   when a part begins, text rules on decoded text parts line by line,
   zip central directories when a zip part ends. What a rule that holds
   does is hit.c's. */

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include <dcr/filter.h>
#include <dcr/log.h>
#include <dcr/mime.h>

#include "mimecheck.h"

static void nomem (void) { dcr_filter_fail("allocate") ; }
static int lower (int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c ; }

 /* Matching */

/* the extension of name (any of them: "a.pdf.exe" has pdf and exe)
   that is in the list, or 0. Trailing dots and blanks are dropped
   first, as Windows does; only the last path component counts. */
static char const *ext_match (char const *list, char const *name, size_t len)
{
  size_t start = 0, i, end = len ;
  for (i = 0 ; i < len ; i++) if (name[i] == '/' || name[i] == '\\') start = i + 1 ;
  while (end > start && (name[end-1] == '.' || name[end-1] == ' ' || name[end-1] == '\t')) end-- ;
  for (i = start ; i < end ; i++)
  {
    size_t j, k ;
    if (name[i] != '.') continue ;
    for (j = i + 1 ; j < end && name[j] != '.' ; j++) ;
    k = j ;
    while (k > i + 1 && (name[k-1] == ' ' || name[k-1] == '\t')) k-- ;
    for (char const *x = list ; *x ; x += strlen(x) + 1)
    {
      size_t n = strlen(x), m ;
      if (n != k - i - 1) continue ;
      for (m = 0 ; m < n && lower(name[i + 1 + m]) == x[m] ; m++) ;
      if (m == n) return x ;
    }
  }
  return 0 ;
}

static int type_match (char const *list, char const *type)
{
  for (char const *x = list ; *x ; x += strlen(x) + 1)
  {
    size_t n = strlen(x) ;
    if (n >= 2 && x[n-1] == '*' && x[n-2] == '/' ? !strncmp(x, type, n - 1) : !strcmp(x, type)) return 1 ;
  }
  return 0 ;
}

/* the last extension of name is zip */
static int zipname (char const *name)
{
  size_t n = strlen(name) ;
  while (n && (name[n-1] == '.' || name[n-1] == ' ')) n-- ;
  return n >= 4 && name[n-4] == '.' && lower(name[n-3]) == 'z' && lower(name[n-2]) == 'i' && lower(name[n-1]) == 'p' ;
}


/* the ext rules on a name; 0 once the part is removed */
static int names (policy *po, dcr_mime_part const *pt, char const *name, char const *inner)
{
  size_t n = rules_n(po->r) ;
  char const *x = inner ? inner : name ;
  for (size_t i = 0 ; i < n && !po->skip[pt->depth] ; i++)
  {
    rule const *ru = rules_at(po->r, i) ;
    policy_why w = { .inner = inner } ;
    if (ru->kind != K_EXT || (ru->action == A_TAG && po->done[i])) continue ;
    w.ext = ext_match(po->r->text.s + ru->arg, x, strlen(x)) ;
    if (!w.ext) continue ;
    if (ru->action == A_TAG) po->done[i] = 1 ;
    policy_hit(po, ru, pt, &w) ;
  }
  return !po->skip[pt->depth] ;
}

/* every rule of kind k (malformed, badzip) */
static void each (policy *po, int k, dcr_mime_part const *pt, char const *what)
{
  for (size_t i = 0 ; i < rules_n(po->r) ; i++)
  {
    rule const *ru = rules_at(po->r, i) ;
    policy_why w = { .what = what } ;
    if (ru->kind != k || (pt && po->skip[pt->depth])) continue ;
    policy_hit(po, ru, pt, &w) ;
  }
}


 /* Text rules, a line at a time */

static void textline (policy *po, dcr_mime_part const *pt)
{
  size_t n = rules_n(po->r) ;
  po->line[po->linelen] = 0 ;
  for (size_t i = 0 ; i < n && po->text ; i++)
  {
    rule const *ru = rules_at(po->r, i) ;
    policy_why w = { 0 } ;
    int m ;
    if ((ru->kind != K_WORD && ru->kind != K_REGEX) || (ru->action == A_TAG && po->done[i])) continue ;
    m = ru->kind == K_WORD ? strstr(po->line, po->r->text.s + ru->arg) != 0 : !regexec(&ru->re, po->line, 0, 0, 0) ;
    if (!m) continue ;
    if (ru->action == A_TAG) po->done[i] = 1 ;
    policy_hit(po, ru, pt, &w) ;
  }
}

static void textdata (policy *po, dcr_mime_part const *pt, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len && po->text ; i++)
  {
    char c = s[i] ;
    if (c == '\n') { textline(po, pt) ; po->linelen = 0 ; continue ; }
    po->line[po->linelen++] = c ? lower(c) : ' ' ;   /* words are lower case; a NUL would end the line for regexec */
    if (po->linelen == TEXTMAX)
    {
      textline(po, pt) ;
      memmove(po->line, po->line + TEXTMAX - TEXTKEEP, TEXTKEEP) ;
      po->linelen = TEXTKEEP ;
    }
  }
}


 /* Zip archives: decoded into a temporary file, read at the end */

static void spoolflush (policy *po)
{
  if (allwrite(po->zipfd, po->zipbuf, po->zipbuflen) < po->zipbuflen) dcr_filter_fail("write the zip archive to a temporary file") ;
  po->zipbuflen = 0 ;
}

static void spool (policy *po, char const *s, size_t n)
{
  if (po->ziplen + n > po->r->zip_max) { po->zip = 3 ; return ; }
  po->ziplen += n ;
  while (n)
  {
    size_t k = sizeof po->zipbuf - po->zipbuflen ;
    if (k > n) k = n ;
    memcpy(po->zipbuf + po->zipbuflen, s, k) ;
    po->zipbuflen += k ; s += k ; n -= k ;
    if (po->zipbuflen == sizeof po->zipbuf) spoolflush(po) ;
  }
}

static void zipdata (policy *po, char const *s, size_t n)
{
  if (po->zip == 1)
  {
    while (n && po->magiclen < 4) { po->magic[po->magiclen++] = *s++ ; n-- ; }
    if (po->magiclen < 4) return ;
    if (!po->zipbyname && memcmp(po->magic, "PK\3\4", 4) && memcmp(po->magic, "PK\5\6", 4)) { po->zip = 0 ; return ; }
    if (po->zipfd < 0) po->zipfd = dcr_filter_tmpfile() ;
    if (ftruncate(po->zipfd, 0) < 0 || lseek(po->zipfd, 0, SEEK_SET) < 0) dcr_filter_fail("reset the zip temporary file") ;
    po->ziplen = 0 ;
    po->zipbuflen = 0 ;
    po->zip = 2 ;
    spool(po, po->magic, 4) ;
  }
  if (po->zip == 2 && n) spool(po, s, n) ;
}

typedef struct zipctx_s { policy *po ; dcr_mime_part const *pt ; } zipctx ;

static int zipentry (void *ctx, char const *name, size_t len)
{
  zipctx *z = ctx ;
  char buf[1025] ;
  if (!len || name[len-1] == '/') return 1 ;   /* a directory */
  memcpy(buf, name, len) ;
  buf[len] = 0 ;
  for (size_t i = 0 ; i < len ; i++) if (!buf[i]) buf[i] = '?' ;
  return names(z->po, z->pt, 0, buf) ;
}

static void zipend (policy *po, dcr_mime_part const *pt)
{
  char const *why = 0 ;
  int r = 0 ;
  if (po->zip == 1 && po->zipbyname) { po->zip = 0 ; why = "shorter than 4 octets" ; }
  else if (po->zip == 3) why = "larger than zip-max" ;
  else if (po->zip == 2)
  {
    zipctx z = { po, pt } ;
    spoolflush(po) ;
    r = zip_names(po->zipfd, po->ziplen, &zipentry, &z, &why) ;
    if (r < 0) dcr_filter_fail("read the zip archive's temporary file") ;
  }
  po->zip = 0 ;
  if (!why) return ;
  {
    stralloc shown = STRALLOC_ZERO ;
    if (policy_partname(pt)) policy_show(&shown, policy_partname(pt)) ;
    if (!stralloc_0(&shown)) nomem() ;
    dcr_log("event", "mime-badzip", "id", po->id, "name", shown.s, "detail", why, (char *)0) ;
    stralloc_free(&shown) ;
  }
  each(po, K_BADZIP, pt, why) ;
}


 /* The events */

static void on_begin (void *ctx, dcr_mime_part const *pt)
{
  policy *po = ctx ;
  rules const *r = po->r ;
  unsigned int d = pt->depth ;
  po->skip[d] = d ? po->skip[d-1] : 0 ;
  po->pending[d] = 0 ;
  po->text = 0 ; po->zip = 0 ;
  if (po->skip[d]) return ;
  for (size_t i = 0 ; i < rules_n(r) && !po->skip[d] ; i++)
  {
    rule const *ru = rules_at(r, i) ;
    policy_why w = { 0 } ;
    if (ru->kind != K_TYPE || (ru->action == A_TAG && po->done[i]) || !type_match(r->text.s + ru->arg, pt->type)) continue ;
    if (ru->action == A_TAG) po->done[i] = 1 ;
    policy_hit(po, ru, pt, &w) ;
  }
  if (pt->filename[0] && !names(po, pt, pt->filename, 0)) return ;
  if (pt->name[0] && strcmp(pt->name, pt->filename) && !names(po, pt, pt->name, 0)) return ;
  if (pt->multipart || pt->message) return ;
  /* a leaf: read its text, look into it if it is a zip */
  po->text = r->has_text && !strncmp(pt->type, "text/", 5) ;
  po->linelen = 0 ;
  po->zipbyname = zipname(pt->filename) || zipname(pt->name) ;
  po->zip = r->zip_max ? 1 : 0 ;
  po->magiclen = 0 ;
}

static void on_data (void *ctx, dcr_mime_part const *pt, char const *s, size_t n)
{
  policy *po = ctx ;
  if (po->skip[pt->depth]) return ;
  if (po->text) textdata(po, pt, s, n) ;
  if (po->zip) zipdata(po, s, n) ;
}

static void on_end (void *ctx, dcr_mime_part const *pt)
{
  policy *po = ctx ;
  unsigned int d = pt->depth ;
  if (!po->skip[d] && !pt->multipart && !pt->message)
  {
    if (po->text && po->linelen) textline(po, pt) ;
    po->text = 0 ;
    if (po->zip) zipend(po, pt) ;
  }
  if (po->pending[d])
  {
    removal x = { .from = pt->hdr_off, .to = pt->end_off, .text = po->pending[d] - 1 } ;
    if (!genalloc_append(removal, &po->removals, &x)) nomem() ;
    po->pending[d] = 0 ;
  }
}

dcr_mime_events const policy_events = { &on_begin, &on_data, &on_end } ;

void policy_init (policy *po, rules const *r, char const *id)
{
  memset(po, 0, sizeof *po) ;
  po->r = r ;
  po->id = id ;
  po->zipfd = -1 ;
  po->done = calloc(rules_n(r) + 1, 1) ;
  if (!po->done) nomem() ;
}

void policy_finish (policy *po, dcr_mime const *p)
{
  static char const *const what[] = { "a multipart without a boundary", "a multipart not closed", "a nested boundary equal to an enclosing one", "bad base64", "the input ends inside a part header", "bad quoted-printable", "a part header with two Content-Type, Content-Disposition or Content-Transfer-Encoding fields" } ;
  if (p->err)
  {
    char fmt[UINT64_FMT] ;
    stralloc *reply = &po->said.reply ;
    char const *detail = p->err == DCR_MIME_EPARTS ? "parts" : p->err == DCR_MIME_EDEPTH ? "depth" : "header" ;
    fmt[uint64_fmt(fmt, p->err == DCR_MIME_EPARTS ? p->lim.max_parts : p->err == DCR_MIME_EDEPTH ? p->lim.max_depth : p->lim.max_header)] = 0 ;
    reply->len = 0 ;
    if (!stralloc_cats(reply, p->err == DCR_MIME_EPARTS ? "5.7.1 too many MIME parts (more than " : p->err == DCR_MIME_EDEPTH ? "5.7.1 MIME nesting too deep (more than " : "5.7.1 a MIME part header is too large (more than ")
     || !stralloc_cats(reply, fmt) || !stralloc_cats(reply, p->err == DCR_MIME_EDEPTH ? " levels)" : p->err == DCR_MIME_EPARTS ? ")" : " octets)") || !stralloc_0(reply)) nomem() ;
    dcr_log("event", "mime-reject", "id", po->id, "reason", "limit", "detail", detail, "limit", fmt, (char *)0) ;
    dcr_filter_refuse(100, reply->s) ;
  }
  if (p->malformed)
  {
    stralloc *sa = &po->malformed ;
    sa->len = 0 ;
    for (unsigned int i = 0 ; i < sizeof what / sizeof *what ; i++)
      if (p->malformed & (1u << i))
        if ((sa->len && !stralloc_cats(sa, ", ")) || !stralloc_cats(sa, what[i])) nomem() ;
    if (!stralloc_0(sa)) nomem() ;
    dcr_log("event", "mime-malformed", "id", po->id, "detail", sa->s, (char *)0) ;
    each(po, K_MALFORMED, 0, sa->s) ;
  }
}

void policy_free (policy *po)
{
  free(po->done) ;
  po->done = 0 ;
  stralloc_free(&po->texts) ;
  stralloc_free(&po->tags) ;
  genalloc_free(removal, &po->removals) ;
  stralloc_free(&po->said.shown) ;
  stralloc_free(&po->said.detail) ;
  stralloc_free(&po->said.reason) ;
  stralloc_free(&po->said.reply) ;
  stralloc_free(&po->malformed) ;
  if (po->zipfd >= 0) close(po->zipfd) ;
  po->zipfd = -1 ;
}
