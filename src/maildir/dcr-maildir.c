/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/strerr.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/tai.h>
#include <skalibs/iopause.h>
#include <skalibs/djbunix.h>

#include <dcr/log.h>
#include <dcr/opts.h>
#include <dcr/job.h>

#include "maildir.h"

#define USAGE "dcr-maildir [ -i idle ] [ -h host ] path"
#define dieusage() strerr_dieusage(100, USAGE)

static unsigned int idle = 60 ;
static char const *tmpl ;

static dcr_longopt const longopts[] =
{
  { "idle", 'i', 1 }, { "host", 'h', 1 }, { 0, 0, 0 }
} ;

static void nomem (void)
{
  strerr_diefu1sys(111, "allocate") ;
}


 /* One job: a copy per distinct expanded path, verdicts in job order */

typedef struct rcpt_s rcpt ;
struct rcpt_s
{
  size_t path ;    /* offset in paths, when st is 0 */
  size_t reply ;   /* offset in texts, once st is set */
  size_t idx ;     /* place in the job */
  char st ;        /* 0 while to deliver, then D, T or P */
} ;

static stralloc paths = STRALLOC_ZERO, texts = STRALLOC_ZERO, hdr = STRALLOC_ZERO, reply = STRALLOC_ZERO ;
static genalloc rcpts = GENALLOC_ZERO ;   /* rcpt */

static size_t addtext (char const *a, char const *b)
{
  size_t off = texts.len ;
  if (!stralloc_cats(&texts, a) || (b && !stralloc_cats(&texts, b)) || !stralloc_0(&texts)) nomem() ;
  return off ;
}

/* by path, then by place: equal paths side by side, in job order */
static int bypath (void const *a, void const *b)
{
  rcpt const *x = a, *y = b ;
  int c ;
  if (!x->st != !y->st) return x->st ? 1 : -1 ;
  c = x->st ? 0 : strcmp(paths.s + x->path, paths.s + y->path) ;
  if (c) return c ;
  return x->idx < y->idx ? -1 : x->idx > y->idx ;
}

static int byidx (void const *a, void const *b)
{
  rcpt const *x = a, *y = b ;
  return x->idx < y->idx ? -1 : x->idx > y->idx ;
}

