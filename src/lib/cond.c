/* ISC license. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>

#include <dcr/cidr.h>
#include <dcr/cond.h>
#include <dcr/header.h>

static char const *const keys[] =
{
  "sender", "sender-domain", "from-domain", "rcpt", "rcpt-domain", "ip", "auth", 0
} ;

static char lower (char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c ; }

static int domainchar (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
    || c == '[' || c == ']' || c == ':' || (unsigned char)c >= 0x80 ;
}

/* dom, *.dom or * */
static int domainpat_ok (char const *p)
{
  if (!strcmp(p, "*")) return 1 ;
  if (p[0] == '*') { if (p[1] != '.' || !p[2]) return 0 ; p += 2 ; }
  if (!*p || *p == '.') return 0 ;
  for (; *p ; p++) if (!domainchar(*p)) return 0 ;
  return 1 ;
}

/* user@dom, *@DOMPAT, @DOMPAT, <> or * */
static int addrpat_ok (char const *p)
{
  char const *at = strrchr(p, '@') ;
  if (!strcmp(p, "<>") || !strcmp(p, "*")) return 1 ;
  if (!at || !domainpat_ok(at + 1)) return 0 ;
  for (; p < at ; p++) if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>') return 0 ;
  return 1 ;
}

static int pat_ok (unsigned char key, char const *p)
{
  switch (key)
  {
    case DCR_COND_SENDER : case DCR_COND_RCPT : return addrpat_ok(p) ;
    case DCR_COND_IP :
    {
      dcr_cidr c ;
      size_t n = dcr_cidr_scan(p, &c) ;
      return n && !p[n] ;
    }
    case DCR_COND_AUTH : return 1 ;
    default : return domainpat_ok(p) ;
  }
}

int dcr_cond_scan (char const *word, dcr_cond *c, stralloc *pats, char const **why)
{
  size_t start = pats->len ;
  char const *eq, *p ;
  unsigned int k ;
  int neg = word[0] == '!' ;
  word += neg ;
  eq = strchr(word, '=') ;
  if (!eq) return 0 ;
  for (k = 0 ; keys[k] ; k++)
    if (strlen(keys[k]) == (size_t)(eq - word) && !memcmp(keys[k], word, eq - word)) break ;
  if (!keys[k]) return 0 ;
  c->key = k ; c->neg = neg ; c->pats = start ;
  for (p = eq + 1 ;;)
  {
    size_t n = strcspn(p, ",") ;
    size_t at = pats->len ;
    if (!n) { *why = "an empty pattern" ; goto bad ; }
    if (!stralloc_readyplus(pats, n + 1)) { *why = "out of memory" ; goto bad ; }
    for (size_t i = 0 ; i < n ; i++)   /* auth= user names keep their case */
      pats->s[pats->len++] = k == DCR_COND_AUTH ? p[i] : lower(p[i]) ;
    pats->s[pats->len++] = 0 ;
    if (!pat_ok(k, pats->s + at)) { *why = k == DCR_COND_IP ? "a bad CIDR prefix" : k == DCR_COND_SENDER || k == DCR_COND_RCPT ? "a bad address pattern (user@domain, *@domain, <>)" : "a bad domain pattern (domain, *.domain, *)" ; goto bad ; }
    if (!p[n]) break ;
    p += n + 1 ;
  }
  if (!stralloc_0(pats)) { *why = "out of memory" ; goto bad ; }
  return 1 ;
 bad:
  pats->len = start ;
  return -1 ;
}

static int domain_match (char const *pat, char const *dom, size_t len)
{
  while (len && dom[len - 1] == '.') len-- ;   /* a root dot */
  if (!strcmp(pat, "*")) return len > 0 ;
  if (pat[0] == '*')
  {
    size_t n = strlen(pat + 1) ;   /* ".dom" */
    return len > n && !strncasecmp(dom + len - n, pat + 1, n) ;
  }
  return strlen(pat) == len && !strncasecmp(dom, pat, len) ;
}

static int addr_match (char const *pat, char const *addr, size_t len)
{
  char const *at ;
  if (!strcmp(pat, "<>")) return !len ;
  if (!len) return 0 ;
  if (!strcmp(pat, "*")) return 1 ;
  if (pat[0] == '@' || (pat[0] == '*' && pat[1] == '@'))
  {
    size_t i = len ;
    while (i && addr[i - 1] != '@') i-- ;
    if (!i) return 0 ;
    at = strchr(pat, '@') ;
    return domain_match(at + 1, addr + i, len - i) ;
  }
  return strlen(pat) == len && !strncasecmp(pat, addr, len) ;
}

static int any (dcr_cond const *c, char const *pats, char const *s, size_t len)
{
  for (char const *p = pats + c->pats ; *p ; p += strlen(p) + 1)
  {
    int r ;
    switch (c->key)
    {
      case DCR_COND_SENDER : case DCR_COND_RCPT : r = addr_match(p, s, len) ; break ;
      case DCR_COND_AUTH : r = !strcmp(p, "*") || (strlen(p) == len && !memcmp(p, s, len)) ; break ;
      default : r = domain_match(p, s, len) ; break ;
    }
    if (r) return 1 ;
  }
  return 0 ;
}

