/* ISC license. */
#ifndef DCR_COND_H
#define DCR_COND_H

#include <stddef.h>

#include <skalibs/stralloc.h>

/* Conditions on a message, shared by the filters that apply a policy
   to some mail only (dcr-header rules, dcr-when). A condition is one
   word, KEY=PATTERN[,PATTERN...], true when one of the patterns
   matches; a leading '!' negates it. Several conditions on a rule all
   have to hold.

     sender=PAT        the envelope sender: user@dom, *@dom, @dom, or <>
     sender-domain=DOM the envelope sender's domain
     from-domain=DOM   the domain of the first address of From:
     rcpt=PAT          some envelope recipient (as sender=)
     rcpt-domain=DOM   some envelope recipient's domain
     ip=CIDR           the client's address (TCPREMOTEIP)
     auth=USER         the SMTP AUTH user; auth=* any authenticated one

   DOM is a domain (exact), *.dom (a subdomain of dom, not dom
   itself) or * (any). Comparisons ignore ASCII case. rcpt= and
   rcpt-domain= hold when ANY recipient matches: the policy then
   applies to the whole message (doc/filters.md says why). */

enum dcr_cond_key_e
{
  DCR_COND_SENDER, DCR_COND_SENDER_DOMAIN, DCR_COND_FROM_DOMAIN,
  DCR_COND_RCPT, DCR_COND_RCPT_DOMAIN, DCR_COND_IP, DCR_COND_AUTH
} ;

typedef struct dcr_cond_s dcr_cond ;
struct dcr_cond_s
{
  unsigned char key ;   /* dcr_cond_key_e */
  unsigned char neg ;
  size_t pats ;         /* offset in the patterns stralloc: NUL-ended
                           patterns, then an empty one */
} ;

/* What a message is judged on. from_domain is looked up by the caller
   only when some condition needs it (dcr_cond_needs_from): NULL when the
   message has no From: address. */
typedef struct dcr_cond_msg_s dcr_cond_msg ;
struct dcr_cond_msg_s
{
  char const *sender ;       /* SMTP_SENDER, "" for <> */
  char const *rcpts ;        /* SMTP_RECIPIENTS, LF-separated */
  char const *ip ;           /* TCPREMOTEIP, or NULL */
  char const *authuser ;     /* SMTP_AUTHUSER, or NULL */
  char const *from_domain ;  /* lowercase, or NULL */
} ;

/* Scan a word. 1: a condition, *c set, its patterns appended to pats.
   0: not a condition (no known KEY= at its start). -1: a condition with
   a bad pattern, *why says what. */
extern int dcr_cond_scan (char const *word, dcr_cond *c, stralloc *pats, char const **why) ;

/* 1 if c holds for m */
extern int dcr_cond_match (dcr_cond const *c, char const *pats, dcr_cond_msg const *m) ;

/* Fill m from the environment (from_domain left NULL). */
extern void dcr_cond_msg_env (dcr_cond_msg *m) ;

/* The domain of the first address of the From: field in a header
   section (s, len): lowercased, appended to sa, NUL-terminated.
   1 found, 0 no From: or no address in it, -1 out of memory.
   Display names, quoted strings, comments and groups are skipped. */
extern int dcr_from_domain (char const *s, size_t len, stralloc *sa) ;

/* The domain of an address (after its last '@'; "" if none) */
extern char const *dcr_addr_domainpart (char const *addr) ;

#endif
