/* ISC license. */
#ifndef DCR_AUTH_USERS_H
#define DCR_AUTH_USERS_H

#define USERLINE_MAX 4096  /* a users file line, without its LF */

/* The crypt(3) string of a hash: Dovecot's {SHA512-CRYPT}, {BLF-CRYPT},
   {CRYPT}... prefixes dropped; 0 for another scheme (never matches). */
extern char const *users_unscheme (char const *h) ;

/* an empty hash, or one starting with '!' or '*' */
extern int users_locked (char const *h) ;

/* Scans the whole file: the user's hash (its first line) into hash, the
   first hash that can be checked into dummy ("" if none); both
   USERLINE_MAX + 1 bytes. 1 if the user is there. Dies (111) if the file
   cannot be read. */
extern int users_lookup (char const *file, char const *user, char *hash, char *dummy) ;

#endif
