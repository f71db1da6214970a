/* ISC license. */

#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>

#include <skalibs/uint64.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/djbunix.h>

#include <dcr/qid.h>
#include <dcr/queue.h>

 /* Checking: what the writer refuses, the reader refuses too. */

static char const *const statenames[] = { "pending", "delivered", "failed" } ;
#define NSTATES (sizeof(statenames) / sizeof(char const *))

char const *dcr_rcpt_statename (unsigned int state)
{
  return state < NSTATES ? statenames[state] : "unknown" ;
}

static int isctl (unsigned char c)
{
  return c < 0x20 || c == 0x7f ;
}

/* text: bounded, no control character. 1 ok, 0 control, -1 too long */
static int text_ok (char const *s, size_t max)
{
  size_t i = 0 ;
  for (; s[i] ; i++)
  {
    if (i >= max) return -1 ;
    if (isctl(s[i])) return 0 ;
  }
  return 1 ;
}

static int word_ok (char const *s, char const *allowed)
{
  size_t i = 0 ;
  for (; s[i] ; i++)
  {
    unsigned char c = s[i] ;
    if (i >= DCR_ENV_WORDMAX) return 0 ;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr(allowed, c)))) return 0 ;
  }
  return i > 0 ;
}

static int oneof (char const *s, char const *const *list)
{
  for (; *list ; list++) if (!strcmp(s, *list)) return 1 ;
  return 0 ;
}

static int notify_ok (char const *s)
{
  static char const *const kw[] = { "SUCCESS", "FAILURE", "DELAY", 0 } ;
  char tok[DCR_ENV_WORDMAX] ;
  if (!*s || !strcmp(s, "NEVER")) return 1 ;
  for (;;)
  {
    size_t n = strcspn(s, ",") ;
    if (!n || n >= sizeof(tok)) return 0 ;
    memcpy(tok, s, n) ; tok[n] = 0 ;
    if (!oneof(tok, kw)) return 0 ;
    if (!s[n]) return 1 ;
    s += n + 1 ;
  }
}

static char why[128] ;

static char const *bad (char const *what, char const *field, size_t n)
{
  size_t len = strlen(what) ;
  if (len > 40) len = 40 ;
  memcpy(why, what, len) ;
  why[len] = 0 ;
  strncat(why, field, 40) ;
  if (n)
  {
    char fmt[UINT64_FMT] ;
    fmt[uint64_fmt(fmt, n)] = 0 ;
    strcat(why, " ") ;
    strcat(why, fmt) ;
  }
  return why ;
}

static char const *check_text (char const *field, char const *s, size_t max, size_t n)
{
  int r = text_ok(s, max) ;
  if (r > 0) return 0 ;
  return bad(r < 0 ? "too long: " : "control character in ", field, n) ;
}

