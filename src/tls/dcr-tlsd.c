/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <bearssl.h>
#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/djbunix.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/socket.h>
#include <skalibs/env.h>
#include <skalibs/exec.h>
#include <skalibs/sig.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include <dcr/opts.h>
#include <dcr/tls.h>
#include "tlsd.h"

#define USAGE "dcr-tlsd [ -s ] [ -c certfile ] [ -k keyfile ] [ -d certdir ] [ -K handshake-timeout ] [ -t idle-timeout ] prog..."
#define dieusage() strerr_dieusage(100, USAGE)

/* Implicit TLS: handshake, then run PROG on plaintext pipes with the
   SSL_* variables set. STARTTLS (-s): run PROG in plaintext at once,
   with the UCSPI-TLS descriptors; its "Y" on SSLCTLFD starts the
   handshake, and the SSL_* variables come back on SSLCTLFD.
   Either way this process stays to carry the bytes, passes SIGTERM on
   to PROG (so that it can say 421 through TLS), waits for it so that
   dcr-tcpd counts the connection until both are done, and exits with
   its exit code. A failed handshake is exit 111. */

static br_ssl_server_context sc ;
static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI] ;
static certpolicy policy ;
static tlsd_conf conf ;
static volatile pid_t child = 0 ;

static void onterm (int sig)
{
  if (child > 0) kill(child, sig) ;
  else _exit(111) ;   /* nothing to wait for yet */
}

/* PROG's exit code, or 111 if it was killed */
static void waitexit (pid_t pid)
{
  int wstat ;
  if (waitpid_nointr(pid, &wstat, 0) < 0) _exit(111) ;
  _exit(WIFEXITED(wstat) ? WEXITSTATUS(wstat) : 111) ;
}

/* 1 done, 0 failed (logged) */
static int handshake (void)
{
  tain deadline ;
  char ms[UINT_FMT] ;
  tain start ;
  /* records go out as soon as they are made: without this, Nagle holds
     each one behind the client's delayed ACK (40 ms per flight here).
     Not a socket (a pipe in a test): nothing to do. */
  {
    int one = 1 ;
    setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;
  }
  dcr_tls_profile_server(&sc) ;
  br_ssl_engine_set_buffer(&sc.eng, iobuf, sizeof iobuf, 1) ;
  certpolicy_init(&policy, &conf) ;
  br_ssl_server_set_policy(&sc, &policy.vtable) ;
  if (!br_ssl_server_reset(&sc)) strerr_dief1x(111, "cannot start the TLS engine") ;
  tain_now_set_stopwatch_g() ;
  start = STAMP ;
  tain_addsec_g(&deadline, conf.handshake) ;
  if (!pump_handshake(&sc.eng, &deadline))
  {
    int err = br_ssl_engine_last_error(&sc.eng) ;
    char e[INT_FMT] ;
    e[int_fmt(e, err)] = 0 ;
    dcr_log("event", "tls-fail", "ip", conf.remoteip,
      "reason", errno == ETIMEDOUT ? "handshake timeout" : err ? dcr_tls_error(err) : "connection closed",
      "code", e, (char *)0) ;
    if (policy.cert.keytype && policy.cert.chainlen && !dcr_tlscert_keymatch(&policy.cert))
      dcr_log("event", "tls-cert-error", "ip", conf.remoteip, "error", "the private key is not the certificate's", (char *)0) ;
    return 0 ;
  }
  tain_now_g() ;
  {
    tain d ;
    tain_sub(&d, &STAMP, &start) ;
    ms[uint_fmt(ms, tain_to_millisecs(&d))] = 0 ;
  }
  {
    br_ssl_session_parameters sp ;
    char const *sni = br_ssl_engine_get_server_name(&sc.eng) ;
    br_ssl_engine_get_session_parameters(&sc.eng, &sp) ;
    dcr_log("event", "tls", "ip", conf.remoteip, "sni", sni[0] ? sni : "none",
      "cipher", dcr_tls_suite_name(sp.cipher_suite), "ms", ms, (char *)0) ;
    memset(&sp, 0, sizeof sp) ;
  }
  dcr_tlscert_free(&policy.cert) ;   /* the key is not needed any more */
  return 1 ;
}

