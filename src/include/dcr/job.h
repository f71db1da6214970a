/* ISC license. */
#ifndef DCR_JOB_H
#define DCR_JOB_H

/* A job line of the runner -> agent contract (doc/agents.md):

     ID <TAB> message-file <TAB> sender <TAB> rcpt [<TAB> rcpt]...

   sender and each rcpt are a bare address ("" for the null sender), or
   "<address>" followed by ESMTP parameters separated by spaces
   ("<bob@example.net> NOTIFY=SUCCESS ORCPT=rfc822;bob@example.net").
   A bare address never starts with "<".

   dcr_job_parse works in place: it cuts the line with NULs, and every
   pointer of the result points into it. No copy, one allocation (the
   recipients' array, reused from one line to the next).

   Refused (0 returned, j->why says why): a control character other
   than TAB (NUL, CR, LF...), fewer than four fields, an empty id or
   file, an empty recipient, "<" without its ">", text glued to the
   ">" without a space. j->id is still set when the id field was not
   empty, so the caller can answer "ID <TAB> done". */

#include <stddef.h>

#include <skalibs/genalloc.h>

#define DCR_JOB_LINEMAX (1 << 20)   /* octets of a line, LF excluded */

typedef struct dcr_jobaddr_s dcr_jobaddr ;
struct dcr_jobaddr_s
{
  char *addr ;     /* bare address, NUL-terminated; "" for the null sender */
  char *params ;   /* the ESMTP parameters as given, "" if none */
} ;

typedef struct dcr_job_s dcr_job ;
struct dcr_job_s
{
  char *id ;
  char *file ;
  dcr_jobaddr sender ;
  genalloc rcpts ;       /* dcr_jobaddr, in the order of the line */
  char const *why ;      /* after a refusal */
} ;
#define DCR_JOB_ZERO { 0, 0, { 0, 0 }, GENALLOC_ZERO, 0 }
#define dcr_job_rcpts(j) genalloc_s(dcr_jobaddr, &(j)->rcpts)
#define dcr_job_nrcpts(j) genalloc_len(dcr_jobaddr, &(j)->rcpts)

/* s: the line, len octets, without its LF; s[len] is written (a NUL),
   so pass the line with room for it, e.g. where its LF was. Returns 1 if the job is
   well formed, 0 if not (j->why; errno EPROTO, or ENOMEM). */
extern int dcr_job_parse (dcr_job *j, char *s, size_t len) ;
extern void dcr_job_free (dcr_job *j) ;

/* The next parameter of a params string: skips spaces, then sets *key
   to the parameter and *klen to the length of its name, *val to its
   value (after "=") and *vlen (0 and *val null for a flag). Returns
   the position after it, or 0 at the end. Use:
     char const *p = a->params, *k, *v ; size_t kl, vl ;
     while ((p = dcr_job_param(p, &k, &kl, &v, &vl))) ... */
extern char const *dcr_job_param (char const *p, char const **key, size_t *klen, char const **val, size_t *vlen) ;

/* The agents' read loop: job lines from stdin, until EOF or idle
   seconds without a line (0: no limit). A well-formed job goes to
   deliver; a bad one (logged event=bad-job) to done(id) when it had an
   id, so the runner gets its "ID <TAB> done". Logs event=exit at the
   end and returns the number of lines read. */
typedef void dcr_job_fn (dcr_job *) ;
typedef void dcr_jobdone_fn (char const *) ;
extern unsigned long dcr_job_loop (unsigned int idle, dcr_job_fn *deliver, dcr_jobdone_fn *done) ;

#endif
