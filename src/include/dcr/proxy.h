/* ISC license. */
#ifndef DCR_PROXY_H
#define DCR_PROXY_H

/* PROXY protocol v1 (text) and v2 (binary) headers, as sent by HAProxy
   and cloud load balancers in front of a TCP server.

   dcr_proxy_parse() is a pure function on a byte buffer. It returns
     > 0  the buffer starts with a complete, valid header of that many
          bytes; *p is filled in;
       0  the buffer is a proper prefix of a header that may still be
          valid: read more. Every byte of such a buffer belongs to the
          header, so a reader may consume it without reading past the
          header (see src/tcp/child.c);
      -1  the buffer cannot start a valid header; *why says why.
   It never reads more than len bytes, and never asks for more than
   DCR_PROXY_MAX bytes in all.

   v1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n", single spaces,
   addresses of the named family (strict, see dcr/cidr.h), ports
   0-65535 without leading zeros; or "PROXY UNKNOWN[ anything]\r\n".
   At most 107 bytes.
   v2: the 12-byte signature, version 2, command LOCAL or PROXY, family
   TCP over IPv4 or IPv6 (or UNSPEC), a length that covers the address
   block; what follows the addresses must be well-formed TLVs (type,
   16-bit length, value), which are skipped. At most DCR_PROXY_V2_MAX
   bytes in all: bigger headers are refused.
   LOCAL (v2) and UNKNOWN (v1) and v2 UNSPEC say "keep the real peer":
   p->local is 1 and the addresses are not set. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <skalibs/ip46.h>

#define DCR_PROXY_V1_MAX 107
#define DCR_PROXY_V2_MAX 2048
#define DCR_PROXY_MAX DCR_PROXY_V2_MAX

typedef struct dcr_proxy_s dcr_proxy ;
struct dcr_proxy_s
{
  unsigned int version ;   /* 1 or 2 */
  int local ;              /* 1: keep the real connection's addresses */
  ip46full src ;           /* the client, IPv4-mapped turned into IPv4 */
  ip46full dst ;           /* the address the client connected to */
  uint16_t srcport ;
  uint16_t dstport ;
} ;

extern ssize_t dcr_proxy_parse (char const *buf, size_t len, dcr_proxy *p, char const **why) ;

#endif
