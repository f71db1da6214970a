/* ISC license. */
/* tlsload - the TLS load client of tools/bench/tls, the same for every
   server (smtp-source cannot do TLS). One process, one thread, epoll:
   COUNT SMTP connections to 127.0.0.1:PORT, CONC at a time, each doing
   MODE:
     hs        implicit TLS (port 465 style): handshake, 220, QUIT, 221
     starttls  220, EHLO, STARTTLS, 220, handshake, EHLO, QUIT, 221
     mail      implicit TLS, 220, EHLO, MAIL, RCPT, DATA, a SIZE-byte
               message, QUIT, 221 (one message per connection)
     smail     the same after STARTTLS (port 25 style)
     idle      implicit TLS, 220, then hold the session; once COUNT
               sessions are held, write their number to READYFILE (-r)
               and wait for SIGTERM
   A full handshake each time (no session cache, no tickets), TLS 1.2
   only unless -3, certificates not verified (the work of a client that
   verifies is the same for both servers, and not the server's).
   Prints one JSON line: done, failed, seconds, rate, the client's own
   CPU (getrusage), latency percentiles, the suite, group and signature
   negotiated by the first session.

   -q  TCP_QUICKACK before each wait for the server: a server that writes
       a flight in two segments without TCP_NODELAY then waits for our
       ACK, and Linux delays it ~40 ms (Nagle against delayed ACK); with
       -q the ACK goes at once, and what is measured is the server's work.
   usage: tlsload [-q] [-O] [-3] [-C ciphers] [-l size] [-t secs] [-r readyfile]
                  PORT MODE COUNT CONC
   cc -O2 -o tlsload tlsload.c -lssl -lcrypto */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <bearssl.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>

enum { A_CONNECT, A_TLS, A_EXPECT, A_SEND, A_GREETED, A_HOLD, A_END } ;
struct act { int a ; int code ; char const *s ; } ;

static char body[70000] ;
static size_t bodylen ;

#define EHLO { A_SEND, 0, "EHLO load.bench.test\r\n" }, { A_EXPECT, 250, 0 }
#define MAIL { A_SEND, 0, "MAIL FROM:<a@sender.test>\r\n" }, { A_EXPECT, 250, 0 }, \
  { A_SEND, 0, "RCPT TO:<user@relay.test>\r\n" }, { A_EXPECT, 250, 0 }, \
  { A_SEND, 0, "DATA\r\n" }, { A_EXPECT, 354, 0 }, { A_SEND, 0, body }, { A_EXPECT, 250, 0 }
#define QUIT { A_SEND, 0, "QUIT\r\n" }, { A_EXPECT, 221, 0 }, { A_END, 0, 0 }
#define IMPLICIT { A_CONNECT, 0, 0 }, { A_TLS, 0, 0 }, { A_EXPECT, 220, 0 }, { A_GREETED, 0, 0 }
#define PLAIN { A_CONNECT, 0, 0 }, { A_EXPECT, 220, 0 }, { A_GREETED, 0, 0 }, EHLO, \
  { A_SEND, 0, "STARTTLS\r\n" }, { A_EXPECT, 220, 0 }, { A_TLS, 0, 0 }, EHLO

static struct act const s_hs[] = { IMPLICIT, QUIT } ;
static struct act const s_starttls[] = { PLAIN, QUIT } ;
static struct act const s_mail[] = { IMPLICIT, EHLO, MAIL, QUIT } ;
static struct act const s_smail[] = { PLAIN, MAIL, QUIT } ;
static struct act const s_idle[] = { IMPLICIT, { A_HOLD, 0, 0 } } ;

struct conn
{
  int fd ;
  SSL *ssl ;
  struct bs *bs ;       /* BearSSL: the slot's engine, kept between connections */
  int tls ;             /* the session is in TLS */
  struct act const *step ;
  unsigned int events ;
  char buf[8192] ;
  size_t len ;
  size_t off ;          /* of the string being sent */
  double t0, ttls, tgreet ;
} ;

