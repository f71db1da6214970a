/* ISC license. */
#ifndef DCR_REMOTE_WIRE_H
#define DCR_REMOTE_WIRE_H

/* The message on the wire (RFC 5321 4.5.2): from internal form (LF line
   ends, no dot-stuffing) to CRLF line ends with a dot doubled at the
   start of a line, in pieces of any size, so a message is streamed and
   never held whole. Pure: no I/O.

   A CR LF pair already in the file stays one line end (a file written
   by hand with CRLF is not made CR CR LF); any other CR goes as it is.
   A last line without its LF gets one before the final dot. */

#include <stddef.h>

typedef struct wire_s wire ;
struct wire_s
{
  unsigned char mid ;   /* inside a line: not at its start */
  unsigned char cr ;    /* a CR is held back, waiting for what follows */
} ;
#define WIRE_ZERO { 0, 0 }

/* Encode n octets of in into out, which has room for 2*n + 1 octets.
   Returns the octets written. */
extern size_t wire_encode (wire *w, char const *in, size_t n, char *out) ;

/* The end of the message: what is held back, a line end if the last
   line had none, then ".\r\n". out has room for 6 octets. */
extern size_t wire_end (wire *w, char *out) ;

/* 1 if some octet of s is 0x80 or above */
extern int wire_8bit (char const *s, size_t n) ;

#endif
