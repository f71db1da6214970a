/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include <dcr/base64.h>
#include <dcr/log.h>
#include "remote.h"

/* The route's policy towards the server (doc/tls.md): STARTTLS (RFC
   3207) when tls= is not none, required for encrypt and verify; then
   AUTH (RFC 4954) with the route's auth= file, and only over TLS.
   Every failure is temporary (4.7.x): the message waits for the
   administrator, not the sender. */

static int fail (char *v, size_t vmax, char const *code, char const *what)
{
  size_t n = sess_cat(v, 0, vmax, code) ;
  n = sess_cat(v, n, vmax, S.peer) ;
  n = sess_cat(v, n, vmax, ": ") ;
  sess_cat(v, n, vmax, what) ;
  return 0 ;
}

/* The handshake on the session's socket: for STARTTLS, and for smtps:
   before the greeting. smtps: is always encrypted: tls=verify checks
   the certificate, any other policy takes it as encrypt does. */
int sess_tls (peer const *p, char *v, size_t vmax)
{
  tain d ;
  char const *why = 0 ;
  char const *name = tgt.kind == TARGET_IP ? 0 : p->host ;   /* SNI and the name checked */
  char const *ver, *cipher ;
  unsigned int policy = cf.tls == DCR_TLS_VERIFY ? DCR_TLS_VERIFY : DCR_TLS_ENCRYPT ;
  deadline(&d, TMO_EHLO) ;
  if (!tls_start(&S.io, policy, name, cf.ca, &d, &why))
  {
    S.tlsfailed = 1 ;
    dcr_log("event", "tls-fail", "peer", S.peer, "reason", why, (char *)0) ;
    fail(v, vmax, policy == DCR_TLS_VERIFY ? "451 4.7.5 TLS handshake with " : "451 4.7.0 TLS handshake with ", why) ;
    return 0 ;
  }
  tls_describe(&ver, &cipher) ;
  S.tls = 1 ;
  {
    size_t n = sess_cat(S.cipher, 0, sizeof S.cipher, ver) ;
    n = sess_cat(S.cipher, n, sizeof S.cipher, "/") ;
    sess_cat(S.cipher, n, sizeof S.cipher, cipher) ;
  }
  return 1 ;
}

static int starttls (peer const *p, char *v, size_t vmax)
{
  int r ;
  if (!sess_command("STARTTLS", "", TMO_EHLO)) { sess_failtext(v, vmax, -1, "sending STARTTLS") ; return 0 ; }
  r = sess_reply(TMO_EHLO) ;
  if (r <= 0) { sess_failtext(v, vmax, r, "waiting for the STARTTLS reply") ; return 0 ; }
  if (S.r.code != 220)
  {
    if (cf.tls == DCR_TLS_MAY) return 1 ;   /* refused: the session goes on in plaintext */
    sess_refusedtext(v, vmax, "refused STARTTLS") ;
    v[6] = '7' ; v[8] = '4' ;   /* "451 4.4.2 ..." becomes 4.7.4: security feature missing */
    return 0 ;
  }
  /* anything after the 220 was sent before TLS: never read as a reply
     inside it (the STARTTLS injection class, server side) */
  if (S.io.inpos < S.io.inlen)
  {
    dcr_log("event", "starttls-extra", "peer", S.peer, "action", "dropped", (char *)0) ;
    S.io.inpos = S.io.inlen = 0 ;
  }
  if (!sess_tls(p, v, vmax)) return 0 ;
  return sess_ehlo(v, vmax) ;   /* RFC 3207 4.2: forget what was said before */
}

/* "user:password" from the first line of cf.auth; 0 with why */
static int credentials (stralloc *sa, size_t *colon, char const **why)
{
  size_t i ;
  if (!openslurpclose(sa, cf.auth)) { *why = "cannot read the auth= file" ; return 0 ; }
  for (i = 0 ; i < sa->len && sa->s[i] != '\n' && sa->s[i] != '\r' ; i++) ;
  sa->len = i ;
  for (i = 0 ; i < sa->len && sa->s[i] != ':' ; i++) ;
  if (!i || i >= sa->len) { *why = "the auth= file holds no user:password line" ; return 0 ; }
  *colon = i ;
  return 1 ;
}

