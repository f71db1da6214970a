/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/wait.h>

#include <skalibs/djbunix.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/exec.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include <dcr/base64.h>
#include <dcr/log.h>
#include "smtpd.h"
#include "sasl.h"

/* AUTH (RFC 4954): PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER (RFC 7628).
   The credentials go to a checkpassword program (fd 3: user NUL secret
   NUL timestamp NUL), as qmail and Dovecot use; AUTH_MECH tells it
   whether the secret is a password or a bearer token. A failure costs
   a delay that grows with each one; SMTPD_AUTHFAILMAX ends the session.
   Secrets are wiped from memory after use and never logged. */

#define SECRETMAX (DCR_LINE_MAX_AUTH)

int smtpd_auth_offered (smtpd const *s)
{
  return s->checker && !s->authuserlen && (s->tls || s->authnotls) ;
}

static void wipe (void *p, size_t n)
{
  explicit_bzero(p, n) ;
}

/* the decoded credentials; static, not on the stack, and wiped after
   each exchange, and at the end of a session however it ends */
static char authbuf[SECRETMAX] ;
static char authpass[SECRETMAX] ;

void smtpd_auth_forget (smtpd *s)
{
  wipe(authbuf, sizeof(authbuf)) ;
  wipe(authpass, sizeof(authpass)) ;
  wipe(s->authuser, sizeof(s->authuser)) ;
  s->authuserlen = 0 ;
  s->authfails = 0 ;
}

/* 1 ok, 0 wrong, -1 temporary trouble */
static int check (smtpd *s, char const *mech, char const *user, size_t ulen, char const *secret, size_t slen)
{
  char const *argv[3] = { s->checker, "true", 0 } ;
  char modif[32] ;
  size_t mlen = 0 ;
  int p[2], wstat ;
  pid_t pid ;
  memcpy(modif, "AUTH_MECH=", 10) ; mlen = 10 ;
  memcpy(modif + mlen, mech, strlen(mech) + 1) ; mlen += strlen(mech) + 1 ;
  if (pipe(p) < 0) return -1 ;
  pid = fork() ;
  if (pid < 0) { close(p[0]) ; close(p[1]) ; return -1 ; }
  if (!pid)
  {
    int null = open_readb("/dev/null") ;
    close(p[1]) ;
    if (null < 0 || fd_move(3, p[0]) < 0 || fd_copy(0, null) < 0 || fd_copy(1, null) < 0) _exit(111) ;
    signal(SIGPIPE, SIG_DFL) ;
    xmexec_m(argv, modif, mlen) ;
  }
  close(p[0]) ;
  {
    /* fits a pipe buffer: the write does not block */
    char buf[SMTPD_AUTHUSERMAX + SECRETMAX + 4] ;
    size_t n = 0 ;
    memcpy(buf, user, ulen) ; n = ulen ; buf[n++] = 0 ;
    memcpy(buf + n, secret, slen) ; n += slen ; buf[n++] = 0 ;
    buf[n++] = 0 ;
    if (allwrite(p[1], buf, n) < n) { /* it exited early: its status says */ }
    wipe(buf, n) ;
  }
  close(p[1]) ;
  if (!smtpd_reap(pid, &wstat, SMTPD_CHECKTIMEOUT)) return -1 ;
  if (WIFEXITED(wstat) && !WEXITSTATUS(wstat)) return 1 ;
  if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 1) return 0 ;
  return -1 ;
}

/* the client's next line of the exchange, decoded into out; 1 ok,
   0 answered already (cancelled or malformed) */
