/* ISC license. */
#ifndef DCR_MIME_H
#define DCR_MIME_H

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>

/* A streaming MIME parser (RFC 2045, 2046, 2047, 2231) for the filters.
   Pure: no I/O. The caller feeds the message (internal form, LF line
   ends; a CR before an LF is tolerated) in chunks of any size and gets
   events: a part begins (its header parsed), decoded body data of a
   leaf part (base64 and quoted-printable decoded across chunks), a part
   ends. Memory is bounded by the limits whatever the input: one line
   buffer, one part header, a stack of max_depth+1 entries.

   The entities: the message itself (index 0, depth 0); each part of a
   multipart and the message inside a message/rfc822 part one level
   deeper. Offsets count octets from the start of the input.

   Malformed input is never fatal: it sets a bit in malformed and the
   parse goes on in a defined way (see doc/dcr-mimecheck.md). Only the
   limits stop it: err is set, and later input is ignored. */

#define DCR_MIME_TYPEMAX 128     /* type/subtype, longer is cut */
#define DCR_MIME_NAMEMAX 512     /* a decoded file name, longer is cut */
#define DCR_MIME_BOUNDMAX 200    /* a longer boundary parameter: malformed */
#define DCR_MIME_LINEMAX 998     /* a longer line is never a boundary line */
#define DCR_MIME_DEPTH_MAX 64    /* the most max_depth can be */

/* Content-Transfer-Encoding */
#define DCR_MIME_7BIT 0
#define DCR_MIME_8BIT 1
#define DCR_MIME_BINARY 2
#define DCR_MIME_BASE64 3
#define DCR_MIME_QP 4
#define DCR_MIME_CTE_OTHER 5     /* unknown: the body is passed raw */

/* the limits (err): parsing stops */
#define DCR_MIME_EPARTS 1        /* more than max_parts parts */
#define DCR_MIME_EDEPTH 2        /* nested deeper than max_depth */
#define DCR_MIME_EHEADER 3       /* a part header longer than max_header */

/* malformed input (bits of malformed): parsing goes on */
#define DCR_MIME_MNOBOUNDARY 0x01   /* multipart without a usable boundary: a leaf */
#define DCR_MIME_MNOCLOSE 0x02      /* a multipart not closed by its close delimiter */
#define DCR_MIME_MSAMEBOUNDARY 0x04 /* a nested boundary equal to an enclosing one: a leaf */
#define DCR_MIME_MBASE64 0x08       /* base64 with characters outside the alphabet, or cut */
#define DCR_MIME_MHEADER 0x10       /* input ended inside a part header */
#define DCR_MIME_MQP 0x20           /* quoted-printable '=' not followed by hex or a line end */
#define DCR_MIME_MDUPLICATE 0x40    /* a second Content-Type, -Disposition or -Transfer-Encoding field: the first counts */

typedef struct dcr_mime_part_s dcr_mime_part ;
struct dcr_mime_part_s
{
  unsigned int index ;    /* 0 the message, then 1, 2... in order of appearance */
  unsigned int depth ;
  unsigned int parent ;   /* index of the enclosing entity (0 for the message) */
  int multipart ;         /* 1: parsed as a container of parts */
  int message ;           /* 1: message/rfc822 parsed as an enclosed message */
  unsigned char cte ;     /* DCR_MIME_7BIT... */
  char type[DCR_MIME_TYPEMAX] ;     /* lower case, "text/plain" when absent */
  char charset[64] ;                /* lower case, may be empty */
  char disposition[32] ;            /* lower case: "attachment", "inline" or empty */
  char filename[DCR_MIME_NAMEMAX] ; /* Content-Disposition filename, UTF-8 */
  char name[DCR_MIME_NAMEMAX] ;     /* Content-Type name, UTF-8 */
  uint64_t hdr_off ;      /* where its header starts */
  uint64_t body_off ;     /* where its body starts */
  uint64_t end_off ;      /* (at the end event) where its body ends: the
                             newline before the next delimiter line is
                             the delimiter's, not the body's */
  unsigned int malformed ;  /* bits found in this entity */
} ;

