/* ISC license. */

#include <string.h>

#include <bearssl.h>
#include <skalibs/types.h>
#include <skalibs/genalloc.h>

#include <dcr/header.h>
#include <dcr/base64.h>

#include "canon.h"
#include "sign.h"

#define FOLDAT 78

/* the fields of the section, in order */
static int fields (genalloc *g, char const *hdr, size_t hdrlen)
{
  size_t pos = 0 ;
  dcr_field f ;
  genalloc_setlen(dcr_field, g, 0) ;
  while (dcr_header_next(hdr, hdrlen, &pos, &f))
    if (!genalloc_append(dcr_field, g, &f)) return 0 ;
  return 1 ;
}

static int samename (char const *hdr, dcr_field const *f, char const *name, size_t n)
{
  if (f->namelen != n) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char a = hdr[f->off + i], b = name[i] ;
    if (a >= 'A' && a <= 'Z') a += 32 ;
    if (b >= 'A' && b <= 'Z') b += 32 ;
    if (a != b) return 0 ;
  }
  return 1 ;
}

/* the next name of a ':' list at *pos: its start and length, or 0 */
static size_t nextname (char const *names, size_t *pos, char const **name)
{
  size_t p = *pos, n ;
  while (names[p] == ':' || names[p] == ' ') p++ ;
  *name = names + p ;
  for (n = 0 ; names[p + n] && names[p + n] != ':' && names[p + n] != ' ' ; n++) ;
  *pos = p + n ;
  return n ;
}

/* an earlier name of the list, the same as this one */
static int seen (char const *names, char const *name, size_t n)
{
  size_t pos = 0, m ;
  char const *o ;
  while ((m = nextname(names, &pos, &o)))
  {
    if (o == name) return 0 ;
    if (m == n && !strncasecmp(o, name, n)) return 1 ;
  }
  return 0 ;
}

/* Walk the list: for each name, every instance present from the last
   up (RFC 6376 5.4.2), plus a null one for From. Each entry's name goes
   to hl (lowercase, one element per entry, NUL-separated) and, when
   canon is set, the instance's canonical form to canon. */
static int walk (stralloc *hl, stralloc *canon, int relaxed, char const *names, char const *hdr, size_t hdrlen, genalloc *g)
{
  dcr_field const *f ;
  size_t nf, pos = 0, n ;
  char const *name ;
  if (!fields(g, hdr, hdrlen)) return 0 ;
  f = genalloc_s(dcr_field, g) ;
  nf = genalloc_len(dcr_field, g) ;
  while ((n = nextname(names, &pos, &name)))
  {
    size_t k = 0 ;
    if (seen(names, name, n)) continue ;
    for (size_t i = nf ; i-- ; )
    {
      if (!samename(hdr, f + i, name, n)) continue ;
      k++ ;
      if (canon && !dkim_header_canon(canon, hdr + f[i].off, f[i].len, f[i].namelen, relaxed, 0)) return 0 ;
    }
    if (n == 4 && !strncasecmp(name, "from", 4)) k++ ;   /* oversigned */
    while (k--)
    {
      if (!stralloc_readyplus(hl, n + 1)) return 0 ;
      for (size_t i = 0 ; i < n ; i++) hl->s[hl->len++] = name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i] ;
      hl->s[hl->len++] = 0 ;
    }
  }
  return 1 ;
}

int dkim_hlist (stralloc *out, char const *names, char const *hdr, size_t hdrlen)
{
  stralloc hl = STRALLOC_ZERO ;
  genalloc g = GENALLOC_ZERO ;
  int ok = walk(&hl, 0, 0, names, hdr, hdrlen, &g) ;
  for (size_t i = 0 ; ok && i < hl.len ; i++)
    if (!stralloc_catb(out, hl.s[i] ? hl.s + i : ":", 1)) ok = 0 ;
  if (ok && hl.len) out->len-- ;   /* the last separator */
  stralloc_free(&hl) ;
  genalloc_free(dcr_field, &g) ;
  return ok ;
}

 /* folding: a word goes on the line if it fits, else on a new line */

typedef struct fold_s fold ;
struct fold_s { stralloc *sa ; size_t col ; } ;

static int word (fold *w, char const *s, size_t n, int space)
{
  if (w->col + space + n > FOLDAT)
  {
    if (!stralloc_catb(w->sa, "\n\t", 2)) return 0 ;
    w->col = 8 ;
  }
  else if (space)
  {
    if (!stralloc_catb(w->sa, " ", 1)) return 0 ;
    w->col++ ;
  }
  w->col += n ;
  return stralloc_catb(w->sa, s, n) ;
}

