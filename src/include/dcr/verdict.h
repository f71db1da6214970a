/* ISC license. */
#ifndef DCR_VERDICT_H
#define DCR_VERDICT_H

/* A line an agent writes to the runner (doc/agents.md):
     ID <TAB> rcpt <TAB> D|T|P <TAB> reply      a verdict
     ID <TAB> done                              the end of the job
   dcr_verdict_parse cuts the line in place (NULs over the TABs) and
   returns DCR_VERDICT_RCPT or DCR_VERDICT_DONE, or 0 when the line is
   neither (a field missing or empty, a code other than D T P, a reply
   without its three digits, a control character). */

#define DCR_VERDICT_RCPT 1
#define DCR_VERDICT_DONE 2

typedef struct dcr_verdict_s dcr_verdict ;
struct dcr_verdict_s
{
  char *id ;
  char *rcpt ;
  char code ;       /* 'D', 'T', 'P' */
  char *reply ;
} ;

extern int dcr_verdict_parse (char *line, dcr_verdict *v) ;

#endif
