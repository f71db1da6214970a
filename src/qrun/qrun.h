/* ISC license. */
#ifndef DCR_QRUN_H
#define DCR_QRUN_H

/* dcr-qrun: the runner. One process owns the queue: a compact entry per
   message (sched.c), messages being delivered (flight.c), destinations
   with their job queues and agent pools (dest.c, agent.c), DSNs
   (dsn.c), the control fifo (control.c). doc/dcr-qrun.md. */

#include <stdint.h>
#include <sys/types.h>

#include <skalibs/tai.h>
#include <skalibs/iopause.h>
#include <skalibs/stralloc.h>

#include <dcr/qid.h>
#include <dcr/queue.h>
#include <dcr/routes.h>

#define NONE32 UINT32_MAX

 /* Configuration: conf files (dcr-qrun.c), reloaded on SIGHUP. */

typedef struct qconf_s qconf ;
struct qconf_s
{
  unsigned int retry_base, retry_max ;   /* seconds: first retry, longest wait */
  unsigned int expire ;                  /* seconds after arrival: bounce */
  unsigned int max_tries ;               /* 0: no limit */
  unsigned int concurrency ;             /* agents in all */
  unsigned int per_dest ;                /* agents per destination */
  unsigned int agent_idle ;              /* seconds before an idle agent is closed */
  unsigned int down_time ;               /* seconds a failed target is skipped */
  unsigned int job_timeout ;             /* seconds an agent may take over one job */
  unsigned int bounce_size ;             /* bytes of the original returned in full */
  unsigned int max_flights ;             /* messages in delivery at once */
  unsigned int delay_warning ;           /* seconds after arrival for a delay DSN; 0: none */
  unsigned int sync_delay ;              /* ms: removals synced in batches this long */
  char const *hostname ;
  char const *confdir ;
  char const *remote, *maildir, *enqueue ;  /* programs */
} ;

 /* sched.c: the entries, their index by id, and the schedule (a heap). */

extern void *qrun_grow (void *p, uint32_t *cap, size_t size, uint32_t first, int zero) ;  /* double the array */

#define QE_USED 0x01
#define QE_NEW 0x02      /* envelope in new/, not yet moved to env/ */
#define QE_FLIGHT 0x04   /* being delivered: out of the heap */
#define QE_HELD 0x08     /* held: out of the heap */
#define QE_FORCE 0x10    /* retry now: recipients due whatever their next try */
#define QE_BUSY 0x20     /* held back by a paused or saturated destination: due again at resume */
#define QE_FORCEDOM 0x40 /* retry now the recipients of the domain of the last "retry @domain" */

typedef struct qentry_s qentry ;
struct qentry_s
{
  char id[DCR_QID_LEN] ;  /* not NUL-terminated */
  uint8_t flags ;
  int16_t prio ;
  uint32_t next ;         /* unix time; 0 fresh mail, 1 fresh bounce */
  uint32_t seq ;          /* insertion order, the last tie-break */
  uint32_t heappos ;      /* index in the heap, NONE32 when out */
} ;

extern uint32_t sched_add (char const *id, unsigned int flags, uint32_t next, int prio) ;
extern uint32_t sched_find (char const *id) ;
extern qentry *sched_get (uint32_t i) ;
extern void sched_put (uint32_t i, uint32_t next) ;   /* (re)enter the heap at next */
extern void sched_take (uint32_t i) ;                 /* leave the heap */
extern void sched_remove (uint32_t i) ;               /* forget the entry */
extern uint32_t sched_top (void) ;                    /* earliest entry, or NONE32 */
extern uint32_t sched_size (void) ;                   /* entries in use */
extern uint32_t sched_limit (void) ;                  /* indices are below this */
extern void sched_idstr (uint32_t i, char *buf) ;     /* DCR_QID_LEN + 1 bytes */

 /* scan.c: start-up, new mail, sweeping */

extern void scan_env (void) ;
extern void scan_new (void) ;
extern void pickup (char const *id) ;      /* a new/ID we were told of */
extern void set_aside (char const *path, char const *id, char const *why) ;  /* to bad/ID */
extern int scan_new_due (void) ;           /* a pick-up failed: scan new/ again soon */
extern int sweep_step (void) ;          /* one directory; 0 when the sweep is over */

 /* flight.c: one message being delivered */

extern void flight_start (uint32_t entry) ;
extern unsigned int flight_count (void) ;
extern void flight_verdict (uint32_t job, char const *rcpt, char code, char const *reply) ;
extern void flight_jobdone (uint32_t job, char const *why) ;  /* why: the reply of recipients without a
                                                                verdict; 0: the job was never tried (no try counted) */
