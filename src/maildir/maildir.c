/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>

#include <dcr/queue.h>

#include "maildir.h"

static char const *hostpart = "localhost" ;
static uint64_t counter = 0 ;   /* the Q of the unique names */

void md_init (char const *host)
{
  hostpart = host ;
}

 /* Paths */

char const *md_template_check (char const *t)
{
  if (t[0] != '/') return "the maildir path must be absolute" ;
  for (; *t ; t++)
  {
    if ((unsigned char)*t < ' ' || *t == 0x7f) return "control character in the maildir path" ;
    if (*t == '%' && t[1] != 'u' && t[1] != 'd' && t[1] != '%') return "only %u, %d and %% may follow a % in the maildir path" ;
    if (*t == '%') t++ ;
  }
  return 0 ;
}

/* the part as a directory name: lowercased; 0 if not safe */
static int catpart (stralloc *sa, char const *s, size_t n, char const *what, char const **why)
{
  static char buf[80] ;
  size_t i ;
  buf[0] = 0 ;
  if (!n) { strcpy(buf, "empty ") ; strcat(buf, what) ; *why = buf ; return 0 ; }
  if (s[0] == '.' || memchr(s, '/', n))
  {
    strcpy(buf, what) ;
    strcat(buf, " is not a safe file name (a '/' or a leading '.')") ;
    *why = buf ;
    return 0 ;
  }
  for (i = 0 ; i < n ; i++)
  {
    char c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
    if (!stralloc_catb(sa, &c, 1)) { *why = "out of memory" ; return 0 ; }
  }
  return 1 ;
}

int md_expand (stralloc *sa, char const *t, char const *addr, char const **why)
{
  size_t start = sa->len ;
  char const *at = strrchr(addr, '@') ;
  size_t llen = at ? (size_t)(at - addr) : strlen(addr) ;
  char const *dom = at ? at + 1 : "" ;
  for (; *t ; t++)
  {
    int ok = 1 ;
    if (*t != '%') ok = stralloc_catb(sa, t, 1) ;
    else
    {
      t++ ;
      if (*t == 'u') ok = catpart(sa, addr, llen, "local part", why) ;
      else if (*t == 'd') ok = catpart(sa, dom, strlen(dom), "domain", why) ;
      else ok = stralloc_catb(sa, "%", 1) ;
      if (!ok) { sa->len = start ; return 0 ; }
    }
    if (!ok) { *why = "out of memory" ; sa->len = start ; return 0 ; }
    if (sa->len - start > MD_PATHMAX) { *why = "path too long" ; sa->len = start ; return 0 ; }
  }
  if (!stralloc_0(sa)) { *why = "out of memory" ; sa->len = start ; return 0 ; }
  return 1 ;
}

 /* Delivery */

static stralloc tmp = STRALLOC_ZERO, new = STRALLOC_ZERO, name = STRALLOC_ZERO ;

static int catu64 (stralloc *sa, uint64_t u)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, fmt, uint64_fmt(fmt, u)) ;
}

/* SECONDS.M<usec>P<pid>Q<n>.HOST,S=<size>: unique as long as the pid is
   not reused within the same microsecond, and Q tells apart the copies of
   one process */
static int mkname (uint64_t filesize)
{
  struct timespec ts ;
  clock_gettime(CLOCK_REALTIME, &ts) ;
  name.len = 0 ;
  return catu64(&name, (uint64_t)ts.tv_sec) && stralloc_cats(&name, ".M")
    && catu64(&name, (uint64_t)ts.tv_nsec / 1000) && stralloc_cats(&name, "P")
    && catu64(&name, (uint64_t)getpid()) && stralloc_cats(&name, "Q")
    && catu64(&name, ++counter) && stralloc_cats(&name, ".")
    && stralloc_cats(&name, hostpart) && stralloc_cats(&name, ",S=")
    && catu64(&name, filesize) && stralloc_0(&name) ;
}

static int mkpath (stralloc *sa, char const *dir, char const *sub, char const *file)
{
  sa->len = 0 ;
  return stralloc_cats(sa, dir) && stralloc_cats(sa, "/") && stralloc_cats(sa, sub)
    && (!file || (stralloc_cats(sa, "/") && stralloc_cats(sa, file))) && stralloc_0(sa) ;
}

