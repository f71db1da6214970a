/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/fmtscan.h>

#include <dcr/addr.h>

size_t dcr_utf8_seq (char const *s, size_t len)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t n, i ;
  unsigned long cp ;
  if (!len) return 0 ;
  if (u[0] >= 0xc2 && u[0] <= 0xdf) { n = 2 ; cp = u[0] & 0x1f ; }
  else if (u[0] >= 0xe0 && u[0] <= 0xef) { n = 3 ; cp = u[0] & 0x0f ; }
  else if (u[0] >= 0xf0 && u[0] <= 0xf4) { n = 4 ; cp = u[0] & 0x07 ; }
  else return 0 ;
  if (len < n) return 0 ;
  for (i = 1 ; i < n ; i++)
  {
    if ((u[i] & 0xc0) != 0x80) return 0 ;
    cp = cp << 6 | (u[i] & 0x3f) ;
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0 ;  /* overlong */
  if (cp >= 0xd800 && cp <= 0xdfff) return 0 ;  /* surrogate */
  if (cp > 0x10ffff) return 0 ;
  return n ;
}

static int isalnum_ascii (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ;
}

static int isatext (unsigned char c)
{
  return isalnum_ascii(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c)) ;
}

int dcr_addr_domain (char const *s, size_t len, int utf8)
{
  size_t i = 0 ;
  if (!len || len > DCR_ADDR_DOMAINMAX) return 0 ;
  for (;;)
  {
    size_t start = i ;
    unsigned char last = 0 ;
    while (i < len && s[i] != '.')
    {
      unsigned char c = s[i] ;
      if (isalnum_ascii(c) || (c == '-' && i > start)) { last = c ; i++ ; }
      else if (c >= 0x80 && utf8)
      {
        size_t k = dcr_utf8_seq(s + i, len - i) ;
        if (!k) return 0 ;
        last = 'x' ; i += k ;
      }
      else return 0 ;
      if (i - start > 63) return 0 ;
    }
    if (i == start || last == '-') return 0 ;   /* empty label, or ends with - */
    if (i == len) return 1 ;
    i++ ;   /* the dot: a label must follow (no trailing dot) */
    if (i == len) return 0 ;
  }
}

static int ip4lit (char const *s, size_t len)
{
  size_t i = 0 ;
  unsigned int part = 0 ;
  for (; part < 4 ; part++)
  {
    unsigned int v = 0, digits = 0 ;
    if (part) { if (i >= len || s[i] != '.') return 0 ; i++ ; }
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) { v = v * 10 + (s[i] - '0') ; i++ ; digits++ ; }
    if (!digits || digits > 3 || v > 255) return 0 ;
  }
  return i == len ;
}

static int ip6lit (char const *s, size_t len)
{
  char tmp[64] ;
  char ip[16] ;
  size_t i ;
  if (len < 5 || len - 5 >= sizeof(tmp)) return 0 ;
  if (strncasecmp(s, "IPv6:", 5)) return 0 ;
  for (i = 5 ; i < len ; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':' || s[i] == '.')) return 0 ;
  memcpy(tmp, s + 5, len - 5) ; tmp[len - 5] = 0 ;
  return ip6_scan(tmp, ip) == len - 5 ;
}

/* quoted string starting at s[0] == '"'; returns its length with both
   quotes, or 0. Sets *bad if the content holds @ % !, *u8 on UTF-8. */
static size_t quoted (char const *s, size_t len, int *bad, int *u8)
{
  size_t i = 1 ;
  while (i < len)
  {
    unsigned char c = s[i] ;
    if (c == '"') return i + 1 ;
    if (c == '\\')
    {
      if (i + 1 >= len) return 0 ;
      c = s[i+1] ;
      if (c < 32 || c > 126) return 0 ;
      if (c == '@' || c == '%' || c == '!') *bad = 1 ;
      i += 2 ;
    }
    else if (c >= 0x80)
    {
      size_t k = dcr_utf8_seq(s + i, len - i) ;
      if (!k) return 0 ;
      *u8 = 1 ; i += k ;
    }
    else if (c < 32 || c > 126) return 0 ;
    else
    {
      if (c == '@' || c == '%' || c == '!') *bad = 1 ;
      i++ ;
    }
  }
  return 0 ;
}

/* dot-string; returns its length (0 if none or bad) */
static size_t dotstring (char const *s, size_t len, int *hack, int *u8)
{
  size_t i = 0 ;
  int atom = 0 ;
  while (i < len)
  {
    unsigned char c = s[i] ;
    if (c == '.')
    {
      if (!atom) return 0 ;
      atom = 0 ; i++ ;
    }
    else if (isatext(c))
    {
      if (c == '%' || c == '!') *hack = 1 ;
      atom = 1 ; i++ ;
    }
    else if (c >= 0x80)
    {
      size_t k = dcr_utf8_seq(s + i, len - i) ;
      if (!k) return 0 ;
      *u8 = 1 ; atom = 1 ; i += k ;
    }
    else break ;
  }
  return atom ? i : 0 ;
}

