/* ISC license. */

#include <string.h>

#include <skalibs/uint64.h>
#include <skalibs/types.h>

#include "qctl.h"

/* One block per message, in id (arrival) order:

   661115f8fe6fe0029b90000  age 3h12m  size 1234  prio 0  from <alice@example.com>  held
     pending    tries 3  next in 4m   <bob@example.net>  451 4.7.1 greylisted
     delivered  tries 1  next -       <carol@example.org>  250 2.0.0 ok

   With --domain or --state, a message is listed when one of its
   recipients matches, and only the matching recipients are shown. */

static int rcpt_matches (dcr_rcpt const *r, qctl_filter const *f)
{
  if (f->domain && !qctl_domain_eq(qctl_rcpt_domain(r->addr), f->domain)) return 0 ;
  if (f->state >= 0 && f->state != QCTL_HELD && (unsigned int)f->state != r->state) return 0 ;
  return 1 ;
}

static int rcpt_filtered (qctl_filter const *f)
{
  return f->domain || (f->state >= 0 && f->state != QCTL_HELD) ;
}

static int matches (dcr_envelope const *e, qctl_filter const *f)
{
  dcr_rcpt const *r = dcr_envelope_rcpts(e) ;
  size_t n = dcr_envelope_nrcpts(e), i = 0 ;
  if (f->state == QCTL_HELD && !e->hold) return 0 ;
  if (f->older && (e->arrival > qctl_now || qctl_now - e->arrival < f->older)) return 0 ;
  if (!rcpt_filtered(f)) return 1 ;
  for (; i < n ; i++) if (rcpt_matches(r + i, f)) return 1 ;
  return 0 ;
}

static void out_age (uint64_t t)
{
  char buf[32] ;
  qctl_fmt_dur(buf, t < qctl_now ? qctl_now - t : 0) ;
  out(buf) ;
}

static void out_rcpt (dcr_rcpt const *r)
{
  char buf[40] ;
  size_t n ;
  out("  ") ;
  outpad(dcr_rcpt_statename(r->state), 11) ;
  memcpy(buf, "tries ", 6) ;
  n = 6 + uint_fmt(buf + 6, r->tries) ;
  buf[n] = 0 ;
  outpad(buf, 10) ;
  if (r->state != DCR_RCPT_PENDING) strcpy(buf, "next -") ;
  else if (r->next <= qctl_now) strcpy(buf, "next now") ;
  else
  {
    memcpy(buf, "next in ", 8) ;
    qctl_fmt_dur(buf + 8, r->next - qctl_now) ;
  }
  outpad(buf, 14) ;
  out("<") ;
  outesc(r->addr, strlen(r->addr)) ;
  out(">") ;
  if (r->reply[0])
  {
    out("  ") ;
    outesc(r->reply, strlen(r->reply)) ;
  }
  out("\n") ;
}

static void out_message (dcr_envelope const *e, int isnew, qctl_filter const *f)
{
  dcr_rcpt const *r = dcr_envelope_rcpts(e) ;
  size_t n = dcr_envelope_nrcpts(e), i = 0, hidden = 0 ;
  char prio[INT_FMT + 1] ;
  prio[int_fmt(prio, e->priority)] = 0 ;
  out(e->id) ;
  out("  age ") ; out_age(e->arrival) ;
  out("  size ") ; outu(e->size) ;
  out("  prio ") ; out(prio) ;
  out("  from <") ; outesc(e->sender, strlen(e->sender)) ; out(">") ;
  if (e->hold) out("  held") ;
  if (isnew) out("  new") ;
  out("\n") ;
  for (; i < n ; i++)
  {
    if (rcpt_filtered(f) && !rcpt_matches(r + i, f)) { hidden++ ; continue ; }
    out_rcpt(r + i) ;
  }
  if (hidden)
  {
    out("  (") ; outu(hidden) ; out(hidden == 1 ? " other recipient)\n" : " other recipients)\n") ;
  }
}

int qctl_list (qctl_filter const *f)
{
  qctl_scan sc = QCTL_SCAN_ZERO ;
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  uint64_t msgs = 0, rcpts = 0, bytes = 0, total = 0 ;
  qctl_scan_start(&sc) ;
  while (qctl_scan_next(&sc, &e))
  {
    total++ ;
    if (!matches(&e, f)) continue ;
    msgs++ ;
    rcpts += dcr_envelope_nrcpts(&e) ;
    bytes += e.size ;
    if (f->idsonly) { out(e.id) ; out("\n") ; }
    else out_message(&e, sc.isnew, f) ;
  }
  if (!f->idsonly)
  {
    /* mailq's closing line: how much, and whether a filter hid some */
    out("-- ") ; outu(msgs) ; out(msgs == 1 ? " message, " : " messages, ") ;
    outu(rcpts) ; out(rcpts == 1 ? " recipient, " : " recipients, ") ;
    outu(bytes) ; out(" bytes") ;
    if (msgs != total) { out(" (of ") ; outu(total) ; out(" in the queue)") ; }
    if (sc.broken) { out(", ") ; outu(sc.broken) ; out(" broken envelope(s) skipped") ; }
    out("\n") ;
  }
  outflush() ;
  dcr_envelope_free(&e) ;
  qctl_scan_free(&sc) ;
  return 0 ;
}
