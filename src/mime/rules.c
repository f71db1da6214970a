/* ISC license. */

/* The rules file of dcr-mimecheck: one rule a line, "#" comments.
     ACTION KIND ARG [MESSAGE]      ACTION: reject, tag, remove
                                    KIND: ext, type, word, regex
     ACTION malformed [MESSAGE]     ACTION: reject, tag
     ACTION badzip [MESSAGE]
     set NAME VALUE                 max-depth, max-parts, max-header,
                                    zip-max, tag-header
   A word is a run of non-blanks, or a double-quoted string where \"
   and \\ stand for " and \. */

#include <errno.h>
#include <regex.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "mimecheck.h"

#define WORDS 5

static int lower (int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c ; }

/* the words of line s (n octets) into w (offsets in sa, NUL-terminated): their number, or -1 (why) */
static int words (char const *s, size_t n, stralloc *sa, size_t *w, char const **why)
{
  size_t i = 0 ;
  int k = 0 ;
  sa->len = 0 ;
  for (;;)
  {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++ ;
    if (i >= n) return k ;
    if (k == WORDS) { *why = "too many words" ; return -1 ; }
    w[k++] = sa->len ;
    if (s[i] == '"')
    {
      for (i++ ; i < n && s[i] != '"' ; i++)
      {
        if (s[i] == '\\' && i + 1 < n) i++ ;
        if (!stralloc_catb(sa, s + i, 1)) return -2 ;
      }
      if (i >= n) { *why = "unterminated quoted string" ; return -1 ; }
      i++ ;
      if (i < n && s[i] != ' ' && s[i] != '\t') { *why = "a quoted string must be followed by a blank" ; return -1 ; }
    }
    else
      for (; i < n && s[i] != ' ' && s[i] != '\t' ; i++)
        if (!stralloc_catb(sa, s + i, 1)) return -2 ;
    if (!stralloc_0(sa)) return -2 ;
  }
}

/* a comma-separated list into r->text, items NUL-terminated, then an empty item */
static int list (rules *r, char const *s, int kind, char const **why)
{
  int items = 0 ;
  while (*s)
  {
    size_t start = r->text.len ;
    if (kind == K_EXT) while (*s == '.') s++ ;
    for (; *s && *s != ',' ; s++)
    {
      char c = lower(*s) ;
      if (kind == K_EXT && (c == '.' || c == '/' || c == '\\')) { *why = "an extension is a name without '.' or '/' (exe, not a.exe)" ; return 0 ; }
      if (!stralloc_catb(&r->text, &c, 1)) return -1 ;
    }
    if (r->text.len == start) { *why = "empty item in the list" ; return 0 ; }
    if (kind == K_TYPE && !memchr(r->text.s + start, '/', r->text.len - start)) { *why = "a content type is type/subtype or type/*" ; return 0 ; }
    if (!stralloc_0(&r->text)) return -1 ;
    items++ ;
    if (*s == ',') s++ ;
  }
  if (!items) { *why = "empty list" ; return 0 ; }
  return stralloc_0(&r->text) ? 1 : -1 ;
}

static int number (char const *s, uint64_t min, uint64_t max, uint64_t *v)
{
  size_t n = uint64_scan(s, v) ;
  return n && !s[n] && *v >= min && *v <= max ;
}

static int setting (rules *r, char const *name, char const *value, char const **why)
{
  uint64_t v ;
  if (!strcmp(name, "tag-header"))
  {
    if (!*value) { *why = "empty header name" ; return 0 ; }
    for (char const *c = value ; *c ; c++)
      if ((unsigned char)*c <= 32 || (unsigned char)*c >= 127 || *c == ':') { *why = "a header name is printable ASCII without ':' or blanks" ; return 0 ; }
    return 2 ;
  }
  if (!strcmp(name, "max-depth")) { if (!number(value, 1, DCR_MIME_DEPTH_MAX, &v)) goto range ; r->lim.max_depth = v ; return 1 ; }
  if (!strcmp(name, "max-parts")) { if (!number(value, 1, 1000000, &v)) goto range ; r->lim.max_parts = v ; return 1 ; }
  if (!strcmp(name, "max-header")) { if (!number(value, 1024, 1048576, &v)) goto range ; r->lim.max_header = v ; return 1 ; }
  if (!strcmp(name, "zip-max")) { if (!number(value, 0, (uint64_t)1 << 40, &v)) goto range ; r->zip_max = v ; return 1 ; }
  *why = "unknown setting (max-depth, max-parts, max-header, zip-max, tag-header)" ;
  return 0 ;
 range:
  *why = name[4] == 'd' ? "max-depth is a number from 1 to 64" : name[4] == 'p' ? "max-parts is a number from 1 to 1000000"
    : name[4] == 'h' ? "max-header is a number of octets from 1024 to 1048576" : "zip-max is a number of octets" ;
  return 0 ;
}

static int message_ok (char const *m, char const **why)
{
  if (!*m) { *why = "empty message" ; return 0 ; }
  for (char const *c = m ; *c ; c++)
    if ((unsigned char)*c < 32 || (unsigned char)*c >= 127) { *why = "a message is printable ASCII" ; return 0 ; }
  return 1 ;
}

