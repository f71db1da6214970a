/* ISC license. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include <dcr/header.h>
#include <dcr/mime.h>

#include "mimechar.h"
#include "mimeent.h"

/* The input is cut into lines. A line of at most LBUF octets (its LF
   included) is a candidate delimiter line and is seen whole; a longer
   one is passed on in pieces, the first one always its first LBUF
   octets, so that what is decided never depends on how the input was
   chunked (fuzz-mime checks it). The newline that ends a body line is
   held back until the next line is known not to be a delimiter: the
   newline before a delimiter is the delimiter's (RFC 2046 5.1.1). */

#define LBUF (DCR_MIME_LINEMAX + 2)


 /* Part headers */

static void parse_header (dcr_mime *p, dcr_mime_ent *e, stralloc *tmp)
{
  dcr_mime_part *pt = &e->part ;
  size_t pos = 0 ;
  dcr_field f ;
  int havetype = 0, havedisp = 0, havecte = 0 ;
  while (dcr_header_next(p->hdr.s, p->hdr.len, &pos, &f))
  {
    int ct = dcr_header_is(p->hdr.s, &f, "Content-Type"), cd = 0, cte = 0 ;
    if (!ct) cd = dcr_header_is(p->hdr.s, &f, "Content-Disposition") ;
    if (!ct && !cd) cte = dcr_header_is(p->hdr.s, &f, "Content-Transfer-Encoding") ;
    if (!ct && !cd && !cte) continue ;
    if ((ct && havetype) || (cd && havedisp) || (cte && havecte))
    {
      /* readers differ on which one counts: the first does here, and it is malformed */
      e->part.malformed |= DCR_MIME_MDUPLICATE ; p->malformed |= DCR_MIME_MDUPLICATE ;
      continue ;
    }
    tmp->len = 0 ;
    if (!dcr_header_unfold(p->hdr.s, &f, tmp)) continue ;   /* out of memory: the field is ignored */
    if (ct)
    {
      char t[DCR_MIME_TYPEMAX] ;
      size_t k = dcr_mime_token(tmp->s, tmp->len, t, sizeof t, 1) ;
      char *slash = memchr(t, '/', k) ;
      havetype = 1 ;
      if (slash && slash > t && slash[1]) memcpy(pt->type, t, k + 1) ;
      if (dcr_mime_param(tmp->s, tmp->len, "charset", pt->charset, sizeof pt->charset))
        for (char *c = pt->charset ; *c ; c++) *c = lower(*c) ;
      dcr_mime_param(tmp->s, tmp->len, "name", pt->name, sizeof pt->name) ;
      if (!strncmp(pt->type, "multipart/", 10))
      {
        char b[DCR_MIME_BOUNDMAX + 2] ;
        if (dcr_mime_param_raw(tmp->s, tmp->len, "boundary", b, sizeof b) && b[0] && strlen(b) <= DCR_MIME_BOUNDMAX)
        {
          e->blen = strlen(b) ;
          memcpy(e->boundary, b, e->blen + 1) ;
        }
      }
    }
    else if (cd)
    {
      havedisp = 1 ;
      dcr_mime_token(tmp->s, tmp->len, pt->disposition, sizeof pt->disposition, 0) ;
      dcr_mime_param(tmp->s, tmp->len, "filename", pt->filename, sizeof pt->filename) ;
    }
    else
    {
      char t[32] ;
      havecte = 1 ;
      dcr_mime_token(tmp->s, tmp->len, t, sizeof t, 0) ;
      pt->cte = !strcmp(t, "7bit") ? DCR_MIME_7BIT : !strcmp(t, "8bit") ? DCR_MIME_8BIT
        : !strcmp(t, "binary") ? DCR_MIME_BINARY : !strcmp(t, "base64") ? DCR_MIME_BASE64
        : !strcmp(t, "quoted-printable") ? DCR_MIME_QP : DCR_MIME_CTE_OTHER ;
    }
  }
}


/* body octets of a leaf: the held newline goes first, a trailing one is held */
static void bodybytes (dcr_mime *p, dcr_mime_ent *e, char const *s, size_t n)
{
  size_t h = 0 ;
  if (p->heldlen == 1 && p->held[0] == '\r' && n == 1 && s[0] == '\n')
  {
    p->held[1] = '\n' ; p->heldlen = 2 ;
    return ;
  }
  if (!n) return ;
  if (p->heldlen) mime_bodydata(p, e, p->held, p->heldlen) ;
  p->heldlen = 0 ;
  if (s[n-1] == '\n') h = n >= 2 && s[n-2] == '\r' ? 2 : 1 ;
  else if (s[n-1] == '\r') h = 1 ;
  mime_bodydata(p, e, s, n - h) ;
  memcpy(p->held, s + n - h, h) ;
  p->heldlen = h ;
}


 /* Entities: push, begin, end */

