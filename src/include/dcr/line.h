/* ISC license. */
#ifndef DCR_LINE_H
#define DCR_LINE_H

#include <stddef.h>

/* The SMTP command line reader: a pure incremental state machine over
   bytes, no I/O, no allocation.

   Only CRLF ends a line. A bare LF (not preceded by CR) or a bare CR
   (not followed by LF) does not: the line goes on to its real CRLF and
   is then reported once as DCR_LINE_BARE, to be refused whole, so no
   piece of it can ever run as a command ("RSET\nMAIL FROM:<x>\r\n" is
   one refused line, not two commands). A line longer than the storage
   is read to its end, the excess discarded, and reported once as
   DCR_LINE_TOOLONG (which wins over BARE).

   Limits (octets, CRLF included):
     DCR_LINE_MAX      512, RFC 5321 4.5.3.1.4, for every command ...
     DCR_LINE_MAX_EXT  ... except MAIL and RCPT, which extensions make
                       longer: SIZE (RFC 1870, +26), ENVID/RET (RFC 3461,
                       +100+10), NOTIFY/ORCPT (RFC 3461, +30+500), AUTH=
                       (RFC 4954, +500), SMTPUTF8 (+9). 512+1178 rounds to
                       1280 for MAIL; RCPT needs less, same limit.
     DCR_LINE_MAX_AUTH 12288 for AUTH and the lines of its exchange
                       (RFC 4954 4: an OAuth bearer token is long); the
                       storage is this size, a longer line is TOOLONG.
   dcr_line_limit() says which applies to a complete line. */

#define DCR_LINE_MAX 512
#define DCR_LINE_MAX_EXT 1280
#define DCR_LINE_MAX_AUTH 12288

enum dcr_line_event_e
{
  DCR_LINE_MORE = 0,   /* all input consumed, line not complete */
  DCR_LINE_OK,         /* a complete line in buf, len octets, NUL-terminated */
  DCR_LINE_TOOLONG,    /* a line over DCR_LINE_MAX_AUTH ended */
  DCR_LINE_BARE        /* a line with a bare CR or a bare LF ended */
} ;

typedef struct dcr_line_s dcr_line ;
struct dcr_line_s
{
  size_t len ;             /* content octets in buf, CRLF excluded */
  unsigned char cr ;       /* last octet was a CR, pending */
  unsigned char toolong ;
  unsigned char bare ;
  unsigned char done ;     /* the previous call completed a line */
  char buf[DCR_LINE_MAX_AUTH - 1] ;  /* content + NUL */
} ;
#define DCR_LINE_ZERO { 0, 0, 0, 0, 0, { 0 } }

extern void dcr_line_init (dcr_line *) ;

/* Consume octets from s (n of them) until a line ends or the input is
   exhausted. Returns the number consumed; *event says what happened.
   After an event other than DCR_LINE_MORE, the line stays in buf until
   the next call, which starts a new line. */
extern size_t dcr_line_feed (dcr_line *, char const *s, size_t n, int *event) ;

/* The limit (CRLF included) that applies to this complete line:
   DCR_LINE_MAX_EXT for MAIL and RCPT, DCR_LINE_MAX_AUTH for AUTH,
   DCR_LINE_MAX otherwise. */
extern size_t dcr_line_limit (char const *s, size_t len) ;

#endif
