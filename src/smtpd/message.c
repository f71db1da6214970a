/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>

#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#include <dcr/log.h>
#include <dcr/qid.h>
#include "data.h"
#include "smtpd.h"

/* DATA and BDAT: stream the message through the data state machine to
   the spool file, then decide the reply. Memory stays flat: one input
   buffer, one output chunk. */

static void spool_write (smtpd *s, char const *buf, size_t n)
{
  if (s->spool < 0 || s->spoolerr || !n) return ;
  if (allwrite(s->spool, buf, n) < n) s->spoolerr = errno ? errno : EIO ;
}

/* feed at most max octets of the input buffer to the machine */
static size_t feed (smtpd *s, size_t max)
{
  char out[SMTPD_INSIZE] ;
  struct iovec v[2] ;
  size_t used = 0 ;
  unsigned int i = 0 ;
  buffer_rpeek(&s->in, v) ;
  for (; i < 2 && used < max && !s->data.end ; i++)
  {
    size_t len = v[i].iov_len, w, n ;
    if (len > max - used) len = max - used ;
    n = dcr_data_feed(&s->data, v[i].iov_base, len, out, &w) ;
    spool_write(s, out, w) ;
    used += n ;
    if (n < len) break ;
  }
  buffer_rseek(&s->in, used) ;
  return used ;
}

static void begin (smtpd *s, int bdat)
{
  dcr_qid_make(s->id) ;
  s->spoolerr = 0 ;
  s->spool = smtpd_spool_open(s) ;
  if (s->spool < 0) s->spoolerr = errno ? errno : EIO ;
  dcr_data_init(&s->data, s->maxsize, bdat) ;
}

static void finish (smtpd *s)
{
  char reply[SMTPD_REPLYMAX] ;
  char const *r ;
  char n[UINT_FMT], size[UINT64_FMT] ;
  if (s->data.bare) r = "554 5.6.0 message refused: bare CR or LF (RFC 5321 2.3.8)" ;
  else if (s->data.toobig) r = "552 5.3.4 message too big" ;
  else if (s->spoolerr == ENOSPC || s->spoolerr == EDQUOT) r = "452 4.3.1 insufficient system storage" ;
  else if (s->spoolerr) r = "451 4.3.0 local error writing the message" ;
  else if (s->data.received >= SMTPD_MAXHOPS) r = "554 5.4.6 too many Received headers: mail loop" ;
  else
  {
    smtpd_flush(s) ;   /* the child may take a while: replies go out first */
    smtpd_deliver(s, reply) ;
    r = reply ;
  }
  n[uint_fmt(n, s->nrcpt)] = 0 ;
  size[uint64_fmt(size, s->data.size)] = 0 ;
  dcr_log("event", "message", "id", s->id, "ip", s->remoteip, "from", s->sender.addr,
    "nrcpt", n, "size", size, "status", r, (char *)0) ;
  smtpd_put(s, r) ;
  s->nmsg++ ;
  smtpd_reset(s) ;
}

static int blank (char const *a, size_t len)
{
  size_t i = 0 ;
  for (; i < len ; i++) if (a[i] != ' ') return 0 ;
  return 1 ;
}

void smtpd_data (smtpd *s, char const *a, size_t len)
{
  if (!blank(a, len)) { smtpd_error(s, "501 5.5.4 syntax: DATA") ; return ; }
  if (s->inbdat) { smtpd_error(s, "503 5.5.1 DATA not allowed after BDAT") ; return ; }
  if (!s->inmail) { smtpd_error(s, "503 5.5.1 need MAIL command") ; return ; }
  if (!s->nrcpt) { smtpd_error(s, "554 5.5.1 no valid recipients") ; return ; }
  begin(s, 0) ;
  smtpd_put(s, "354 End data with <CR><LF>.<CR><LF>") ;
  while (!s->data.end)
  {
    if (buffer_isempty(&s->in)) smtpd_fill_data(s) ;
    feed(s, (size_t)-1) ;
  }
  finish(s) ;
}

/* discard n octets of input: the chunk of a BDAT we refuse */
static void skip (smtpd *s, unsigned long long n)
{
  while (n)
  {
    size_t k = buffer_len(&s->in) ;
    if (!k) { smtpd_fill_data(s) ; continue ; }
    if (k > n) k = n ;
    buffer_rseek(&s->in, k) ;
    n -= k ;
  }
}

/* "SIZE" or "SIZE LAST", any case, trailing spaces tolerated */
static int bdatargs (char const *a, size_t len, unsigned long long *size, int *last)
{
  size_t i = 0, sp ;
  unsigned long long v = 0 ;
  if (!len || a[0] < '0' || a[0] > '9') return 0 ;
  for (; i < len && a[i] >= '0' && a[i] <= '9' ; i++)
  {
    if (i >= 17) return 0 ;   /* 17 digits at most (doc/dcr-smtpd.md): no overflow */
    v = v * 10 + (a[i] - '0') ;
  }
  *size = v ; *last = 0 ;
  sp = i ;
  while (i < len && a[i] == ' ') i++ ;
  if (i == sp && i < len) return 0 ;   /* "3LAST": LAST must stand apart */
  if (len - i >= 4 && !strncasecmp(a + i, "LAST", 4)) { *last = 1 ; i += 4 ; }
  else if (i < len) return 0 ;
  if (i < len && a[i] != ' ') return 0 ;
  return blank(a + i, len - i) ;
}

void smtpd_bdat (smtpd *s, char const *a, size_t len)
{
  unsigned long long size ;
  int last ;
  char const *err = 0 ;
  char chunk[UINT64_FMT] ;
  if (!bdatargs(a, len, &size, &last)) { smtpd_error(s, "501 5.5.4 syntax: BDAT size [LAST]") ; return ; }
  if (!s->helolen || !s->inmail) err = "503 5.5.1 need MAIL command" ;
  else if (!s->nrcpt) err = "554 5.5.1 no valid recipients" ;
  if (err) { skip(s, size) ; smtpd_error(s, err) ; return ; }
  if (!s->inbdat) { begin(s, 1) ; s->inbdat = 1 ; }
  chunk[uint64_fmt(chunk, size)] = 0 ;
  while (size)
  {
    if (buffer_isempty(&s->in)) smtpd_fill_data(s) ;
    size -= feed(s, size) ;
  }
  if (last) { dcr_data_finish(&s->data) ; finish(s) ; }
  else if (s->data.toobig) smtpd_put(s, "552 5.3.4 message too big") ;
  else smtpd_put2(s, "250 2.0.0 octets received: ", chunk) ;
}
