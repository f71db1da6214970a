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
#include <dcr/submit.h>

#define USAGE "dcr-enqueue queuedir"
#define dieusage() strerr_dieusage(100, USAGE)

#define NOSPACE "452 4.3.1 insufficient system storage"
#define IOERROR "451 4.3.0 queue write failed"
#define MAXTRIES 8   /* fresh ids tried when a tmp name is taken */
#define SUBMIT_TIMEOUT 60000   /* ms for dcr-queued's answer */

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

 /* The envelope, from the environment of contract 3 */

static char const *getvar (char const *name, void *ctx)
{
  (void)ctx ;
  return getenv(name) ;
}

static void build (dcr_envelope *e)
{
  char const *why = 0 ;
  int r = dcr_envelope_from_vars(e, &getvar, 0, &why) ;
  if (!r) die_sys("alloc") ;
  if (r < 0) die_bad(why) ;
}

 /* Step 1: the message file */

static int link_mess (char const *src)
{
  if (!dcr_queue_linkmess(src ? -1 : 0, src, id, messpath)) return 0 ;
  return (made_mess = 1) ;
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

/* an unlinked spool file goes to dcr-queued, which commits it with
   others at one sync; returns only when no writer took it */
static void to_writer (dcr_envelope *e, struct stat const *st, char const *dcrid)
{
  stralloc text = STRALLOC_ZERO ;
  char line[DCR_SUBMIT_LINEMAX] ;
  int r ;
  e->id = id ;
  e->size = st->st_size ;
  if (!dcr_envelope_fmt(&text, e)) die_sys("format envelope") ;
  r = dcr_submit(".", 0, text.s, text.len, line, SUBMIT_TIMEOUT) ;
  stralloc_free(&text) ;
  if (r < 0) return ;
  if (r)
  {
    dcr_log("event", "failed", "id", id, "step", "queue writer", "error", line, (char *)0) ;
    dcr_write_all(1, line, strlen(line)) ;
    dcr_write_all(1, "\n", 1) ;
    _exit(r) ;
  }
  dcr_submit_logqueued(line, e->size, dcr_envelope_nrcpts(e), e->sender, "writer", dcrid) ;
  dcr_write_all(1, line, strlen(line)) ;
  dcr_write_all(1, "\n", 1) ;
  _exit(0) ;
}

int main (int argc, char const *const *argv)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO ;
  char envtmp[DCR_QUEUE_PATHMAX], newpath[DCR_QUEUE_PATHMAX] ;
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
  if (S_ISREG(st.st_mode) && !st.st_nlink) to_writer(&e, &st, dcrid) ;
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
  dcr_submit_logqueued(id, e.size, dcr_envelope_nrcpts(&e), e.sender, linked ? "link" : "copy", dcrid) ;
  {
    char line[DCR_QID_LEN + 1] ;
    memcpy(line, id, DCR_QID_LEN) ;
    line[DCR_QID_LEN] = '\n' ;
    dcr_write_all(1, line, sizeof(line)) ;
  }
  dcr_envelope_free(&e) ;
  return 0 ;
}
