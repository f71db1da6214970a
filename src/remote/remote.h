/* ISC license. */
#ifndef DCR_REMOTE_H
#define DCR_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include <skalibs/tai.h>
#include <skalibs/ip46.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include <dcr/job.h>
#include <dcr/routes.h>
#include "rio.h"
#include "reply.h"

 /* The command line */

typedef struct conf_s conf ;
struct conf_s
{
  char const *helo ;       /* EHLO name */
  char const *mxprog ;     /* dcr-mx, found through PATH unless a path */
  unsigned int idle ;      /* seconds without a job before QUIT; 0: none */
  unsigned int cap ;       /* every timeout at most this; 0: none */
  unsigned int maxrcpt ;   /* recipients per transaction */
  unsigned int downsecs ;  /* a target found down stays down this long */
  unsigned int tls ;       /* DCR_TLS_NONE, _MAY (default), _ENCRYPT, _VERIFY */
  char const *auth ;       /* file of "user:password", or 0 */
  char const *ca ;         /* CA bundle for tls=verify */
} ;
extern conf cf ;

 /* Timeouts (RFC 5321 4.5.3.2), capped by cf.cap */

enum tmo_e { TMO_CONNECT, TMO_GREETING, TMO_EHLO, TMO_MAIL, TMO_RCPT, TMO_DATA, TMO_BLOCK, TMO_DOT, TMO_RSET, TMO_QUIT, TMO_MX, TMO_N } ;
extern void deadline (tain *d, unsigned int which) ;

 /* Targets (target.c) */

enum target_kind_e { TARGET_IP, TARGET_HOST, TARGET_MX } ;

typedef struct target_s target ;
struct target_s
{
  unsigned int kind ;
  char name[256] ;         /* host, domain, or the IP as given */
  ip46full ip ;            /* TARGET_IP */
  uint16_t port ;
  int implicit ;           /* smtps: TLS from the first byte (RFC 8314) */
} ;

#define PEER_HOSTMAX 256
#define PEER_MAX 32        /* addresses tried per connection */

typedef struct peer_s peer ;
struct peer_s
{
  char host[PEER_HOSTMAX] ;
  ip46full ip ;
} ;

/* 1 and *t, or 0 with a reason in *why */
extern int target_parse (char const *s, target *t, char const **why) ;
/* the addresses to try, from the target or from dcr-mx. 1 and *n; or 0
   and a verdict: *st 'T' or 'P', the reply in v (vmax octets) */
extern int target_resolve (target const *t, peer *list, unsigned int *n, char *st, char *v, size_t vmax) ;
/* one line of dcr-mx's output: "PREF TAB HOST TAB IP" */
extern int target_mxline (char *s, peer *p) ;

 /* The SMTP session (session.c) */

#define EXT_PIPELINING 0x01
#define EXT_SIZE 0x02
#define EXT_8BITMIME 0x04
#define EXT_SMTPUTF8 0x08
#define EXT_DSN 0x10
#define EXT_CHUNKING 0x20
#define EXT_BINARYMIME 0x40
#define EXT_STARTTLS 0x80
#define EXT_AUTHPLAIN 0x100
#define EXT_AUTHLOGIN 0x200

#define VERDICTMAX 1100    /* a reply in a verdict: the envelope keeps 1024 */
#define SMTP_AUTHMAX 1024  /* user and password of an auth= file */

typedef struct sess_s sess ;
struct sess_s
{
  rio io ;
  int up ;                 /* a session is open, ready for MAIL */
  unsigned int ext ;       /* EXT_* offered */
  uint64_t sizemax ;       /* SIZE limit offered; 0: none given */
  unsigned int dirty ;     /* a transaction was left open: RSET first */
  unsigned int ntx ;       /* transactions done on this connection */
  char peer[PEER_HOSTMAX + IP46_FMT + 16] ;   /* "host[ip]:port" */
  char host[PEER_HOSTMAX] ;
  char ip[IP46_FMT] ;
  int tls ;                /* the session is encrypted */
  int tlsfailed ;          /* the last try failed in the TLS handshake */
  int authed ;
  char cipher[64] ;        /* "TLSv1.2/ECDHE-RSA-AES128-GCM-SHA256" */
  reply r ;
} ;
extern sess S ;

