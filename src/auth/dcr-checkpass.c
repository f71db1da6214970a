/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <crypt.h>

#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/strerr.h>
#include <skalibs/sgetopt.h>
#include <skalibs/djbunix.h>
#include <skalibs/exec.h>

#include <dcr/log.h>

#include "users.h"

#define USAGE "dcr-checkpass [ -u usersfile ] [ -o verifier ] [ -t timeout ] prog..."
/* 2, not 100: the checkpassword convention for misuse */
#define dieusage() strerr_dieusage(2, USAGE)

#define INPUT_MAX 512      /* fd 3: user\0secret\0[timestamp\0...] */
#define LOG_USER_MAX 128   /* enough for an address; 4x that escaped fits a log line */

/* for an unknown user when the file has no usable hash to borrow:
   yescrypt at Debian's default cost, of a password nobody knows */
static char const fallback_dummy[] = "$y$j9T$6xGY9odCsY6qC7Tbmh773/$YuT2YB/zJZGv86BTVBN4FTmu0kFFWVuf19QOnwAXx84" ;

/* what an attempt came to: its name in the log, and our exit code */
typedef enum
{
  RES_OK, RES_BAD, RES_UNKNOWN, RES_LOCKED, RES_BADHASH,
  RES_BADMECH, RES_NOVERIFIER, RES_VERIFIERFAIL, RES_CRYPTFAIL
} result ;
static struct { char const *name ; int code ; } const results[] =   /* in that order */
{
  { "ok", 0 }, { "bad", 1 }, { "unknown-user", 1 }, { "locked", 1 }, { "bad-hash", 1 },
  { "bad-mech", 1 }, { "no-verifier", 1 }, { "verifier-fail", 111 }, { "crypt-fail", 111 }
} ;

static char input[INPUT_MAX + 1] ;   /* + 1: a byte over the limit is how we see it */
static size_t inputlen ;
static struct crypt_data cd ;        /* 32 KiB: not on the stack, and wiped */
static char why[64] ;                /* detail of a verifier failure, for the log */


 /* fd 3 */

static void readinput (char const **user, char const **secret)
{
  size_t n, m ;
  if (fcntl(3, F_GETFD) < 0) strerr_dief1x(2, "descriptor 3 is not open: it must carry user\\0secret\\0") ;
  while (inputlen < sizeof(input))
  {
    ssize_t r = fd_read(3, input + inputlen, sizeof(input) - inputlen) ;
    if (r < 0) strerr_diefu1sys(111, "read from descriptor 3") ;
    if (!r) break ;
    inputlen += r ;
  }
  fd_close(3) ;   /* the interface: read to EOF, then close */
  if (inputlen > INPUT_MAX) strerr_dief1x(2, "more than 512 bytes on descriptor 3") ;
  n = byte_chr(input, inputlen, 0) ;
  if (n == inputlen) strerr_dief1x(2, "no NUL after the user name on descriptor 3") ;
  if (!n) strerr_dief1x(2, "empty user name on descriptor 3") ;
  m = byte_chr(input + n + 1, inputlen - n - 1, 0) ;
  if (n + 1 + m == inputlen) strerr_dief1x(2, "no NUL after the secret on descriptor 3") ;
  *user = input ;
  *secret = input + n + 1 ;
  inputlen = n + 1 + m + 1 ;   /* what a verifier gets: the rest is ignored */
}


/* constant time for strings of one length, and hash lengths are no secret */
static int same (char const *a, char const *b)
{
  size_t n = strlen(a), i ;
  unsigned char d = 0 ;
  if (n != strlen(b)) return 0 ;
  for (i = 0 ; i < n ; i++) d |= (unsigned char)(a[i] ^ b[i]) ;
  return !d ;
}

static result check_password (char const *file, char const *user, char const *pass)
{
  static char stored[USERLINE_MAX + 1], dummy[USERLINE_MAX + 1] ;
  char const *h = 0, *out ;
  result r ;
  int found = users_lookup(file, user, stored, dummy) ;
  if (found) h = users_unscheme(stored) ;
  if (!found || !h || users_locked(h))
  {
    /* the same work as a real check, whose result nobody reads */
    crypt_rn(pass, *dummy ? dummy : fallback_dummy, &cd, sizeof(cd)) ;
    r = !found ? RES_UNKNOWN : !h ? RES_BADHASH : RES_LOCKED ;
  }
  else
  {
    out = crypt_rn(pass, h, &cd, sizeof(cd)) ;
    if (!out) r = errno == ENOMEM ? RES_CRYPTFAIL : RES_BADHASH ;
    else r = same(out, h) ? RES_OK : RES_BAD ;
  }
  explicit_bzero(&cd, sizeof(cd)) ;
  explicit_bzero(stored, sizeof(stored)) ;
  explicit_bzero(dummy, sizeof(dummy)) ;
  return r ;
}


 /* a token verifier: the checkpassword interface again, one level down */

static void setwhy (char const *a, int n, char const *z)
{
  size_t len = strlen(a) ;
  memcpy(why, a, len) ;
  len += int_fmt(why + len, n) ;
  memcpy(why + len, z, strlen(z) + 1) ;
}

