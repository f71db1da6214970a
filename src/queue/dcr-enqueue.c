/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/uint64.h>
#include <skalibs/strerr.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>

#include <dcr/log.h>
#include <dcr/qid.h>
#include <dcr/queue.h>

#define USAGE "dcr-enqueue queuedir"
#define dieusage() strerr_dieusage(100, USAGE)

#define NOSPACE "452 4.3.1 insufficient system storage"
#define IOERROR "451 4.3.0 queue write failed"
#define MAXTRIES 8   /* fresh ids tried when a name is taken */

static char id[DCR_QID_LEN + 1] ;
static char messpath[DCR_QUEUE_PATHMAX] ;
static char tmppath[DCR_QUEUE_PATHMAX] ;
static int made_mess = 0, made_tmp = 0 ;

 /* Failing: remove what we made, one reply line, exit. */

static void cleanup (void)
{
  if (made_tmp) unlink(tmppath) ;
  if (made_mess) unlink(messpath) ;
  made_tmp = made_mess = 0 ;
}

static void reply_exit (int code, char const *line, char const *step, char const *why)
{
  cleanup() ;
  dcr_log("event", code == 100 ? "refused" : "failed", "id", id, "step", step, "error", why, (char *)0) ;
  if (dcr_write_all(1, line, strlen(line)) && why && code == 100)
    dcr_write_all(1, why, strlen(why)) ;
  dcr_write_all(1, "\n", 1) ;
  _exit(code) ;
}

static void die_sys (char const *step)
{
  int e = errno ;
  reply_exit(111, dcr_is_nospace(e) ? NOSPACE : IOERROR, step, strerror(e)) ;
}

static void die_bad (char const *why)
{
  reply_exit(100, "550 5.5.0 bad envelope: ", "envelope", why) ;
}

 /* The envelope, from the environment of contract 3. */

static stralloc store = STRALLOC_ZERO ;

/* n lines of s as strings in store; offsets in off[]. 0 if not n lines */
static int split (char const *s, size_t n, size_t *off, int upper)
{
  size_t i = 0, len = strlen(s), start = store.len ;
  if (!stralloc_catb(&store, s, len + 1)) die_sys("alloc") ;
  off[i++] = start ;
  for (size_t j = start ; j < start + len ; j++)
  {
    char c = store.s[j] ;
    if (c == '\n')
    {
      if (i == n) return 0 ;
      store.s[j] = 0 ;
      off[i++] = j + 1 ;
    }
    else if (upper && c >= 'a' && c <= 'z') store.s[j] = c - 32 ;
  }
  return i == n ;
}

static char const *word (char const *var, char *buf)
{
  char const *s = getenv(var) ;
  size_t i = 0 ;
  if (!s || !*s) return 0 ;
  for (; s[i] ; i++)
  {
    if (i >= DCR_ENV_WORDMAX) die_bad(var) ;
    buf[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i] ;
  }
  buf[i] = 0 ;
  return buf ;
}

