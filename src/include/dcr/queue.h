/* ISC license. */
#ifndef DCR_QUEUE_H
#define DCR_QUEUE_H

/* The queue: safe file helpers, paths, and the envelope format.
   Layout, commit order and grammar: doc/queue.md. Every path here is
   relative to the current directory: programs chdir to the queue. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include <dcr/qid.h>

#define DCR_QUEUE_DIRMODE 0750
#define DCR_QUEUE_FILEMODE 0640

 /* Safe file helpers. All return 1 on success, 0 with errno set. */

extern int dcr_fsync_dir (char const *dir) ;     /* open O_DIRECTORY, fsync, close */
extern int dcr_fsync_parent (char const *path) ; /* fsync the directory holding path */
extern int dcr_mkdirp (char const *dir) ;        /* mkdir 0750 with missing parents, fsync
                                                    the parent of each one made; EEXIST is fine */
extern int dcr_link_fd (int fd, char const *path) ;  /* linkat of /proc/self/fd/N: names an
                                                    O_TMPFILE file; EEXIST if path exists */
extern int dcr_write_all (int fd, char const *s, size_t n) ;  /* a short write is ENOSPC */
extern int dcr_copy_fd (int from, int to, uint64_t *size) ;   /* from offset 0 when seekable */
extern int dcr_replace (char const *tmp, char const *path, char const *s, size_t n) ;
  /* write s to tmp (truncated, 0640), fsync, rename to path, fsync path's
     directory; missing directories are made. Atomic: path holds the old
     or the new contents, never a mix. 1: done and durable. 0: failed,
     path untouched, tmp removed. -1: path replaced, but the fsync of its
     directory failed, so the rename may not survive a crash. */

extern int dcr_is_nospace (int e) ;  /* ENOSPC, EDQUOT: the 452 4.3.1 class */

/* Names the message file mess/NN/ID in messpath: fd >= 0 is an unlinked
   file (dcr_link_fd), else src is linked. A taken name gets a fresh id
   (id is rewritten), a missing bucket is made. 1: done, 0: errno. */
extern int dcr_queue_linkmess (int fd, char const *src, char *id, char *messpath) ;

 /* Paths. A buffer of DCR_QUEUE_PATHMAX bytes holds any of them; the
    id is cut at DCR_QID_LEN bytes, the tmp suffix to fit. */

#define DCR_QUEUE_PATHMAX 48
extern void dcr_queue_messpath (char *buf, char const *id) ;  /* mess/NN/ID */
extern void dcr_queue_newpath (char *buf, char const *id) ;   /* new/ID */
extern void dcr_queue_envpath (char *buf, char const *id) ;   /* env/NN/ID */
extern void dcr_queue_tmppath (char *buf, char const *id, char const *suffix) ;  /* tmp/ID<suffix> */

 /* Envelopes: one text file per message, "key<TAB>value" lines. */

#define DCR_ENV_VERSION 1
#define DCR_ENV_ADDRMAX 1024      /* sender, recipient */
#define DCR_ENV_HELOMAX 1024
#define DCR_ENV_ORCPTMAX 500      /* RFC 3461 4.2 */
#define DCR_ENV_ENVIDMAX 100      /* RFC 3461 4.4 */
#define DCR_ENV_REPLYMAX 1024     /* longer replies are cut */
#define DCR_ENV_IPMAX 64
#define DCR_ENV_WORDMAX 32        /* proto, body, ret, notify */
#define DCR_ENV_RCPTMAX 100000
#define DCR_ENV_PRIOMAX 1000      /* priority in -1000..1000 */
#define DCR_ENV_FILEMAX (64 << 20)  /* the reader refuses bigger files */

enum dcr_rcpt_state_e
{
  DCR_RCPT_PENDING,      /* to deliver: at next, or at once when next is 0 */
  DCR_RCPT_DELIVERED,    /* accepted by the next hop or the mailbox */
  DCR_RCPT_FAILED        /* permanent failure or expired: bounce if asked */
} ;

typedef struct dcr_rcpt_s dcr_rcpt ;
struct dcr_rcpt_s
{
  char const *addr ;
  char const *notify ;   /* "" (not given), "NEVER", or from SUCCESS,FAILURE,DELAY */
  char const *orcpt ;    /* "" or "rfc822;addr", decoded */
  char const *reply ;    /* last reply seen, "" if none */
  unsigned int state ;   /* enum dcr_rcpt_state_e */
  unsigned int tries ;
  uint64_t next ;        /* unix time of the next try, 0 = now */
} ;

typedef struct dcr_envelope_s dcr_envelope ;
struct dcr_envelope_s
{
  char const *id ;
  uint64_t arrival ;     /* unix time */
  uint64_t size ;        /* bytes of mess/NN/ID */
  char const *sender ;   /* "" for <> */
  char const *helo ;     /* 0 when absent, as every optional string */
  char const *proto ;
  char const *ip ;
  char const *authuser ;
  char const *body ;     /* 7BIT, 8BITMIME, BINARYMIME */
  char const *ret ;      /* FULL, HDRS */
  char const *envid ;
  int priority ;
  unsigned int smtputf8 ;
  unsigned int hold ;    /* 1: held by the administrator (dcr-qctl hold), not delivered */
  unsigned int warned ;  /* 1: a delay DSN was sent (dcr-qrun's delay-warning) */
  genalloc rcpts ;       /* dcr_rcpt */
  stralloc data ;        /* the reader's storage: strings point into it */
  unsigned int errline ; /* after a failed parse: the line at fault, 0 if none */
} ;
#define DCR_ENVELOPE_ZERO { 0, 0, 0, "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, GENALLOC_ZERO, STRALLOC_ZERO, 0 }

#define dcr_envelope_rcpts(e) genalloc_s(dcr_rcpt, &(e)->rcpts)
#define dcr_envelope_nrcpts(e) genalloc_len(dcr_rcpt, &(e)->rcpts)
extern int dcr_envelope_addrcpt (dcr_envelope *, char const *addr, char const *notify, char const *orcpt) ;
extern void dcr_envelope_free (dcr_envelope *) ;
/* empty, as DCR_ENVELOPE_ZERO, but keeping its storage for the next one */
extern void dcr_envelope_clear (dcr_envelope *) ;

/* NULL if e can be written, else why not ("control character in sender").
   The text is in a static buffer. */
extern char const *dcr_envelope_check (dcr_envelope const *e) ;

/* Append the file's text to sa. Checks first: 0 and EINVAL if it fails.
   Control characters in a reply become spaces; a long reply is cut. */
extern int dcr_envelope_fmt (stralloc *sa, dcr_envelope const *e) ;

/* fmt, then dcr_replace(tmp, path): returns what dcr_replace does. */
extern int dcr_envelope_write (dcr_envelope const *e, char const *tmp, char const *path) ;

/* Parse s (n bytes, modified in place: e->data takes it over when read
   from a file). 0 and EPROTO on a malformed envelope, e->errline set. */
extern int dcr_envelope_parse (dcr_envelope *e, char *s, size_t n) ;
extern int dcr_envelope_read (dcr_envelope *e, char const *path) ;

extern char const *dcr_rcpt_statename (unsigned int state) ;  /* "pending", ... */

#endif
