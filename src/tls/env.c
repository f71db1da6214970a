/* ISC license. */

#include <string.h>

#include <bearssl.h>

#include <dcr/tls.h>
#include "tlsd.h"

/* The UCSPI-TLS view of the session, as ucspi-ssl and s6-tlsd give it:
   "NAME=value" to set, a bare "NAME" to unset (no SNI). */

static size_t add (char *buf, size_t len, size_t max, char const *name, char const *value)
{
  size_t n = strlen(name), v = value ? strlen(value) : 0 ;
  if (len + n + v + 2 > max) return len ;
  memcpy(buf + len, name, n) ; len += n ;
  if (value) { buf[len++] = '=' ; memcpy(buf + len, value, v) ; len += v ; }
  buf[len++] = 0 ;
  return len ;
}

/* a host name, or nothing: the client chose it, and it goes into the
   environment and the logs */
static int hostname (char const *s)
{
  size_t i = 0 ;
  for (; s[i] ; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' || s[i] == '_'))
      return 0 ;
  return i > 0 && i <= 253 ;
}

size_t tlsd_environment (br_ssl_server_context const *sc, char *buf, size_t max)
{
  br_ssl_session_parameters sp ;
  char const *sni = br_ssl_engine_get_server_name(&sc->eng) ;
  size_t len = 0 ;
  br_ssl_engine_get_session_parameters(&sc->eng, &sp) ;
  memset(sp.master_secret, 0, sizeof sp.master_secret) ;
  len = add(buf, len, max, "SSL_PROTOCOL", dcr_tls_version_name(br_ssl_engine_get_version(&sc->eng))) ;
  len = add(buf, len, max, "SSL_CIPHER", dcr_tls_suite_name(sp.cipher_suite)) ;
  len = add(buf, len, max, "SSL_TLS_SNI_SERVERNAME", sni && hostname(sni) ? sni : 0) ;
  return len ;
}
