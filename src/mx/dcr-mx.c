/* ISC license. */

/* dcr-mx: where to deliver mail for a domain (RFC 5321 section 5).
   Built on libowfat's DNS client, never on skalibs (DESIGN.md); so it
   has its own small log and no libdcr. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include <dns.h>
#include <fmt.h>
#include <iopause.h>
#include <scan.h>
#include <taia.h>

#include "mx.h"

#define USAGE "dcr-mx [ -4 | -6 ] [ -t timeout ] domain | dcr-mx [ -4 | -6 ] [ -t timeout ] -A host"
#define TIMEOUT 30   /* seconds for the whole run, all look-ups included */

static char const *domain ;
static struct taia deadline ;
static char servers[256] ;
static char const *why = "" ;   /* the last temporary failure, in words */

 /* stderr: one key=value line per event, as src/lib/log.c writes them */

static size_t kv (char *buf, size_t len, size_t max, char const *key, char const *value)
{
  static char const hex[] = "0123456789abcdef" ;
  int quote = !*value ;
  char const *s ;
  for (s = value ; *s ; s++)
    if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '"' || *s == '=' || *s == '\\') quote = 1 ;
  for (s = " " ; *s && len < max ; s++) buf[len++] = *s ;
  for (s = key ; *s && len < max ; s++) buf[len++] = *s ;
  if (len < max) buf[len++] = '=' ;
  if (quote && len < max) buf[len++] = '"' ;
  for (s = value ; *s && len + 4 < max ; s++)
  {
    unsigned char c = *s ;
    if (!quote) buf[len++] = c ;
    else if (c == '"' || c == '\\') { buf[len++] = '\\' ; buf[len++] = c ; }
    else if (c < ' ' || c >= 0x7f)
    {
      buf[len++] = '\\' ; buf[len++] = 'x' ; buf[len++] = hex[c >> 4] ; buf[len++] = hex[c & 15] ;
    }
    else buf[len++] = c ;
  }
  if (quote && len < max) buf[len++] = '"' ;
  return len ;
}

/* log("event", "x", "domain", d, ..., 0): pairs of strings */
static void logkv (char const *const *kvs)
{
  char buf[2048] = "dcr-mx:" ;
  size_t len = 7 ;
  for (; kvs[0] ; kvs += 2) len = kv(buf, len, sizeof(buf) - 1, kvs[0], kvs[1] ? kvs[1] : "") ;
  buf[len++] = '\n' ;
  while (write(2, buf, len) < 0 && errno == EINTR) ;
}

static void die (int, char const *) __attribute__((noreturn)) ;
static void die (int code, char const *error)
{
  char const *kvs[] = { "event", "fail", "domain", domain ? domain : "",
    "status", code == 100 ? "permanent" : "temporary", "error", error, 0 } ;
  logkv(kvs) ;
  _exit(code) ;
}

static void dieusage (void) __attribute__((noreturn)) ;
static void dieusage (void)
{
  static char const u[] = "dcr-mx: usage: " USAGE "\n" ;
  if (write(2, u, sizeof(u) - 1) < 0) {}
  _exit(100) ;
}

 /* DNS: queries run side by side, all bounded by the deadline of the
    run, so that one silent server does not starve the other hosts */

#define ADDRPERQ 16   /* addresses kept from one A or AAAA answer */

typedef struct query_s query ;
struct query_s
{
  struct dns_transmit tx ;
  char const *name ;     /* wire format */
  char const *qtype ;
  int status ;           /* -1 while running, then MX_OK, MX_NXDOMAIN, MX_TEMP */
  char const *why ;      /* for MX_TEMP */
  unsigned int n ;
  char ip[ADDRPERQ][16] ;
} ;

static mx_rr hosts[MX_PARSEMAX], scratch[MX_PARSEMAX] ;
static unsigned int nhosts ;

static void finish (query *q)
{
  unsigned int m, i ;
  int mx = !memcmp(q->qtype, DNS_T_MX, 2) ;
  int r = mx_answer(q->tx.packet, q->tx.packetlen, q->qtype, mx ? hosts : scratch, MX_PARSEMAX, &m) ;
  dns_transmit_free(&q->tx) ;
  q->status = r == MX_BAD ? MX_TEMP : r ;
  q->why = r == MX_BAD ? "malformed DNS reply" : "DNS server failure" ;
  if (mx) { nhosts = m ; return ; }
  for (i = 0 ; i < m && i < ADDRPERQ ; i++) memcpy(q->ip[i], scratch[i].ip, 16) ;
  q->n = i ;
}

