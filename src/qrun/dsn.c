/* ISC license. */

/* Delivery status notifications (RFC 3464), queued by the runner itself
   in the same order dcr-enqueue commits a message: the message linked
   and fsync'd, its directory fsync'd, then its envelope, straight into
   env/ (the runner owns it), then the schedule. Sent with the null
   sender, so a DSN is never bounced. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/allreadwrite.h>

#include <dcr/log.h>
#include "qrun.h"

#define HEADERS_MAX 65536
#define DSN_PRIORITY (-100)   /* bounces after other mail */

static int cat (stralloc *sa, char const *s) { return stralloc_cats(sa, s) ; }

static int cat_date (stralloc *sa, uint64_t t)
{
  char buf[64] ;
  time_t tt = t ;
  struct tm tm ;
  if (!gmtime_r(&tt, &tm)) return 0 ;
  return stralloc_catb(sa, buf, strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm)) ;
}

/* "550 5.1.1 text" -> "5.1.1"; a reply without one -> from its class */
static void status_of (char const *reply, char kind, char *out)
{
  size_t i = 4, n ;
  if (kind == 'x') { strcpy(out, "4.4.7") ; return ; }
  if (strlen(reply) > 9 && reply[3] == ' ' && reply[4] >= '2' && reply[4] <= '5' && reply[5] == '.')
  {
    for (n = i ; reply[n] && reply[n] != ' ' && n - i < 15 ; n++) ;
    memcpy(out, reply + i, n - i) ; out[n - i] = 0 ;
    return ;
  }
  strcpy(out, kind == 'd' ? "2.0.0" : reply[0] == '4' ? "4.0.0" : "5.0.0") ;
}

static int cat_original (stralloc *sa, char const *id, int full)
{
  char path[DCR_QUEUE_PATHMAX] ;
  char buf[8192] ;
  int fd ;
  size_t start = sa->len ;
  dcr_queue_messpath(path, id) ;
  fd = open_read(path) ;
  if (fd < 0) return 0 ;
  for (;;)
  {
    ssize_t r = fd_read(fd, buf, sizeof buf) ;
    if (r < 0) { fd_close(fd) ; return 0 ; }
    if (!r) break ;
    if (!stralloc_catb(sa, buf, r)) { fd_close(fd) ; return 0 ; }
    if (!full)
    {
      char *end ;
      sa->s[sa->len] = 0 ;
      end = strstr(sa->s + start, "\n\n") ;
      if (end) { sa->len = end + 1 - sa->s ; break ; }
      if (sa->len - start > HEADERS_MAX) { sa->len = start + HEADERS_MAX ; break ; }
    }
  }
  fd_close(fd) ;
  if (sa->len > start && sa->s[sa->len - 1] != '\n') return stralloc_catb(sa, "\n", 1) ;
  return 1 ;
}

static int ascii (char const *s)
{
  for (; *s ; s++) if ((unsigned char)*s >= 0x80) return 0 ;
  return 1 ;
}

