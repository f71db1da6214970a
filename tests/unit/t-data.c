/* ISC license. */
/* t-data: the DATA / BDAT state machine, with every smuggling sequence,
   fed whole, split at every octet boundary, and octet by octet. */

#include <string.h>
#include <stdlib.h>

#include "../../src/smtpd/data.h"
#include "tap.h"

typedef struct result_s { char out[8192] ; size_t outlen ; size_t used ; dcr_data d ; } result ;

/* feed s through the machine in pieces cut at cut1 and then every
   chunk octets; stop at the end of DATA like the session does */
static void run (char const *s, size_t n, size_t cut, size_t chunk, unsigned long long max, int bdat, result *r)
{
  size_t i = 0 ;
  dcr_data_init(&r->d, max, bdat) ;
  r->outlen = 0 ;
  while (i < n && !r->d.end)
  {
    size_t k = i < cut ? cut - i : chunk ;
    size_t w, used ;
    if (k > n - i) k = n - i ;
    used = dcr_data_feed(&r->d, s + i, k, r->out + r->outlen, &w) ;
    if (w > k) { printf("# output longer than input\n") ; exit(1) ; }
    r->outlen += w ;
    i += used ;
    if (used < k && !r->d.end) { printf("# consumed less without end\n") ; exit(1) ; }
  }
  r->used = i ;
  r->out[r->outlen] = 0 ;
  if (bdat) dcr_data_finish(&r->d) ;
}

/* the same result whatever the split */
static int same (char const *s, size_t n, unsigned long long max, int bdat, result *ref)
{
  static result r ;
  size_t cut, chunk ;
  run(s, n, 0, n ? n : 1, max, bdat, ref) ;
  for (chunk = 1 ; chunk <= 3 ; chunk++)
    for (cut = 0 ; cut <= n ; cut++)
    {
      run(s, n, cut, chunk, max, bdat, &r) ;
      if (r.used != ref->used || r.d.end != ref->d.end || r.d.bare != ref->d.bare
       || r.d.toobig != ref->d.toobig || r.d.received != ref->d.received
       || ((!r.d.bare && !r.d.toobig) && (r.outlen != ref->outlen || memcmp(r.out, ref->out, r.outlen))))
      {
        printf("# differs at cut %zu chunk %zu\n", cut, chunk) ;
        return 0 ;
      }
    }
  return 1 ;
}

#define MAX 1000000ULL

/* DATA: the message must end exactly after the last ".\r\n" of s
   (consumed == n - tail), output and bare as given */
static void data (char const *s, size_t n, size_t tail, char const *out, int bare, char const *name)
{
  result r ;
  int good = same(s, n, MAX, 0, &r) ;
  good = good && r.d.end && r.used == n - tail && r.d.bare == bare ;
  if (good && out) good = r.outlen == strlen(out) && !memcmp(r.out, out, r.outlen) ;
  if (!good) printf("# end %d used %zu bare %d out '%s'\n", r.d.end, r.used, r.d.bare, r.out) ;
  ok(good, "%s", name) ;
}
#define DATA(s, tail, out, bare, name) data(s, sizeof(s) - 1, tail, out, bare, name)

