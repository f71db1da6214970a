/* ISC license. */
/* The rules file: one rule per line, "PATTERN TARGET... [option=value]".
   The whole file is parsed into a new set; any error refuses all of it,
   so that a reload keeps the rules in force (doc/dcr-sniproxy.md). */

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ip4.h>
#include <ip6.h>
#include <fmt.h>
#include <scan.h>

#include "rules.h"

#define V4MAPPED "\0\0\0\0\0\0\0\0\0\0\377\377"

void sni_addr_unmap (sni_addr *a)
{
  if (a->v6 && !memcmp(a->ip, V4MAPPED, 12))
  {
    memmove(a->ip, a->ip + 12, 4) ;
    memset(a->ip + 4, 0, 12) ;
    a->v6 = 0 ;
  }
}

void sni_addr_of (sni_addr *a, struct sockaddr_storage const *ss)
{
  memset(a, 0, sizeof(*a)) ;
  if (ss->ss_family == AF_INET6)
  {
    struct sockaddr_in6 const *s6 = (struct sockaddr_in6 const *)ss ;
    memcpy(a->ip, &s6->sin6_addr, 16) ; a->v6 = 1 ; a->port = ntohs(s6->sin6_port) ;
  }
  else
  {
    struct sockaddr_in const *s4 = (struct sockaddr_in const *)ss ;
    memcpy(a->ip, &s4->sin_addr, 4) ; a->port = ntohs(s4->sin_port) ;
  }
  sni_addr_unmap(a) ;
}

static int port_scan (char const *s, size_t len, unsigned int *port)
{
  unsigned long u ;
  size_t n ;
  if (!len || len > 5 || s[0] < '1' || s[0] > '9') return 0 ;
  n = scan_ulong(s, &u) ;
  if (n != len || !u || u > 65535) return 0 ;
  *port = u ;
  return 1 ;
}

/* an IP literal, 0-terminated, all of it */
static int ip_scan (char const *s, unsigned char *ip, unsigned char *v6)
{
  size_t n = strlen(s) ;
  if (!n) return 0 ;
  memset(ip, 0, 16) ;
  if (strchr(s, ':'))
  {
    if (scan_ip6(s, (char *)ip) != n) return 0 ;
    *v6 = 1 ;
    return 1 ;
  }
  { /* strict: four decimal parts of 1 to 3 digits, each at most 255 */
    unsigned int part = 0, digits = 0, value = 0 ;
    for (; ; s++)
    {
      if (*s >= '0' && *s <= '9')
      {
        if (++digits > 3) return 0 ;
        value = value * 10 + (*s - '0') ;
        if (value > 255) return 0 ;
        continue ;
      }
      if (!digits || part > 3 || (*s && *s != '.')) return 0 ;
      ip[part++] = value ;
      digits = value = 0 ;
      if (!*s) break ;
    }
    if (part != 4) return 0 ;
  }
  *v6 = 0 ;
  return 1 ;
}

int sni_cidr_scan (char const *s, sni_cidr *c)
{
  char ip[64] ;
  char const *slash = strchr(s, '/') ;
  size_t n = slash ? (size_t)(slash - s) : strlen(s) ;
  if (n >= sizeof(ip)) return 0 ;
  memcpy(ip, s, n) ; ip[n] = 0 ;
  if (!ip_scan(ip, c->ip, &c->v6)) return 0 ;
  c->bits = c->v6 ? 128 : 32 ;
  if (slash)
  {
    unsigned long u ;
    size_t k = strlen(slash + 1) ;
    if (!k || k > 3 || scan_ulong(slash + 1, &u) != k || u > c->bits) return 0 ;
    c->bits = u ;
  }
  if (c->v6 && !memcmp(c->ip, V4MAPPED, 12) && c->bits >= 96)
  {
    memmove(c->ip, c->ip + 12, 4) ; memset(c->ip + 4, 0, 12) ;
    c->v6 = 0 ; c->bits -= 96 ;
  }
  return 1 ;
}

/* host and port of "HOST:PORT" or "[V6]:PORT" */
static int split_target (char const *s, size_t len, char *host, size_t hostmax, unsigned int *port)
{
  size_t h0 = 0, h1, p ;
  if (len && s[0] == '[')
  {
    char const *close = memchr(s, ']', len) ;
    if (!close) return 0 ;
    h0 = 1 ; h1 = close - s ;
    if (h1 + 1 >= len || s[h1 + 1] != ':') return 0 ;
    p = h1 + 2 ;
  }
  else
  {
    char const *colon = memchr(s, ':', len) ;
    if (!colon || memchr(colon + 1, ':', len - (colon + 1 - s))) return 0 ;
    h1 = colon - s ;
    p = h1 + 1 ;
  }
  if (h1 == h0 || h1 - h0 >= hostmax) return 0 ;
  memcpy(host, s + h0, h1 - h0) ;
  host[h1 - h0] = 0 ;
  return port_scan(s + p, len - p, port) ? 1 : -1 ;
}

