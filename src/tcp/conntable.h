/* ISC license. */
#ifndef DCR_TCP_CONNTABLE_H
#define DCR_TCP_CONNTABLE_H

/* The live connections of dcr-tcpd: which pid serves which client
   address, and how many connections each address holds. Two
   open-addressing hash tables (linear probing, backward-shift
   deletion) sized at start for max connections: no allocation after
   conntable_init, O(1) expected per operation. The address hash is
   keyed with a random seed so clients cannot choose colliding
   addresses to make the probe chains long. */

#include <stdint.h>
#include <sys/types.h>
#include <skalibs/ip46.h>

typedef struct conntable_s conntable ;
struct conntable_s
{
  uint32_t max ;       /* connections */
  uint32_t n ;         /* live connections */
  uint32_t mask ;      /* table size - 1 */
  uint32_t seed ;
  struct conntable_pid_s *pids ;
  struct conntable_ip_s *ips ;
} ;

extern void conntable_init (conntable *t, uint32_t max) ;
/* connections held by this address */
extern uint32_t conntable_count (conntable const *t, ip46full const *a) ;
/* 0 if full (n == max) */
extern int conntable_add (conntable *t, pid_t pid, ip46full const *a) ;
/* 0 if the pid is unknown; else *a gets its address */
extern int conntable_remove (conntable *t, pid_t pid, ip46full *a) ;
/* send sig to every live session */
extern void conntable_kill (conntable const *t, int sig) ;

#endif