static int oneline (rules *r, char const *s, size_t n, unsigned int line, stralloc *sa, char const **why, char *errbuf, size_t errlen)
{
  size_t w[WORDS] ;
  int k = words(s, n, sa, w, why), needarg ;
  rule x = { .line = line } ;
  char const *a, *kind ;
  if (k < -1) return -1 ;
  if (k < 0) return 0 ;
  if (!k) return 1 ;
  a = sa->s + w[0] ;
  if (!strcmp(a, "set"))
  {
    int t ;
    if (k != 3) { *why = "set NAME VALUE" ; return 0 ; }
    t = setting(r, sa->s + w[1], sa->s + w[2], why) ;
    if (t == 2)
    {
      size_t off = r->text.len ;
      if (!stralloc_cats(&r->text, sa->s + w[2]) || !stralloc_0(&r->text)) return -1 ;
      r->tagoff = off ;
      return 1 ;
    }
    return t ;
  }
  if (!strcmp(a, "reject")) x.action = A_REJECT ;
  else if (!strcmp(a, "tag")) x.action = A_TAG ;
  else if (!strcmp(a, "remove")) x.action = A_REMOVE ;
  else { *why = "unknown action (reject, tag, remove, or set)" ; return 0 ; }
  if (k < 2) { *why = "what to match is missing (ext, type, word, regex, malformed, badzip)" ; return 0 ; }
  kind = sa->s + w[1] ;
  if (!strcmp(kind, "ext")) x.kind = K_EXT ;
  else if (!strcmp(kind, "type")) x.kind = K_TYPE ;
  else if (!strcmp(kind, "word")) x.kind = K_WORD ;
  else if (!strcmp(kind, "regex")) x.kind = K_REGEX ;
  else if (!strcmp(kind, "malformed")) x.kind = K_MALFORMED ;
  else if (!strcmp(kind, "badzip")) x.kind = K_BADZIP ;
  else { *why = "unknown kind (ext, type, word, regex, malformed, badzip)" ; return 0 ; }
  needarg = x.kind <= K_REGEX ;
  if (x.kind == K_MALFORMED && x.action == A_REMOVE) { *why = "malformed MIME cannot be removed: reject or tag" ; return 0 ; }
  if (k < 2 + needarg) { *why = "the list, word or expression to match is missing" ; return 0 ; }
  if (k > 3 + needarg) { *why = "too many words (put the message in double quotes)" ; return 0 ; }
  if (k == 3 + needarg && !message_ok(sa->s + w[2 + needarg], why)) return 0 ;   /* before a regcomp */
  x.arg = r->text.len ;
  if (needarg)
  {
    char const *arg = sa->s + w[2] ;
    int t ;
    switch (x.kind)
    {
      case K_EXT : case K_TYPE :
        t = list(r, arg, x.kind, why) ;
        if (t <= 0) return t ;
        break ;
      case K_WORD :
        if (!*arg) { *why = "empty word" ; return 0 ; }
        for (char const *c = arg ; *c ; c++) { char l = lower(*c) ; if (!stralloc_catb(&r->text, &l, 1)) return -1 ; }
        if (!stralloc_0(&r->text)) return -1 ;
        r->has_text = 1 ;
        break ;
      default :
      {
        int e = regcomp(&x.re, arg, REG_EXTENDED | REG_ICASE | REG_NOSUB) ;
        if (e)
        {
          size_t m ;
          strcpy(errbuf, "bad regular expression: ") ;
          m = strlen(errbuf) ;
          regerror(e, &x.re, errbuf + m, errlen - m) ;
          *why = errbuf ;
          return 0 ;
        }
        if (!stralloc_cats(&r->text, arg) || !stralloc_0(&r->text)) goto nomem ;
        r->has_text = 1 ;
      }
    }
  }
  if (k == 3 + needarg)
  {
    x.message = r->text.len ;
    if (!stralloc_cats(&r->text, sa->s + w[2 + needarg]) || !stralloc_0(&r->text)) goto nomem ;
  }
  if (genalloc_append(rule, &r->list, &x)) return 1 ;
 nomem:
  if (x.kind == K_REGEX) regfree(&x.re) ;   /* compiled, and in no rule that rules_free sees */
  return -1 ;
}

int rules_parse (rules *r, char const *s, size_t len, unsigned int *line, char const **why, char *errbuf, size_t errlen)
{
  static dcr_mime_limits const deflim = DCR_MIME_LIMITS_DEFAULT ;
  stralloc sa = STRALLOC_ZERO ;
  size_t i = 0 ;
  unsigned int n = 0 ;
  r->lim = deflim ;
  r->zip_max = 52428800 ;
  r->has_text = 0 ;
  r->text.len = 0 ;
  r->tagheader = 0 ;
  if (!stralloc_0(&r->text) || !stralloc_cats(&r->text, "X-DCR-MIME") || !stralloc_0(&r->text)) return -1 ;
  r->tagoff = 1 ;
  while (i < len)
  {
    char const *nl = memchr(s + i, '\n', len - i) ;
    size_t e = nl ? (size_t)(nl - s) : len, j = i, end = e ;
    int t ;
    n++ ;
    if (end > i && s[end-1] == '\r') end-- ;
    while (j < end && (s[j] == ' ' || s[j] == '\t')) j++ ;
    if (j < end && s[j] != '#')
    {
      t = oneline(r, s + j, end - j, n, &sa, why, errbuf, errlen) ;
      if (t <= 0) { *line = n ; stralloc_free(&sa) ; return t ; }
    }
    i = e + 1 ;
  }
  stralloc_free(&sa) ;
  r->tagheader = r->text.s + r->tagoff ;
  return 1 ;
}

void rules_free (rules *r)
{
  for (size_t i = 0 ; i < rules_n(r) ; i++)
    if (rules_at(r, i)->kind == K_REGEX) regfree(&rules_at(r, i)->re) ;
  genalloc_free(rule, &r->list) ;
  stralloc_free(&r->text) ;
  r->tagheader = 0 ;
}
