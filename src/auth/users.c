/* ISC license. */

/* dcr-checkpass's users file: "name:hash[:more]" lines, read by lines of
   at most USERLINE_MAX bytes (longer ones are skipped and logged). */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/skamisc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include <dcr/log.h>

#include "users.h"

/* One line (no LF, NUL-terminated, writable) to name and hash.
   Returns 1 with *name (of *namelen bytes) and *hash set, 0 for a line
   to skip (blank, comment), -1 for a line without a colon. */
static int parseline (char *s, char const **name, size_t *namelen, char const **hash)
{
  size_t len = strlen(s), c ;
  while (len && (s[len-1] == ' ' || s[len-1] == '\t' || s[len-1] == '\r')) s[--len] = 0 ;
  while (*s == ' ' || *s == '\t') { s++ ; len-- ; }
  if (!len || *s == '#') return 0 ;
  c = str_chr(s, ':') ;
  if (!s[c]) return -1 ;
  *name = s ; *namelen = c ;
  s += c + 1 ;
  s[str_chr(s, ':')] = 0 ;   /* passwd-file style: further fields are not ours */
  *hash = s ;
  return 1 ;
}

/* Dovecot's {SHA512-CRYPT}, {BLF-CRYPT}, {CRYPT}...: crypt(3) reads the
   rest. Another scheme ({PLAIN}, {SSHA}...) gives 0: never matches. */
char const *users_unscheme (char const *h)
{
  size_t c ;
  if (*h != '{') return h ;
  c = str_chr(h, '}') ;
  if (!h[c] || c < 6 || strncasecmp(h + c - 5, "CRYPT", 5)) return 0 ;
  return h + c + 1 ;
}

int users_locked (char const *h)
{
  return !*h || *h == '!' || *h == '*' ;
}

/* One line into line (USERLINE_MAX + 2 bytes: the line, its LF, the
   NUL), without its LF. 1: a line; 0: EOF; -1: a longer line, skipped
   up to its LF. getlnmax stores the LF and fails with ERANGE once it
   has filled max bytes, LF or not. */
static int getline_ (buffer *b, char *line, char const *file)
{
  size_t w = 0 ;
  int r = getlnmax(b, line, USERLINE_MAX + 2, &w, '\n') ;
  if (r < 0 && errno == ERANGE)
  {
    int ended = line[w-1] == '\n' ;
    while (!ended)
    {
      w = 0 ;
      r = getlnmax(b, line, USERLINE_MAX + 2, &w, '\n') ;
      if (r < 0 && errno != ERANGE) break ;
      ended = r >= 0 || line[w-1] == '\n' ;   /* its LF (also as the last byte of a full buffer), or EOF */
    }
    if (ended) return -1 ;
  }
  if (r < 0) strerr_diefu2sys(111, "read users file ", file) ;
  if (!r && !w) return 0 ;   /* EOF; a last line without LF still counts */
  if (w && line[w-1] == '\n') w-- ;
  if (w > USERLINE_MAX) return -1 ;   /* 4097 bytes and EOF, no LF */
  line[w] = 0 ;
  return 1 ;
}

/* Scans the whole file (the time taken does not say where, or whether,
   the user is). The user's hash goes to hash, the first hash that can
   be checked to dummy: an unknown user costs what a known one does. */
int users_lookup (char const *file, char const *user, char *hash, char *dummy)
{
  char buf[BUFFER_INSIZE] ;
  char line[USERLINE_MAX + 2] ;
  size_t userlen = strlen(user) ;
  unsigned int lineno = 0 ;
  buffer b ;
  int found = 0, r ;
  int fd = open_readb(file) ;
  if (fd < 0) strerr_diefu2sys(111, "open users file ", file) ;
  buffer_init(&b, &buffer_read, fd, buf, sizeof(buf)) ;
  *dummy = 0 ;
  while ((r = getline_(&b, line, file)))
  {
    char const *name, *h ;
    size_t namelen ;
    char fmt[UINT_FMT] ;
    fmt[uint_fmt(fmt, ++lineno)] = 0 ;
    if (r > 0) r = parseline(line, &name, &namelen, &h) ;
    else
    {
      dcr_log("event", "users-file", "file", file, "line", fmt, "why", "line over 4096 bytes, skipped", (char *)0) ;
      continue ;
    }
    if (r < 0) dcr_log("event", "users-file", "file", file, "line", fmt, "why", "no colon, skipped", (char *)0) ;
    if (r <= 0) continue ;
    if (!found && namelen == userlen && !memcmp(name, user, userlen))
    {
      memcpy(hash, h, strlen(h) + 1) ;
      found = 1 ;
    }
    h = users_unscheme(h) ;
    if (!*dummy && h && !users_locked(h)) memcpy(dummy, h, strlen(h) + 1) ;
  }
  fd_close(fd) ;
  explicit_bzero(line, sizeof(line)) ;
  return found ;
}
