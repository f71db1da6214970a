/* ISC license. */
#ifndef DCR_CIDR_H
#define DCR_CIDR_H

/* IP addresses and CIDR prefixes, IPv4 and IPv6, strict parsing.

   Addresses are skalibs ip46full values. An IPv4-mapped IPv6 address
   (::ffff:a.b.c.d) is always turned into the IPv4 address a.b.c.d, so
   that it matches IPv4 prefixes and prints as a.b.c.d.

   Text forms accepted:
     IPv4   four decimal octets 0-255; a leading zero is refused ("01"),
            because inet_aton(3) reads it as octal and other tools do not.
     IPv6   RFC 4291 section 2.2: eight groups of 1-4 hex digits, one
            "::", an embedded dotted quad at the end. No zone ("%eth0").
     CIDR   ADDR or ADDR/LEN; LEN is decimal without leading zero,
            0-32 for IPv4, 0-128 for IPv6. ADDR alone is /32 or /128.
            An IPv6 prefix inside ::ffff:0:0/96 is the IPv4 prefix it maps.

   The scanners return the number of bytes read, 0 on error; they stop
   at the first byte that cannot continue the form, and the caller
   checks what follows. An IPv4 prefix never matches an IPv6 address
   and the other way round: ::/0 is "every IPv6 client", not everyone. */

#include <stddef.h>
#include <skalibs/ip46.h>

typedef struct dcr_cidr_s dcr_cidr ;
struct dcr_cidr_s
{
  char ip[16] ;          /* IPv4: the first 4 bytes */
  unsigned char is6 ;
  unsigned char bits ;   /* 0..32 or 0..128 */
} ;

/* longest text: an IPv6 address, "/", three digits, NUL */
#define DCR_CIDR_FMT (IP6_FMT + 5)

extern size_t dcr_ip4_scan (char const *s, char *ip) ;
extern size_t dcr_ip6_scan (char const *s, char *ip) ;
extern size_t dcr_ip46_scan (char const *s, ip46full *a) ;
extern void dcr_ip46_unmap (ip46full *a) ;

extern size_t dcr_cidr_scan (char const *s, dcr_cidr *c) ;
/* Clear the bits after the prefix; returns 1 if some were set
   (192.0.2.1/24 is probably a typo for 192.0.2.0/24). */
extern int dcr_cidr_clearhost (dcr_cidr *c) ;
extern int dcr_cidr_match (dcr_cidr const *c, ip46full const *a) ;
extern int dcr_cidr_equal (dcr_cidr const *a, dcr_cidr const *b) ;
/* writes without the terminating NUL, returns the length */
extern size_t dcr_cidr_fmt (char *s, dcr_cidr const *c) ;

#endif