char const *dcr_envelope_check (dcr_envelope const *e)
{
  static char const *const bodies[] = { "7BIT", "8BITMIME", "BINARYMIME", 0 } ;
  static char const *const rets[] = { "FULL", "HDRS", 0 } ;
  dcr_rcpt const *r = dcr_envelope_rcpts(e) ;
  size_t n = dcr_envelope_nrcpts(e), i = 0 ;
  char const *x ;
  if (!e->id || !dcr_qid_valid(e->id)) return "bad id" ;
  if (!e->sender) return "no sender" ;
  if ((x = check_text("sender", e->sender, DCR_ENV_ADDRMAX, 0))) return x ;
  if (e->helo && (x = check_text("helo", e->helo, DCR_ENV_HELOMAX, 0))) return x ;
  if (e->authuser && (x = check_text("authuser", e->authuser, DCR_ENV_ADDRMAX, 0))) return x ;
  if (e->envid && (x = check_text("envid", e->envid, DCR_ENV_ENVIDMAX, 0))) return x ;
  if (e->proto && !word_ok(e->proto, "")) return "bad proto" ;
  if (e->ip && (!word_ok(e->ip, ":.%") || strlen(e->ip) > DCR_ENV_IPMAX)) return "bad remote ip" ;
  if (e->body && !oneof(e->body, bodies)) return "bad body" ;
  if (e->ret && !oneof(e->ret, rets)) return "bad ret" ;
  if (e->priority < -DCR_ENV_PRIOMAX || e->priority > DCR_ENV_PRIOMAX) return "bad priority" ;
  if (!n) return "no recipients" ;
  if (n > DCR_ENV_RCPTMAX) return "too many recipients" ;
  for (; i < n ; i++)
  {
    if (!r[i].addr || !r[i].addr[0]) return bad("empty recipient", "", i+1) ;
    if ((x = check_text("recipient", r[i].addr, DCR_ENV_ADDRMAX, i+1))) return x ;
    if (!r[i].notify || !notify_ok(r[i].notify)) return bad("bad notify of recipient", "", i+1) ;
    if (!r[i].orcpt) return bad("no orcpt for recipient", "", i+1) ;
    if ((x = check_text("orcpt", r[i].orcpt, DCR_ENV_ORCPTMAX, i+1))) return x ;
    if (r[i].orcpt[0] && !strchr(r[i].orcpt, ';')) return bad("bad orcpt of recipient", "", i+1) ;
    if (r[i].state >= NSTATES) return bad("bad state of recipient", "", i+1) ;
  }
  return 0 ;
}

int dcr_envelope_addrcpt (dcr_envelope *e, char const *addr, char const *notify, char const *orcpt)
{
  dcr_rcpt r = { .addr = addr, .notify = notify ? notify : "", .orcpt = orcpt ? orcpt : "", .reply = "", .state = DCR_RCPT_PENDING, .tries = 0, .next = 0 } ;
  return genalloc_append(dcr_rcpt, &e->rcpts, &r) ;
}

void dcr_envelope_clear (dcr_envelope *e)
{
  stralloc data = e->data ;
  genalloc rcpts = e->rcpts ;
  dcr_envelope zero = DCR_ENVELOPE_ZERO ;
  *e = zero ;
  data.len = 0 ;
  genalloc_setlen(dcr_rcpt, &rcpts, 0) ;
  e->data = data ;
  e->rcpts = rcpts ;
}

void dcr_envelope_free (dcr_envelope *e)
{
  genalloc_free(dcr_rcpt, &e->rcpts) ;
  stralloc_free(&e->data) ;
  {
    dcr_envelope zero = DCR_ENVELOPE_ZERO ;
    *e = zero ;
  }
}

 /* Writing */

static int cat_line (stralloc *sa, char const *key, char const *value)
{
  return stralloc_cats(sa, key) && stralloc_catb(sa, "\t", 1)
      && stralloc_cats(sa, value) && stralloc_catb(sa, "\n", 1) ;
}

static int cat_u64 (stralloc *sa, char const *key, uint64_t u)
{
  char fmt[UINT64_FMT] ;
  fmt[uint64_fmt(fmt, u)] = 0 ;
  return cat_line(sa, key, fmt) ;
}

static int cat_reply (stralloc *sa, char const *s)
{
  size_t i = 0 ;
  if (!stralloc_readyplus(sa, DCR_ENV_REPLYMAX)) return 0 ;
  for (; s[i] && i < DCR_ENV_REPLYMAX ; i++)
    sa->s[sa->len++] = isctl(s[i]) ? ' ' : s[i] ;
  return 1 ;
}

static int cat_rcpt (stralloc *sa, dcr_rcpt const *r)
{
  char fmt[UINT64_FMT + UINT_FMT + 2] ;
  size_t m = 0 ;
  fmt[m++] = '\t' ;
  m += uint_fmt(fmt + m, r->tries) ;
  fmt[m++] = '\t' ;
  m += uint64_fmt(fmt + m, r->next) ;
  return stralloc_cats(sa, "rcpt\t")
      && stralloc_cats(sa, statenames[r->state])
      && stralloc_catb(sa, fmt, m)
      && stralloc_catb(sa, "\t", 1) && stralloc_cats(sa, r->addr)
      && stralloc_catb(sa, "\t", 1) && stralloc_cats(sa, r->notify)
      && stralloc_catb(sa, "\t", 1) && stralloc_cats(sa, r->orcpt)
      && stralloc_catb(sa, "\t", 1) && cat_reply(sa, r->reply ? r->reply : "")
      && stralloc_catb(sa, "\n", 1) ;
}