int sni_addr_scan (char const *s, size_t len, sni_addr *a)
{
  char host[64] ;
  if (split_target(s, len, host, sizeof(host), &a->port) <= 0) return 0 ;
  if (!ip_scan(host, a->ip, &a->v6)) return 0 ;
  if ((s[0] == '[') != a->v6) return 0 ;
  return 1 ;
}

size_t sni_addr_fmt (char *s, sni_addr const *a)
{
  size_t n = 0 ;
  if (a->v6) { s[n++] = '[' ; n += fmt_ip6(s + n, (char const *)a->ip) ; s[n++] = ']' ; }
  else n += fmt_ip4(s + n, (char const *)a->ip) ;
  s[n++] = ':' ;
  n += fmt_ulong(s + n, a->port) ;
  s[n] = 0 ;
  return n ;
}

 /* the parse: one state for the whole file */

typedef struct parse_s parse ;
struct parse_s
{
  sni_rules *r ;
  unsigned int rmax, tmax, cmax ;
  sni_resolve_fn *resolve ;
  sni_self_fn *self ;
  char const *err ;
} ;

static int grow (void **p, unsigned int *max, unsigned int want, size_t size)
{
  void *q ;
  unsigned int m ;
  if (want <= *max) return 1 ;
  m = *max ? *max * 2 : 16 ;
  if (m < want) m = want ;
  q = realloc(*p, (size_t)m * size) ;
  if (!q) return 0 ;
  *p = q ; *max = m ;
  return 1 ;
}

static int fail (parse *P, char const *err) { P->err = err ; return 0 ; }

static int pattern (parse *P, sni_rule *rule, char const *s, size_t n)
{
  static char const *const modes[4] = { "", "tls:", "http:", "forward:" } ;
  unsigned int m ;
  if (n >= sizeof(rule->text)) return fail(P, "pattern too long") ;
  memcpy(rule->text, s, n) ; rule->text[n] = 0 ;
  rule->mode = MODE_ANY ;
  for (m = 1 ; m < 4 ; m++)
  {
    size_t k = strlen(modes[m]) ;
    if (n > k && !strncmp(s, modes[m], k)) { rule->mode = m ; s += k ; n -= k ; break ; }
  }
  if (n >= HELLO_NAMEMAX) return fail(P, "pattern too long") ;
  if (n == 1 && s[0] == '*') { rule->kind = RULE_DEFAULT ; rule->name[0] = 0 ; rule->namelen = 0 ; return 1 ; }
  if (n > 2 && s[0] == '*' && s[1] == '.')
  {
    rule->kind = RULE_WILD ;
    memcpy(rule->name, s + 1, n - 1) ; rule->name[n - 1] = 0 ;
    rule->namelen = n - 1 ;
    if (!hello_name_ok(rule->name + 1, n - 2)) return fail(P, "bad pattern") ;
    return 1 ;
  }
  rule->kind = RULE_EXACT ;
  memcpy(rule->name, s, n) ; rule->name[n] = 0 ;
  rule->namelen = n ;
  if (!hello_name_ok(rule->name, n)) return fail(P, "bad pattern") ;
  return 1 ;
}

static int add_target (parse *P, sni_rule *rule, char const *s, size_t n)
{
  char host[HELLO_NAMEMAX] ;
  sni_addr a[NAME_ADDRS_MAX] ;
  unsigned int port, k = 1, i ;
  sni_rules *r = P->r ;
  int ok = split_target(s, n, host, sizeof(host), &port) ;
  if (!ok) return fail(P, "bad target (HOST:PORT or [IPv6]:PORT)") ;
  if (ok < 0) return fail(P, "bad target port (1 to 65535)") ;
  memset(a, 0, sizeof(a)) ;
  if (ip_scan(host, a[0].ip, &a[0].v6))
  {
    if ((s[0] == '[') != a[0].v6) return fail(P, "bad target (IPv6 in brackets)") ;
  }
  else
  {
    size_t hl = strlen(host) ;
    if (s[0] == '[' || !hello_name_ok(host, hl)) return fail(P, "bad target host") ;
    if (strspn(host, "0123456789.") == hl) return fail(P, "bad target address") ;
    k = P->resolve(host, a, NAME_ADDRS_MAX) ;
    if (!k) return fail(P, "target name does not resolve") ;
    if (k > NAME_ADDRS_MAX) k = NAME_ADDRS_MAX ;
  }
  if (rule->nt + k > RULE_TARGETS_MAX) return fail(P, "too many targets") ;
  if (!grow((void **)&r->target, &P->tmax, r->ntargets + k, sizeof(sni_addr))) return fail(P, "out of memory") ;
  for (i = 0 ; i < k ; i++)
  {
    a[i].port = port ;
    sni_addr_unmap(&a[i]) ;
    if (P->self(&a[i])) return fail(P, "target is one of our own listeners (a loop)") ;
    r->target[r->ntargets++] = a[i] ;
  }
  rule->nt += k ;
  return 1 ;
}