static void finish (pid_t pid, int appread, int appwrite)
{
  /* never block on one side while the other waits */
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0 || ndelay_on(appread) < 0 || ndelay_on(appwrite) < 0)
    strerr_diefu1sys(111, "set descriptors non-blocking") ;
  pump_run(&sc.eng, appread, appwrite, conf.idle) ;
  close(appwrite) ;   /* the program sees the end of the session */
  close(appread) ;
  fd_shutdown(1, 1) ;
  close(0) ; close(1) ;
  waitexit(pid) ;
}

/* fork PROG with fds 0/1 on our pipes and the given environment
   modifications; returns its pid, and our ends of the pipes */
/* The program never sees the certificate's location (s6-tlsd does the
   same), and in STARTTLS mode no SSL_* from our own environment: a
   stray SSL_PROTOCOL would make dcr-smtpd believe it is inside TLS. */
static char const unsets[] = "CERTFILE\0KEYFILE\0" ;
static char const unsets_plain[] = "SSL_PROTOCOL\0SSL_CIPHER\0SSL_TLS_SNI_SERVERNAME\0" ;

static pid_t spawn (char const *const *argv, char const *modifs, size_t modlen, int dup01, int *appread, int *appwrite, int ctl)
{
  int toapp[2], fromapp[2] ;
  pid_t pid ;
  sigset_t term, old ;
  if (pipe(toapp) < 0 || pipe(fromapp) < 0) strerr_diefu1sys(111, "pipe") ;
  /* SIGTERM waits until we know whom to pass it to */
  sigemptyset(&term) ; sigaddset(&term, SIGTERM) ;
  sigprocmask(SIG_BLOCK, &term, &old) ;
  pid = fork() ;
  if (pid < 0) strerr_diefu1sys(111, "fork") ;
  if (!pid)
  {
    char m[600] ;
    size_t n = 0 ;
    sigprocmask(SIG_SETMASK, &old, 0) ;
    close(toapp[1]) ; close(fromapp[0]) ;
    signal(SIGPIPE, SIG_DFL) ;   /* ours is ignored; PROG gets the default */
    if (modlen > sizeof m - sizeof unsets - sizeof unsets_plain - 80) strerr_dief1x(111, "environment too large") ;
    memcpy(m, unsets, sizeof unsets - 1) ; n = sizeof unsets - 1 ;
    if (dup01)
    {
      if (fd_move(0, toapp[0]) < 0 || fd_move(1, fromapp[1]) < 0) strerr_diefu1sys(111, "move descriptors") ;
      memcpy(m + n, modifs, modlen) ; n += modlen ;
    }
    else
    {
      memcpy(m + n, unsets_plain, sizeof unsets_plain - 1) ; n += sizeof unsets_plain - 1 ;
      memcpy(m + n, "SSLCTLFD=", 9) ; n += 9 ; n += uint_fmt(m + n, ctl) ; m[n++] = 0 ;
      memcpy(m + n, "SSLREADFD=", 10) ; n += 10 ; n += uint_fmt(m + n, toapp[0]) ; m[n++] = 0 ;
      memcpy(m + n, "SSLWRITEFD=", 11) ; n += 11 ; n += uint_fmt(m + n, fromapp[1]) ; m[n++] = 0 ;
    }
    xmexec_m(argv, m, n) ;
  }
  child = pid ;
  sigprocmask(SIG_SETMASK, &old, 0) ;
  close(toapp[0]) ; close(fromapp[1]) ;
  *appwrite = toapp[1] ;
  *appread = fromapp[0] ;
  return pid ;
}

static void implicit (char const *const *argv)
{
  char env[512] ;
  size_t len ;
  int appread, appwrite ;
  pid_t pid ;
  if (!handshake()) _exit(111) ;
  len = tlsd_environment(&sc, env, sizeof env) ;
  pid = spawn(argv, env, len, 1, &appread, &appwrite, -1) ;
  finish(pid, appread, appwrite) ;
}

