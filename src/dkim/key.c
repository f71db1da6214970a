/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bearssl.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>

#include <dcr/base64.h>

#include <dcr/tls.h>

#include "key.h"

typedef struct loadst_s loadst ;
struct loadst_s { dkim_key *k ; int got ; char const **why ; } ;

static int onobject (char const *name, unsigned char const *der, size_t len, void *arg)
{
  loadst *st = arg ;
  if (!strcmp(name, "EC PRIVATE KEY")) { *st->why = "not an RSA key (an EC key: only rsa-sha256 is made here)" ; return 0 ; }
  if (strcmp(name, "RSA PRIVATE KEY") && strcmp(name, "PRIVATE KEY")) return 1 ;   /* a certificate beside it */
  if (st->got) { *st->why = "more than one private key" ; return 0 ; }
  br_skey_decoder_init(&st->k->dc) ;
  br_skey_decoder_push(&st->k->dc, der, len) ;
  if (br_skey_decoder_last_error(&st->k->dc)) { *st->why = "unreadable private key" ; return 0 ; }
  if (br_skey_decoder_key_type(&st->k->dc) != BR_KEYTYPE_RSA) { *st->why = "not an RSA key (only rsa-sha256 is made here)" ; return 0 ; }
  st->got = 1 ;
  return 1 ;
}

/* The common case, fast: one object as OpenSSL writes it (a BEGIN
   line, base64 lines of a multiple of 4 octets, an END line), decoded
   line by line. BearSSL's PEM decoder costs ~0.2 ms a key here, a tenth
   of a signature. 1: done (st says how); 2: the object was refused
   (st->why says why); 0: not that layout, for dcr_pem_read. */
static int pem_fast (loadst *st, char const *t, size_t len)
{
  static unsigned char der[6144] ;
  char name[32] ;
  size_t i, n = 0, e, le, dlen = 0 ;
  int r = 0 ;
  if (len < 11 || memcmp(t, "-----BEGIN ", 11)) return 0 ;
  for (i = 11 ; i < len && t[i] != '-' && t[i] != '\n' ; i++) if (n < sizeof name - 1) name[n++] = t[i] ; else return 0 ;
  name[n] = 0 ;
  if (len - i < 6 || memcmp(t + i, "-----", 5)) return 0 ;
  i += 5 ;
  if (t[i] == '\r') i++ ;   /* CR LF lines (BearSSL's decoder then keeps "-----" in the name) */
  if (i >= len || t[i++] != '\n') return 0 ;
  for (;;)
  {
    for (e = i ; e < len && t[e] != '\n' ; e++) ;
    if (e == len) return 0 ;
    le = e > i && t[e-1] == '\r' ? e - 1 : e ;
    if (le > i && t[i] == '-') break ;
    if (le - i > 76 || dlen + 57 > sizeof der) goto end ;
    {
      ssize_t d = dcr_base64_decode((char *)der + dlen, t + i, le - i) ;
      if (d < 0) goto end ;
      dlen += d ;
    }
    i = e + 1 ;
  }
  /* the END line names the same object, then only blank lines */
  if (le - i != 14 + n || memcmp(t + i, "-----END ", 9) || memcmp(t + i + 9, name, n) || memcmp(t + le - 5, "-----", 5)) goto end ;
  for (i = e + 1 ; i < len ; i++) if (t[i] != '\n' && t[i] != '\r' && t[i] != ' ') goto end ;
  r = 1 ;
  if (!onobject(name, der, dlen, st)) r = 2 ;
 end:
  explicit_bzero(der, sizeof der) ;
  return r ;
}

int dkim_key_load (dkim_key *k, char const *file, char const **why)
{
  struct stat st ;
  char text[8192] ;
  loadst ls = { .k = k, .got = 0, .why = why } ;
  ssize_t len ;
  int fast, fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK) ;
  *why = 0 ;
  k->sk = 0 ;
  if (fd < 0) return 0 ;
  if (fstat(fd, &st) < 0) { fd_close(fd) ; return 0 ; }
  if (!S_ISREG(st.st_mode)) { fd_close(fd) ; *why = "not a regular file" ; return 0 ; }
  if (st.st_mode & 077) { fd_close(fd) ; *why = "readable or writable by group or others (the private key must be mode 0600 or 0400)" ; return 0 ; }
  len = allread(fd, text, sizeof text) ;
  fd_close(fd) ;
  if (len < 0) return 0 ;
  fast = len < (ssize_t)sizeof text ? pem_fast(&ls, text, len) : 0 ;
  explicit_bzero(text, sizeof text) ;
  if (fast == 2) return 0 ;
  if (!fast)
  {
    ls.got = 0 ; *why = 0 ;
    if (!dcr_pem_read(file, &onobject, &ls, why)) { if (!*why && errno != ENOMEM) *why = "unreadable PEM" ; return 0 ; }
  }
  if (!ls.got) { *why = "no RSA PRIVATE KEY or PRIVATE KEY object" ; return 0 ; }
  k->sk = br_skey_decoder_get_rsa(&k->dc) ;
  k->bits = k->sk->n_bitlen ;
  if (k->bits < DKIM_BITS_MIN || k->bits > DKIM_BITS_MAX)
  {
    *why = k->bits < DKIM_BITS_MIN ? "key shorter than 1024 bits" : "key longer than 4096 bits" ;
    dkim_key_wipe(k) ;
    return 0 ;
  }
  return 1 ;
}