static void put (char const *s)
{
  if (buffer_puts(buffer_1, s) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

static void deliver (dcr_job *j)
{
  dcr_jobaddr const *a = dcr_job_rcpts(j) ;
  size_t n = dcr_job_nrcpts(j), i, k ;
  rcpt *r ;
  struct stat st ;
  int msg ;

  paths.len = texts.len = 0 ;
  genalloc_setlen(rcpt, &rcpts, 0) ;
  for (i = 0 ; i < n ; i++)
  {
    rcpt x = { .path = paths.len, .reply = 0, .idx = i, .st = 0 } ;
    char const *why ;
    if (!md_expand(&paths, tmpl, a[i].addr, &why))
    {
      x.st = 'P' ;
      x.reply = addtext("550 5.1.3 bad destination mailbox address: ", why) ;
    }
    if (!genalloc_append(rcpt, &rcpts, &x)) nomem() ;
  }
  r = genalloc_s(rcpt, &rcpts) ;

  msg = open(j->file, O_RDONLY | O_CLOEXEC) ;
  {
    int e = 0 ;
    if (msg < 0) e = errno ;
    else if (fstat(msg, &st) < 0) e = errno ;
    else if (S_ISDIR(st.st_mode)) e = EISDIR ;
    else if (!S_ISREG(st.st_mode)) e = EINVAL ;   /* a fifo could block the agent */
    if (e)
    {
      size_t t = texts.len ;
      if (msg >= 0) close(msg) ;
      msg = -1 ;
      if (!stralloc_cats(&texts, "451 4.3.0 message file ") || !stralloc_cats(&texts, j->file)
       || !stralloc_cats(&texts, ": ") || !stralloc_cats(&texts, strerror(e)) || !stralloc_0(&texts)) nomem() ;
      dcr_log("id", j->id, "event", "tempfail", "file", j->file, "error", strerror(e), (char *)0) ;
      for (i = 0 ; i < n ; i++) if (!r[i].st) { r[i].st = 'T' ; r[i].reply = t ; }
    }
  }

  if (msg >= 0)
  {
    qsort(r, n, sizeof(rcpt), &bypath) ;
    for (i = 0 ; i < n && !r[i].st ; i = k)
    {
      char const *dir = paths.s + r[i].path ;
      size_t t ;
      char v ;
      for (k = i + 1 ; k < n && !r[k].st && !strcmp(dir, paths.s + r[k].path) ; k++) ;
      hdr.len = 0 ;
      if (!stralloc_cats(&hdr, "Return-Path: <") || !stralloc_cats(&hdr, j->sender.addr) || !stralloc_cats(&hdr, ">\n")) nomem() ;
      if (k == i + 1 && !(stralloc_cats(&hdr, "Delivered-To: ") && stralloc_cats(&hdr, a[r[i].idx].addr) && stralloc_cats(&hdr, "\n"))) nomem() ;
      v = md_deliver(dir, msg, st.st_size, hdr.s, hdr.len, &reply) ;
      t = addtext(reply.len ? reply.s : v == 'D' ? "250 2.0.0 delivered to maildir" : "451 4.3.0 delivery failed", 0) ;
      {
        char nfmt[SIZE_FMT] ;
        nfmt[size_fmt(nfmt, k - i)] = 0 ;
        dcr_log("id", j->id, "event", v == 'D' ? "delivered" : "tempfail", "maildir", dir,
          "rcpts", nfmt, "reply", texts.s + t, (char *)0) ;
      }
      for (; i < k ; i++) { r[i].st = v ; r[i].reply = t ; }
    }
    close(msg) ;
    qsort(r, n, sizeof(rcpt), &byidx) ;
  }

  for (i = 0 ; i < n ; i++)
  {
    char stc[2] = { r[i].st, 0 } ;
    if (r[i].st == 'P')
      dcr_log("id", j->id, "event", "refused", "rcpt", a[i].addr, "reply", texts.s + r[i].reply, (char *)0) ;
    put(j->id) ; put("\t") ; put(a[i].addr) ; put("\t") ; put(stc) ; put("\t") ;
    put(texts.s + r[i].reply) ; put("\n") ;
  }
  put(j->id) ; put("\tdone\n") ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}

static void done_only (char const *id)
{
  put(id) ; put("\tdone\n") ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}

/* the host part of unique names: '/' and ':' as the maildir spec says,
   ',' too since it starts the S= field */
static char const *hostname (char const *h)
{
  static stralloc sa = STRALLOC_ZERO ;
  stralloc raw = STRALLOC_ZERO ;
  size_t i ;
  if (!h)
  {
    if (sagethostname(&raw) < 0 || !raw.len || !stralloc_0(&raw)) strerr_diefu1sys(111, "get hostname") ;
    h = raw.s ;
  }
  for (i = 0 ; h[i] ; i++)
  {
    char const *s = h[i] == '/' ? "\\057" : h[i] == ':' ? "\\072" : h[i] == ',' ? "\\054" : 0 ;
    if ((unsigned char)h[i] <= ' ' || h[i] == 0x7f) s = "_" ;
    if (!(s ? stralloc_cats(&sa, s) : stralloc_catb(&sa, h + i, 1))) nomem() ;
  }
  if (!stralloc_0(&sa)) nomem() ;
  stralloc_free(&raw) ;
  return sa.s ;
}

int main (int argc, char const *const *argv)
{
  char const *host = 0, *why ;
  PROG = "dcr-maildir" ;
  char const **av = dcr_longopts(&argc, argv, longopts, "i:h:", USAGE) ;
  argv = av ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "i:h:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'i' : if (!uint0_scan(l.arg, &idle) || idle > 86400) dieusage() ; break ;
        case 'h' : host = l.arg ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc != 1) dieusage() ;
  tmpl = argv[0] ;
  why = md_template_check(tmpl) ;
  if (why) strerr_dief4x(100, "bad maildir path ", tmpl, ": ", why) ;
  md_init(hostname(host)) ;
  umask(077) ;   /* mailboxes are their owner's only: 0700 dirs, 0600 files */
  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  ndelay_on(0) ;
  tain_now_set_stopwatch_g() ;

  dcr_job_loop(idle, &deliver, &done_only) ;
  free(av) ;
  return 0 ;
}
