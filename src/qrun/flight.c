/* ISC license. */

/* A flight: one message being delivered. Its envelope is read when it
   is due, its recipients go out in jobs, verdicts change their state,
   and after every job the state is made durable before anything else
   depends on it: DSNs first, then the envelope (write aside, fsync,
   rename), or the files removed when nothing is left to do. */

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>

#include <dcr/log.h>
#include "qrun.h"
#include "flight.h"

#define GROUPS_MAX 64

static flight *flights = 0 ;
flight *flight_at (uint32_t f) { return flights + f ; }

static uint32_t nflights = 0, capflights = 0, inuse = 0 ;
static uint32_t freeflights = NONE32 ;   /* free slots, linked through their jobs field */

unsigned int flight_count (void) { return inuse ; }

static uint32_t flight_new (void)
{
  uint32_t f ;
  if (freeflights != NONE32) { f = freeflights ; freeflights = flights[f].jobs ; }
  else
  {
    if (nflights == capflights) flights = qrun_grow(flights, &capflights, sizeof(flight), 64, 1) ;
    f = nflights++ ;
  }
  inuse++ ;
  return f ;
}

void flight_free (uint32_t f)
{
  uint32_t n = dcr_envelope_nrcpts(&flights[f].env) ;
  if (flights[f].replies) for (uint32_t i = 0 ; i < n ; i++) free(flights[f].replies[i]) ;
  free(flights[f].replies) ;
  free(flights[f].kinds) ;
  free(flights[f].failover) ;
  flights[f].kinds = flights[f].failover = 0 ;
  flights[f].replies = 0 ;
  dcr_envelope_free(&flights[f].env) ;
  flights[f].entry = NONE32 ;
  flights[f].jobs = freeflights ;
  freeflights = f ;
  inuse-- ;
}

char const *flight_envfile (uint32_t f, char *buf)
{
  if (sched_get(flights[f].entry)->flags & QE_NEW) dcr_queue_newpath(buf, flights[f].id) ;
  else dcr_queue_envpath(buf, flights[f].id) ;
  return buf ;
}

static void logrcpt (char const *event, flight const *fl, dcr_rcpt const *r, char const *extra, char const *value)
{
  char tries[UINT_FMT] ;
  tries[uint_fmt(tries, r->tries)] = 0 ;
  dcr_log("event", event, "id", fl->id, "rcpt", r->addr, "tries", tries, "reply", r->reply, extra, value, (char *)0) ;
}

 /* Retries: exponential backoff from retry_base to retry_max, with 10% jitter */

static uint64_t backoff (unsigned int tries)
{
  uint64_t d = conf.retry_base ;
  for (unsigned int i = 1 ; i < tries && d < conf.retry_max ; i++) d *= 2 ;
  if (d > conf.retry_max) d = conf.retry_max ;
  if (d >= 10) d = d - d / 10 + randomness(d / 5 + 1) ;
  return d ? d : 1 ;
}

static int wants_failure_dsn (dcr_envelope const *e, dcr_rcpt const *r)
{
  return e->sender[0] && (!r->notify[0] || strstr(r->notify, "FAILURE")) ;
}

static void fail_rcpt (flight *fl, uint32_t i, char const *reply, char kind)
{
  dcr_rcpt *r = dcr_envelope_rcpts(&fl->env) + i ;
  r->state = DCR_RCPT_FAILED ;
  if (reply) r->reply = reply ;
  if (wants_failure_dsn(&fl->env, r)) fl->kinds[i] = kind ;
  fl->changed = 1 ;
  logrcpt("bounce", fl, r, "dsn", fl->kinds[i] ? "yes" : "no") ;
}

/* A temporary failure: the next try, or the end when tries or time ran out. */
static void defer_rcpt (flight *fl, uint32_t i, char const *reply)
{
  dcr_rcpt *r = dcr_envelope_rcpts(&fl->env) + i ;
  char when[UINT64_FMT] ;
  r->tries++ ;
  r->reply = reply ;
  fl->changed = 1 ;
  if (now >= fl->env.arrival + conf.expire) { fail_rcpt(fl, i, 0, 'x') ; return ; }
  if (conf.max_tries && r->tries >= conf.max_tries) { fail_rcpt(fl, i, 0, 'f') ; return ; }
  r->next = now + backoff(r->tries) ;
  /* one delay warning per message, when asked for (RFC 3461: NOTIFY=DELAY, or no NOTIFY) */
  if (conf.delay_warning && !fl->env.warned && now >= fl->env.arrival + conf.delay_warning && fl->env.sender[0]
   && (!r->notify[0] || strstr(r->notify, "DELAY"))) fl->kinds[i] = 'w' ;
  when[uint64_fmt(when, r->next - now)] = 0 ;
  logrcpt("deferred", fl, r, "retry-in", when) ;
}

