/* ISC license. */
#ifndef DKIM_DOMAIN_H
#define DKIM_DOMAIN_H

#include <stddef.h>

#include <skalibs/stralloc.h>

/* The signing domain: the domain of the first address of From:, or of
   the envelope sender. It names a directory under the keys directory,
   so only a plain host name is taken: letters, digits, '-' and '_' in
   labels of 1 to 63 octets, 253 octets at most, lowercased. Anything
   else (an address literal, "..", a '/', 8-bit) is no domain. */

/* From: value v (n octets, folded or not): the domain, NUL-terminated,
   in sa (replacing its contents). 1, or 0 when there is none (or out
   of memory). Comments, quoted strings, display names, groups and
   source routes are understood (RFC 5322 3.4, 4.4). */
extern int dkim_from_domain (char const *v, size_t n, stralloc *sa) ;

/* the domain of an envelope address (SMTP_SENDER), as above */
extern int dkim_addr_domain (char const *addr, stralloc *sa) ;

extern int dkim_domain_ok (char const *d, size_t n) ;

#endif