static int compose (stralloc *sa, dcr_envelope const *e, char const *kinds, char const *newid)
{
  dcr_rcpt const *r = dcr_envelope_rcpts(e) ;
  size_t n = dcr_envelope_nrcpts(e) ;
  char id[DCR_QID_LEN + 1], status[16] ;
  int failed = 0, delayed = 0, full ;
  int g = e->smtputf8 ;   /* RFC 6533: the global types for an SMTPUTF8 message */
  memcpy(id, e->id, DCR_QID_LEN) ; id[DCR_QID_LEN] = 0 ;
  for (size_t i = 0 ; i < n ; i++) if (kinds[i] == 'f' || kinds[i] == 'x') failed = 1 ; else if (kinds[i] == 'w') delayed = 1 ;
  full = failed && !(e->ret && !strcmp(e->ret, "HDRS")) && e->size <= conf.bounce_size ;
  if (!cat(sa, "From: Mail Delivery System <MAILER-DAEMON@") || !cat(sa, conf.hostname) || !cat(sa, ">\n")
   || !cat(sa, "To: <") || !cat(sa, e->sender) || !cat(sa, ">\n")
   || !cat(sa, failed ? "Subject: Undelivered Mail Returned to Sender\n" : delayed ? "Subject: Delayed Mail (still being retried)\n" : "Subject: Successful Mail Delivery Report\n")
   || !cat(sa, "Date: ") || !cat_date(sa, now) || !cat(sa, "\n")
   || !cat(sa, "Message-ID: <") || !cat(sa, newid) || !cat(sa, "@") || !cat(sa, conf.hostname) || !cat(sa, ">\n")
   || !cat(sa, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n")
   || !cat(sa, "Content-Type: multipart/report; report-type=") || !cat(sa, g ? "global-delivery-status" : "delivery-status")
   || !cat(sa, ";\n\tboundary=\"") || !cat(sa, newid) || !cat(sa, "/") || !cat(sa, conf.hostname) || !cat(sa, "\"\n\n")
   || !cat(sa, "This is a MIME-encapsulated message.\n\n--") || !cat(sa, newid) || !cat(sa, "/") || !cat(sa, conf.hostname) || !cat(sa, "\n")
   || !cat(sa, "Content-Description: Notification\nContent-Type: text/plain; charset=utf-8\n\n")
   || !cat(sa, "This is the mail system at host ") || !cat(sa, conf.hostname) || !cat(sa, ".\n\n")
   || !cat(sa, failed ? "Your message could not be delivered to one or more recipients.\nThe message, or its headers, is attached below.\n\n"
               : delayed ? "Your message could not be delivered yet to the recipients below.\nThis is only a warning: delivery is still being tried; you need not send it again.\n\n"
               : "Your message was delivered to the recipients below.\n\n")) return 0 ;
  for (size_t i = 0 ; i < n ; i++) if (kinds[i])
    if (!cat(sa, "<") || !cat(sa, r[i].addr) || !cat(sa, ">: ") || !cat(sa, kinds[i] == 'x' ? "gave up after the time limit; last reply: " : "")
     || !cat(sa, r[i].reply[0] ? r[i].reply : "(no reply)") || !cat(sa, "\n")) return 0 ;
  if (!cat(sa, "\n--") || !cat(sa, newid) || !cat(sa, "/") || !cat(sa, conf.hostname) || !cat(sa, "\n")
   || !cat(sa, g ? "Content-Description: Delivery report\nContent-Type: message/global-delivery-status\n\n"
                 : "Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n")
   || !cat(sa, "Reporting-MTA: dns; ") || !cat(sa, conf.hostname) || !cat(sa, "\n")
   || !cat(sa, "X-Dcrouter-Queue-ID: ") || !cat(sa, id) || !cat(sa, "\n")
   || (e->envid && (!cat(sa, "Original-Envelope-Id: ") || !cat(sa, e->envid) || !cat(sa, "\n")))
   || !cat(sa, "Arrival-Date: ") || !cat_date(sa, e->arrival) || !cat(sa, "\n")) return 0 ;
  for (size_t i = 0 ; i < n ; i++) if (kinds[i])
  {
    char const *semi = strchr(r[i].orcpt, ';') ;
    status_of(r[i].reply, kinds[i], status) ;
    if (!cat(sa, "\nFinal-Recipient: ") || !cat(sa, ascii(r[i].addr) ? "rfc822; " : "utf-8; ") || !cat(sa, r[i].addr) || !cat(sa, "\n")
     || (semi && (!stralloc_catb(sa, "Original-Recipient: ", 20) || !stralloc_catb(sa, r[i].orcpt, semi + 1 - r[i].orcpt)
                  || !cat(sa, " ") || !cat(sa, semi + 1) || !cat(sa, "\n")))
     || !cat(sa, "Action: ") || !cat(sa, kinds[i] == 'd' ? "delivered\n" : kinds[i] == 'w' ? "delayed\n" : "failed\n")
     || !cat(sa, "Status: ") || !cat(sa, status) || !cat(sa, "\n")
     || (r[i].reply[0] >= '2' && r[i].reply[0] <= '5' && (!cat(sa, "Diagnostic-Code: smtp; ") || !cat(sa, r[i].reply) || !cat(sa, "\n")))
     || !cat(sa, "Last-Attempt-Date: ") || !cat_date(sa, now) || !cat(sa, "\n")
     || (kinds[i] == 'w' && (!cat(sa, "Will-Retry-Until: ") || !cat_date(sa, e->arrival + conf.expire) || !cat(sa, "\n")))) return 0 ;
  }
  if (!cat(sa, "\n--") || !cat(sa, newid) || !cat(sa, "/") || !cat(sa, conf.hostname) || !cat(sa, "\n")
   || !cat(sa, full ? (g ? "Content-Description: Undelivered Message\nContent-Type: message/global\n\n"
                         : "Content-Description: Undelivered Message\nContent-Type: message/rfc822\n\n")
                    : (g ? "Content-Description: Message Headers\nContent-Type: message/global-headers\n\n"
                         : "Content-Description: Message Headers\nContent-Type: text/rfc822-headers\n\n"))
   || !(cat_original(sa, id, full) || cat(sa, "(the original message could not be read)\n"))
   || !cat(sa, "\n--") || !cat(sa, newid) || !cat(sa, "/") || !cat(sa, conf.hostname) || !cat(sa, "--\n")) return 0 ;
  return 1 ;
}

/* Commit text as message newid, with an envelope to rcpt. */
static int commit (stralloc const *sa, dcr_envelope const *orig, char const *newid)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  char mess[DCR_QUEUE_PATHMAX], tmp[DCR_QUEUE_PATHMAX], env[DCR_QUEUE_PATHMAX], dir[8] = "mess/" ;
  int fd = open("tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC, DCR_QUEUE_FILEMODE) ;
  int ok = 0 ;
  uint32_t q ;
  dcr_queue_messpath(mess, newid) ;
  dcr_qid_bucketname(newid, dir + 5) ;
  if (fd < 0) return 0 ;
  if (!dcr_write_all(fd, sa->s, sa->len) || !dcr_mkdirp(dir) || !dcr_link_fd(fd, mess)) goto err ;
  if (fsync(fd) < 0 || !dcr_fsync_dir(dir)) goto errlink ;
  e.id = newid ; e.arrival = now ; e.size = sa->len ; e.sender = "" ;
  e.priority = DSN_PRIORITY ;
  e.body = orig->body && strcmp(orig->body, "7BIT") ? "8BITMIME" : 0 ;
  e.smtputf8 = orig->smtputf8 ;
  if (!dcr_envelope_addrcpt(&e, orig->sender, "", "")) goto errlink ;
  dcr_queue_tmppath(tmp, newid, ".env") ;
  dcr_queue_envpath(env, newid) ;
  if (dcr_envelope_write(&e, tmp, env) <= 0) goto errlink ;
  q = sched_add(newid, 0, 1, DSN_PRIORITY) ;
  if (q != NONE32) sched_put(q, 1) ;
  ok = 1 ;
  goto err ;
 errlink:
  unlink(mess) ;
 err:
  if (!ok) dcr_log("event", "dsn-failed", "id", newid, "error", strerror(errno), (char *)0) ;
  dcr_envelope_free(&e) ;
  fd_close(fd) ;
  return ok ;
}

int dsn_send (dcr_envelope const *e, char const *kinds)
{
  stralloc sa = STRALLOC_ZERO ;
  char newid[DCR_QID_LEN + 1], id[DCR_QID_LEN + 1] ;
  int ok ;
  if (!e->sender[0]) return 1 ;   /* never bounce a bounce */
  dcr_qid_make(newid) ;
  memcpy(id, e->id, DCR_QID_LEN) ; id[DCR_QID_LEN] = 0 ;
  ok = compose(&sa, e, kinds, newid) && commit(&sa, e, newid) ;
  if (ok) dcr_log("event", "dsn", "id", id, "dsn", newid, "to", e->sender, (char *)0) ;
  stralloc_free(&sa) ;
  return ok ;
}
