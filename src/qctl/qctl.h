/* ISC license. */
#ifndef DCR_QCTL_H
#define DCR_QCTL_H

/* dcr-qctl: the queue control tool. doc/dcr-qctl.md says what it does;
   the queue it reads is doc/queue.md. Every path is relative to the
   queue: main() chdirs there first. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>

#include <dcr/qid.h>
#include <dcr/queue.h>

 /* paused.c: the "paused" file and domain names. No skalibs I/O here,
    so the fuzz target links it alone. */

#define QCTL_DOMAINMAX 255
#define QCTL_PAUSED_FILEMAX (1 << 20)  /* a bigger paused file is refused */

/* a recipient domain as the runner matches it: 1..255 bytes of letters,
   digits, "-._[]:" and bytes >= 0x80 (IDN in UTF-8). "*" is not one. */
extern int qctl_domain_ok (char const *s) ;
extern void qctl_lower (char *s) ;

/* Parse the paused file (n bytes of s, not modified): one entry per line,
   a domain or "*"; blank lines and "#" comments skipped, spaces trimmed,
   domains lower-cased, duplicates dropped. Entries are appended to list
   as NUL-terminated strings. Returns the number of bad lines (skipped),
   or -1 when out of memory. */
extern int qctl_paused_parse (stralloc *list, char const *s, size_t n) ;
extern int qctl_paused_has (stralloc const *list, char const *entry) ;
extern int qctl_paused_add (stralloc *list, char const *entry) ;     /* 1, 0 on ENOMEM */
extern int qctl_paused_remove (stralloc *list, char const *entry) ;  /* 1 removed, 0 absent */
extern int qctl_paused_fmt (stralloc *out, stralloc const *list) ;   /* one line each */

 /* scan.c: every envelope of the queue, one at a time, in id order */

typedef struct qctl_scan_s qctl_scan ;
struct qctl_scan_s
{
  stralloc recs ;        /* QCTL_REC bytes each: the id, then 'e' (env/) or 'n' (new/) */
  size_t pos ;
  char path[DCR_QUEUE_PATHMAX] ;  /* of the envelope last read */
  int isnew ;            /* it was in new/ */
  unsigned int broken ;  /* reported and skipped */
} ;
#define QCTL_SCAN_ZERO { STRALLOC_ZERO, 0, "", 0, 0 }
#define QCTL_REC (DCR_QID_LEN + 1)

extern void qctl_scan_start (qctl_scan *) ;   /* lists new/ and env/NN/; dies 111 */
extern size_t qctl_scan_count (qctl_scan const *) ;
extern int qctl_scan_next (qctl_scan *, dcr_envelope *) ;  /* 1: e holds the next one; 0: end */
extern void qctl_scan_free (qctl_scan *) ;

/* One envelope by id: 1 read into e (path, isnew set), 0 no such
   envelope, -1 broken (reported on stderr). Dies 111 on I/O errors. */
extern int qctl_read (dcr_envelope *e, char const *id, char *path, int *isnew) ;

/* "env/NN/ID: broken envelope at line 7" on stderr, as a warning */
extern void qctl_report_broken (char const *path, dcr_envelope const *e, int err) ;

 /* out.c: what goes to stdout (buffer_1), escaped where it comes from
    outside: no control character reaches the terminal. */

extern void out (char const *s) ;
extern void outn (char const *s, size_t n) ;
extern void outesc (char const *s, size_t n) ;   /* C0 controls but TAB and LF, and DEL, as \xNN */
extern void outu (uint64_t u) ;
extern void outpad (char const *s, size_t width) ;  /* s, then spaces up to width */
extern void outflush (void) ;                     /* dies 111 */
extern size_t qctl_fmt_dur (char *buf, uint64_t secs) ;  /* "45s" "4m" "3h12m" "2d3h"; buf of 32 */
extern char const *qctl_rcpt_domain (char const *addr) ;  /* after the last '@', "" if none */
extern int qctl_domain_eq (char const *a, char const *b) ; /* ASCII case-insensitive */

 /* list.c, stats.c, show.c */

typedef struct qctl_filter_s qctl_filter ;
struct qctl_filter_s
{
  char const *domain ;   /* 0: any */
  int state ;            /* -1 any; DCR_RCPT_*; QCTL_HELD */
  uint64_t older ;       /* seconds; 0: any */
  int idsonly ;
} ;
#define QCTL_HELD 100

extern uint64_t qctl_now ;
extern int qctl_list (qctl_filter const *) ;
extern int qctl_stats (unsigned int top) ;
extern int qctl_show (char const *id) ;
/* stats.c: read QUEUEDIR/paused into list (a missing file is empty).
   -1 (errno set; EFBIG: over QCTL_PAUSED_FILEMAX), else the number of
   lines skipped as not domains */
extern int qctl_paused_read (stralloc *list) ;

 /* act.c: the commands, done on the files (runner down, lock held) */

extern int qctl_act_retry_id (char const *id) ;
extern int qctl_act_retry_domain (char const *domain) ;  /* 0: every domain */
extern int qctl_act_hold (char const *id, unsigned int hold) ;
extern int qctl_act_delete (char const *id) ;
extern int qctl_act_pause (char const *entry, int pause) ;

#endif
