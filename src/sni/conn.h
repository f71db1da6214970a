/* ISC license. */
#ifndef SNI_CONN_H
#define SNI_CONN_H

/* One connection of the splicer, shared by the three files of its life:
   conn.c (the table, accept, events, close, timeouts), target.c (peek,
   route, connect with failover, the replay) and splice.c (both ways
   through a pipe each). Private to src/sni. */

#include <stddef.h>
#include <stdint.h>

#include "sni.h"

enum { ST_PEEK, ST_CONNECTING, ST_SENDING, ST_SPLICE } ;
enum { DIR_SRC, DIR_DST, DIR_DONE } ;   /* waiting for: the source, the destination; done */

typedef struct dir_s dir ;
struct dir_s
{
  int p[2] ;                   /* -1 while idle: borrowed from the pool when data comes */
  size_t inpipe ;
  unsigned char state, eof, again ;   /* again: yielded its turn with more to read */
} ;

typedef struct ipcount_s ipcount ;
struct ipcount_s
{
  ipcount *next ;
  sni_addr a ;
  unsigned int n ;
} ;

typedef struct conn_s conn ;
struct conn_s
{
  int cfd, tfd ;
  unsigned int slot ;
  unsigned char state, counted, reserved ;   /* reserved: a descriptor for its back end */
  unsigned char ready ;        /* on the ready list */
  uint32_t gen ;               /* tells this connection's events from an earlier one's in the slot */
  listener *l ;
  sni_addr client ;
  sni_rules *set ;             /* the rules it was routed by (held: refs) */
  int rule, target ;
  unsigned int first, tried ;
  unsigned char *buf ;         /* peeked bytes, then what to replay; 0 once spliced */
  size_t len, cap, sent, scan ;
  dir up, down ;
  uint64_t up_bytes, down_bytes, t_start, t_last, deadline ;
  ipcount *ip ;
  char const *why ;
  char name[HELLO_NAMEMAX] ;
} ;


/* conn.c */
extern void conn_close (conn *, char const *reason) ;
extern void conn_refuse (conn *, char const *reason, char const *http) ;
extern void conn_ep_add (conn *, int fd, unsigned int side) ;
extern void conn_ready_add (conn *) ;
extern void conn_unreserve (conn *) ;   /* its back end has its descriptor */
extern int conn_resource_errno (int) ;

/* target.c */
extern void target_peek (conn *, unsigned int ev) ;
extern void target_route (conn *) ;
extern void target_connect_done (conn *) ;
extern void target_send_replay (conn *) ;
extern void target_connect_timeout (conn *) ;

/* splice.c */
extern void splice_start (conn *) ;
extern void splice_event (conn *, unsigned int side, unsigned int ev) ;
extern void splice_release (dir *) ;   /* its pipe back to the pool, or closed */

#endif
