/* ISC license. */
/* The TLS ClientHello reader of dcr-sniproxy: a pure function over the
   bytes received so far. It walks the TLS record headers, and parses the
   ClientHello only once the whole handshake message is there. */
#ifndef SNI_HELLO_H
#define SNI_HELLO_H

#include <stddef.h>

/* At most this many octets are ever held while waiting for the
   ClientHello (records and their headers counted): one full TLS record
   of 2^14 octets plus room for a message split over several records. */
#define HELLO_MAX 16384
#define HELLO_NAMEMAX 256   /* a host name: at most 253 octets, and a 0 */

enum hello_result { HELLO_NEED, HELLO_NAME, HELLO_NONAME, HELLO_BAD } ;

/* buf[0..len): the client's first bytes. Returns HELLO_NEED (not all
   there yet: read more, unless len reached HELLO_MAX, which is then
   reported as HELLO_BAD), HELLO_NAME (name holds the SNI host name,
   lowercased, 0-terminated), HELLO_NONAME (a well-formed ClientHello
   without a server_name), HELLO_BAD (*why says what, in one word). */
extern enum hello_result hello_parse (unsigned char const *buf, size_t len, char *name, char const **why) ;

/* a host name as a routing key: 1 to 253 octets of letters, digits,
   '-' and '_' in dot-separated labels of 1 to 63 octets; lowercased in
   place. Returns 1 if valid. Shared with the HTTP Host reader. */
extern int hello_name_ok (char *s, size_t len) ;

#endif