static struct act const *script ;
static SSL_CTX *ctx ;
static struct sockaddr_in sa ;
static int ep, quickack = 0 ;
static double timeout = 30 ;
static unsigned int count, conc, started = 0, done = 0, failed = 0, held = 0 ;
static double *lat, *lat_tls, *lat_greet ;
static char firsterr[256] ;
static char cipher[128], version[32], group[64], sigalg[64] ;
static volatile sig_atomic_t stop = 0 ;

static double now (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return ts.tv_sec + ts.tv_nsec / 1e9 ;
}

static void seterr (char const *what, char const *detail)
{
  if (!firsterr[0]) snprintf(firsterr, sizeof firsterr, "%s: %s", what, detail) ;
}

/* ---- BearSSL: one engine per slot, reset for each connection ---- */

/* an X.509 engine that takes the end-entity certificate's key and
   verifies nothing (as OpenSSL's SSL_VERIFY_NONE: the chain is parsed,
   not checked) */
typedef struct
{
  br_x509_class const *vtable ;
  br_x509_decoder_context dec ;
  int first ;
} noverify ;

static void nv_start_chain (br_x509_class const **ctx, char const *name) { (void)name ; ((noverify *)ctx)->first = 1 ; }
static void nv_start_cert (br_x509_class const **ctx, uint32_t length)
{
  noverify *x = (noverify *)ctx ;
  (void)length ;
  if (x->first) br_x509_decoder_init(&x->dec, 0, 0) ;
}
static void nv_append (br_x509_class const **ctx, unsigned char const *buf, size_t len)
{
  noverify *x = (noverify *)ctx ;
  if (x->first) br_x509_decoder_push(&x->dec, buf, len) ;
}
static void nv_end_cert (br_x509_class const **ctx) { ((noverify *)ctx)->first = 0 ; }
static unsigned nv_end_chain (br_x509_class const **ctx)
{
  noverify *x = (noverify *)ctx ;
  return br_x509_decoder_get_pkey(&x->dec) ? 0 : BR_ERR_X509_BAD_SERVER_NAME ;
}
static br_x509_pkey const *nv_get_pkey (br_x509_class const *const *ctx, unsigned *usages)
{
  noverify *x = (noverify *)ctx ;
  if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN ;
  return br_x509_decoder_get_pkey(&x->dec) ;
}
static br_x509_class const nv_class =
{
  sizeof (noverify), nv_start_chain, nv_start_cert, nv_append, nv_end_cert, nv_end_chain, nv_get_pkey
} ;

struct bs
{
  br_ssl_client_context cc ;
  br_x509_minimal_context xm ;
  noverify nv ;
  unsigned char iobuf[BR_SSL_BUFSIZE_BIDI] ;
} ;

static uint16_t const bs_suites[] =
{
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
} ;

static int engine_openssl = 0 ;
static int tls13 = 0 ;

static struct bs *bs_new (void)
{
  struct bs *b = malloc(sizeof *b) ;
  if (!b) { perror("tlsload: malloc") ; exit(111) ; }
  br_ssl_client_init_full(&b->cc, &b->xm, 0, 0) ;
  br_ssl_engine_set_versions(&b->cc.eng, BR_TLS12, BR_TLS12) ;
  br_ssl_engine_set_suites(&b->cc.eng, bs_suites, sizeof bs_suites / sizeof bs_suites[0]) ;
  b->nv.vtable = &nv_class ;
  br_ssl_engine_set_x509(&b->cc.eng, &b->nv.vtable) ;
  br_ssl_engine_set_buffer(&b->cc.eng, b->iobuf, sizeof b->iobuf, 1) ;
  return b ;
}

static char const *bs_err (struct conn *c)
{
  static char e[40] ;
  snprintf(e, sizeof e, "BearSSL error %d", br_ssl_engine_last_error(&c->bs->cc.eng)) ;
  return e ;
}

static void fail (struct conn *, char const *) ;
static void want (struct conn *, unsigned int) ;
static void waitread (struct conn *) ;

