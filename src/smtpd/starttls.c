/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include "smtpd.h"

/* STARTTLS (RFC 3207) over UCSPI-TLS: dcr-tlsd -s (or s6-tlsd's and
   ucspi-ssl's equivalents) gives us SSLCTLFD, SSLREADFD, SSLWRITEFD.
   We answer 220, write "Y" on the control descriptor, and read back the
   SSL_* variables (NAME=value strings, an empty one ends the list) once
   the handshake is done; from then on the session runs over the two
   pipes. What the client sent after STARTTLS in plaintext is dropped:
   only the handshake may follow it (the STARTTLS injection class). */

static int fdvar (char const *name)
{
  char const *x = getenv(name) ;
  unsigned int fd ;
  if (!x || !uint0_scan(x, &fd) || fd < 3 || fd > 1000000) return -1 ;
  return (int)fd ;
}

void smtpd_tls_init (smtpd *s)
{
  char const *proto = getenv("SSL_PROTOCOL") ;
  s->ctlfd = s->tlsread = s->tlswrite = -1 ;
  s->tls = proto && *proto ;   /* implicit TLS: dcr-tlsd without -s */
  if (s->tls) return ;
  s->ctlfd = fdvar("SSLCTLFD") ;
  s->tlsread = fdvar("SSLREADFD") ;
  s->tlswrite = fdvar("SSLWRITEFD") ;
  if (s->ctlfd < 0 || s->tlsread < 0 || s->tlswrite < 0) s->ctlfd = -1 ;
  if (s->ctlfd >= 0) { coe(s->ctlfd) ; coe(s->tlsread) ; coe(s->tlswrite) ; }
}

/* the variables, until an empty string; 0 if the wrapper went away */
static int readenv (smtpd *s, char *buf, size_t max, size_t *len)
{
  iopause_fd x = { .fd = s->ctlfd, .events = IOPAUSE_READ } ;
  tain deadline ;
  *len = 0 ;
  tain_now_g() ;
  tain_addsec_g(&deadline, s->timeout) ;
  for (;;)
  {
    ssize_t r ;
    int p ;
    if (*len && !buf[*len - 1] && (*len == 1 || !buf[*len - 2])) return 1 ;
    if (*len >= max) return 0 ;
    p = iopause_g(&x, 1, &deadline) ;
    if (p < 0 && errno == EINTR) continue ;
    if (p <= 0) return 0 ;
    r = read(s->ctlfd, buf + *len, max - *len) ;
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue ;
    if (r <= 0) return 0 ;
    *len += r ;
  }
}

static void setenvs (char *buf, size_t len)
{
  size_t i = 0 ;
  while (i < len && buf[i])
  {
    char *v = strchr(buf + i, '=') ;
    size_t n = strlen(buf + i) ;
    if (!strncmp(buf + i, "SSL_", 4))   /* nothing else may come this way */
    {
      if (v) { *v = 0 ; setenv(buf + i, v + 1, 1) ; *v = '=' ; }
      else unsetenv(buf + i) ;
    }
    i += n + 1 ;
  }
}

void smtpd_starttls (smtpd *s, char const *a, size_t alen)
{
  char env[2048] ;
  size_t len ;
  if (!smtpd_blank(a, alen)) { smtpd_error(s, "501 5.5.4 syntax: STARTTLS") ; return ; }
  if (s->tls) { smtpd_error(s, "503 5.5.1 TLS already active") ; return ; }
  if (s->ctlfd < 0) { smtpd_error(s, "502 5.5.1 TLS not available") ; return ; }
  smtpd_put(s, "220 2.0.0 ready to start TLS") ;
  smtpd_flush(s) ;
  buffer_rseek(&s->in, buffer_len(&s->in)) ;   /* plaintext after STARTTLS: dropped */
  dcr_line_init(&s->line) ;
  if (fd_write(s->ctlfd, "Y", 1) != 1 || !readenv(s, env, sizeof env, &len))
    smtpd_exit(s, "tls-failed") ;   /* dcr-tlsd has logged why */
  setenvs(env, len) ;
  close(s->ctlfd) ;
  s->ctlfd = -1 ;
  if (fd_move(0, s->tlsread) < 0 || fd_move(1, s->tlswrite) < 0) smtpd_exit(s, "tls-failed") ;
  ndelay_on(0) ;
  ndelay_on(1) ;
  /* RFC 3207 4.2: forget all the client said before */
  smtpd_reset(s) ;
  s->helolen = 0 ;
  s->esmtp = 0 ;
  s->authuserlen = 0 ;
  s->tls = 1 ;
  dcr_log("event", "starttls", "ip", s->remoteip, "protocol", getenv("SSL_PROTOCOL"), "cipher", getenv("SSL_CIPHER"), (char *)0) ;
}
