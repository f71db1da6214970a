/* ISC license. */

/* Jobs: the recipients of a message grouped by route (and by domain for
   mx targets), a target chosen by the route's balance among targets not
   known to be down, and the job line of doc/agents.md. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>

#include <dcr/xtext.h>
#include "qrun.h"

#define JOB_MAXRCPT 100       /* RFC 5321 4.5.3.1.8: servers take at least 100 */
#define JOB_MAXLINE 60000     /* below a pipe's 64 KiB: one write to an idle agent */
/* what a recipient can take on the line: <addr> NOTIFY=... ORCPT= with its xtext (x3) */
#define RCPT_ROOM(r) (strlen((r)->addr) + 3 * strlen((r)->orcpt) + 64)

char const jobs_busy[] = "destination queue full" ;
char const jobs_paused[] = "domain paused" ;

static job *jobs = 0 ;
static uint32_t njobs = 0, capjobs = 0, freejobs = NONE32 ;

uint32_t job_new (void)
{
  uint32_t j ;
  if (freejobs != NONE32) { j = freejobs ; freejobs = jobs[j].next ; }
  else
  {
    if (njobs == capjobs) jobs = qrun_grow(jobs, &capjobs, sizeof(job), 256, 1) ;
    j = njobs++ ;
  }
  jobs[j].line.len = 0 ;
  jobs[j].alts.len = 0 ;
  jobs[j].n = jobs[j].reported = 0 ;
  jobs[j].next = NONE32 ;
  jobs[j].domain[0] = 0 ;
  return j ;
}

job *job_get (uint32_t j) { return jobs + j ; }

void job_free (uint32_t j)
{
  free(jobs[j].rcpts) ;
  jobs[j].rcpts = 0 ;
  jobs[j].next = freejobs ;
  freejobs = j ;
}

 /* ESMTP parameters on the job line */

static int cat_xtext (stralloc *sa, char const *s)
{
  size_t n = strlen(s) ;
  long k ;
  if (!stralloc_readyplus(sa, 3 * n + 1)) return 0 ;
  k = dcr_xtext_encode(s, n, sa->s + sa->len, 3 * n + 1) ;
  if (k < 0) return 0 ;
  sa->len += k ;
  return 1 ;
}

static int cat_sender (stralloc *sa, dcr_envelope const *e)
{
  int params = e->body || e->smtputf8 || e->ret || e->envid ;
  if (!params) return stralloc_cats(sa, e->sender) ;
  if (!stralloc_catb(sa, "<", 1) || !stralloc_cats(sa, e->sender) || !stralloc_catb(sa, ">", 1)) return 0 ;
  if (e->body && (!stralloc_cats(sa, " BODY=") || !stralloc_cats(sa, e->body))) return 0 ;
  if (e->smtputf8 && !stralloc_cats(sa, " SMTPUTF8")) return 0 ;
  if (e->ret && (!stralloc_cats(sa, " RET=") || !stralloc_cats(sa, e->ret))) return 0 ;
  if (e->envid && (!stralloc_cats(sa, " ENVID=") || !cat_xtext(sa, e->envid))) return 0 ;
  return 1 ;
}

static int cat_rcpt (stralloc *sa, dcr_rcpt const *r)
{
  char const *semi = r->orcpt[0] ? strchr(r->orcpt, ';') : 0 ;
  if (!r->notify[0] && !semi) return stralloc_cats(sa, r->addr) ;
  if (!stralloc_catb(sa, "<", 1) || !stralloc_cats(sa, r->addr) || !stralloc_catb(sa, ">", 1)) return 0 ;
  if (r->notify[0] && (!stralloc_cats(sa, " NOTIFY=") || !stralloc_cats(sa, r->notify))) return 0 ;
  if (semi && (!stralloc_cats(sa, " ORCPT=") || !stralloc_catb(sa, r->orcpt, semi + 1 - r->orcpt) || !cat_xtext(sa, semi + 1))) return 0 ;
  return 1 ;
}

 /* Routing one message */

static unsigned int *rrcount = 0 ;   /* round-robin position per rule */
static size_t nrr = 0 ;

void jobs_reset_balance (void)
{
  free(rrcount) ;
  nrr = dcr_routes_n(&routes) ;
  rrcount = nrr ? calloc(nrr, sizeof(unsigned int)) : 0 ;
  if (nrr && !rrcount) strerr_diefu1sys(111, "allocate") ;
}

