/* ISC license. */
#ifndef DCR_SCAN_H
#define DCR_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <skalibs/ip46.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

 /* Where a scanner listens: unix:PATH (or an absolute PATH), IP:PORT,
    [IPv6]:PORT, localhost:PORT; without a port, the scanner's own. */

typedef struct scan_addr_s scan_addr ;
struct scan_addr_s
{
  int isunix ;
  char path[IPCPATH_MAX + 1] ;
  ip46 ip ;
  uint16_t port ;
} ;

extern int scan_addr_parse (char const *s, uint16_t defport, scan_addr *a) ;   /* conn.c */


 /* I/O with one deadline (conn.c). Non-blocking sockets, iopause. */

/* a connected non-blocking socket, or -1 (errno; ETIMEDOUT) */
extern int scan_connect (scan_addr const *a, tain const *deadline) ;
/* 1 when all of s went out; 0 (errno: ETIMEDOUT, EPIPE, ECONNRESET...) */
extern int scan_send (int fd, char const *s, size_t len, tain const *deadline) ;
/* > 0 octets read, 0 at EOF, -1 (errno; ETIMEDOUT) */
extern ssize_t scan_recv (int fd, char *s, size_t max, tain const *deadline) ;


 /* What one scanner said (clamd.c, spamd.c) */

enum scan_status { SCAN_OK, SCAN_FOUND, SCAN_ERROR } ;

typedef struct scan_result_s scan_result ;
struct scan_result_s
{
  enum scan_status status ;
  char const *reason ;   /* SCAN_ERROR: connect timeout io protocol scanner limit */
  char text[256] ;       /* SCAN_FOUND: clamd's signature; SCAN_ERROR: what went wrong */
  long score, required ; /* spamd: tenths of a point */
  stralloc symbols ;     /* spamd: "RULE,RULE" (empty with CHECK) */
} ;

typedef struct scan_spamdopts_s scan_spamdopts ;
struct scan_spamdopts_s
{
  int check ;            /* CHECK instead of SYMBOLS */
  char const *user ;     /* the User: line, or 0 */
} ;

/* the message is fd (seekable); r->status set */
extern void scan_clamd (scan_addr const *a, int fd, tain const *connect, tain const *deadline, scan_result *r) ;
extern void scan_spamd (scan_addr const *a, scan_spamdopts const *o, int fd, tain const *connect, tain const *deadline, scan_result *r) ;


 /* One exchange (exchange.c): connect, send head then the message, read
    the reply into buf (max octets) until parse says it is complete.
    1: the reply is in buf and parsed into reply; 0: r says what failed. */

typedef int scan_sendmessage_func (int s, int fd, tain const *deadline) ;   /* 1, 0 (errno), -1 reading fd */
typedef int scan_parse_func (char const *s, size_t len, int eof, void *reply, char const **why) ;

typedef struct scan_request_s scan_request ;
struct scan_request_s
{
  scan_addr const *addr ;
  tain const *connect, *deadline ;
  char const *head ;
  size_t headlen ;
  scan_sendmessage_func *sendmessage ;
  int fd ;
  int halfclose ;        /* shutdown(SHUT_WR) once all is sent */
  char *buf ;
  size_t max ;
  scan_parse_func *parse ;
  void *reply ;
} ;

extern int scan_exchange (scan_request const *x, scan_result *r) ;
extern void scan_fail (scan_result *r, char const *reason, char const *what, char const *detail) ;


 /* The reply parsers (parse.c): pure, bounded, no allocation (fuzz-scan).
    Each returns 1 when the reply is complete, 0 when more octets are
    needed (never with eof set), -1 when it is not a valid reply (*why). */

#define SCAN_CLAMD_MAX 1024     /* octets of a clamd reply */
#define SCAN_SPAMD_MAX 65536    /* octets of a spamd reply */
#define SCAN_SIG_MAX 128        /* octets of a signature name */

typedef struct scan_clamdreply_s scan_clamdreply ;
struct scan_clamdreply_s
{
  char verdict ;          /* 'O' ok, 'F' found, 'E' error */
  int limit ;             /* 'E': "INSTREAM size limit exceeded" */
  size_t text, textlen ;  /* 'F': the signature; 'E': the error text */
} ;
extern int scan_clamd_parse (char const *s, size_t len, int eof, scan_clamdreply *c, char const **why) ;

typedef struct scan_spamdreply_s scan_spamdreply ;
struct scan_spamdreply_s
{
  unsigned int code ;     /* 0 is EX_OK; else the text is spamd's error */
  size_t text, textlen ;  /* the status line's text ("EX_OK") */
  int spam ;              /* Spam: True / False */
  long score, required ;  /* tenths */
  size_t sym, symlen ;    /* the symbols (the body), trimmed */
} ;
extern int scan_spamd_parse (char const *s, size_t len, int eof, scan_spamdreply *p, char const **why) ;

/* "-12.5" -> -125: an optional '-', 1 to 6 digits, optionally '.' and
   digits (the second decimal onwards ignored). The length read, 0 if
   not a number. */
extern size_t scan_tenths_scan (char const *s, size_t len, long *t) ;
/* -125 -> "-12.5"; s has room for SCAN_TENTHS_FMT; the length */
#define SCAN_TENTHS_FMT 24
extern size_t scan_tenths_fmt (char *s, long t) ;


 /* The changed message (tag.c): add (complete header lines) on top, the
    header section after it without the fields an earlier scanner (or a
    forger) put there, Subject prefixed with subject when not 0. The new
    message's descriptor (dcr_filter_tmpfile), or dies. */

extern int scan_tag (int fd, char const *add, size_t addlen, char const *subject) ;

#endif
