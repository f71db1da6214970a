/* ISC license. */
#ifndef DCR_SMTPD_RELAY_H
#define DCR_SMTPD_RELAY_H

#include <stddef.h>

#include <skalibs/stralloc.h>

/* The domains we accept mail for from anyone: every pattern of the
   routes file (contract 6) except "*". "dom" matches dom exactly,
   "*.dom" any subdomain of dom (not dom itself); case-insensitive. */

#define RELAY_MAXLINES 100000
#define RELAY_MAXFILE (16 << 20)

typedef struct relay_table_s relay_table ;
struct relay_table_s
{
  stralloc names ;     /* lowercase names, NUL-terminated, one after the other */
  char const **exact ;
  size_t nexact ;
  char const **wild ;
  size_t nwild ;
} ;
#define RELAY_TABLE_ZERO { STRALLOC_ZERO, 0, 0, 0, 0 }

/* Load file. Missing file: empty table, 1. A broken file (a line with
   a bad pattern or no target, too many lines, too big) is logged with
   file:line and gives an empty table: nothing is local. Returns 0 if
   the file was broken or unreadable, 1 otherwise. */
extern int relay_load (relay_table *, char const *) ;
/* The same on the text of a file (len octets; file names it in logs). */
extern int relay_parse (relay_table *, char const *, size_t, char const *) ;

/* 1 if the domain (len octets) is one we accept mail for. */
extern int relay_local (relay_table const *, char const *, size_t) ;

#endif
