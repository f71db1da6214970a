/* ISC license. */

#include <string.h>
#include <strings.h>

#include <dcr/xtext.h>
#include <dcr/esmtp.h>

static struct { char const *name ; int cmd ; } const verbs[] =
{
  { "EHLO", DCR_CMD_EHLO }, { "HELO", DCR_CMD_HELO }, { "MAIL", DCR_CMD_MAIL },
  { "RCPT", DCR_CMD_RCPT }, { "DATA", DCR_CMD_DATA }, { "BDAT", DCR_CMD_BDAT },
  { "RSET", DCR_CMD_RSET }, { "NOOP", DCR_CMD_NOOP }, { "QUIT", DCR_CMD_QUIT },
  { "VRFY", DCR_CMD_VRFY }, { "HELP", DCR_CMD_HELP }, { "EXPN", DCR_CMD_EXPN },
  { "STARTTLS", DCR_CMD_STARTTLS }, { "AUTH", DCR_CMD_AUTH },
  { "TURN", DCR_CMD_TURN }, { "ETRN", DCR_CMD_ETRN },
  { 0, 0 }
} ;

int dcr_esmtp_verb (char const *s, size_t len, size_t *arg)
{
  size_t n = 0 ;
  unsigned int i = 0 ;
  while (n < len && s[n] != ' ') n++ ;
  *arg = n < len ? n + 1 : len ;
  for (; verbs[i].name ; i++)
    if (strlen(verbs[i].name) == n && !strncasecmp(s, verbs[i].name, n)) return verbs[i].cmd ;
  return DCR_CMD_UNKNOWN ;
}

/* one parameter: keyword [= value] */
typedef struct param_s { char const *k ; size_t klen ; char const *v ; size_t vlen ; int hasv ; } param ;