static int ip_match (dcr_cond const *c, char const *pats, char const *ip)
{
  ip46full a ;
  size_t n ;
  if (!ip) return 0 ;
  n = dcr_ip46_scan(ip, &a) ;
  if (!n || ip[n]) return 0 ;
  dcr_ip46_unmap(&a) ;
  for (char const *p = pats + c->pats ; *p ; p += strlen(p) + 1)
  {
    dcr_cidr x ;
    if (dcr_cidr_scan(p, &x) && dcr_cidr_match(&x, &a)) return 1 ;
  }
  return 0 ;
}

static int holds (dcr_cond const *c, char const *pats, dcr_cond_msg const *m)
{
  char const *sender = m->sender ? m->sender : "" ;
  switch (c->key)
  {
    case DCR_COND_SENDER : return any(c, pats, sender, strlen(sender)) ;
    case DCR_COND_SENDER_DOMAIN :
      return *sender && any(c, pats, dcr_addr_domainpart(sender), strlen(dcr_addr_domainpart(sender))) ;
    case DCR_COND_FROM_DOMAIN :
      return m->from_domain && any(c, pats, m->from_domain, strlen(m->from_domain)) ;
    case DCR_COND_IP : return ip_match(c, pats, m->ip) ;
    case DCR_COND_AUTH : return m->authuser && *m->authuser && any(c, pats, m->authuser, strlen(m->authuser)) ;
    default : break ;
  }
  /* rcpt, rcpt-domain: some recipient */
  for (char const *r = m->rcpts ? m->rcpts : "" ; *r ;)
  {
    size_t n = strcspn(r, "\n") ;
    char const *s = r ;
    size_t len = n ;
    if (c->key == DCR_COND_RCPT_DOMAIN)
    {
      size_t i = n ;
      while (i && r[i - 1] != '@') i-- ;
      s = r + i ; len = i ? n - i : 0 ;
    }
    if (len && any(c, pats, s, len)) return 1 ;
    r += n + (r[n] == '\n') ;
  }
  return 0 ;
}

int dcr_cond_match (dcr_cond const *c, char const *pats, dcr_cond_msg const *m)
{
  return holds(c, pats, m) != c->neg ;
}

void dcr_cond_msg_env (dcr_cond_msg *m)
{
  m->sender = getenv("SMTP_SENDER") ;
  m->rcpts = getenv("SMTP_RECIPIENTS") ;
  m->ip = getenv("TCPREMOTEIP") ;
  m->authuser = getenv("SMTP_AUTHUSER") ;
  m->from_domain = 0 ;
}

char const *dcr_addr_domainpart (char const *addr)
{
  char const *at = strrchr(addr, '@') ;
  return at ? at + 1 : addr + strlen(addr) ;
}

/* The value with comments dropped and quoted strings turned into a
   single 'q', so that no '@', '<', ',' or ':' inside them counts. */
static int clean (char const *s, size_t len, stralloc *out)
{
  unsigned int depth = 0 ;
  int quoted = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (c == '\\' && (quoted || depth)) { i++ ; continue ; }
    if (quoted) { if (c == '"') quoted = 0 ; continue ; }
    if (c == '(') { depth++ ; continue ; }
    if (depth) { if (c == ')') depth-- ; continue ; }
    if (c == '"') { quoted = 1 ; c = 'q' ; }
    if (!stralloc_catb(out, &c, 1)) return 0 ;
  }
  return 1 ;
}

static int first_domain (char const *v, size_t len, stralloc *sa)
{
  char const *end = v + len, *p, *seg, *segend, *lt, *at = 0 ;
  if (!len) return 0 ;
  /* a group's display name: "name:" before any address */
  p = memchr(v, ':', len) ;
  if (p && !memchr(v, '@', p - v) && !memchr(v, '<', p - v)) v = p + 1 ;
  seg = v ;
  for (segend = seg ; segend < end && *segend != ',' && *segend != ';' ; segend++) ;
  lt = memchr(seg, '<', segend - seg) ;
  if (lt)
  {
    seg = lt + 1 ;
    p = memchr(seg, '>', segend - seg) ;
    if (p) segend = p ;
  }
  for (p = seg ; p < segend ; p++) if (*p == '@') at = p ;
  if (!at) return 0 ;
  for (p = at + 1 ; p < segend && (*p == ' ' || *p == '\t') ; p++) ;
  while (segend > p && (segend[-1] == ' ' || segend[-1] == '\t' || segend[-1] == '.')) segend-- ;
  if (p == segend) return 0 ;
  for (; p < segend ; p++)
  {
    char c = lower(*p) ;
    if ((unsigned char)c <= ' ' || c == 127) return 0 ;   /* not one domain */
    if (!stralloc_catb(sa, &c, 1)) return -1 ;
  }
  return stralloc_0(sa) ? 1 : -1 ;
}

int dcr_from_domain (char const *s, size_t len, stralloc *sa)
{
  size_t pos = 0, start = sa->len ;
  dcr_field f ;
  while (dcr_header_next(s, len, &pos, &f))
  {
    stralloc v = STRALLOC_ZERO, c = STRALLOC_ZERO ;
    int r ;
    if (!dcr_header_is(s, &f, "from")) continue ;
    r = dcr_header_unfold(s, &f, &v) && clean(v.s, v.len, &c) ? first_domain(c.s, c.len, sa) : -1 ;
    stralloc_free(&v) ; stralloc_free(&c) ;
    if (r <= 0) sa->len = start ;
    return r ;   /* the first From: only */
  }
  return 0 ;
}
