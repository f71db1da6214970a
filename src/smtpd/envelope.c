/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>

#include <dcr/addr.h>
#include <dcr/esmtp.h>
#include <dcr/log.h>
#include "smtpd.h"

/* MAIL FROM and RCPT TO: syntax, parameters, relay control, limits. */

/* "FROM:" or "TO:" (any case); returns its length or 0 */
static size_t prefix (char const *a, size_t len, char const *p)
{
  size_t n = strlen(p) ;
  return len >= n && !strncasecmp(a, p, n) ? n : 0 ;
}

void smtpd_mail (smtpd *s, char const *a, size_t len)
{
  size_t n = prefix(a, len, "FROM:"), used ;
  int e ;
  if (!s->helolen) { smtpd_error(s, "503 5.5.1 send EHLO or HELO first") ; return ; }
  if (s->authrequired && !s->authuserlen) { smtpd_error(s, "530 5.7.0 authentication required") ; return ; }
  if (s->inmail) { smtpd_error(s, "503 5.5.1 nested MAIL command") ; return ; }
  if (!n) { smtpd_error(s, "501 5.5.4 syntax: MAIL FROM:<address>") ; return ; }
  a += n ; len -= n ;
  e = dcr_addr_parse(a, len, DCR_ADDR_NULLOK, &s->sender, &used) ;
  if (e) { smtpd_error(s, dcr_addr_reply(e, 0)) ; return ; }
  a += used ; len -= used ;
  if (!s->esmtp && len && a[0] == ' ')
  {
    size_t i = 0 ;
    while (i < len && a[i] == ' ') i++ ;
    if (i < len) { smtpd_error(s, "555 5.5.4 parameters need EHLO") ; return ; }
  }
  e = dcr_esmtp_mail(a, len, s->maxsize, &s->mp) ;
  if (e) { smtpd_error(s, dcr_esmtp_reply(e)) ; return ; }
  if (s->sender.utf8 && !s->mp.smtputf8) { smtpd_error(s, dcr_addr_reply(DCR_ADDR_EUTF8, 0)) ; return ; }
  smtpd_reset(s) ;
  s->inmail = 1 ;
  smtpd_put(s, "250 2.1.0 Ok") ;
}

static int seen (smtpd const *s, char const *addr, size_t len)
{
  size_t i = 0 ;
  while (i < s->rcpts.len)
  {
    char const *nl = memchr(s->rcpts.s + i, '\n', s->rcpts.len - i) ;
    size_t end = nl ? (size_t)(nl - s->rcpts.s) : s->rcpts.len ;
    if (end - i == len && !memcmp(s->rcpts.s + i, addr, len)) return 1 ;
    i = end + 1 ;
  }
  return 0 ;
}

static int allowed (smtpd const *s, dcr_addr const *r)
{
  if (r->kind == DCR_ADDR_PM) return 1 ;  /* <Postmaster>: always ours */
  if (s->relayclient || s->authuserlen) return 1 ;   /* a trusted net, or a user who logged in */
  if (r->literal || r->relayhack) return 0 ;
  return dcr_routes_local(&s->routes, r->addr + r->at + 1, r->len - r->at - 1) ;
}

/* -1: another domain than the first recipient's (ASCII case ignored) */
static int otherdomain (smtpd const *s, dcr_addr const *r)
{
  char const *first = s->rcpts.s, *nl, *at ;
  size_t flen, dlen = r->kind == DCR_ADDR_PM ? 0 : r->len - r->at - 1 ;
  char const *d = r->addr + r->len - dlen ;
  if (!s->onedomain || !s->nrcpt) return 0 ;
  nl = memchr(first, '\n', s->rcpts.len) ;
  flen = nl ? (size_t)(nl - first) : s->rcpts.len ;
  at = memrchr(first, '@', flen) ;
  first = at ? at + 1 : first + flen ;
  flen -= first - s->rcpts.s ;
  return flen != dlen || strncasecmp(first, d, dlen) ;
}

static int add (stralloc *sa, unsigned int n, char const *x)
{
  return (!n || stralloc_catb(sa, "\n", 1)) && stralloc_cats(sa, x) ;
}

void smtpd_rcpt (smtpd *s, char const *a, size_t len)
{
  dcr_addr r ;
  dcr_rcptparams p ;
  size_t n = prefix(a, len, "TO:"), used ;
  int e ;
  char nfy[24] ;
  if (!s->inmail) { smtpd_error(s, "503 5.5.1 need MAIL command") ; return ; }
  if (s->inbdat) { smtpd_error(s, "503 5.5.1 RCPT during BDAT") ; return ; }
  if (!n) { smtpd_error(s, "501 5.5.4 syntax: RCPT TO:<address>") ; return ; }
  a += n ; len -= n ;
  e = dcr_addr_parse(a, len, DCR_ADDR_POSTMASTER, &r, &used) ;
  if (e) { smtpd_error(s, dcr_addr_reply(e, 1)) ; return ; }
  a += used ; len -= used ;
  if (r.utf8 && !s->mp.smtputf8) { smtpd_error(s, dcr_addr_reply(DCR_ADDR_EUTF8, 1)) ; return ; }
  if (!s->esmtp && len && a[0] == ' ')
  {
    size_t i = 0 ;
    while (i < len && a[i] == ' ') i++ ;
    if (i < len) { smtpd_error(s, "555 5.5.4 parameters need EHLO") ; return ; }
  }
  e = dcr_esmtp_rcpt(a, len, &p) ;
  if (e) { smtpd_error(s, dcr_esmtp_reply(e)) ; return ; }
  if (!allowed(s, &r))
  {
    dcr_log("event", "refused", "ip", s->remoteip, "rcpt", r.addr, "reply", "554 5.7.1", (char *)0) ;
    smtpd_put(s, "554 5.7.1 relay access denied") ;
    return ;
  }
  if (seen(s, r.addr, r.len)) { smtpd_put(s, "250 2.1.5 Ok (duplicate)") ; return ; }
  if (otherdomain(s, &r))
  {   /* one policy per transaction (doc/filters.md): the client sends it again later */
    smtpd_put(s, "452 4.5.3 one domain per message here: send this recipient in another transaction") ;
    return ;
  }
  dcr_esmtp_notify_fmt(nfy, p.notify) ;
  if (s->nrcpt >= s->maxrcpt
   || s->rcpts.len + 1 + r.len > SMTPD_ENVVAR_MAX
   || s->notify.len + 1 + strlen(nfy) > SMTPD_ENVVAR_MAX
   || s->orcpt.len + 1 + (p.hasorcpt ? strlen(p.orcpt) : 0) > SMTPD_ENVVAR_MAX)
  {
    /* the client sends the rest in another transaction (RFC 5321 4.5.3.1.10) */
    smtpd_put(s, "452 4.5.3 too many recipients") ;
    return ;
  }
  {
    size_t l1 = s->rcpts.len, l2 = s->notify.len, l3 = s->orcpt.len ;
    if (!add(&s->rcpts, s->nrcpt, r.addr)
     || !add(&s->notify, s->nrcpt, nfy)
     || !add(&s->orcpt, s->nrcpt, p.hasorcpt ? p.orcpt : ""))
    {
      s->rcpts.len = l1 ; s->notify.len = l2 ; s->orcpt.len = l3 ;   /* stay aligned */
      smtpd_put(s, "452 4.3.0 out of memory") ;
      return ;
    }
  }
  if (p.notify) s->hasnotify = 1 ;
  if (p.hasorcpt) s->hasorcpt = 1 ;
  s->nrcpt++ ;
  smtpd_put(s, "250 2.1.5 Ok") ;
}
