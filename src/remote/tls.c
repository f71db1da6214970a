/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include <dcr/tls.h>
#include "remote.h"

/* The TLS client: BearSSL under the rio of the session, so that the
   SMTP code above reads and writes as before. One session at a time in
   this process: the contexts are static. The trust anchors are read
   once, at the first tls=verify session. */

static br_ssl_client_context cc ;
static br_x509_minimal_context xm ;
static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI] ;
static dcr_anchors anchors = DCR_ANCHORS_ZERO ;
static int anchors_loaded = 0 ;

/* For tls=may and tls=encrypt: take the server's key from its first
   certificate and check nothing else (RFC 7435, opportunistic). */
typedef struct insecure_s insecure ;
struct insecure_s
{
  br_x509_class const *vtable ;
  br_x509_decoder_context dc ;
  int first ;
} ;
static insecure ins ;

static void nodn (void *ctx, void const *s, size_t n) { (void)ctx ; (void)s ; (void)n ; }
static void ins_start_chain (br_x509_class const **c, char const *name)
{
  insecure *x = (insecure *)c ;
  (void)name ;
  br_x509_decoder_init(&x->dc, &nodn, 0) ;
  x->first = 1 ;
}
static void ins_start_cert (br_x509_class const **c, uint32_t len) { (void)c ; (void)len ; }
static void ins_append (br_x509_class const **c, unsigned char const *buf, size_t len)
{
  insecure *x = (insecure *)c ;
  if (x->first) br_x509_decoder_push(&x->dc, buf, len) ;
}
static void ins_end_cert (br_x509_class const **c) { ((insecure *)c)->first = 0 ; }
static unsigned ins_end_chain (br_x509_class const **c)
{
  insecure *x = (insecure *)c ;
  int err = br_x509_decoder_last_error(&x->dc) ;
  if (err) return err ;
  return br_x509_decoder_get_pkey(&x->dc) ? 0 : BR_ERR_X509_UNSUPPORTED ;
}
static br_x509_pkey const *ins_get_pkey (br_x509_class const *const *c, unsigned *usages)
{
  insecure *x = (insecure *)c ;
  if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN ;
  return br_x509_decoder_get_pkey(&x->dc) ;
}
static br_x509_class const insecure_vtable =
{
  sizeof(insecure), &ins_start_chain, &ins_start_cert, &ins_append, &ins_end_cert, &ins_end_chain, &ins_get_pkey
} ;

 /* the rio layer */

static int pushrec (rio *io)
{
  size_t len ;
  unsigned char *buf ;
  while ((buf = br_ssl_engine_sendrec_buf(&cc.eng, &len)))
  {
    ssize_t w = write(io->wfd, buf, len) ;
    if (w < 0) { if (errno == EAGAIN) io->want = IOPAUSE_WRITE ; return -1 ; }
    br_ssl_engine_sendrec_ack(&cc.eng, w) ;
  }
  return 0 ;
}

static int pullrec (rio *io)
{
  size_t len ;
  unsigned char *buf = br_ssl_engine_recvrec_buf(&cc.eng, &len) ;
  ssize_t r ;
  if (!buf) return 1 ;
  r = read(io->rfd, buf, len) ;
  if (r < 0) { if (errno == EAGAIN) io->want = IOPAUSE_READ ; return -1 ; }
  if (!r) return 0 ;
  br_ssl_engine_recvrec_ack(&cc.eng, r) ;
  return 1 ;
}

static int closed (void)
{
  int err = br_ssl_engine_last_error(&cc.eng) ;
  if (!err) return 0 ;   /* close_notify: an end like any other */
  errno = EPROTO ;
  return -1 ;
}

static ssize_t tls_recv (rio *io, char *s, size_t n)
{
  for (;;)
  {
    unsigned int st = br_ssl_engine_current_state(&cc.eng) ;
    size_t len ;
    unsigned char *buf ;
    int r ;
    if (st & BR_SSL_CLOSED) return closed() ;
    if ((buf = br_ssl_engine_recvapp_buf(&cc.eng, &len)))
    {
      if (len > n) len = n ;
      memcpy(s, buf, len) ;
      br_ssl_engine_recvapp_ack(&cc.eng, len) ;
      return len ;
    }
    if (st & BR_SSL_SENDREC) { if (pushrec(io) < 0) return -1 ; continue ; }
    if (!(st & BR_SSL_RECVREC)) { errno = EPROTO ; return -1 ; }
    r = pullrec(io) ;
    if (r <= 0) return r ;
  }
}