/* "tls=verify auth=/f ca=/g" for the agent, or 0 for the default (tls=may) */
static char const *policy (dcr_route const *rt)
{
  static char const *const names[4] = { "none", "may", "encrypt", "verify" } ;
  static stralloc sa = STRALLOC_ZERO ;
  if (rt->tls == DCR_TLS_MAY && !rt->auth && !rt->ca) return 0 ;
  sa.len = 0 ;
  if (!stralloc_cats(&sa, "tls=") || !stralloc_cats(&sa, names[rt->tls & 3])
   || (rt->auth && (!stralloc_cats(&sa, " auth=") || !stralloc_cats(&sa, rt->auth)))
   || (rt->ca && (!stralloc_cats(&sa, " ca=") || !stralloc_cats(&sa, rt->ca)))
   || !stralloc_0(&sa)) strerr_diefu1sys(111, "allocate") ;
  return sa.s ;
}

/* The rule's targets not known to be down, ordered by its balance; 0
   when every one is down. */
static unsigned int candidates (dcr_route const *rt, char const *domain, uint32_t *dests)
{
  unsigned int order[DCR_ROUTES_MAXTARGETS], n = rt->ntargets, k = 0, start = 0 ;
  size_t idx = rt - dcr_routes_get(&routes, 0) ;
  for (unsigned int i = 0 ; i < n ; i++) order[i] = i ;
  if (rt->balance == DCR_BALANCE_ROUNDROBIN && idx < nrr) start = rrcount[idx]++ % n ;
  else if (rt->balance == DCR_BALANCE_RANDOM)
    for (unsigned int i = n ; i > 1 ; i--)
    {
      unsigned int r = randomness(i), t = order[i-1] ;
      order[i-1] = order[r] ; order[r] = t ;
    }
  char const *pol = policy(rt) ;   /* once for the rule, not per target */
  for (unsigned int i = 0 ; i < n ; i++)
  {
    dcr_target const *t = rt->targets + order[(start + i) % n] ;
    uint32_t d = dest_for(t->spec, t->kind == DCR_TARGET_MX ? domain : 0, t->kind == DCR_TARGET_MAILDIR ? 0 : pol,
      rt->concurrency ? rt->concurrency : conf.per_dest, rt->rate) ;
    if (!dest_isdown(d)) dests[k++] = d ;
  }
  return k ;
}

static int has_mx (dcr_route const *rt)
{
  for (unsigned int i = 0 ; i < rt->ntargets ; i++) if (rt->targets[i].kind == DCR_TARGET_MX) return 1 ;
  return 0 ;
}

/* Put recipient i of e in the job of its group; 0 with *why set when
   it cannot go now: a reply, or JOBS_BUSY / JOBS_PAUSED (no try counted). */
