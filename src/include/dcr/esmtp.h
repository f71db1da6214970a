/* ISC license. */
#ifndef DCR_ESMTP_H
#define DCR_ESMTP_H

#include <stddef.h>

/* SMTP command verbs and the ESMTP parameters of MAIL and RCPT.
   Pure parsing, no I/O: the session and the fuzz target share it. */

enum dcr_cmd_e
{
  DCR_CMD_UNKNOWN = 0,
  DCR_CMD_EHLO, DCR_CMD_HELO, DCR_CMD_MAIL, DCR_CMD_RCPT, DCR_CMD_DATA,
  DCR_CMD_BDAT, DCR_CMD_RSET, DCR_CMD_NOOP, DCR_CMD_QUIT, DCR_CMD_VRFY,
  DCR_CMD_HELP,
  DCR_CMD_EXPN, DCR_CMD_STARTTLS, DCR_CMD_AUTH, DCR_CMD_TURN, DCR_CMD_ETRN  /* not implemented: 502 */
} ;

/* The verb of a command line (case-insensitive) and, in *arg, the offset
   of its argument: after the verb and one space, or len if none. */
extern int dcr_esmtp_verb (char const *s, size_t len, size_t *arg) ;

/* NOTIFY bits; 0 means NOTIFY was not given */
#define DCR_NOTIFY_NEVER 0x01
#define DCR_NOTIFY_SUCCESS 0x02
#define DCR_NOTIFY_FAILURE 0x04
#define DCR_NOTIFY_DELAY 0x08

#define DCR_ESMTP_ENVIDMAX 100   /* RFC 3461 4.4, as sent (xtext) */
#define DCR_ESMTP_ORCPTMAX 500   /* RFC 3461 4.2, as sent */

enum dcr_body_e { DCR_BODY_NONE = 0, DCR_BODY_7BIT, DCR_BODY_8BITMIME } ;
enum dcr_ret_e { DCR_RET_NONE = 0, DCR_RET_FULL, DCR_RET_HDRS } ;

typedef struct dcr_mailparams_s dcr_mailparams ;
struct dcr_mailparams_s
{
  unsigned long long size ;
  unsigned char hassize ;
  unsigned char body ;        /* dcr_body_e */
  unsigned char smtputf8 ;
  unsigned char ret ;         /* dcr_ret_e */
  unsigned char hasenvid ;
  unsigned char hasauth ;     /* AUTH= given (accepted, ignored: RFC 4954 5) */
  char envid[DCR_ESMTP_ENVIDMAX + 1] ;   /* decoded, NUL-terminated */
} ;

typedef struct dcr_rcptparams_s dcr_rcptparams ;
struct dcr_rcptparams_s
{
  unsigned char notify ;      /* DCR_NOTIFY_* bits */
  unsigned char hasorcpt ;
  char orcpt[DCR_ESMTP_ORCPTMAX + 1] ;   /* "addr-type;decoded", NUL-terminated */
} ;

enum dcr_esmtp_error_e
{
  DCR_ESMTP_OK = 0,
  DCR_ESMTP_ESYNTAX,    /* 501 5.5.4 */
  DCR_ESMTP_EUNKNOWN,   /* 555 5.5.4 unknown parameter */
  DCR_ESMTP_EWRONG,     /* 555 5.5.4 parameter of the other command */
  DCR_ESMTP_EDUP,       /* 501 5.5.4 duplicate */
  DCR_ESMTP_EVALUE,     /* 501 5.5.4 bad value */
  DCR_ESMTP_EBINARY,    /* 555 5.5.4 BODY=BINARYMIME not offered */
  DCR_ESMTP_ETOOBIG     /* 552 5.3.4 SIZE over the limit */
} ;

/* s: what follows the ">" of the path: empty, or " PARAM[=VALUE]...".
   maxsize: 0 = no limit. */
extern int dcr_esmtp_mail (char const *s, size_t len, unsigned long long maxsize, dcr_mailparams *p) ;
extern int dcr_esmtp_rcpt (char const *s, size_t len, dcr_rcptparams *p) ;
extern char const *dcr_esmtp_reply (int err) ;

/* "SUCCESS,FAILURE,DELAY" / "NEVER" / "" into s (at least 24 octets),
   NUL-terminated; returns the length. */
extern size_t dcr_esmtp_notify_fmt (char *s, unsigned int notify) ;

#endif