/* next parameter at s[*i]; 0 at the end, -1 on bad syntax, 1 found */
static int next (char const *s, size_t len, size_t *i, param *p)
{
  size_t j = *i ;
  if (j >= len) return 0 ;
  if (s[j] != ' ') return -1 ;
  while (j < len && s[j] == ' ') j++ ;
  if (j >= len) { *i = j ; return 0 ; }   /* trailing spaces: tolerated */
  p->k = s + j ;
  while (j < len && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9') || (s[j] == '-' && s + j > p->k))) j++ ;
  p->klen = s + j - p->k ;
  if (!p->klen) return -1 ;
  p->hasv = 0 ; p->v = 0 ; p->vlen = 0 ;
  if (j < len && s[j] == '=')
  {
    j++ ;
    p->v = s + j ; p->hasv = 1 ;
    while (j < len && (unsigned char)s[j] >= 33 && (unsigned char)s[j] <= 126 && s[j] != '=') j++ ;
    p->vlen = s + j - p->v ;
    if (!p->vlen) return -1 ;
  }
  if (j < len && s[j] != ' ') return -1 ;
  *i = j ;
  return 1 ;
}

static int is (param const *p, char const *name)
{
  return strlen(name) == p->klen && !strncasecmp(p->k, name, p->klen) ;
}

static int vis (param const *p, char const *name)
{
  return strlen(name) == p->vlen && !strncasecmp(p->v, name, p->vlen) ;
}

static int decode_printable (char const *s, size_t len, char *out, size_t max)
{
  long n = dcr_xtext_decode(s, len, out, max) ;
  long i = 0 ;
  if (n < 0) return 0 ;
  for (; i < n ; i++)
  {
    unsigned char c = out[i] ;
    if (c < 32 || c == 127) return 0 ;
  }
  out[n] = 0 ;
  return 1 ;
}

static int mailparam (param const *p, unsigned long long maxsize, dcr_mailparams *m)
{
  if (is(p, "SIZE"))
  {
    unsigned long long v = 0 ;
    size_t i = 0 ;
    if (m->hassize) return DCR_ESMTP_EDUP ;
    if (!p->hasv) return DCR_ESMTP_EVALUE ;
    for (; i < p->vlen ; i++) if (p->v[i] < '0' || p->v[i] > '9') return DCR_ESMTP_EVALUE ;
    if (p->vlen > 20) return DCR_ESMTP_ETOOBIG ;   /* digits, but more than 2^64 */
    i = 0 ;
    for (; i < p->vlen ; i++)
    {
      unsigned int d = (unsigned char)p->v[i] - '0' ;
      if (d > 9) return DCR_ESMTP_EVALUE ;
      if (v > (~0ULL - d) / 10) return DCR_ESMTP_ETOOBIG ;
      v = v * 10 + d ;
    }
    m->size = v ; m->hassize = 1 ;
    if (maxsize && v > maxsize) return DCR_ESMTP_ETOOBIG ;
    return DCR_ESMTP_OK ;
  }
  if (is(p, "BODY"))
  {
    if (m->body) return DCR_ESMTP_EDUP ;
    if (!p->hasv) return DCR_ESMTP_EVALUE ;
    if (vis(p, "7BIT")) m->body = DCR_BODY_7BIT ;
    else if (vis(p, "8BITMIME")) m->body = DCR_BODY_8BITMIME ;
    else if (vis(p, "BINARYMIME")) return DCR_ESMTP_EBINARY ;
    else return DCR_ESMTP_EVALUE ;
    return DCR_ESMTP_OK ;
  }
  if (is(p, "SMTPUTF8"))
  {
    if (m->smtputf8) return DCR_ESMTP_EDUP ;
    if (p->hasv) return DCR_ESMTP_EVALUE ;
    m->smtputf8 = 1 ;
    return DCR_ESMTP_OK ;
  }
  if (is(p, "RET"))
  {
    if (m->ret) return DCR_ESMTP_EDUP ;
    if (!p->hasv) return DCR_ESMTP_EVALUE ;
    if (vis(p, "FULL")) m->ret = DCR_RET_FULL ;
    else if (vis(p, "HDRS")) m->ret = DCR_RET_HDRS ;
    else return DCR_ESMTP_EVALUE ;
    return DCR_ESMTP_OK ;
  }
  if (is(p, "ENVID"))
  {
    if (m->hasenvid) return DCR_ESMTP_EDUP ;
    if (!p->hasv || p->vlen > DCR_ESMTP_ENVIDMAX) return DCR_ESMTP_EVALUE ;
    if (!decode_printable(p->v, p->vlen, m->envid, DCR_ESMTP_ENVIDMAX)) return DCR_ESMTP_EVALUE ;
    m->hasenvid = 1 ;
    return DCR_ESMTP_OK ;
  }
  if (is(p, "AUTH"))
  {
    if (m->hasauth) return DCR_ESMTP_EDUP ;
    if (!p->hasv || p->vlen > 500) return DCR_ESMTP_EVALUE ;
    if (!vis(p, "<>"))
    {
      char tmp[501] ;   /* decoded only to check it: no control characters */
      if (!decode_printable(p->v, p->vlen, tmp, 500)) return DCR_ESMTP_EVALUE ;
    }
    m->hasauth = 1 ;
    return DCR_ESMTP_OK ;
  }
  if (is(p, "NOTIFY") || is(p, "ORCPT")) return DCR_ESMTP_EWRONG ;
  return DCR_ESMTP_EUNKNOWN ;
}

int dcr_esmtp_mail (char const *s, size_t len, unsigned long long maxsize, dcr_mailparams *m)
{
  size_t i = 0 ;
  param p ;
  int r ;
  memset(m, 0, sizeof(*m)) ;
  while ((r = next(s, len, &i, &p)) > 0)
  {
    int e = mailparam(&p, maxsize, m) ;
    if (e) return e ;
  }
  return r < 0 ? DCR_ESMTP_ESYNTAX : DCR_ESMTP_OK ;
}

static int notify (param const *p, dcr_rcptparams *r)
{
  size_t i = 0 ;
  if (!p->hasv) return DCR_ESMTP_EVALUE ;
  while (i < p->vlen)
  {
    size_t j = i ;
    unsigned int bit ;
    while (j < p->vlen && p->v[j] != ',') j++ ;
    if (j - i == 5 && !strncasecmp(p->v + i, "NEVER", 5)) bit = DCR_NOTIFY_NEVER ;
    else if (j - i == 7 && !strncasecmp(p->v + i, "SUCCESS", 7)) bit = DCR_NOTIFY_SUCCESS ;
    else if (j - i == 7 && !strncasecmp(p->v + i, "FAILURE", 7)) bit = DCR_NOTIFY_FAILURE ;
    else if (j - i == 5 && !strncasecmp(p->v + i, "DELAY", 5)) bit = DCR_NOTIFY_DELAY ;
    else return DCR_ESMTP_EVALUE ;
    if (r->notify & bit) return DCR_ESMTP_EVALUE ;
    r->notify |= bit ;
    if (j < p->vlen && j + 1 == p->vlen) return DCR_ESMTP_EVALUE ;   /* trailing comma */
    i = j + 1 ;
  }
  if ((r->notify & DCR_NOTIFY_NEVER) && r->notify != DCR_NOTIFY_NEVER) return DCR_ESMTP_EVALUE ;
  return DCR_ESMTP_OK ;
}

static int orcpt (param const *p, dcr_rcptparams *r)
{
  size_t t = 0 ;
  if (!p->hasv || p->vlen > DCR_ESMTP_ORCPTMAX) return DCR_ESMTP_EVALUE ;
  while (t < p->vlen && p->v[t] != ';')
  {
    char c = p->v[t] ;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return DCR_ESMTP_EVALUE ;
    t++ ;
  }
  if (!t || t >= p->vlen - 1) return DCR_ESMTP_EVALUE ;   /* no type, no ";" or empty address */
  memcpy(r->orcpt, p->v, t + 1) ;
  if (!decode_printable(p->v + t + 1, p->vlen - t - 1, r->orcpt + t + 1, DCR_ESMTP_ORCPTMAX - t - 1)) return DCR_ESMTP_EVALUE ;
  r->hasorcpt = 1 ;
  return DCR_ESMTP_OK ;
}

int dcr_esmtp_rcpt (char const *s, size_t len, dcr_rcptparams *r)
{
  size_t i = 0 ;
  param p ;
  int e ;
  memset(r, 0, sizeof(*r)) ;
  while ((e = next(s, len, &i, &p)) > 0)
  {
    if (is(&p, "NOTIFY"))
    {
      if (r->notify) return DCR_ESMTP_EDUP ;
      if ((e = notify(&p, r))) return e ;
    }
    else if (is(&p, "ORCPT"))
    {
      if (r->hasorcpt) return DCR_ESMTP_EDUP ;
      if ((e = orcpt(&p, r))) return e ;
    }
    else if (is(&p, "SIZE") || is(&p, "BODY") || is(&p, "SMTPUTF8") || is(&p, "RET") || is(&p, "ENVID") || is(&p, "AUTH"))
      return DCR_ESMTP_EWRONG ;
    else return DCR_ESMTP_EUNKNOWN ;
  }
  return e < 0 ? DCR_ESMTP_ESYNTAX : DCR_ESMTP_OK ;
}

char const *dcr_esmtp_reply (int err)
{
  switch (err)
  {
    case DCR_ESMTP_EUNKNOWN : return "555 5.5.4 unknown parameter" ;
    case DCR_ESMTP_EWRONG : return "555 5.5.4 parameter not allowed with this command" ;
    case DCR_ESMTP_EDUP : return "501 5.5.4 duplicate parameter" ;
    case DCR_ESMTP_EVALUE : return "501 5.5.4 bad parameter value" ;
    case DCR_ESMTP_EBINARY : return "555 5.5.4 BODY=BINARYMIME not supported" ;
    case DCR_ESMTP_ETOOBIG : return "552 5.3.4 message too big" ;
    case DCR_ESMTP_ESYNTAX :
    default : return "501 5.5.4 syntax error in parameters" ;
  }
}

size_t dcr_esmtp_notify_fmt (char *s, unsigned int n)
{
  size_t len = 0 ;
  s[0] = 0 ;
  if (n & DCR_NOTIFY_NEVER) { memcpy(s, "NEVER", 6) ; return 5 ; }
  if (n & DCR_NOTIFY_SUCCESS) { memcpy(s + len, "SUCCESS,", 8) ; len += 8 ; }
  if (n & DCR_NOTIFY_FAILURE) { memcpy(s + len, "FAILURE,", 8) ; len += 8 ; }
  if (n & DCR_NOTIFY_DELAY) { memcpy(s + len, "DELAY,", 6) ; len += 6 ; }
  if (len) len-- ;
  s[len] = 0 ;
  return len ;
}
