/* ISC license. */
#ifndef DCR_SMTPD_DATA_H
#define DCR_SMTPD_DATA_H

#include <stddef.h>

/* The DATA / BDAT state machine: pure, incremental, no I/O.
   Input: octets as they came on the wire. Output: the internal form
   (CRLF -> LF, dot-unstuffing for DATA) written to out.

   DATA ends only at CRLF "." CRLF, where the first CRLF is a real one
   (or the start of the data). A CR not followed by LF, or an LF not
   preceded by CR, anywhere, marks the message bare: output stops, but
   the machine keeps reading until the real end, and a bare CR or LF
   never starts a line, so "\n.\n", "\n.\r\n", "\r\n.\n" and "\r.\r\n"
   neither end the data nor start a second message.
   BDAT chunks (bdat=1): no dots, no end; the same CR/LF rule applies
   across chunk boundaries; dcr_data_finish() at BDAT LAST.
   size counts the internal form; past max, output stops (toobig).
   received counts "Received:" fields in the header section. */

typedef struct dcr_data_s dcr_data ;
struct dcr_data_s
{
  unsigned long long size ;
  unsigned long long max ;
  unsigned int received ;
  unsigned char state ;
  unsigned char bdat ;
  unsigned char bare ;
  unsigned char toobig ;
  unsigned char end ;
  unsigned char inhdr ;
  unsigned char hbol ;
  signed char hmatch ;
} ;

extern void dcr_data_init (dcr_data *, unsigned long long max, int bdat) ;

/* Consume up to n octets of s; write the output to out (room for n
   octets is always enough) and its length to *outlen. Returns the
   number consumed: n, or less when the end of DATA was reached (then
   d->end is set; the rest belongs to the next command). */
extern size_t dcr_data_feed (dcr_data *, char const *s, size_t n, char *out, size_t *outlen) ;

/* BDAT LAST: a CR pending at the end is a bare CR. */
extern void dcr_data_finish (dcr_data *) ;

#endif
