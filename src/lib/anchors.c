/* ISC license. */

#include <string.h>

#include <bearssl.h>
#include <skalibs/stralloc.h>

#include <dcr/tls.h>

/* A trust anchor is a CA's name (DN) and public key. They are stored
   end to end in one stralloc, as offsets while it may still move, and
   turned into pointers once the whole bundle is read. */

typedef struct anchorstate_s anchorstate ;
struct anchorstate_s
{
  dcr_anchors *a ;
  stralloc tas ;      /* br_x509_trust_anchor, with offsets */
  int nomem ;
} ;

static void dn_append (void *ctx, void const *data, size_t len)
{
  anchorstate *st = ctx ;
  if (!stralloc_catb(&st->a->data, data, len)) st->nomem = 1 ;
}

static size_t put (anchorstate *st, void const *data, size_t len)
{
  size_t off = st->a->data.len ;
  if (!stralloc_catb(&st->a->data, data, len)) st->nomem = 1 ;
  return off ;
}

#define OFF(x) ((void *)(uintptr_t)(x))
#define FIX(base, p) ((void *)((base) + (uintptr_t)(p)))

static int oncert (char const *name, unsigned char const *der, size_t len, void *arg)
{
  anchorstate *st = arg ;
  br_x509_decoder_context dc ;
  br_x509_trust_anchor ta ;
  br_x509_pkey const *pk ;
  size_t dnstart = st->a->data.len ;
  if (strcmp(name, "CERTIFICATE") && strcmp(name, "TRUSTED CERTIFICATE")) return 1 ;
  br_x509_decoder_init(&dc, &dn_append, st) ;
  br_x509_decoder_push(&dc, der, len) ;
  pk = br_x509_decoder_get_pkey(&dc) ;
  if (!pk) { st->a->data.len = dnstart ; return 1 ; }   /* unusable: skipped, like OpenSSL */
  memset(&ta, 0, sizeof ta) ;
  ta.dn.data = OFF(dnstart) ;
  ta.dn.len = st->a->data.len - dnstart ;
  ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0 ;
  ta.pkey.key_type = pk->key_type ;
  if (pk->key_type == BR_KEYTYPE_RSA)
  {
    ta.pkey.key.rsa.n = OFF(put(st, pk->key.rsa.n, pk->key.rsa.nlen)) ;
    ta.pkey.key.rsa.nlen = pk->key.rsa.nlen ;
    ta.pkey.key.rsa.e = OFF(put(st, pk->key.rsa.e, pk->key.rsa.elen)) ;
    ta.pkey.key.rsa.elen = pk->key.rsa.elen ;
  }
  else if (pk->key_type == BR_KEYTYPE_EC)
  {
    ta.pkey.key.ec.curve = pk->key.ec.curve ;
    ta.pkey.key.ec.q = OFF(put(st, pk->key.ec.q, pk->key.ec.qlen)) ;
    ta.pkey.key.ec.qlen = pk->key.ec.qlen ;
  }
  else { st->a->data.len = dnstart ; return 1 ; }
  if (!stralloc_catb(&st->tas, (char const *)&ta, sizeof ta)) st->nomem = 1 ;
  return !st->nomem ;
}

int dcr_anchors_load (dcr_anchors *a, char const *file, char const **why)
{
  anchorstate st = { .a = a, .tas = STRALLOC_ZERO, .nomem = 0 } ;
  br_x509_trust_anchor *ta ;
  char *base ;
  a->data.len = 0 ;
  if (!dcr_pem_read(file, &oncert, &st, why)) { stralloc_free(&st.tas) ; return 0 ; }
  ta = (br_x509_trust_anchor *)st.tas.s ;
  a->n = st.tas.len / sizeof *ta ;
  if (!a->n) { *why = "no usable CA certificate" ; stralloc_free(&st.tas) ; return 0 ; }
  base = a->data.s ;
  for (size_t i = 0 ; i < a->n ; i++)
  {
    ta[i].dn.data = FIX(base, ta[i].dn.data) ;
    if (ta[i].pkey.key_type == BR_KEYTYPE_RSA)
    {
      ta[i].pkey.key.rsa.n = FIX(base, ta[i].pkey.key.rsa.n) ;
      ta[i].pkey.key.rsa.e = FIX(base, ta[i].pkey.key.rsa.e) ;
    }
    else ta[i].pkey.key.ec.q = FIX(base, ta[i].pkey.key.ec.q) ;
  }
  a->ta = ta ;   /* the stralloc's memory, now owned by a */
  return 1 ;
}
