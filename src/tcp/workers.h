/* ISC license. */
#ifndef DCR_TCP_WORKERS_H
#define DCR_TCP_WORKERS_H

/* dcr-tcpd -P: the programs started before their connections
   (doc/dcr-tcpd.md, "Pre-started sessions"; the datagrams: dcr/pool.h).
   Each has its own socket pair; it is starting until it says it is
   ready, idle while it waits, busy with one connection, leaving once
   its socket is closed (it exits at EOF) until it is reaped. */

#include <stdint.h>
#include <sys/types.h>

#include <skalibs/tai.h>
#include <skalibs/iopause.h>

#include "conntable.h"

#define WORKERS_IDLE_SECS 60   /* an idle one beyond the spares leaves after this */

enum worker_state_e { WORKER_STARTING, WORKER_IDLE, WORKER_BUSY, WORKER_LEAVING } ;

typedef struct worker_s worker ;
struct worker_s
{
  pid_t pid ;
  int sock ;           /* -1 once leaving */
  unsigned int state ; /* worker_state_e */
  uint32_t uses ;      /* connections handed */
  int retire ;         /* leave after this connection */
  tain idlesince ;
} ;

typedef struct workers_s workers ;
struct workers_s
{
  worker *w ;
  uint32_t n, max ;
  uint32_t spare ;     /* idle or starting ones kept */
  uint32_t maxuse ;    /* connections per program */
  uint32_t nidle, nstarting ;
  char const *const *argv ;
  char const **envp ;  /* the environment and DCR_POOL=0 */
  int null ;
  tain pause ;         /* no start before: after a failed one */
} ;

extern void workers_init (workers *, uint32_t max, uint32_t spare, uint32_t maxuse, char const *const *argv) ;
/* start programs until spare are idle or starting */
extern void workers_fill (workers *) ;
/* an idle one, now busy; -1 if none */
extern int workers_take (workers *) ;
/* it could not be given the connection: let it go */
extern void workers_drop (workers *, int) ;
/* the connection was at fault: it is idle again */
extern void workers_untake (workers *, int) ;
/* their sockets, into x (room for n); the count */
extern unsigned int workers_pollfds (workers const *, iopause_fd *x) ;
/* what their sockets said (x as filled); a finished connection leaves conns */
extern void workers_events (workers *, iopause_fd const *x, unsigned int nx, conntable *conns) ;
/* 1 if pid was one of them (forgotten now) */
extern int workers_reaped (workers *, pid_t pid, int wstat) ;
/* idle ones beyond the spares that have waited long enough leave; when
   to look again, or when a paused start may be tried */
extern void workers_expire (workers *, tain *deadline) ;
/* all of them leave: idle and starting ones now, busy ones after their
   connection (SIGHUP: new ones are started; SIGTERM: spare is 0 first);
   sig (SIGTERM, or 0): sent to those not busy too */
extern void workers_retire (workers *, int sig) ;
/* in a forked child: the pool's sockets closed, so that a program let go
   sees its EOF at once */
extern void workers_closeall (workers const *) ;

#endif