static dcr_mime_ent *push (dcr_mime *p, uint64_t hdr_off)
{
  dcr_mime_ent *parent = &p->stack[p->top], *e ;
  if (p->top + 1 > p->lim.max_depth) { p->err = DCR_MIME_EDEPTH ; return 0 ; }
  if (p->nparts + 1 > p->lim.max_parts) { p->err = DCR_MIME_EPARTS ; return 0 ; }
  e = &p->stack[++p->top] ;
  memset(e, 0, sizeof *e - sizeof e->out - sizeof e->outlen) ;
  e->outlen = 0 ;
  e->part.index = ++p->nparts ;
  e->part.depth = p->top ;
  e->part.parent = parent->part.index ;
  e->part.hdr_off = e->part.body_off = e->part.end_off = hdr_off ;
  strcpy(e->part.type, parent->digest ? "message/rfc822" : "text/plain") ;
  e->mode = M_HEADER ;
  p->hdr.len = 0 ;
  p->heldlen = 0 ;
  return e ;
}

/* the header of the top entity is complete: body_off is where its body starts */
static void begin (dcr_mime *p, uint64_t body_off)
{
  dcr_mime_ent *e = &p->stack[p->top] ;
  parse_header(p, e, &p->tmp) ;
  e->part.body_off = e->part.end_off = body_off ;
  e->mode = M_BODY ;
  if (!strncmp(e->part.type, "multipart/", 10))
  {
    unsigned int i ;
    if (!e->blen) mime_bad(e, p, DCR_MIME_MNOBOUNDARY) ;
    else
    {
      for (i = 0 ; i < p->top ; i++)
        if (p->stack[i].part.multipart && p->stack[i].blen == e->blen && !memcmp(p->stack[i].boundary, e->boundary, e->blen)) break ;
      if (i < p->top) { mime_bad(e, p, DCR_MIME_MSAMEBOUNDARY) ; e->blen = 0 ; }
      else
      {
        e->part.multipart = 1 ;
        e->mode = M_PREAMBLE ;
        e->digest = !strcmp(e->part.type, "multipart/digest") ;
      }
    }
  }
  else if (!strcmp(e->part.type, "message/rfc822") && e->part.cte <= DCR_MIME_BINARY)
    e->part.message = 1 ;
  if (p->ev.begin) p->ev.begin(p->ctx, &e->part) ;
  if (e->part.message)
  {
    e->mode = M_CHILD ;
    push(p, body_off) ;
  }
}

/* the top entity ends at end_off */
static void end (dcr_mime *p, uint64_t end_off)
{
  dcr_mime_ent *e = &p->stack[p->top] ;
  if (e->mode == M_HEADER)
  {
    if (e->part.depth && p->hdr.len) mime_bad(e, p, DCR_MIME_MHEADER) ;
    begin(p, end_off) ;
    if (p->err) return ;
    if (e->part.message) { end(p, end_off) ; if (p->err) return ; }
  }
  if (e->part.multipart && e->mode != M_EPILOGUE) mime_bad(e, p, DCR_MIME_MNOCLOSE) ;
  if (e->mode == M_BODY) mime_decoder_end(p, e) ;
  e->part.end_off = end_off > e->part.body_off ? end_off : e->part.body_off ;
  if (p->ev.end) p->ev.end(p->ctx, &e->part) ;
  if (p->top) p->top-- ;
}


 /* Lines */

static int fieldstart (char const *s, size_t n)
{
  size_t i = 0 ;
  while (i < n && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127 && s[i] != ':') i++ ;
  if (!i) return 0 ;
  while (i < n && isblank_(s[i])) i++ ;
  return i < n && s[i] == ':' ;
}

/* octets of a line (whole, or a piece of a long one; first: its start) */
static void content (dcr_mime *p, char const *s, size_t n, uint64_t start, int first)
{
  dcr_mime_ent *e = &p->stack[p->top] ;
  switch (e->mode)
  {
    case M_HEADER :
      if (first && ((n == 1 && s[0] == '\n') || (n == 2 && s[0] == '\r' && s[1] == '\n')))
      {
        begin(p, start + n) ;
        return ;
      }
      if (first && !(p->hdr.len && isblank_(s[0])) && !fieldstart(s, n))
      {
        /* not a field: the header ends, this line is the body's first */
        begin(p, start) ;
        if (!p->err) content(p, s, n, start, first) ;
        return ;
      }
      if (p->hdr.len + n > (e->part.depth || p->lim.max_header > DCR_HEADER_MAX ? p->lim.max_header : DCR_HEADER_MAX)) { p->err = DCR_MIME_EHEADER ; return ; }
      if (!stralloc_catb(&p->hdr, s, n)) { p->err = DCR_MIME_EHEADER ; return ; }
      return ;
    case M_BODY :
      bodybytes(p, e, s, n) ;
      return ;
    default :   /* preamble, epilogue: not passed on */
      p->heldlen = 0 ;
      return ;
  }
}

