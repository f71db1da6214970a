/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/djbunix.h>

#include "qctl.h"

/* dcr-qctl show ID: the envelope, one field a line, then the header
   section of the message (to its first empty line), at most HEADMAX
   bytes: a message with a 50 MB header section must not flood the
   terminal. */

#define HEADMAX 65536

static void field (char const *key, char const *value)
{
  outpad(key, 11) ;
  if (value) outesc(value, strlen(value)) ;
  else out("-") ;
  out("\n") ;
}

static void field_u (char const *key, uint64_t u)
{
  outpad(key, 11) ;
  outu(u) ;
  out("\n") ;
}

static void out_time (uint64_t t)
{
  char buf[64] ;
  time_t tt = (time_t)t ;
  struct tm tm ;
  if (gmtime_r(&tt, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm)) out(buf) ;
  else outu(t) ;
}

static void field_time (char const *key, uint64_t t)
{
  char dur[32] ;
  outpad(key, 11) ;
  out_time(t) ;
  qctl_fmt_dur(dur, t < qctl_now ? qctl_now - t : 0) ;
  out(" (") ; out(dur) ; out(" ago)\n") ;
}

static void show_rcpt (dcr_rcpt const *r)
{
  char buf[40] ;
  out("  ") ;
  outpad(dcr_rcpt_statename(r->state), 11) ;
  out("<") ; outesc(r->addr, strlen(r->addr)) ; out(">\n") ;
  out("    tries ") ; outu(r->tries) ;
  out("  next ") ;
  if (r->state != DCR_RCPT_PENDING) out("-") ;
  else if (r->next <= qctl_now) out("now") ;
  else
  {
    qctl_fmt_dur(buf, r->next - qctl_now) ;
    out("in ") ; out(buf) ;
    out(" (") ; out_time(r->next) ; out(")") ;
  }
  if (r->notify[0]) { out("  notify ") ; out(r->notify) ; }
  if (r->orcpt[0]) { out("  orcpt ") ; outesc(r->orcpt, strlen(r->orcpt)) ; }
  out("\n") ;
  if (r->reply[0]) { out("    reply ") ; outesc(r->reply, strlen(r->reply)) ; out("\n") ; }
}

/* The header section: up to the first empty line, HEADMAX at most. A
   missing message is said on stdout: it is part of the answer. */
static void show_headers (char const *path)
{
  static char head[HEADMAX] ;
  size_t len = 0, end ;
  char const *blank = 0 ;
  int fd = open_read(path) ;
  if (fd < 0)
  {
    if (errno != ENOENT) strerr_diefu2sys(111, "open ", path) ;
    out("\nmessage file missing: ") ; out(path) ; out("\n") ;
    strerr_warnw2x(path, ": missing: an envelope without its message is a runner bug") ;
    return ;
  }
  while (len < HEADMAX && !blank)
  {
    ssize_t r = read(fd, head + len, HEADMAX - len) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      strerr_diefu2sys(111, "read ", path) ;
    }
    if (!r) break ;
    len += r ;
    blank = len && head[0] == '\n' ? head : memmem(head, len, "\n\n", 2) ;
  }
  fd_close(fd) ;
  end = !blank ? len : blank == head ? 0 : (size_t)(blank - head) + 1 ;
  out("\n") ;
  outesc(head, end) ;
  if (end && head[end-1] != '\n') out("\n") ;
  if (!blank && len == HEADMAX) { out("[header section cut at ") ; outu(HEADMAX) ; out(" bytes]\n") ; }
}

int qctl_show (char const *id)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  char path[DCR_QUEUE_PATHMAX], mess[DCR_QUEUE_PATHMAX] ;
  dcr_rcpt const *r ;
  size_t n, i ;
  uint64_t bystate[3] = { 0, 0, 0 } ;
  char prio[INT_FMT + 1] ;
  int isnew ;
  int got = qctl_read(&e, id, path, &isnew) ;
  if (!got) strerr_die(100, PROG, ": unknown queue id: ", id) ;
  if (got < 0) strerr_die(100, PROG, ": cannot show ", id, ": its envelope is broken (above); dcr-qctl delete removes it") ;
  r = dcr_envelope_rcpts(&e) ;
  n = dcr_envelope_nrcpts(&e) ;
  dcr_queue_messpath(mess, id) ;
  prio[int_fmt(prio, e.priority)] = 0 ;
  field("id", e.id) ;
  field("envelope", path) ;
  field("message", mess) ;
  field("state", e.hold ? (isnew ? "held, in new/ (not yet picked up by the runner)" : "held") : isnew ? "in new/ (not yet picked up by the runner)" : "queued") ;
  field_time("arrival", e.arrival) ;
  field_u("size", e.size) ;
  field("priority", prio) ;
  outpad("sender", 11) ; out("<") ; outesc(e.sender, strlen(e.sender)) ; out(">\n") ;
  field("helo", e.helo) ;
  field("proto", e.proto) ;
  field("ip", e.ip) ;
  field("authuser", e.authuser) ;
  field("body", e.body) ;
  field("smtputf8", e.smtputf8 ? "yes" : "no") ;
  field("ret", e.ret) ;
  field("envid", e.envid) ;
  for (i = 0 ; i < n ; i++) if (r[i].state < 3) bystate[r[i].state]++ ;
  outpad("recipients", 11) ; outu(n) ;
  out(" (pending ") ; outu(bystate[0]) ; out(", delivered ") ; outu(bystate[1]) ;
  out(", failed ") ; outu(bystate[2]) ; out(")\n") ;
  for (i = 0 ; i < n ; i++) show_rcpt(r + i) ;
  show_headers(mess) ;
  outflush() ;
  dcr_envelope_free(&e) ;
  return 0 ;
}