static void build (dcr_envelope *e)
{
  static char body[DCR_ENV_WORDMAX + 1], ret[DCR_ENV_WORDMAX + 1] ;
  char const *rcpts = getenv("SMTP_RECIPIENTS") ;
  char const *notify = getenv("SMTP_DSN_NOTIFY") ;
  char const *orcpt = getenv("SMTP_DSN_ORCPT") ;
  char const *x ;
  size_t n = 1, i = 0 ;
  size_t *off ;

  if (!rcpts || !*rcpts) die_bad("no recipients") ;
  for (x = rcpts ; *x ; x++) if (*x == '\n') n++ ;
  if (n > DCR_ENV_RCPTMAX) die_bad("too many recipients") ;
  off = malloc(3 * n * sizeof(size_t)) ;
  if (!off) die_sys("alloc") ;
  split(rcpts, n, off, 0) ;
  if (notify && *notify && !split(notify, n, off + n, 1)) die_bad("SMTP_DSN_NOTIFY lines do not match SMTP_RECIPIENTS") ;
  if (orcpt && *orcpt && !split(orcpt, n, off + 2 * n, 0)) die_bad("SMTP_DSN_ORCPT lines do not match SMTP_RECIPIENTS") ;
  for (; i < n ; i++)
    if (!dcr_envelope_addrcpt(e, store.s + off[i],
          notify && *notify ? store.s + off[n + i] : "",
          orcpt && *orcpt ? store.s + off[2 * n + i] : "")) die_sys("alloc") ;
  free(off) ;

  e->sender = getenv("SMTP_SENDER") ;
  if (!e->sender) die_bad("no SMTP_SENDER") ;
  e->helo = getenv("SMTP_HELO") ;
  e->authuser = getenv("SMTP_AUTHUSER") ;
  e->envid = getenv("SMTP_DSN_ENVID") ;
  e->proto = getenv("SMTP_PROTO") ;
  if (e->proto && !*e->proto) e->proto = 0 ;
  e->ip = getenv("TCPREMOTEIP") ;
  if (e->ip && !*e->ip) e->ip = 0 ;
  e->body = word("SMTP_BODY", body) ;
  e->ret = word("SMTP_DSN_RET", ret) ;
  x = getenv("SMTP_SMTPUTF8") ;
  if (x && *x && strcmp(x, "1")) die_bad("SMTP_SMTPUTF8 is not 1") ;
  e->smtputf8 = x && *x ;
  x = getenv("DCR_PRIORITY") ;
  if (x && *x)
  {
    int neg = *x == '-' ;
    uint64_t u ;
    if (x[neg] < '0' || x[neg] > '9' || !uint640_scan(x + neg, &u) || u > DCR_ENV_PRIOMAX) die_bad("bad DCR_PRIORITY") ;
    e->priority = neg ? -(int)u : (int)u ;
  }
  e->id = "00000000000000000000000" ;  /* checked now, set at commit */
  x = dcr_envelope_check(e) ;
  if (x) die_bad(x) ;
}

 /* Step 1: the message file */

static int link_mess (char const *src)
{
  unsigned int tries = 0 ;
  int mkd = 0 ;
  for (;;)
  {
    dcr_queue_messpath(messpath, id) ;
    if (src ? !link(src, messpath) : dcr_link_fd(0, messpath)) return (made_mess = 1) ;
    if (errno == EEXIST)
    {
      if (++tries >= MAXTRIES) return 0 ;
      dcr_qid_make(id) ;
      mkd = 0 ;
    }
    else if (errno == ENOENT && !mkd)
    {
      char dir[8] = "mess/" ;
      dcr_qid_bucketname(id, dir + 5) ;
      if (!dcr_mkdirp(dir)) return 0 ;
      mkd = 1 ;
    }
    else return 0 ;
  }
}

/* stdin is an O_TMPFILE spool: give it a name, no copy. 0: copy instead */
static int store_link (struct stat const *st)
{
  if (!S_ISREG(st->st_mode) || st->st_nlink) return 0 ;
  if ((st->st_mode & 07777) != DCR_QUEUE_FILEMODE && fchmod(0, DCR_QUEUE_FILEMODE) < 0) return 0 ;
  /* link first, fsync after: the fsync then writes the inode with its
     new link count. The other way round, a crash after the directory
     fsync could leave a name for an inode whose count on disk is 0 (ext4
     without a journal, as here, does not write it with the directory). */
  if (link_mess(0))
  {
    if (fsync(0) < 0) die_sys("fsync message") ;
    return 1 ;
  }
  if (errno == EEXIST || errno == EIO || errno == EROFS || dcr_is_nospace(errno))
    die_sys("link message") ;
  return 0 ;
}

static uint64_t store_copy (void)
{
  unsigned int tries = 0 ;
  uint64_t size ;
  int fd ;
  for (;;)
  {
    dcr_queue_tmppath(tmppath, id, "") ;
    fd = open(tmppath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, DCR_QUEUE_FILEMODE) ;
    if (fd >= 0) break ;
    if (++tries >= MAXTRIES) die_sys("create tmp") ;
    if (errno == EEXIST) dcr_qid_make(id) ;
    else if (errno != ENOENT || !dcr_mkdirp("tmp")) die_sys("create tmp") ;
  }
  made_tmp = 1 ;
  if (!dcr_copy_fd(0, fd, &size)) die_sys("write message") ;
  if (!link_mess(tmppath)) die_sys("link message") ;
  if (fsync(fd) < 0) die_sys("fsync message") ;   /* after the link: see store_link */
  if (close(fd) < 0 && errno != EINTR) die_sys("close message") ;
  unlink(tmppath) ;  /* a leftover is harmless: the runner sweeps tmp/ */
  made_tmp = 0 ;
  return size ;
}

 /* Step 3: tell the runner; no reader, or a full fifo, is fine */

