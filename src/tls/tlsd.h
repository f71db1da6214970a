/* ISC license. */
#ifndef DCR_TLSD_H
#define DCR_TLSD_H

#include <bearssl.h>
#include <skalibs/tai.h>

#include <dcr/tls.h>

typedef struct tlsd_conf_s tlsd_conf ;
struct tlsd_conf_s
{
  char const *certfile ;    /* default certificate chain (PEM) */
  char const *keyfile ;     /* its key; may be certfile */
  char const *certdir ;     /* NAME.pem (and NAME.key) chosen by SNI */
  unsigned int handshake ;  /* seconds */
  unsigned int idle ;       /* seconds without a byte moved, after the handshake */
  char const *remoteip ;    /* for the logs */
} ;

/* certs.c: a server policy that reads the certificate for the client's
   server name (SNI) when the ClientHello has arrived, so that a renewed
   file is used by the next connection without a restart. */
typedef struct certpolicy_s certpolicy ;
struct certpolicy_s
{
  br_ssl_server_policy_class const *vtable ;
  tlsd_conf const *conf ;
  dcr_tlscert cert ;
} ;
extern void certpolicy_init (certpolicy *, tlsd_conf const *) ;

/* pump.c: BearSSL between the network (fd 0 and 1) and the program */
extern int pump_handshake (br_ssl_engine_context *, tain const *deadline) ;   /* 1 ok, 0 failed */
/* until either side ends, nothing moved for idle seconds, or (once the
   program has ended) the last records could not be sent in 30 s */
extern void pump_run (br_ssl_engine_context *, int appread, int appwrite, unsigned int idle) ;

/* the SSL_* variables after a handshake, "NAME=value" or "NAME" to
   unset, into buf as NUL-terminated strings; returns the length */
extern size_t tlsd_environment (br_ssl_server_context const *, char *buf, size_t max) ;

#endif
