/* ISC license. */
#ifndef DCR_OPTS_H
#define DCR_OPTS_H

/* Long options for programs parsed with skalibs' subgetopt: each long
   name maps to a short letter. dcr_longopts returns a new argv where
   "--name=value" and "--name value" became "-x value", and "--flag"
   became "-x". Translation stops at the first argument that is not an
   option, or after "--", so a chained command line is never touched.
   An unknown long option makes it die with usage (exit 100). */

typedef struct dcr_longopt_s dcr_longopt ;
struct dcr_longopt_s
{
  char const *name ;
  char letter ;
  int hasarg ;
} ;

/* *argc is updated: "--name=value" makes two words of one. */
/* shortopts: the subgetopt option string ("c:d:v"), so that the value
   of a short option ("-d 3") is not taken for the end of the options. */
extern char const **dcr_longopts (int *argc, char const *const *argv, dcr_longopt const *table, char const *shortopts, char const *usage) ;

/* What a usage error does, when set (the filters: a temporary refusal,
   dcr_filter_usage, so that a typo in a chain never bounces mail); by
   default usage on stderr and exit 100. It must not return. */
extern void (*dcr_longopts_usage) (char const *usage) ;

#endif
