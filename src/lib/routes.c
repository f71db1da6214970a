/* ISC license. */

/* The routes file: "pattern targets [key=value...]" per line (doc/routes.md). */

#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/types.h>
#include <skalibs/fmtscan.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/djbunix.h>

#include <dcr/addr.h>
#include <dcr/log.h>
#include <dcr/routes.h>

enum { O_KEY, O_PATTERN, O_SENDER, O_AUTH, O_CA, O_TARGET0, O_NTARGETS } ;
#define NONE ((size_t)-1)

static int isspc (char c) { return c == ' ' || c == '\t' || c == '\r' ; }
static char lower (char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c ; }

static size_t addstr (stralloc *sa, char const *s, size_t n, int low)
{
  size_t off = sa->len ;
  if (!stralloc_readyplus(sa, n + 1)) return NONE ;
  for (size_t i = 0 ; i < n ; i++) sa->s[sa->len++] = low ? lower(s[i]) : s[i] ;
  sa->s[sa->len++] = 0 ;
  return off ;
}

static int port_ok (char const *s, size_t n)
{
  unsigned int p ;
  return n && n <= 5 && uint_scan(s, &p) == n && p && p < 65536 ;
}

/* "[ip]:port" or "host:port" */
static int hostport_ok (char const *s, size_t n)
{
  size_t colon = n ;
  while (colon && s[colon-1] != ':') colon-- ;
  if (!colon || !port_ok(s + colon, n - colon)) return 0 ;
  colon-- ;
  if (s[0] == '[')
  {
    char ip[16], buf[64] ;
    if (colon < 3 || s[colon-1] != ']' || colon - 2 >= sizeof buf) return 0 ;
    memcpy(buf, s + 1, colon - 2) ; buf[colon-2] = 0 ;
    return ip4_scan(buf, ip) == colon - 2 || ip6_scan(buf, ip) == colon - 2 ;
  }
  return dcr_addr_domain(s, colon, 0) ;
}

static char const *target_parse (char const *s, size_t n, dcr_target *t, size_t *argoff)
{
  if (n > 5 && !memcmp(s, "smtp:", 5))
  {
    if (!hostport_ok(s + 5, n - 5)) return "bad smtp target (smtp:host:port or smtp:[ip]:port)" ;
    t->kind = DCR_TARGET_SMTP ; *argoff = 5 ;
  }
  else if (n > 6 && !memcmp(s, "smtps:", 6))   /* implicit TLS, RFC 8314 */
  {
    if (!hostport_ok(s + 6, n - 6)) return "bad smtps target (smtps:host:port or smtps:[ip]:port)" ;
    t->kind = DCR_TARGET_SMTP ; *argoff = 6 ;
  }
  else if (n == 2 && !memcmp(s, "mx", 2)) { t->kind = DCR_TARGET_MX ; *argoff = 2 ; }
  else if (n > 3 && !memcmp(s, "mx:", 3))
  {
    if (!port_ok(s + 3, n - 3)) return "bad mx target (mx or mx:port)" ;
    t->kind = DCR_TARGET_MX ; *argoff = 3 ;
  }
  else if (n > 8 && !memcmp(s, "maildir:", 8))
  {
    if (s[8] != '/') return "maildir path is not absolute" ;
    t->kind = DCR_TARGET_MAILDIR ; *argoff = 8 ;
  }
  else return "unknown target (smtp:, smtps:, mx, maildir:)" ;
  return 0 ;
}

static int word (char const *s, size_t n, char const *w) { return strlen(w) == n && !memcmp(s, w, n) ; }