int dkim_key_text (dkim_key *k, char const *text, size_t len, char const **why)
{
  loadst ls = { .k = k, .got = 0, .why = why } ;
  int r ;
  *why = 0 ;
  k->sk = 0 ;
  r = pem_fast(&ls, text, len) ;
  if (r != 1) return r ? 0 : -1 ;
  if (!ls.got) { *why = "no RSA PRIVATE KEY or PRIVATE KEY object" ; return 0 ; }
  k->sk = br_skey_decoder_get_rsa(&k->dc) ;
  k->bits = k->sk->n_bitlen ;
  return 1 ;
}

void dkim_key_wipe (dkim_key *k)
{
  explicit_bzero(&k->dc, sizeof k->dc) ;
  k->sk = 0 ;
}

 /* DER, just what a SubjectPublicKeyInfo needs */

static size_t lenlen (size_t n) { return n < 128 ? 1 : n < 256 ? 2 : 3 ; }

static size_t putlen (unsigned char *d, size_t n)
{
  if (n < 128) { d[0] = n ; return 1 ; }
  if (n < 256) { d[0] = 0x81 ; d[1] = n ; return 2 ; }
  d[0] = 0x82 ; d[1] = n >> 8 ; d[2] = n ; return 3 ;
}

/* an unsigned big-endian integer: leading zeros dropped, one 0 put back
   when the top bit is set */
static size_t intlen (unsigned char const *x, size_t n, size_t *skip, int *pad)
{
  size_t s = 0 ;
  while (s + 1 < n && !x[s]) s++ ;
  *skip = s ;
  *pad = n > s && (x[s] & 0x80) ;
  return n - s + *pad ;
}

static size_t putint (unsigned char *d, unsigned char const *x, size_t n)
{
  size_t skip, w = 0 ;
  int pad ;
  size_t l = intlen(x, n, &skip, &pad) ;
  d[w++] = 0x02 ;
  w += putlen(d + w, l) ;
  if (pad) d[w++] = 0 ;
  memcpy(d + w, x + skip, n - skip) ;
  return w + n - skip ;
}

size_t dkim_spki (unsigned char *der, size_t max, unsigned char const *n, size_t nlen, unsigned char const *e, size_t elen)
{
  static unsigned char const alg[] =   /* SEQUENCE { rsaEncryption, NULL } */
  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 } ;
  size_t skip, w = 0, in, rsa, bits, all ;
  int pad ;
  in = 1 + lenlen(intlen(n, nlen, &skip, &pad)) + intlen(n, nlen, &skip, &pad)
     + 1 + lenlen(intlen(e, elen, &skip, &pad)) + intlen(e, elen, &skip, &pad) ;
  rsa = 1 + lenlen(in) + in ;          /* RSAPublicKey */
  bits = 1 + rsa ;                     /* the BIT STRING's content: 0 unused bits */
  all = sizeof alg + 1 + lenlen(bits) + bits ;
  if (1 + lenlen(all) + all > max) return 0 ;
  der[w++] = 0x30 ; w += putlen(der + w, all) ;
  memcpy(der + w, alg, sizeof alg) ; w += sizeof alg ;
  der[w++] = 0x03 ; w += putlen(der + w, bits) ; der[w++] = 0 ;
  der[w++] = 0x30 ; w += putlen(der + w, in) ;
  w += putint(der + w, n, nlen) ;
  w += putint(der + w, e, elen) ;
  return w ;
}

/* e is not in a private key: computed back from it, checked by a
   signature verified with it (BearSSL cannot compute every e back; the
   usual 65537 is tried then) */
size_t dkim_key_spki (dkim_key const *k, unsigned char *der, size_t max)
{
  unsigned char n[DKIM_BITS_MAX / 8], hash[32] = { 1, 2, 3 }, sig[DKIM_BITS_MAX / 8], out[32], eb[4] ;
  br_rsa_public_key pk ;
  size_t nlen = dcr_rsa_modulus(n, sizeof n, k->sk) ;
  uint32_t tries[2] ;
  if (!nlen || nlen > sizeof n) return 0 ;
  tries[0] = br_rsa_compute_pubexp_get_default()(k->sk) ;
  tries[1] = 65537 ;
  if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash, sizeof hash, k->sk, sig)) return 0 ;
  for (unsigned int i = 0 ; i < 2 ; i++)
  {
    if (!tries[i]) continue ;
    eb[0] = tries[i] >> 24 ; eb[1] = tries[i] >> 16 ; eb[2] = tries[i] >> 8 ; eb[3] = tries[i] ;
    pk.n = n ; pk.nlen = nlen ; pk.e = eb ; pk.elen = 4 ;
    if (br_rsa_pkcs1_vrfy_get_default()(sig, nlen, BR_HASH_OID_SHA256, sizeof out, &pk, out) && !memcmp(out, hash, sizeof hash))
      return dkim_spki(der, max, n, nlen, eb, 4) ;
  }
  return 0 ;
}