extern void flight_force_domain (char const *domain) ;  /* the domain QE_FORCEDOM forces */
extern int flight_command (uint32_t entry, char const *what) ;  /* "bounce", "delete"; 0 if in flight */

 /* jobs.c: grouping recipients into jobs */

typedef struct group_s group ;
struct group_s
{
  dcr_route const *route ;
  char domain[256] ;      /* mx only */
  uint32_t job ;
} ;

extern char const jobs_busy[], jobs_paused[] ;   /* compared by address */
#define JOBS_BUSY jobs_busy       /* the destination has a full queue: later, no try counted */
#define JOBS_PAUSED jobs_paused   /* the domain is paused: at resume, no try counted */
extern int jobs_route (uint32_t flight, dcr_envelope const *e, uint32_t i, group *groups, unsigned int *ngroups, char const **why) ;
extern uint32_t jobs_failover (uint32_t j, uint32_t const *which, uint32_t n, dcr_envelope const *e) ;
extern void jobs_reset_balance (void) ;

 /* dest.c: destinations (a target, or mx:domain), job queues */

typedef struct job_s job ;
struct job_s
{
  uint32_t flight ;
  uint32_t dest ;
  uint32_t next ;          /* in the destination's queue */
  stralloc line ;          /* the job line, without its LF */
  uint32_t *rcpts ;        /* indices in the envelope */
  uint32_t n ;
  uint32_t reported ;      /* verdicts received */
  stralloc alts ;          /* targets left for failover, NUL-separated specs */
  char domain[256] ;       /* for mx targets */
  unsigned int rate ;
  unsigned int limit ;
} ;

extern uint32_t job_new (void) ;
extern job *job_get (uint32_t j) ;
extern void job_free (uint32_t j) ;

/* the destination of a target (spec), for a domain when it is "mx",
   with the route's TLS options ("tls=verify ca=/x", or 0 for the default) */
extern uint32_t dest_for (char const *spec, char const *domain, char const *policy, unsigned int limit, unsigned int rate) ;
extern char const *dest_key (uint32_t d) ;
extern void dest_push (uint32_t d, uint32_t j) ;
extern uint32_t dest_pop (uint32_t d) ;
extern uint32_t dest_queued (uint32_t d) ;
extern int dest_isdown (uint32_t d) ;
extern void dest_setdown (uint32_t d) ;
extern int dest_ready (uint32_t d, tain *deadline) ;  /* a job may start now (rate) */
extern void dest_started (uint32_t d) ;
extern unsigned int dest_limit (uint32_t d) ;
extern uint32_t dest_count (void) ;

 /* agent.c: the pool of agents */

extern void agent_dispatch (tain *deadline) ;   /* start queued jobs where agents and rates allow */
extern unsigned int agent_fds (iopause_fd *x, unsigned int max) ;  /* fill, return count */
extern void agent_events (iopause_fd const *x, unsigned int n) ;
extern int agent_busy (void) ;             /* some agent still open */
extern void agent_reap (void) ;            /* after SIGCHLD */
extern void agent_compact (void) ;         /* after reading: free the slots of agents gone */
extern void agent_timers (tain *deadline) ;
extern unsigned int agent_count (void) ;
extern void agent_closeall (void) ;
extern unsigned int agent_ofdest (uint32_t d) ;

 /* dsn.c */

/* Queue a DSN about the recipients of e whose index has a nonzero kind
   (kinds[i]: 'f' failed, 'd' delivered, 'r' relayed, 'w' delayed). 1 done
   (or nothing to send), 0 failed: keep the state, try later. */
extern int dsn_send (dcr_envelope const *e, char const *kinds) ;

 /* control.c */

extern int control_open (void) ;
extern void control_read (void) ;
extern int control_fd (void) ;
extern int paused_domain (char const *domain) ;  /* paused: this domain, or all with "*" */
extern int paused_all (void) ;
extern void paused_load (void) ;

 /* dcr-qrun.c: the shared state of the one process */

extern qconf conf ;
extern dcr_routes routes ;
extern uint64_t now ;            /* unix seconds, updated each loop */
extern unsigned int randomness (unsigned int n) ;   /* 0..n-1 */
extern void dirty_dir (char const *dir) ;   /* fsync this directory before the loop sleeps */
extern void unlink_after_sync (char const *path) ;  /* unlink once the dirty directories are synced */
extern void retry_all (char const *domain) ;  /* retry: every entry, or those with this domain (best effort) */

#endif
