/* ISC license. */

#include <errno.h>
#include <unistd.h>

#include <bearssl.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include "tlsd.h"

/* The BearSSL engine tells what it can do next (send or receive records,
   take or give application data); we wait on exactly those descriptors.
   Records go to the network at once (the engine is flushed after every
   piece of application data): SMTP is a dialogue. */

static int netread (br_ssl_engine_context *eng)
{
  size_t len ;
  unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len) ;
  ssize_t r = read(0, buf, len) ;
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1 ;
  if (r <= 0) return 0 ;
  br_ssl_engine_recvrec_ack(eng, r) ;
  return 1 ;
}

static int netwrite (br_ssl_engine_context *eng)
{
  size_t len ;
  unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len) ;
  ssize_t w = write(1, buf, len) ;
  if (w < 0 && (errno == EINTR || errno == EAGAIN)) return 1 ;
  if (w <= 0) return 0 ;
  br_ssl_engine_sendrec_ack(eng, w) ;
  return 1 ;
}

int pump_handshake (br_ssl_engine_context *eng, tain const *deadline)
{
  for (;;)
  {
    iopause_fd x[2] ;
    unsigned int n = 0 ;
    unsigned int st = br_ssl_engine_current_state(eng) ;
    int r ;
    if (st & BR_SSL_CLOSED) return 0 ;
    if (st & BR_SSL_SENDAPP) return 1 ;
    if (st & BR_SSL_SENDREC) { x[n].fd = 1 ; x[n++].events = IOPAUSE_WRITE ; }
    if (st & BR_SSL_RECVREC) { x[n].fd = 0 ; x[n++].events = IOPAUSE_READ ; }
    r = iopause_g(x, n, deadline) ;
    if (r < 0) { if (errno == EINTR) continue ; return 0 ; }
    if (!r) { errno = ETIMEDOUT ; return 0 ; }
    for (unsigned int i = 0 ; i < n ; i++) if (x[i].revents)
      if (!(x[i].fd ? netwrite(eng) : netread(eng))) { errno = EPIPE ; return 0 ; }
  }
}

#define LASTWORDS 30   /* seconds for the last records once the program has ended */

void pump_run (br_ssl_engine_context *eng, int appread, int appwrite, unsigned int idle)
{
  int appeof = 0 ;
  tain deadline, last ;
  tain_now_g() ;
  tain_addsec_g(&deadline, idle) ;
  for (;;)
  {
    iopause_fd x[4] ;
    unsigned int n = 0, i ;
    unsigned int st = br_ssl_engine_current_state(eng) ;
    int ready ;
    if (st & BR_SSL_CLOSED) break ;
    /* the program has closed and our close_notify is out: done */
    if (appeof && !(st & BR_SSL_SENDREC)) break ;
    if (st & BR_SSL_SENDREC) { x[n].fd = 1 ; x[n++].events = IOPAUSE_WRITE ; }
    if (st & BR_SSL_RECVREC) { x[n].fd = 0 ; x[n++].events = IOPAUSE_READ ; }
    if (st & BR_SSL_RECVAPP) { x[n].fd = appwrite ; x[n++].events = IOPAUSE_WRITE ; }
    if ((st & BR_SSL_SENDAPP) && !appeof) { x[n].fd = appread ; x[n++].events = IOPAUSE_READ ; }
    if (!n) break ;
    ready = iopause_g(x, n, &deadline) ;
    if (ready < 0) { if (errno == EINTR) continue ; break ; }
    if (!ready)
    {
      /* a peer that neither sends nor takes anything: the client that
         stopped reading would hold us, and its slot in dcr-tcpd, forever */
      dcr_log("event", "tls-timeout", "state", appeof ? "closing" : "idle", (char *)0) ;
      break ;
    }
    /* something moves: the idle clock starts again */
    if (!appeof) tain_addsec_g(&deadline, idle) ;
    for (i = 0 ; i < n ; i++) if (x[i].revents)
    {
      size_t len ;
      unsigned char *buf ;
      ssize_t r ;
      if (x[i].fd == 1) { if (!netwrite(eng)) return ; }
      else if (x[i].fd == 0) { if (!netread(eng)) return ; }   /* TCP end without close_notify */
      else if (x[i].fd == appwrite)
      {
        buf = br_ssl_engine_recvapp_buf(eng, &len) ;
        if (!buf) continue ;
        r = write(appwrite, buf, len) ;
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue ;
        if (r <= 0) return ;   /* the program has gone */
        br_ssl_engine_recvapp_ack(eng, r) ;
      }
      else
      {
        buf = br_ssl_engine_sendapp_buf(eng, &len) ;
        if (!buf) continue ;
        r = read(appread, buf, len) ;
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue ;
        if (r <= 0)
        {
          appeof = 1 ;
          br_ssl_engine_close(eng) ;
          tain_addsec_g(&last, LASTWORDS) ;
          if (tain_less(&last, &deadline)) deadline = last ;
          continue ;
        }
        br_ssl_engine_sendapp_ack(eng, r) ;
        br_ssl_engine_flush(eng, 0) ;
      }
      break ;   /* the engine's state has changed: ask it again */
    }
  }
}
