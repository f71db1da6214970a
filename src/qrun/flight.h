/* ISC license. */
#ifndef DCR_QRUN_FLIGHT_H
#define DCR_QRUN_FLIGHT_H

/* A flight, shared by flight.c (start, verdicts) and settle.c (state). */

#include <stdint.h>

#include <dcr/queue.h>

typedef struct flight_s flight ;
struct flight_s
{
  uint32_t entry ;       /* NONE32: free slot */
  dcr_envelope env ;
  char id[DCR_QID_LEN + 1] ;
  char *kinds ;          /* per recipient: DSN to send ('f' failed, 'x' expired, 'd' delivered, 'w' delayed), or 0 */
  char *failover ;       /* per recipient: to go to the job's next target */
  char **replies ;       /* per recipient: the agent's reply, owned here */
  unsigned int jobs ;    /* out in agents or queued */
  unsigned int busy : 1 ;     /* a recipient held back by a full destination queue: no try counted */
  unsigned int paused : 1 ;   /* a recipient held back by a paused domain: no try counted */
  unsigned int changed : 1 ;
} ;

extern flight *flight_at (uint32_t f) ;
extern void flight_free (uint32_t f) ;
extern char const *flight_envfile (uint32_t f, char *buf) ;   /* new/ID or env/NN/ID */

extern void flight_send_dsns (flight *fl) ;
extern int flight_persist (uint32_t f, uint32_t next) ;
extern void flight_finish (uint32_t f) ;

#endif
