/* ISC license. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include <dcr/log.h>
#include "remote.h"

/* The verdicts of the job in hand, printed together when it ends: a
   recipient accepted at RCPT waits for the final reply of DATA, and
   the lines must come in the order of the job. Replies are kept in one
   pool; past POOLMAX (a hostile server giving long replies to a huge
   job) only "NNN X.Y.Z" of each is kept, so memory stays bounded. */

#define POOLMAX (4 << 20)

static genalloc rvs = GENALLOC_ZERO ;   /* rv */
static stralloc pool = STRALLOC_ZERO ;

static void nomem (void)
{
  strerr_diefu1sys(111, "allocate") ;
}

void verdict_start (dcr_job const *j)
{
  size_t i, n = dcr_job_nrcpts(j) ;
  rv z = { .state = RS_OPEN, .st = 0, .reply = 0 } ;
  genalloc_setlen(rv, &rvs, 0) ;
  pool.len = 0 ;
  if (!stralloc_catb(&pool, "", 1)) nomem() ;   /* offset 0: "" */
  for (i = 0 ; i < n ; i++)
    if (!genalloc_append(rv, &rvs, &z)) nomem() ;
}

rv *verdict_rv (size_t i)
{
  return genalloc_s(rv, &rvs) + i ;
}

void verdict_set (size_t i, char st, char const *text)
{
  rv *v = verdict_rv(i) ;
  size_t len = strlen(text) ;
  if (pool.len > POOLMAX && len > 13) len = 13 ;
  v->state = RS_FINAL ;
  v->st = st ;
  v->reply = pool.len ;
  if (!stralloc_catb(&pool, text, len) || !stralloc_0(&pool)) nomem() ;
}

void verdict_rest (size_t from, size_t to, int all, char st, char const *text)
{
  size_t i, off = 0 ;
  for (i = from ; i < to ; i++)
  {
    rv *v = verdict_rv(i) ;
    if (v->state == RS_FINAL || (v->state == RS_ACCEPTED && !all)) continue ;
    /* one copy of the reply for all of them */
    if (!off) { verdict_set(i, st, text) ; off = verdict_rv(i)->reply ; continue ; }
    v->state = RS_FINAL ; v->st = st ; v->reply = off ;
  }
}

void verdict_accept (size_t i)
{
  verdict_rv(i)->state = RS_ACCEPTED ;
}

char verdict_class (unsigned int code)
{
  return code / 100 == 2 ? 'D' : code / 100 == 5 ? 'P' : 'T' ;
}

static void put (char const *s, size_t n)
{
  if (buffer_put(buffer_1, s, n) < (ssize_t)n) strerr_diefu1sys(111, "write to stdout") ;
}

static void puts3 (char const *a, char const *b, char const *c)
{
  put(a, strlen(a)) ; put(b, strlen(b)) ; put(c, strlen(c)) ;
}

void verdict_done (char const *id)
{
  puts3(id, "\tdone\n", "") ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}

void verdict_print (dcr_job const *j)
{
  dcr_jobaddr const *a = dcr_job_rcpts(j) ;
  size_t i, n = dcr_job_nrcpts(j) ;
  for (i = 0 ; i < n ; i++)
  {
    rv *v = verdict_rv(i) ;
    char st[2] = { v->st, 0 } ;
    char const *text = pool.s + v->reply ;
    if (v->state != RS_FINAL) { st[0] = 'T' ; text = "451 4.3.0 no verdict (bug)" ; }
    puts3(j->id, "\t", a[i].addr) ;
    puts3("\t", st, "\t") ;
    puts3(text, "\n", "") ;
    dcr_log("id", j->id, "rcpt", a[i].addr, "status", st, "peer", S.peer[0] ? S.peer : 0, "reply", text, (char *)0) ;
  }
  verdict_done(j->id) ;
}
