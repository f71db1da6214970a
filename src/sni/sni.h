/* ISC license. */
/* dcr-sniproxy's internals: what the files of src/sni share. */
#ifndef SNI_SNI_H
#define SNI_SNI_H

#include <stdint.h>

#include "hello.h"
#include "rules.h"

#define LISTENERS_MAX 64

typedef struct listener_s listener ;
struct listener_s
{
  int fd ;
  unsigned int mode ;            /* MODE_TLS, MODE_HTTP, MODE_FORWARD */
  sni_addr addr ;
  char text[96] ;                /* as given: "tls:127.0.0.1:8443" */
  char name[HELLO_NAMEMAX] ;     /* forward: the name to route by */
} ;

/* the command line, as parsed by main */
typedef struct config_s config ;
struct config_s
{
  char const *rulesfile ;
  int readyfd ;
  unsigned int workers ;
  unsigned int maxconns ;        /* per worker */
  unsigned int maxperip ;        /* per worker; 0: no cap */
  unsigned int hello_timeout ;   /* seconds */
  unsigned int grace ;           /* seconds, after SIGTERM */
  char const *statsfile ;
  listener l[LISTENERS_MAX] ;
  unsigned int nl ;
} ;

extern config cfg ;
extern sni_rules *rules ;        /* the set in force */
extern unsigned int worker_index ;

/* counters, per worker (SIGUSR1) */
typedef struct stats_s stats ;
struct stats_s
{
  uint64_t accepted, refused, failovers, bad_hello, timeouts, bytes_up, bytes_down ;
  unsigned int conns ;
} ;
extern stats *st ;               /* this worker's: shared memory under -w N */
/* SIGUSR1: a[0..n) the counters of workers first..first+n */
extern void stats_dump (stats const *a, unsigned int n, unsigned int first) ;

/* dcr-sniproxy.c: the rules file */
extern sni_rules *rules_load (char const *file, unsigned int *line, char const **err) ;
extern void rules_release (sni_rules *) ;

/* workers.c: -w N */
extern void workers_run (void) ;   /* does not return */

/* loop.c: one worker's event loop */
extern void listeners_bind (void) ;   /* dies on failure */
extern void loop_run (int readyfd) ;  /* does not return */
extern uint64_t now_ms ;
/* descriptors: those open, and the limit. A connection is accepted only
   while two more (its socket and its back end's) leave FD_RESERVE free,
   so that no client is taken from the backlog to be dropped for want of
   a descriptor; pipes are optional (see splice.c: pump) */
#define FD_RESERVE 8
extern unsigned int fds_open, fds_limit ;
extern int epfd ;
extern void accept_pause (char const *why) ;
enum { TAG_LISTENER, TAG_CLIENT, TAG_TARGET, TAG_SIGNAL } ;
extern int ep_set (int fd, uint64_t tag, unsigned int *reg, unsigned int want) ;

/* conn.c: connections */
extern int conns_init (unsigned int max) ;
extern void conn_accept (listener *) ;
/* tag: slot << 2 | side, and the connection's generation << 32 (an event
   for a closed connection whose slot is taken again is not its) */
extern void conn_event (unsigned int slot, uint32_t gen, unsigned int side, unsigned int events) ;
extern void conns_sweep (int shutting) ;
extern int conns_ready (void) ;       /* directions waiting for their turn */
extern void conns_run_ready (void) ;
extern unsigned int conns_open (void) ;

#endif