int jobs_route (uint32_t flight, dcr_envelope const *e, uint32_t i, group *groups, unsigned int *ngroups, char const **why)
{
  dcr_rcpt const *r = dcr_envelope_rcpts(e) + i ;
  char const *at = strrchr(r->addr, '@') ;
  char const *domain = at ? at + 1 : conf.hostname ;
  dcr_route const *rt = dcr_routes_match(&routes, domain, strlen(domain), e->sender) ;
  unsigned int g ;
  job *jb ;
  size_t mark ;
  if (!rt) { *why = "451 4.4.4 no route for this domain in the routes file" ; return 0 ; }
  if (paused_domain(domain)) { *why = JOBS_PAUSED ; return 0 ; }
  for (g = 0 ; g < *ngroups ; g++)
  {
    if (groups[g].route != rt) continue ;
    /* an mx target is one domain's MX set: a job per domain */
    if (has_mx(rt) && strcmp(groups[g].domain, domain)) continue ;
    jb = job_get(groups[g].job) ;
    if (jb->n < JOB_MAXRCPT && jb->line.len + RCPT_ROOM(r) < JOB_MAXLINE) break ;
  }
  if (g == *ngroups)
  {
    uint32_t dests[DCR_ROUTES_MAXTARGETS] ;
    unsigned int nd = candidates(rt, domain, dests) ;
    char id[DCR_QID_LEN + 1], mess[DCR_QUEUE_PATHMAX] ;
    uint32_t j ;
    if (!nd) { *why = "451 4.4.1 every target of the route is down; retrying later" ; return 0 ; }
    if (dest_queued(dests[0]) >= 1000) { *why = JOBS_BUSY ; return 0 ; }
    j = job_new() ;
    jb = job_get(j) ;
    jb->flight = flight ;
    jb->dest = dests[0] ;
    jb->rate = rt->rate ;
    jb->limit = rt->concurrency ? rt->concurrency : conf.per_dest ;
    strncpy(jb->domain, domain, sizeof jb->domain - 1) ;
    jb->domain[sizeof jb->domain - 1] = 0 ;
    for (unsigned int k = 1 ; k < nd ; k++)
      if (!stralloc_cats(&jb->alts, dest_key(dests[k])) || !stralloc_0(&jb->alts)) strerr_diefu1sys(111, "allocate") ;
    memcpy(id, e->id, DCR_QID_LEN) ; id[DCR_QID_LEN] = 0 ;
    dcr_queue_messpath(mess, id) ;
    if (!stralloc_cats(&jb->line, id) || !stralloc_catb(&jb->line, "\t", 1)
     || !stralloc_cats(&jb->line, mess) || !stralloc_catb(&jb->line, "\t", 1)
     || !cat_sender(&jb->line, e)) strerr_diefu1sys(111, "allocate") ;
    groups[g].route = rt ;
    strcpy(groups[g].domain, jb->domain) ;
    groups[g].job = j ;
    (*ngroups)++ ;
  }
  jb = job_get(groups[g].job) ;
  mark = jb->line.len ;
  if (!stralloc_catb(&jb->line, "\t", 1) || !cat_rcpt(&jb->line, r)) { jb->line.len = mark ; *why = "451 4.3.0 out of memory" ; return 0 ; }
  {
    uint32_t *p = realloc(jb->rcpts, (jb->n + 1) * sizeof(uint32_t)) ;
    if (!p) { jb->line.len = mark ; *why = "451 4.3.0 out of memory" ; return 0 ; }
    jb->rcpts = p ;
    jb->rcpts[jb->n++] = i ;
  }
  return 1 ;
}

/* A copy of job j for the same recipients subset, to the next target. */
uint32_t jobs_failover (uint32_t j, uint32_t const *which, uint32_t n, dcr_envelope const *e)
{
  job *old = job_get(j), *jb ;
  uint32_t k, d, nj ;
  size_t first = strlen(old->alts.s) + 1 ;
  char const *spec = old->alts.s ;
  char id[DCR_QID_LEN + 1], mess[DCR_QUEUE_PATHMAX] ;
  d = dest_for(spec, 0, 0, old->limit, old->rate) ;   /* alts hold whole destination keys */
  nj = job_new() ;
  jb = job_get(nj) ; old = job_get(j) ;
  jb->flight = old->flight ; jb->dest = d ; jb->rate = old->rate ; jb->limit = old->limit ;
  memcpy(jb->domain, old->domain, sizeof jb->domain) ;
  if (old->alts.len > first && !stralloc_catb(&jb->alts, old->alts.s + first, old->alts.len - first)) strerr_diefu1sys(111, "allocate") ;
  jb->rcpts = malloc((n ? n : 1) * sizeof(uint32_t)) ;
  if (!jb->rcpts) strerr_diefu1sys(111, "allocate") ;
  memcpy(id, e->id, DCR_QID_LEN) ; id[DCR_QID_LEN] = 0 ;
  dcr_queue_messpath(mess, id) ;
  if (!stralloc_cats(&jb->line, id) || !stralloc_catb(&jb->line, "\t", 1)
   || !stralloc_cats(&jb->line, mess) || !stralloc_catb(&jb->line, "\t", 1)
   || !cat_sender(&jb->line, e)) strerr_diefu1sys(111, "allocate") ;
  for (k = 0 ; k < n ; k++)
  {
    if (!stralloc_catb(&jb->line, "\t", 1) || !cat_rcpt(&jb->line, dcr_envelope_rcpts(e) + which[k])) strerr_diefu1sys(111, "allocate") ;
    jb->rcpts[k] = which[k] ;
  }
  jb->n = n ;
  return nj ;
}
