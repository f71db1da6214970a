/* ISC license. */
/* The MIME parser's entity, shared by mime.c (lines, delimiters, the
   stack of entities) and mimecte.c (the transfer decoders). Internal to
   src/lib. */
#ifndef DCR_MIMEENT_H
#define DCR_MIMEENT_H

#include <stddef.h>
#include <stdint.h>

#include <dcr/mime.h>

enum { M_HEADER, M_BODY, M_PREAMBLE, M_CHILD, M_EPILOGUE } ;

struct dcr_mime_ent_s
{
  dcr_mime_part part ;
  char boundary[DCR_MIME_BOUNDMAX + 1] ;
  size_t blen ;
  unsigned char mode ;
  int digest ;               /* multipart/digest: parts default to message/rfc822 */
  uint32_t b64acc ;          /* decoders */
  unsigned int b64n ;
  unsigned char qpst ;
  char qp1 ;
  size_t outlen ;
  char out[1024] ;   /* last: not cleared */
} ;

/* mimecte.c: n body octets of e, decoded by its transfer encoding and
   passed to the data event; the end of e's body; a malformation of e */
extern void mime_bodydata (dcr_mime *p, dcr_mime_ent *e, char const *s, size_t n) ;
extern void mime_decoder_end (dcr_mime *p, dcr_mime_ent *e) ;
extern void mime_bad (dcr_mime_ent *e, dcr_mime *p, unsigned int bit) ;

#endif
