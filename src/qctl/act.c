/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qctl.h"

/* The commands done on the files, when dcr-qrun is down. main() holds
   the queue's lock for our whole life, so the runner cannot start and
   read a half-done change; each file change is itself atomic (write
   aside, fsync, rename: dcr_replace), as the runner's are. */

#define DOWN " (dcr-qrun is not running: done on the queue files)\n"

static void say (char const *what, char const *id)
{
  out(PROG) ; out(": ") ; out(what) ;
  if (id) { out(" ") ; out(id) ; }
  out(DOWN) ;
  outflush() ;
}

static void need (dcr_envelope *e, char const *id, char *path)
{
  int isnew ;
  int r = qctl_read(e, id, path, &isnew) ;
  if (!r) strerr_die(100, PROG, ": unknown queue id: ", id) ;
  if (r < 0) strerr_die(100, PROG, ": ", id, ": its envelope is broken (above): only delete works on it") ;
}

static void rewrite (dcr_envelope const *e, char const *path)
{
  char tmp[DCR_QUEUE_PATHMAX] ;
  int r ;
  dcr_queue_tmppath(tmp, e->id, ".env") ;
  r = dcr_envelope_write(e, tmp, path) ;
  if (!r) strerr_diefu2sys(111, "rewrite ", path) ;
  if (r < 0) strerr_diefu3sys(111, "fsync the directory of ", path, " (the change is made, but may not survive a crash)") ;
}

/* next = 0 for the pending recipients that match; their count */
static size_t retry_rcpts (dcr_envelope *e, char const *domain, size_t *changed)
{
  dcr_rcpt *r = genalloc_s(dcr_rcpt, &e->rcpts) ;
  size_t n = dcr_envelope_nrcpts(e), i = 0, k = 0 ;
  *changed = 0 ;
  for (; i < n ; i++)
  {
    if (r[i].state != DCR_RCPT_PENDING) continue ;
    if (domain && !qctl_domain_eq(qctl_rcpt_domain(r[i].addr), domain)) continue ;
    k++ ;
    if (r[i].next) { r[i].next = 0 ; (*changed)++ ; }
  }
  return k ;
}

int qctl_act_retry_id (char const *id)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  char path[DCR_QUEUE_PATHMAX] ;
  size_t changed ;
  need(&e, id, path) ;
  if (!retry_rcpts(&e, 0, &changed))
  {
    out(PROG) ; out(": ") ; out(id) ; out(" has no pending recipient: nothing to retry\n") ;
    outflush() ;
    return 0 ;
  }
  if (changed) rewrite(&e, path) ;
  say(e.hold ? "set to retry at once (but it is held)" : "set to retry at once", id) ;
  dcr_envelope_free(&e) ;
  return 0 ;
}

int qctl_act_retry_domain (char const *domain)
{
  qctl_scan sc = QCTL_SCAN_ZERO ;
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  uint64_t msgs = 0, rcpts = 0 ;
  qctl_scan_start(&sc) ;
  while (qctl_scan_next(&sc, &e))
  {
    size_t changed ;
    size_t k = retry_rcpts(&e, domain, &changed) ;
    if (!k) continue ;
    msgs++ ;
    rcpts += k ;
    if (changed) rewrite(&e, sc.path) ;
  }
  out(PROG) ; out(": ") ; outu(rcpts) ; out(" pending recipient(s)") ;
  if (domain) { out(" at ") ; out(domain) ; }
  out(" in ") ; outu(msgs) ; out(" message(s) set to retry at once") ;
  out(DOWN) ;
  outflush() ;
  dcr_envelope_free(&e) ;
  qctl_scan_free(&sc) ;
  return 0 ;
}

int qctl_act_hold (char const *id, unsigned int hold)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  char path[DCR_QUEUE_PATHMAX] ;
  need(&e, id, path) ;
  if (e.hold == hold)
  {
    out(PROG) ; out(": ") ; out(id) ; out(hold ? " is already held\n" : " is not held\n") ;
    outflush() ;
    return 0 ;
  }
  e.hold = hold ;
  rewrite(&e, path) ;
  say(hold ? "held" : "released", id) ;
  dcr_envelope_free(&e) ;
  return 0 ;
}

/* The runner's order: the envelope first, then the message. The
   envelope's directory is fsync'd in between, so a crash cannot leave
   an envelope whose message is gone. A broken envelope can be deleted:
   that is how an administrator gets rid of one. */
int qctl_act_delete (char const *id)
{
  char env[DCR_QUEUE_PATHMAX], mess[DCR_QUEUE_PATHMAX] ;
  dcr_queue_envpath(env, id) ;
  if (unlink(env) < 0)
  {
    if (errno != ENOENT) strerr_diefu2sys(111, "unlink ", env) ;
    dcr_queue_newpath(env, id) ;
    if (unlink(env) < 0)
    {
      if (errno == ENOENT) strerr_die(100, PROG, ": unknown queue id: ", id) ;
      strerr_diefu2sys(111, "unlink ", env) ;
    }
  }
  if (!dcr_fsync_parent(env)) strerr_diefu3sys(111, "fsync the directory of ", env, " (the envelope is gone, its message stays: the runner's sweep removes it)") ;
  dcr_queue_messpath(mess, id) ;
  if (unlink(mess) < 0 && errno != ENOENT)
    strerr_diefu3sys(111, "unlink ", mess, " (the envelope is gone: the runner's sweep removes the message)") ;
  if (!dcr_fsync_parent(mess)) strerr_warnwu2sys("fsync the directory of ", mess) ;
  say("deleted", id) ;
  return 0 ;
}

int qctl_act_pause (char const *entry, int pause)
{
  stralloc list = STRALLOC_ZERO, text = STRALLOC_ZERO ;
  int whole = !strcmp(entry, "*") ;
  int bad = qctl_paused_read(&list) ;
  int changed ;
  if (bad < 0) strerr_diefu1sys(111, "read paused") ;
  if (bad) strerr_warnw1x("paused: lines that are not domains are dropped") ;
  if (pause)
  {
    changed = !qctl_paused_has(&list, entry) ;
    if (changed && !qctl_paused_add(&list, entry)) strerr_diefu1sys(111, "allocate") ;
  }
  else changed = qctl_paused_remove(&list, entry) ;
  if (!changed)
  {
    out(PROG) ; out(": ") ;
    out(whole ? "the queue" : entry) ;
    out(pause ? " is already paused\n" : " is not paused\n") ;
    outflush() ;
    if (!bad) goto end ;
  }
  if (!qctl_paused_fmt(&text, &list)) strerr_diefu1sys(111, "allocate") ;
  {
    int r = dcr_replace("tmp/paused", "paused", text.s ? text.s : "", text.len) ;
    if (!r) strerr_diefu1sys(111, "rewrite paused") ;
    if (r < 0) strerr_diefu1sys(111, "fsync the queue directory after rewriting paused") ;
  }
  if (changed)
  {
    out(PROG) ; out(": ") ;
    out(pause ? "paused " : "resumed ") ;
    out(whole ? "the whole queue" : entry) ;
    out(DOWN) ;
    outflush() ;
  }
 end:
  stralloc_free(&list) ;
  stralloc_free(&text) ;
  return 0 ;
}
