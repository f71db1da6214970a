/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>
#include <skalibs/stralloc.h>

#include <dcr/log.h>
#include "tlsd.h"

/* Which files for a server name: DIR/NAME.pem, then DIR/"*.PARENT".pem
   (a wildcard covers one label, as in certificates), then the default
   (-c/-k, or DIR/default.pem). The key is DIR/X.key when it exists,
   else in the .pem itself. A name that is not a plain host name never
   becomes a path. */

static int plainname (char const *s, size_t len)
{
  if (!len || len > 253 || s[0] == '.' || s[0] == '-') return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) return 0 ;
    if (c == '.' && s[i+1] == '.') return 0 ;
  }
  return 1 ;
}

/* 1 loaded, 0 not there (ENOENT), -1 there but unusable */
static int trydir (certpolicy *p, char const *dir, char const *stem, size_t stemlen)
{
  size_t dlen = strlen(dir) ;
  char pem[dlen + stemlen + 6], key[dlen + stemlen + 6] ;
  char const *why = 0 ;
  memcpy(pem, dir, dlen) ; pem[dlen] = '/' ;
  memcpy(pem + dlen + 1, stem, stemlen) ;
  memcpy(key, pem, dlen + 1 + stemlen) ;
  memcpy(pem + dlen + 1 + stemlen, ".pem", 5) ;
  memcpy(key + dlen + 1 + stemlen, ".key", 5) ;
  char const *keyfile ;
  if (access(pem, F_OK) < 0) return 0 ;
  keyfile = access(key, F_OK) < 0 ? pem : key ;
  if (dcr_tlscert_load(&p->cert, pem, keyfile, &why)) return 1 ;
  dcr_log("event", "tls-cert-error", "file", pem, "keyfile", keyfile, "error", why ? why : strerror(errno), (char *)0) ;
  return -1 ;
}

static int load (certpolicy *p, char const *name)
{
  tlsd_conf const *c = p->conf ;
  char lower[256] ;
  size_t len = strlen(name) ;
  if (len >= sizeof lower) len = 0 ;
  for (size_t i = 0 ; i < len ; i++) lower[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i] ;
  lower[len] = 0 ;
  if (c->certdir && plainname(lower, len))
  {
    char const *dot = memchr(lower, '.', len) ;
    int r = trydir(p, c->certdir, lower, len) ;
    if (r) return r > 0 ;
    if (dot && dot[1])
    {
      size_t plen = len - (dot - lower) ;
      char wild[plen + 2] ;
      wild[0] = '*' ; memcpy(wild + 1, dot, plen) ;
      r = trydir(p, c->certdir, wild, plen + 1) ;
      if (r) return r > 0 ;
    }
  }
  if (c->certfile)
  {
    char const *why = 0 ;
    char const *keyfile = c->keyfile ? c->keyfile : c->certfile ;
    if (dcr_tlscert_load(&p->cert, c->certfile, keyfile, &why)) return 1 ;
    dcr_log("event", "tls-cert-error", "file", c->certfile, "keyfile", keyfile, "error", why ? why : strerror(errno), (char *)0) ;
    return 0 ;
  }
  if (c->certdir && trydir(p, c->certdir, "default", 7) > 0) return 1 ;
  dcr_log("event", "tls-no-cert", "ip", c->remoteip, "sni", len ? lower : "none", (char *)0) ;
  return 0 ;
}

/* the first hash of TLS 1.2 the client takes for this key type */
static unsigned int pickhash (unsigned int mask)
{
  static unsigned char const order[] = { br_sha256_ID, br_sha384_ID, br_sha512_ID, br_sha224_ID } ;
  for (size_t i = 0 ; i < sizeof order ; i++) if (mask & (1u << order[i])) return order[i] ;
  return 0 ;
}