static int response (smtpd *s, char const *challenge, char *out, size_t *outlen)
{
  int ev ;
  ssize_t r ;
  smtpd_put2(s, "334 ", challenge) ;
  ev = smtpd_readline(s) ;
  if (ev == DCR_LINE_TOOLONG) { smtpd_error(s, "500 5.5.6 authentication exchange line too long") ; return 0 ; }
  if (ev != DCR_LINE_OK) { smtpd_error(s, "501 5.5.2 bare CR or LF not allowed, use CRLF") ; return 0 ; }
  if (s->line.len == 1 && s->line.buf[0] == '*') { smtpd_error(s, "501 5.0.0 authentication cancelled") ; return 0 ; }
  r = dcr_base64_decode(out, s->line.buf, s->line.len) ;
  wipe(s->line.buf, s->line.len) ;
  if (r < 0) { smtpd_error(s, "501 5.5.2 cannot decode the response as base64") ; return 0 ; }
  *outlen = r ;
  return 1 ;
}

/* the initial response (RFC 4954 4: "=" is an empty one), or a 334 round */
static int initial (smtpd *s, char const *ir, size_t irlen, char *out, size_t *outlen)
{
  ssize_t r ;
  if (!irlen) return response(s, "", out, outlen) ;
  if (irlen == 1 && ir[0] == '=') { *outlen = 0 ; return 1 ; }
  r = dcr_base64_decode(out, ir, irlen) ;
  if (r < 0) { smtpd_error(s, "501 5.5.2 cannot decode the initial response as base64") ; return 0 ; }
  *outlen = r ;
  return 1 ;
}

static int printable (char const *x, size_t len)
{
  for (size_t i = 0 ; i < len ; i++) if ((unsigned char)x[i] < 32 || x[i] == 127) return 0 ;
  return len > 0 ;
}

static void failed (smtpd *s, char const *mech, char const *user, size_t ulen, char const *why)
{
  tain deadline ;
  char u[SMTPD_AUTHUSERMAX + 1] ;
  if (ulen > SMTPD_AUTHUSERMAX) ulen = SMTPD_AUTHUSERMAX ;
  memcpy(u, user, ulen) ; u[ulen] = 0 ;
  s->authfails++ ;
  dcr_log("event", "auth-fail", "ip", s->remoteip, "user", u, "mech", mech, "reason", why, (char *)0) ;
  /* slow down guessing: 1 s, 2 s, 3 s... */
  smtpd_flush(s) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, s->authfails) ;
  deepsleepuntil_g(&deadline) ;
  if (s->authfails >= SMTPD_AUTHFAILMAX)
  {
    smtpd_put(s, "421 4.7.0 too many authentication failures, closing") ;
    smtpd_flush(s) ;
    smtpd_exit(s, "auth-failures") ;
  }
}

