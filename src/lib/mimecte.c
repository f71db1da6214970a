/* ISC license. */

/* The MIME parser's transfer decoders: base64 and quoted-printable,
   streaming, an octet at a time, into the entity's output buffer, which
   goes to the data event when full and at the end of each piece. What
   is malformed is marked and decoded as well as it can be. */

#include <dcr/mime.h>

#include "mimechar.h"
#include "mimeent.h"

static void flush (dcr_mime *p, dcr_mime_ent *e)
{
  if (e->outlen && p->ev.data) p->ev.data(p->ctx, &e->part, e->out, e->outlen) ;
  e->outlen = 0 ;
}

static void put (dcr_mime *p, dcr_mime_ent *e, char c)
{
  e->out[e->outlen++] = c ;
  if (e->outlen == sizeof e->out) flush(p, e) ;
}

void mime_bad (dcr_mime_ent *e, dcr_mime *p, unsigned int bit) { e->part.malformed |= bit ; p->malformed |= bit ; }

static void qp (dcr_mime *p, dcr_mime_ent *e, unsigned char c)
{
  for (;;)
    switch (e->qpst)
    {
      case 0 :
        if (c == '=') e->qpst = 1 ; else put(p, e, c) ;
        return ;
      case 1 :
        if (hexval(c) >= 0) { e->qp1 = c ; e->qpst = 2 ; return ; }
        if (c == '\n') { e->qpst = 0 ; return ; }
        if (isblank_(c) || c == '\r') { e->qpst = 3 ; return ; }
        mime_bad(e, p, DCR_MIME_MQP) ; put(p, e, '=') ; e->qpst = 0 ;
        continue ;
      case 2 :
        if (hexval(c) >= 0) { put(p, e, (hexval(e->qp1) << 4) | hexval(c)) ; e->qpst = 0 ; return ; }
        mime_bad(e, p, DCR_MIME_MQP) ; put(p, e, '=') ; put(p, e, e->qp1) ; e->qpst = 0 ;
        continue ;
      default :
        if (c == '\n') { e->qpst = 0 ; return ; }
        if (isblank_(c) || c == '\r') return ;
        mime_bad(e, p, DCR_MIME_MQP) ; e->qpst = 0 ;
        continue ;
    }
}

static void b64 (dcr_mime *p, dcr_mime_ent *e, unsigned char c)
{
  int v = b64val(c) ;
  if (v >= 0)
  {
    e->b64acc = (e->b64acc << 6) | v ;
    if (++e->b64n == 4)
    {
      put(p, e, e->b64acc >> 16) ; put(p, e, e->b64acc >> 8) ; put(p, e, e->b64acc) ;
      e->b64n = 0 ; e->b64acc = 0 ;
    }
  }
  else if (c == '=')
  {
    /* padding ends a quantum; decoding goes on after it (concatenated base64) */
    if (e->b64n == 2) put(p, e, e->b64acc >> 4) ;
    else if (e->b64n == 3) { put(p, e, e->b64acc >> 10) ; put(p, e, e->b64acc >> 2) ; }
    else if (e->b64n == 1) mime_bad(e, p, DCR_MIME_MBASE64) ;
    e->b64n = 0 ; e->b64acc = 0 ;
  }
  else if (!isblank_(c) && c != '\r' && c != '\n') mime_bad(e, p, DCR_MIME_MBASE64) ;
}

void mime_bodydata (dcr_mime *p, dcr_mime_ent *e, char const *s, size_t n)
{
  size_t i ;
  switch (e->part.cte)
  {
    case DCR_MIME_BASE64 : for (i = 0 ; i < n ; i++) b64(p, e, s[i]) ; break ;
    case DCR_MIME_QP : for (i = 0 ; i < n ; i++) qp(p, e, s[i]) ; break ;
    default :
      flush(p, e) ;
      if (n && p->ev.data) p->ev.data(p->ctx, &e->part, s, n) ;
      return ;
  }
  flush(p, e) ;
}

void mime_decoder_end (dcr_mime *p, dcr_mime_ent *e)
{
  if (e->part.cte == DCR_MIME_BASE64)
  {
    if (e->b64n == 1) mime_bad(e, p, DCR_MIME_MBASE64) ;
    else if (e->b64n) b64(p, e, '=') ;
  }
  else if (e->part.cte == DCR_MIME_QP && e->qpst == 2)
  {
    mime_bad(e, p, DCR_MIME_MQP) ;
    put(p, e, '=') ; put(p, e, e->qp1) ;
  }
  flush(p, e) ;
}
