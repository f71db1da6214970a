/* ISC license. */

#include <errno.h>
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
        memcpy(name, br_pem_decoder_name(&pc), nl) ; name[nl] = 0 ;
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
