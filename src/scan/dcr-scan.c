/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/sgetopt.h>
#include <skalibs/tai.h>

#include <dcr/filter.h>
#include <dcr/log.h>
#include <dcr/opts.h>

#include "scan.h"

#define USAGE "dcr-scan [ -s spamd ]... [ -c clamd ]... [ -t tag ] [ -r reject ] [ -S subject ] [ -u user ] [ -k ] [ -v reject|tag ] [ -m maxsize ] [ -M spammaxsize ] [ -T timeout ] [ -C connecttimeout ] [ -e tempfail|accept|reject ] prog..."
#define SHORTOPTS "s:c:t:r:S:u:kv:m:M:T:C:e:"
#define MAXSCANNERS 16

static dcr_longopt const longopts[] =
{
  { "spamd", 's', 1 }, { "clamd", 'c', 1 },
  { "spam-tag", 't', 1 }, { "spam-reject", 'r', 1 }, { "spam-subject", 'S', 1 },
  { "spam-user", 'u', 1 }, { "spam-check", 'k', 0 }, { "spam-max-size", 'M', 1 },
  { "virus", 'v', 1 }, { "max-size", 'm', 1 },
  { "timeout", 'T', 1 }, { "connect-timeout", 'C', 1 }, { "on-error", 'e', 1 },
  { 0, 0, 0 }
} ;

typedef struct scanner_s scanner ;
struct scanner_s
{
  char kind ;          /* 's' spamd, 'c' clamd */
  char const *name ;   /* as given, for the logs */
  scan_addr addr ;
} ;

static scanner scanners[MAXSCANNERS] ;
static unsigned int nscanners = 0 ;
static long spamtag, spamreject ;   /* tenths of a point */
static int hastag = 0, hasreject = 0 ;   /* else: spamd's own threshold; never */
static char const *subject = 0 ;
static scan_spamdopts spamopts = { .check = 0, .user = 0 } ;
static int virustag = 0 ;
static uint64_t maxsize = 10485760, spammaxsize = 0 ;
static unsigned int timeout = 60, conntimeout = 10 ;
static char onerror = 't' ;   /* tempfail, accept, reject */
static char const *id ;

 /* A configuration error is temporary (4.3.5, exit 111): a typo in the
    chain must not bounce mail. */

static void dieconf (char const *what, char const *arg) __attribute__((noreturn)) ;
static void dieconf (char const *what, char const *arg)
{
  if (arg) strerr_warn(PROG, ": fatal: ", what, ": ", arg, " (usage: ", USAGE, ")") ;
  else strerr_warn(PROG, ": fatal: ", what, " (usage: ", USAGE, ")") ;
  dcr_filter_refuse(111, "4.3.5 dcr-scan: configuration error") ;
}

/* dcr_longopts dies 100 on an unknown long option: check them first */
static void checklong (int argc, char const *const *argv)
{
  for (int i = 1 ; i < argc ; i++)
  {
    char const *a = argv[i], *eq ;
    size_t n ;
    dcr_longopt const *o ;
    if (a[0] != '-' || !a[1] || !strcmp(a, "--")) return ;
    if (a[1] != '-')
    {
      /* "-x value": the value is the rest of the word, or the next one */
      for (char const *c = a + 1 ; *c ; c++)
      {
        char const *p = strchr(SHORTOPTS, *c) ;
        if (p && *c != ':' && p[1] == ':') { if (!c[1]) i++ ; break ; }
      }
      continue ;
    }
    eq = strchr(a + 2, '=') ;
    n = eq ? (size_t)(eq - a - 2) : strlen(a + 2) ;
    for (o = longopts ; o->name ; o++) if (strlen(o->name) == n && !memcmp(o->name, a + 2, n)) break ;
    if (!o->name) dieconf("unknown option", a) ;
    if (o->hasarg && !eq && ++i >= argc) dieconf("no value for option", a) ;
    if (!o->hasarg && eq) dieconf("no value expected for option", a) ;
  }
}

static uint64_t number (char const *s, char const *what)
{
  uint64_t u ;
  size_t n = uint640_scan(s, &u) ;
  if (!n || s[n]) dieconf(what, s) ;
  return u ;
}

static long score (char const *s, char const *what)
{
  long t ;
  size_t n = scan_tenths_scan(s, strlen(s), &t) ;
  if (!n || s[n]) dieconf(what, s) ;
  return t ;
}

static char const *text (char const *s, char const *what)
{
  for (char const *p = s ; *p ; p++) if ((unsigned char)*p < 0x20 || *p == 0x7f) dieconf(what, s) ;
  return s ;
}

static void addscanner (char kind, char const *s)
{
  scanner *x = scanners + nscanners ;
  if (nscanners >= MAXSCANNERS) dieconf("too many scanners", s) ;
  if (!scan_addr_parse(s, kind == 's' ? 783 : 3310, &x->addr)) dieconf(kind == 's' ? "bad spamd address" : "bad clamd address", s) ;
  x->kind = kind ; x->name = s ;
  nscanners++ ;
}

