/* ISC license. */
/* libFuzzer target: DKIM canonicalization and the From-domain parser
   (src/dkim/canon.c, src/dkim/domain.c). Besides not crashing:
   - the body hash (relaxed and simple) is the same however the input
     is cut into chunks (the cuts are drawn from the input itself), and
     the same when fed octet by octet;
   - a relaxed header field canonicalizes to "name:value" CRLF with a
     lowercase name, no other CR or LF, no two blanks in a row, no tab,
     no blank before the CRLF; a simple one keeps its length within
     twice the input;
   - a domain found in From: is a plain lowercase host name;
   - the fast PEM key reader (src/dkim/key.c) takes any text without
     crashing, and a key it accepts is RSA with its numbers set. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../src/dkim/canon.h"
#include "../../src/dkim/domain.h"
#include "../../src/dkim/key.h"

static void hash_whole (char const *s, size_t n, int relaxed, unsigned char *h)
{
  dkim_body c ;
  dkim_body_init(&c, relaxed) ;
  dkim_body_update(&c, s, n) ;
  dkim_body_final(&c, h) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s ;
  size_t n ;
  uint8_t seed ;
  if (!size) return 0 ;
  seed = data[0] ;
  s = (char const *)data + 1 ;
  n = size - 1 ;

  for (int relaxed = 0 ; relaxed < 2 ; relaxed++)
  {
    unsigned char whole[32], cut[32], one[32] ;
    dkim_body c ;
    size_t i = 0, step = (seed & 15) + 1 ;
    hash_whole(s, n, relaxed, whole) ;
    dkim_body_init(&c, relaxed) ;
    while (i < n)
    {
      /* chunk lengths from the data: a CR and its LF often fall apart */
      size_t k = ((unsigned char)s[i] % (step * 3)) + 1 ;
      if (k > n - i) k = n - i ;
      dkim_body_update(&c, s + i, k) ;
      i += k ;
    }
    dkim_body_final(&c, cut) ;
    if (memcmp(whole, cut, 32)) abort() ;
    if (n < 4096)
    {
      dkim_body_init(&c, relaxed) ;
      for (i = 0 ; i < n ; i++) dkim_body_update(&c, s + i, 1) ;
      dkim_body_final(&c, one) ;
      if (memcmp(whole, one, 32)) abort() ;
    }
  }

  {
    /* the input as one field: a name up to the first ':' */
    char const *colon = memchr(s, ':', n) ;
    size_t namelen = colon ? (size_t)(colon - s) : 0 ;
    int goodname = colon && namelen ;
    for (size_t i = 0 ; goodname && i < namelen ; i++)
      if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127) goodname = 0 ;
    if (goodname)
    {
      stralloc sa = STRALLOC_ZERO ;
      if (!dkim_header_canon(&sa, s, n, namelen, 1, 0)) abort() ;
      if (sa.len < namelen + 3 || sa.s[namelen] != ':' || memcmp(sa.s + sa.len - 2, "\r\n", 2)) abort() ;
      for (size_t i = 0 ; i < namelen ; i++) if (sa.s[i] >= 'A' && sa.s[i] <= 'Z') abort() ;
      for (size_t i = namelen + 1 ; i < sa.len - 2 ; i++)
      {
        if (sa.s[i] == '\n' || sa.s[i] == '\t') abort() ;
        if (sa.s[i] == '\r' && i + 1 < sa.len - 2 && sa.s[i+1] == '\n') abort() ;
        if (sa.s[i] == ' ' && (i == namelen + 1 || sa.s[i+1] == ' ' || i + 1 == sa.len - 2)) abort() ;
      }
      sa.len = 0 ;
      if (!dkim_header_canon(&sa, s, n, namelen, 0, 0)) abort() ;
      if (sa.len > 2 * n + 2) abort() ;
      stralloc_free(&sa) ;
    }
  }

  {
    static dkim_key k ;
    char const *why ;
    int r = dkim_key_text(&k, s, n, &why) ;
    if (r == 1 && (!k.sk || !k.sk->plen || !k.sk->qlen)) abort() ;
    if (r == 0 && !why) abort() ;
  }

  {
    stralloc d = STRALLOC_ZERO ;
    if (dkim_from_domain(s, n, &d))
    {
      if (!d.len || d.s[d.len - 1] || !dkim_domain_ok(d.s, d.len - 1)) abort() ;
      if (strchr(d.s, '/') || strstr(d.s, "..")) abort() ;
    }
    stralloc_free(&d) ;
  }
  return 0 ;
}
