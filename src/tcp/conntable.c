/* ISC license. */

#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <signal.h>

#include <skalibs/strerr.h>
#include <skalibs/random.h>
#include <skalibs/ip46.h>

#include "conntable.h"

/* pid -> address of the connection; pid 0 is an empty slot */
struct conntable_pid_s
{
  pid_t pid ;
  char key[17] ;
} ;

/* address -> count; count 0 is an empty slot */
struct conntable_ip_s
{
  uint32_t count ;
  char key[17] ;
} ;

static void key_of (char *key, ip46full const *a)
{
  memcpy(key, a->ip, 16) ;
  if (!a->is6) memset(key + 4, 0, 12) ;
  key[16] = (char)a->is6 ;
}

static uint32_t mix (uint32_t h)
{
  h ^= h >> 16 ; h *= 0x7feb352dU ;
  h ^= h >> 15 ; h *= 0x846ca68bU ;
  h ^= h >> 16 ;
  return h ;
}

static uint32_t hash_key (conntable const *t, char const *key)
{
  uint32_t h = t->seed ;
  for (unsigned int i = 0 ; i < 17 ; i++) h = mix(h ^ ((uint32_t)(unsigned char)key[i] << ((i & 3) << 3))) ;
  return h & t->mask ;
}

static uint32_t hash_pid (conntable const *t, pid_t pid)
{
  return mix((uint32_t)pid ^ t->seed) & t->mask ;
}

void conntable_init (conntable *t, uint32_t max)
{
  uint32_t size = 16 ;
  while (size < 2 * max) size <<= 1 ;   /* load factor at most 1/2 */
  t->max = max ;
  t->n = 0 ;
  t->mask = size - 1 ;
  random_buf((char *)&t->seed, sizeof(t->seed)) ;
  t->pids = calloc(size, sizeof(struct conntable_pid_s)) ;
  t->ips = calloc(size, sizeof(struct conntable_ip_s)) ;
  if (!t->pids || !t->ips) strerr_diefu1sys(111, "allocate the connection table") ;
}

static uint32_t ip_find (conntable const *t, char const *key)
{
  uint32_t i = hash_key(t, key) ;
  while (t->ips[i].count && memcmp(t->ips[i].key, key, 17)) i = (i + 1) & t->mask ;
  return i ;
}

uint32_t conntable_count (conntable const *t, ip46full const *a)
{
  char key[17] ;
  key_of(key, a) ;
  return t->ips[ip_find(t, key)].count ;
}

int conntable_add (conntable *t, pid_t pid, ip46full const *a)
{
  uint32_t i ;
  if (t->n >= t->max || pid <= 0) return 0 ;
  i = hash_pid(t, pid) ;
  while (t->pids[i].pid) i = (i + 1) & t->mask ;
  t->pids[i].pid = pid ;
  key_of(t->pids[i].key, a) ;
  i = ip_find(t, t->pids[i].key) ;
  if (!t->ips[i].count) key_of(t->ips[i].key, a) ;
  t->ips[i].count++ ;
  t->n++ ;
  return 1 ;
}

/* Knuth's algorithm R: after emptying slot i, move back the entries
   of the same probe run that would no longer be found. */
#define SHIFT_BACK(arr, empty, hashof) do { \
  uint32_t i_ = i, j_ = i ; \
  for (;;) \
  { \
    uint32_t h_ ; \
    j_ = (j_ + 1) & t->mask ; \
    if (empty(arr[j_])) break ; \
    h_ = hashof(arr[j_]) ; \
    if (((j_ - h_) & t->mask) >= ((j_ - i_) & t->mask)) \
    { \
      arr[i_] = arr[j_] ; \
      i_ = j_ ; \
    } \
  } \
  memset(&arr[i_], 0, sizeof(arr[i_])) ; \
} while (0)

#define PID_EMPTY(e) (!(e).pid)
#define PID_HASH(e) hash_pid(t, (e).pid)
#define IP_EMPTY(e) (!(e).count)
#define IP_HASH(e) hash_key(t, (e).key)

int conntable_remove (conntable *t, pid_t pid, ip46full *a)
{
  char key[17] ;
  uint32_t i = hash_pid(t, pid) ;
  if (pid <= 0) return 0 ;
  while (t->pids[i].pid != pid)
  {
    if (!t->pids[i].pid) return 0 ;
    i = (i + 1) & t->mask ;
  }
  memcpy(key, t->pids[i].key, 17) ;
  SHIFT_BACK(t->pids, PID_EMPTY, PID_HASH) ;
  i = ip_find(t, key) ;
  if (t->ips[i].count && !--t->ips[i].count) SHIFT_BACK(t->ips, IP_EMPTY, IP_HASH) ;
  t->n-- ;
  memcpy(a->ip, key, 16) ;
  a->is6 = key[16] ;
  return 1 ;
}

void conntable_kill (conntable const *t, int sig)
{
  for (uint32_t i = 0 ; i <= t->mask ; i++)
    if (t->pids[i].pid > 0) kill(t->pids[i].pid, sig) ;
}
