/* ISC license. */
#ifndef DCR_MAILDIR_H
#define DCR_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>

#define MD_PATHMAX 4000   /* an expanded maildir path, in bytes */

/* The template of the command line: 0 if it is usable, else why not
   (not absolute, a control character, a % other than %u %d %%). */
extern char const *md_template_check (char const *tmpl) ;

/* Expand tmpl for the recipient addr into sa (NUL-terminated, appended):
   %u the local part and %d the domain, lowercased, %% a '%'. 1 if done;
   0 if the recipient cannot name a safe directory (an empty part, a '/',
   a leading '.', a path over MD_PATHMAX), with *why set. */
extern int md_expand (stralloc *sa, char const *tmpl, char const *addr, char const **why) ;

/* One copy of the message (fd msg, size bytes) into the maildir dir:
   the two header lines hdr (hdrlen bytes) first. Made in tmp/, fsync'd,
   linked into new/, new/ fsync'd; tmp/, new/ and cur/ (and dir, and its
   parents) are made when missing. Returns 'D', or 'T' for a failure;
   reply gets the reply text either way ("250 2.0.0 ..." or "452 4.2.2
   ..."), NUL-terminated. */
extern char md_deliver (char const *dir, int msg, uint64_t size, char const *hdr, size_t hdrlen, stralloc *reply) ;

/* Set once at start: the host part of the unique names. */
extern void md_init (char const *host) ;

#endif