int dcr_addr_parse (char const *s, size_t len, unsigned int flags, dcr_addr *a, size_t *used)
{
  size_t i = 0, start, local, end ;
  int bad = 0, hack = 0, u8 = 0 ;
  memset(a, 0, sizeof(*a)) ;
  while (i < len && s[i] == ' ') i++ ;
  if (i >= len || s[i] != '<') return DCR_ADDR_ENOBRACKET ;
  start = ++i ;
  if (i < len && s[i] == '>')
  {
    if (!(flags & DCR_ADDR_NULLOK)) return DCR_ADDR_ENULL ;
    a->kind = DCR_ADDR_NULL ;
    *used = i + 1 ;
    return DCR_ADDR_OK ;
  }
  if (i < len && s[i] == '@') return DCR_ADDR_EROUTE ;
  if (i < len && s[i] == '"')
  {
    local = quoted(s + i, len - i, &bad, &u8) ;
    if (!local) return DCR_ADDR_ESYNTAX ;
    a->quoted = 1 ;
  }
  else local = dotstring(s + i, len - i, &hack, &u8) ;
  if (!local) return DCR_ADDR_ESYNTAX ;
  i += local ;
  if (local > DCR_ADDR_LOCALMAX) return DCR_ADDR_ETOOLONG ;
  if (i < len && s[i] == '>' && !a->quoted && local == 10
   && !strncasecmp(s + start, "postmaster", 10) && (flags & DCR_ADDR_POSTMASTER))
  {
    a->kind = DCR_ADDR_PM ;
    memcpy(a->addr, s + start, 10) ;
    a->len = a->at = 10 ;
    *used = i + 1 ;
    return DCR_ADDR_OK ;
  }
  if (i >= len || s[i] != '@') return DCR_ADDR_ESYNTAX ;
  a->at = i - start ;
  i++ ;
  end = i ;
  if (end < len && s[end] == '[')
  {
    while (end < len && s[end] != ']' && s[end] != '>') end++ ;
    if (end >= len || s[end] != ']') return DCR_ADDR_ESYNTAX ;
    if (!ip4lit(s + i + 1, end - i - 1) && !ip6lit(s + i + 1, end - i - 1)) return DCR_ADDR_ESYNTAX ;
    end++ ;
    a->literal = 1 ;
  }
  else
  {
    while (end < len && s[end] != '>') end++ ;
    if (end - i > DCR_ADDR_DOMAINMAX) return DCR_ADDR_ETOOLONG ;
    if (!dcr_addr_domain(s + i, end - i, 1)) return DCR_ADDR_ESYNTAX ;
    {
      size_t j = i ;
      for (; j < end ; j++) if ((unsigned char)s[j] >= 0x80) u8 = 1 ;
    }
  }
  if (end >= len || s[end] != '>') return DCR_ADDR_ESYNTAX ;
  if (end - i > DCR_ADDR_DOMAINMAX) return DCR_ADDR_ETOOLONG ;
  if (end - start + 2 > DCR_ADDR_PATHMAX) return DCR_ADDR_ETOOLONG ;
  if (bad) return DCR_ADDR_EQUOTED ;
  memcpy(a->addr, s + start, end - start) ;
  a->addr[end - start] = 0 ;
  a->len = end - start ;
  a->kind = DCR_ADDR_MAILBOX ;
  a->relayhack = hack ;
  a->utf8 = u8 ;
  *used = end + 1 ;
  return DCR_ADDR_OK ;
}

char const *dcr_addr_reply (int err, int rcpt)
{
  switch (err)
  {
    case DCR_ADDR_ENOBRACKET :
      return rcpt ? "501 5.5.4 syntax: RCPT TO:<address>" : "501 5.5.4 syntax: MAIL FROM:<address>" ;
    case DCR_ADDR_ETOOLONG :
      return rcpt ? "501 5.1.3 address too long" : "501 5.1.7 address too long" ;
    case DCR_ADDR_EROUTE :
      return rcpt ? "553 5.1.3 source routes are not accepted" : "553 5.1.7 source routes are not accepted" ;
    case DCR_ADDR_EQUOTED :
      return rcpt ? "553 5.1.3 quoted local part with @ % or ! not accepted" : "553 5.1.7 quoted local part with @ % or ! not accepted" ;
    case DCR_ADDR_ENULL :
      return "501 5.1.3 null address not allowed here" ;
    case DCR_ADDR_EUTF8 :
      return "553 5.6.7 non-ASCII address requires SMTPUTF8" ;
    case DCR_ADDR_ESYNTAX :
    default :
      return rcpt ? "501 5.1.3 bad recipient address syntax" : "501 5.1.7 bad sender address syntax" ;
  }
}
