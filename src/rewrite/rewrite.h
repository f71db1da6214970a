/* ISC license. */
#ifndef DCR_REWRITE_H
#define DCR_REWRITE_H

#include <stddef.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

/* dcr-rewrite's two parsers, pure (no I/O): the map file, and the
   address lists of RFC 5322 header fields (t-rewrite, fuzz-rewrite). */

 /* The map: "PATTERN -> REPLACEMENT [scope...]" lines (doc/dcr-rewrite.md) */

#define RW_ENV_FROM 0x01   /* SMTP_SENDER */
#define RW_ENV_TO   0x02   /* SMTP_RECIPIENTS */
#define RW_HDR_FROM 0x04   /* From, Sender, Reply-To */
#define RW_HDR_TO   0x08   /* To, Cc, Bcc */
#define RW_ALL      0x0f

#define RW_LINEMAX 1024

typedef struct rw_rule_s rw_rule ;
struct rw_rule_s
{
  size_t local, locallen ;   /* pattern's local part in text; wild: none */
  size_t domain, domainlen ;
  size_t rlocal, rlocallen ; /* replacement's; rwild: keep the old one */
  size_t rdomain, rdomainlen ;
  unsigned int line ;
  unsigned char scope ;
  unsigned char wild ;       /* *@domain or @domain */
  unsigned char rwild ;
} ;

typedef struct rw_map_s rw_map ;
struct rw_map_s
{
  stralloc text ;
  genalloc rules ;   /* rw_rule, in file order */
} ;
#define RW_MAP_ZERO { .text = STRALLOC_ZERO, .rules = GENALLOC_ZERO }

/* Parse the map file s (len octets). 1; 0 and *line, *why on a broken
   line; -1 out of memory. */
extern int rw_map_parse (rw_map *m, char const *s, size_t len, unsigned int *line, char const **why) ;

/* The new address for addr (len octets) where scope applies: 1 and the
   new address appended to out (it may equal addr); 0 when no rule
   matches; -1 out of memory. An exact address beats a domain rule;
   among rules of one kind the first in the file wins. */
extern int rw_map_apply (rw_map const *m, unsigned int scope, char const *addr, size_t len, stralloc *out) ;

extern void rw_map_free (rw_map *m) ;

 /* Header address lists (RFC 5322 3.4, with groups and the obsolete
    empty list elements) */

typedef struct rw_span_s rw_span ;
struct rw_span_s { size_t off, len ; } ;

/* Find the addr-spec of every mailbox in the raw field value v (n
   octets, folding included): the spans are appended to spans (rw_span),
   in order. 1; 0 if v is not an address list we can rewrite safely
   (spans then undefined); -1 out of memory. Display names, comments,
   quoted strings, groups and folding are skipped, never part of a span. */
extern int rw_addrlist (char const *v, size_t n, genalloc *spans) ;

#endif