void smtpd_auth (smtpd *s, char const *a, size_t alen)
{
  char const *mech ;
  char *user = 0, *secret = 0 ;
  size_t len = 0, ulen = 0, slen = 0, mlen = 0, ilen ;
  char const *ir ;
  int r, kind ;
  if (!s->checker) { smtpd_error(s, "502 5.5.1 AUTH not available") ; return ; }
  if (!s->helolen || !s->esmtp) { smtpd_error(s, "503 5.5.1 send EHLO first") ; return ; }
  if (s->authuserlen) { smtpd_error(s, "503 5.5.1 already authenticated") ; return ; }
  if (s->inmail) { smtpd_error(s, "503 5.5.1 AUTH not allowed in a mail transaction") ; return ; }
  if (!s->tls && !s->authnotls) { smtpd_error(s, "538 5.7.11 encryption required for requested authentication mechanism") ; return ; }
  while (mlen < alen && a[mlen] != ' ') mlen++ ;
  ir = a + mlen ; ilen = alen - mlen ;
  while (ilen && *ir == ' ') { ir++ ; ilen-- ; }
  if (mlen == 5 && !strncasecmp(a, "PLAIN", 5)) { kind = 0 ; mech = "PLAIN" ; }
  else if (mlen == 5 && !strncasecmp(a, "LOGIN", 5)) { kind = 1 ; mech = "LOGIN" ; }
  else if (mlen == 7 && !strncasecmp(a, "XOAUTH2", 7)) { kind = 2 ; mech = "XOAUTH2" ; }
  else if (mlen == 11 && !strncasecmp(a, "OAUTHBEARER", 11)) { kind = 3 ; mech = "OAUTHBEARER" ; }
  else { smtpd_error(s, mlen ? "504 5.5.4 unrecognized authentication mechanism" : "501 5.5.4 syntax: AUTH mechanism") ; return ; }

  switch (kind)
  {
    case 0 :   /* authzid NUL authcid NUL password */
    {
      char *z1, *z2 ;
      if (!initial(s, ir, ilen, authbuf, &len)) goto end ;
      z1 = memchr(authbuf, 0, len) ;
      z2 = z1 ? memchr(z1 + 1, 0, len - (z1 + 1 - authbuf)) : 0 ;
      if (!z2) { smtpd_error(s, "501 5.5.2 malformed PLAIN response") ; goto end ; }
      user = z1 + 1 ; ulen = z2 - user ;
      secret = z2 + 1 ; slen = len - (secret - authbuf) ;
      if (z1 != authbuf && ((size_t)(z1 - authbuf) != ulen || memcmp(authbuf, user, ulen)))
      {
        failed(s, mech, user, ulen, "authorization-identity") ;
        smtpd_put(s, "535 5.7.8 authentication credentials invalid") ;
        goto end ;
      }
      break ;
    }
    case 1 :   /* "Username:", "Password:" */
      if (ilen) { if (!initial(s, ir, ilen, authbuf, &len)) goto end ; }
      else if (!response(s, "VXNlcm5hbWU6", authbuf, &len)) goto end ;
      if (!response(s, "UGFzc3dvcmQ6", authpass, &slen)) goto end ;
      user = authbuf ; ulen = len ; secret = authpass ;
      break ;
    default :
      if (!initial(s, ir, ilen, authbuf, &len)) goto end ;
      if (!smtpd_sasl_oauth(authbuf, len, kind == 3, &user, &ulen, &secret, &slen))
      {
        smtpd_error(s, "501 5.5.2 malformed OAuth response") ;
        goto end ;
      }
      break ;
  }
  if (ulen > SMTPD_AUTHUSERMAX || !printable(user, ulen) || memchr(secret, 0, slen))
  {
    failed(s, mech, user, ulen, "malformed-credentials") ;
    smtpd_put(s, "535 5.7.8 authentication credentials invalid") ;
    goto end ;
  }
  r = check(s, mech, user, ulen, secret, slen) ;
  wipe(secret, slen) ;
  if (r > 0)
  {
    memcpy(s->authuser, user, ulen) ;
    s->authuser[ulen] = 0 ;
    s->authuserlen = ulen ;
    dcr_log("event", "auth", "ip", s->remoteip, "user", s->authuser, "mech", mech, (char *)0) ;
    smtpd_put(s, "235 2.7.0 authentication successful") ;
  }
  else if (r < 0)
  {
    char u[SMTPD_AUTHUSERMAX + 1] ;
    memcpy(u, user, ulen) ; u[ulen] = 0 ;
    dcr_log("event", "auth-error", "ip", s->remoteip, "user", u, "mech", mech, "reason", "checker failed or timed out", (char *)0) ;
    smtpd_put(s, "454 4.7.0 temporary authentication failure") ;
  }
  else
  {
    failed(s, mech, user, ulen, "wrong-credentials") ;
    if (kind >= 2)
    {
      /* RFC 7628 3.2.2: the error as a challenge, the client answers ^A */
      size_t dummy ;
      if (!response(s, "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciJ9", authpass, &dummy)) goto end ;
    }
    smtpd_put(s, "535 5.7.8 authentication credentials invalid") ;
  }
 end:
  wipe(authbuf, sizeof(authbuf)) ;
  wipe(authpass, sizeof(authpass)) ;
  wipe(s->line.buf, s->line.len) ;   /* the initial response was in it */
}
