/* ISC license. */
#ifndef DCR_HEADER_H
#define DCR_HEADER_H

#include <stddef.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

/* The header section of a message in internal form (LF line ends,
   contract 3), for the filters. dcr_header_load reads it into memory,
   bounded; dcr_header_next walks its fields: a pure parser, no I/O, no
   allocation, that never fails (fuzz-header).

   A field is a name of printable ASCII without ':' (RFC 5322 2.2),
   optional blanks (the obsolete "Subject :"), ':', the value, and every
   following line that starts with a space or a tab (folding). A CR
   before an LF is kept as part of the text. The section ends at the
   first empty line, at the first line that is not a field nor a
   continuation (Postfix does the same: it is the start of the body), or
   at the end of the input. */

#define DCR_HEADER_MAX (1024 * 1024)   /* the whole section, in memory */

typedef struct dcr_field_s dcr_field ;
struct dcr_field_s
{
  size_t off ;        /* start of the field in the section */
  size_t len ;        /* the whole field, its last LF included (if any) */
  size_t namelen ;    /* the name, without blanks and ':' */
  size_t value ;      /* offset of the value: just after the ':' */
  size_t valuelen ;   /* up to the field's last LF, not included */
} ;

/* Read from b up to and including the empty line that ends the header
   section (or to EOF; or to a line that starts neither a field nor a
   continuation, which stays in sa as the body's first line). 1: sa
   holds the section; 0: more than max octets (errno EMSGSIZE); -1: read
   error. What follows is still in b. */
extern int dcr_header_load (buffer *b, stralloc *sa, size_t max) ;

/* The next field at *pos in s (len octets): 1 and f, *pos after it; 0
   at the end of the fields, *pos at what follows them (the empty line,
   the body's first line, or len). */
extern int dcr_header_next (char const *s, size_t len, size_t *pos, dcr_field *f) ;

/* 1 if the field's name is name (ASCII case-insensitive) */
extern int dcr_header_is (char const *s, dcr_field const *f, char const *name) ;

/* The value of f unfolded (CR and LF removed, each fold one space kept
   as it is), leading and trailing blanks trimmed, appended to sa. 1, or
   0 if out of memory. */
extern int dcr_header_unfold (char const *s, dcr_field const *f, stralloc *sa) ;

#endif
