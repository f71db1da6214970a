/* ISC license. */
/* The envelope of contract 3, from its variables: what dcr-enqueue reads
   from its environment, and dcr-smtpd's built-in dcr-enqueue from the
   variables it would have set. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/uint64.h>
#include <skalibs/stralloc.h>

#include <dcr/submit.h>

/* s's n lines, NUL-separated, appended to sa; their offsets in off[].
   1 if s has exactly n lines */
static int split (stralloc *sa, char const *s, size_t n, size_t *off, int upper, int *nomem)
{
  size_t i = 0, len = strlen(s), start = sa->len ;
  if (!stralloc_catb(sa, s, len + 1)) return (*nomem = 1, 0) ;
  off[i++] = start ;
  for (size_t j = start ; j < start + len ; j++)
  {
    char c = sa->s[j] ;
    if (c == '\n')
    {
      if (i == n) return 0 ;
      sa->s[j] = 0 ;
      off[i++] = j + 1 ;
    }
    else if (upper && c >= 'a' && c <= 'z') sa->s[j] = c - 32 ;
  }
  return i == n ;
}

/* a one-word variable, upper-cased into sa at *off; 0: unset or empty;
   -1: too long */
static int word (stralloc *sa, char const *s, size_t *off)
{
  size_t n ;
  if (!s || !*s) return 0 ;
  n = strlen(s) ;
  if (n > DCR_ENV_WORDMAX) return -1 ;
  *off = sa->len ;
  if (!stralloc_catb(sa, s, n + 1)) return -2 ;
  for (size_t j = *off ; j < *off + n ; j++)
    if (sa->s[j] >= 'a' && sa->s[j] <= 'z') sa->s[j] -= 32 ;
  return 1 ;
}

static char const *opt (char const *s) { return s && *s ? s : 0 ; }

int dcr_envelope_from_vars (dcr_envelope *e, dcr_getvar_fn *get, void *ctx, char const **why)
{
  char const *rcpts = get("SMTP_RECIPIENTS", ctx) ;
  char const *notify = opt(get("SMTP_DSN_NOTIFY", ctx)) ;
  char const *orcpt = opt(get("SMTP_DSN_ORCPT", ctx)) ;
  char const *x ;
  size_t n = 1, i, bodyoff = 0, retoff = 0 ;
  size_t *off, few[3 * 16] ;   /* most messages: no malloc */
  int nomem = 0, hasbody, hasret ;
  stralloc *sa = &e->data ;

  if (!rcpts || !*rcpts) return (*why = "no recipients", -1) ;
  for (x = rcpts ; *x ; x++) if (*x == '\n') n++ ;
  if (n > DCR_ENV_RCPTMAX) return (*why = "too many recipients", -1) ;
  e->sender = get("SMTP_SENDER", ctx) ;
  if (!e->sender) return (*why = "no SMTP_SENDER", -1) ;
  x = get("SMTP_SMTPUTF8", ctx) ;
  if (x && *x && strcmp(x, "1")) return (*why = "SMTP_SMTPUTF8 is not 1", -1) ;
  e->smtputf8 = x && *x ;
  x = get("DCR_PRIORITY", ctx) ;
  if (x && *x)
  {
    int neg = *x == '-' ;
    uint64_t u ;
    if (x[neg] < '0' || x[neg] > '9' || !uint640_scan(x + neg, &u) || u > DCR_ENV_PRIOMAX) return (*why = "bad DCR_PRIORITY", -1) ;
    e->priority = neg ? -(int)u : (int)u ;
  }
  hasbody = word(sa, get("SMTP_BODY", ctx), &bodyoff) ;
  if (hasbody == -1) return (*why = "SMTP_BODY", -1) ;
  if (hasbody < -1) return 0 ;
  hasret = word(sa, get("SMTP_DSN_RET", ctx), &retoff) ;
  if (hasret == -1) return (*why = "SMTP_DSN_RET", -1) ;
  if (hasret < -1) return 0 ;

  off = n <= 16 ? few : malloc(3 * n * sizeof(size_t)) ;
  if (!off) return 0 ;
  split(sa, rcpts, n, off, 0, &nomem) ;
  if (!nomem && notify && !split(sa, notify, n, off + n, 1, &nomem) && !nomem)
    { if (off != few) free(off) ; return (*why = "SMTP_DSN_NOTIFY lines do not match SMTP_RECIPIENTS", -1) ; }
  if (!nomem && orcpt && !split(sa, orcpt, n, off + 2 * n, 0, &nomem) && !nomem)
    { if (off != few) free(off) ; return (*why = "SMTP_DSN_ORCPT lines do not match SMTP_RECIPIENTS", -1) ; }
  /* sa is complete: pointers into it hold from here on */
  for (i = 0 ; !nomem && i < n ; i++)
    if (!dcr_envelope_addrcpt(e, sa->s + off[i], notify ? sa->s + off[n + i] : "", orcpt ? sa->s + off[2 * n + i] : "")) nomem = 1 ;
  if (off != few) free(off) ;
  if (nomem) return (errno = ENOMEM, 0) ;
  e->body = hasbody ? sa->s + bodyoff : 0 ;
  e->ret = hasret ? sa->s + retoff : 0 ;
  e->helo = get("SMTP_HELO", ctx) ;
  e->authuser = get("SMTP_AUTHUSER", ctx) ;
  e->envid = get("SMTP_DSN_ENVID", ctx) ;
  e->proto = opt(get("SMTP_PROTO", ctx)) ;
  e->ip = opt(get("TCPREMOTEIP", ctx)) ;
  e->id = "00000000000000000000000" ;   /* checked now, set at commit */
  x = dcr_envelope_check(e) ;
  if (x) return (*why = x, -1) ;
  return 1 ;
}
