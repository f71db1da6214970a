/* ISC license. */

/* dcr-sniproxy: route TCP connections by the TLS ClientHello's server
   name, by the HTTP Host header, or by the listener alone, to back ends
   named in a rules file, and splice the bytes both ways. One event-driven
   process per worker, on libowfat (never skalibs: DESIGN.md). See
   doc/dcr-sniproxy.md. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <dns.h>
#include <fmt.h>
#include <scan.h>
#include <stralloc.h>

#include "sni.h"
#include "log.h"

#define USAGE "dcr-sniproxy [ -d fd ] [ -w workers ] [ -C maxconns ] [ -i maxperip ] [ -t hellotimeout ] [ -g grace ] [ -s statsfile ] rulesfile listener..."
#define RULESFILE_MAX (1 << 20)
#define LOCALS_MAX 256

config cfg ;
sni_rules *rules ;
unsigned int worker_index ;

 /* what "our own listener" means for the loop check */

static sni_addr locals[LOCALS_MAX] ;
static unsigned int nlocals ;

static void locals_scan (void)
{
  struct ifaddrs *ifa, *p ;
  nlocals = 0 ;
  if (getifaddrs(&ifa) < 0) return ;
  for (p = ifa ; p && nlocals < LOCALS_MAX ; p = p->ifa_next)
  {
    sni_addr *a = &locals[nlocals] ;
    if (!p->ifa_addr) continue ;
    memset(a, 0, sizeof(*a)) ;
    if (p->ifa_addr->sa_family == AF_INET) memcpy(a->ip, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, 4) ;
    else if (p->ifa_addr->sa_family == AF_INET6) { memcpy(a->ip, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, 16) ; a->v6 = 1 ; }
    else continue ;
    nlocals++ ;
  }
  freeifaddrs(ifa) ;
}

static int is_zero (unsigned char const *ip, unsigned int n)
{
  unsigned int i ;
  for (i = 0 ; i < n ; i++) if (ip[i]) return 0 ;
  return 1 ;
}

static int is_local (sni_addr const *a)
{
  static unsigned char const loop6[16] = { [15] = 1 } ;
  unsigned int i ;
  if (!a->v6 && (a->ip[0] == 127 || is_zero(a->ip, 4))) return 1 ;
  if (a->v6 && (!memcmp(a->ip, loop6, 16) || is_zero(a->ip, 16))) return 1 ;
  for (i = 0 ; i < nlocals ; i++)
    if (locals[i].v6 == a->v6 && !memcmp(locals[i].ip, a->ip, a->v6 ? 16 : 4)) return 1 ;
  return 0 ;
}

static int self (sni_addr const *a)
{
  unsigned int i, n = a->v6 ? 16 : 4 ;
  for (i = 0 ; i < cfg.nl ; i++)
  {
    sni_addr const *l = &cfg.l[i].addr ;
    if (l->port != a->port || l->v6 != a->v6) continue ;
    if (!memcmp(l->ip, a->ip, n)) return 1 ;
    if (is_zero(l->ip, n) && is_local(a)) return 1 ;
  }
  return 0 ;
}

/* libowfat's DNS client; "localhost" without asking */
static unsigned int resolve (char const *host, sni_addr *out, unsigned int max)
{
  stralloc fqdn = { 0 }, ips = { 0 } ;
  unsigned int n = 0, i ;
  if (!strcmp(host, "localhost"))
  {
    memset(out, 0, 2 * sizeof(*out)) ;
    out[0].ip[0] = 127 ; out[0].ip[3] = 1 ;
    if (max < 2) return 1 ;
    out[1].v6 = 1 ; out[1].ip[15] = 1 ;
    return 2 ;
  }
  if (!stralloc_copys(&fqdn, host)) return 0 ;
  if (dns_ip4(&ips, &fqdn) == 0)
    for (i = 0 ; i + 4 <= ips.len && n < max ; i += 4, n++)
    {
      memset(&out[n], 0, sizeof(out[n])) ;
      memcpy(out[n].ip, ips.s + i, 4) ;
    }
  if (!n && dns_ip6(&ips, &fqdn) == 0)
    for (i = 0 ; i + 16 <= ips.len && n < max ; i += 16, n++)
    {
      memset(&out[n], 0, sizeof(out[n])) ;
      memcpy(out[n].ip, ips.s + i, 16) ;
      out[n].v6 = 1 ;
    }
  stralloc_free(&fqdn) ; stralloc_free(&ips) ;
  return n ;
}

sni_rules *rules_load (char const *file, unsigned int *line, char const **err)
{
  sni_rules *r ;
  char *text ;
  size_t len = 0 ;
  int fd = open(file, O_RDONLY | O_CLOEXEC) ;
  *line = 0 ;
  if (fd < 0) { *err = strerror(errno) ; return 0 ; }
  text = malloc(RULESFILE_MAX + 1) ;
  r = malloc(sizeof(*r)) ;
  if (!text || !r) { *err = "out of memory" ; goto fail ; }
  for (;;)
  {
    ssize_t n = read(fd, text + len, RULESFILE_MAX + 1 - len) ;
    if (n < 0 && errno == EINTR) continue ;
    if (n < 0) { *err = strerror(errno) ; goto fail ; }
    if (!n) break ;
    len += n ;
    if (len > RULESFILE_MAX) { *err = "file too big (1 MiB at most)" ; goto fail ; }
  }
  close(fd) ; fd = -1 ;
  locals_scan() ;
  if (!sni_rules_parse(text, len, r, line, err, &resolve, &self)) goto fail ;
  free(text) ;
  r->refs = 1 ;   /* held by being in force */
  return r ;
 fail:
  if (fd >= 0) close(fd) ;
  free(text) ; free(r) ;
  return 0 ;
}

