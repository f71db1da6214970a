/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>

#include <dcr/tls.h>

#define PEM_MAXFILE (4 << 20)   /* a CA bundle is ~200 KB */

typedef struct pemobj_s pemobj ;
struct pemobj_s { stralloc sa ; int nomem ; } ;

static void append (void *ctx, void const *data, size_t len)
{
  pemobj *o = ctx ;
  if (!stralloc_catb(&o->sa, data, len)) o->nomem = 1 ;
}

int dcr_pem_read (char const *file, dcr_pem_cb *cb, void *arg, char const **why)
{
  stralloc text = STRALLOC_ZERO ;
  pemobj obj = { .sa = STRALLOC_ZERO, .nomem = 0 } ;
  br_pem_decoder_context pc ;
  char name[128] ;
  size_t i = 0 ;
  int inobj = 0, ok = 0, n = 0 ;
  *why = 0 ;
  if (!openslurpclose(&text, file)) return 0 ;
  if (text.len > PEM_MAXFILE) { *why = "file too large" ; goto end ; }
  br_pem_decoder_init(&pc) ;
  while (i < text.len)
  {
    i += br_pem_decoder_push(&pc, text.s + i, text.len - i) ;
    switch (br_pem_decoder_event(&pc))
    {
      case BR_PEM_BEGIN_OBJ :
      {
        size_t nl = strlen(br_pem_decoder_name(&pc)) ;
        if (nl >= sizeof name) nl = sizeof name - 1 ;
        memcpy(name, br_pem_decoder_name(&pc), nl) ;
        /* BearSSL 0.6 keeps the closing dashes (and a CR) in the name of
           a "-----BEGIN X-----" line ended by CR LF: a Windows file */
        while (nl && name[nl - 1] == '\r') nl-- ;
        if (nl >= 5 && !memcmp(name + nl - 5, "-----", 5)) nl -= 5 ;
        name[nl] = 0 ;
        obj.sa.len = 0 ;
        br_pem_decoder_setdest(&pc, &append, &obj) ;
        inobj = 1 ;
        break ;
      }
      case BR_PEM_END_OBJ :
        if (!inobj) break ;
        inobj = 0 ;
        if (obj.nomem) { errno = ENOMEM ; goto end ; }
        if (!(*cb)(name, (unsigned char *)obj.sa.s, obj.sa.len, arg)) { if (!*why) *why = "unusable object" ; goto end ; }
        n++ ;
        break ;
      case BR_PEM_ERROR : *why = "malformed PEM" ; goto end ;
      default : break ;
    }
  }
  if (inobj) { *why = "truncated PEM object" ; goto end ; }
  if (!n) { *why = "no PEM object" ; goto end ; }
  ok = 1 ;
 end:
  /* a key file's text and DER are key material: wiped, not just freed */
  if (obj.sa.s) explicit_bzero(obj.sa.s, obj.sa.a) ;
  if (text.s) explicit_bzero(text.s, text.a) ;
  explicit_bzero(&pc, sizeof pc) ;
  stralloc_free(&obj.sa) ;
  stralloc_free(&text) ;
  return ok ;
}

/* certificates into der, offsets noted in chain[].data until the end */
typedef struct loadstate_s loadstate ;
struct loadstate_s
{
  dcr_tlscert *c ;
  int wantkey ;
  int gotkey ;
  char const **why ;
} ;

static int iscert (char const *name)
{
  return !strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE") ;
}

static int iskey (char const *name)
{
  return !strcmp(name, "PRIVATE KEY") || !strcmp(name, "RSA PRIVATE KEY") || !strcmp(name, "EC PRIVATE KEY") ;
}

static int onobject (char const *name, unsigned char const *der, size_t len, void *arg)
{
  loadstate *st = arg ;
  dcr_tlscert *c = st->c ;
  if (iscert(name) && !st->wantkey)
  {
    if (c->chainlen >= sizeof c->chain / sizeof c->chain[0]) { *st->why = "more than 8 certificates in the chain" ; return 0 ; }
    c->chain[c->chainlen].data = (unsigned char *)(uintptr_t)c->der.len ;
    c->chain[c->chainlen++].data_len = len ;
    if (!stralloc_catb(&c->der, (char const *)der, len)) return 0 ;
  }
  else if (iskey(name) && st->wantkey)
  {
    if (st->gotkey) { *st->why = "more than one private key" ; return 0 ; }
    br_skey_decoder_init(&c->key) ;
    br_skey_decoder_push(&c->key, der, len) ;
    if (br_skey_decoder_last_error(&c->key)) { *st->why = "unreadable private key" ; return 0 ; }
    c->keytype = br_skey_decoder_key_type(&c->key) ;
    st->gotkey = 1 ;
  }
  return 1 ;
}