typedef struct dcr_mime_events_s dcr_mime_events ;
struct dcr_mime_events_s
{
  void (*begin) (void *ctx, dcr_mime_part const *part) ;
  void (*data) (void *ctx, dcr_mime_part const *part, char const *s, size_t len) ;
  void (*end) (void *ctx, dcr_mime_part const *part) ;
} ;

typedef struct dcr_mime_limits_s dcr_mime_limits ;
struct dcr_mime_limits_s
{
  unsigned int max_depth ;   /* default 20, at most DCR_MIME_DEPTH_MAX */
  unsigned int max_parts ;   /* default 1000: entities besides the message */
  size_t max_header ;        /* default 65536: one part's header section (the
                                message's own: at least DCR_HEADER_MAX) */
} ;
#define DCR_MIME_LIMITS_DEFAULT { 20, 1000, 65536 }

typedef struct dcr_mime_ent_s dcr_mime_ent ;
typedef struct dcr_mime_s dcr_mime ;
struct dcr_mime_s
{
  dcr_mime_limits lim ;
  dcr_mime_events ev ;
  void *ctx ;
  dcr_mime_ent *stack ;      /* max_depth + 1 entries */
  unsigned int top ;         /* index of the innermost open entity */
  unsigned int nparts ;      /* entities begun, the message not counted */
  uint64_t off ;             /* octets fed so far */
  uint64_t lstart ;          /* offset of the line in line[] */
  char line[DCR_MIME_LINEMAX + 2] ;
  size_t linelen ;
  int longline ;             /* inside a line too long to be a delimiter */
  char held[2] ;             /* the newline held back: body's or delimiter's */
  size_t heldlen ;
  stralloc hdr ;             /* the part header being read */
  stralloc tmp ;             /* a field unfolded */
  int err ;                  /* DCR_MIME_E*, 0 */
  unsigned int malformed ;   /* every bit seen */
  int finished ;
} ;

/* 1, or 0 if out of memory (lim may be 0 for the defaults) */
extern int dcr_mime_init (dcr_mime *p, dcr_mime_limits const *lim, dcr_mime_events const *ev, void *ctx) ;
/* feed n octets: 1, or 0 once err is set */
extern int dcr_mime_feed (dcr_mime *p, char const *s, size_t n) ;
/* the end of the input: the open entities end. 1, or 0 if err is set */
extern int dcr_mime_finish (dcr_mime *p) ;
extern void dcr_mime_free (dcr_mime *p) ;

/* helpers, pure, exposed for the tests */
/* the value of parameter attr (lower case) in a Content-Type or
   Content-Disposition value (unfolded), RFC 2231 continuations and
   charsets and RFC 2047 words decoded to UTF-8 (ISO-8859-1 and
   Windows-1252 converted, UTF-8 and US-ASCII kept, others kept as they
   are), NUL-terminated into d (cut at dlen-1). 1 found, 0 absent. */
extern int dcr_mime_param (char const *v, size_t vlen, char const *attr, char *d, size_t dlen) ;
/* the RFC 2047 encoded words of s decoded to UTF-8 (as above) into d */
extern void dcr_mime_decode2047 (char const *s, size_t len, char *d, size_t dlen) ;
/* The same parameter, its value as written (no RFC 2047/2231 decoding:
   a boundary) */
extern int dcr_mime_param_raw (char const *v, size_t vlen, char const *attr, char *d, size_t dlen) ;
/* The first token of a value (CFWS skipped), lowercased, into d (dmax
   with the NUL); '/' part of it when slash (a type/subtype): its length */
extern size_t dcr_mime_token (char const *v, size_t n, char *d, size_t dmax, int slash) ;

#endif
