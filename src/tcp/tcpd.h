/* ISC license. */
#ifndef DCR_TCP_TCPD_H
#define DCR_TCP_TCPD_H

/* What the dcr-tcpd parent hands to the child it forks for a connection. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/gccattributes.h>
#include <skalibs/ip46.h>

#include "rules.h"

typedef struct tcpd_s tcpd ;
struct tcpd_s
{
  char const *const *argv ;   /* the program to run */
  uint32_t proxytimeout ;     /* milliseconds to wait for a PROXY header */
  int verbose ;
  rulesfile *rules ;          /* 0 without -r */
} ;

/* In the child, with the accepted socket fd from peer:port. proxied:
   peer is a trusted balancer, read its PROXY header first; then apply
   the rules to the client it names (otherwise the parent has already
   matched them: r is the rule that matched, or 0). Sets the UCSPI
   environment and execs the program, or exits. */
extern void tcpd_child (tcpd const *t, int fd, ip46full const *peer, uint16_t port, int proxied, rule const *r) gccattr_noreturn ;
/* the program started without a fork, for a connection without a PROXY
   header: its pid, or -1 (errno) */
extern pid_t tcpd_spawn (tcpd const *t, int fd, ip46full const *peer, uint16_t port, rule const *r) ;

/* posix_spawnp of argv with envp, fd0 and fd1 on 0 and 1, signals
   unblocked: its pid, or -1 (errno) */
extern pid_t tcpd_posix_spawn (char const *const *argv, char const *const *envp, int fd0, int fd1) ;

/* dcr-tcpd -P: hands the connection to the pre-started program on
   sock, with the variables tcpd_spawn would set; 1 if it took them, 0
   if sock failed, -1 if the connection did */
extern int tcpd_hand (tcpd const *t, int sock, int fd, ip46full const *peer, uint16_t port, rule const *r) ;

/* Send a line (already ending in CRLF) without ever blocking, and close. */
extern void tcpd_refuse (int fd, char const *line, size_t len) ;

/* The standard log line for a refused client. */
extern void tcpd_log_refuse (char const *reason, ip46full const *ip, uint16_t port, rule const *r) ;

#endif
