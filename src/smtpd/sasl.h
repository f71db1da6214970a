/* ISC license. */
#ifndef DCR_SMTPD_SASL_H
#define DCR_SMTPD_SASL_H

#include <stddef.h>

/* The decoded initial response of XOAUTH2 (bearer = 0):
     "user=U^Aauth=Bearer T^A^A"
   or of OAUTHBEARER (RFC 7628, bearer = 1):
     "n,a=U,^A[key=value^A...]auth=Bearer T^A^A"  (=2C and =3D in U)
   user and token point into x, which is rewritten in place (U's
   escapes). 1 if both were found, 0 if malformed. */
extern int smtpd_sasl_oauth (char *x, size_t len, int bearer, char **user, size_t *ulen, char **token, size_t *tlen) ;

#endif