/* the index of the entity whose delimiter s is, or -1 */
static int delimiter (dcr_mime *p, char const *s, size_t n, int *close)
{
  unsigned int i = p->top + 1 ;
  if (n < 3 || s[0] != '-' || s[1] != '-') return -1 ;
  while (i--)
  {
    dcr_mime_ent *e = &p->stack[i] ;
    size_t j ;
    int c = 0 ;
    if (!e->part.multipart || (e->mode != M_PREAMBLE && e->mode != M_CHILD)) continue ;
    if (n - 2 < e->blen || memcmp(s + 2, e->boundary, e->blen)) continue ;
    j = 2 + e->blen ;
    if (j + 1 < n && s[j] == '-' && s[j+1] == '-') { c = 1 ; j += 2 ; }
    while (j < n && (isblank_(s[j]) || s[j] == '\r')) j++ ;
    if (j == n || (j + 1 == n && s[j] == '\n')) { *close = c ; return (int)i ; }
  }
  return -1 ;
}

static void ondelimiter (dcr_mime *p, unsigned int k, int close, uint64_t start, uint64_t next)
{
  uint64_t bodyend = start - p->heldlen ;
  /* a part ended by a delimiter before its header ended: the header's last newline is the delimiter's */
  if (p->stack[p->top].mode == M_HEADER && p->hdr.len && p->hdr.s[p->hdr.len - 1] == '\n') bodyend = start - 1 ;
  while (p->top > k)
  {
    end(p, bodyend) ;
    if (p->err) return ;
  }
  p->heldlen = 0 ;
  if (close) p->stack[k].mode = M_EPILOGUE ;
  else
  {
    p->stack[k].mode = M_CHILD ;
    push(p, next) ;
  }
}

static void fullline (dcr_mime *p, char const *s, size_t n, uint64_t start)
{
  int close, k = delimiter(p, s, n, &close) ;
  if (k >= 0) ondelimiter(p, k, close, start, start + n) ;
  else content(p, s, n, start, 1) ;
}

int dcr_mime_feed (dcr_mime *p, char const *s, size_t n)
{
  while (n && !p->err && !p->finished)
  {
    char const *nl ;
    size_t k ;
    if (p->longline)
    {
      nl = memchr(s, '\n', n) ;
      k = nl ? (size_t)(nl - s) + 1 : n ;
      content(p, s, k, p->off, 0) ;
      if (nl) p->longline = 0 ;
    }
    else
    {
      nl = memchr(s, '\n', n) ;
      k = nl ? (size_t)(nl - s) + 1 : n ;
      if (!p->linelen) p->lstart = p->off ;
      if (p->linelen + k <= LBUF)
      {
        if (nl && !p->linelen) fullline(p, s, k, p->off) ;
        else
        {
          memcpy(p->line + p->linelen, s, k) ;
          p->linelen += k ;
          if (nl) { fullline(p, p->line, p->linelen, p->lstart) ; p->linelen = 0 ; }
        }
      }
      else
      {
        /* too long for a delimiter: its first LBUF octets, then pieces */
        k = LBUF - p->linelen ;
        memcpy(p->line + p->linelen, s, k) ;
        content(p, p->line, LBUF, p->lstart, 1) ;
        p->linelen = 0 ;
        p->longline = 1 ;
      }
    }
    p->off += k ; s += k ; n -= k ;
  }
  return !p->err ;
}

int dcr_mime_finish (dcr_mime *p)
{
  if (p->err || p->finished) return !p->err ;
  if (p->linelen) { fullline(p, p->line, p->linelen, p->lstart) ; p->linelen = 0 ; }
  p->finished = 1 ;
  /* what is held is the body's at the end of the input */
  if (!p->err && p->stack[p->top].mode == M_BODY && p->heldlen)
  {
    char h[2] ; size_t n = p->heldlen ;
    memcpy(h, p->held, n) ;
    p->heldlen = 0 ;
    mime_bodydata(p, &p->stack[p->top], h, n) ;
  }
  while (!p->err)
  {
    unsigned int top = p->top ;
    end(p, p->off) ;
    if (!top) break ;
  }
  return !p->err ;
}

int dcr_mime_init (dcr_mime *p, dcr_mime_limits const *lim, dcr_mime_events const *ev, void *ctx)
{
  static dcr_mime_limits const deflim = DCR_MIME_LIMITS_DEFAULT ;
  memset(p, 0, sizeof *p) ;
  p->lim = lim ? *lim : deflim ;
  if (p->lim.max_depth > DCR_MIME_DEPTH_MAX) p->lim.max_depth = DCR_MIME_DEPTH_MAX ;
  if (ev) p->ev = *ev ;
  p->ctx = ctx ;
  p->stack = malloc((p->lim.max_depth + 1) * sizeof(dcr_mime_ent)) ;
  if (!p->stack) return 0 ;
  memset(&p->stack[0], 0, sizeof(dcr_mime_ent)) ;
  strcpy(p->stack[0].part.type, "text/plain") ;
  p->stack[0].mode = M_HEADER ;
  return 1 ;
}

void dcr_mime_free (dcr_mime *p)
{
  free(p->stack) ;
  p->stack = 0 ;
  stralloc_free(&p->hdr) ;
  stralloc_free(&p->tmp) ;
}
