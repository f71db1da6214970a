/* ISC license. */

#include <string.h>
#include <strings.h>

#include "sasl.h"

/* "user=U^Aauth=Bearer T^A^A" (XOAUTH2) or "n,a=U,^A...auth=Bearer T^A^A"
   (OAUTHBEARER, with =2C and =3D in U): user and token, in place */
int smtpd_sasl_oauth (char *x, size_t len, int bearer, char **user, size_t *ulen, char **token, size_t *tlen)
{
  size_t i = 0 ;
  *user = *token = 0 ;
  if (bearer)
  {
    /* the GS2 header: "n," or "y,", then "a=NAME" (required here), "," */
    size_t j ;
    if (len < 5 || (x[0] != 'n' && x[0] != 'y') || x[1] != ',' || x[2] != 'a' || x[3] != '=') return 0 ;
    i = 4 ; j = 0 ;
    *user = x + 4 ;
    for (; i < len && x[i] != ',' ; i++)
    {
      if (x[i] == '=' && i + 2 < len && x[i+1] == '2' && x[i+2] == 'C') { (*user)[j++] = ',' ; i += 2 ; }
      else if (x[i] == '=' && i + 2 < len && x[i+1] == '3' && x[i+2] == 'D') { (*user)[j++] = '=' ; i += 2 ; }
      else if (x[i] == '=') return 0 ;
      else (*user)[j++] = x[i] ;
    }
    if (i >= len) return 0 ;
    *ulen = j ;
    i++ ;
    if (i >= len || x[i] != 1) return 0 ;
    i++ ;
  }
  while (i < len)
  {
    char *f = x + i ;
    size_t n = 0 ;
    while (i < len && x[i] != 1) { i++ ; n++ ; }
    if (i >= len) return 0 ;   /* every field ends with ^A */
    i++ ;
    if (!n) break ;   /* the final ^A */
    if (!bearer && n > 5 && !memcmp(f, "user=", 5)) { *user = f + 5 ; *ulen = n - 5 ; }
    else if (n > 12 && !strncasecmp(f, "auth=Bearer ", 12)) { *token = f + 12 ; *tlen = n - 12 ; }
  }
  return *user && *token && *ulen ;
}

