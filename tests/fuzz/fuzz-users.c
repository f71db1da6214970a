/* ISC license. */
/* libFuzzer target: dcr-checkpass's users file reader (src/auth/users.c).
   The input is a user name, a NUL, then the file (no NUL: the user is
   "alice"). The file is read through a memory file as dcr-checkpass
   reads it, by lines of at most USERLINE_MAX bytes; the result must be
   what a plain reading of the same bytes in memory finds here: the
   user's first line's hash, and the first hash that can be checked (the
   dummy an unknown user is checked against). log.c is left out
   (fuzz-users_OMIT): log lines are checked, not written. */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dcr/log.h>

#include "../../src/auth/users.h"

void dcr_log (char const *key, ...)
{
  va_list ap ;
  va_start(ap, key) ;
  while (key)
  {
    char const *v = va_arg(ap, char const *) ;
    if (!v || !*key) abort() ;
    (void)strlen(v) ;
    key = va_arg(ap, char const *) ;
  }
  va_end(ap) ;
}

/* the same reading, plainly: lines split on LF, a NUL ends a line's text */
static int model (char const *f, size_t len, char const *user, char *hash, char *dummy)
{
  static char line[USERLINE_MAX + 1] ;
  size_t pos = 0 ;
  int found = 0 ;
  *dummy = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(f + pos, '\n', len - pos) ;
    size_t e = nl ? (size_t)(nl - f) : len, n = e - pos ;
    char *s = line, *colon, *h ;
    if (n <= USERLINE_MAX)
    {
      memcpy(line, f + pos, n) ;
      line[n] = 0 ;
      n = strlen(line) ;
      while (n && (s[n-1] == ' ' || s[n-1] == '\t' || s[n-1] == '\r')) s[--n] = 0 ;
      while (*s == ' ' || *s == '\t') s++ ;
      colon = *s && *s != '#' ? strchr(s, ':') : 0 ;
      if (colon)
      {
        h = colon + 1 ;
        if (strchr(h, ':')) *strchr(h, ':') = 0 ;
        *colon = 0 ;
        if (!found && !strcmp(s, user)) { strcpy(hash, h) ; found = 1 ; }
        if (*h == '{')
        {
          char *b = strchr(h, '}') ;
          h = b && b - h >= 6 && !strncasecmp(b - 5, "CRYPT", 5) ? b + 1 : 0 ;
        }
        if (!*dummy && h && *h && *h != '!' && *h != '*') strcpy(dummy, h) ;
      }
    }
    pos = e + 1 ;
  }
  return found ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char hash[USERLINE_MAX + 1], dummy[USERLINE_MAX + 1], mhash[USERLINE_MAX + 1], mdummy[USERLINE_MAX + 1] ;
  char const *s = (char const *)data, *nul = memchr(s, 0, size) ;
  char user[512] = "alice", path[64] ;
  char const *file = s ;
  size_t flen = size ;
  int fd, found ;

  if (nul)
  {
    size_t n = nul - s ;
    if (!n || n >= sizeof user) return 0 ;   /* dcr-checkpass takes neither */
    memcpy(user, s, n) ; user[n] = 0 ;
    file = nul + 1 ; flen = size - n - 1 ;
  }
  fd = memfd_create("fuzz-users", 0) ;
  if (fd < 0 || (flen && write(fd, file, flen) != (ssize_t)flen)) abort() ;
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd) ;
  found = users_lookup(path, user, hash, dummy) ;
  close(fd) ;
  if (found != model(file, flen, user, mhash, mdummy)) abort() ;
  if (found && strcmp(hash, mhash)) abort() ;
  if (strcmp(dummy, mdummy)) abort() ;
  if (found)
  {
    /* the hash itself, or what follows its {SCHEME}, or 0 */
    char const *h = users_unscheme(hash) ;
    if (hash[0] != '{' ? h != hash : h && (h <= hash || h[-1] != '}' || memchr(hash, '}', h - 1 - hash))) abort() ;
  }
  return 0 ;
}