int dcr_envelope_fmt (stralloc *sa, dcr_envelope const *e)
{
  dcr_rcpt const *r = dcr_envelope_rcpts(e) ;
  size_t n = dcr_envelope_nrcpts(e), i = 0, len = sa->len ;
  char prio[INT_FMT + 1] ;
  if (dcr_envelope_check(e)) return (errno = EINVAL, 0) ;
  prio[int_fmt(prio, e->priority)] = 0 ;
  if (!cat_u64(sa, "dcr-envelope", DCR_ENV_VERSION)
   || !cat_line(sa, "id", e->id)
   || !cat_u64(sa, "arrival", e->arrival)
   || !cat_u64(sa, "size", e->size)
   || !cat_line(sa, "priority", prio)
   || !cat_line(sa, "sender", e->sender)
   || (e->helo && !cat_line(sa, "helo", e->helo))
   || (e->proto && !cat_line(sa, "proto", e->proto))
   || (e->ip && !cat_line(sa, "ip", e->ip))
   || (e->authuser && !cat_line(sa, "authuser", e->authuser))
   || (e->body && !cat_line(sa, "body", e->body))
   || (e->smtputf8 && !cat_line(sa, "smtputf8", "1"))
   || (e->hold && !cat_line(sa, "hold", "1"))
   || (e->warned && !cat_line(sa, "warned", "1"))
   || (e->ret && !cat_line(sa, "ret", e->ret))
   || (e->envid && !cat_line(sa, "envid", e->envid))) goto err ;
  for (; i < n ; i++) if (!cat_rcpt(sa, r + i)) goto err ;
  return 1 ;
 err:
  sa->len = len ;
  return 0 ;
}

int dcr_envelope_write (dcr_envelope const *e, char const *tmp, char const *path)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = dcr_envelope_fmt(&sa, e) ? dcr_replace(tmp, path, sa.s, sa.len) : 0 ;
  int ee = errno ;
  stralloc_free(&sa) ;
  errno = ee ;
  return r ;
}

 /* Reading */

#define NFIELDS 8

static unsigned int split (char *s, char **f)
{
  unsigned int n = 0 ;
  f[n++] = s ;
  for (; *s ; s++) if (*s == '\t')
  {
    if (n == NFIELDS) return NFIELDS + 1 ;
    *s = 0 ;
    f[n++] = s + 1 ;
  }
  return n ;
}

static int u64_ok (char const *s, uint64_t *u)
{
  return s[0] >= '0' && s[0] <= '9' && uint640_scan(s, u) ;
}

static int set_once (char const **p, char const *value)
{
  if (*p) return 0 ;
  *p = value ;
  return 1 ;
}

static int parse_rcpt (dcr_envelope *e, char **f)
{
  dcr_rcpt r ;
  uint64_t tries ;
  unsigned int i = 0 ;
  for (; i < NSTATES ; i++) if (!strcmp(f[1], statenames[i])) break ;
  if (i == NSTATES || !u64_ok(f[2], &tries) || tries > UINT32_MAX || !u64_ok(f[3], &r.next)) return 0 ;
  r.state = i ;
  r.tries = tries ;
  r.addr = f[4] ; r.notify = f[5] ; r.orcpt = f[6] ; r.reply = f[7] ;
  if (text_ok(r.reply, DCR_ENV_REPLYMAX) <= 0) return 0 ;
  return genalloc_append(dcr_rcpt, &e->rcpts, &r) ;
}