static int add_cidrs (parse *P, char const *v, unsigned int *n)
{
  sni_rules *r = P->r ;
  char one[64] ;
  while (*v)
  {
    size_t k = strcspn(v, ",") ;
    if (!k || k >= sizeof(one)) return fail(P, "bad CIDR") ;
    memcpy(one, v, k) ; one[k] = 0 ;
    if (!grow((void **)&r->cidr, &P->cmax, r->ncidr + 1, sizeof(sni_cidr))) return fail(P, "out of memory") ;
    if (!sni_cidr_scan(one, &r->cidr[r->ncidr])) return fail(P, "bad CIDR") ;
    r->ncidr++ ; (*n)++ ;
    v += k ;
    if (*v == ',' && !*++v) return fail(P, "bad CIDR") ;
  }
  return 1 ;
}

static int number (char const *v, unsigned int lo, unsigned int hi, unsigned int *out)
{
  unsigned long u ;
  size_t n = strlen(v) ;
  if (!n || n > 9 || scan_ulong(v, &u) != n || u < lo || u > hi) return 0 ;
  *out = u ;
  return 1 ;
}

/* key=value; seen: a bit per option already given */
static int option (parse *P, sni_rule *rule, char *s, unsigned int *seen)
{
  static char const *const keys[] = { "balance", "connect-timeout", "idle-timeout", "proxy", "max-conns", "allow", "deny", 0 } ;
  char *v = strchr(s, '=') ;
  unsigned int k ;
  *v++ = 0 ;
  for (k = 0 ; keys[k] && strcmp(keys[k], s) ; k++) ;
  if (!keys[k])
  {
    static char msg[80] = "unknown option " ;
    size_t n = strlen(s) ;
    if (n > 60) n = 60 ;
    memcpy(msg + 15, s, n) ; msg[15 + n] = 0 ;
    return fail(P, msg) ;
  }
  if (k < 5 && *seen & (1u << k)) return fail(P, "option given twice") ;
  *seen |= 1u << k ;
  switch (k)
  {
    case 0 :
      if (!strcmp(v, "ordered")) rule->balance = BALANCE_ORDERED ;
      else if (!strcmp(v, "roundrobin")) rule->balance = BALANCE_ROUNDROBIN ;
      else if (!strcmp(v, "random")) rule->balance = BALANCE_RANDOM ;
      else return fail(P, "bad balance (ordered, roundrobin or random)") ;
      return 1 ;
    case 1 : return number(v, 1, 3600, &rule->connect_timeout) || fail(P, "bad connect-timeout (1 to 3600 seconds)") ;
    case 2 : return number(v, 1, 604800, &rule->idle_timeout) || fail(P, "bad idle-timeout (1 to 604800 seconds)") ;
    case 3 :
      if (!strcmp(v, "v1")) rule->proxy = 1 ;
      else if (!strcmp(v, "v2")) rule->proxy = 2 ;
      else return fail(P, "bad proxy (v1 or v2)") ;
      return 1 ;
    case 4 : return number(v, 1, 10000000, &rule->max_conns) || fail(P, "bad max-conns") ;
    case 5 :
    {
      /* cidrs of one rule are contiguous: allow= and deny= lists are
         kept apart by where they start, so each must be given at once */
      if (rule->na) return fail(P, "option given twice") ;
      rule->a0 = P->r->ncidr ;
      return add_cidrs(P, v, &rule->na) ;
    }
    default :
      if (rule->nd) return fail(P, "option given twice") ;
      rule->d0 = P->r->ncidr ;
      return add_cidrs(P, v, &rule->nd) ;
  }
}

