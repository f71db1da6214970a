/* ISC license. */
/* CIDR and address parsing/matching (src/lib/cidr.c). */

#include <string.h>

#include <skalibs/ip46.h>

#include <dcr/cidr.h>
#include "tap.h"

static char const *fmt (char const *s)
{
  static char buf[DCR_CIDR_FMT + 1] ;
  dcr_cidr c ;
  size_t n = dcr_cidr_scan(s, &c) ;
  if (!n || s[n]) return "(bad)" ;
  buf[dcr_cidr_fmt(buf, &c)] = 0 ;
  return buf ;
}

static int bad (char const *s)
{
  dcr_cidr c ;
  size_t n = dcr_cidr_scan(s, &c) ;
  return !n || s[n] ;
}

static int match (char const *cidr, char const *ip)
{
  dcr_cidr c ;
  ip46full a ;
  size_t n = dcr_cidr_scan(cidr, &c) ;
  if (!n || cidr[n]) return -1 ;
  n = dcr_ip46_scan(ip, &a) ;
  if (!n || ip[n]) return -1 ;
  dcr_cidr_clearhost(&c) ;
  return dcr_cidr_match(&c, &a) ;
}

static char const *ipfmt (char const *s)
{
  static char buf[IP46_FMT] ;
  ip46full a ;
  size_t n = dcr_ip46_scan(s, &a) ;
  if (!n || s[n]) return "(bad)" ;
  buf[ip46full_fmt(buf, &a)] = 0 ;
  return buf ;
}

