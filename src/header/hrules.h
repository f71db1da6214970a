/* ISC license. */
#ifndef DCR_HRULES_H
#define DCR_HRULES_H

#include <regex.h>
#include <stddef.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include <dcr/cond.h>

/* dcr-header's rules (doc/dcr-header.md): one per line,
     [CONDITION...] add NAME: VALUE
     [CONDITION...] prepend NAME: VALUE
     [CONDITION...] set NAME: VALUE
     [CONDITION...] remove NAME [matching REGEX]
   NAME may end in '*' for remove (every field whose name starts so). */

enum hrule_action_e { HR_ADD, HR_PREPEND, HR_SET, HR_REMOVE } ;

typedef struct hrule_s hrule ;
struct hrule_s
{
  unsigned char action ;
  unsigned char prefix ;   /* remove NAME*: a name prefix */
  unsigned char hasre ;
  unsigned int line ;
  size_t cond0, ncond ;    /* in hrules.conds */
  size_t name, namelen ;   /* in hrules.text */
  size_t value ;           /* in hrules.text, NUL-terminated */
  regex_t re ;
} ;

typedef struct hrules_s hrules ;
struct hrules_s
{
  genalloc rules ;   /* hrule */
  genalloc conds ;   /* dcr_cond */
  stralloc pats ;    /* the conditions' patterns */
  stralloc text ;    /* names and values */
  int needs_from ;   /* some condition is on from-domain */
} ;
#define HRULES_ZERO { GENALLOC_ZERO, GENALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO, 0 }

/* Parse a rules file's text. 1: ok. 0: an error on *line, *why says
   what (a static string). -1: out of memory. */
extern int hrules_parse (hrules *, char const *s, size_t len, unsigned int *line, char const **why) ;
extern void hrules_free (hrules *) ;

#endif