static void resolve (query *q, unsigned int n)
{
  iopause_fd x[2 * MX_HOSTMAX] ;
  unsigned int idx[2 * MX_HOSTMAX] ;
  unsigned int i, j, active = 0 ;
  for (i = 0 ; i < n ; i++)
  {
    q[i].n = 0 ;
    q[i].status = -1 ;
    if (dns_transmit_start(&q[i].tx, servers, 1, q[i].name, q[i].qtype, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0") < 0)
    {
      q[i].status = MX_TEMP ;
      q[i].why = strerror(errno) ;
    }
    else active++ ;
  }
  while (active)
  {
    struct taia stamp, dl = deadline ;
    unsigned int k = 0 ;
    taia_now(&stamp) ;
    if (!taia_less(&stamp, &deadline)) break ;
    for (i = 0 ; i < n ; i++)
      if (q[i].status < 0)
      {
        dns_transmit_io(&q[i].tx, x + k, &dl) ;
        idx[k++] = i ;
      }
    iopause(x, k, &dl, &stamp) ;
    for (j = 0 ; j < k ; j++)
    {
      query *p = q + idx[j] ;
      int r = dns_transmit_get(&p->tx, x + j, &stamp) ;
      if (!r) continue ;
      active-- ;
      if (r > 0) finish(p) ;
      else
      {
        /* every server failed: no answer, SERVFAIL, REFUSED... */
        p->status = MX_TEMP ;
        p->why = errno == ETIMEDOUT ? "DNS timed out" : errno == EAGAIN ? "DNS server failure" : strerror(errno) ;
      }
    }
  }
  for (i = 0 ; i < n ; i++)
    if (q[i].status < 0)
    {
      dns_transmit_free(&q[i].tx) ;
      q[i].status = MX_TEMP ;
      q[i].why = "DNS timed out" ;
    }
}

 /* stdout: PREF TAB HOST TAB IP, in the order to try */

static query queries[2 * MX_HOSTMAX] ;
static char out[MX_ADDRMAX * (8 + MX_NAMEFMT + INET6_ADDRSTRLEN)] ;
static size_t outlen ;
static char seen[MX_ADDRMAX][16] ;
static unsigned int naddr, ntemp ;
static int want4 = 1, want6 = 1 ;

static void cats (char const *s)
{
  size_t n = strlen(s) ;
  memcpy(out + outlen, s, n) ;  /* out is sized for MX_ADDRMAX lines */
  outlen += n ;
}

static void print (unsigned int pref, char const *name, query const *q)
{
  int v4 = !memcmp(q->qtype, DNS_T_A, 2) ;
  unsigned int i, j ;
  if (q->status == MX_TEMP)
  {
    char const *kvs[] = { "event", "tempfail", "domain", domain, "host", name,
      "type", v4 ? "A" : "AAAA", "error", q->why, 0 } ;
    logkv(kvs) ;
    why = q->why ;
    ntemp++ ;
  }
  for (i = 0 ; i < q->n && naddr < MX_ADDRMAX ; i++)
  {
    char key[16] = { 0 }, txt[INET6_ADDRSTRLEN], p[16] ;
    memcpy(key, q->ip[i], v4 ? 4 : 16) ;
    if (v4) key[15] = 4 ;   /* a v4 key never equals a v6 one */
    for (j = 0 ; j < naddr ; j++) if (!memcmp(seen[j], key, 16)) break ;
    if (j < naddr) continue ;       /* two MX names, one address: try it once */
    if (!inet_ntop(v4 ? AF_INET : AF_INET6, q->ip[i], txt, sizeof(txt))) continue ;
    memcpy(seen[naddr++], key, 16) ;
    p[fmt_ulong(p, pref)] = 0 ;
    cats(p) ; cats("\t") ; cats(name) ; cats("\t") ; cats(txt) ; cats("\n") ;
  }
}

/* A and AAAA of n hosts at once; printed host by host, A first */
static void addresses (mx_rr const *h, unsigned int n)
{
  unsigned int i, k = 0 ;
  for (i = 0 ; i < n ; i++)
  {
    if (want4) { queries[k].name = h[i].name ; queries[k++].qtype = DNS_T_A ; }
    if (want6) { queries[k].name = h[i].name ; queries[k++].qtype = DNS_T_AAAA ; }
  }
  resolve(queries, k) ;
  for (i = k = 0 ; i < n ; i++)
  {
    char name[MX_NAMEFMT] ;
    mx_name_fmt(name, h[i].name) ;
    if (want4) print(h[i].pref, name, queries + k++) ;
    if (want6) print(h[i].pref, name, queries + k++) ;
  }
}

static void seed (void)
{
  char s[128] ;
  size_t got = 0 ;
  while (got < sizeof(s))
  {
    ssize_t r = getrandom(s + got, sizeof(s) - got, 0) ;
    if (r < 0) { if (errno == EINTR) continue ; die(111, "getrandom failed") ; }
    got += r ;
  }
  dns_random_init(s) ;  /* query ids and source ports, and the shuffle */
}

static void flush_exit (void) __attribute__((noreturn)) ;
static void flush_exit (void)
{
  size_t done = 0 ;
  while (done < outlen)
  {
    ssize_t w = write(1, out + done, outlen - done) ;
    if (w < 0) { if (errno == EINTR) continue ; die(111, "write to stdout failed") ; }
    done += w ;
  }
  _exit(0) ;
}

int main (int argc, char *const *argv)
{
  char *wire = 0 ;
  char msg[600] ;
  unsigned long secs = TIMEOUT ;
  unsigned int n = 0 ;
  int addronly = 0, opt ;

  while ((opt = getopt(argc, argv, "46At:")) != -1)
    switch (opt)
    {
      case '4' : want6 = 0 ; want4 = 1 ; break ;
      case '6' : want4 = 0 ; want6 = 1 ; break ;
      case 'A' : addronly = 1 ; break ;
      case 't' :
        if (!optarg[scan_ulong(optarg, &secs)] && secs && secs <= 3600) break ;
        dieusage() ;
      default : dieusage() ;
    }
  if (argc - optind != 1) dieusage() ;
  domain = argv[optind] ;
  if (strlen(domain) > 256) domain = "(too long)" ;
  if (domain[0] == '[') die(100, "an address literal needs no look-up") ;
  if (!mx_domain_valid(domain)) die(100, "not a domain name (RFC 5321 4.1.2)") ;
  if (!dns_domain_fromdot(&wire, domain, strlen(domain))) die(111, "out of memory") ;
  seed() ;
  if (dns_resolvconfip(servers) < 0) die(111, "cannot read /etc/resolv.conf") ;
  taia_now(&deadline) ;
  {
    struct taia t ;
    taia_uint(&t, secs) ;
    taia_add(&deadline, &deadline, &t) ;
  }

  if (addronly)
  {
    memcpy(hosts[0].name, wire, dns_domain_length(wire)) ;
    addresses(hosts, 1) ;
    if (outlen) flush_exit() ;
    if (ntemp) die(111, why) ;
    die(100, "no address (A/AAAA) for this host") ;
  }

  queries[0].name = wire ;
  queries[0].qtype = DNS_T_MX ;
  resolve(queries, 1) ;
  if (queries[0].status == MX_NXDOMAIN) die(100, "no such domain (NXDOMAIN)") ;
  if (queries[0].status != MX_OK) die(111, queries[0].why) ;
  n = nhosts ;
  if (!n)
  {
    /* no MX: the domain is its own implicit MX, preference 0 */
    memcpy(hosts[0].name, wire, dns_domain_length(wire)) ;
    hosts[0].pref = 0 ;
    addresses(hosts, 1) ;
    if (outlen) flush_exit() ;
    if (ntemp) die(111, why) ;
    die(100, "no MX record and no address (A/AAAA) for this domain") ;
  }
  if (mx_isnull(hosts, n)) die(100, "null MX: the domain accepts no mail (RFC 7505)") ;
  n = mx_order(hosts, n, &dns_random) ;
  if (!n) die(100, "null MX: the domain accepts no mail (RFC 7505)") ;
  if (n > MX_HOSTMAX) n = MX_HOSTMAX ;
  addresses(hosts, n) ;
  if (outlen) flush_exit() ;
  if (ntemp)
  {
    memcpy(msg, "no address for any MX host yet: ", 32) ;
    strncpy(msg + 32, why, sizeof(msg) - 33) ;
    msg[sizeof(msg) - 1] = 0 ;
    die(111, msg) ;
  }
  die(100, "no address (A/AAAA) for any MX host of this domain") ;
}
