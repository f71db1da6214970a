/* ISC license. */
#ifndef DCR_LOG_H
#define DCR_LOG_H

/* One event, one line on stderr: "PROG: key=value key=value ...".
   Arguments alternate key and value and end with a null pointer:
     dcr_log("event", "connect", "ip", ip, (char *)0) ;
   A value holding a space, '"', '=', or a byte outside printable ASCII
   is quoted, with '"' and '\' escaped and other bytes as \xNN, so one
   line is always one event and can be split on spaces. The line is
   written with one write(2), truncated at DCR_LOG_MAX bytes. */
#define DCR_LOG_MAX 2048

extern void dcr_log (char const *key, ...) ;

/* Append key=value (escaped as above) to a buffer of at most max bytes;
   returns the new length. Used by dcr_log and by tests. */
#include <stddef.h>
extern size_t dcr_log_kv (char *buf, size_t len, size_t max, char const *key, char const *value) ;
/* Append n octets of s to buf (len used, max in all), cut at max. */
extern size_t dcr_log_put (char *buf, size_t len, size_t max, char const *s, size_t n) ;
/* dcr_log_kv and dcr_log_put are in src/lib/logkv.c, without skalibs:
   dcr-sniproxy (libowfat) writes its lines with them too. */

#endif
