/* ISC license. */
/* filters-rsa.c - the floor under dcr-dkimsign's cost: CPU time of one
   RSA PKCS#1 v1.5 SHA-256 signature with BearSSL (the library and
   implementation dcr-dkimsign links: br_rsa_pkcs1_sign_get_default(),
   i62 where the compiler has 128-bit integers), and with i31 beside it.
   Built and run by tools/bench/filters with the project's musl-gcc and
   BearSSL. usage: filters-rsa BITS COUNT -> one JSON line. */

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu (void)
{
  struct timespec t ;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) ;
  return t.tv_sec + t.tv_nsec / 1e9 ;
}

static double persign (br_rsa_pkcs1_sign f, br_rsa_private_key const *sk, unsigned int count)
{
  unsigned char hash[32] = { 1, 2, 3 }, sig[512] ;
  double t0 = cpu() ;
  for (unsigned int i = 0 ; i < count ; i++)
    if (!f(BR_HASH_OID_SHA256, hash, sizeof hash, sk, sig)) { fputs("filters-rsa: sign failed\n", stderr) ; exit(111) ; }
  return (cpu() - t0) * 1000 / count ;
}

int main (int argc, char const *const *argv)
{
  static unsigned char kbuf[BR_RSA_KBUF_PRIV_SIZE(4096)] ;
  unsigned int bits = argc > 1 ? atoi(argv[1]) : 2048, count = argc > 2 ? atoi(argv[2]) : 200 ;
  br_hmac_drbg_context rng ;
  br_rsa_private_key sk ;
  br_rsa_pkcs1_sign def = br_rsa_pkcs1_sign_get_default() ;
  if (bits < 1024 || bits > 4096 || !count) { fputs("usage: filters-rsa BITS COUNT\n", stderr) ; return 100 ; }
  br_hmac_drbg_init(&rng, &br_sha256_vtable, "filters-rsa", 11) ;   /* a fixed key: only its size matters */
  if (!br_rsa_keygen_get_default()(&rng.vtable, &sk, kbuf, 0, 0, bits, 65537)) { fputs("filters-rsa: keygen failed\n", stderr) ; return 111 ; }
  persign(def, &sk, 5) ;   /* warm */
  printf("{\"kind\": \"rsa\", \"bits\": %u, \"count\": %u, \"default_impl\": \"%s\", \"bearssl_default_ms\": %.4f, \"bearssl_i31_ms\": %.4f}\n",
    bits, count, def == br_rsa_i62_pkcs1_sign_get() ? "i62" : def == br_rsa_i31_pkcs1_sign ? "i31" : "other",
    persign(def, &sk, count), persign(&br_rsa_i31_pkcs1_sign, &sk, count)) ;
  return 0 ;
}
