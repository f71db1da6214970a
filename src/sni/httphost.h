/* ISC license. */
/* The HTTP/1.x Host reader of dcr-sniproxy: a pure function over the
   bytes received so far (RFC 9112 sections 3 and 5, RFC 9110 7.2). */
#ifndef SNI_HTTPHOST_H
#define SNI_HTTPHOST_H

#include <stddef.h>

#include "hello.h"   /* enum hello_result, HELLO_NAMEMAX */

#define HTTP_MAX 8192   /* the request line and header section, at most */

/* buf[0..len): the client's first bytes; *scan: where to resume the
   search for the end of the header section (0 at first; the reader
   moves it, so feeding one byte at a time costs no rescans). Returns
   HELLO_NEED, HELLO_NAME (name: the Host without its port, lowercased),
   HELLO_NONAME (HTTP/1.0 without Host, an empty Host, or an IP literal
   in brackets), or HELLO_BAD (*why: one word). */
extern enum hello_result http_host (char const *buf, size_t len, size_t *scan, char *name, char const **why) ;

#endif
