/* ISC license. */

#include <stdlib.h>
#include <string.h>

#include <dns.h>

#include "mx.h"

static int letdig (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ;
}

int mx_domain_valid (char const *s)
{
  size_t len = strlen(s), label = 0, i = 0 ;
  if (len && s[len - 1] == '.') len-- ;
  if (!len || len > 253) return 0 ;
  for (; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c == '.')
    {
      if (!label || s[i - 1] == '-') return 0 ;
      label = 0 ;
    }
    else if (letdig(c) || (c == '-' && label))
    {
      if (++label > 63) return 0 ;
    }
    else return 0 ;
  }
  return label && s[len - 1] != '-' ;
}

static unsigned int u16 (char const *s)
{
  return ((unsigned int)(unsigned char)s[0] << 8) | (unsigned char)s[1] ;
}

static int answer (char const *buf, unsigned int len, char const *qtype, mx_rr *out, unsigned int max, unsigned int *n)
{
  char hdr[12], rr[10] ;
  unsigned int pos, count, rcode ;
  *n = 0 ;
  pos = dns_packet_copy(buf, len, 0, hdr, 12) ;
  if (!pos || !(hdr[2] & 0x80)) return MX_BAD ;   /* short, or a query */
  rcode = hdr[3] & 15 ;
  if (rcode == 3) return MX_NXDOMAIN ;
  if (rcode) return MX_TEMP ;
  for (count = u16(hdr + 4) ; count ; count--)   /* the question */
  {
    pos = dns_packet_skipname(buf, len, pos) ;
    if (!pos || len - pos < 4) return MX_BAD ;
    pos += 4 ;
  }
  for (count = u16(hdr + 6) ; count ; count--)
  {
    unsigned int dlen ;
    pos = dns_packet_skipname(buf, len, pos) ;
    if (!pos) return MX_BAD ;
    pos = dns_packet_copy(buf, len, pos, rr, 10) ;
    if (!pos) return MX_BAD ;
    dlen = u16(rr + 8) ;
    if (dlen > len - pos) return MX_BAD ;
    if (!memcmp(rr, qtype, 2) && !memcmp(rr + 2, DNS_C_IN, 2) && *n < max)
    {
      mx_rr *r = out + *n ;
      memset(r, 0, sizeof(*r)) ;
      if (!memcmp(qtype, DNS_T_MX, 2))
      {
        char *dn = 0 ;
        unsigned int end ;
        if (dlen < 3) return MX_BAD ;
        r->pref = u16(buf + pos) ;
        end = dns_packet_getname(buf, len, pos + 2, &dn) ;
        if (!end || end > pos + dlen) { free(dn) ; return MX_BAD ; }
        memcpy(r->name, dn, dns_domain_length(dn)) ;
        free(dn) ;
      }
      else if (!memcmp(qtype, DNS_T_A, 2))
      {
        if (dlen != 4) return MX_BAD ;
        r->family = 4 ;
        memcpy(r->ip, buf + pos, 4) ;
      }
      else
      {
        if (dlen != 16) return MX_BAD ;
        r->family = 6 ;
        memcpy(r->ip, buf + pos, 16) ;
      }
      (*n)++ ;
    }
    pos += dlen ;
  }
  return MX_OK ;
}

int mx_answer (char const *buf, unsigned int len, char const *qtype, mx_rr *out, unsigned int max, unsigned int *n)
{
  int r = answer(buf, len, qtype, out, max, n) ;
  if (r != MX_OK) *n = 0 ;   /* nothing from a reply that is not all good */
  return r ;
}

int mx_isnull (mx_rr const *rr, unsigned int n)
{
  return n == 1 && !rr[0].name[0] ;
}

unsigned int mx_order (mx_rr *rr, unsigned int n, unsigned int (*rnd)(unsigned int))
{
  static mx_rr t ;   /* 280 bytes: off the stack */
  unsigned int i, j, k ;
  /* drop the root (null MX) hosts, and a host named twice */
  for (i = k = 0 ; i < n ; i++)
  {
    if (!rr[i].name[0]) continue ;
    for (j = 0 ; j < k ; j++)
      if (dns_domain_equal(rr[j].name, rr[i].name)) break ;
    if (j < k)
    {
      if (rr[i].pref < rr[j].pref) rr[j].pref = rr[i].pref ;
      continue ;
    }
    if (k != i) rr[k] = rr[i] ;
    k++ ;
  }
  n = k ;
  /* insertion sort: stable, and n is small */
  for (i = 1 ; i < n ; i++)
  {
    t = rr[i] ;
    for (j = i ; j && rr[j - 1].pref > t.pref ; j--) rr[j] = rr[j - 1] ;
    rr[j] = t ;
  }
  /* Fisher-Yates within each run of equal preference */
  for (i = 0 ; i < n ; i = j)
  {
    for (j = i + 1 ; j < n && rr[j].pref == rr[i].pref ; j++) ;
    for (k = j - i ; k > 1 ; k--)
    {
      unsigned int r = rnd(k) ;
      if (r >= k) r = k - 1 ;
      t = rr[i + k - 1] ; rr[i + k - 1] = rr[i + r] ; rr[i + r] = t ;
    }
  }
  return n ;
}

size_t mx_name_fmt (char *out, char const *wire)
{
  size_t len = 0 ;
  unsigned int pos = 0 ;
  if (!wire[0]) { out[0] = '.' ; out[1] = 0 ; return 1 ; }
  while (wire[pos] && pos < 255)
  {
    unsigned int l = (unsigned char)wire[pos++], i ;
    if (len) out[len++] = '.' ;
    for (i = 0 ; i < l && pos < 255 ; i++, pos++)
    {
      unsigned char c = wire[pos] ;
      if (c >= 'A' && c <= 'Z') c += 32 ;
      if (letdig(c) || c == '-' || c == '_') out[len++] = c ;
      else
      {
        out[len++] = '\\' ;
        out[len++] = '0' + (c >> 6) ;
        out[len++] = '0' + ((c >> 3) & 7) ;
        out[len++] = '0' + (c & 7) ;
      }
    }
  }
  out[len] = 0 ;
  return len ;
}