/* move records: 1 progress, 0 must wait (interest set), -1 closed or failed */
static int bs_step (struct conn *c)
{
  br_ssl_engine_context *eng = &c->bs->cc.eng ;
  unsigned int st = br_ssl_engine_current_state(eng) ;
  size_t len ;
  unsigned char *buf ;
  ssize_t r ;
  if (st & BR_SSL_CLOSED) return -1 ;
  if (st & BR_SSL_SENDREC)
  {
    buf = br_ssl_engine_sendrec_buf(eng, &len) ;
    r = write(c->fd, buf, len) ;
    if (r < 0 && errno == EAGAIN) { want(c, EPOLLOUT) ; return 0 ; }
    if (r <= 0) return -1 ;
    br_ssl_engine_sendrec_ack(eng, r) ;
    return 1 ;
  }
  if (st & BR_SSL_RECVREC)
  {
    buf = br_ssl_engine_recvrec_buf(eng, &len) ;
    r = read(c->fd, buf, len) ;
    if (r < 0 && errno == EAGAIN) { waitread(c) ; return 0 ; }
    if (r <= 0) { errno = 0 ; return -1 ; }
    br_ssl_engine_recvrec_ack(eng, r) ;
    return 1 ;
  }
  return -1 ;
}

/* ---- one interface for both engines: >0 done or bytes, 0 wait, <0 failed (reported) ---- */

static int tls_connect (struct conn *c)
{
  if (!c->tls)
  {
    if (c->len) { errno = 0 ; fail(c, "plaintext after the STARTTLS reply") ; return -1 ; }
    c->tls = 1 ;
    if (engine_openssl)
    {
      c->ssl = SSL_new(ctx) ;
      if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) { fail(c, "SSL_new") ; return -1 ; }
      SSL_set_tlsext_host_name(c->ssl, "mx.bench.test") ;
    }
    else
    {
      if (!c->bs) c->bs = bs_new() ;
      if (!br_ssl_client_reset(&c->bs->cc, "mx.bench.test", 0)) { errno = 0 ; fail(c, bs_err(c)) ; return -1 ; }
    }
  }
  if (engine_openssl)
  {
    int r = SSL_connect(c->ssl) ;
    if (r == 1) return 1 ;
    switch (SSL_get_error(c->ssl, r))
    {
      case SSL_ERROR_WANT_READ : waitread(c) ; return 0 ;
      case SSL_ERROR_WANT_WRITE : want(c, EPOLLOUT) ; return 0 ;
      default : errno = 0 ; fail(c, "handshake") ; return -1 ;
    }
  }
  for (;;)
  {
    unsigned int st = br_ssl_engine_current_state(&c->bs->cc.eng) ;
    int r ;
    if ((st & BR_SSL_SENDAPP) && !(st & BR_SSL_SENDREC)) return 1 ;
    r = bs_step(c) ;
    if (r < 0) { fail(c, bs_err(c)) ; return -1 ; }
    if (!r) return 0 ;
  }
}

static int tls_write (struct conn *c, char const *s, size_t len)
{
  if (engine_openssl)
  {
    int r = SSL_write(c->ssl, s, len) ;
    if (r > 0) return r ;
    switch (SSL_get_error(c->ssl, r))
    {
      case SSL_ERROR_WANT_WRITE : want(c, EPOLLOUT) ; return 0 ;
      case SSL_ERROR_WANT_READ : waitread(c) ; return 0 ;
      default : fail(c, "write") ; return -1 ;
    }
  }
  for (;;)
  {
    br_ssl_engine_context *eng = &c->bs->cc.eng ;
    unsigned int st = br_ssl_engine_current_state(eng) ;
    int r ;
    if (st & BR_SSL_SENDAPP)
    {
      size_t n ;
      unsigned char *buf = br_ssl_engine_sendapp_buf(eng, &n) ;
      if (n > len) n = len ;
      memcpy(buf, s, n) ;
      br_ssl_engine_sendapp_ack(eng, n) ;
      br_ssl_engine_flush(eng, 0) ;
      /* the records go out now, or from the next read's loop */
      while ((r = bs_step(c)) > 0 && (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC)) ;
      if (r < 0) { fail(c, bs_err(c)) ; return -1 ; }
      return n ;
    }
    r = bs_step(c) ;
    if (r < 0) { fail(c, bs_err(c)) ; return -1 ; }
    if (!r) return 0 ;
  }
}

