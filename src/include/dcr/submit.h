/* ISC license. */
#ifndef DCR_SUBMIT_H
#define DCR_SUBMIT_H

/* Handing a message to the queue: the envelope built from contract 3's
   variables, and the client side of dcr-queued's socket (doc/queue.md,
   "The queue writer"). Used by dcr-enqueue and by dcr-smtpd's built-in
   dcr-enqueue. */

#include <stddef.h>
#include <stdint.h>

#include <dcr/queue.h>

/* the variable NAME, or 0 when unset */
typedef char const *dcr_getvar_fn (char const *name, void *ctx) ;

/* e from SMTP_SENDER, SMTP_RECIPIENTS, SMTP_DSN_*, ... as get() gives
   them; the strings live in e->data. 1: done. 0: out of memory (errno).
   -1: a bad envelope, *why says what (a permanent refusal). */
extern int dcr_envelope_from_vars (dcr_envelope *e, dcr_getvar_fn *get, void *ctx, char const **why) ;

/* dcr-queued's socket, relative to the queue directory */
#define DCR_SUBMIT_SOCKET "submit"
#define DCR_SUBMIT_LINEMAX 512

/* Gives fd (an unlinked regular file on the queue's file system) and the
   envelope text env (dcr_envelope_fmt; id, size and arrival are the
   writer's to set) to the writer of queuedir, and waits for its answer
   until timeout_ms. Returns 0 (committed: line is the id), 100 or 111
   (refused: line is the reply), or -1 when no writer took the message:
   none listens, or it said to write it directly. Nothing was committed
   then, and the caller does it itself. line: DCR_SUBMIT_LINEMAX bytes. */
extern int dcr_submit (char const *queuedir, int fd, char const *env, size_t envlen, char *line, unsigned int timeout_ms) ;

/* the "event=queued" log line, the same wherever the message was
   committed; spool: link, copy or writer */
extern void dcr_submit_logqueued (char const *id, uint64_t size, size_t nrcpts, char const *sender, char const *spool, char const *dcrid) ;

#endif
