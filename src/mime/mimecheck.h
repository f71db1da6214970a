/* ISC license. */
#ifndef DCR_MIMECHECK_H
#define DCR_MIMECHECK_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/mime.h>

/* dcr-mimecheck: the rules file (rules.c), the checks on the parser's
   events (policy.c, hit.c), zip central directories (zip.c), the new message
   (rewrite.c). */

 /* rules.c */

enum { A_REJECT, A_TAG, A_REMOVE } ;
enum { K_EXT, K_TYPE, K_WORD, K_REGEX, K_MALFORMED, K_BADZIP } ;

typedef struct rule_s rule ;
struct rule_s
{
  unsigned int line ;
  unsigned char action ;
  unsigned char kind ;
  size_t arg ;        /* in rules.text: ext and type lists NUL-separated, ended by an empty item; the word; the regex */
  size_t message ;    /* in rules.text, or 0 when none (text starts with a NUL) */
  regex_t re ;
} ;

typedef struct rules_s rules ;
struct rules_s
{
  stralloc text ;
  genalloc list ;     /* rule */
  dcr_mime_limits lim ;
  uint64_t zip_max ;
  char const *tagheader ;   /* in text, once parsed */
  size_t tagoff ;
  int has_text ;            /* a word or regex rule: text parts are read */
} ;

/* 1, or 0 with *line and *why (a static text, or in errbuf) for a broken line; -1 out of memory */
extern int rules_parse (rules *r, char const *s, size_t len, unsigned int *line, char const **why, char *errbuf, size_t errlen) ;
/* what rules_parse allocated, whatever it returned (the program exits
   without it; the fuzz target parses again and again) */
extern void rules_free (rules *r) ;
#define rules_at(r, i) (genalloc_s(rule, &(r)->list) + (i))
#define rules_n(r) genalloc_len(rule, &(r)->list)

 /* zip.c */

/* the names in the central directory of the zip archive in fd (size
   octets): f for each, until it returns 0. 1 read, 0 not readable as
   a zip (why says what), -1 a read error */
extern int zip_names (int fd, uint64_t size, int (*f) (void *, char const *, size_t), void *ctx, char const **why) ;

 /* policy.c, hit.c */

typedef struct removal_s removal ;
struct removal_s
{
  uint64_t from, to ;      /* octets of the input replaced */
  size_t text ;            /* in policy.texts: the replacement's sentence */
} ;

#define TEXTMAX 4096       /* text rules: a line, or a window of a longer one */
#define TEXTKEEP 256       /* ... overlapping the next window by this much */

/* what a rule that holds says: in the log (kind, detail, shown), in the
   tag header and the removal text (reason), in the reply (reply) */
typedef struct said_s said ;
struct said_s
{
  char const *kind ;
  stralloc shown, detail, reason, reply ;
} ;

typedef struct policy_s policy ;
struct policy_s
{
  rules const *r ;
  char const *id ;
  stralloc texts ;         /* reasons, replacements */
  stralloc tags ;          /* the tag header's value, reasons separated by "; " */
  genalloc removals ;      /* removal, in input order */
  said said ;              /* the last hit's texts; the storage is kept */
  stralloc malformed ;     /* what is malformed in the message, for the malformed rules */
  unsigned char *done ;    /* per rule: a tag rule that has tagged */
  unsigned char skip[DCR_MIME_DEPTH_MAX + 1] ;    /* the part at this depth is removed, or inside one */
  size_t pending[DCR_MIME_DEPTH_MAX + 1] ;        /* its replacement (in texts), 0: none */
  /* the leaf being read */
  int text ;               /* text rules apply */
  char line[TEXTMAX + 1] ;
  size_t linelen ;
  int zip ;                /* 0 no, 1 looking at the first octets, 2 spooling, 3 over zip-max */
  int zipbyname ;          /* spool whatever the first octets: its name ends in .zip */
  char magic[4] ;
  size_t magiclen ;
  uint64_t ziplen ;
  int zipfd ;
  char zipbuf[65536] ;     /* writes to zipfd in large blocks */
  size_t zipbuflen ;
} ;

/* hit.c: a rule holds for the part pt (0: the message); why says more */
typedef struct policy_why_s policy_why ;
struct policy_why_s
{
  char const *ext ;     /* K_EXT: the extension */
  char const *inner ;   /* K_EXT: the name inside a zip */
  char const *what ;    /* K_MALFORMED, K_BADZIP: what is wrong */
} ;
extern void policy_hit (policy *po, rule const *ru, dcr_mime_part const *pt, policy_why const *w) ;
/* s appended for a reply or a header: printable ASCII, '"' and '\' as '?', cut */
extern void policy_show (stralloc *sa, char const *s) ;
/* the part's file name, else its name, else 0 */
extern char const *policy_partname (dcr_mime_part const *pt) ;

extern void policy_init (policy *po, rules const *r, char const *id) ;
extern dcr_mime_events const policy_events ;
/* after the parse: limits and malformed input */
extern void policy_finish (policy *po, dcr_mime const *p) ;
/* what policy_init and the checks allocated, the zip file closed */
extern void policy_free (policy *po) ;

 /* rewrite.c */

/* the new message in a temporary file: the tag header, then stdin with
   the removed parts replaced. The descriptor. */
extern int rewrite (policy const *po) ;

#endif