static int tls_read (struct conn *c, char *s, size_t len)
{
  if (engine_openssl)
  {
    int r = SSL_read(c->ssl, s, len) ;
    if (r > 0) return r ;
    int e = SSL_get_error(c->ssl, r) ;
    if (e == SSL_ERROR_WANT_READ) { waitread(c) ; return 0 ; }
    if (e == SSL_ERROR_WANT_WRITE) { want(c, EPOLLOUT) ; return 0 ; }
    errno = 0 ; fail(c, e == SSL_ERROR_ZERO_RETURN ? "closed by the server" : "read") ; return -1 ;
  }
  for (;;)
  {
    br_ssl_engine_context *eng = &c->bs->cc.eng ;
    unsigned int st = br_ssl_engine_current_state(eng) ;
    int r ;
    if (st & BR_SSL_RECVAPP)
    {
      size_t n ;
      unsigned char *buf = br_ssl_engine_recvapp_buf(eng, &n) ;
      if (n > len) n = len ;
      memcpy(s, buf, n) ;
      br_ssl_engine_recvapp_ack(eng, n) ;
      return n ;
    }
    r = bs_step(c) ;
    if (r < 0) { fail(c, br_ssl_engine_last_error(eng) ? bs_err(c) : "closed by the server") ; return -1 ; }
    if (!r) return 0 ;
  }
}

static void drop (struct conn *c)
{
  if (c->ssl) SSL_free(c->ssl) ;
  if (c->fd >= 0) close(c->fd) ;
  c->ssl = 0 ; c->fd = -1 ; c->step = 0 ; c->tls = 0 ;
}

static void fail (struct conn *c, char const *why)
{
  char d[200] ;
  unsigned long e = ERR_get_error() ;
  if (e) ERR_error_string_n(e, d, sizeof d) ;
  else snprintf(d, sizeof d, "%s", errno ? strerror(errno) : "-") ;
  ERR_clear_error() ;
  seterr(why, d) ;
  failed++ ;
  drop(c) ;
}

static void want (struct conn *c, unsigned int ev)
{
  if (ev == c->events) return ;
  struct epoll_event e = { .events = ev, .data.ptr = c } ;
  if (epoll_ctl(ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) < 0) { perror("tlsload: epoll_ctl") ; exit(111) ; }
  c->events = ev ;
}

static void waitread (struct conn *c)
{
  if (quickack)
  {
    int one = 1 ;
    setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) ;
  }
  want(c, EPOLLIN) ;
}

static int start (struct conn *c)
{
  int one = 1 ;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) ;
  if (c->fd < 0) { perror("tlsload: socket") ; exit(111) ; }
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
  c->ssl = 0 ; c->tls = 0 ; c->events = 0 ; c->len = 0 ; c->off = 0 ;
  c->step = script ;
  c->t0 = now() ; c->ttls = c->tgreet = 0 ;
  started++ ;
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS)
  {
    fail(c, "connect") ;
    return 0 ;
  }
  want(c, EPOLLOUT) ;
  return 1 ;
}

/* a complete reply in buf: its code, and it is taken out; 0 if not yet */
static int reply (struct conn *c)
{
  size_t i = 0 ;
  while (i < c->len)
  {
    char *nl = memchr(c->buf + i, '\n', c->len - i) ;
    size_t e ;
    if (!nl) break ;
    e = nl - c->buf + 1 ;
    if (e - i < 4 || c->buf[i + 3] != '-')
    {
      int code = (c->buf[i] - '0') * 100 + (c->buf[i + 1] - '0') * 10 + (c->buf[i + 2] - '0') ;
      memmove(c->buf, c->buf + e, c->len - e) ;
      c->len -= e ;
      return code ;
    }
    i = e ;
  }
  return 0 ;
}

static char const *curve_name (int id)
{
  switch (id)
  {
    case BR_EC_curve25519 : return "x25519" ;
    case BR_EC_secp256r1 : return "prime256v1" ;
    case BR_EC_secp384r1 : return "secp384r1" ;
    case BR_EC_secp521r1 : return "secp521r1" ;
    default : return "?" ;
  }
}