int main (void)
{
  result r ;

  DATA("hello\r\n.\r\n", 0, "hello\n", 0, "simple message") ;
  DATA(".\r\n", 0, "", 0, "empty message") ;
  DATA("\r\n.\r\n", 0, "\n", 0, "one empty line") ;
  DATA("..dot\r\n.\r\n", 0, ".dot\n", 0, "dot-unstuffing") ;
  DATA(".x\r\n.\r\n", 0, "x\n", 0, "a leading dot is always removed") ;
  DATA("...\r\n.\r\n", 0, "..\n", 0, "three dots give two") ;
  DATA("a\r\n.\r\nMAIL FROM:<x@y>\r\n", 17, "a\n", 0, "pipelined command after the end is left") ;
  DATA("a.\r\n.\r\n", 0, "a.\n", 0, "dot inside a line is data") ;
  DATA("a\r\n. \r\n.\r\n", 0, "a\n \n", 0, "dot space is not the end") ;

  /* smuggling: none of these ends the data or starts a second message */
  DATA("a\n.\nMAIL FROM:<s@x>\r\n.\r\n", 0, 0, 1, "\\n.\\n does not end the data") ;
  DATA("a\n.\r\nMAIL FROM:<s@x>\r\n.\r\n", 0, 0, 1, "\\n.\\r\\n does not end the data") ;
  DATA("a\r\n.\nMAIL FROM:<s@x>\r\n.\r\n", 0, 0, 1, "\\r\\n.\\n does not end the data") ;
  DATA("a\r.\r\nMAIL FROM:<s@x>\r\n.\r\n", 0, 0, 1, "\\r.\\r\\n does not end the data") ;
  DATA("a\r\n.\r\r\nMAIL FROM:<s@x>\r\n.\r\n", 0, 0, 1, "\\r\\n.\\r\\r\\n does not end the data") ;
  DATA("\n.\r\n.\r\n", 0, 0, 1, "bare LF first, then the real end") ;
  DATA("a\rb\r\n.\r\n", 0, 0, 1, "bare CR in a line") ;
  DATA("a\nb\r\n.\r\n", 0, 0, 1, "bare LF in a line") ;
  DATA("a\r\r\n.\r\n", 0, 0, 1, "CR CR LF") ;
  DATA("a\r\n\r.\r\n.\r\n", 0, 0, 1, "CR at the start of a line") ;

  /* partial input: not the end */
  run("a\r\n.\r", 5, 0, 5, MAX, 0, &r) ;
  ok(!r.d.end && r.used == 5 && !r.d.bare, "\\r\\n.\\r is not yet the end") ;
  run("a\r\n.", 4, 0, 4, MAX, 0, &r) ;
  ok(!r.d.end && !r.d.bare, "\\r\\n. is not yet the end") ;

  /* size */
  ok(same("0123456789\r\n.\r\n", 15, 10, 0, &r) && r.d.end && r.d.toobig && r.d.size == 11, "over the limit: toobig, still read to the end") ;
  ok(same("012345678\r\n.\r\n", 14, 10, 0, &r) && r.d.end && !r.d.toobig && r.outlen == 10, "exactly the limit (internal form) fits") ;

  /* Received fields */
  {
    static char const m[] = "Received: a\r\nreceived: b\r\n\tReceived: folded\r\nX-Received: no\r\nRECEIVED:c\r\n\r\nReceived: body\r\n.\r\n" ;
    ok(same(m, sizeof(m) - 1, MAX, 0, &r) && r.d.received == 3, "Received: counted in the header only (%u)", r.d.received) ;
  }

  /* BDAT */
  ok(same("a\r\nb", 4, MAX, 1, &r) && !r.d.bare && !r.d.end && !strcmp(r.out, "a\nb"), "BDAT: CRLF across chunk splits") ;
  ok(same("..x\r\n.\r\n", 8, MAX, 1, &r) && !r.d.end && !strcmp(r.out, "..x\n.\n"), "BDAT: no dot handling, no end") ;
  ok(same("a\r", 2, MAX, 1, &r) && r.d.bare, "BDAT: CR at the very end is bare") ;
  ok(same("a\rb", 3, MAX, 1, &r) && r.d.bare, "BDAT: bare CR") ;
  ok(same("a\nb", 3, MAX, 1, &r) && r.d.bare, "BDAT: bare LF") ;
  ok(same("0123456789\r\n", 12, 10, 1, &r) && r.d.toobig, "BDAT: size limit") ;

  /* hostile: every byte value, random junk: never more output than input */
  {
    static char junk[4096] ;
    unsigned int seed = 1, i, round ;
    for (round = 0 ; round < 200 ; round++)
    {
      for (i = 0 ; i < sizeof(junk) ; i++)
      {
        seed = seed * 1103515245 + 12345 ;
        junk[i] = "\r\n.a"[(seed >> 16) & 3] ;
      }
      run(junk, sizeof(junk), round, 1 + round % 7, MAX, round & 1, &r) ;
    }
    ok(1, "random CR/LF/dot soup: no crash") ;
  }
  return done_testing() ;
}
