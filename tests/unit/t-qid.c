/* ISC license. */
/* Queue ids: format, order, uniqueness within and across processes, buckets. */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <dcr/qid.h>

#include "tap.h"

#define N 100000
#define NPROC 4
#define NPER 20000

static int cmp (void const *a, void const *b)
{
  return memcmp(a, b, DCR_QID_LEN) ;
}

static unsigned long long unhex (char const *s, unsigned int n)
{
  unsigned long long v = 0 ;
  while (n--)
  {
    char c = *s++ ;
    v = v * 16 + (c <= '9' ? c - '0' : c - 'a' + 10) ;
  }
  return v ;
}

int main (void)
{
  static char ids[N][DCR_QID_LEN + 1] ;
  char id[DCR_QID_LEN + 1], nn[3] ;
  unsigned int counts[DCR_QID_SPLIT] = { 0 } ;
  unsigned int i, sorted = 1, valid = 1, inrange = 1, names = 1, lo = N, hi = 0 ;

  dcr_qid_make(id) ;
  ok(strlen(id) == DCR_QID_LEN, "id has %d characters", DCR_QID_LEN) ;
  ok(dcr_qid_valid(id), "a made id is valid") ;
  {
    unsigned long long us = unhex(id, 13) ;
    long long now = (long long)time(0) ;
    ok((long long)(us / 1000000) >= now - 2 && (long long)(us / 1000000) <= now + 2, "first 13 digits: microseconds since the epoch") ;
    ok(unhex(id + 13, 6) == (unsigned long long)getpid(), "next 6 digits: the pid") ;
  }

  for (i = 0 ; i < N ; i++) dcr_qid_make(ids[i]) ;
  for (i = 0 ; i < N ; i++)
  {
    if (!dcr_qid_valid(ids[i])) valid = 0 ;
    if (i && memcmp(ids[i-1], ids[i], DCR_QID_LEN) >= 0) sorted = 0 ;
  }
  ok(valid, "%d ids valid", N) ;
  ok(sorted, "%d ids from one process are strictly increasing (sortable by time)", N) ;

  for (i = 0 ; i < N ; i++)
  {
    unsigned int b = dcr_qid_bucket(ids[i]) ;
    if (b >= DCR_QID_SPLIT) { inrange = 0 ; continue ; }
    counts[b]++ ;
    dcr_qid_bucketname(ids[i], nn) ;
    if (strlen(nn) != 2 || unhex(nn, 2) != b) names = 0 ;
  }
  for (i = 0 ; i < DCR_QID_SPLIT ; i++)
  {
    if (counts[i] < lo) lo = counts[i] ;
    if (counts[i] > hi) hi = counts[i] ;
  }
  ok(inrange, "buckets in 0..%d", DCR_QID_SPLIT - 1) ;
  ok(names, "bucket names are the bucket in 2 hex digits") ;
  ok(lo > N / DCR_QID_SPLIT / 2 && hi < N / DCR_QID_SPLIT * 2, "buckets are even (min %u max %u of %d)", lo, hi, N) ;
  ok(dcr_qid_bucket(ids[7]) == dcr_qid_bucket(ids[7]), "bucket is a function of the id") ;

  /* across processes: NPROC children at once, all ids distinct */
  {
    static char all[NPROC * NPER][DCR_QID_LEN + 1] ;
    int p[2] ;
    unsigned int got = 0, dup = 0 ;
    size_t want = sizeof(all) ;
    if (pipe(p) < 0) return 111 ;
    for (i = 0 ; i < NPROC ; i++)
    {
      pid_t pid = fork() ;
      if (pid < 0) return 111 ;
      if (!pid)
      {
        static char mine[NPER][DCR_QID_LEN + 1] ;
        unsigned int j = 0 ;
        close(p[0]) ;
        for (; j < NPER ; j++) dcr_qid_make(mine[j]) ;
        for (j = 0 ; j < NPER ; j++)
          if (write(p[1], mine[j], DCR_QID_LEN + 1) != DCR_QID_LEN + 1) _exit(1) ;
        _exit(0) ;
      }
    }
    close(p[1]) ;
    {
      char *s = (char *)all ;
      size_t len = 0 ;
      ssize_t r ;
      while (len < want && (r = read(p[0], s + len, want - len)) > 0) len += r ;
      got = len / (DCR_QID_LEN + 1) ;
    }
    close(p[0]) ;
    while (wait(0) > 0) ;
    qsort(all, got, DCR_QID_LEN + 1, cmp) ;
    for (i = 1 ; i < got ; i++) if (!cmp(all[i-1], all[i])) dup++ ;
    ok(got == NPROC * NPER, "%d processes made %d ids", NPROC, got) ;
    ok(!dup, "no id made twice across processes (%u duplicates)", dup) ;
  }

  ok(!dcr_qid_valid(""), "empty id refused") ;
  ok(!dcr_qid_valid("0640a1f2b3c4d00123a000"), "22 digits refused") ;
  ok(!dcr_qid_valid("0640a1f2b3c4d00123a00011"), "24 digits refused") ;
  ok(!dcr_qid_valid("0640A1F2B3C4D00123A0001"), "uppercase refused") ;
  ok(!dcr_qid_valid("0640a1f2b3c4d00123a000g"), "non-hex refused") ;
  ok(!dcr_qid_valid("../../../../etc/passwd00"), "path refused") ;
  ok(!dcr_qid_valid("0640a1f2b3c4d0012/a0001"), "slash refused") ;
  ok(!dcr_qid_valid("0640a1f2b3c4d00123a000\n"), "newline refused") ;
  ok(dcr_qid_valid("0640a1f2b3c4d00123a0001"), "hand-made valid id accepted") ;
  return done_testing() ;
}
