/* ISC license. */

/* dcr-when CONDITION... { FILTER... } NEXT...
   Runs a filter on some mail only: when every condition holds, execs
   FILTER... NEXT... (the filter execs NEXT in its turn, contract 3);
   otherwise execs NEXT... directly. Blocks nest: the block ends at the
   '}' that matches its '{'. Under execlineb (dcr-setup's run scripts)
   the braces are execline's own: it passes the block's words with a
   leading space and ends it with an empty word, and that form is read
   too. The message is only read (its header, when a condition is on
   from-domain), then rewound. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include <dcr/cond.h>
#include <dcr/filter.h>
#include <dcr/header.h>
#include <dcr/log.h>

#define USAGE "dcr-when condition... { filter... } prog..."
#define dieusage() dcr_filter_usage(USAGE)

/* a bad command line defers the mail (4.3.5, 111), never bounces it */
static void bad (char const *a, char const *b, char const *c)
{
  dcr_filter_say("4.3.5 dcr-when: bad command line") ;
  strerr_dief3x(111, a, b, c) ;
}

static void nomem (void) { dcr_filter_fail("allocate") ; }

/* the From: domain of the message on stdin, or NULL */
static char const *from_domain (stralloc *sa)
{
  stralloc hdr = STRALLOC_ZERO ;
  char ibuf[16384] ;
  buffer in = BUFFER_INIT(&buffer_read, 0, ibuf, sizeof(ibuf)) ;
  int r = dcr_header_load(&in, &hdr, DCR_HEADER_MAX) ;
  if (r < 0) dcr_filter_fail("read the message") ;
  if (!r) return 0 ;   /* an oversized header has no From: we trust */
  r = dcr_from_domain(hdr.s, hdr.len, sa) ;
  if (r < 0) nomem() ;
  stralloc_free(&hdr) ;
  return r ? sa->s : 0 ;
}

int main (int argc, char const *const *argv)
{
  genalloc conds = GENALLOC_ZERO ;   /* dcr_cond */
  stralloc pats = STRALLOC_ZERO, from = STRALLOC_ZERO ;
  dcr_cond_msg m ;
  int i = 1, block, depth, needs_from = 0, yes = 1 ;
  char const **av ;
  PROG = "dcr-when" ;
  for (; i < argc && strcmp(argv[i], "{") && argv[i][0] != ' ' && argv[i][0] ; i++)
  {
    dcr_cond c ;
    char const *why = "" ;
    int r = dcr_cond_scan(argv[i], &c, &pats, &why) ;
    if (!r) bad("not a condition: ", argv[i], " (sender=, sender-domain=, from-domain=, rcpt=, rcpt-domain=, ip=, auth=)") ;
    if (r < 0) bad(argv[i], ": ", why) ;
    if (c.key == DCR_COND_FROM_DOMAIN) needs_from = 1 ;
    if (!genalloc_append(dcr_cond, &conds, &c)) nomem() ;
  }
  if (i == 1 || i >= argc) dieusage() ;
  if (!strcmp(argv[i], "{"))
  {
    block = ++i ;
    for (depth = 1 ; i < argc ; i++)
    {
      if (!strcmp(argv[i], "{")) depth++ ;
      else if (!strcmp(argv[i], "}") && !--depth) break ;
    }
    if (i >= argc) bad("no '}' ends the block", "", "") ;
  }
  else
  {   /* execline's block: " word"... then "" */
    block = i ;
    for (; i < argc && argv[i][0] ; i++)
    {
      if (argv[i][0] != ' ') bad("not in the block: ", argv[i], " (an execline block is ended by an empty word)") ;
      ((char const **)argv)[i] = argv[i] + 1 ;   /* one level of quoting off */
    }
    if (i >= argc) bad("no empty word ends the execline block", "", "") ;
  }
  if (i == block) bad("an empty block", "", "") ;
  if (i + 1 >= argc) dieusage() ;

  dcr_cond_msg_env(&m) ;
  if (needs_from) m.from_domain = from_domain(&from) ;
  for (size_t k = 0 ; yes && k < genalloc_len(dcr_cond, &conds) ; k++)
    yes = dcr_cond_match(genalloc_s(dcr_cond, &conds) + k, pats.s, &m) ;
  if (!yes) dcr_filter_next(argv + i + 1, -1) ;

  /* FILTER... NEXT...: the block without its braces, then the rest */
  av = (char const **)argv + 1 ;
  {
    int n = 0 ;
    for (int k = block ; k < i ; k++) av[n++] = argv[k] ;
    for (int k = i + 1 ; k <= argc ; k++) av[n++] = argv[k] ;   /* with the NULL */
  }
  dcr_filter_next(av, -1) ;
}