static void record (struct conn *c)
{
  if (cipher[0]) return ;
  if (c->ssl)
  {
    int nid ;
    snprintf(cipher, sizeof cipher, "%s", SSL_get_cipher_name(c->ssl)) ;
    snprintf(version, sizeof version, "%s", SSL_get_version(c->ssl)) ;
    nid = SSL_get_negotiated_group(c->ssl) ;
    snprintf(group, sizeof group, "%s", nid > 0 ? SSL_group_to_name(c->ssl, nid) : "?") ;
    if (SSL_get_peer_signature_type_nid(c->ssl, &nid) && nid != NID_undef)
    {
      int hn = NID_undef ;
      SSL_get_peer_signature_nid(c->ssl, &hn) ;
      snprintf(sigalg, sizeof sigalg, "%s+%s", OBJ_nid2sn(nid), hn != NID_undef ? OBJ_nid2sn(hn) : "?") ;
    }
  }
  else if (c->bs)
  {
    br_ssl_session_parameters sp ;
    br_x509_pkey const *pk = br_x509_decoder_get_pkey(&c->bs->nv.dec) ;
    br_ssl_engine_get_session_parameters(&c->bs->cc.eng, &sp) ;
    switch (sp.cipher_suite)
    {
      case BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 : snprintf(cipher, sizeof cipher, "ECDHE-ECDSA-AES128-GCM-SHA256") ; break ;
      case BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 : snprintf(cipher, sizeof cipher, "ECDHE-RSA-AES128-GCM-SHA256") ; break ;
      default : snprintf(cipher, sizeof cipher, "0x%04x", sp.cipher_suite) ;
    }
    snprintf(version, sizeof version, "%s", sp.version == BR_TLS12 ? "TLSv1.2" : "?") ;
    snprintf(group, sizeof group, "%s", curve_name(br_ssl_engine_get_ecdhe_curve(&c->bs->cc.eng))) ;
    snprintf(sigalg, sizeof sigalg, "%s", !pk ? "?" : pk->key_type == BR_KEYTYPE_EC ? "ECDSA" : "RSA") ;
  }
}

/* run C's script until it must wait */
static void advance (struct conn *c)
{
  for (;;)
  {
    struct act const *s = c->step ;
    int r ;
    switch (s->a)
    {
      case A_CONNECT :
      {
        int err = 0 ;
        socklen_t l = sizeof err ;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err)
        {
          errno = err ; fail(c, "connect") ; return ;
        }
        c->step++ ;
        break ;
      }
      case A_TLS :
        r = tls_connect(c) ;
        if (r <= 0) return ;
        c->ttls = now() ; record(c) ; c->step++ ;
        break ;
      case A_SEND :
      {
        size_t len = strlen(s->s) ;
        if (c->tls)
        {
          r = tls_write(c, s->s + c->off, len - c->off) ;
          if (r <= 0) return ;
        }
        else
        {
          r = write(c->fd, s->s + c->off, len - c->off) ;
          if (r < 0 && errno == EAGAIN) { want(c, EPOLLOUT) ; return ; }
          if (r < 0) { fail(c, "write") ; return ; }
        }
        c->off += r ;
        if (c->off == len) { c->off = 0 ; c->step++ ; }
        break ;
      }
      case A_EXPECT :
      {
        int code = reply(c) ;
        if (code)
        {
          if (code != s->code)
          {
            char d[40] ;
            snprintf(d, sizeof d, "%d, expected %d", code, s->code) ;
            seterr("reply", d) ;
            failed++ ; drop(c) ; return ;
          }
          c->step++ ;
          break ;
        }
        if (c->len == sizeof c->buf) { errno = 0 ; fail(c, "reply too long") ; return ; }
        if (c->tls)
        {
          r = tls_read(c, c->buf + c->len, sizeof c->buf - c->len) ;
          if (r <= 0) return ;
        }
        else
        {
          r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len) ;
          if (r < 0 && errno == EAGAIN) { waitread(c) ; return ; }
          if (r <= 0) { if (!r) errno = 0 ; fail(c, r ? "read" : "closed by the server") ; return ; }
        }
        c->len += r ;
        break ;
      }
      case A_GREETED :
        c->tgreet = now() ;
        c->step++ ;
        break ;
      case A_HOLD :
        /* the session stays; nothing more is read from it */
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, 0) ;
        c->events = 0 ;
        c->step = 0 ;
        lat[done] = c->tgreet - c->t0 ;
        lat_tls[done] = c->ttls - c->t0 ;
        lat_greet[done] = c->tgreet - c->t0 ;
        done++ ; held++ ;
        return ;
      case A_END :
      {
        double t = now() ;
        lat[done] = t - c->t0 ;
        lat_tls[done] = c->ttls ? c->ttls - c->t0 : 0 ;
        lat_greet[done] = c->tgreet ? c->tgreet - c->t0 : 0 ;
        done++ ;
        drop(c) ;
        return ;
      }
    }
  }
}