static char const *option_parse (dcr_routes *r, dcr_route *rt, char const *s, size_t n)
{
  size_t eq = 0 ;
  char const *v ;
  size_t vn ;
  while (eq < n && s[eq] != '=') eq++ ;
  if (eq == n || eq + 1 == n) return "option is not key=value" ;
  v = s + eq + 1 ; vn = n - eq - 1 ;
  if (word(s, eq, "balance"))
  {
    if (word(v, vn, "ordered")) rt->balance = DCR_BALANCE_ORDERED ;
    else if (word(v, vn, "roundrobin")) rt->balance = DCR_BALANCE_ROUNDROBIN ;
    else if (word(v, vn, "random")) rt->balance = DCR_BALANCE_RANDOM ;
    else return "balance= is ordered, roundrobin or random" ;
  }
  else if (word(s, eq, "tls"))
  {
    if (word(v, vn, "none")) rt->tls = DCR_TLS_NONE ;
    else if (word(v, vn, "may")) rt->tls = DCR_TLS_MAY ;
    else if (word(v, vn, "encrypt")) rt->tls = DCR_TLS_ENCRYPT ;
    else if (word(v, vn, "verify")) rt->tls = DCR_TLS_VERIFY ;
    else return "tls= is none, may, encrypt or verify" ;
  }
  else if (word(s, eq, "rate") || word(s, eq, "concurrency"))
  {
    unsigned int x ;
    if (vn > 6 || uint_scan(v, &x) != vn || !x) return "rate= and concurrency= are numbers from 1 to 999999" ;
    if (s[0] == 'r') rt->rate = x ; else rt->concurrency = x ;
  }
  else if (word(s, eq, "sender"))
  {
    if (rt->off_[O_SENDER] != NONE) return "sender= given twice" ;
    if (!(vn == 2 && !memcmp(v, "<>", 2)) && !memchr(v, '@', vn)) return "sender= is <>, user@domain, *@domain or *@*.domain" ;
    if ((rt->off_[O_SENDER] = addstr(&r->text, v, vn, 1)) == NONE) return "out of memory" ;
  }
  else if (word(s, eq, "auth") || word(s, eq, "ca"))
  {
    unsigned int o = s[0] == 'a' ? O_AUTH : O_CA ;
    if (v[0] != '/') return "auth= and ca= are absolute file names" ;
    if (rt->off_[o] != NONE) return "auth= or ca= given twice" ;
    if ((rt->off_[o] = addstr(&r->text, v, vn, 0)) == NONE) return "out of memory" ;
  }
  else return "unknown option (balance, tls, auth, ca, sender, rate, concurrency)" ;
  return 0 ;
}

/* One line; 0 when fine (rule added or blank), else why not. */
static char const *line_parse (dcr_routes *r, char const *s, size_t len, unsigned int lineno)
{
  dcr_route rt = { 0 } ;
  size_t i = 0, j, nt = 0 ;
  char const *err ;
  while (i < len && isspc(s[i])) i++ ;
  if (i == len || s[i] == '#') return 0 ;
  rt.line = lineno ; rt.tls = DCR_TLS_MAY ;
  rt.off_[O_SENDER] = rt.off_[O_AUTH] = rt.off_[O_CA] = NONE ;
  for (j = i ; j < len && !isspc(s[j]) ; j++) ;
  if (j - i == 1 && s[i] == '*') rt.off_[O_KEY] = addstr(&r->text, "*", 1, 0) ;
  else
  {
    int wild = j - i > 2 && s[i] == '*' && s[i+1] == '.' ;
    size_t d = i + (wild ? 2 : 0) ;
    if (!dcr_addr_domain(s + d, j - d, 1)) return "bad pattern (domain, *.domain or *)" ;
    if (!stralloc_catb(&r->text, wild ? "*" : "=", 1)) return "out of memory" ;
    rt.off_[O_KEY] = addstr(&r->text, s + d, j - d, 1) ;
    if (rt.off_[O_KEY] != NONE) rt.off_[O_KEY]-- ;
  }
  rt.off_[O_PATTERN] = addstr(&r->text, s + i, j - i, 1) ;
  if (rt.off_[O_KEY] == NONE || rt.off_[O_PATTERN] == NONE) return "out of memory" ;
  for (i = j ; i < len && isspc(s[i]) ; i++) ;
  if (i == len || s[i] == '#') return "pattern without target" ;
  for (j = i ; j < len && !isspc(s[j]) ; j++) ;
  rt.off_[O_TARGET0] = genalloc_len(dcr_target, &r->targets) ;
  while (i < j)
  {
    dcr_target t ;
    size_t k = i, argoff ;
    while (k < j && s[k] != ',') k++ ;
    if (k == i) return "empty target" ;
    if (++nt > DCR_ROUTES_MAXTARGETS) return "too many targets" ;
    if ((err = target_parse(s + i, k - i, &t, &argoff))) return err ;
    t.spec = (char const *)(uintptr_t)addstr(&r->text, s + i, k - i, 0) ;
    if ((size_t)(uintptr_t)t.spec == NONE) return "out of memory" ;
    t.arg = t.spec + argoff ;
    if (!genalloc_append(dcr_target, &r->targets, &t)) return "out of memory" ;
    i = k + 1 ;
  }
  rt.off_[O_NTARGETS] = nt ;
  for (i = j ; ; i = j)
  {
    while (i < len && isspc(s[i])) i++ ;
    if (i == len || s[i] == '#') break ;
    for (j = i ; j < len && !isspc(s[j]) ; j++) ;
    if ((err = option_parse(r, &rt, s + i, j - i))) return err ;
  }
  if (!genalloc_append(dcr_route, &r->routes, &rt)) return "out of memory" ;
  return 0 ;
}

