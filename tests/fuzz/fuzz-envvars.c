/* ISC license. */
/* libFuzzer target: the envelope built from contract 3's variables
   (src/lib/envvars.c), which dcr-enqueue and dcr-smtpd's built-in use,
   and the netstring framing dcr-queued reads it in. The input is the
   variables' values, NUL-separated, in the order of NAMES. Besides not
   crashing: an envelope it accepts is one the writer's parser takes
   back (what dcr-enqueue sends, dcr-queued reads), with the same
   recipients. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/netstring.h>

#include <dcr/submit.h>

static char const *const NAMES[] =
{
  "SMTP_SENDER", "SMTP_RECIPIENTS", "SMTP_DSN_NOTIFY", "SMTP_DSN_ORCPT", "SMTP_HELO",
  "SMTP_PROTO", "SMTP_BODY", "SMTP_DSN_RET", "SMTP_DSN_ENVID", "SMTP_SMTPUTF8",
  "DCR_PRIORITY", "TCPREMOTEIP", "SMTP_AUTHUSER"
} ;
#define NVARS (sizeof(NAMES) / sizeof(NAMES[0]))

typedef struct vars_s vars ;
struct vars_s { char const *v[NVARS] ; } ;

static char const *get (char const *name, void *ctx)
{
  vars const *x = ctx ;
  for (size_t i = 0 ; i < NVARS ; i++) if (!strcmp(name, NAMES[i])) return x->v[i] ;
  return 0 ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO, f = DCR_ENVELOPE_ZERO ;
  stralloc text = STRALLOC_ZERO, framed = STRALLOC_ZERO, back = STRALLOC_ZERO ;
  vars x = { { 0 } } ;
  char const *why = 0 ;
  char *buf = malloc(size + 1) ;
  size_t i = 0, pos = 0 ;
  if (!buf) return 0 ;
  memcpy(buf, data, size) ;
  buf[size] = 0 ;
  /* values one after the other; the last ones unset when input runs out */
  while (i < NVARS && pos <= size)
  {
    x.v[i++] = buf + pos ;
    pos += strlen(buf + pos) + 1 ;
  }
  if (dcr_envelope_from_vars(&e, &get, &x, &why) > 0)
  {
    ssize_t r ;
    e.id = "0640a1f2b3c4d00123a0001" ;
    if (!dcr_envelope_fmt(&text, &e)) abort() ;
    if (!netstring_encode(&framed, text.s, text.len)) abort() ;
    r = netstring_decode(&back, framed.s, framed.len) ;
    if (r < 0 || (size_t)r != framed.len || back.len != text.len || memcmp(back.s, text.s, text.len)) abort() ;
    if (!dcr_envelope_parse(&f, back.s, back.len)) abort() ;
    if (dcr_envelope_check(&f)) abort() ;
    if (dcr_envelope_nrcpts(&f) != dcr_envelope_nrcpts(&e)) abort() ;
    for (size_t k = 0 ; k < dcr_envelope_nrcpts(&e) ; k++)
      if (strcmp(dcr_envelope_rcpts(&e)[k].addr, dcr_envelope_rcpts(&f)[k].addr)) abort() ;
    dcr_envelope_free(&f) ;
  }
  dcr_envelope_free(&e) ;
  stralloc_free(&text) ;
  stralloc_free(&framed) ;
  stralloc_free(&back) ;
  free(buf) ;
  return 0 ;
}