static int parse_line (dcr_envelope *e, char *line, int *seen)
{
  char *f[NFIELDS] ;
  unsigned int n = split(line, f) ;
  uint64_t u ;
  if (n == NFIELDS && !strcmp(f[0], "rcpt")) return parse_rcpt(e, f) ;
  if (n != 2) return 0 ;
  if (!strcmp(f[0], "id")) return set_once(&e->id, f[1]) ;
  if (!strcmp(f[0], "sender")) return set_once(&e->sender, f[1]) ;
  if (!strcmp(f[0], "helo")) return set_once(&e->helo, f[1]) ;
  if (!strcmp(f[0], "proto")) return set_once(&e->proto, f[1]) ;
  if (!strcmp(f[0], "ip")) return set_once(&e->ip, f[1]) ;
  if (!strcmp(f[0], "authuser")) return set_once(&e->authuser, f[1]) ;
  if (!strcmp(f[0], "body")) return set_once(&e->body, f[1]) ;
  if (!strcmp(f[0], "ret")) return set_once(&e->ret, f[1]) ;
  if (!strcmp(f[0], "envid")) return set_once(&e->envid, f[1]) ;
  if (!strcmp(f[0], "smtputf8") || !strcmp(f[0], "hold") || !strcmp(f[0], "warned"))
  {
    unsigned int *flag = f[0][0] == 's' ? &e->smtputf8 : f[0][0] == 'h' ? &e->hold : &e->warned ;
    if (*flag || strcmp(f[1], "1")) return 0 ;
    return (*flag = 1) ;
  }
  if (!strcmp(f[0], "arrival") || !strcmp(f[0], "size"))
  {
    int bit = f[0][0] == 'a' ? 1 : 2 ;
    if (*seen & bit || !u64_ok(f[1], &u)) return 0 ;
    *seen |= bit ;
    if (bit == 1) e->arrival = u ; else e->size = u ;
    return 1 ;
  }
  if (!strcmp(f[0], "priority"))
  {
    int neg = f[1][0] == '-' ;
    if (*seen & 4 || !u64_ok(f[1] + neg, &u) || u > DCR_ENV_PRIOMAX) return 0 ;
    *seen |= 4 ;
    e->priority = neg ? -(int)u : (int)u ;
    return 1 ;
  }
  return 0 ;
}

int dcr_envelope_parse (dcr_envelope *e, char *s, size_t n)
{
  unsigned int line = 1 ;
  int seen = 0 ;
  size_t pos = 0 ;
  genalloc_setlen(dcr_rcpt, &e->rcpts, 0) ;
  e->id = e->sender = e->helo = e->proto = e->ip = e->authuser = e->body = e->ret = e->envid = 0 ;
  e->arrival = e->size = 0 ; e->priority = 0 ; e->smtputf8 = 0 ; e->hold = 0 ; e->warned = 0 ;
  e->errline = 0 ;
  if (n < 16 || memcmp(s, "dcr-envelope\t1\n", 15)) goto fail ;
  pos = 15 ;
  while (pos < n)
  {
    char *nl = memchr(s + pos, '\n', n - pos) ;
    line++ ;
    if (!nl || memchr(s + pos, 0, nl - (s + pos))) goto fail ;
    *nl = 0 ;
    errno = 0 ;
    if (!parse_line(e, s + pos, &seen))
    {
      if (errno == ENOMEM) return 0 ;
      goto fail ;
    }
    pos = nl + 1 - s ;
  }
  line = 0 ;
  if ((seen & 3) != 3 || dcr_envelope_check(e)) goto fail ;
  return 1 ;
 fail:
  e->errline = line ;
  return (errno = EPROTO, 0) ;
}

int dcr_envelope_read (dcr_envelope *e, char const *path)
{
  struct stat st ;
  int fd = open_read(path) ;
  if (fd < 0) return 0 ;
  e->data.len = 0 ;
  e->errline = 0 ;
  if (fstat(fd, &st) < 0) goto err ;
  if (st.st_size > DCR_ENV_FILEMAX) { errno = EFBIG ; goto err ; }
  if (!slurp(&e->data, fd)) goto err ;
  fd_close(fd) ;
  return dcr_envelope_parse(e, e->data.s, e->data.len) ;
 err:
  fd_close(fd) ;
  return 0 ;
}
