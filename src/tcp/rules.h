/* ISC license. */
#ifndef DCR_TCP_RULES_H
#define DCR_TCP_RULES_H

/* The access rules file of dcr-tcpd (doc/dcr-tcpd.md):
     # CIDR          action  [VAR=value | -VAR ...]  [msg="reply line"]
     127.0.0.0/8     allow   RELAYCLIENT=
     192.0.2.0/24    deny    msg="554 5.7.1 go away"
   Longest prefix wins; no match is allow with nothing set. */

#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/ip46.h>

#include <dcr/cidr.h>

#define RULES_FILE_MAX (4 << 20)
#define RULES_LINE_MAX 4096
#define RULES_MSG_MAX 510

typedef struct rule_s rule ;
struct rule_s
{
  dcr_cidr net ;
  unsigned int line ;
  int deny ;
  size_t env ;       /* offset in data: "VAR=value\0" sets, "VAR\0" unsets */
  size_t envlen ;
  size_t envn ;
  size_t msg ;       /* offset in data: the reply line and CRLF */
  size_t msglen ;    /* 0: close without a word */
} ;

typedef struct rules_s rules ;
struct rules_s
{
  genalloc list ;    /* rule, longest prefix first */
  stralloc data ;
} ;
#define RULES_ZERO { .list = GENALLOC_ZERO, .data = STRALLOC_ZERO }

/* What is wrong, where: "why" alone, or "why other" when other is
   not 0 (another line number); line 0 is about the whole file. */
typedef struct rules_error_s rules_error ;
struct rules_error_s
{
  unsigned int line ;
  unsigned int other ;
  char const *why ;
} ;

/* Parse a whole file's text into r (replacing it) and return 1; on
   error return 0 with *err filled in and r untouched. */
extern int rules_parse (rules *r, char const *text, size_t len, rules_error *err) ;
extern rule const *rules_match (rules const *r, ip46full const *a) ;
extern size_t rules_count (rules const *r) ;
extern void rules_free (rules *r) ;

/* A rules file that is reloaded when it changes. */
typedef struct rulesfile_s rulesfile ;
struct rulesfile_s
{
  char const *path ;
  rules r ;
  struct stat seen ;   /* the version last tried, good or bad */
} ;

/* Load at start: dies 100 naming file:line on a bad file, 111 if it
   cannot be read. */
extern void rulesfile_init (rulesfile *f, char const *path) ;
/* Reload if the file changed since the last try (or always if force):
   a bad file is logged with file:line and the old rules stay. */
extern void rulesfile_check (rulesfile *f, int force) ;

#endif