static int options (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, SHORTOPTS, &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 's' : addscanner('s', l.arg) ; break ;
      case 'c' : addscanner('c', l.arg) ; break ;
      case 't' : spamtag = score(l.arg, "bad --spam-tag score") ; hastag = 1 ; break ;
      case 'r' : spamreject = score(l.arg, "bad --spam-reject score") ; hasreject = 1 ; break ;
      case 'S' : subject = text(l.arg, "bad --spam-subject") ; break ;
      case 'u' : spamopts.user = text(l.arg, "bad --spam-user") ; if (!*l.arg) dieconf("empty --spam-user", 0) ; break ;
      case 'k' : spamopts.check = 1 ; break ;
      case 'v' :
        if (!strcmp(l.arg, "reject")) virustag = 0 ;
        else if (!strcmp(l.arg, "tag")) virustag = 1 ;
        else dieconf("--virus is reject or tag, not", l.arg) ;
        break ;
      case 'm' : maxsize = number(l.arg, "bad --max-size") ; break ;
      case 'M' : spammaxsize = number(l.arg, "bad --spam-max-size") ; break ;
      case 'T' : timeout = number(l.arg, "bad --timeout") ; if (!timeout || timeout > 86400) dieconf("bad --timeout", l.arg) ; break ;
      case 'C' : conntimeout = number(l.arg, "bad --connect-timeout") ; if (!conntimeout || conntimeout > 86400) dieconf("bad --connect-timeout", l.arg) ; break ;
      case 'e' :
        if (!strcmp(l.arg, "tempfail") || !strcmp(l.arg, "accept") || !strcmp(l.arg, "reject")) onerror = l.arg[0] ;
        else dieconf("--on-error is tempfail, accept or reject, not", l.arg) ;
        break ;
      default : dieconf("bad option", argv[l.ind - 1]) ;
    }
  }
  if (!spammaxsize) spammaxsize = maxsize ;
  return l.ind ;
}


 /* What we add on top of the message */

static stralloc add = STRALLOC_ZERO ;
static int rewrite = 0 ;
static int spamsubject = 0 ;

static void nomem (void) { dcr_filter_fail("allocate") ; }

static void addcats (char const *s) { if (!stralloc_cats(&add, s)) nomem() ; }

static void skipped (scanner const *x, char const *reason)
{
  addcats("X-DCR-Scan: skipped ") ; addcats(reason) ;
  addcats(x->kind == 's' ? " (spamd)\n" : " (clamd)\n") ;
  rewrite = 1 ;
}

/* X-Spam-Status: Yes, score=15.0 required=5.0 tests=A,B,C (folded) */
static void spamheaders (int yes, long sc, long req, stralloc const *sym)
{
  char a[SCAN_TENTHS_FMT], b[SCAN_TENTHS_FMT] ;
  size_t line, col, i = 0 ;
  scan_tenths_fmt(a, sc) ; scan_tenths_fmt(b, req) ;
  if (yes) addcats("X-Spam-Flag: YES\n") ;
  line = add.len ;
  addcats("X-Spam-Status: ") ; addcats(yes ? "Yes" : "No") ;
  addcats(", score=") ; addcats(a) ; addcats(" required=") ; addcats(b) ;
  if (!spamopts.check)
  {
    addcats(" tests=") ;
    col = add.len - line ;
    if (!sym->len) addcats("none") ;
    while (i < sym->len)
    {
      char const *c = memchr(sym->s + i, ',', sym->len - i) ;
      size_t n = c ? (size_t)(c - sym->s - i) + 1 : sym->len - i ;
      if (col + n > 76 && col > 1) { addcats("\n\t") ; col = 1 ; }
      if (!stralloc_catb(&add, sym->s + i, n)) nomem() ;
      col += n ; i += n ;
    }
  }
  addcats("\nX-Spam-Score: ") ; addcats(a) ; addcats("\n") ;
  rewrite = 1 ;
}


 /* One scanner */

static void milliseconds (tain const *start, char *ms)
{
  tain d ;
  tain_now_g() ;
  tain_sub(&d, &STAMP, start) ;
  ms[uint_fmt(ms, (unsigned int)tain_to_millisecs(&d))] = 0 ;
}

static void scanerror (scanner const *x, scan_result const *r, char const *ms)
{
  static char const *const action[] = { "tempfail", "accept", "reject" } ;
  char const *kind = x->kind == 's' ? "spamd" : "clamd" ;
  dcr_log("event", "scan-error", "id", id, "scanner", kind, "addr", x->name, "reason", r->reason,
    "error", r->text, "action", action[onerror == 't' ? 0 : onerror == 'a' ? 1 : 2], "ms", ms, (char *)0) ;
  if (onerror == 't') dcr_filter_refuse(111, x->kind == 's' ? "4.7.1 spam scanner unavailable" : "4.7.1 virus scanner unavailable") ;
  if (onerror == 'r') dcr_filter_refuse(100, x->kind == 's' ? "5.7.1 spam scanner unavailable" : "5.7.1 virus scanner unavailable") ;
  skipped(x, r->reason) ;
}

