/* ISC license. */

#include <string.h>

#include <dcr/verdict.h>

int dcr_verdict_parse (char *s, dcr_verdict *v)
{
  char *f[4] ;
  unsigned int n = 1 ;
  f[0] = s ;
  for (char *p = s ; *p ; p++)
  {
    if ((unsigned char)*p < 32 && *p != '\t') return 0 ;
    if (*p == '\t' && n < 4) { *p = 0 ; f[n++] = p + 1 ; }
  }
  if (!f[0][0]) return 0 ;
  v->id = f[0] ;
  if (n == 2) return strcmp(f[1], "done") ? 0 : DCR_VERDICT_DONE ;
  if (n != 4 || !f[1][0] || !f[2][0] || f[2][1] || !strchr("DTP", f[2][0])) return 0 ;
  for (unsigned int i = 0 ; i < 3 ; i++) if (f[3][i] < '0' || f[3][i] > '9') return 0 ;
  if (f[3][3] && f[3][3] != ' ') return 0 ;
  v->rcpt = f[1] ;
  v->code = f[2][0] ;
  v->reply = f[3] ;
  return DCR_VERDICT_RCPT ;
}
