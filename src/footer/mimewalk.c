/* ISC license. */

/* The structure dcr-footer needs: the Content-* fields of the message
   and of its parts, and where each part's content starts and ends in
   the file. Multiparts are walked into (mixed, alternative, related,
   parallel), FT_MAXDEPTH deep; others (signed, encrypted, report,
   digest) are opaque: their content is one block. */

#include <string.h>
#include <unistd.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/header.h>

#include "footer.h"

static int ws (char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' ; }
static int tspecial (char c) { return c && strchr("()<>@,;:\\\"/[]?=", c) != 0 ; }

/* a token at *i of v (n): its length, *i after it */
static size_t token (char const *v, size_t n, size_t *i)
{
  size_t s = *i ;
  while (*i < n && !ws(v[*i]) && !tspecial(v[*i]) && (unsigned char)v[*i] > 32) (*i)++ ;
  return *i - s ;
}

static void skip (char const *v, size_t n, size_t *i)
{
  for (;;)
  {
    while (*i < n && ws(v[*i])) (*i)++ ;
    if (*i >= n || v[*i] != '(') return ;
    for (unsigned int depth = 0 ; *i < n ; (*i)++)
    {
      if (v[*i] == '\\') { (*i)++ ; continue ; }
      if (v[*i] == '(') depth++ ;
      else if (v[*i] == ')' && !--depth) { (*i)++ ; break ; }
    }
  }
}

static void lower (char *d, size_t max, char const *s, size_t n)
{
  size_t i = 0 ;
  if (n >= max) n = 0 ;   /* too long to be anything we know */
  for (; i < n ; i++) d[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
  d[i] = 0 ;
}

static int caseis (char const *s, size_t n, char const *w)
{
  size_t k = strlen(w) ;
  if (n != k) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
    if (c != w[i]) return 0 ;
  }
  return 1 ;
}

/* Content-Type: type/subtype *(; attribute=value); v is the raw value
   at offset base of the file */
static int content_type (char const *v, size_t n, size_t base, fpart *p, stralloc *boundary)
{
  size_t i = 0, t, tl, sl ;
  char buf[64] ;
  skip(v, n, &i) ;
  t = i ; tl = token(v, n, &i) ;
  skip(v, n, &i) ;
  if (!tl || i >= n || v[i] != '/') return 1 ;   /* unparsable: p->type stays "" */
  i++ ;
  skip(v, n, &i) ;
  {
    size_t s = i ;
    sl = token(v, n, &i) ;
    if (!sl || tl + sl + 2 > sizeof buf) return 1 ;
    memcpy(buf, v + t, tl) ; buf[tl] = '/' ; memcpy(buf + tl + 1, v + s, sl) ;
    lower(p->type, sizeof p->type, buf, tl + sl + 1) ;
  }
  for (;;)
  {
    size_t a, al, vs, vl ;
    int quoted = 0 ;
    skip(v, n, &i) ;
    if (i >= n || v[i] != ';') break ;
    i++ ;
    skip(v, n, &i) ;
    a = i ; al = token(v, n, &i) ;
    skip(v, n, &i) ;
    if (!al || i >= n || v[i] != '=') break ;
    i++ ;
    skip(v, n, &i) ;
    vs = i ;
    if (i < n && v[i] == '"')
    {
      quoted = 1 ;
      for (i++ ; i < n && v[i] != '"' ; i++) if (v[i] == '\\') i++ ;
      if (i >= n) break ;
      i++ ;
    }
    else token(v, n, &i) ;
    vl = i - vs ;
    if (caseis(v + a, al, "charset"))
    {
      p->csoff = base + vs ; p->cslen = vl ;
      lower(p->charset, sizeof p->charset, v + vs + quoted, vl - 2 * quoted) ;
    }
    else if (caseis(v + a, al, "boundary") && boundary)
    {
      boundary->len = 0 ;
      for (size_t k = vs + quoted ; k < vs + vl - quoted ; k++)
      {
        if (quoted && v[k] == '\\') k++ ;
        if (!stralloc_catb(boundary, v + k, 1)) return 0 ;
      }
    }
  }
  return 1 ;
}

int ft_header (char const *h, size_t len, size_t base, fpart *p, stralloc *boundary)
{
  size_t pos = 0 ;
  dcr_field f ;
  p->ctlen = p->cslen = p->ctelen = 0 ;
  p->type[0] = p->charset[0] = 0 ;
  p->cte = CTE_7BIT ;
  p->attachment = p->mimeversion = 0 ;
  if (boundary) boundary->len = 0 ;
  while (dcr_header_next(h, len, &pos, &f))
  {
    char const *v = h + f.value ;
    if (dcr_header_is(h, &f, "Content-Type"))
    {
      if (p->ctlen) continue ;   /* the first one counts */
      p->ctoff = base + f.off ; p->ctlen = f.len ;
      if (!content_type(v, f.valuelen, base + f.value, p, boundary)) return 0 ;
    }
    else if (dcr_header_is(h, &f, "Content-Transfer-Encoding"))
    {
      size_t i = 0, s, k ;
      if (p->ctelen) continue ;
      p->cteoff = base + f.off ; p->ctelen = f.len ;
      skip(v, f.valuelen, &i) ;
      s = i ; k = token(v, f.valuelen, &i) ;
      p->cte = caseis(v + s, k, "7bit") ? CTE_7BIT : caseis(v + s, k, "8bit") ? CTE_8BIT
        : caseis(v + s, k, "binary") ? CTE_BINARY : caseis(v + s, k, "quoted-printable") ? CTE_QP
        : caseis(v + s, k, "base64") ? CTE_BASE64 : CTE_OTHER ;
    }
    else if (dcr_header_is(h, &f, "Content-Disposition"))
    {
      size_t i = 0, s, k ;
      skip(v, f.valuelen, &i) ;
      s = i ; k = token(v, f.valuelen, &i) ;
      p->attachment = caseis(v + s, k, "attachment") ;
    }
    else if (dcr_header_is(h, &f, "MIME-Version")) p->mimeversion = 1 ;
  }
  p->fields_end = base + pos ;
  return 1 ;
}

 /* The walk: one pass over the file, line by line */

static int transparent (fpart const *p)
{
  return !strcmp(p->type, "multipart/mixed") || !strcmp(p->type, "multipart/alternative")
      || !strcmp(p->type, "multipart/related") || !strcmp(p->type, "multipart/parallel") ;
}

typedef struct walker_s walker ;
struct walker_s
{
  fwalk *w ;
  int stack[FT_MAXDEPTH + 1] ;
  unsigned int depth ;   /* open multiparts */
  int cur ;              /* the part whose content we are in, or -1 */
  int inheader ;         /* collecting a part header */
  stralloc hbuf, bnd ;
} ;

static fpart *P (walker *k, int i) { return genalloc_s(fpart, &k->w->parts) + i ; }

static void ends (walker *k, size_t line)
{
  if (k->cur < 0) return ;
  fpart *p = P(k, k->cur) ;
  p->end = line && line - 1 > p->body ? line - 1 : p->body ;
}

/* the line at offset off (its first n octets in s, whole length len) */
static int line (walker *k, char const *s, size_t n, size_t off, size_t len)
{
  fwalk *w = k->w ;
  if (n >= 2 && s[0] == '-' && s[1] == '-')
  {
    for (unsigned int d = k->depth ; d-- ;)
    {
      char const *b = w->store.s + P(k, k->stack[d])->boundary ;
      size_t bl = strlen(b), i ;
      int close = 0 ;
      if (n < 2 + bl || memcmp(s + 2, b, bl)) continue ;
      i = 2 + bl ;
      if (i + 1 < n && s[i] == '-' && s[i+1] == '-') { close = 1 ; i += 2 ; }
      while (i < n && ws(s[i])) i++ ;
      if (i < n) continue ;   /* "--boundary" followed by more: not a delimiter */
      if (k->inheader) { w->why = "a part header without its empty line" ; return 0 ; }
      ends(k, off) ;
      k->depth = d + 1 ;     /* inner multiparts left open end here */
      if (close)
      {
        fpart *m = P(k, k->stack[d]) ;
        m->closed = 1 ;
        /* the LF before the delimiter is the delimiter's, unless the
           body is empty and that LF ends the header */
        m->closeoff = off > m->body ? off - 1 : off ;
        k->depth = d ;
        k->cur = d ? k->stack[d] : -1 ;   /* its epilogue: still in it, as a part of its parent */
        return 1 ;
      }
      {
        fpart p ;
        memset(&p, 0, sizeof p) ;
        if (genalloc_len(fpart, &w->parts) >= FT_MAXPARTS) { w->why = "too many parts" ; return 0 ; }
        p.parent = k->stack[d] ;
        p.depth = d + 1 ;
        p.hdr = off + len ;
        if (!genalloc_append(fpart, &w->parts, &p)) return -1 ;
        k->cur = genalloc_len(fpart, &w->parts) - 1 ;
        k->inheader = 1 ;
        k->hbuf.len = 0 ;
      }
      return 1 ;
    }
  }
  return 1 ;
}

/* a whole part header is in hbuf: the part's fields, and maybe a walk into it */
static int header_done (walker *k, size_t bodyoff)
{
  fwalk *w = k->w ;
  fpart *p = P(k, k->cur) ;
  if (!ft_header(k->hbuf.s, k->hbuf.len, p->hdr, p, &k->bnd)) return -1 ;
  p->body = p->end = bodyoff ;
  k->inheader = 0 ;
  if (!strncmp(p->type, "multipart/", 10) && transparent(p) && k->bnd.len && k->bnd.len <= FT_BOUNDARYMAX && k->depth < FT_MAXDEPTH)
  {
    p->boundary = w->store.len ;
    p->multipart = 1 ;
    if (!stralloc_catb(&w->store, k->bnd.s, k->bnd.len) || !stralloc_0(&w->store)) return -1 ;
    k->stack[k->depth++] = k->cur ;
    /* its preamble is not a part; its content still runs to its parent's next delimiter */
  }
  return 1 ;
}

int ft_walk (fwalk *w, int fd, size_t size)
{
  walker k = { .w = w, .depth = 1, .cur = -1, .inheader = 0, .hbuf = STRALLOC_ZERO, .bnd = STRALLOC_ZERO } ;
  char buf[65536], first[FT_BOUNDARYMAX + 8] ;
  size_t off, lstart, fn = 0 ;
  fpart *top = P(&k, 0) ;
  int r = -1 ;
  k.stack[0] = 0 ;
  off = lstart = top->body ;
  if (lseek(fd, off, SEEK_SET) < 0) return -1 ;
  for (;;)
  {
    ssize_t got = read(fd, buf, sizeof buf) ;
    if (got < 0) goto out ;
    for (ssize_t i = 0 ; i < got ; i++)
    {
      char c = buf[i] ;
      if (fn < sizeof first) first[fn++] = c ;
      if (k.inheader)
      {
        if (k.hbuf.len >= FT_PARTHDRMAX) { w->why = "a part header over 64 KiB" ; r = 0 ; goto out ; }
        if (!stralloc_catb(&k.hbuf, &c, 1)) goto out ;
      }
      off++ ;
      if (c != '\n') continue ;
      {
        int e = line(&k, first, fn, lstart, off - lstart) ;
        if (e <= 0) { r = e ; goto out ; }
        if (k.inheader && (fn == 1 || (fn == 2 && first[0] == '\r')))
          if (header_done(&k, off) < 0) goto out ;   /* the empty line: the content starts */
      }
      lstart = off ;
      fn = 0 ;
    }
    if (!got) break ;
  }
  if (off > lstart)   /* a last line without LF */
  {
    int e = line(&k, first, fn, lstart, off - lstart) ;
    if (e <= 0) { r = e ; goto out ; }
  }
  if (k.inheader) { w->why = "a part header without its empty line" ; r = 0 ; goto out ; }
  if (k.cur >= 0) P(&k, k.cur)->end = size ;
  r = 1 ;
 out:
  stralloc_free(&k.hbuf) ;
  stralloc_free(&k.bnd) ;
  return r ;
}
