/* ISC license. */
#ifndef DCR_SMTPD_H
#define DCR_SMTPD_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>

#include <skalibs/gccattributes.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#include <dcr/line.h>
#include <dcr/addr.h>
#include <dcr/esmtp.h>
#include <dcr/qid.h>
#include "data.h"
#include <dcr/routes.h>

#define SMTPD_INSIZE 16384
#define SMTPD_OUTSIZE 4096
#define SMTPD_CHILDREPLY 1000   /* octets of the child's stdout we keep */
#define SMTPD_MAXHOPS 100       /* Received fields: more is a loop */
#define SMTPD_HELOMAX 255
#define SMTPD_REPLYMAX 512
#define SMTPD_AUTHUSERMAX 255
#define SMTPD_AUTHFAILMAX 3       /* failed AUTH before the session is dropped */
#define SMTPD_CHECKTIMEOUT 30000  /* ms for the checkpassword program */
/* SMTP_RECIPIENTS, SMTP_DSN_NOTIFY and SMTP_DSN_ORCPT are one environment variable each;
   Linux refuses an exec with one over MAX_ARG_STRLEN (128 KiB), so a
   recipient that would pass this gets 452 4.5.3 like the count limit. */
#define SMTPD_ENVVAR_MAX 120000

/* One SMTP session: configuration, connection, transaction. */
typedef struct smtpd_s smtpd ;
struct smtpd_s
{
  /* configuration, fixed at start */
  char const *hostname ;
  unsigned long long maxsize ;
  unsigned int maxrcpt ;
  int onedomain ;                 /* -1: the recipients of a message share one domain */
  unsigned int maxerrors ;        /* 0: no limit */
  unsigned int timeout ;          /* seconds, per command read */
  unsigned int datatimeout ;      /* seconds, per data read and for the child */
  char const *spooldir ;
  char const *const *prog ;
  char const *queuedir ;          /* the built-in dcr-enqueue's queue; 0: always exec prog */
  dcr_routes routes ;  /* relay control: the domains we accept from anyone */
  char const *routesfile ;        /* 0: none */
  struct stat routesst ;          /* the file routes was loaded from */
  int routesloaded ;
  unsigned int greetdelay ;       /* ms */

  /* TLS and AUTH */
  char const *checker ;           /* checkpassword program; 0: no AUTH */
  int authrequired ;              /* submission: AUTH before MAIL */
  int authnotls ;                 /* AUTH offered without TLS (AUTH_WITHOUT_TLS) */
  int ctlfd, tlsread, tlswrite ;  /* UCSPI-TLS (dcr-tlsd -s); ctlfd -1: none */
  int tls ;                       /* the session is encrypted */
  unsigned int authfails ;
  size_t authuserlen ;            /* 0: not authenticated */
  char authuser[SMTPD_AUTHUSERMAX + 1] ;

  /* connection */
  char const *remoteip ;
  char const *remoteport ;
  char const *remotehost ;
  int relayclient ;
  buffer in ;
  buffer out ;
  dcr_line line ;
  unsigned int errors ;
  unsigned int nmsg ;
  int esmtp ;                     /* EHLO (1), HELO (0) */
  size_t helolen ;                /* 0: no HELO/EHLO yet */
  char helo[SMTPD_HELOMAX + 1] ;

  /* transaction: MAIL, RCPT... */
  int inmail ;
  dcr_addr sender ;
  dcr_mailparams mp ;
  stralloc rcpts ;                /* addresses joined by "\n" */
  stralloc notify ;               /* one line per recipient */
  stralloc orcpt ;                /* one line per recipient */
  unsigned int nrcpt ;
  int hasnotify ;
  int hasorcpt ;

  /* message being received */
  char id[DCR_QID_LEN + 1] ;
  int spool ;                     /* fd, -1 if none */
  int spoolerr ;                  /* errno of a failed spool write, 0 if fine */
  int inbdat ;                    /* a BDAT transfer is going on */
  dcr_data data ;
} ;

/* io.c: replies and reading, with deadlines */
extern void smtpd_put (smtpd *, char const *) ;
extern void smtpd_put2 (smtpd *, char const *, char const *) ;
extern void smtpd_put3 (smtpd *, char const *, char const *, char const *) ;
extern void smtpd_error (smtpd *, char const *) ;
extern void smtpd_flush (smtpd *) ;
extern void smtpd_fill (smtpd *, unsigned int) ;
extern void smtpd_fill_data (smtpd *) ;
extern void smtpd_catch_term (void) ;
extern void smtpd_stopping (smtpd *) ;
extern void smtpd_exit (smtpd *, char const *) gccattr_noreturn ;
extern int smtpd_terminating (void) ;   /* SIGTERM came */
extern void smtpd_between (int) ;       /* 1: between two sessions, SIGTERM exits at once */

/* pool.c: pre-started sessions (dcr-tcpd -P) */
extern void smtpd_pool (smtpd *, char const *, void (*)(smtpd *)) gccattr_noreturn ;
extern void smtpd_pool_jump (void) ;    /* returns only when not pre-started */
extern void smtpd_routes_fresh (smtpd *) ;

/* session.c: the command loop */
extern void smtpd_loop (smtpd *) gccattr_noreturn ;
extern void smtpd_reset (smtpd *) ;
extern int smtpd_readline (smtpd *) ;   /* a DCR_LINE_* event, the line in s->line */
extern int smtpd_blank (char const *, size_t) ;
extern char const *smtpd_proto (smtpd const *) ;  /* ESMTPSA and the like (RFC 3848) */

/* starttls.c: STARTTLS over UCSPI-TLS */
extern void smtpd_tls_init (smtpd *) ;
extern void smtpd_starttls (smtpd *, char const *, size_t) ;

/* auth.c: AUTH (RFC 4954) through a checkpassword program */
extern int smtpd_auth_offered (smtpd const *) ;
extern void smtpd_auth (smtpd *, char const *, size_t) ;
extern void smtpd_auth_forget (smtpd *) ;   /* credentials, the user: wiped */

/* envelope.c: MAIL and RCPT */
extern void smtpd_mail (smtpd *, char const *, size_t) ;
extern void smtpd_rcpt (smtpd *, char const *, size_t) ;

/* message.c: DATA and BDAT */
extern void smtpd_data (smtpd *, char const *, size_t) ;
extern void smtpd_bdat (smtpd *, char const *, size_t) ;

/* child.c: spool file, Received header, running PROG */
extern int smtpd_spool_open (smtpd *) ;
extern void smtpd_deliver (smtpd *, char *) ;  /* reply: SMTPD_REPLYMAX octets */
extern int smtpd_reap (pid_t, int *, long) ;    /* wait, SIGKILL after ms; 0 if killed */

#endif