/* n == 0: only push what the engine holds (rio_flush asks this) */
static ssize_t tls_send (rio *io, char const *s, size_t n)
{
  for (;;)
  {
    unsigned int st = br_ssl_engine_current_state(&cc.eng) ;
    size_t len ;
    unsigned char *buf ;
    if (st & BR_SSL_CLOSED) { if (!closed()) errno = EPIPE ; return -1 ; }
    if (st & BR_SSL_SENDREC) { if (pushrec(io) < 0) return -1 ; continue ; }
    if (!n) return 0 ;
    if ((buf = br_ssl_engine_sendapp_buf(&cc.eng, &len)))
    {
      if (len > n) len = n ;
      memcpy(buf, s, len) ;
      br_ssl_engine_sendapp_ack(&cc.eng, len) ;
      br_ssl_engine_flush(&cc.eng, 0) ;
      pushrec(io) ;   /* as much as the socket takes now; the rest later */
      return len ;
    }
    /* the engine wants to read first (a renegotiation we refuse, an alert) */
    if (pullrec(io) <= 0) return -1 ;
  }
}

static void tls_close (rio *io)
{
  br_ssl_engine_close(&cc.eng) ;
  pushrec(io) ;   /* our close_notify, if the socket takes it at once */
  close(io->rfd) ;
}

/* Start TLS on the session's socket: 1, or 0 and why (a static string) */
int tls_start (rio *io, unsigned int policy, char const *servername, char const *cafile, tain const *deadline, char const **why)
{
  dcr_tls_profile_client(&cc) ;
  if (policy == DCR_TLS_VERIFY)
  {
    if (!anchors_loaded)
    {
      char const *w = 0 ;
      if (!dcr_anchors_load(&anchors, cafile, &w)) { *why = w ? w : "cannot read the CA file" ; return 0 ; }
      anchors_loaded = 1 ;
    }
    br_x509_minimal_init(&xm, &br_sha256_vtable, anchors.ta, anchors.n) ;
    br_x509_minimal_set_hash(&xm, br_sha1_ID, &br_sha1_vtable) ;
    br_x509_minimal_set_hash(&xm, br_sha224_ID, &br_sha224_vtable) ;
    br_x509_minimal_set_hash(&xm, br_sha256_ID, &br_sha256_vtable) ;
    br_x509_minimal_set_hash(&xm, br_sha384_ID, &br_sha384_vtable) ;
    br_x509_minimal_set_hash(&xm, br_sha512_ID, &br_sha512_vtable) ;
    br_x509_minimal_set_rsa(&xm, br_rsa_pkcs1_vrfy_get_default()) ;
    br_x509_minimal_set_ecdsa(&xm, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default()) ;
    br_ssl_engine_set_x509(&cc.eng, &xm.vtable) ;
  }
  else
  {
    ins.vtable = &insecure_vtable ;
    br_ssl_engine_set_x509(&cc.eng, &ins.vtable) ;
  }
  br_ssl_engine_set_buffer(&cc.eng, iobuf, sizeof iobuf, 1) ;
  if (!br_ssl_client_reset(&cc, servername, 0)) { *why = "cannot start the TLS engine" ; return 0 ; }
  io->recv = &tls_recv ;
  io->send = &tls_send ;
  io->close = &tls_close ;
  io->layer = &cc ;
  for (;;)
  {
    unsigned int st = br_ssl_engine_current_state(&cc.eng) ;
    iopause_fd x ;
    int r ;
    if (st & BR_SSL_CLOSED)
    {
      int err = br_ssl_engine_last_error(&cc.eng) ;
      *why = dcr_tls_error(err ? err : BR_ERR_IO) ;
      return 0 ;
    }
    if (st & BR_SSL_SENDAPP) return 1 ;
    if (st & BR_SSL_SENDREC) { x.fd = io->wfd ; x.events = IOPAUSE_WRITE ; if (!pushrec(io)) continue ; }
    else
    {
      x.fd = io->rfd ; x.events = IOPAUSE_READ ;
      r = pullrec(io) ;
      if (!r) { *why = "connection closed during the TLS handshake" ; return 0 ; }
      if (r > 0) continue ;
    }
    if (errno != EAGAIN) { *why = "I/O error during the TLS handshake" ; return 0 ; }
    io->want = 0 ;
    tain_now_g() ;
    r = iopause_g(&x, 1, deadline) ;
    if (!r) { *why = "timeout during the TLS handshake" ; return 0 ; }
    if (r < 0 && errno != EINTR) { *why = "I/O error during the TLS handshake" ; return 0 ; }
  }
}

/* "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256", for the logs */
void tls_describe (char const **version, char const **cipher)
{
  br_ssl_session_parameters sp ;
  br_ssl_engine_get_session_parameters(&cc.eng, &sp) ;
  *version = dcr_tls_version_name(br_ssl_engine_get_version(&cc.eng)) ;
  *cipher = dcr_tls_suite_name(sp.cipher_suite) ;
}
