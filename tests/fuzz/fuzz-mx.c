/* ISC license. */
/* libFuzzer target: dcr-mx's own parsing (src/mx/mx.c), on libowfat.
   The first byte picks the query type (MX, A, AAAA) and whether the rest
   is also tried as a domain name; the rest is a DNS reply. Besides not
   crashing: what mx_answer returns is bounded and well formed, mx_order
   leaves no root host, no host twice, preferences in order, and every
   formatted name is safe on a line; a domain mx_domain_valid accepts
   makes a wire name that formats back to the same text, lowercased. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dns.h>

#include "../../src/mx/mx.h"

static unsigned int seq ;
static unsigned int rnd (unsigned int k) { return k ? seq++ % k : 0 ; }

static void check_name (char const *wire)
{
  char out[MX_NAMEFMT] ;
  size_t n = mx_name_fmt(out, wire), i ;
  if (n >= MX_NAMEFMT || strlen(out) != n) abort() ;
  for (i = 0 ; i < n ; i++)
    if ((unsigned char)out[i] <= ' ' || (unsigned char)out[i] >= 0x7f) abort() ;
}

static void domain (uint8_t const *data, size_t size)
{
  char s[300], out[MX_NAMEFMT], *wire = 0 ;
  size_t i, len ;
  if (size >= sizeof(s)) return ;
  memcpy(s, data, size) ;
  s[size] = 0 ;
  if (!mx_domain_valid(s)) return ;
  if (!dns_domain_fromdot(&wire, s, strlen(s))) abort() ;
  len = strlen(s) ;
  if (s[len - 1] == '.') len-- ;
  mx_name_fmt(out, wire) ;
  if (strlen(out) != len) abort() ;
  for (i = 0 ; i < len ; i++)
  {
    char c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
    if (out[i] != c) abort() ;
  }
  free(wire) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static mx_rr rr[MX_PARSEMAX] ;
  static char const *const types[3] = { DNS_T_MX, DNS_T_A, DNS_T_AAAA } ;
  unsigned int n = 12345, i, r ;
  char const *qtype ;
  if (!size) return 0 ;
  qtype = types[data[0] % 3] ;
  if (data[0] & 0x80) domain(data + 1, size - 1) ;
  r = mx_answer((char const *)data + 1, size - 1, qtype, rr, MX_PARSEMAX, &n) ;
  if (r > MX_BAD || n > MX_PARSEMAX || (r != MX_OK && n)) abort() ;
  if (qtype != types[0])
  {
    for (i = 0 ; i < n ; i++)
      if (rr[i].family != (qtype == types[1] ? 4 : 6)) abort() ;
    return 0 ;
  }
  for (i = 0 ; i < n ; i++)
  {
    if (rr[i].pref > 65535 || dns_domain_length(rr[i].name) > 255) abort() ;
    check_name(rr[i].name) ;
  }
  mx_isnull(rr, n) ;
  seq = data[0] ;
  n = mx_order(rr, n, &rnd) ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned int j ;
    if (!rr[i].name[0]) abort() ;
    if (i && rr[i - 1].pref > rr[i].pref) abort() ;
    for (j = 0 ; j < i ; j++)
      if (dns_domain_equal(rr[i].name, rr[j].name)) abort() ;
  }
  return 0 ;
}
