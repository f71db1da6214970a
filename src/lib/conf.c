/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/djbunix.h>

#include <dcr/conf.h>

/* DIR/NAME into path, which has room for both, a slash and the NUL */
static void confpath (char *path, char const *dir, size_t dlen, char const *name, size_t nlen)
{
  memcpy(path, dir, dlen) ;
  path[dlen] = '/' ;
  memcpy(path + dlen + 1, name, nlen + 1) ;
}

int dcr_conf_line (char const *dir, char const *name, char *buf, size_t max)
{
  size_t dlen = strlen(dir), nlen = strlen(name), i = 0 ;
  char path[dlen + nlen + 2] ;
  ssize_t r ;
  confpath(path, dir, dlen, name, nlen) ;
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

int dcr_stat_same (struct stat const *a, struct stat const *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size
    && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec
    && a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec ;
}

int dcr_file_changed (char const *path, struct stat *last)
{
  struct stat st ;
  if (stat(path, &st) < 0)
  {
    if (errno != ENOENT) return 0 ;
    memset(&st, 0, sizeof(st)) ;
  }
  if (dcr_stat_same(&st, last)) return 0 ;
  *last = st ;
  return 1 ;
}

int dcr_conf_changed (char const *dir, char const *name, struct stat *last)
{
  size_t dlen = strlen(dir), nlen = strlen(name) ;
  char path[dlen + nlen + 2] ;
  confpath(path, dir, dlen, name, nlen) ;
  return dcr_file_changed(path, last) ;
}