/* open a session with the target: 1, or 0 and a verdict as target_resolve */
extern int sess_open (target const *t, char *st, char *v, size_t vmax) ;
/* is the open session still usable? closes it if not */
extern void sess_check (void) ;
extern void sess_quit (void) ;
extern void sess_drop (char const *why) ;
/* read one reply into S.r: 1; 0 at EOF; -1 with errno (ETIMEDOUT,
   EPROTO for garbage, EMSGSIZE for a reply too big) */
extern int sess_reply (unsigned int tmo) ;
/* a verdict text about the session's failure: "451 4.4.2 HOST[IP]:PORT ..." */
extern void sess_failtext (char *v, size_t vmax, int r, char const *what) ;
/* "451 4.4.2 PEER what: <the server's reply>" */
extern void sess_refusedtext (char *v, size_t vmax, char const *what) ;
extern int sess_readreply (unsigned int tmo, int ehlo) ;
extern int sess_command (char const *a, char const *b, unsigned int tmo) ;
extern int sess_ehlo (char *v, size_t vmax) ;
/* append s to v (n octets so far, vmax in all); the new length */
extern size_t sess_cat (char *v, size_t n, size_t vmax, char const *s) ;

 /* TLS and AUTH towards the server (secure.c, tls.c) */

/* after EHLO: STARTTLS and AUTH as the route's policy says (plain: this
   try is the plaintext retry of tls=may). 1 ready, or 0 and v */
extern int sess_secure (peer const *p, int plain, char *v, size_t vmax) ;
/* the TLS handshake on the session's connection: 1, or 0 and v */
extern int sess_tls (peer const *p, char *v, size_t vmax) ;
extern int tls_start (rio *io, unsigned int policy, char const *servername, char const *cafile, tain const *deadline, char const **why) ;
extern void tls_describe (char const **version, char const **cipher) ;

 /* Verdicts of the job in hand (verdict.c) */

enum rstate_e { RS_OPEN = 0, RS_ACCEPTED, RS_FINAL } ;

typedef struct rv_s rv ;
struct rv_s
{
  unsigned int state ;     /* rstate_e */
  char st ;                /* 'D', 'T', 'P' once final */
  size_t reply ;           /* offset of its reply in the pool */
} ;

extern void verdict_start (dcr_job const *j) ;
extern rv *verdict_rv (size_t i) ;
extern void verdict_set (size_t i, char st, char const *text) ;
/* every recipient in [from, to) not final yet (accepted ones too when all) */
extern void verdict_rest (size_t from, size_t to, int all, char st, char const *text) ;
extern void verdict_accept (size_t i) ;
extern void verdict_print (dcr_job const *j) ;
extern void verdict_done (char const *id) ;
/* D, T or P from a reply code */
extern char verdict_class (unsigned int code) ;

 /* One job (deliver.c) and its SMTP transactions (transaction.c) */

typedef struct msg_s msg ;
struct msg_s
{
  dcr_job *j ;
  int fd ;
  uint64_t size ;
  int eightbit ;          /* -1 not scanned yet */
  int smtputf8 ;          /* SMTPUTF8 given, or an address needs it */
  char const *body ;      /* BODY= value, or 0 */
  size_t bodylen ;
  char const *ret, *envid ;
  size_t retlen, envidlen ;
  unsigned char *utf8 ;   /* per recipient: its address is UTF-8 */
} ;

enum { TX_OK, TX_RETRY } ;
/* one transaction for the recipients [from, to) still open: TX_RETRY
   when a reused session was found dead before anything was accepted */
extern int transaction (msg *m, size_t from, size_t to, int reused) ;
extern target tgt ;
extern void deliver (dcr_job *j) ;

#endif
