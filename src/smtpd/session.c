/* ISC license. */

#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#include <dcr/line.h>
#include <dcr/esmtp.h>
#include "smtpd.h"

/* The command loop: read a line, dispatch on its verb. */

void smtpd_reset (smtpd *s)
{
  s->inmail = 0 ;
  s->nrcpt = 0 ;
  s->hasnotify = s->hasorcpt = 0 ;
  s->rcpts.len = s->notify.len = s->orcpt.len = 0 ;
  s->inbdat = 0 ;
  s->spoolerr = 0 ;
  if (s->spool >= 0) { close(s->spool) ; s->spool = -1 ; }
}

int smtpd_blank (char const *a, size_t len)
{
  size_t i = 0 ;
  for (; i < len ; i++) if (a[i] != ' ') return 0 ;
  return 1 ;
}

static void helo (smtpd *s, char const *a, size_t len, int esmtp)
{
  size_t i = 0 ;
  while (len && a[len-1] == ' ') len-- ;   /* trailing spaces: tolerated */
  if (!len)
  {
    smtpd_error(s, esmtp ? "501 5.5.4 syntax: EHLO hostname" : "501 5.5.4 syntax: HELO hostname") ;
    return ;
  }
  /* one word of printable ASCII: it goes into the Received header */
  for (; i < len ; i++)
    if ((unsigned char)a[i] <= ' ' || (unsigned char)a[i] >= 0x7f)
    {
      smtpd_error(s, "501 5.5.2 invalid characters in hostname") ;
      return ;
    }
  if (len > SMTPD_HELOMAX) { smtpd_error(s, "501 5.5.4 hostname too long") ; return ; }
  smtpd_reset(s) ;
  memcpy(s->helo, a, len) ;
  s->helo[len] = 0 ;
  s->helolen = len ;
  s->esmtp = esmtp ;
  if (esmtp)
  {
    char fmt[UINT64_FMT] ;
    fmt[uint64_fmt(fmt, s->maxsize)] = 0 ;
    smtpd_put2(s, "250-", s->hostname) ;
    smtpd_put(s, "250-PIPELINING") ;
    smtpd_put2(s, "250-SIZE ", fmt) ;
    smtpd_put(s, "250-8BITMIME") ;
    smtpd_put(s, "250-ENHANCEDSTATUSCODES") ;
    smtpd_put(s, "250-SMTPUTF8") ;
    smtpd_put(s, "250-CHUNKING") ;
    if (s->ctlfd >= 0 && !s->tls) smtpd_put(s, "250-STARTTLS") ;
    if (smtpd_auth_offered(s)) smtpd_put(s, "250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER") ;
    smtpd_put(s, "250 DSN") ;
  }
  else
  {
    smtpd_put2(s, "250 ", s->hostname) ;
  }
}

static void command (smtpd *s, char const *line, size_t len)
{
  size_t off ;
  int verb = dcr_esmtp_verb(line, len, &off) ;
  char const *a = line + off ;
  size_t alen = len - off ;
  if (memchr(line, 0, len)) { smtpd_error(s, "500 5.5.2 NUL character not allowed") ; return ; }
  if (len + 2 > dcr_line_limit(line, len)) { smtpd_error(s, "500 5.5.2 line too long") ; return ; }
  switch (verb)
  {
    case DCR_CMD_EHLO : helo(s, a, alen, 1) ; break ;
    case DCR_CMD_HELO : helo(s, a, alen, 0) ; break ;
    case DCR_CMD_MAIL : smtpd_mail(s, a, alen) ; break ;
    case DCR_CMD_RCPT : smtpd_rcpt(s, a, alen) ; break ;
    case DCR_CMD_DATA : smtpd_data(s, a, alen) ; break ;
    case DCR_CMD_BDAT : smtpd_bdat(s, a, alen) ; break ;
    case DCR_CMD_RSET :
      if (!smtpd_blank(a, alen)) { smtpd_error(s, "501 5.5.4 syntax: RSET") ; break ; }
      smtpd_reset(s) ;
      smtpd_put(s, "250 2.0.0 Ok") ;
      break ;
    case DCR_CMD_NOOP : smtpd_put(s, "250 2.0.0 Ok") ; break ;
    case DCR_CMD_QUIT :
      smtpd_put(s, "221 2.0.0 Bye") ;
      smtpd_flush(s) ;
      smtpd_exit(s, "quit") ;
    case DCR_CMD_VRFY :
      if (smtpd_blank(a, alen)) { smtpd_error(s, "501 5.5.4 syntax: VRFY address") ; break ; }
      smtpd_put(s, "252 2.5.0 cannot verify the user, but will accept the message and attempt delivery") ;
      break ;
    case DCR_CMD_HELP :
      smtpd_put(s, "214-2.0.0 commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH") ;
      smtpd_put(s, "214 2.0.0 see RFC 5321") ;
      break ;
    case DCR_CMD_STARTTLS : smtpd_starttls(s, a, alen) ; break ;
    case DCR_CMD_AUTH : smtpd_auth(s, a, alen) ; break ;
    case DCR_CMD_EXPN : case DCR_CMD_TURN : case DCR_CMD_ETRN :
      smtpd_error(s, "502 5.5.1 command not implemented") ;
      break ;
    default :
      smtpd_error(s, "500 5.5.1 command unrecognized") ;
      break ;
  }
}

char const *smtpd_proto (smtpd const *s)
{
  /* RFC 3848 and RFC 6531 names: S for TLS, A for AUTH */
  static char const *const esmtp[4] = { "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" } ;
  static char const *const utf8[4] = { "UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" } ;
  unsigned int i = (s->tls ? 1 : 0) | (s->authuserlen ? 2 : 0) ;
  if (!s->esmtp) return "SMTP" ;
  return s->mp.smtputf8 ? utf8[i] : esmtp[i] ;
}

int smtpd_readline (smtpd *s)
{
  for (;;)
  {
    struct iovec v[2] ;
    size_t used ;
    int ev = DCR_LINE_MORE ;
    if (buffer_isempty(&s->in)) smtpd_fill(s, s->timeout) ;
    buffer_rpeek(&s->in, v) ;
    used = dcr_line_feed(&s->line, v[0].iov_base, v[0].iov_len, &ev) ;
    if (ev == DCR_LINE_MORE && v[1].iov_len)
      used += dcr_line_feed(&s->line, v[1].iov_base, v[1].iov_len, &ev) ;
    buffer_rseek(&s->in, used) ;
    if (ev != DCR_LINE_MORE) return ev ;
  }
}

void smtpd_loop (smtpd *s)
{
  for (;;)
  {
    int ev = smtpd_readline(s) ;
    switch (ev)
    {
      case DCR_LINE_OK : smtpd_stopping(s) ; command(s, s->line.buf, s->line.len) ; break ;
      case DCR_LINE_TOOLONG : smtpd_error(s, "500 5.5.2 line too long") ; break ;
      case DCR_LINE_BARE : smtpd_error(s, "500 5.5.2 bare CR or LF not allowed, use CRLF") ; break ;
      default : break ;
    }
  }
}
