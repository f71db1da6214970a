/* ISC license. */

#include <sys/time.h>
#include <unistd.h>

#include <dcr/qid.h>

static void hex (char *s, unsigned long long v, unsigned int n)
{
  static char const digits[] = "0123456789abcdef" ;
  while (n--) { s[n] = digits[v & 15] ; v >>= 4 ; }
}

/* Strictly increasing within a process: the time never goes back (a
   clock stepped back is held at the last value used), and when the
   4-digit counter wraps within one microsecond the time moves on by one. */
void dcr_qid_make (char *id)
{
  static unsigned int counter = 0 ;
  static unsigned long long last = 0 ;
  struct timeval tv ;
  unsigned long long us ;
  unsigned int c = counter ;
  counter = (counter + 1) & 0xffff ;
  gettimeofday(&tv, 0) ;
  us = (unsigned long long)tv.tv_sec * 1000000ULL + (unsigned long long)tv.tv_usec ;
  if (us <= last) us = c ? last : last + 1 ;
  last = us ;
  hex(id, us, 13) ;
  hex(id + 13, (unsigned long long)getpid(), 6) ;
  hex(id + 19, c, 4) ;
  id[DCR_QID_LEN] = 0 ;
}

int dcr_qid_valid (char const *s)
{
  unsigned int i = 0 ;
  for (; i < DCR_QID_LEN ; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0 ;
  return !s[i] ;
}

/* FNV-1a over the whole id: the low digits (pid, counter) spread well */
unsigned int dcr_qid_bucket (char const *id)
{
  unsigned int h = 2166136261u, i = 0 ;
  for (; i < DCR_QID_LEN ; i++) { h ^= (unsigned char)id[i] ; h *= 16777619u ; }
  return h % DCR_QID_SPLIT ;
}

void dcr_qid_bucketname (char const *id, char *dir)
{
  hex(dir, dcr_qid_bucket(id), 2) ;
  dir[2] = 0 ;
}
