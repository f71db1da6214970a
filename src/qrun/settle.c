/* ISC license. */

/* Settling a flight after a job: its DSNs committed first, then its
   state written aside and renamed into env/NN (stamped with the next
   try), or, when nothing is pending, its envelope removed (synced by
   group commit) before its message. */

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dcr/log.h>
#include "qrun.h"
#include "flight.h"

#define BUSY_DELAY 30     /* seconds before a message held back by a full destination queue is looked at again */
#define PAUSED_DELAY 3600 /* ... by a paused domain: resume makes it due at once anyway */


/* Write the envelope aside and rename it into env/NN; stamp its mtime
   with the next try (the start-up scan reads only that). */
int flight_persist (uint32_t f, uint32_t next)
{
  flight *fl = flight_at(f) ;
  qentry *q = sched_get(fl->entry) ;
  char tmp[DCR_QUEUE_PATHMAX], path[DCR_QUEUE_PATHMAX] ;
  struct timespec ts[2] ;
  dcr_queue_tmppath(tmp, fl->id, ".env") ;
  dcr_queue_envpath(path, fl->id) ;
  switch (dcr_envelope_write(&fl->env, tmp, path))
  {
    case 0 :
      dcr_log("event", "write-error", "id", fl->id, "file", path, "error", strerror(errno), (char *)0) ;
      return 0 ;
    case -1 :   /* in place, its directory not synced: go on as written */
      dcr_log("event", "fsync-error", "id", fl->id, "file", path, "error", strerror(errno), (char *)0) ;
      break ;
  }
  ts[0].tv_sec = ts[1].tv_sec = next ; ts[0].tv_nsec = ts[1].tv_nsec = 0 ;
  utimensat(AT_FDCWD, path, ts, 0) ;
  if (q->flags & QE_NEW)
  {
    /* a crash before this unlink leaves both: the start-up scan keeps env/ */
    dcr_queue_newpath(path, fl->id) ;
    unlink(path) ;
    q->flags &= ~QE_NEW ;
  }
  fl->changed = 0 ;
  return 1 ;
}

static void remove_message (uint32_t f)
{
  flight *fl = flight_at(f) ;
  char path[DCR_QUEUE_PATHMAX] ;
  flight_envfile(f, path) ;
  if (unlink(path) < 0 && errno != ENOENT)
  {
    dcr_log("event", "unlink-error", "id", fl->id, "file", path, "error", strerror(errno), (char *)0) ;
    return ;
  }
  *strrchr(path, '/') = 0 ;
  dirty_dir(path) ;
  /* the message after the envelope's removal is on disk: a message
     without an envelope is an orphan the sweep removes; the other way
     round, an envelope would come back without its message */
  dcr_queue_messpath(path, fl->id) ;
  unlink_after_sync(path) ;
  dcr_log("event", "done", "id", fl->id, (char *)0) ;
}

/* The DSNs asked for so far, committed before the state that asks for
   them is written. */
void flight_send_dsns (flight *fl)
{
  uint32_t n = dcr_envelope_nrcpts(&fl->env) ;
  int dsn = 0 ;
  for (uint32_t i = 0 ; i < n ; i++) if (fl->kinds[i]) dsn = 1 ;
  if (dsn && !dsn_send(&fl->env, fl->kinds))
  {
    /* no DSN: a failure stays pending and is tried again later (its DSN
       with it); a delivery stays delivered, its notice is lost (logged) */
    for (uint32_t i = 0 ; i < n ; i++) if (fl->kinds[i] == 'f' || fl->kinds[i] == 'x')
    {
      dcr_rcpt *r = dcr_envelope_rcpts(&fl->env) + i ;
      r->state = DCR_RCPT_PENDING ;
      r->next = now + conf.retry_base ;
    }
  }
  else if (dsn) for (uint32_t i = 0 ; i < n ; i++) if (fl->kinds[i] == 'w') { fl->env.warned = 1 ; fl->changed = 1 ; }
  memset(fl->kinds, 0, n) ;
}

void flight_finish (uint32_t f)
{
  flight *fl = flight_at(f) ;
  uint32_t e = fl->entry, n = dcr_envelope_nrcpts(&fl->env), pending = 0 ;
  uint64_t next = UINT64_MAX ;
  flight_send_dsns(fl) ;
  for (uint32_t i = 0 ; i < n ; i++)
  {
    dcr_rcpt const *r = dcr_envelope_rcpts(&fl->env) + i ;
    if (r->state != DCR_RCPT_PENDING) continue ;
    pending++ ;
    if (r->next < next) next = r->next ;
  }
  if (!pending)
  {
    remove_message(f) ;
    flight_free(f) ;
    sched_remove(e) ;
    return ;
  }
  if (next < now) next = now ;
  if (fl->busy && next < now + BUSY_DELAY) next = now + BUSY_DELAY ;
  else if (fl->paused && next < now + PAUSED_DELAY) next = now + PAUSED_DELAY ;
  if (next > UINT32_MAX) next = UINT32_MAX ;   /* an envelope may say anything */
  if (fl->changed && !flight_persist(f, next)) next = now + 60 ;
  flight_free(f) ;
  sched_get(e)->flags &= ~(QE_FLIGHT | QE_BUSY) ;
  if (fl->busy || fl->paused) sched_get(e)->flags |= QE_BUSY ;
  sched_put(e, next) ;
}

