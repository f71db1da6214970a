/* ISC license. */
/* The runner's schedule (src/qrun/sched.c): the id index survives many
   insertions and removals (linear probing with backward-shift delete),
   and the heap gives entries by next try, then priority, then arrival. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/strerr.h>

#include "../../src/qrun/qrun.h"
#include "tap.h"

static void mkid (char *id, unsigned int i)
{
  snprintf(id, DCR_QID_LEN + 1, "%023x", i * 2654435761u) ;
}

int main (void)
{
  enum { N = 50000 } ;
  static uint32_t idx[N] ;
  char id[DCR_QID_LEN + 1] ;
  unsigned int bad = 0, prev, n ;
  PROG = "t-sched" ;
  for (unsigned int i = 0 ; i < N ; i++)
  {
    mkid(id, i) ;
    idx[i] = sched_add(id, 0, 1000 + (i * 7919) % 5000, (int)(i % 3) - 1) ;
    if (idx[i] == NONE32) bad++ ;
    else sched_put(idx[i], 1000 + (i * 7919) % 5000) ;
  }
  ok(!bad && sched_size() == N, "50000 entries added") ;
  mkid(id, 7) ;
  ok(sched_add(id, 0, 0, 0) == NONE32, "a known id is refused") ;
  for (unsigned int i = 0 ; i < N ; i += 2) sched_remove(idx[i]) ;
  ok(sched_size() == N / 2, "half removed") ;
  bad = 0 ;
  for (unsigned int i = 0 ; i < N ; i++)
  {
    uint32_t e ;
    mkid(id, i) ;
    e = sched_find(id) ;
    if ((i & 1) ? e != idx[i] : e != NONE32) bad++ ;
  }
  ok(!bad, "every remaining id found, every removed one gone (%u wrong)", bad) ;
  for (unsigned int i = 0 ; i < N ; i += 2)
  {
    mkid(id, i) ;
    idx[i] = sched_add(id, 0, 0, 0) ;
    sched_put(idx[i], 500) ;
  }
  ok(sched_size() == N, "removed ids added again, slots reused") ;
  /* take the heap apart: non-decreasing next; at equal next, priority does not rise */
  prev = 0 ; bad = 0 ; n = 0 ;
  {
    int prevprio = 1000 ;
    uint32_t e ;
    while ((e = sched_top()) != NONE32)
    {
      qentry *q = sched_get(e) ;
      if (q->next < prev || (q->next == prev && q->prio > prevprio)) bad++ ;
      if (q->next != prev) prevprio = 1000 ;
      prev = q->next ; prevprio = q->prio ;
      sched_take(e) ;
      n++ ;
    }
  }
  ok(!bad && n == N, "the heap yields %u entries in order (%u out of order)", n, bad) ;
  ok(sched_get(idx[0])->heappos == NONE32, "taken entries are out of the heap") ;
  mkid(id, 1) ;
  ok(sched_find(id) == idx[1], "taking from the heap keeps the index") ;
  return done_testing() ;
}
