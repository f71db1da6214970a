/* ISC license. */

#include <string.h>

#include <skalibs/types.h>
#include <skalibs/fmtscan.h>
#include <skalibs/ip46.h>

#include <dcr/cidr.h>

static char const mapped[12] = "\0\0\0\0\0\0\0\0\0\0\377\377" ;

static int hexval (char c)
{
  unsigned char v = fmtscan_num((unsigned char)c, 16) ;
  return v < 16 ? v : -1 ;
}

/* decimal, 1 to 3 digits, no leading zero, at most max */
static size_t dec_scan (char const *s, unsigned int max, unsigned int *n)
{
  size_t i = 0 ;
  unsigned int v = 0 ;
  while (i < 4 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0') ;
  if (!i || i > 3 || v > max) return 0 ;
  if (i > 1 && s[0] == '0') return 0 ;
  *n = v ;
  return i ;
}

size_t dcr_ip4_scan (char const *s, char *ip)
{
  size_t i = 0 ;
  for (unsigned int k = 0 ; k < 4 ; k++)
  {
    unsigned int v ;
    size_t n ;
    if (k)
    {
      if (s[i] != '.') return 0 ;
      i++ ;
    }
    n = dec_scan(s + i, 255, &v) ;
    if (!n) return 0 ;
    ip[k] = (char)v ;
    i += n ;
  }
  return i ;
}

size_t dcr_ip6_scan (char const *s, char *ip)
{
  unsigned int g[8] ;
  unsigned int n = 0 ;
  int dc = -1 ;
  size_t i = 0 ;
  if (s[0] == ':')
  {
    if (s[1] != ':') return 0 ;
    dc = 0 ; i = 2 ;
  }
  while (hexval(s[i]) >= 0)
  {
    unsigned int v = 0 ;
    size_t len = 0 ;
    while (len < 5 && hexval(s[i + len]) >= 0) v = (v << 4) | hexval(s[i + len++]) ;
    if (s[i + len] == '.')
    {
      char v4[4] ;
      size_t m = dcr_ip4_scan(s + i, v4) ;
      if (!m || n > 6) return 0 ;
      g[n++] = ((unsigned char)v4[0] << 8) | (unsigned char)v4[1] ;
      g[n++] = ((unsigned char)v4[2] << 8) | (unsigned char)v4[3] ;
      i += m ;
      break ;
    }
    if (len > 4 || n >= 8) return 0 ;
    g[n++] = v ;
    i += len ;
    if (s[i] != ':') break ;
    if (s[i + 1] == ':')
    {
      if (dc >= 0) return 0 ;
      dc = n ; i += 2 ;
    }
    else if (hexval(s[i + 1]) >= 0) i++ ;
    else return 0 ;
  }
  if (dc < 0 ? n != 8 : n > 7) return 0 ;
  memset(ip, 0, 16) ;
  {
    unsigned int k = 0, pos = 0 ;
    for (; k < n ; k++)
    {
      if ((int)k == dc) pos += 8 - n ;
      ip[2 * pos] = (char)(g[k] >> 8) ;
      ip[2 * pos + 1] = (char)(g[k] & 0xff) ;
      pos++ ;
    }
  }
  return i ;
}

void dcr_ip46_unmap (ip46full *a)
{
  if (a->is6 && !memcmp(a->ip, mapped, 12))
  {
    char v4[4] ;
    memcpy(v4, a->ip + 12, 4) ;
    ip46full_from_ip4(a, v4) ;
  }
}

size_t dcr_ip46_scan (char const *s, ip46full *a)
{
  char ip[16] ;
  size_t n = dcr_ip4_scan(s, ip) ;
  /* "1.2.3.4" could be the start of nothing else; "1:..." is IPv6 */
  if (n && s[n] != ':' && hexval(s[n]) < 0)
  {
    ip46full_from_ip4(a, ip) ;
    return n ;
  }
  n = dcr_ip6_scan(s, ip) ;
  if (!n) return 0 ;
  ip46full_from_ip6(a, ip) ;
  dcr_ip46_unmap(a) ;
  return n ;
}

size_t dcr_cidr_scan (char const *s, dcr_cidr *c)
{
  ip46full a ;
  int wasmapped ;
  unsigned int bits ;
  size_t n = dcr_ip46_scan(s, &a) ;
  if (!n) return 0 ;
  /* an IPv6 text that mapped to IPv4 counts its prefix in IPv6 bits */
  wasmapped = !a.is6 && memchr(s, ':', n) ;
  bits = a.is6 ? 128 : 32 ;
  if (s[n] == '/')
  {
    size_t m = dec_scan(s + n + 1, wasmapped ? 128 : bits, &bits) ;
    if (!m) return 0 ;
    if (wasmapped)
    {
      if (bits < 96) return 0 ;
      bits -= 96 ;
    }
    n += 1 + m ;
  }
  memcpy(c->ip, a.ip, 16) ;
  c->is6 = a.is6 ;
  c->bits = bits ;
  return n ;
}

int dcr_cidr_clearhost (dcr_cidr *c)
{
  unsigned int len = c->is6 ? 16 : 4 ;
  unsigned int full = c->bits >> 3, rest = c->bits & 7 ;
  int changed = 0 ;
  for (unsigned int i = full ; i < len ; i++)
  {
    unsigned char mask = (i == full && rest) ? (unsigned char)(0xff >> rest) : 0xff ;
    if ((unsigned char)c->ip[i] & mask) changed = 1 ;
    c->ip[i] = (char)((unsigned char)c->ip[i] & ~mask) ;
  }
  return changed ;
}

int dcr_cidr_match (dcr_cidr const *c, ip46full const *a)
{
  unsigned int full = c->bits >> 3, rest = c->bits & 7 ;
  if (!c->is6 != !a->is6) return 0 ;
  if (memcmp(c->ip, a->ip, full)) return 0 ;
  if (rest)
  {
    unsigned char mask = (unsigned char)(0xff << (8 - rest)) ;
    if (((unsigned char)c->ip[full] ^ (unsigned char)a->ip[full]) & mask) return 0 ;
  }
  return 1 ;
}

int dcr_cidr_equal (dcr_cidr const *a, dcr_cidr const *b)
{
  return a->is6 == b->is6 && a->bits == b->bits && !memcmp(a->ip, b->ip, a->is6 ? 16 : 4) ;
}

size_t dcr_cidr_fmt (char *s, dcr_cidr const *c)
{
  size_t n = c->is6 ? ip6_fmt(s, c->ip) : ip4_fmt(s, c->ip) ;
  s[n++] = '/' ;
  return n + uint_fmt(s + n, c->bits) ;
}