static int authenticate (char *v, size_t vmax)
{
  stralloc sa = STRALLOC_ZERO ;
  char const *why = 0 ;
  size_t colon, ulen, plen ;
  char b64[4 * ((SMTP_AUTHMAX + 2) / 3) + 8] ;
  char raw[SMTP_AUTHMAX] ;
  int r, ok = 0 ;
  if (!credentials(&sa, &colon, &why)) return fail(v, vmax, "451 4.7.0 ", why) ;
  ulen = colon ; plen = sa.len - colon - 1 ;
  if (ulen + plen + 2 > sizeof raw) { why = "the auth= credentials are too long" ; goto end ; }
  if (S.ext & EXT_AUTHPLAIN)
  {
    /* authzid (empty) NUL user NUL password */
    raw[0] = 0 ;
    memcpy(raw + 1, sa.s, ulen) ; raw[1 + ulen] = 0 ;
    memcpy(raw + 2 + ulen, sa.s + colon + 1, plen) ;
    b64[dcr_base64_encode(b64, raw, ulen + plen + 2)] = 0 ;
    if (!sess_command("AUTH PLAIN ", b64, TMO_EHLO)) { sess_failtext(v, vmax, -1, "sending AUTH") ; goto wipe ; }
  }
  else if (S.ext & EXT_AUTHLOGIN)
  {
    if (!sess_command("AUTH LOGIN", "", TMO_EHLO)) { sess_failtext(v, vmax, -1, "sending AUTH") ; goto wipe ; }
    r = sess_reply(TMO_EHLO) ;
    if (r <= 0) { sess_failtext(v, vmax, r, "waiting for the AUTH reply") ; goto wipe ; }
    if (S.r.code != 334) goto refused ;
    b64[dcr_base64_encode(b64, sa.s, ulen)] = 0 ;
    if (!sess_command(b64, "", TMO_EHLO)) { sess_failtext(v, vmax, -1, "sending AUTH") ; goto wipe ; }
    r = sess_reply(TMO_EHLO) ;
    if (r <= 0) { sess_failtext(v, vmax, r, "waiting for the AUTH reply") ; goto wipe ; }
    if (S.r.code != 334) goto refused ;
    b64[dcr_base64_encode(b64, sa.s + colon + 1, plen)] = 0 ;
    if (!sess_command(b64, "", TMO_EHLO)) { sess_failtext(v, vmax, -1, "sending AUTH") ; goto wipe ; }
  }
  else { why = "the server offers neither AUTH PLAIN nor AUTH LOGIN" ; goto end ; }
  r = sess_reply(TMO_EHLO) ;
  if (r <= 0) { sess_failtext(v, vmax, r, "waiting for the AUTH reply") ; goto wipe ; }
  if (S.r.code == 235) { ok = 1 ; S.authed = 1 ; goto wipe ; }
 refused:
  sess_refusedtext(v, vmax, "refused our AUTH") ;
  v[6] = '7' ; v[8] = '8' ;   /* 451 4.7.8: temporary, like Postfix's soft bounce */
  goto wipe ;
 end:
  fail(v, vmax, "451 4.7.0 ", why) ;
 wipe:
  explicit_bzero(raw, sizeof raw) ;
  explicit_bzero(b64, sizeof b64) ;
  explicit_bzero(sa.s, sa.len) ;
  stralloc_free(&sa) ;
  return ok ;
}

/* after the greeting and EHLO: STARTTLS and AUTH; S.tls is already set
   for smtps: */
int sess_secure (peer const *p, int plain, char *v, size_t vmax)
{
  S.authed = 0 ;
  if (cf.tls != DCR_TLS_NONE && !plain && !S.tls)
  {
    if (S.ext & EXT_STARTTLS) { if (!starttls(p, v, vmax)) return 0 ; }
    else if (cf.tls != DCR_TLS_MAY)
      return fail(v, vmax, "451 4.7.4 ", "STARTTLS not offered, and the route requires TLS") ;
  }
  if (!cf.auth) return 1 ;
  if (!S.tls) return fail(v, vmax, "451 4.7.0 ", "the route has auth= and the session is not encrypted") ;
  return authenticate(v, vmax) ;
}