static int tag (fold *w, char const *k, char const *v)
{
  char buf[512] ;
  size_t kn = strlen(k), vn = strlen(v) ;
  if (kn + vn + 2 > sizeof buf) return 0 ;
  memcpy(buf, k, kn) ; buf[kn] = '=' ;
  memcpy(buf + kn + 1, v, vn) ; buf[kn + vn + 1] = ';' ;
  return word(w, buf, kn + vn + 2, w->col > 16) ;
}

/* base64 text broken wherever the line is full (FWS is allowed
   anywhere in it, RFC 6376 3.5) */
static int b64 (fold *w, char const *s, size_t n)
{
  while (n)
  {
    size_t room = w->col < FOLDAT ? FOLDAT - w->col : 0, k = n < room ? n : room ;
    if (!k) { if (!stralloc_catb(w->sa, "\n\t", 2)) return 0 ; w->col = 8 ; continue ; }
    if (!stralloc_catb(w->sa, s, k)) return 0 ;
    w->col += k ; s += k ; n -= k ;
  }
  return 1 ;
}

int dkim_sign (stralloc *out, dkim_sig const *p, char const *hdr, size_t hdrlen, unsigned char const *bh, br_rsa_private_key const *sk)
{
  stralloc hl = STRALLOC_ZERO, canon = STRALLOC_ZERO ;
  genalloc g = GENALLOC_ZERO ;
  fold w = { .sa = out, .col = 0 } ;
  size_t start = out->len, i, first = 1 ;
  unsigned char hash[32], sig[512] ;
  char num[UINT64_FMT], text[700] ;
  size_t siglen = (sk->n_bitlen + 7) >> 3 ;
  br_sha256_context sha ;
  int r = 0 ;

  if (siglen > sizeof sig) return -1 ;
  if (!walk(&hl, &canon, p->hrelaxed, p->names, hdr, hdrlen, &g)) goto end ;

  if (!stralloc_cats(out, "DKIM-Signature:")) goto end ;
  w.col = 15 ;
  if (!word(&w, "v=1;", 4, 1) || !tag(&w, "a", "rsa-sha256")
   || !tag(&w, "c", p->hrelaxed ? (p->brelaxed ? "relaxed/relaxed" : "relaxed/simple") : (p->brelaxed ? "simple/relaxed" : "simple/simple"))
   || !tag(&w, "d", p->domain) || !tag(&w, "s", p->selector)) goto end ;
  num[uint64_fmt(num, p->t)] = 0 ;
  if (!tag(&w, "t", num)) goto end ;
  if (p->x)
  {
    num[uint64_fmt(num, p->x)] = 0 ;
    if (!tag(&w, "x", num)) goto end ;
  }
  /* h=: a fold may come after any ':' */
  for (i = 0 ; i < hl.len ; i += strlen(hl.s + i) + 1)
  {
    char item[260] ;
    size_t n = strlen(hl.s + i) ;
    int last = i + n + 1 >= hl.len ;
    if (n + 4 > sizeof item) goto end ;
    if (first) { memcpy(item, "h=", 2) ; memcpy(item + 2, hl.s + i, n) ; n += 2 ; }
    else memcpy(item, hl.s + i, n) ;
    item[n++] = last ? ';' : ':' ;
    if (!word(&w, item, n, first)) goto end ;
    first = 0 ;
  }
  {
    size_t n = dcr_base64_encode(text, (char const *)bh, 32) ;
    text[n] = 0 ;
    if (!tag(&w, "bh", text)) goto end ;
  }
  if (!stralloc_cats(out, "\n\tb=")) goto end ;
  w.col = 10 ;

  /* the field as written, b= empty, ends the hashed data (3.7) */
  if (!dkim_header_canon(&canon, out->s + start, out->len - start, 14, p->hrelaxed, 1)) goto end ;
  br_sha256_init(&sha) ;
  br_sha256_update(&sha, canon.s, canon.len) ;
  br_sha256_out(&sha, hash) ;
  if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash, sizeof hash, sk, sig)) { r = -1 ; goto end ; }
  {
    size_t n = dcr_base64_encode(text, (char const *)sig, siglen) ;
    if (!b64(&w, text, n) || !stralloc_catb(out, "\n", 1)) goto end ;
  }
  r = 1 ;
 end:
  if (r <= 0) out->len = start ;
  stralloc_free(&hl) ;
  stralloc_free(&canon) ;
  genalloc_free(dcr_field, &g) ;
  return r ;
}