static void load_fail (uint32_t e, char const *id, char const *path)
{
  if (errno == ENOENT) { sched_remove(e) ; return ; }
  if (errno == EPROTO) { set_aside(path, id, "malformed envelope") ; sched_remove(e) ; return ; }
  dcr_log("event", "read-error", "id", id, "file", path, "error", strerror(errno), (char *)0) ;
  sched_get(e)->flags &= ~QE_FLIGHT ;
  sched_put(e, now + 300) ;
}

static char force_domain[256] ;   /* of the last "retry @domain": entries flagged QE_FORCEDOM */

void flight_force_domain (char const *domain)
{
  strncpy(force_domain, domain, sizeof force_domain - 1) ;
  force_domain[sizeof force_domain - 1] = 0 ;
}

static int forced (unsigned int flags, char const *addr)
{
  char const *at = strrchr(addr, '@') ;
  if (flags & QE_FORCE) return 1 ;
  return (flags & QE_FORCEDOM) && at && !strcasecmp(at + 1, force_domain) ;
}

/* A flight for entry e, its envelope read; NONE32 when it could not be
   read (then dealt with: gone, set aside, or tried again later). */
static uint32_t flight_open (uint32_t e)
{
  uint32_t f = flight_new(), n ;
  flight *fl = flights + f ;
  char path[DCR_QUEUE_PATHMAX] ;
  fl->entry = e ;
  fl->jobs = 0 ; fl->busy = fl->paused = fl->changed = 0 ;
  sched_idstr(e, fl->id) ;
  sched_take(e) ;
  sched_get(e)->flags |= QE_FLIGHT ;
  if (!dcr_envelope_read(&fl->env, flight_envfile(f, path)))
  {
    if (errno == EPROTO) dcr_log("event", "bad-envelope", "id", fl->id, "file", path, (char *)0) ;
    flight_free(f) ;
    load_fail(e, fl->id, path) ;
    return NONE32 ;
  }
  {
    /* an envelope without its message is a bug (doc/queue.md): set it aside */
    char mess[DCR_QUEUE_PATHMAX] ;
    dcr_queue_messpath(mess, fl->id) ;
    if (access(mess, F_OK) < 0 && errno == ENOENT)
    {
      set_aside(path, fl->id, "its message is missing") ;
      flight_free(f) ;
      sched_remove(e) ;
      return NONE32 ;
    }
  }
  n = dcr_envelope_nrcpts(&fl->env) ;
  fl->kinds = calloc(n ? n : 1, 1) ;
  fl->failover = calloc(n ? n : 1, 1) ;
  fl->replies = calloc(n ? n : 1, sizeof(char *)) ;
  if (!fl->kinds || !fl->failover || !fl->replies) strerr_diefu1sys(111, "allocate") ;
  return f ;
}

void flight_start (uint32_t e)
{
  group groups[GROUPS_MAX] ;
  unsigned int ngroups = 0 ;
  unsigned int force = sched_get(e)->flags & (QE_FORCE | QE_FORCEDOM) ;
  uint32_t f, n ;
  flight *fl ;
  sched_get(e)->flags &= ~(QE_FORCE | QE_FORCEDOM) ;
  f = flight_open(e) ;
  if (f == NONE32) return ;
  fl = flights + f ;
  if (fl->env.hold)
  {
    sched_get(e)->flags = (sched_get(e)->flags & ~QE_FLIGHT) | QE_HELD ;
    flight_free(f) ;
    return ;
  }
  sched_get(e)->prio = fl->env.priority ;
  n = dcr_envelope_nrcpts(&fl->env) ;
  for (uint32_t i = 0 ; i < n ; i++)
  {
    dcr_rcpt *r = dcr_envelope_rcpts(&fl->env) + i ;
    char const *why ;
    if (r->state != DCR_RCPT_PENDING || (r->next > now && !forced(force, r->addr))) continue ;
    if (now >= fl->env.arrival + conf.expire) { fail_rcpt(fl, i, 0, 'x') ; continue ; }
    if (ngroups == GROUPS_MAX) { fl->busy = 1 ; continue ; }
    if (jobs_route(f, &fl->env, i, groups, &ngroups, &why)) continue ;
    if (why == JOBS_PAUSED) fl->paused = 1 ;
    else if (why == JOBS_BUSY) fl->busy = 1 ;
    else defer_rcpt(fl, i, why) ;
  }
  for (unsigned int g = 0 ; g < ngroups ; g++)
  {
    dest_push(job_get(groups[g].job)->dest, groups[g].job) ;
    fl->jobs++ ;
  }
  if (!fl->jobs) flight_finish(f) ;
}

 /* Verdicts */

static char const *keep_reply (flight *fl, uint32_t i, char const *reply)
{
  char *copy = strdup(reply) ;
  if (!copy) return "451 4.3.0 out of memory" ;
  free(fl->replies[i]) ;
  fl->replies[i] = copy ;
  return copy ;
}

