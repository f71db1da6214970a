/* ISC license. */
#ifndef DCR_ROUTES_H
#define DCR_ROUTES_H

/* The routes file (contract 6, doc/routes.md): which targets get the
   mail of a recipient domain, and which domains dcr-smtpd accepts from
   anyone. Parsed whole or refused whole: a broken file names its line. */

#include <stddef.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#define DCR_ROUTES_MAXLINES 100000
#define DCR_ROUTES_MAXFILE (16 << 20)
#define DCR_ROUTES_MAXTARGETS 32   /* per rule */

enum dcr_target_kind_e { DCR_TARGET_SMTP, DCR_TARGET_MX, DCR_TARGET_MAILDIR } ;
enum dcr_balance_e { DCR_BALANCE_ORDERED, DCR_BALANCE_ROUNDROBIN, DCR_BALANCE_RANDOM } ;
enum dcr_tls_e { DCR_TLS_NONE, DCR_TLS_MAY, DCR_TLS_ENCRYPT, DCR_TLS_VERIFY } ;

typedef struct dcr_target_s dcr_target ;
struct dcr_target_s
{
  unsigned int kind ;    /* dcr_target_kind_e */
  char const *spec ;     /* as written: "smtp:[10.0.0.1]:25", "mx", "mx:2525", "maildir:/var/mail/%u" */
  char const *arg ;      /* after "kind:": "[10.0.0.1]:25", "2525" or "" for mx, "/var/mail/%u" */
} ;

typedef struct dcr_route_s dcr_route ;
struct dcr_route_s
{
  char const *key ;      /* "=example.com", "*example.com" (for *.example.com), "*" */
  char const *pattern ;  /* as written, lowercased */
  char const *sender ;   /* sender= pattern, lowercased, or 0 */
  dcr_target const *targets ;
  unsigned int ntargets ;
  unsigned int balance ; /* dcr_balance_e */
  unsigned int tls ;     /* dcr_tls_e; default may */
  char const *auth ;     /* auth= file, or 0 */
  char const *ca ;       /* ca= file (tls=verify), or 0: the system's */
  unsigned int rate ;    /* rate=: messages per minute per destination, 0 = no limit */
  unsigned int concurrency ;  /* concurrency=: agents per destination, 0 = the runner's default */
  unsigned int line ;
  size_t off_[7] ;       /* the parser's: string offsets until the table is final */
} ;

typedef struct dcr_routes_s dcr_routes ;
struct dcr_routes_s
{
  stralloc text ;        /* every string of the table */
  genalloc routes ;      /* dcr_route, sorted by key; sender rules first within a key */
  genalloc targets ;     /* dcr_target */
  unsigned int errline ; /* after a failure: the line at fault (0: the file itself) */
  char const *error ;    /* after a failure: what is wrong (static text) */
} ;
#define DCR_ROUTES_ZERO { STRALLOC_ZERO, GENALLOC_ZERO, GENALLOC_ZERO, 0, 0 }

/* Parse text (len octets) into r, replacing what r held. 1 on success;
   0 on a broken file, with r emptied and errline/error set. */
extern int dcr_routes_parse (dcr_routes *r, char const *text, size_t len) ;

/* Read file and parse it. A missing file is an empty table (1). */
extern int dcr_routes_load (dcr_routes *r, char const *file) ;

extern void dcr_routes_free (dcr_routes *r) ;

/* Log a failed load: event=config-error file= line= error= effect= */
extern void dcr_routes_logerror (dcr_routes const *r, char const *file, char const *effect) ;

#define dcr_routes_n(r) genalloc_len(dcr_route, &(r)->routes)
#define dcr_routes_get(r, i) (genalloc_s(dcr_route, &(r)->routes) + (i))

/* The rule for a recipient domain (len octets, any case) and sender
   ("" for the null sender): exact domain, then *.suffix from the
   longest suffix, then *; within one pattern a matching sender= rule
   beats the rule without one. 0 if nothing matches. */
extern dcr_route const *dcr_routes_match (dcr_routes const *r, char const *domain, size_t len, char const *sender) ;

/* 1 if dcr-smtpd accepts mail for the domain from anyone: it matches a
   pattern other than "*". */
extern int dcr_routes_local (dcr_routes const *r, char const *domain, size_t len) ;

/* 1 if sender ("" for <>) matches a sender= pattern: "<>", "user@dom",
   "*@dom", "*@*.dom"; case-insensitive. */
extern int dcr_routes_sendermatch (char const *pattern, char const *sender) ;

#endif
