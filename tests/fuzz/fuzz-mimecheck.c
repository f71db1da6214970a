/* ISC license. */
/* libFuzzer target: dcr-mimecheck's rules file (src/mime/rules.c), its
   checks on the parser's events (policy.c, hit.c) and the new message
   (rewrite.c). The input is a rules file, a NUL, then a message; without
   a NUL, all of it is the message, checked by a rule of every kind and
   action (DEFAULT). Besides not crashing:
   - a broken rules file names a line that exists, with a reason;
   - a refusal is one line of printable ASCII with an enhanced code, and
     no longer than a reply line may be with the default rules;
   - the tag header's value is printable ASCII, one line;
   - every removal lies in the message, in order; the new message is
     exactly the tag line, then the message with each removed part
     replaced, as computed here in memory.
   filter.c and log.c are left out of this target (package/targets.mak,
   fuzz-mimecheck_OMIT): a refusal here returns to the target instead of
   exiting, a temporary file is a memory file, and log lines are checked
   but not written. */

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/filter.h>
#include <dcr/log.h>
#include <dcr/mime.h>

#include "../../src/mime/mimecheck.h"

static char const DEFAULT[] =
  "set zip-max 65536\n"
  "set max-parts 64\n"
  "set max-depth 8\n"
  "reject ext exe,com\n"
  "remove ext scr,bat \"This part was removed.\"\n"
  "tag ext pdf\n"
  "remove type application/x-evil,audio/*\n"
  "tag type image/*\n"
  "reject word viagra \"5.7.0 no thanks\"\n"
  "tag word lottery\n"
  "tag regex fr[e3]{2}.mon(e|3)y\n"
  "remove badzip\n"
  "tag malformed\n" ;
#define DEFAULT_RULES 10

static jmp_buf refused ;
static int usedefault ;

static int printable (char const *s, size_t n)
{
  for (size_t i = 0 ; i < n ; i++)
    if ((unsigned char)s[i] < 32 || (unsigned char)s[i] >= 127) return 0 ;
  return 1 ;
}

void dcr_filter_refuse (int code, char const *reply)
{
  size_t n = strlen(reply) ;
  if (code != 100 || n < 6 || !printable(reply, n)) abort() ;
  if (reply[0] < '2' || reply[0] > '5' || reply[1] != '.') abort() ;
  if (usedefault && n > 500) abort() ;
  longjmp(refused, 1) ;
}

/* nothing here can fail: a memory file, a memory message */
void dcr_filter_fail (char const *what) { abort() ; }

int dcr_filter_tmpfile (void)
{
  int fd = memfd_create("fuzz-mimecheck", 0) ;
  if (fd < 0) abort() ;
  return fd ;
}

/* keys and values are strings, a key is a word */
void dcr_log (char const *key, ...)
{
  va_list ap ;
  va_start(ap, key) ;
  while (key)
  {
    char const *v = va_arg(ap, char const *) ;
    if (!v || !*key || strchr(key, ' ')) abort() ;
    (void)strlen(v) ;
    key = va_arg(ap, char const *) ;
  }
  va_end(ap) ;
}

static unsigned int lines (char const *s, size_t n)
{
  unsigned int k = 0 ;
  for (size_t i = 0 ; i < n ; i++) if (s[i] == '\n') k++ ;
  return k + (n && s[n-1] != '\n') ;
}

/* the new message, made by rewrite.c from the message in a memory file
   on fd 0, against the same made here in memory */
