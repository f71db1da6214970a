/* ISC license. */
/* fuzz-command: arbitrary bytes through the line reader, then every
   complete line through the verb, path and parameter parsers, the way
   dcr-smtpd does. Invariants are checked with abort(). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dcr/line.h>
#include <dcr/addr.h>
#include <dcr/esmtp.h>

static void command (char const *s, size_t len)
{
  size_t arg, used ;
  int verb = dcr_esmtp_verb(s, len, &arg) ;
  dcr_addr a ;
  if (arg > len) abort() ;
  if (verb == DCR_CMD_MAIL || verb == DCR_CMD_RCPT)
  {
    size_t p = arg + (verb == DCR_CMD_MAIL ? 5 : 3) ;
    if (p > len) return ;
    if (!dcr_addr_parse(s + p, len - p, verb == DCR_CMD_MAIL ? DCR_ADDR_NULLOK : DCR_ADDR_POSTMASTER, &a, &used))
    {
      if (used > len - p || a.len >= DCR_ADDR_PATHMAX || strlen(a.addr) != a.len) abort() ;
      if (a.kind == DCR_ADDR_MAILBOX && (a.at >= a.len || a.addr[a.at] != '@')) abort() ;
      if (memchr(a.addr, '\r', a.len) || memchr(a.addr, '\n', a.len) || memchr(a.addr, ' ', a.len && !a.quoted ? a.len : 0)) abort() ;
      p += used ;
      if (verb == DCR_CMD_MAIL)
      {
        dcr_mailparams m ;
        if (!dcr_esmtp_mail(s + p, len - p, 1000000, &m))
        {
          size_t i = 0 ;
          if (m.hassize && m.size > 1000000) abort() ;
          for (; m.envid[i] ; i++) if ((unsigned char)m.envid[i] < 32) abort() ;
          if (i > DCR_ESMTP_ENVIDMAX) abort() ;
        }
      }
      else
      {
        dcr_rcptparams r ;
        if (!dcr_esmtp_rcpt(s + p, len - p, &r))
        {
          char n[32] ;
          size_t i = 0 ;
          if ((r.notify & DCR_NOTIFY_NEVER) && r.notify != DCR_NOTIFY_NEVER) abort() ;
          if (dcr_esmtp_notify_fmt(n, r.notify) > 21) abort() ;
          for (; r.orcpt[i] ; i++) if ((unsigned char)r.orcpt[i] < 32) abort() ;
          if (i > DCR_ESMTP_ORCPTMAX) abort() ;
        }
      }
    }
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static dcr_line l ;
  size_t i = 0 ;
  dcr_line_init(&l) ;
  while (i < size)
  {
    int ev ;
    /* odd chunk sizes to cross every boundary */
    size_t k = 1 + (i * 7 + size) % 97 ;
    size_t used ;
    if (k > size - i) k = size - i ;
    used = dcr_line_feed(&l, (char const *)data + i, k, &ev) ;
    if (!used || used > k) abort() ;
    i += used ;
    if (ev == DCR_LINE_OK)
    {
      if (l.len >= sizeof(l.buf) || l.buf[l.len] || memchr(l.buf, '\n', l.len)) abort() ;
      command(l.buf, l.len) ;
    }
  }
  return 0 ;
}
