/* ISC license. */
/* Long options onto subgetopt (src/lib/opts.c): "--name value",
   "--name=value", flags, mixed with short options and their values;
   translation stops at the first word that is not an option or value,
   so a chained command line is left alone. */

#include <string.h>

#include <skalibs/strerr.h>

#include <dcr/opts.h>
#include "tap.h"

static dcr_longopt const table[] = { { "remote", 'r', 1 }, { "verbose", 'v', 0 }, { 0, 0, 0 } } ;

/* the new argv lives as long as the program, as in the programs: kept
   here so that LeakSanitizer sees it reachable */
static char const **kept[16] ;
static unsigned int nkept = 0 ;

static char const *joined (int n, char const *const *in)
{
  static char buf[512] ;
  int argc = n ;
  char const **out = dcr_longopts(&argc, in, table, "c:d:r:v", "usage") ;
  kept[nkept++] = out ;
  buf[0] = 0 ;
  for (int i = 0 ; i < argc ; i++) { if (i) strcat(buf, " ") ; strcat(buf, out[i]) ; }
  return buf ;
}

int main (void)
{
  PROG = "t-opts" ;
  {
    char const *a[] = { "p", "-d", "3", "-c", "conf", "--remote", "X", "q", 0 } ;
    is_str(joined(8, a), "p -d 3 -c conf -r X q", "long option after short ones with values") ;
  }
  {
    char const *a[] = { "p", "--remote=X", "-d3", "--verbose", "q", 0 } ;
    is_str(joined(5, a), "p -r X -d3 -v q", "--name=value, a glued short value, a flag") ;
  }
  {
    char const *a[] = { "p", "-vd", "3", "--remote", "X", "q", 0 } ;
    is_str(joined(6, a), "p -vd 3 -r X q", "a cluster ending with an option that takes a value") ;
  }
  {
    char const *a[] = { "p", "-c", "conf", "prog", "--remote", "Y", 0 } ;
    is_str(joined(6, a), "p -c conf prog --remote Y", "a chained command line is not touched") ;
  }
  {
    char const *a[] = { "p", "-v", "prog", "--verbose", 0 } ;
    is_str(joined(4, a), "p -v prog --verbose", "a flag does not swallow the next word") ;
  }
  {
    char const *a[] = { "p", "--", "--remote", "Z", 0 } ;
    is_str(joined(4, a), "p -- --remote Z", "-- ends the options") ;
  }
  return done_testing() ;
}