static int choose (br_ssl_server_policy_class const **pctx, br_ssl_server_context const *cc, br_ssl_server_choices *choices)
{
  certpolicy *p = (certpolicy *)pctx ;
  br_suite_translated const *st ;
  size_t n ;
  unsigned int want, hash ;
  uint32_t hashes = br_ssl_server_get_client_hashes(cc) ;
  if (!load(p, br_ssl_engine_get_server_name(&cc->eng))) return 0 ;
  want = p->cert.keytype == BR_KEYTYPE_RSA ? BR_SSLKEYX_ECDHE_RSA : BR_SSLKEYX_ECDHE_ECDSA ;
  hash = pickhash(p->cert.keytype == BR_KEYTYPE_RSA ? hashes & 0xff : (hashes >> 8) & 0xff) ;
  if (!hash) return 0 ;
  st = br_ssl_server_get_client_suites(cc, &n) ;
  for (size_t i = 0 ; i < n ; i++) if ((st[i][1] >> 12) == want)
  {
    choices->cipher_suite = st[i][0] ;
    choices->algo_id = 0xff00 + hash ;   /* the engine hashes, we sign */
    choices->chain = p->cert.chain ;
    choices->chain_len = p->cert.chainlen ;
    return 1 ;
  }
  return 0 ;
}

static uint32_t do_keyx (br_ssl_server_policy_class const **pctx, unsigned char *data, size_t *len)
{
  (void)pctx ; (void)data ; (void)len ;
  return 0 ;   /* ECDHE suites only: never called */
}

static br_hash_class const *hashclass (unsigned int id)
{
  switch (id)
  {
    case br_sha224_ID : return &br_sha224_vtable ;
    case br_sha256_ID : return &br_sha256_vtable ;
    case br_sha384_ID : return &br_sha384_vtable ;
    case br_sha512_ID : return &br_sha512_vtable ;
    default : return 0 ;
  }
}

static unsigned char const *hashoid (unsigned int id)
{
  switch (id)
  {
    case br_sha224_ID : return BR_HASH_OID_SHA224 ;
    case br_sha256_ID : return BR_HASH_OID_SHA256 ;
    case br_sha384_ID : return BR_HASH_OID_SHA384 ;
    case br_sha512_ID : return BR_HASH_OID_SHA512 ;
    default : return 0 ;
  }
}

static size_t do_sign (br_ssl_server_policy_class const **pctx, unsigned int algo, unsigned char *data, size_t hvlen, size_t len)
{
  certpolicy *p = (certpolicy *)pctx ;
  algo &= 0xff ;
  if (p->cert.keytype == BR_KEYTYPE_RSA)
  {
    br_rsa_private_key const *sk = br_skey_decoder_get_rsa(&p->cert.key) ;
    size_t siglen = (sk->n_bitlen + 7) >> 3 ;
    unsigned char const *oid = hashoid(algo) ;
    unsigned char hv[64] ;   /* the padding is built where the hash lies */
    if (!oid || siglen > len || hvlen > sizeof hv) return 0 ;
    memcpy(hv, data, hvlen) ;
    return br_rsa_pkcs1_sign_get_default()(oid, hv, hvlen, sk, data) ? siglen : 0 ;
  }
  else
  {
    br_hash_class const *hc = hashclass(algo) ;
    unsigned char sig[160] ;
    size_t siglen ;
    if (!hc) return 0 ;
    siglen = br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), hc, data, br_skey_decoder_get_ec(&p->cert.key), sig) ;
    if (!siglen || siglen > len) return 0 ;
    memcpy(data, sig, siglen) ;
    return siglen ;
  }
}

static br_ssl_server_policy_class const vtable =
{
  .context_size = sizeof(certpolicy),
  .choose = &choose,
  .do_keyx = &do_keyx,
  .do_sign = &do_sign
} ;

void certpolicy_init (certpolicy *p, tlsd_conf const *conf)
{
  memset(p, 0, sizeof *p) ;
  p->vtable = &vtable ;
  p->conf = conf ;
}
