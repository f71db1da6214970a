/* ISC license. */
/* libFuzzer target: dcr-maildir's path template check and its expansion
   for a recipient (src/maildir/maildir.c), where a hostile address must
   never name a directory outside the one the template means. The input
   is a template, a NUL, then the recipient; without a NUL, the template
   is /var/mail/%d/%u/Maildir. Besides not crashing:
   - an expansion that succeeds is NUL-terminated, no longer than
     MD_PATHMAX, appended after what the stralloc held (kept as it was),
     has exactly the template's '/' (no part adds a directory level),
     and adds no "/." (so no "." or ".." component, no hidden name) and
     no "//" that the template does not have itself;
   - a refused expansion says why and leaves the stralloc as it was. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../src/maildir/maildir.h"

static size_t slashes (char const *s, size_t n)
{
  size_t k = 0 ;
  for (size_t i = 0 ; i < n ; i++) k += s[i] == '/' ;
  return k ;
}

static int has (char const *s, size_t n, char const *what)
{
  return !!memmem(s, n, what, strlen(what)) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char const prefix[] = "keep" ;
  char *in = malloc(size + 1) ;
  char const *tmpl = "/var/mail/%d/%u/Maildir", *addr, *why = 0, *nul ;
  stralloc sa = STRALLOC_ZERO ;

  if (!in) abort() ;
  memcpy(in, data, size) ;
  in[size] = 0 ;
  nul = memchr(in, 0, size) ;
  addr = in ;
  if (nul) { tmpl = in ; addr = nul + 1 ; }

  if (!md_template_check(tmpl))
  {
    size_t tl = strlen(tmpl) ;
    if (!stralloc_cats(&sa, prefix)) abort() ;
    if (md_expand(&sa, tmpl, addr, &why))
    {
      char const *p = sa.s + sizeof prefix - 1 ;
      size_t n = sa.len - (sizeof prefix - 1) ;
      if (memcmp(sa.s, prefix, sizeof prefix - 1)) abort() ;
      if (!n || p[n-1] || strlen(p) != n - 1 || n - 1 > MD_PATHMAX) abort() ;
      if (p[0] != '/' || slashes(p, n - 1) != slashes(tmpl, tl)) abort() ;
      if (has(p, n - 1, "/.") && !has(tmpl, tl, "/.")) abort() ;
      if (has(p, n - 1, "//") && !has(tmpl, tl, "//")) abort() ;
    }
    else if (!why || !*why || sa.len != sizeof prefix - 1 || memcmp(sa.s, prefix, sa.len)) abort() ;
  }
  stralloc_free(&sa) ;
  free(in) ;
  return 0 ;
}
