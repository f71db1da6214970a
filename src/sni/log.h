/* ISC license. */
/* dcr-sniproxy's key=value log lines on stderr, formatted by
   src/lib/logkv.c (dcr_log_kv: libc only, so linked here too; log.c,
   with skalibs' PROG, is not). */
#ifndef SNI_LOG_H
#define SNI_LOG_H

#include <stddef.h>

#include <dcr/log.h>

#define SNI_LOG_MAX 2048

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
