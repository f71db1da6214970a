/* ISC license. */

/* dcr-mimecheck: a MIME policy filter in the message chain (contract
   3). One pass over the message with the streaming parser of
   src/lib/mime.c: blocked file extensions (also inside zip archives),
   blocked content types, words and regular expressions in the decoded
   text; each rule rejects, tags, or removes the part. The message is
   written anew only when something was tagged or removed. */

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include <dcr/filter.h>
#include <dcr/mime.h>

#include "mimecheck.h"

#define USAGE "dcr-mimecheck -f rulesfile prog..."


static void load_rules (rules *r, char const *file)
{
  stralloc sa = STRALLOC_ZERO ;
  unsigned int line = 0 ;
  char const *why = "" ;
  char errbuf[256] ;
  int t ;
  if (!openslurpclose(&sa, file))
  {
    int e = errno ;
    dcr_filter_say("4.3.5 dcr-mimecheck: configuration error") ;
    errno = e ;
    strerr_diefu2sys(111, "read ", file) ;
  }
  t = rules_parse(r, sa.s, sa.len, &line, &why, errbuf, sizeof errbuf) ;
  if (t < 0) dcr_filter_fail("allocate") ;
  if (!t) dcr_filter_badconf(file, line, why) ;
  stralloc_free(&sa) ;
}

/* the message through the parser, once */
static void parse (dcr_mime *p)
{
  char buf[65536] ;
  buffer in = BUFFER_INIT(&buffer_read, 0, buf, sizeof buf) ;
  for (;;)
  {
    struct iovec v[2] ;
    ssize_t r = buffer_fill(&in) ;
    if (r < 0) dcr_filter_fail("read the message") ;
    buffer_rpeek(&in, v) ;
    if (!v[0].iov_len && !v[1].iov_len) break ;
    if (!dcr_mime_feed(p, v[0].iov_base, v[0].iov_len) || !dcr_mime_feed(p, v[1].iov_base, v[1].iov_len)) return ;
    buffer_rseek(&in, v[0].iov_len + v[1].iov_len) ;
  }
  dcr_mime_finish(p) ;
}

int main (int argc, char const *const *argv)
{
  static rules r = { .text = STRALLOC_ZERO, .list = GENALLOC_ZERO } ;
  static policy po ;
  dcr_mime p ;
  char const *file = 0, *id = getenv("DCR_ID") ;
  PROG = "dcr-mimecheck" ;
  argv = dcr_filter_fileopt(argc, argv, "rules", USAGE, &file) ;
  load_rules(&r, file) ;

  policy_init(&po, &r, id ? id : "") ;
  if (!dcr_mime_init(&p, &r.lim, &policy_events, &po)) dcr_filter_fail("allocate") ;
  parse(&p) ;
  policy_finish(&po, &p) ;   /* limits, malformed MIME */
  dcr_filter_next(argv, po.tags.len || genalloc_len(removal, &po.removals) ? rewrite(&po) : -1) ;
}