static int cmp_route (void const *a, void const *b)
{
  dcr_route const *x = a, *y = b ;
  int c = strcmp(x->key, y->key) ;
  if (c) return c ;
  if (!x->sender != !y->sender) return x->sender ? -1 : 1 ;
  return x->line < y->line ? -1 : x->line > y->line ;
}

static int fail (dcr_routes *r, unsigned int line, char const *what)
{
  r->text.len = 0 ;
  genalloc_setlen(dcr_route, &r->routes, 0) ;
  genalloc_setlen(dcr_target, &r->targets, 0) ;
  r->errline = line ; r->error = what ;
  return 0 ;
}

/* Offsets become pointers once the text no longer moves. */
static char const *finish (dcr_routes *r)
{
  dcr_route *rt = genalloc_s(dcr_route, &r->routes) ;
  dcr_target *t = genalloc_s(dcr_target, &r->targets) ;
  size_t n = genalloc_len(dcr_route, &r->routes), nt = genalloc_len(dcr_target, &r->targets) ;
  for (size_t i = 0 ; i < nt ; i++)
  {
    size_t argoff = t[i].arg - t[i].spec ;
    t[i].spec = r->text.s + (size_t)(uintptr_t)t[i].spec ;
    t[i].arg = t[i].spec + argoff ;
  }
  for (size_t i = 0 ; i < n ; i++)
  {
    rt[i].key = r->text.s + rt[i].off_[O_KEY] ;
    rt[i].pattern = r->text.s + rt[i].off_[O_PATTERN] ;
    rt[i].sender = rt[i].off_[O_SENDER] == NONE ? 0 : r->text.s + rt[i].off_[O_SENDER] ;
    rt[i].auth = rt[i].off_[O_AUTH] == NONE ? 0 : r->text.s + rt[i].off_[O_AUTH] ;
    rt[i].ca = rt[i].off_[O_CA] == NONE ? 0 : r->text.s + rt[i].off_[O_CA] ;
    rt[i].targets = t + rt[i].off_[O_TARGET0] ;
    rt[i].ntargets = rt[i].off_[O_NTARGETS] ;
  }
  if (n) qsort(rt, n, sizeof *rt, &cmp_route) ;
  for (size_t i = 1 ; i < n ; i++)
    if (!strcmp(rt[i].key, rt[i-1].key)
     && (!rt[i].sender ? !rt[i-1].sender : rt[i-1].sender && !strcmp(rt[i].sender, rt[i-1].sender)))
    {
      r->errline = rt[i].line > rt[i-1].line ? rt[i].line : rt[i-1].line ;
      return "duplicate rule: the same pattern and sender= twice" ;
    }
  return 0 ;
}

int dcr_routes_parse (dcr_routes *r, char const *text, size_t len)
{
  size_t i = 0 ;
  unsigned int lineno = 0 ;
  char const *err ;
  fail(r, 0, 0) ;
  if (len > DCR_ROUTES_MAXFILE) return fail(r, 0, "file too big") ;
  while (i < len)
  {
    size_t end = i ;
    while (end < len && text[end] != '\n') end++ ;
    if (++lineno > DCR_ROUTES_MAXLINES) return fail(r, lineno, "too many lines") ;
    if (memchr(text + i, 0, end - i)) return fail(r, lineno, "NUL in line") ;
    if ((err = line_parse(r, text + i, end - i, lineno))) return fail(r, lineno, err) ;
    i = end + 1 ;
  }
  if ((err = finish(r))) return fail(r, r->errline, err) ;
  return 1 ;
}

