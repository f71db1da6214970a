/* ISC license. */

#include <bearssl.h>

#include <dcr/tls.h>

/* One profile for both sides (doc/tls.md): TLS 1.2 only, since BearSSL
   has no TLS 1.3 and 1.0/1.1 are obsolete (RFC 8996); forward secrecy
   and AEAD only. AES-GCM first: this CPU has AES-NI; ChaCha20 for
   clients without it (they list it first, but the server's order wins). */
static uint16_t const suites[] =
{
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
} ;

static void common (br_ssl_engine_context *eng)
{
  br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12) ;
  br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]) ;
  br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable) ;
  br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable) ;
  br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable) ;
  br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable) ;
  br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf) ;
  br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf) ;
  br_ssl_engine_set_default_aes_gcm(eng) ;
  br_ssl_engine_set_default_chapol(eng) ;
  br_ssl_engine_set_default_ec(eng) ;
  br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION) ;
}

void dcr_tls_profile_server (br_ssl_server_context *sc)
{
  br_ssl_server_zero(sc) ;
  common(&sc->eng) ;
  br_ssl_engine_add_flags(&sc->eng, BR_OPT_ENFORCE_SERVER_PREFERENCES) ;
}

void dcr_tls_profile_client (br_ssl_client_context *cc)
{
  br_ssl_client_zero(cc) ;
  common(&cc->eng) ;
  br_ssl_engine_set_hash(&cc->eng, br_sha1_ID, &br_sha1_vtable) ;  /* old CA signatures */
  br_ssl_client_set_default_rsapub(cc) ;
  br_ssl_engine_set_default_rsavrfy(&cc->eng) ;
  br_ssl_engine_set_default_ecdsa(&cc->eng) ;
}

char const *dcr_tls_suite_name (uint16_t suite)
{
  switch (suite)
  {
    case BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 : return "ECDHE-ECDSA-AES128-GCM-SHA256" ;
    case BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 : return "ECDHE-RSA-AES128-GCM-SHA256" ;
    case BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 : return "ECDHE-ECDSA-AES256-GCM-SHA384" ;
    case BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 : return "ECDHE-RSA-AES256-GCM-SHA384" ;
    case BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 : return "ECDHE-ECDSA-CHACHA20-POLY1305" ;
    case BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 : return "ECDHE-RSA-CHACHA20-POLY1305" ;
    default : return "unknown" ;
  }
}

char const *dcr_tls_version_name (unsigned int v)
{
  switch (v)
  {
    case BR_TLS12 : return "TLSv1.2" ;
    case BR_TLS11 : return "TLSv1.1" ;
    case BR_TLS10 : return "TLSv1" ;
    default : return "unknown" ;
  }
}

char const *dcr_tls_error (int err)
{
  if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT) return "peer sent a fatal alert" ;
  if (err >= BR_ERR_SEND_FATAL_ALERT) return "fatal alert sent" ;
  switch (err)
  {
    case BR_ERR_OK : return "ok" ;
    case BR_ERR_BAD_VERSION : case BR_ERR_UNSUPPORTED_VERSION : return "unsupported protocol version" ;
    case BR_ERR_BAD_CIPHER_SUITE : return "no shared cipher suite" ;
    case BR_ERR_NO_CLIENT_AUTH : return "no client certificate" ;
    case BR_ERR_BAD_SNI : return "bad server name" ;
    case BR_ERR_IO : return "I/O error" ;
    case BR_ERR_X509_EXPIRED : return "certificate expired or not yet valid" ;
    case BR_ERR_X509_BAD_SERVER_NAME : return "certificate does not match the host name" ;
    case BR_ERR_X509_NOT_TRUSTED : return "certificate not trusted" ;
    case BR_ERR_X509_BAD_SIGNATURE : return "bad certificate signature" ;
    case BR_ERR_X509_UNSUPPORTED : return "unsupported certificate" ;
    default :
      if (err >= BR_ERR_X509_OK && err < BR_ERR_X509_OK + 100) return "certificate error" ;
      return "TLS protocol error" ;
  }
}
