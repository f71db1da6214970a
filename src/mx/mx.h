/* ISC license. */
#ifndef DCR_MX_H
#define DCR_MX_H

/* dcr-mx's own parsing, no I/O: the domain syntax, the answer section of
   a DNS reply, the order of MX hosts. Built on libowfat (dns_packet_*,
   dns_domain_*), never on skalibs: see DESIGN.md, Dependencies.
   tests/fuzz/fuzz-mx.c drives all of it. */

#include <stddef.h>

#define MX_PARSEMAX 100   /* records kept from one answer */
#define MX_HOSTMAX 20     /* MX hosts tried, after ordering */
#define MX_ADDRMAX 64     /* addresses printed */
#define MX_NAMEFMT 1024   /* a dotted name, escapes included (255 * 4) */

enum mx_status_e
{
  MX_OK = 0,        /* rcode 0: the records of the type asked, maybe none (NODATA) */
  MX_NXDOMAIN,      /* rcode 3: the name does not exist */
  MX_TEMP,          /* another rcode (SERVFAIL, REFUSED...) */
  MX_BAD            /* not a well-formed reply */
} ;

typedef struct mx_rr_s mx_rr ;
struct mx_rr_s
{
  unsigned int pref ;     /* MX preference; 0 for addresses */
  unsigned int family ;   /* 4 or 6 for A and AAAA, 0 for MX */
  char ip[16] ;
  char name[256] ;        /* MX host, wire format ("" is the root) */
} ;

/* 1 if s is a domain as RFC 5321 4.1.2 has it: LDH labels of 1 to 63
   characters, starting and ending with a letter or digit, at most 253
   characters, one final dot allowed. 0 otherwise. */
extern int mx_domain_valid (char const *s) ;

/* The records of type qtype (DNS_T_MX, DNS_T_A or DNS_T_AAAA) and class
   IN in the answer section of the reply buf (len bytes): at most max of
   them in out, their number in *n. Records of other types (the CNAMEs of
   a chain) are skipped. */
extern int mx_answer (char const *buf, unsigned int len, char const *qtype, mx_rr *out, unsigned int max, unsigned int *n) ;

/* RFC 7505: the only MX record has the root as its host. */
extern int mx_isnull (mx_rr const *rr, unsigned int n) ;

/* Order MX records for trying (RFC 5321 5.1): by preference, lowest
   first; records of equal preference shuffled with rnd(k), which returns
   0..k-1. A host named twice is kept at its first place, a root host is
   dropped. Returns the number left. */
extern unsigned int mx_order (mx_rr *rr, unsigned int n, unsigned int (*rnd)(unsigned int)) ;

/* A wire-format name as lowercase dotted text, no final dot (the root is
   "."); bytes other than letters, digits, '-' and '_' as \ooo, so the
   text never holds a TAB, a newline or a space. out has MX_NAMEFMT
   bytes; returns the length, out is NUL-terminated. */
extern size_t mx_name_fmt (char *out, char const *wire) ;

#endif