void rules_release (sni_rules *r)
{
  if (--r->refs) return ;
  sni_rules_free(r) ;
  free(r) ;
}

 /* the command line */

static unsigned int number (char const *s, char const *what)
{
  unsigned long u ;
  size_t n = strlen(s) ;
  if (!n || n > 9 || scan_ulong(s, &u) != n) sni_die(100, "bad number for", what) ;
  return u ;
}

static void listener_scan (listener *l, char const *arg)
{
  static char const *const modes[4] = { 0, "tls:", "http:", "forward:" } ;
  char const *s = 0 ;
  size_t n ;
  unsigned int m ;
  memset(l, 0, sizeof(*l)) ;
  for (m = 1 ; m < 4 ; m++)
    if (!strncmp(arg, modes[m], strlen(modes[m]))) { s = arg + strlen(modes[m]) ; break ; }
  if (!s) sni_die(100, "bad listener (tls:ADDR:PORT, http:ADDR:PORT or forward:ADDR:PORT:NAME)", arg) ;
  l->mode = m ;
  n = strlen(s) ;
  if (m == MODE_FORWARD)
  {
    char const *colon = strrchr(s, ':') ;
    size_t k ;
    if (!colon || !colon[1]) sni_die(100, "bad listener (forward:ADDR:PORT:NAME)", arg) ;
    k = strlen(colon + 1) ;
    if (k >= HELLO_NAMEMAX) sni_die(100, "bad listener name", arg) ;
    memcpy(l->name, colon + 1, k + 1) ;
    if (!hello_name_ok(l->name, k)) sni_die(100, "bad listener name", arg) ;
    n = colon - s ;
  }
  if (!sni_addr_scan(s, n, &l->addr)) sni_die(100, "bad listener address", arg) ;
  if (strlen(modes[m]) + n >= sizeof(l->text)) sni_die(100, "bad listener", arg) ;
  memcpy(l->text, arg, strlen(modes[m]) + n) ;
  l->text[strlen(modes[m]) + n] = 0 ;
  l->fd = -1 ;
}

static void fd_limit (void)
{
  struct rlimit rl ;
  rlim_t want = (rlim_t)cfg.maxconns * 6 + 64 ;   /* 2 sockets and 2 pipes per connection */
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want) return ;
  rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want ;
  setrlimit(RLIMIT_NOFILE, &rl) ;
}

int main (int argc, char **argv)
{
  unsigned int line, i, j ;
  char const *err ;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN) ;
  int opt ;
  cfg.readyfd = -1 ;
  cfg.workers = cpus > 0 ? cpus : 1 ;
  cfg.maxconns = 10000 ;
  cfg.hello_timeout = 10 ;
  cfg.grace = 10 ;
  while ((opt = getopt(argc, argv, "+d:w:C:i:t:g:s:")) != -1)
    switch (opt)
    {
      case 'd' : cfg.readyfd = number(optarg, "-d") ; break ;
      case 'w' : cfg.workers = number(optarg, "-w") ; break ;
      case 'C' : cfg.maxconns = number(optarg, "-C") ; break ;
      case 'i' : cfg.maxperip = number(optarg, "-i") ; break ;
      case 't' : cfg.hello_timeout = number(optarg, "-t") ; break ;
      case 'g' : cfg.grace = number(optarg, "-g") ; break ;
      case 's' : cfg.statsfile = optarg ; break ;
      default : sni_die(100, "usage", USAGE) ;
    }
  argc -= optind ; argv += optind ;
  if (argc < 2) sni_die(100, "usage", USAGE) ;
  if (!cfg.workers || cfg.workers > 256) sni_die(100, "bad number for", "-w (1 to 256)") ;
  if (!cfg.maxconns || cfg.maxconns > 1000000) sni_die(100, "bad number for", "-C (1 to 1000000)") ;
  if (!cfg.hello_timeout) sni_die(100, "bad number for", "-t (1 or more)") ;
  if (argc - 1 > LISTENERS_MAX) sni_die(100, "too many listeners", 0) ;
  cfg.rulesfile = argv[0] ;
  for (i = 1 ; i < (unsigned int)argc ; i++)
  {
    listener_scan(&cfg.l[cfg.nl], argv[i]) ;
    for (j = 0 ; j < cfg.nl ; j++)
      if (cfg.l[j].addr.v6 == cfg.l[cfg.nl].addr.v6 && cfg.l[j].addr.port == cfg.l[cfg.nl].addr.port && !memcmp(cfg.l[j].addr.ip, cfg.l[cfg.nl].addr.ip, 16))
        sni_die(100, "listener given twice", argv[i]) ;
    cfg.nl++ ;
  }
  rules = rules_load(cfg.rulesfile, &line, &err) ;
  if (!rules)
  {
    char m[4200] ;
    size_t n = strlen(cfg.rulesfile) ;
    if (n > 4000) n = 4000 ;
    memcpy(m, cfg.rulesfile, n) ;
    if (line) { m[n++] = ':' ; n += fmt_ulong(m + n, line) ; }
    m[n] = 0 ;
    sni_die(100, m, err) ;
  }
  signal(SIGPIPE, SIG_IGN) ;
  fd_limit() ;
  srandom(getpid() ^ time(0)) ;
  if (cfg.workers > 1) workers_run() ;
  listeners_bind() ;
  loop_run(cfg.readyfd) ;
  return 0 ;
}
