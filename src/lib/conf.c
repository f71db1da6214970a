/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/types.h>
#include <skalibs/djbunix.h>

#include <dcr/conf.h>

int dcr_conf_line (char const *dir, char const *name, char *buf, size_t max)
{
  size_t dlen = strlen(dir), nlen = strlen(name), i = 0 ;
  char path[dlen + nlen + 2] ;
  ssize_t r ;
  memcpy(path, dir, dlen) ; path[dlen] = '/' ; memcpy(path + dlen + 1, name, nlen + 1) ;
  r = openreadnclose(path, buf, max - 1) ;
  if (r < 0) return errno == ENOENT ? 0 : -1 ;
  buf[r] = 0 ;
  while (buf[i] && buf[i] != '\n') i++ ;
  buf[i] = 0 ;
  while (i && (buf[i-1] == ' ' || buf[i-1] == '\t' || buf[i-1] == '\r')) buf[--i] = 0 ;
  return 1 ;
}

int dcr_conf_num (char const *dir, char const *name, uint64_t *v)
{
  char buf[64] ;
  uint64_t u ;
  size_t n ;
  int r = dir ? dcr_conf_line(dir, name, buf, sizeof buf) : 0 ;
  if (r <= 0) return r < 0 ? -1 : 1 ;
  n = uint64_scan(buf, &u) ;
  if (!n || buf[n]) return 0 ;
  *v = u ;
  return 1 ;
}