static void starttls (char const *const *argv)
{
  int ctl[2], appread, appwrite ;
  pid_t pid ;
  char c ;
  ssize_t r ;
  if (ipc_pair_b(ctl) < 0 || coe(ctl[0]) < 0) strerr_diefu1sys(111, "socketpair") ;
  pid = spawn(argv, 0, 0, 0, &appread, &appwrite, ctl[1]) ;
  close(ctl[1]) ;
  do r = read(ctl[0], &c, 1) ; while (r < 0 && errno == EINTR) ;
  if (r <= 0 || (c != 'Y' && c != 'y'))
  {
    /* the session ended in plaintext (or a broken program): let the
       network go with it */
    close(0) ; close(1) ;
    waitexit(pid) ;
  }
  if (!handshake())
  {
    /* the program sees the end on its descriptors, and goes */
    close(ctl[0]) ; close(appwrite) ; close(appread) ;
    fd_shutdown(1, 1) ;
    close(0) ; close(1) ;
    {
      int wstat ;
      waitpid_nointr(pid, &wstat, 0) ;
    }
    _exit(111) ;
  }
  if (c == 'Y')
  {
    char env[512] ;
    size_t len = tlsd_environment(&sc, env, sizeof env) ;
    env[len++] = 0 ;   /* an empty string ends the list */
    if (fd_write(ctl[0], env, len) < (ssize_t)len) { /* the program went: pump_run will see it */ }
  }
  close(ctl[0]) ;
  finish(pid, appread, appwrite) ;
}

int main (int argc, char const *const *argv)
{
  static dcr_longopt const longopts[] =
  {
    { "starttls", 's', 0 }, { "cert", 'c', 1 }, { "key", 'k', 1 },
    { "certdir", 'd', 1 }, { "handshake-timeout", 'K', 1 }, { "idle-timeout", 't', 1 }, { 0, 0, 0 }
  } ;
  int mode_starttls = 0 ;
  PROG = "dcr-tlsd" ;
  conf.handshake = 30 ;
  conf.idle = 1200 ;
  argv = dcr_longopts(&argc, argv, longopts, "sc:k:d:K:t:", USAGE) ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "sc:k:d:K:t:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 's' : mode_starttls = 1 ; break ;
        case 'c' : conf.certfile = l.arg ; break ;
        case 'k' : conf.keyfile = l.arg ; break ;
        case 'd' : conf.certdir = l.arg ; break ;
        case 'K' : if (!uint0_scan(l.arg, &conf.handshake) || !conf.handshake || conf.handshake > 3600) dieusage() ; break ;
        case 't' : if (!uint0_scan(l.arg, &conf.idle) || !conf.idle || conf.idle > 86400) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (!argc) dieusage() ;
  /* ucspi-ssl and s6-tlsd take the certificate from the environment;
     KEYFILE goes only with CERTFILE */
  if (!conf.certfile)
  {
    char const *x = getenv("CERTFILE") ;
    if (x && *x)
    {
      conf.certfile = x ;
      x = getenv("KEYFILE") ;
      if (!conf.keyfile && x && *x) conf.keyfile = x ;
    }
  }
  if (conf.keyfile && !conf.certfile) strerr_dief1x(100, "-k needs -c (or CERTFILE): the key of which certificate?") ;
  if (!conf.certfile && !conf.certdir) strerr_dief1x(100, "no certificate: give -c certfile or -d certdir") ;
  conf.remoteip = getenv("TCPREMOTEIP") ;
  if (!sig_ignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  {
    struct sigaction sa ;
    memset(&sa, 0, sizeof sa) ;
    sa.sa_handler = &onterm ;   /* no SA_RESTART: iopause sees EINTR and goes on */
    sigemptyset(&sa.sa_mask) ;
    if (sigaction(SIGTERM, &sa, 0) < 0) strerr_diefu1sys(111, "catch SIGTERM") ;
  }
  if (mode_starttls) starttls(argv) ; else implicit(argv) ;
  return 0 ;
}