/* T with 4.4.1 or 4.4.2: the target could not be reached (doc/agents.md) */
static int target_down (char const *reply)
{
  return strlen(reply) > 9 && !strncmp(reply + 3, " 4.4.", 5) && (reply[8] == '1' || reply[8] == '2') && reply[9] == ' ' ;
}

void flight_verdict (uint32_t j, char const *addr, char code, char const *reply)
{
  job *jb = job_get(j) ;
  flight *fl = flights + jb->flight ;
  dcr_rcpt *rc = dcr_envelope_rcpts(&fl->env) ;
  uint32_t i ;
  if (jb->reported >= jb->n) return ;
  if (strcmp(rc[jb->rcpts[jb->reported]].addr, addr))
  {
    /* out of order: find it among those not yet reported, or ignore the line
       (the recipients left without a verdict get T at "done") */
    uint32_t m = jb->reported + 1 ;
    while (m < jb->n && strcmp(rc[jb->rcpts[m]].addr, addr)) m++ ;
    dcr_log("event", "agent-protocol", "id", fl->id, "expected", rc[jb->rcpts[jb->reported]].addr, "got", addr, (char *)0) ;
    if (m == jb->n) return ;
    i = jb->rcpts[m] ; jb->rcpts[m] = jb->rcpts[jb->reported] ; jb->rcpts[jb->reported] = i ;
  }
  i = jb->rcpts[jb->reported++] ;
  reply = keep_reply(fl, i, reply) ;
  fl->changed = 1 ;
  if (code == 'D')
  {
    rc[i].state = DCR_RCPT_DELIVERED ;
    rc[i].reply = reply ;
    /* smtp targets pass NOTIFY on to the next hop; a mailbox is the end */
    if (fl->env.sender[0] && strstr(rc[i].notify, "SUCCESS") && !strncmp(dest_key(jb->dest), "maildir:", 8)) fl->kinds[i] = 'd' ;
    logrcpt("delivered", fl, rc + i, "dest", dest_key(jb->dest)) ;
  }
  else if (code == 'P') fail_rcpt(fl, i, reply, 'f') ;
  else if (target_down(reply))
  {
    dest_setdown(jb->dest) ;
    if (jb->alts.len) { rc[i].reply = reply ; fl->failover[i] = 1 ; logrcpt("failover", fl, rc + i, "dest", dest_key(jb->dest)) ; }
    else defer_rcpt(fl, i, reply) ;
  }
  else defer_rcpt(fl, i, reply) ;
}

 /* After a job: failover, then the state (settle.c) */

void flight_jobdone (uint32_t j, char const *why)
{
  job *jb = job_get(j) ;
  uint32_t f = jb->flight, nfo = 0 ;
  flight *fl = flights + f ;
  uint32_t which[100] ;
  if (!why) { if (jb->reported < jb->n) fl->busy = 1 ; }   /* never tried: later, no try counted */
  else while (jb->reported < jb->n)
  {
    dcr_rcpt const *r = dcr_envelope_rcpts(&fl->env) + jb->rcpts[jb->reported] ;
    flight_verdict(j, r->addr, 'T', why) ;
    jb = job_get(j) ;
  }
  for (uint32_t k = 0 ; k < jb->n ; k++)
    if (fl->failover[jb->rcpts[k]] && nfo < 100) { fl->failover[jb->rcpts[k]] = 0 ; which[nfo++] = jb->rcpts[k] ; }
  if (nfo)
  {
    uint32_t nj = jobs_failover(j, which, nfo, &fl->env) ;
    dest_push(job_get(nj)->dest, nj) ;
    fl->jobs++ ;
  }
  job_free(j) ;
  if (--fl->jobs)
  {
    /* other jobs still out: what this one decided is made durable now,
       its DSNs first */
    flight_send_dsns(fl) ;
    if (fl->changed) flight_persist(f, now) ;
    return ;
  }
  flight_finish(f) ;
}

 /* dcr-qctl's bounce and delete, on a message not being delivered */

int flight_command (uint32_t e, char const *what)
{
  uint32_t f, n ;
  flight *fl ;
  if (sched_get(e)->flags & QE_FLIGHT) return 0 ;
  f = flight_open(e) ;
  if (f == NONE32) return 1 ;
  fl = flights + f ;
  n = dcr_envelope_nrcpts(&fl->env) ;
  for (uint32_t i = 0 ; i < n ; i++)
  {
    dcr_rcpt *r = dcr_envelope_rcpts(&fl->env) + i ;
    if (r->state != DCR_RCPT_PENDING) continue ;
    if (what[0] == 'b') fail_rcpt(fl, i, "550 5.0.0 deleted by the administrator", 'f') ;
    else { r->state = DCR_RCPT_FAILED ; r->reply = "deleted by the administrator, no DSN" ; }
  }
  dcr_log("event", what[0] == 'b' ? "bounced-by-admin" : "deleted-by-admin", "id", fl->id, (char *)0) ;
  flight_finish(f) ;
  return 1 ;
}