static int one_line (parse *P, char *s, unsigned int line)
{
  sni_rules *r = P->r ;
  sni_rule *rule ;
  unsigned int i, seen = 0 ;
  int first = 1 ;
  if (!grow((void **)&r->rule, &P->rmax, r->n + 1, sizeof(sni_rule))) return fail(P, "out of memory") ;
  if (r->n >= RULES_MAX) return fail(P, "too many rules") ;
  rule = &r->rule[r->n] ;
  memset(rule, 0, sizeof(*rule)) ;
  rule->line = line ;
  rule->t0 = r->ntargets ;
  rule->connect_timeout = 10 ;
  rule->idle_timeout = 300 ;
  while (*s)
  {
    size_t n = strcspn(s, " \t") ;
    char *next = s + n ;
    if (*next) *next++ = 0 ;
    if (first)
    {
      if (!pattern(P, rule, s, n)) return 0 ;
      first = 0 ;
    }
    else if (strchr(s, '=')) { if (!option(P, rule, s, &seen)) return 0 ; }
    else if (!add_target(P, rule, s, n)) return 0 ;
    s = next + strspn(next, " \t") ;
  }
  if (!rule->nt) return fail(P, "no target") ;
  for (i = 0 ; i < r->n ; i++)
    if (r->rule[i].mode == rule->mode && r->rule[i].kind == rule->kind && !strcmp(r->rule[i].name, rule->name))
      return fail(P, "the same pattern twice") ;
  r->n++ ;
  return 1 ;
}

int sni_rules_parse (char const *text, size_t len, sni_rules *out, unsigned int *line, char const **err, sni_resolve_fn *resolve, sni_self_fn *self)
{
  parse P = { .r = out, .resolve = resolve, .self = self, .err = "" } ;
  char buf[RULES_LINEMAX + 1] ;
  size_t pos = 0 ;
  memset(out, 0, sizeof(*out)) ;
  *line = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(text + pos, '\n', len - pos) ;
    size_t n = nl ? (size_t)(nl - text - pos) : len - pos, i ;
    char *s ;
    ++*line ;
    if (n > RULES_LINEMAX) { fail(&P, "line too long") ; goto err ; }
    memcpy(buf, text + pos, n) ; buf[n] = 0 ;
    pos += n + 1 ;
    if (n && buf[n - 1] == '\r') buf[--n] = 0 ;
    for (i = 0 ; i < n ; i++)
      if (buf[i] == '#') { buf[i] = 0 ; n = i ; break ; }
      else if ((unsigned char)buf[i] < ' ' && buf[i] != '\t') { fail(&P, "control character") ; goto err ; }
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) buf[--n] = 0 ;
    s = buf + strspn(buf, " \t") ;
    if (!*s) continue ;
    if (!one_line(&P, s, *line)) goto err ;
  }
  return 1 ;
 err:
  *err = P.err ;
  sni_rules_free(out) ;
  return 0 ;
}

void sni_rules_free (sni_rules *r)
{
  free(r->rule) ; free(r->target) ; free(r->cidr) ;
  memset(r, 0, sizeof(*r)) ;
}

int sni_rules_match (sni_rules const *r, unsigned int mode, char const *name)
{
  size_t len = strlen(name) ;
  unsigned long best = 0 ;
  int found = -1 ;
  unsigned int i ;
  for (i = 0 ; i < r->n ; i++)
  {
    sni_rule const *x = &r->rule[i] ;
    unsigned long score ;
    if (x->mode != MODE_ANY && x->mode != mode) continue ;
    if (x->kind == RULE_EXACT)
    {
      if (!len || x->namelen != len || memcmp(x->name, name, len)) continue ;
      score = 3ul << 20 ;
    }
    else if (x->kind == RULE_WILD)
    {
      if (len <= x->namelen || memcmp(name + len - x->namelen, x->name, x->namelen)) continue ;
      score = 2ul << 20 | x->namelen << 1 ;
    }
    else score = 1ul << 20 ;
    score |= x->mode != MODE_ANY ;
    if (score > best) { best = score ; found = i ; }
  }
  return found ;
}

static int in_cidr (sni_cidr const *c, sni_addr const *a)
{
  unsigned int full = c->bits >> 3, rest = c->bits & 7 ;
  if (c->v6 != a->v6) return 0 ;
  if (memcmp(c->ip, a->ip, full)) return 0 ;
  if (rest && ((c->ip[full] ^ a->ip[full]) & (0xff00 >> rest) & 0xff)) return 0 ;
  return 1 ;
}

int sni_rule_admits (sni_rules const *r, sni_rule const *x, sni_addr const *client)
{
  unsigned int i ;
  for (i = 0 ; i < x->nd ; i++) if (in_cidr(&r->cidr[x->d0 + i], client)) return 0 ;
  if (!x->na) return 1 ;
  for (i = 0 ; i < x->na ; i++) if (in_cidr(&r->cidr[x->a0 + i], client)) return 1 ;
  return 0 ;
}