static void trigger (void)
{
  struct stat st ;
  int fd = open("trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (fd < 0) return ;
  if (!fstat(fd, &st) && S_ISFIFO(st.st_mode))
  {
    char line[DCR_QID_LEN + 1] ;
    memcpy(line, id, DCR_QID_LEN) ;
    line[DCR_QID_LEN] = '\n' ;
    if (write(fd, line, sizeof(line)) < 0) {}
  }
  close(fd) ;
}

int main (int argc, char const *const *argv)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  char envtmp[DCR_QUEUE_PATHMAX], newpath[DCR_QUEUE_PATHMAX] ;
  char sizefmt[UINT64_FMT], nfmt[UINT64_FMT] ;
  char const *dcrid = getenv("DCR_ID") ;
  struct stat st ;
  int linked, r ;
  PROG = "dcr-enqueue" ;
  if (argc < 2 || !argv[1][0]) dieusage() ;
  umask(027) ;
  if (!sig_ignore(SIGPIPE)) die_sys("ignore SIGPIPE") ;

  if (dcrid && dcr_qid_valid(dcrid)) memcpy(id, dcrid, DCR_QID_LEN + 1) ;
  else dcr_qid_make(id) ;
  build(&e) ;
  if (chdir(argv[1]) < 0) die_sys("chdir to queue") ;

  /* 1: message linked into mess/NN/ID, fsync'd, mess/NN fsync'd */
  if (fstat(0, &st) < 0) die_sys("fstat stdin") ;
  if (S_ISDIR(st.st_mode)) { errno = EISDIR ; die_sys("read stdin") ; }
  linked = store_link(&st) ;
  if (linked) e.size = st.st_size ;
  else e.size = store_copy() ;
  {
    char dir[8] = "mess/" ;
    dcr_qid_bucketname(id, dir + 5) ;
    if (!dcr_fsync_dir(dir)) die_sys("fsync mess dir") ;
  }

  /* 2: envelope written aside, fsync'd, renamed to new/ID, new/ fsync'd */
  e.id = id ;
  e.arrival = (uint64_t)time(0) ;
  dcr_queue_tmppath(envtmp, id, ".env") ;
  dcr_queue_newpath(newpath, id) ;
  r = dcr_envelope_write(&e, envtmp, newpath) ;
  if (!r) die_sys("write envelope") ;
  if (r < 0)
  {
    /* visible but maybe not durable: take it back, unless the runner has it */
    int ee = errno ;
    if (unlink(newpath) < 0) made_mess = 0 ;   /* gone to the runner, or still there: keep the message */
    errno = ee ;
    die_sys("fsync new dir") ;
  }
  made_mess = 0 ;

  /* 3: committed */
  trigger() ;
  sizefmt[uint64_fmt(sizefmt, e.size)] = 0 ;
  nfmt[uint64_fmt(nfmt, dcr_envelope_nrcpts(&e))] = 0 ;
  dcr_log("event", "queued", "id", id, "size", sizefmt, "rcpts", nfmt,
    "sender", e.sender, "spool", linked ? "link" : "copy",
    dcrid && strcmp(dcrid, id) ? "dcrid" : (char *)0, dcrid, (char *)0) ;
  {
    char line[DCR_QID_LEN + 1] ;
    memcpy(line, id, DCR_QID_LEN) ;
    line[DCR_QID_LEN] = '\n' ;
    dcr_write_all(1, line, sizeof(line)) ;
  }
  dcr_envelope_free(&e) ;
  stralloc_free(&store) ;
  return 0 ;
}
