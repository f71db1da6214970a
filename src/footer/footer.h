/* ISC license. */
#ifndef DCR_FOOTER_H
#define DCR_FOOTER_H

#include <stddef.h>

#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

/* dcr-footer's small MIME walk (the top level and nested multiparts,
   offsets in the message file) and its streaming encoders. A general
   streaming MIME parser (src/lib/mime.c) could replace the walk later. */

enum { CTE_7BIT = 0, CTE_8BIT, CTE_BINARY, CTE_QP, CTE_BASE64, CTE_OTHER } ;

#define FT_MAXDEPTH 4          /* multiparts nested deeper are opaque */
#define FT_MAXPARTS 10000
#define FT_PARTHDRMAX 65536    /* one part's header */
#define FT_BOUNDARYMAX 200

typedef struct fpart_s fpart ;
struct fpart_s
{
  size_t hdr ;           /* the part's header, in the file */
  size_t fields_end ;    /* where its fields end (a field can be added there) */
  size_t body, end ;     /* its content: [body, end) */
  size_t ctoff, ctlen ;  /* the Content-Type field (ctlen 0: none) */
  size_t csoff, cslen ;  /* the charset value in it, quotes included (cslen 0: none) */
  size_t cteoff, ctelen ;/* the Content-Transfer-Encoding field (ctelen 0: none) */
  size_t closeoff ;      /* multipart: the LF before the close delimiter */
  size_t boundary ;      /* multipart: offset of the boundary in the walk's store */
  int parent ;
  unsigned char depth ;
  unsigned char cte ;
  unsigned char attachment ;
  unsigned char multipart ;  /* a multipart we walked into */
  unsigned char closed ;
  unsigned char mimeversion ;
  char type[64] ;        /* "text/plain", lowercased; "" when unparsable */
  char charset[40] ;     /* lowercased, "" when none */
} ;

typedef struct fwalk_s fwalk ;
struct fwalk_s
{
  genalloc parts ;       /* fpart; parts[0] is the whole message */
  stralloc store ;       /* boundaries, NUL-ended */
  char const *why ;      /* when the walk failed */
} ;
#define FWALK_ZERO { .parts = GENALLOC_ZERO, .store = STRALLOC_ZERO, .why = 0 }

/* Fill p from a header section h (len octets) that starts at offset
   base of the file. 1, or 0 (out of memory). */
extern int ft_header (char const *h, size_t len, size_t base, fpart *p, stralloc *boundary) ;

/* The walk of fd (seekable) whose top header is already in parts[0]
   and whose size is size. 1; 0 with w->why if the structure cannot be
   trusted (a truncated part header, too many parts); -1 on a read
   error or out of memory. */
extern int ft_walk (fwalk *w, int fd, size_t size) ;

/* Streaming encoders onto a buffer: 1, or 0 on a write error */
typedef struct ftqp_s ftqp ;
struct ftqp_s { buffer *b ; unsigned int col ; char ws ; } ;
extern int ft_qp_put (ftqp *q, char const *s, size_t n) ;
extern int ft_qp_end (ftqp *q) ;

typedef struct ftb64_s ftb64 ;
struct ftb64_s { buffer *b ; char in[57] ; size_t n ; unsigned int dq ; unsigned int dn ; unsigned char done ; } ;
extern int ft_b64_put (ftb64 *e, char const *s, size_t n) ;
extern int ft_b64_end (ftb64 *e, int lastnl) ;
/* decode base64 text (any line breaks, other characters skipped, '='
   ends it) into d (room for n + 3 octets); the decoded length. At the
   end of the text, ft_b64_decode_end gives what is left (room for 2). */
extern size_t ft_b64_decode (ftb64 *e, char *d, char const *s, size_t n) ;
extern size_t ft_b64_decode_end (ftb64 *e, char *d) ;

 /* The edits (edit.c): planned in any order, applied by offset */

enum { E_INSERT, E_APPEND_QP, E_RECODE_QP, E_RECODE_B64 } ;

typedef struct ft_edit_s ft_edit ;
struct ft_edit_s
{
  size_t off, end ;      /* [off, end) replaced (off == end: inserted) */
  size_t data, len ;     /* bytes in pool: inserted as they are, or before the footer */
  unsigned int seq ;
  unsigned char kind ;
  unsigned char which ;  /* the footer: 0 text, 1 html */
  unsigned char lastnl ; /* base64: end the last line with LF (not before a delimiter, whose LF it is) */
} ;

extern genalloc ft_edits ;   /* ft_edit */
extern stralloc ft_pool ;    /* the bytes of the edits */

/* [off, end) replaced by n octets of s (off == end: inserted); which
   footer follows (E_APPEND_QP, E_RECODE_*); inpart: before a delimiter */
extern void ft_add (unsigned char kind, size_t off, size_t end, char const *s, size_t n, unsigned char which, unsigned char inpart) ;
extern void ft_insert (size_t off, char const *s) ;
/* n octets at off of stdin, or dies */
extern void ft_pread (char *d, size_t n, size_t off) ;
/* stdin (size octets) copied to a new temporary file with the edits
   applied, foot[0] the text footer, foot[1] the HTML one: the file */
extern int ft_write (size_t size, stralloc const *foot) ;

#endif
