/* ISC license. */

/* Destinations: where an agent delivers. A target of the routes file
   ("smtp:[10.0.0.1]:25", "maildir:/var/mail/%u"), or an mx target with
   its domain ("mx:example.com", "mx:example.com:2525"). Each has a queue
   of jobs, a concurrency limit, a rate limit, and a memory of being
   down. Found by key through a chained hash. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "qrun.h"

#define NBUCKETS 4096

typedef struct dest_s dest ;
struct dest_s
{
  char *key ;
  uint32_t chain ;        /* next in the hash bucket */
  uint32_t head, tail, queued ;
  unsigned int limit, rate ;
  tain nextstart ;        /* rate: the earliest start of the next job */
  uint64_t down_until ;
} ;

static dest *dests = 0 ;
static uint32_t ndests = 0, capdests = 0 ;
static uint32_t buckets[NBUCKETS] ;
static int initialized = 0 ;

static uint32_t hashkey (char const *s)
{
  uint32_t h = 2166136261u ;
  for (; *s ; s++) h = (h ^ (unsigned char)*s) * 16777619u ;
  return h % NBUCKETS ;
}

/* "mx" or "mx:PORT" with a domain: "mx:DOMAIN" or "mx:DOMAIN:PORT".
   Built in one reused buffer: a copy is made only for a new destination. */
static char const *makekey (char const *spec, char const *domain, char const *policy)
{
  static stralloc k = STRALLOC_ZERO ;
  size_t n = strlen(spec), dn = domain ? strlen(domain) : 0, pn = policy ? strlen(policy) : 0 ;
  char *end ;
  if (!stralloc_ready(&k, n + dn + pn + 3)) strerr_diefu1sys(111, "allocate") ;
  if (!domain || strncmp(spec, "mx", 2) || (spec[2] && spec[2] != ':')) { memcpy(k.s, spec, n + 1) ; end = k.s + n ; }
  else
  {
    memcpy(k.s, "mx:", 3) ;
    memcpy(k.s + 3, domain, dn) ;
    memcpy(k.s + 3 + dn, spec + 2, n - 2 + 1) ;
    for (char *p = k.s + 3 ; p < k.s + 3 + dn ; p++) if (*p >= 'A' && *p <= 'Z') *p += 32 ;
    end = k.s + 3 + dn + n - 2 ;
  }
  /* the route's TLS policy is part of the destination: one target under
     two policies is two pools of agents */
  if (pn) { *end++ = ' ' ; memcpy(end, policy, pn + 1) ; }
  return k.s ;
}

uint32_t dest_for (char const *spec, char const *domain, char const *policy, unsigned int limit, unsigned int rate)
{
  char const *k = makekey(spec, domain, policy) ;
  uint32_t h = hashkey(k), d ;
  if (!initialized) { memset(buckets, 0xff, sizeof buckets) ; initialized = 1 ; }
  for (d = buckets[h] ; d != NONE32 ; d = dests[d].chain)
    if (!strcmp(dests[d].key, k))
    {
      dests[d].limit = limit ;   /* the routes file may have changed */
      dests[d].rate = rate ;
      return d ;
    }
  if (ndests == capdests) dests = qrun_grow(dests, &capdests, sizeof(dest), 64, 1) ;
  d = ndests++ ;
  dests[d].key = strdup(k) ;
  if (!dests[d].key) strerr_diefu1sys(111, "allocate") ;
  dests[d].chain = buckets[h] ;
  buckets[h] = d ;
  dests[d].head = dests[d].tail = NONE32 ;
  dests[d].queued = 0 ;
  dests[d].limit = limit ;
  dests[d].rate = rate ;
  dests[d].nextstart = tain_zero ;
  dests[d].down_until = 0 ;
  return d ;
}

char const *dest_key (uint32_t d) { return dests[d].key ; }
uint32_t dest_count (void) { return ndests ; }
uint32_t dest_queued (uint32_t d) { return dests[d].queued ; }
unsigned int dest_limit (uint32_t d) { return dests[d].limit ; }
int dest_isdown (uint32_t d) { return dests[d].down_until > now ; }
void dest_setdown (uint32_t d) { dests[d].down_until = now + conf.down_time ; }

void dest_push (uint32_t d, uint32_t j)
{
  job_get(j)->next = NONE32 ;
  job_get(j)->dest = d ;
  if (dests[d].tail == NONE32) dests[d].head = j ;
  else job_get(dests[d].tail)->next = j ;
  dests[d].tail = j ;
  dests[d].queued++ ;
}

uint32_t dest_pop (uint32_t d)
{
  uint32_t j = dests[d].head ;
  if (j == NONE32) return j ;
  dests[d].head = job_get(j)->next ;
  if (dests[d].head == NONE32) dests[d].tail = NONE32 ;
  dests[d].queued-- ;
  return j ;
}

/* rate=N: at most N job starts a minute, evenly spaced */
int dest_ready (uint32_t d, tain *deadline)
{
  if (!dests[d].rate || !tain_less(&STAMP, &dests[d].nextstart)) return 1 ;
  if (tain_less(&dests[d].nextstart, deadline)) *deadline = dests[d].nextstart ;
  return 0 ;
}

void dest_started (uint32_t d)
{
  tain gap ;
  if (!dests[d].rate) return ;
  tain_from_millisecs(&gap, 60000 / dests[d].rate) ;
  if (tain_less(&dests[d].nextstart, &STAMP)) dests[d].nextstart = STAMP ;
  tain_add(&dests[d].nextstart, &dests[d].nextstart, &gap) ;
}