static void clamd (scanner const *x, scan_result *r, char const *ms)
{
  if (r->status == SCAN_OK)
  {
    dcr_log("event", "scan", "id", id, "scanner", "clamd", "addr", x->name, "result", "clean", "ms", ms, (char *)0) ;
    return ;
  }
  dcr_log("event", "scan", "id", id, "scanner", "clamd", "addr", x->name, "result", "virus",
    "signature", r->text, "action", virustag ? "tag" : "reject", "ms", ms, (char *)0) ;
  if (!virustag)
  {
    stralloc sa = STRALLOC_ZERO ;
    if (!stralloc_cats(&sa, "5.7.1 message contains a virus (") || !stralloc_cats(&sa, r->text)
     || !stralloc_cats(&sa, ")") || !stralloc_0(&sa)) nomem() ;
    dcr_filter_refuse(100, sa.s) ;
  }
  addcats("X-Virus-Status: Infected (") ; addcats(r->text) ; addcats(")\n") ;
  rewrite = 1 ;
}

static void spamd (scanner const *x, scan_result *r, char const *ms)
{
  long tag = hastag ? spamtag : r->required ;
  char a[SCAN_TENTHS_FMT], b[SCAN_TENTHS_FMT] ;
  int rej = hasreject && r->score >= spamreject ;
  int yes = r->score >= tag ;
  scan_tenths_fmt(a, r->score) ; scan_tenths_fmt(b, tag) ;
  if (!stralloc_0(&r->symbols)) nomem() ;
  r->symbols.len-- ;
  dcr_log("event", "scan", "id", id, "scanner", "spamd", "addr", x->name, "score", a, "required", b,
    "result", rej ? "reject" : yes ? "tag" : "ham", "tests", r->symbols.s, "ms", ms, (char *)0) ;
  if (rej)
  {
    stralloc sa = STRALLOC_ZERO ;
    if (!stralloc_cats(&sa, "5.7.1 message looks like spam (score ") || !stralloc_cats(&sa, a)
     || !stralloc_cats(&sa, ")") || !stralloc_0(&sa)) nomem() ;
    dcr_filter_refuse(100, sa.s) ;
  }
  spamheaders(yes, r->score, tag, &r->symbols) ;
  if (yes && subject) spamsubject = 1 ;
}

static void scan (scanner const *x, uint64_t size)
{
  static scan_result r = { .symbols = STRALLOC_ZERO } ;
  uint64_t max = x->kind == 's' ? spammaxsize : maxsize ;
  tain start, conn, deadline ;
  char ms[UINT_FMT] ;
  if (size > max)
  {
    char s[UINT64_FMT], m[UINT64_FMT] ;
    s[uint64_fmt(s, size)] = 0 ; m[uint64_fmt(m, max)] = 0 ;
    dcr_log("event", "scan-skip", "id", id, "scanner", x->kind == 's' ? "spamd" : "clamd", "addr", x->name,
      "reason", "size", "size", s, "max", m, (char *)0) ;
    skipped(x, "size") ;
    return ;
  }
  tain_now_g() ;
  start = STAMP ;
  tain_addsec_g(&conn, conntimeout) ;
  tain_addsec_g(&deadline, timeout) ;
  r.status = SCAN_ERROR ; r.reason = "io" ; r.text[0] = 0 ;
  if (x->kind == 's') scan_spamd(&x->addr, &spamopts, 0, &conn, &deadline, &r) ;
  else scan_clamd(&x->addr, 0, &conn, &deadline, &r) ;
  milliseconds(&start, ms) ;
  if (r.status == SCAN_ERROR) scanerror(x, &r, ms) ;
  else if (x->kind == 's') spamd(x, &r, ms) ;
  else clamd(x, &r, ms) ;
}

int main (int argc, char const *const *argv)
{
  struct stat st ;
  int fd = -1 ;
  PROG = "dcr-scan" ;
  checklong(argc, argv) ;
  argv = dcr_longopts(&argc, argv, longopts, SHORTOPTS, USAGE) ;
  argv += options(argc, argv) ;
  if (!*argv) dieconf("no program to run after the filter", 0) ;
  if (!nscanners) dieconf("no scanner: give --spamd or --clamd", 0) ;
  id = getenv("DCR_ID") ;
  if (!id) id = "" ;
  tain_now_set_stopwatch_g() ;

  if (fstat(0, &st) < 0) dcr_filter_fail("stat the message") ;
  if (lseek(0, 0, SEEK_SET) < 0) dcr_filter_fail("rewind the message (stdin must be a seekable file)") ;
  for (unsigned int i = 0 ; i < nscanners ; i++) scan(scanners + i, (uint64_t)st.st_size) ;

  if (rewrite) fd = scan_tag(0, add.s, add.len, spamsubject ? subject : 0) ;
  dcr_filter_next(argv, fd) ;
}
