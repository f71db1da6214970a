/* ISC license. */
#ifndef DCR_QID_H
#define DCR_QID_H

#include <stddef.h>

/* Message ids: unique across processes and restarts, sortable by time,
   safe as file names. 23 lowercase hex digits:
     13 digits  microseconds since the epoch (wall clock)
      6 digits  pid
      4 digits  a per-process counter
   e.g. 0640a1f2b3c4d00123a0001. Two processes cannot share a pid in the
   same microsecond; one process changes counter, and its ids are
   strictly increasing even when the clock steps back (src/lib/qid.c).
   dcr-enqueue also relies on link(2) refusing an existing name, so a
   clock stepped back cannot overwrite a message. */
#define DCR_QID_LEN 23
#define DCR_QID_SPLIT 64   /* hashed subdirectories of the queue: 00..3f */

extern void dcr_qid_make (char *id) ;           /* writes DCR_QID_LEN+1 bytes */
extern int dcr_qid_valid (char const *s) ;      /* exactly DCR_QID_LEN [0-9a-f] */
extern unsigned int dcr_qid_bucket (char const *id) ;  /* 0..DCR_QID_SPLIT-1 */
extern void dcr_qid_bucketname (char const *id, char *dir) ; /* "3f" + NUL */

#endif
