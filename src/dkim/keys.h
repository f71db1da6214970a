/* ISC license. */
#ifndef DKIM_KEYS_H
#define DKIM_KEYS_H

#include <skalibs/stralloc.h>

/* The keys directory: KEYSDIR/DOMAIN/SELECTOR.key. Which file signs for
   a domain: SELECTOR.key when a selector is asked for and it exists,
   else the only .key file of the directory. 1: the file name and the
   selector are in file and sel (NUL-terminated); 0: no key for the
   domain (no directory, no .key file); -1: a configuration error, *why
   says what (with errno when it is a system error, then *why is 0 and
   file names the directory). Parent domains are not looked up. */
extern int dkim_keys_find (char const *keysdir, char const *domain, char const *selector, stralloc *file, stralloc *sel, char const **why) ;

/* a selector that can be a DNS label sequence (RFC 6376 3.1) */
extern int dkim_selector_ok (char const *s, size_t n) ;

#endif