int dcr_routes_load (dcr_routes *r, char const *file)
{
  stralloc sa = STRALLOC_ZERO ;
  struct stat st ;
  int ok ;
  if (stat(file, &st) < 0)
  {
    if (errno == ENOENT) return dcr_routes_parse(r, "", 0) ;
    return fail(r, 0, strerror(errno)) ;
  }
  if (st.st_size > DCR_ROUTES_MAXFILE) return fail(r, 0, "file too big") ;
  if (!openslurpclose(&sa, file)) return fail(r, 0, strerror(errno)) ;
  ok = dcr_routes_parse(r, sa.s, sa.len) ;
  stralloc_free(&sa) ;
  return ok ;
}

void dcr_routes_logerror (dcr_routes const *r, char const *file, char const *effect)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, r->errline)] = 0 ;
  dcr_log("event", "config-error", "file", file, "line", fmt, "error", r->error ? r->error : "unknown", "effect", effect, (char *)0) ;
}

void dcr_routes_free (dcr_routes *r)
{
  stralloc_free(&r->text) ;
  genalloc_free(dcr_route, &r->routes) ;
  genalloc_free(dcr_target, &r->targets) ;
}

/* index of the first rule with this key, or n */
static size_t lower_bound (dcr_route const *rt, size_t n, char const *key)
{
  size_t lo = 0, hi = n ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (strcmp(rt[mid].key, key) < 0) lo = mid + 1 ; else hi = mid ;
  }
  return lo ;
}

static dcr_route const *pick (dcr_routes const *r, char const *key, char const *sender)
{
  dcr_route const *rt = genalloc_s(dcr_route, &r->routes) ;
  size_t n = genalloc_len(dcr_route, &r->routes) ;
  for (size_t i = lower_bound(rt, n, key) ; i < n && !strcmp(rt[i].key, key) ; i++)
    if (!rt[i].sender || !sender || dcr_routes_sendermatch(rt[i].sender, sender)) return rt + i ;
  return 0 ;
}

static int domain_matches (char const *pattern, char const *dom, size_t n)
{
  size_t pn = strlen(pattern) ;
  if (pn == n) return !memcmp(pattern, dom, n) ;
  return pattern[0] == '*' && pattern[1] == '.' && pn - 2 < n
    && dom[n - pn + 1] == '.' && !memcmp(pattern + 2, dom + n - pn + 2, pn - 2) ;
}

int dcr_routes_sendermatch (char const *pattern, char const *sender)
{
  char low[DCR_ADDR_PATHMAX] ;
  size_t n = strlen(sender), at ;
  char const *pat = strchr(pattern, '@') ;
  if (!strcmp(pattern, "<>")) return !n ;
  if (!n || n >= sizeof low || !pat) return 0 ;
  for (size_t i = 0 ; i <= n ; i++) low[i] = lower(sender[i]) ;
  at = n ;
  while (at && low[at-1] != '@') at-- ;
  if (!at) return 0 ;
  if (pattern[0] == '*' && pattern + 1 == pat)
    return domain_matches(pat + 1, low + at, n - at) ;
  return !strcmp(pattern, low) ;
}

dcr_route const *dcr_routes_match (dcr_routes const *r, char const *domain, size_t len, char const *sender)
{
  char key[DCR_ADDR_DOMAINMAX + 2] ;
  dcr_route const *rt ;
  if (len > DCR_ADDR_DOMAINMAX) return 0 ;
  key[0] = '=' ;
  for (size_t i = 0 ; i < len ; i++) key[i+1] = lower(domain[i]) ;
  key[len+1] = 0 ;
  if ((rt = pick(r, key, sender))) return rt ;
  for (size_t i = 1 ; i <= len ; i++)
    if (key[i] == '.')
    {
      key[i] = '*' ;
      rt = pick(r, key + i, sender) ;
      key[i] = '.' ;
      if (rt) return rt ;
    }
  return pick(r, "*", sender) ;
}

int dcr_routes_local (dcr_routes const *r, char const *domain, size_t len)
{
  dcr_route const *rt = dcr_routes_match(r, domain, len, 0) ;
  return rt && strcmp(rt->key, "*") ;
}