static int samebytes (unsigned char const *a, size_t alen, unsigned char const *b, size_t blen)
{
  while (alen && !*a) { a++ ; alen-- ; }
  while (blen && !*b) { b++ ; blen-- ; }
  return alen == blen && !memcmp(a, b, alen) ;
}

/* n = p q, big-endian octets (BearSSL 0.6's br_rsa_compute_modulus
   gives 0 for a 4096-bit key: its work area is a word short) */
size_t dcr_rsa_modulus (unsigned char *n, size_t max, br_rsa_private_key const *sk)
{
  uint32_t acc[DCR_RSA_BITS_MAX / 8 + 1] ;
  size_t len = sk->plen + sk->qlen, s = 0 ;
  if (len > max || len > sizeof acc / sizeof acc[0]) return 0 ;
  memset(acc, 0, sizeof acc) ;
  /* acc[k] is the column of weight 256^k */
  for (size_t i = 0 ; i < sk->plen ; i++)
    for (size_t j = 0 ; j < sk->qlen ; j++)
      acc[(sk->plen - 1 - i) + (sk->qlen - 1 - j)] += (uint32_t)sk->p[i] * sk->q[j] ;
  {
    uint64_t carry = 0 ;
    for (size_t k = 0 ; k < len ; k++)
    {
      uint64_t v = acc[k] + carry ;
      n[len - 1 - k] = v & 0xff ;
      carry = v >> 8 ;
    }
  }
  while (s + 1 < len && !n[s]) s++ ;
  memmove(n, n + s, len - s) ;
  return len - s ;
}

int dcr_tlscert_keymatch (dcr_tlscert const *c)
{
  br_x509_decoder_context dc ;
  br_x509_pkey const *pk ;
  int ok = 0 ;
  br_x509_decoder_init(&dc, 0, 0) ;
  br_x509_decoder_push(&dc, c->chain[0].data, c->chain[0].data_len) ;
  pk = br_x509_decoder_get_pkey(&dc) ;
  if (!pk) return 0 ;
  if (c->keytype == BR_KEYTYPE_RSA && pk->key_type == BR_KEYTYPE_RSA)
  {
    br_rsa_private_key const *sk = br_skey_decoder_get_rsa(&c->key) ;
    unsigned char n[1024] ;
    size_t nlen = (sk->n_bitlen + 7) >> 3 ;
    /* the modulus (p times q) names the key; BearSSL 0.6 cannot compute
       e back from every key (br_rsa_compute_pubexp gives 0), so e is
       not compared */
    if (nlen > sizeof n || dcr_rsa_modulus(n, sizeof n, sk) != nlen) return 0 ;
    ok = samebytes(n, nlen, pk->key.rsa.n, pk->key.rsa.nlen) ;
  }
  else if (c->keytype == BR_KEYTYPE_EC && pk->key_type == BR_KEYTYPE_EC)
  {
    br_ec_private_key const *sk = br_skey_decoder_get_ec(&c->key) ;
    br_ec_public_key pub ;
    unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE] ;
    ok = sk->curve == pk->key.ec.curve && br_ec_compute_pub(br_ec_get_default(), &pub, q, sk)
      && pub.qlen == pk->key.ec.qlen && !memcmp(pub.q, pk->key.ec.q, pub.qlen) ;
  }
  return ok ;
}

int dcr_tlscert_load (dcr_tlscert *c, char const *certfile, char const *keyfile, char const **why)
{
  loadstate st = { .c = c, .wantkey = 0, .gotkey = 0, .why = why } ;
  c->der.len = 0 ;
  c->chainlen = 0 ;
  c->keytype = 0 ;
  if (!dcr_pem_read(certfile, &onobject, &st, why)) return 0 ;
  if (!c->chainlen) { *why = "no certificate" ; return 0 ; }
  for (size_t i = 0 ; i < c->chainlen ; i++)
    c->chain[i].data = (unsigned char *)c->der.s + (uintptr_t)c->chain[i].data ;
  st.wantkey = 1 ;
  if (!dcr_pem_read(keyfile, &onobject, &st, why)) return 0 ;
  if (!st.gotkey) { *why = "no private key" ; return 0 ; }
  if (c->keytype != BR_KEYTYPE_RSA && c->keytype != BR_KEYTYPE_EC) { *why = "key is neither RSA nor EC" ; return 0 ; }
  return 1 ;
}

void dcr_tlscert_free (dcr_tlscert *c)
{
  stralloc_free(&c->der) ;
  memset(&c->key, 0, sizeof c->key) ;   /* the key material lives in it */
  c->chainlen = 0 ;
}
