/* ISC license. */
#ifndef DCR_QUEUED_H
#define DCR_QUEUED_H

#include <stddef.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include <dcr/qid.h>
#include <dcr/queue.h>
#include <dcr/submit.h>

/* one submission: a client's socket, the message's descriptor, the
   envelope text; then, in a batch, what was made for it */
typedef struct job_s job ;
struct job_s
{
  int sock ;
  int mfd ;                   /* -1 until received */
  stralloc in ;               /* the netstring as read */
  tain deadline ;
  tain idlesince ;            /* kept and idle since then */
  unsigned int done : 1 ;     /* all read: in the next batch */
  unsigned int readable : 1 ; /* iopause named it this round (or it is new) */
  unsigned int idle : 1 ;     /* kept after an answer, nothing of the next yet */
  unsigned int last : 1 ;     /* EOF, or out of step: closed after the answer */
  /* commit.c */
  unsigned int step ;         /* how far it went */
  char id[DCR_QID_LEN + 1] ;
  char messpath[DCR_QUEUE_PATHMAX] ;
  char envtmp[DCR_QUEUE_PATHMAX] ;
  char newpath[DCR_QUEUE_PATHMAX] ;
  char answer[DCR_SUBMIT_LINEMAX] ;
} ;

/* commit.c: commits the n jobs with two syncs in all; every job gets
   its answer line */
extern void commit_batch (job **jobs, unsigned int n, int queuefd, int newfd) ;

#endif