static int cmp (void const *a, void const *b)
{
  double x = *(double const *)a, y = *(double const *)b ;
  return x < y ? -1 : x > y ;
}

static double pct (double *v, unsigned int n, double p)
{
  if (!n) return 0 ;
  unsigned int i = (unsigned int)(p * (n - 1) + 0.5) ;
  return v[i] * 1000 ;
}

static void onterm (int sig) { (void)sig ; stop = 1 ; }

int main (int argc, char **argv)
{
  char const *ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256" ;
  char const *readyfile = 0, *mode ;
  int opt ;
  size_t size = 2000 ;
  struct conn *cs ;
  double t0, t1 ;
  struct rusage ru ;

  while ((opt = getopt(argc, argv, "q3OC:l:t:r:")) != -1)
    switch (opt)
    {
      case 'q' : quickack = 1 ; break ;
      case '3' : tls13 = 1 ; engine_openssl = 1 ; break ;
      case 'O' : engine_openssl = 1 ; break ;
      case 'C' : ciphers = optarg ; break ;
      case 'l' : size = strtoul(optarg, 0, 10) ; break ;
      case 't' : timeout = atof(optarg) ; break ;
      case 'r' : readyfile = optarg ; break ;
      default : goto usage ;
    }
  if (argc - optind != 4)
  {
  usage:
    fprintf(stderr, "usage: tlsload [-q] [-O] [-3] [-C ciphers] [-l size] [-t secs] [-r readyfile] PORT hs|starttls|mail|smail|idle COUNT CONC\n") ;
    return 100 ;
  }
  memset(&sa, 0, sizeof sa) ;
  sa.sin_family = AF_INET ;
  sa.sin_port = htons(atoi(argv[optind])) ;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK) ;
  mode = argv[optind + 1] ;
  count = strtoul(argv[optind + 2], 0, 10) ;
  conc = strtoul(argv[optind + 3], 0, 10) ;
  if (!strcmp(mode, "hs")) script = s_hs ;
  else if (!strcmp(mode, "starttls")) script = s_starttls ;
  else if (!strcmp(mode, "mail")) script = s_mail ;
  else if (!strcmp(mode, "smail")) script = s_smail ;
  else if (!strcmp(mode, "idle")) { script = s_idle ; if (!readyfile) goto usage ; }
  else goto usage ;
  if (!count || !conc) goto usage ;
  if (conc > count) conc = count ;
  if (!strcmp(mode, "idle")) conc = count ;   /* they all stay */

  /* the message: headers, then lines of 76 x's up to SIZE bytes, then the dot */
  {
    size_t n = snprintf(body, sizeof body, "From: <a@sender.test>\r\nTo: <user@relay.test>\r\nSubject: tls bench\r\n\r\n") ;
    if (size > sizeof body - 200) size = sizeof body - 200 ;
    while (n + 78 <= size) { memset(body + n, 'x', 76) ; body[n + 76] = '\r' ; body[n + 77] = '\n' ; n += 78 ; }
    memcpy(body + n, ".\r\n", 4) ;
    bodylen = n + 3 ;
  }

  signal(SIGPIPE, SIG_IGN) ;
  signal(SIGTERM, onterm) ;
  signal(SIGINT, onterm) ;
  {
    struct rlimit rl ;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < conc + 64)
    {
      rl.rlim_cur = rl.rlim_max < conc + 64 ? rl.rlim_max : conc + 64 ;
      setrlimit(RLIMIT_NOFILE, &rl) ;
    }
  }
  ctx = SSL_CTX_new(TLS_client_method()) ;
  if (!ctx) return 111 ;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ;
  SSL_CTX_set_max_proto_version(ctx, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION) ;
  if (!SSL_CTX_set_cipher_list(ctx, ciphers)) { fprintf(stderr, "tlsload: bad cipher list %s\n", ciphers) ; return 100 ; }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, 0) ;
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF) ;
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET) ;
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) ;

  ep = epoll_create1(EPOLL_CLOEXEC) ;
  cs = calloc(conc, sizeof *cs) ;
  lat = calloc(count, sizeof *lat) ;
  lat_tls = calloc(count, sizeof *lat) ;
  lat_greet = calloc(count, sizeof *lat) ;
  if (ep < 0 || !cs || !lat || !lat_tls || !lat_greet) return 111 ;
  for (unsigned int i = 0 ; i < conc ; i++) cs[i].fd = -1 ;

  t0 = now() ;
  for (unsigned int i = 0 ; i < conc && started < count ; i++)
    if (start(&cs[i])) advance(&cs[i]) ;
  while (!stop && done + failed < count)
  {
    struct epoll_event ev[256] ;
    int n = epoll_wait(ep, ev, 256, 200) ;
    if (n < 0 && errno != EINTR) { perror("tlsload: epoll_wait") ; return 111 ; }
    for (int i = 0 ; i < n ; i++) advance(ev[i].data.ptr) ;
    {
      double t = now() ;
      for (unsigned int i = 0 ; i < conc ; i++)
      {
        struct conn *c = &cs[i] ;
        if (c->step && t - c->t0 > timeout) { errno = ETIMEDOUT ; fail(c, "timeout") ; }
        /* a free slot takes the next connection */
        while (!c->step && c->fd < 0 && started < count)
          if (start(c)) { advance(c) ; break ; }
      }
    }
  }
  t1 = now() ;
  if (held && !stop)
  {
    FILE *f = fopen(readyfile, "w") ;
    if (f) { fprintf(f, "%u\n", held) ; fclose(f) ; }
    while (!stop) pause() ;
  }
  getrusage(RUSAGE_SELF, &ru) ;
  {
    double secs = t1 - t0, cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6 ;
    unsigned int nt = 0, ng = 0 ;
    for (unsigned int i = 0 ; i < done ; i++)
    {
      if (lat_tls[i] > 0) lat_tls[nt++] = lat_tls[i] ;
      if (lat_greet[i] > 0) lat_greet[ng++] = lat_greet[i] ;
    }
    qsort(lat, done, sizeof *lat, cmp) ;
    qsort(lat_tls, nt, sizeof *lat, cmp) ;
    qsort(lat_greet, ng, sizeof *lat, cmp) ;
    for (char *p = firsterr ; *p ; p++) if (*p == '"' || *p == '\\' || (unsigned char)*p < 32) *p = ' ' ;
    printf("{\"mode\": \"%s\", \"conc\": %u, \"quickack\": %d, \"done\": %u, \"failed\": %u, \"secs\": %.3f, \"rate\": %.1f, "
      "\"client_cpu\": %.3f, \"client_user\": %.3f, \"client_sys\": %.3f, "
      "\"lat_p50\": %.2f, \"lat_p90\": %.2f, \"lat_p99\": %.2f, \"tls_p50\": %.2f, \"greet_p50\": %.2f, \"greet_p99\": %.2f, "
      "\"engine\": \"%s\", \"version\": \"%s\", \"cipher\": \"%s\", \"group\": \"%s\", \"sigalg\": \"%s\", \"error\": \"%s\"}\n",
      mode, conc, quickack, done, failed, secs, secs > 0 ? done / secs : 0, cpu,
      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
      pct(lat, done, .5), pct(lat, done, .9), pct(lat, done, .99), pct(lat_tls, nt, .5),
      pct(lat_greet, ng, .5), pct(lat_greet, ng, .99),
      engine_openssl ? "openssl" : "bearssl", version, cipher, group, sigalg, firsterr) ;
  }
  return failed ? 1 : 0 ;
}
