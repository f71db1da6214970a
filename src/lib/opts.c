/* ISC license. */

#include <string.h>
#include <stdlib.h>

#include <skalibs/strerr.h>

#include <dcr/opts.h>

static dcr_longopt const *lookup (dcr_longopt const *t, char const *name, size_t len)
{
  for (; t->name ; t++)
    if (strlen(t->name) == len && !memcmp(t->name, name, len)) return t ;
  return 0 ;
}

/* does the cluster "-abc" end with a letter that takes a value in the next word? */
static int wants_next (char const *a, char const *shortopts)
{
  for (a++ ; *a ; a++)
  {
    char const *p = strchr(shortopts, *a) ;
    if (p && *a != ':' && p[1] == ':') return !a[1] ;   /* the rest of the word, or the next one, is its value */
  }
  return 0 ;
}

void (*dcr_longopts_usage) (char const *) = 0 ;

static void dieusage (char const *usage)
{
  if (dcr_longopts_usage) (*dcr_longopts_usage)(usage) ;
  strerr_dieusage(100, usage) ;
}

char const **dcr_longopts (int *argcp, char const *const *argv, dcr_longopt const *table, char const *shortopts, char const *usage)
{
  int argc = *argcp ;
  /* at most two output words per input word, plus the terminator */
  char const **out = malloc((2 * (size_t)argc + 1) * sizeof(char const *)) ;
  char *letters = malloc(3 * (size_t)argc + 1) ;
  int i = 0, j = 0, used = 0 ;
  if (!out || !letters) strerr_diefu1sys(111, "allocate argv") ;
  if (argc) out[j++] = argv[i++] ;
  while (i < argc)
  {
    char const *a = argv[i] ;
    if (a[0] != '-' || !a[1]) break ;
    if (a[1] != '-')
    {
      /* "-x value": the next word is x's value, not the end of the options */
      int takes = wants_next(a, shortopts) ;
      out[j++] = argv[i++] ;
      if (takes && i < argc) out[j++] = argv[i++] ;
      continue ;
    }
    if (!a[2]) break ;                      /* "--": the rest is not ours */
    {
      char const *eq = strchr(a + 2, '=') ;
      size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2) ;
      dcr_longopt const *o = lookup(table, a + 2, len) ;
      char *flag = letters + 3 * i ;
      if (!o) dieusage(usage) ;
      used = 1 ;
      flag[0] = '-' ; flag[1] = o->letter ; flag[2] = 0 ;
      out[j++] = flag ;
      i++ ;
      if (o->hasarg)
      {
        if (eq) out[j++] = eq + 1 ;
        else if (i < argc) out[j++] = argv[i++] ;
        else dieusage(usage) ;
      }
      else if (eq) dieusage(usage) ;
    }
  }
  /* "--" is kept so subgetopt stops there too */
  while (i < argc) out[j++] = argv[i++] ;
  out[j] = 0 ;
  *argcp = j ;
  if (!used) free(letters) ;   /* else the new argv points into it */
  return out ;
}
