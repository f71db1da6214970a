/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/djbunix.h>

#include "qctl.h"

/* What qmail-qstat and Postfix's qshape tell, in one screen:

   messages     2000  (in new/ 12, held 3, broken 0)
   recipients   6000  (pending 5000, delivered 900, failed 100)
   oldest       661115f8fe6fe0029b90000  age 3h12m
   paused       example.org
   runner       up
   pending recipients by domain (top 10 of 57):
      1200  example.com
       800  example.net
*/

 /* Pending recipients per domain: an open-addressing hash table of
    (offset of the lower-cased name in names, count). Memory grows with
    the number of distinct domains, never with the messages. */

typedef struct dom_s dom ;
struct dom_s
{
  size_t off ;     /* in names; 0 = empty slot (names starts with a NUL) */
  uint32_t hash ;
  uint64_t count ;
} ;

static stralloc names = STRALLOC_ZERO ;
static dom *tab = 0 ;
static size_t tabsize = 0, tabused = 0 ;

static uint32_t hash (char const *s)
{
  uint32_t h = 2166136261u ;
  for (; *s ; s++) { h ^= (unsigned char)*s ; h *= 16777619u ; }
  return h ;
}

static void grow (void)
{
  size_t newsize = tabsize ? tabsize * 2 : 1024, i = 0 ;
  dom *t = calloc(newsize, sizeof(dom)) ;
  if (!t) strerr_diefu1sys(111, "allocate") ;
  for (; i < tabsize ; i++) if (tab[i].off)
  {
    size_t j = tab[i].hash & (newsize - 1) ;
    while (t[j].off) j = (j + 1) & (newsize - 1) ;
    t[j] = tab[i] ;
  }
  free(tab) ;
  tab = t ;
  tabsize = newsize ;
}

static void count_domain (char const *addr)
{
  char d[DCR_ENV_ADDRMAX + 1] ;
  char const *x = qctl_rcpt_domain(addr) ;
  size_t n = strlen(x), j ;
  uint32_t h ;
  if (n > DCR_ENV_ADDRMAX) n = DCR_ENV_ADDRMAX ;
  memcpy(d, x, n) ;
  d[n] = 0 ;
  qctl_lower(d) ;
  if (!names.len && !stralloc_catb(&names, "", 1)) strerr_diefu1sys(111, "allocate") ;
  if (2 * (tabused + 1) > tabsize) grow() ;
  h = hash(d) ;
  j = h & (tabsize - 1) ;
  while (tab[j].off)
  {
    if (tab[j].hash == h && !strcmp(names.s + tab[j].off, d)) { tab[j].count++ ; return ; }
    j = (j + 1) & (tabsize - 1) ;
  }
  tab[j].off = names.len ;
  tab[j].hash = h ;
  tab[j].count = 1 ;
  tabused++ ;
  if (!stralloc_catb(&names, d, n + 1)) strerr_diefu1sys(111, "allocate") ;
}

static int bycount (void const *a, void const *b)
{
  dom const *x = a, *y = b ;
  if (x->count != y->count) return x->count < y->count ? 1 : -1 ;
  return strcmp(names.s + x->off, names.s + y->off) ;
}

 /* The paused file: the runner's, or ours when it is down */

int qctl_paused_read (stralloc *list)
{
  stralloc sa = STRALLOC_ZERO ;
  struct stat st ;
  int fd = open_read("paused") ;
  int bad ;
  if (fd < 0) return errno == ENOENT ? 0 : -1 ;
  if (fstat(fd, &st) < 0) goto err ;
  if (st.st_size > QCTL_PAUSED_FILEMAX) { errno = EFBIG ; goto err ; }
  if (!slurp(&sa, fd)) goto err ;
  fd_close(fd) ;
  bad = qctl_paused_parse(list, sa.s, sa.len) ;
  stralloc_free(&sa) ;
  if (bad < 0) strerr_diefu1sys(111, "allocate") ;
  return bad ;
 err:
  {
    int e = errno ;
    fd_close(fd) ;
    stralloc_free(&sa) ;
    errno = e ;
  }
  return -1 ;
}

/* up, down, or unknown (the lock cannot be opened: a reader of the
   queue's group may not have write access, and F_GETLK needs none) */