int main (void)
{
  /* IPv4 */
  is_str(fmt("192.0.2.0/24"), "192.0.2.0/24", "v4 /24") ;
  is_str(fmt("192.0.2.1"), "192.0.2.1/32", "v4 without length is /32") ;
  is_str(fmt("0.0.0.0/0"), "0.0.0.0/0", "v4 /0") ;
  is_str(fmt("255.255.255.255/32"), "255.255.255.255/32", "v4 /32") ;
  ok(match("10.0.0.0/8", "10.255.1.2") == 1, "10/8 matches 10.255.1.2") ;
  ok(match("10.0.0.0/8", "11.0.0.1") == 0, "10/8 does not match 11.0.0.1") ;
  ok(match("0.0.0.0/0", "203.0.113.9") == 1, "/0 matches any v4") ;
  ok(match("192.0.2.128/25", "192.0.2.127") == 0, "/25 boundary below") ;
  ok(match("192.0.2.128/25", "192.0.2.128") == 1, "/25 boundary at") ;
  ok(match("192.0.2.7/32", "192.0.2.7") == 1 && match("192.0.2.7/32", "192.0.2.6") == 0, "/32 is one address") ;
  ok(match("172.16.0.0/12", "172.31.255.255") == 1 && match("172.16.0.0/12", "172.32.0.0") == 0, "/12 odd length") ;

  /* IPv6 */
  is_str(fmt("2001:db8::/32"), "2001:db8::/32", "v6 /32") ;
  is_str(fmt("::1"), "::1/128", "v6 without length is /128") ;
  is_str(fmt("::/0"), "::/0", "v6 /0") ;
  is_str(fmt("2001:DB8:0:0:0:0:0:1/128"), "2001:db8::1/128", "v6 full form, upper case") ;
  is_str(fmt("1:2:3:4:5:6:7:8/64"), "1:2:3:4:5:6:7:8/64", "v6 eight groups") ;
  is_str(fmt("1::"), "1::/128", "v6 trailing ::") ;
  is_str(fmt("64:ff9b::192.0.2.1/128"), "64:ff9b::c000:201/128", "v6 with embedded dotted quad") ;
  ok(match("2001:db8::/32", "2001:db8:ffff::1") == 1, "v6 prefix matches") ;
  ok(match("2001:db8::/32", "2001:db9::1") == 0, "v6 prefix does not match") ;
  ok(match("::/0", "::1") == 1, "::/0 matches v6") ;
  ok(match("2001:db8::1/128", "2001:db8::1") == 1 && match("2001:db8::1/128", "2001:db8::2") == 0, "/128 is one address") ;
  ok(match("2001:db8::/33", "2001:db8:8000::") == 0 && match("2001:db8::/33", "2001:db8:7fff::") == 1, "/33 odd length") ;

  /* families stay apart; IPv4-mapped addresses are IPv4 */
  ok(match("::/0", "192.0.2.1") == 0, "::/0 does not match an IPv4 client") ;
  ok(match("0.0.0.0/0", "::1") == 0, "0.0.0.0/0 does not match an IPv6 client") ;
  ok(match("192.0.2.0/24", "::ffff:192.0.2.9") == 1, "mapped address matches the v4 rule") ;
  is_str(ipfmt("::ffff:192.0.2.9"), "192.0.2.9", "mapped address prints as IPv4") ;
  is_str(ipfmt("::FFFF:c000:0209"), "192.0.2.9", "mapped address in hex prints as IPv4") ;
  is_str(fmt("::ffff:192.0.2.0/120"), "192.0.2.0/24", "mapped prefix is the v4 prefix") ;
  is_str(fmt("::ffff:0:0/96"), "0.0.0.0/0", "::ffff:0:0/96 is every IPv4 address") ;
  ok(bad("::ffff:0:0/95"), "mapped address with a prefix shorter than 96") ;
  is_str(ipfmt("::"), "::", "all-zero v6") ;
  is_str(ipfmt("::1"), "::1", "v6 loopback") ;

  /* host bits */
  {
    dcr_cidr c ;
    dcr_cidr_scan("192.0.2.1/24", &c) ;
    ok(dcr_cidr_clearhost(&c) == 1, "host bits detected in 192.0.2.1/24") ;
    dcr_cidr_scan("192.0.2.0/24", &c) ;
    ok(dcr_cidr_clearhost(&c) == 0, "no host bits in 192.0.2.0/24") ;
    dcr_cidr_scan("2001:db8::1/64", &c) ;
    ok(dcr_cidr_clearhost(&c) == 1, "host bits detected in 2001:db8::1/64") ;
    dcr_cidr_scan("10.0.0.0/0", &c) ;
    ok(dcr_cidr_clearhost(&c) == 1, "host bits detected in 10.0.0.0/0") ;
  }

  /* hostile and malformed input */
  ok(bad(""), "empty") ;
  ok(bad("garbage"), "garbage") ;
  ok(bad("1.2.3.4/33"), "v4 /33") ;
  ok(bad("::/129"), "v6 /129") ;
  ok(bad("1.2.3.4/"), "empty length") ;
  ok(bad("1.2.3.4/-1"), "negative length") ;
  ok(bad("1.2.3.4/08"), "length with a leading zero") ;
  ok(bad("1.2.3.4/0x8"), "hex length") ;
  ok(bad("1.2.3.4/1000000000000000000000"), "huge length") ;
  ok(bad("1.2.3.4/24/8"), "two lengths") ;
  ok(bad("01.2.3.4"), "v4 octet with leading zero (octal to inet_aton)") ;
  ok(bad("1.2.3.010"), "v4 last octet with leading zero") ;
  ok(bad("1.2.3.256"), "v4 octet 256") ;
  ok(bad("1.2.3.1000"), "v4 octet of 4 digits") ;
  ok(bad("1.2.3"), "v4 with three octets") ;
  ok(bad("1.2.3.4.5"), "v4 with five octets") ;
  ok(bad("1..2.3"), "v4 empty octet") ;
  ok(bad(" 1.2.3.4"), "leading blank") ;
  ok(bad("1.2.3.4 "), "trailing blank") ;
  ok(bad("0x7f.0.0.1"), "v4 hex octet") ;
  ok(bad("127.1"), "inet_aton short form") ;
  ok(bad("1:2:3:4:5:6:7:8:9"), "v6 nine groups") ;
  ok(bad("1:2:3:4:5:6:7"), "v6 seven groups without ::") ;
  ok(bad("1::2::3"), "v6 two ::") ;
  ok(bad(":::"), "v6 :::") ;
  ok(bad(":1::"), "v6 leading single colon") ;
  ok(bad("1:"), "v6 trailing single colon") ;
  ok(bad("12345::"), "v6 group of 5 digits") ;
  ok(bad("00001::"), "v6 group of 5 digits with zeros") ;
  ok(bad("g::"), "v6 bad hex digit") ;
  ok(bad("1::2:3:4:5:6:7:8"), "v6 :: standing for no group") ;
  ok(bad("::1.2.3.4:5"), "v6 dotted quad not last") ;
  ok(bad("1:2:3:4:5:6:7:1.2.3.4"), "v6 dotted quad making nine groups") ;
  ok(bad("fe80::1%eth0"), "v6 with a zone") ;
  ok(bad("[::1]"), "v6 in brackets") ;
  {
    char big[4096] ;
    memset(big, '1', sizeof(big) - 1) ;
    big[sizeof(big) - 1] = 0 ;
    ok(bad(big), "overlong run of digits") ;
    for (size_t i = 0 ; i + 1 < sizeof(big) ; i++) big[i] = i % 2 ? ':' : '1' ;
    ok(bad(big), "overlong run of groups") ;
    memset(big, ':', sizeof(big) - 1) ;
    ok(bad(big), "overlong run of colons") ;
  }
  return done_testing() ;
}