static result check_token (char const *prog, unsigned int secs)
{
  sigset_t set, old ;
  struct timespec deadline, now, left ;
  int p[2], wstat ;
  pid_t pid ;

  /* SIGCHLD blocked from before the fork: sigtimedwait then cannot miss
     it. SIG_IGN, if inherited, would reap the child behind our back. */
  signal(SIGCHLD, SIG_DFL) ;
  sigemptyset(&set) ; sigaddset(&set, SIGCHLD) ;
  if (sigprocmask(SIG_BLOCK, &set, &old) < 0) strerr_diefu1sys(111, "block SIGCHLD") ;
  if (pipecoe(p) < 0) strerr_diefu1sys(111, "make a pipe") ;
  /* at most 512 bytes: a fresh pipe takes them without a reader */
  if (allwrite(p[1], input, inputlen) < inputlen) strerr_diefu1sys(111, "write to a pipe") ;
  fd_close(p[1]) ;
  pid = fork() ;
  if (pid < 0) strerr_diefu1sys(111, "fork") ;
  if (!pid)
  {
    char const *argv[2] = { prog, 0 } ;
    sigprocmask(SIG_SETMASK, &old, 0) ;
    setpgid(0, 0) ;   /* a group of its own: the timeout kills what it started too */
    /* its stdout to our stderr: nothing it prints may reach a client */
    if ((p[0] == 3 ? uncoe(3) : fd_copy(3, p[0])) < 0 || fd_copy(1, 2) < 0)
    {
      strerr_warnwu1sys("set up descriptors for the verifier") ;
      _exit(111) ;
    }
    execv(prog, (char *const *)argv) ;
    strerr_warnwu2sys("exec ", prog) ;
    _exit(111) ;
  }
  setpgid(pid, pid) ;   /* here too: whichever runs first */
  fd_close(p[0]) ;

  clock_gettime(CLOCK_MONOTONIC, &deadline) ;
  deadline.tv_sec += secs ;
  for (;;)
  {
    pid_t r = waitpid(pid, &wstat, WNOHANG) ;
    if (r == pid) break ;
    if (r < 0 && errno != EINTR) strerr_diefu1sys(111, "wait for the verifier") ;
    clock_gettime(CLOCK_MONOTONIC, &now) ;
    left.tv_sec = deadline.tv_sec - now.tv_sec ;
    left.tv_nsec = deadline.tv_nsec - now.tv_nsec ;
    if (left.tv_nsec < 0) { left.tv_nsec += 1000000000 ; left.tv_sec-- ; }
    if (left.tv_sec < 0)
    {
      kill(-pid, SIGKILL) ;
      kill(pid, SIGKILL) ;   /* if setpgid failed */
      waitpid(pid, &wstat, 0) ;
      sigprocmask(SIG_SETMASK, &old, 0) ;
      setwhy("timeout after ", (int)secs, "s") ;
      return RES_VERIFIERFAIL ;
    }
    sigtimedwait(&set, 0, &left) ;   /* SIGCHLD, or the time is up */
  }
  sigprocmask(SIG_SETMASK, &old, 0) ;
  if (WIFSIGNALED(wstat)) { setwhy("killed by signal ", WTERMSIG(wstat), "") ; return RES_VERIFIERFAIL ; }
  if (WEXITSTATUS(wstat) > 1) { setwhy("exit ", WEXITSTATUS(wstat), "") ; return RES_VERIFIERFAIL ; }
  return WEXITSTATUS(wstat) ? RES_BAD : RES_OK ;
}


 /* the log: the user name comes from the network, the rest from dcr-smtpd */

static char const *clip (char *d, size_t max, char const *s)
{
  size_t n = strlen(s) ;
  if (n <= max) return s ;
  memcpy(d, s, max) ;
  memcpy(d + max, "...", 4) ;
  return d ;
}

static void logattempt (char const *user, char const *mech, result r)
{
  char u[LOG_USER_MAX + 4], m[32 + 4], ip[64 + 4] ;
  char const *tcpip = getenv("TCPREMOTEIP") ;
  dcr_log("event", "auth", "user", clip(u, LOG_USER_MAX, user), "mech", clip(m, 32, mech),
    "result", results[r].name, "ip", clip(ip, 64, tcpip ? tcpip : ""),
    *why ? "why" : (char *)0, why, (char *)0) ;
}

int main (int argc, char const *const *argv)
{
  char const *usersfile = 0, *verifier = 0, *user, *secret, *mech ;
  unsigned int secs = 10 ;
  result r ;
  PROG = "dcr-checkpass" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "u:o:t:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'u' : usersfile = l.arg ; break ;
        case 'o' : verifier = l.arg ; break ;
        case 't' : if (!uint0_scan(l.arg, &secs) || !secs || secs > 3600) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (!argc) dieusage() ;

  readinput(&user, &secret) ;
  mech = getenv("AUTH_MECH") ;
  if (!mech || !strcasecmp(mech, "PLAIN") || !strcasecmp(mech, "LOGIN"))
  {
    if (!usersfile) strerr_dief1x(2, "a password to check and no users file (-u)") ;
    r = check_password(usersfile, user, secret) ;
  }
  else if (!strcasecmp(mech, "XOAUTH2") || !strcasecmp(mech, "OAUTHBEARER"))
    r = verifier ? check_token(verifier, secs) : RES_NOVERIFIER ;
  else r = RES_BADMECH ;
  explicit_bzero((char *)secret, strlen(secret)) ;
  logattempt(user, mech ? mech : "none", r) ;
  if (r != RES_OK) return results[r].code ;

  {
    /* AUTHUSER=user\0 for the next program, execvp-style */
    char modif[9 + INPUT_MAX + 1] ;
    size_t n = strlen(user) ;
    memcpy(modif, "AUTHUSER=", 9) ;
    memcpy(modif + 9, user, n + 1) ;
    mexec_m(argv, modif, 9 + n + 1) ;
    strerr_diefu2sys(111, "exec ", argv[0]) ;
  }
}