static char const *runner_state (void)
{
  int fd = open_read("lock") ;
  int r ;
  if (fd < 0) return errno == ENOENT ? "down (no lock file)" : "unknown (cannot open lock)" ;
  r = fd_islocked(fd) ;
  fd_close(fd) ;
  return r > 0 ? "up" : r == 0 ? "down" : "unknown" ;
}

static void line_u (char const *label, uint64_t u)
{
  outpad(label, 13) ;
  outu(u) ;
}

int qctl_stats (unsigned int top)
{
  qctl_scan sc = QCTL_SCAN_ZERO ;
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  stralloc paused = STRALLOC_ZERO ;
  uint64_t msgs = 0, isnew = 0, held = 0, bystate[3] = { 0, 0, 0 } ;
  char oldest[DCR_QID_LEN + 1] = "" ;
  uint64_t oldest_arrival = 0 ;
  int pausedbad ;
  size_t i, k ;

  qctl_scan_start(&sc) ;
  while (qctl_scan_next(&sc, &e))
  {
    dcr_rcpt const *r = dcr_envelope_rcpts(&e) ;
    size_t n = dcr_envelope_nrcpts(&e) ;
    if (!msgs++) { memcpy(oldest, e.id, DCR_QID_LEN + 1) ; oldest_arrival = e.arrival ; }
    isnew += sc.isnew ;
    held += e.hold ;
    for (i = 0 ; i < n ; i++)
    {
      if (r[i].state < 3) bystate[r[i].state]++ ;
      if (r[i].state == DCR_RCPT_PENDING) count_domain(r[i].addr) ;
    }
  }

  line_u("messages", msgs) ;
  out("  (in new/ ") ; outu(isnew) ; out(", held ") ; outu(held) ;
  out(", broken ") ; outu(sc.broken) ; out(")\n") ;
  line_u("recipients", bystate[0] + bystate[1] + bystate[2]) ;
  out("  (pending ") ; outu(bystate[0]) ; out(", delivered ") ; outu(bystate[1]) ;
  out(", failed ") ; outu(bystate[2]) ; out(")\n") ;
  outpad("oldest", 13) ;
  if (msgs)
  {
    char buf[32] ;
    qctl_fmt_dur(buf, oldest_arrival < qctl_now ? qctl_now - oldest_arrival : 0) ;
    out(oldest) ; out("  age ") ; out(buf) ; out("\n") ;
  }
  else out("-\n") ;

  outpad("paused", 13) ;
  pausedbad = qctl_paused_read(&paused) ;
  if (!paused.len) out("none") ;
  for (i = 0 ; i < paused.len ; i += strlen(paused.s + i) + 1)
  {
    if (i) out(" ") ;
    out(!strcmp(paused.s + i, "*") ? "* (the whole queue)" : paused.s + i) ;
  }
  if (pausedbad < 0) out("  (cannot read the paused file)") ;
  else if (pausedbad) { out("  (") ; outu(pausedbad) ; out(" line(s) of the paused file are not domains)") ; }
  out("\n") ;
  outpad("runner", 13) ; out(runner_state()) ; out("\n") ;

  /* gather the domains at the front of the table, most pending first */
  for (i = k = 0 ; i < tabsize ; i++) if (tab[i].off) tab[k++] = tab[i] ;
  if (k > 1) qsort(tab, k, sizeof(dom), &bycount) ;
  out("pending recipients by domain (top ") ;
  outu(top && top < k ? top : k) ; out(" of ") ; outu(k) ; out("):\n") ;
  for (i = 0 ; i < k && (!top || i < top) ; i++)
  {
    char fmt[UINT64_FMT + 1] ;
    size_t n = uint64_fmt(fmt, tab[i].count) ;
    fmt[n] = 0 ;
    outpad("", n < 8 ? 8 - n : 0) ;
    out(fmt) ; out("  ") ;
    if (names.s[tab[i].off]) outesc(names.s + tab[i].off, strlen(names.s + tab[i].off)) ;
    else out("(no domain)") ;
    out("\n") ;
  }
  outflush() ;
  free(tab) ;
  stralloc_free(&names) ;
  stralloc_free(&paused) ;
  dcr_envelope_free(&e) ;
  qctl_scan_free(&sc) ;
  return 0 ;
}