static void check_rewrite (policy const *po, char const *msg, size_t len)
{
  static char const replacement[] = "Content-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\nContent-Transfer-Encoding: 7bit\n\n" ;
  removal const *rm = genalloc_s(removal, &po->removals) ;
  size_t n = genalloc_len(removal, &po->removals) ;
  stralloc want = STRALLOC_ZERO ;
  uint64_t pos = 0 ;
  struct stat st ;
  char *got ;
  int in = memfd_create("fuzz-mimecheck-in", 0), save = dup(0), fd ;

  if (po->tags.len)
  {
    if (!printable(po->tags.s, po->tags.len) || !printable(po->r->tagheader, strlen(po->r->tagheader))) abort() ;
    if (!stralloc_cats(&want, po->r->tagheader) || !stralloc_cats(&want, ": ") || !stralloc_catb(&want, po->tags.s, po->tags.len) || !stralloc_cats(&want, "\n")) abort() ;
  }
  for (size_t i = 0 ; i < n ; i++)
  {
    char const *t = po->texts.s + rm[i].text ;
    if (rm[i].from > rm[i].to || rm[i].to > len || rm[i].text >= po->texts.len) abort() ;
    if (rm[i].from < pos) { if (rm[i].to > pos) abort() ; continue ; }   /* inside the one before */
    if (!stralloc_catb(&want, msg + pos, rm[i].from - pos) || !stralloc_cats(&want, replacement) || !stralloc_cats(&want, t)) abort() ;
    pos = rm[i].to ;
    if (pos >= len || (msg[pos] != '\n' && msg[pos] != '\r')) if (!stralloc_cats(&want, "\n")) abort() ;
  }
  if (!stralloc_catb(&want, msg + pos, len - pos)) abort() ;

  if (in < 0 || save < 0 || (len && write(in, msg, len) != (ssize_t)len) || dup2(in, 0) < 0) abort() ;
  fd = rewrite(po) ;
  if (dup2(save, 0) < 0) abort() ;
  close(save) ; close(in) ;
  if (fstat(fd, &st) < 0 || (size_t)st.st_size != want.len) abort() ;
  got = malloc(want.len + 1) ;
  if (!got || pread(fd, got, want.len, 0) != (ssize_t)want.len || memcmp(got, want.s, want.len)) abort() ;
  free(got) ;
  close(fd) ;
  stralloc_free(&want) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static policy po ;
  char const *s = (char const *)data, *nul = memchr(s, 0, size) ;
  char const *rtext = DEFAULT, *msg = s ;
  size_t rlen = sizeof DEFAULT - 1, mlen = size ;
  rules r = { .text = STRALLOC_ZERO, .list = GENALLOC_ZERO } ;
  unsigned int line = 0 ;
  char const *why = 0 ;
  char errbuf[256] ;
  dcr_mime p ;
  int t ;

  usedefault = !nul ;
  if (nul)
  {
    rtext = s ; rlen = nul - s ;
    msg = nul + 1 ; mlen = size - rlen - 1 ;
    if (rlen > 4096) return 0 ;   /* regcomp of a long pattern is slow, not interesting */
  }
  t = rules_parse(&r, rtext, rlen, &line, &why, errbuf, sizeof errbuf) ;
  if (t < 0) abort() ;
  if (!t)
  {
    if (usedefault || !why || !*why || !line || line > lines(rtext, rlen)) abort() ;
    rules_free(&r) ;
    return 0 ;
  }
  if (usedefault && rules_n(&r) != DEFAULT_RULES) abort() ;
  if (!r.tagheader || !*r.tagheader) abort() ;

  policy_init(&po, &r, "fuzz-id") ;
  if (!dcr_mime_init(&p, &r.lim, &policy_events, &po)) abort() ;
  if (!setjmp(refused))
  {
    /* in two pieces, as the program's 64 KiB reads cut a message */
    size_t h = mlen / 2 ;
    if (dcr_mime_feed(&p, msg, h) && dcr_mime_feed(&p, msg + h, mlen - h)) dcr_mime_finish(&p) ;
    policy_finish(&po, &p) ;
    if (po.tags.len || genalloc_len(removal, &po.removals)) check_rewrite(&po, msg, mlen) ;
  }
  dcr_mime_free(&p) ;
  policy_free(&po) ;
  rules_free(&r) ;
  return 0 ;
}
