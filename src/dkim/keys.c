/* ISC license. */

#include <errno.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include <skalibs/direntry.h>

#include "domain.h"
#include "keys.h"

int dkim_selector_ok (char const *s, size_t n)
{
  char low[254] ;
  if (!n || n >= sizeof low) return 0 ;
  for (size_t i = 0 ; i < n ; i++) low[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i] ;
  return dkim_domain_ok(low, n) ;
}

static int setfile (stralloc *file, char const *keysdir, char const *domain, char const *name, size_t n)
{
  file->len = 0 ;
  return stralloc_cats(file, keysdir) && stralloc_catb(file, "/", 1) && stralloc_cats(file, domain)
    && stralloc_catb(file, "/", 1) && stralloc_catb(file, name, n) && stralloc_catb(file, ".key", 4) && stralloc_0(file) ;
}

int dkim_keys_find (char const *keysdir, char const *domain, char const *selector, stralloc *file, stralloc *sel, char const **why)
{
  DIR *dir ;
  direntry *d ;
  unsigned int count = 0 ;
  *why = 0 ;
  sel->len = 0 ;
  if (selector)
  {
    struct stat st ;
    if (!setfile(file, keysdir, domain, selector, strlen(selector))) return -1 ;
    if (stat(file->s, &st) == 0) return stralloc_cats(sel, selector) && stralloc_0(sel) ? 1 : -1 ;
    if (errno != ENOENT && errno != ENOTDIR) return -1 ;
  }
  file->len = 0 ;
  if (!stralloc_cats(file, keysdir) || !stralloc_catb(file, "/", 1) || !stralloc_cats(file, domain) || !stralloc_0(file)) return -1 ;
  dir = opendir(file->s) ;
  if (!dir) return errno == ENOENT || errno == ENOTDIR ? 0 : -1 ;
  for (;;)
  {
    size_t n ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    n = strlen(d->d_name) ;
    if (n <= 4 || memcmp(d->d_name + n - 4, ".key", 4) || !dkim_selector_ok(d->d_name, n - 4)) continue ;
    if (!count++ && !(stralloc_catb(sel, d->d_name, n - 4) && stralloc_0(sel))) { closedir(dir) ; return -1 ; }
  }
  if (errno) { int e = errno ; closedir(dir) ; errno = e ; return -1 ; }
  closedir(dir) ;
  if (!count) { sel->len = 0 ; return 0 ; }
  if (count > 1)
  {
    *why = selector ? "several .key files and none for the selector given by -S" : "several .key files: choose one with -S SELECTOR" ;
    return -1 ;
  }
  return setfile(file, keysdir, domain, sel->s, sel->len - 1) ? 1 : -1 ;
}
