/* ISC license. */
/* libFuzzer target: dcr-remote's SMTP reply reader and wire encoder
   (src/remote/reply.c, wire.c): what a hostile server sends, and any
   message file. Checks besides not crashing: the reader never asks for
   more than REPLY_TOTALMAX octets, its verdict text is one printable
   line starting with a code and an enhanced code; the encoder's output
   has only CRLF line ends (no bare LF), no line starting with a lone
   dot before the end, and stays within 2n+6 octets. The target and
   dcr-mx line parsers (src/remote/target.c) get the input as a string:
   a parsed target has a name that fits, a port, and a kind. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/remote/reply.h"
#include "../../src/remote/wire.h"
#include "../../src/remote/remote.h"

conf cf ;   /* target.c reads it; only its parsers run here */
void deadline (tain *d, unsigned int which) { (void)which ; *d = tain_zero ; }

static void check_reply (uint8_t const *data, size_t size)
{
  static reply r ;
  char out[REPLY_TEXTMAX + 64] ;
  size_t i = 0, len ;
  int ev = REPLY_MORE ;
  reply_init(&r) ;
  while (i < size)
  {
    size_t step = 1 + data[i] % 7 ;   /* pieces of varied size */
    size_t used ;
    if (step > size - i) step = size - i ;
    used = reply_feed(&r, (char const *)data + i, step, &ev) ;
    if (!used || used > step) abort() ;
    i += used ;
    if (r.total > REPLY_TOTALMAX + 1) abort() ;
    if (ev == REPLY_DONE)
    {
      len = reply_fmt(&r, out, sizeof(out)) ;
      if (len < 9 || len >= sizeof(out) || out[3] != ' ') abort() ;
      if (out[0] < '2' || out[0] > '5' || out[4] != out[0]) abort() ;
      for (size_t k = 0 ; k < len ; k++) if ((unsigned char)out[k] < ' ' || out[k] == 0x7f) abort() ;
      reply_init(&r) ;
    }
    else if (ev == REPLY_BAD || ev == REPLY_TOOBIG) reply_init(&r) ;
  }
}

static void check_wire (uint8_t const *data, size_t size)
{
  wire w = WIRE_ZERO ;
  char *out = malloc(2 * size + 8) ;
  size_t i = 0, o = 0, k ;
  if (!out) return ;
  while (i < size)
  {
    size_t step = 1 + data[i] % 13 ;
    if (step > size - i) step = size - i ;
    o += wire_encode(&w, (char const *)data + i, step, out + o) ;
    i += step ;
  }
  o += wire_end(&w, out + o) ;
  if (o > 2 * size + 6) abort() ;
  if (o < 3 || memcmp(out + o - 3, ".\r\n", 3)) abort() ;
  if (o >= 5 && memcmp(out + o - 5, "\r\n", 2)) abort() ;
  for (k = 0 ; k < o ; k++)
  {
    if (out[k] == '\n' && (!k || out[k-1] != '\r')) abort() ;
    /* a line that is "." alone before the end would end the message */
    if (k + 3 < o && (k == 0 || out[k-1] == '\n') && out[k] == '.' && out[k+1] == '\r' && out[k+2] == '\n') abort() ;
  }
  free(out) ;
}

static void check_target (uint8_t const *data, size_t size)
{
  char *s = malloc(size + 1) ;
  target t ;
  peer p ;
  char const *why = 0 ;
  if (!s) return ;
  memcpy(s, data, size) ; s[size] = 0 ;
  if (target_parse(s, &t, &why))
  {
    if (!t.port || strlen(t.name) >= sizeof(t.name) || !t.name[0] || t.kind > TARGET_MX) abort() ;
  }
  else if (!why || !*why) abort() ;
  if (target_mxline(s, &p) && (!p.host[0] || strlen(p.host) >= PEER_HOSTMAX)) abort() ;
  free(s) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  check_target(data, size) ;
  check_reply(data, size) ;
  check_wire(data, size) ;
  return 0 ;
}
