/* ISC license. */
/* The rules file of dcr-sniproxy (doc/dcr-sniproxy.md): parsed whole
   into a struct sni_rules, or refused with the line and the reason. */
#ifndef SNI_RULES_H
#define SNI_RULES_H

#include <stddef.h>

#include "hello.h"

enum { MODE_ANY, MODE_TLS, MODE_HTTP, MODE_FORWARD } ;
enum { RULE_EXACT, RULE_WILD, RULE_DEFAULT } ;
enum { BALANCE_ORDERED, BALANCE_ROUNDROBIN, BALANCE_RANDOM } ;

#define RULES_LINEMAX 4096
#define RULES_MAX 10000
#define RULE_TARGETS_MAX 64
#define NAME_ADDRS_MAX 8   /* addresses taken from one resolved name */

typedef struct sni_addr_s sni_addr ;
struct sni_addr_s
{
  unsigned char ip[16] ;   /* IPv4 in the first 4 octets */
  unsigned char v6 ;
  unsigned int port ;
} ;

typedef struct sni_cidr_s sni_cidr ;
struct sni_cidr_s
{
  unsigned char ip[16] ;
  unsigned char v6 ;
  unsigned int bits ;
} ;

typedef struct sni_rule_s sni_rule ;
struct sni_rule_s
{
  char text[HELLO_NAMEMAX + 16] ;   /* the pattern as written, mode too: for logs */
  char name[HELLO_NAMEMAX] ;        /* exact: the name; wildcard: ".suffix" */
  size_t namelen ;
  unsigned int line, mode, kind, balance, proxy ;   /* proxy: 0, 1 or 2 */
  unsigned int t0, nt ;             /* targets[t0 .. t0+nt) */
  unsigned int a0, na, d0, nd ;     /* cidrs: allowed, denied */
  unsigned int connect_timeout, idle_timeout ;   /* seconds */
  unsigned int max_conns ;          /* 0: no cap */
  unsigned int rr, conns ;          /* run time: round-robin position, open connections */
} ;

typedef struct sni_rules_s sni_rules ;
struct sni_rules_s
{
  sni_rule *rule ;
  unsigned int n ;
  sni_addr *target ;
  unsigned int ntargets ;
  sni_cidr *cidr ;
  unsigned int ncidr ;
  unsigned int refs ;               /* connections still using this set */
} ;

/* name resolution, done at load: up to max addresses (port left alone),
   returns how many; 0 if the name does not resolve */
typedef unsigned int sni_resolve_fn (char const *host, sni_addr *out, unsigned int max) ;
/* 1 if connecting to a would reach one of our own listeners */
typedef int sni_self_fn (sni_addr const *a) ;

/* text[0..len): the file. Returns 1 with *out filled (free it with
   sni_rules_free), or 0 with *line and *err (a short phrase) set. */
extern int sni_rules_parse (char const *text, size_t len, sni_rules *out, unsigned int *line, char const **err, sni_resolve_fn *resolve, sni_self_fn *self) ;
extern void sni_rules_free (sni_rules *) ;

/* the rule for a name (lowercase; "" when there is none) on a listener
   of that mode, most specific first; -1 if none */
extern int sni_rules_match (sni_rules const *, unsigned int mode, char const *name) ;
/* 1 if the client's address may use the rule (deny wins; with allow=,
   only what it names) */
extern int sni_rule_admits (sni_rules const *, sni_rule const *, sni_addr const *client) ;

/* "1.2.3.4", "::1", "10.0.0.0/8", "[v6]" not accepted; s is 0-terminated */
extern int sni_cidr_scan (char const *s, sni_cidr *c) ;
/* "ADDR:PORT" or "[V6]:PORT" with literals only; 1 if ok */
extern int sni_addr_scan (char const *s, size_t len, sni_addr *a) ;
/* "IP:PORT" or "[IP]:PORT", 0-terminated, at most SNI_ADDR_FMT */
#define SNI_ADDR_FMT 56
extern size_t sni_addr_fmt (char *s, sni_addr const *a) ;
/* an IPv4-mapped IPv6 address as IPv4 */
extern void sni_addr_unmap (sni_addr *a) ;
/* a socket's address (accept, getsockname) as an sni_addr, unmapped */
struct sockaddr_storage ;
extern void sni_addr_of (sni_addr *a, struct sockaddr_storage const *ss) ;

#endif
