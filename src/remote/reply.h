/* ISC license. */
#ifndef DCR_REMOTE_REPLY_H
#define DCR_REMOTE_REPLY_H

/* The SMTP reply reader: a pure incremental parser over bytes, no I/O,
   no allocation, so the fuzz target drives it as the session does.

   A reply is lines of "NNN-text" ended by one "NNN text" (or "NNN").
   A line ends at LF, a CR before it is dropped: servers that send bare
   LF are common enough, and we only read. Every bound is fixed, since
   the peer may be hostile: a line keeps its first REPLY_LINEMAX octets
   (the rest is read and dropped), a reply may not pass REPLY_TOTALMAX
   octets in all (REPLY_TOOBIG), and the joined text kept for the
   verdict is cut at REPLY_TEXTMAX. A line that does not start with a
   code 200..599 is REPLY_BAD; a continuation line with another code is
   taken as the first line's code (RFC 5321 4.2.1 says they are the
   same; we do not fail mail over it). */

#include <stddef.h>

#define REPLY_LINEMAX 2048
#define REPLY_TOTALMAX 65536
#define REPLY_TEXTMAX 2048
#define REPLY_ESCMAX 12          /* "5.123.123" + NUL, with room */

enum reply_event_e
{
  REPLY_MORE = 0,   /* all input consumed, reply not complete */
  REPLY_LINE,       /* a continuation line complete: reply_linetext() */
  REPLY_DONE,       /* the last line complete: the reply is whole */
  REPLY_BAD,        /* not an SMTP reply */
  REPLY_TOOBIG      /* over REPLY_TOTALMAX */
} ;

typedef struct reply_s reply ;
struct reply_s
{
  unsigned int code ;          /* of the first line; 0 before it */
  unsigned int nlines ;
  size_t total ;               /* octets read for this reply */
  size_t linelen ;             /* octets kept of the current line */
  size_t textlen ;
  unsigned char cr ;           /* a CR is pending at the end of line */
  unsigned char done ;         /* the previous event ended a line */
  char esc[REPLY_ESCMAX] ;     /* enhanced code of the first line, or "" */
  char line[REPLY_LINEMAX + 1] ;
  char text[REPLY_TEXTMAX + 1] ;   /* the texts joined by spaces, codes dropped */
} ;

extern void reply_init (reply *r) ;

/* Consume octets until a line ends or the input is exhausted. Returns
   the number consumed; *event says what happened. After REPLY_DONE,
   REPLY_BAD or REPLY_TOOBIG, call reply_init before the next reply. */
extern size_t reply_feed (reply *r, char const *s, size_t n, int *event) ;

/* The text of the line just completed (after "NNN-"), NUL-terminated:
   for EHLO keywords. */
extern char const *reply_linetext (reply const *r) ;

/* "NNN X.Y.Z text" into buf (max octets with the NUL), control
   characters made spaces; the enhanced code is made up from the class
   when the server gave none (2.0.0, 4.0.0, 5.0.0). Returns the length. */
extern size_t reply_fmt (reply const *r, char *buf, size_t max) ;

/* Length of an enhanced status code "C.S.D" at s (RFC 3463: class 2, 4
   or 5, subject and detail of 1..3 digits), followed by a space or the
   end; 0 if there is none. */
extern size_t reply_esc (char const *s, size_t len) ;

#endif
