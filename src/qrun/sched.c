/* ISC license. */

/* The schedule: an array of compact entries (40 bytes a message), an
   open-addressing index by id, and a binary heap ordered by next try,
   then priority, then arrival. Nothing of a message but its id lives
   here; envelopes are read when a message is due. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/strerr.h>

#include "qrun.h"

static qentry *entries = 0 ;
static uint32_t nentries = 0, capentries = 0, nused = 0, freelist = NONE32, seqno = 0 ;
static uint32_t *heap = 0, heaplen = 0, heapcap = 0 ;
static uint32_t *slots = 0, nslots = 0 ;   /* entry + 1, 0 empty */

/* The runner's arrays double when full. The new room is zeroed on
   demand only: the schedule's arrays are not, so that their unused
   tail costs no memory (52 bytes a queued message). */
void *qrun_grow (void *p, uint32_t *cap, size_t size, uint32_t first, int zero)
{
  uint32_t n = *cap ? *cap * 2 : first ;
  char *q = realloc(p, (size_t)n * size) ;
  if (!q) strerr_diefu1sys(111, "allocate") ;
  if (zero) memset(q + (size_t)*cap * size, 0, (size_t)(n - *cap) * size) ;
  *cap = n ;
  return q ;
}

static uint32_t hash (char const *id)
{
  uint32_t h = 2166136261u ;
  for (unsigned int i = 0 ; i < DCR_QID_LEN ; i++) h = (h ^ (unsigned char)id[i]) * 16777619u ;
  return h ;
}

static void slot_insert (uint32_t e)
{
  uint32_t mask = nslots - 1, i = hash(entries[e].id) & mask ;
  while (slots[i]) i = (i + 1) & mask ;
  slots[i] = e + 1 ;
}

static void rehash (uint32_t n)
{
  free(slots) ;
  slots = calloc(n, sizeof(uint32_t)) ;
  if (!slots) strerr_diefu1sys(111, "grow the index") ;
  nslots = n ;
  for (uint32_t e = 0 ; e < nentries ; e++)
    if (entries[e].flags & QE_USED) slot_insert(e) ;
}

static uint32_t slot_find (char const *id)
{
  uint32_t mask = nslots - 1, i ;
  if (!nslots) return NONE32 ;
  for (i = hash(id) & mask ; slots[i] ; i = (i + 1) & mask)
    if (!memcmp(entries[slots[i] - 1].id, id, DCR_QID_LEN)) return i ;
  return NONE32 ;
}

/* Linear probing: deletion shifts the run back instead of leaving tombstones. */
static void slot_delete (uint32_t i)
{
  uint32_t mask = nslots - 1, j = i ;
  slots[i] = 0 ;
  for (;;)
  {
    uint32_t k ;
    j = (j + 1) & mask ;
    if (!slots[j]) return ;
    k = hash(entries[slots[j] - 1].id) & mask ;
    if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j)))
    {
      slots[i] = slots[j] ; slots[j] = 0 ; i = j ;
    }
  }
}

 /* The heap */

static int before (uint32_t a, uint32_t b)
{
  qentry const *x = entries + a, *y = entries + b ;
  if (x->next != y->next) return x->next < y->next ;
  if (x->prio != y->prio) return x->prio > y->prio ;
  return x->seq < y->seq ;
}

static void place (uint32_t pos, uint32_t e)
{
  heap[pos] = e ;
  entries[e].heappos = pos ;
}

static void up (uint32_t pos)
{
  uint32_t e = heap[pos] ;
  while (pos)
  {
    uint32_t parent = (pos - 1) / 2 ;
    if (!before(e, heap[parent])) break ;
    place(pos, heap[parent]) ;
    pos = parent ;
  }
  place(pos, e) ;
}

static void down (uint32_t pos)
{
  uint32_t e = heap[pos] ;
  for (;;)
  {
    uint32_t c = 2 * pos + 1 ;
    if (c >= heaplen) break ;
    if (c + 1 < heaplen && before(heap[c+1], heap[c])) c++ ;
    if (!before(heap[c], e)) break ;
    place(pos, heap[c]) ;
    pos = c ;
  }
  place(pos, e) ;
}

void sched_take (uint32_t e)
{
  uint32_t pos = entries[e].heappos, last ;
  if (pos == NONE32) return ;
  entries[e].heappos = NONE32 ;
  last = heap[--heaplen] ;
  if (pos == heaplen) return ;
  place(pos, last) ;
  up(pos) ;
  down(entries[last].heappos) ;
}

void sched_put (uint32_t e, uint32_t next)
{
  sched_take(e) ;
  entries[e].next = next ;
  if (heaplen == heapcap) heap = qrun_grow(heap, &heapcap, sizeof(uint32_t), 1024, 0) ;
  place(heaplen++, e) ;
  up(heaplen - 1) ;
}

uint32_t sched_top (void)
{
  return heaplen ? heap[0] : NONE32 ;
}

 /* Entries */

uint32_t sched_add (char const *id, unsigned int flags, uint32_t next, int prio)
{
  uint32_t e ;
  if (slot_find(id) != NONE32) return NONE32 ;
  if (freelist != NONE32) { e = freelist ; freelist = entries[e].heappos ; }
  else
  {
    if (nentries == capentries) entries = qrun_grow(entries, &capentries, sizeof(qentry), 1024, 0) ;
    e = nentries++ ;
  }
  memcpy(entries[e].id, id, DCR_QID_LEN) ;
  entries[e].flags = QE_USED | flags ;
  entries[e].prio = prio ;
  entries[e].next = next ;
  entries[e].seq = seqno++ ;
  entries[e].heappos = NONE32 ;
  /* a rehash inserts every used entry, this one included */
  if ((uint64_t)(nused + 1) * 2 > nslots) rehash(nslots ? nslots * 2 : 4096) ;
  else slot_insert(e) ;
  nused++ ;
  return e ;
}

uint32_t sched_find (char const *id)
{
  uint32_t i = slot_find(id) ;
  return i == NONE32 ? NONE32 : slots[i] - 1 ;
}

qentry *sched_get (uint32_t e)
{
  return entries + e ;
}

void sched_remove (uint32_t e)
{
  uint32_t i = slot_find(entries[e].id) ;
  sched_take(e) ;
  if (i != NONE32) slot_delete(i) ;
  entries[e].flags = 0 ;
  entries[e].heappos = freelist ;   /* the free list reuses the field */
  freelist = e ;
  nused-- ;
}

uint32_t sched_size (void) { return nused ; }
uint32_t sched_limit (void) { return nentries ; }

void sched_idstr (uint32_t e, char *buf)
{
  memcpy(buf, entries[e].id, DCR_QID_LEN) ;
  buf[DCR_QID_LEN] = 0 ;
}
