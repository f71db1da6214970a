/* ISC license. */
/* dcr-sniproxy's own key=value log lines on stderr, quoted as
   src/lib/log.c quotes them (that file is skalibs code: not linked here). */
#ifndef SNI_LOG_H
#define SNI_LOG_H

#include <stddef.h>

#define SNI_LOG_MAX 2048

/* appends " key=value" (quoted when needed) to buf[0..len), at most max */
extern size_t sni_log_kv (char *buf, size_t len, size_t max, char const *key, char const *value) ;
/* sni_log("event", "close", "client", ip, ..., (char *)0): one write(2) */
extern void sni_log (char const *key, ...) ;
/* the same from kv[0..2n): key, value, key, value...; a 0 value skips
   its pair */
extern void sni_log_pairs (char const *const *kv, unsigned int n) ;
/* on: lines are kept (at most 4096 octets) until sni_log_flush, which
   the event loop calls before it waits: one write per round, not per
   connection; off: flushed, then each line written at once */
extern void sni_log_batch (int on) ;
extern void sni_log_flush (void) ;
/* a fatal error at start: "dcr-sniproxy: fatal: what" and exit(code) */
extern void sni_die (int code, char const *what, char const *more) ;

#endif