/* dir, dir/tmp, dir/new, dir/cur; 0700 under our umask 077 */
static int make (char const *dir)
{
  static char const *const subs[3] = { "tmp", "new", "cur" } ;
  unsigned int i ;
  if (!dcr_mkdirp(dir)) return 0 ;
  for (i = 0 ; i < 3 ; i++)
    if (!mkpath(&tmp, dir, subs[i], 0) || !dcr_mkdirp(tmp.s)) return 0 ;
  return 1 ;
}

static char const *mdir ;   /* the Maildir of the delivery in hand */

/* a full disk names the Maildir, another error the path that failed */
static char fail (stralloc *reply, char const *step, char const *path, int e)
{
  int ok ;
  if (e == EDQUOT || e == ENOSPC) path = mdir ;
  reply->len = 0 ;
  if (e == EDQUOT) ok = stralloc_cats(reply, "452 4.2.2 mailbox full: ") ;
  else if (e == ENOSPC) ok = stralloc_cats(reply, "452 4.3.1 insufficient system storage: ") ;
  else ok = stralloc_cats(reply, "451 4.3.0 ") && stralloc_cats(reply, step) && stralloc_cats(reply, " ") ;
  if (!ok || !stralloc_cats(reply, path) || !stralloc_cats(reply, ": ")
   || !stralloc_cats(reply, strerror(e)) || !stralloc_0(reply)) reply->len = 0 ;  /* the caller has a text */
  return 'T' ;
}

/* the message from its offset 0; a read error is not the mailbox's */
static int copy (int from, int to, uint64_t size, int *readerr)
{
  char buf[65536] ;
  uint64_t off = 0 ;
  *readerr = 0 ;
  while (off < size)
  {
    ssize_t r = pread(from, buf, size - off < sizeof(buf) ? size - off : sizeof(buf), off) ;
    if (r < 0 && errno == EINTR) continue ;
    if (r <= 0) { if (!r) errno = EIO ; *readerr = 1 ; return 0 ; }  /* short: the file shrank */
    if (!dcr_write_all(to, buf, r)) return 0 ;
    off += r ;
  }
  return 1 ;
}

char md_deliver (char const *dir, int msg, uint64_t size, char const *hdr, size_t hdrlen, stralloc *reply)
{
  unsigned int tries = 0 ;
  int made = 0, fd, readerr, e ;
  mdir = dir ;
  for (;;)
  {
    if (!mkname(size + hdrlen) || !mkpath(&tmp, dir, "tmp", name.s)) return fail(reply, "make name in", dir, errno) ;
    fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
    if (fd >= 0) break ;
    e = errno ;
    if (e == ENOENT && !made)
    {
      if (!make(dir)) return fail(reply, "make maildir", dir, errno) ;
      made = 1 ;
    }
    else if (e != EEXIST || ++tries >= 5) return fail(reply, "create", tmp.s, e) ;
  }
  if (!dcr_write_all(fd, hdr, hdrlen) || !copy(msg, fd, size, &readerr))
  {
    e = errno ;
    close(fd) ; unlink(tmp.s) ;
    return readerr ? fail(reply, "read message for", dir, e) : fail(reply, "write", tmp.s, e) ;
  }
  if (fsync(fd) < 0 || close(fd) < 0)
  {
    e = errno ;
    close(fd) ; unlink(tmp.s) ;
    return fail(reply, "fsync", tmp.s, e) ;
  }
  if (!mkpath(&new, dir, "new", name.s)) { e = errno ; unlink(tmp.s) ; return fail(reply, "make name in", dir, e) ; }
  /* link never replaces a name; rename where hard links are not offered */
  if (link(tmp.s, new.s) < 0)
  {
    e = errno ;
    if ((e != EPERM && e != ENOTSUP && e != EMLINK) || rename(tmp.s, new.s) < 0)
    {
      unlink(tmp.s) ;
      return fail(reply, "link into", new.s, e) ;
    }
  }
  else unlink(tmp.s) ;
  if (!mkpath(&tmp, dir, "new", 0) || !dcr_fsync_dir(tmp.s))
  {
    /* visible but maybe not durable: take it back, the runner retries */
    e = errno ;
    unlink(new.s) ;
    return fail(reply, "fsync", tmp.s, e) ;
  }
  reply->len = 0 ;
  if (!stralloc_cats(reply, "250 2.0.0 delivered to maildir ") || !stralloc_cats(reply, new.s) || !stralloc_0(reply))
    reply->len = 0 ;   /* delivered all the same: the caller has a text */
  return 'D' ;
}
