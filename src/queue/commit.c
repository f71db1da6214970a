/* ISC license. */
/* Group commit (doc/queue.md, "The queue writer"). For a batch of
   messages: each one linked into mess/NN and its envelope written to
   tmp/, then ONE syncfs of the queue's file system, then the envelopes
   renamed into new/, then ONE fsync of new/. Contract 4's order per
   message (data and envelope durable before the name in new/, new/
   durable before the answer) holds for every message of the batch;
   the batch only shares the flushes, which are what a commit costs. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/netstring.h>
#include <skalibs/stralloc.h>

#include <dcr/log.h>
#include "queued.h"

#define NOSPACE "Z 452 4.3.1 insufficient system storage"
#define IOERROR "Z 451 4.3.0 queue write failed"

enum { STEP_NONE, STEP_LINKED, STEP_WRITTEN, STEP_RENAMED, STEP_OK, STEP_FAILED } ;

static void fail (job *j, char const *what, int e)
{
  char const *why = strerror(e) ;
  if (j->step == STEP_RENAMED)
  {
    /* visible, maybe not durable: taken back, unless the runner has it */
    if (!unlink(j->newpath)) unlink(j->messpath) ;
  }
  else
  {
    if (j->step == STEP_WRITTEN) unlink(j->envtmp) ;
    if (j->step >= STEP_LINKED) unlink(j->messpath) ;
  }
  dcr_log("event", "failed", "id", j->id, "step", what, "error", why, (char *)0) ;
  strcpy(j->answer, dcr_is_nospace(e) ? NOSPACE : IOERROR) ;
  j->step = STEP_FAILED ;
}

/* a sync failed: every job that had reached step fails with it */
static void fail_all (job **jobs, unsigned int n, unsigned int step, char const *what, int e)
{
  for (unsigned int i = 0 ; i < n ; i++) if (jobs[i]->step == step) fail(jobs[i], what, e) ;
}

static void refuse (job *j, char kind, char const *text, char const *why)
{
  size_t n = strlen(text), k = why ? strlen(why) : 0 ;
  if (n + k + 3 > DCR_SUBMIT_LINEMAX) k = DCR_SUBMIT_LINEMAX - n - 3 ;
  j->answer[0] = kind ; j->answer[1] = ' ' ;
  memcpy(j->answer + 2, text, n) ;
  memcpy(j->answer + 2 + n, why, k) ;
  j->answer[2 + n + k] = 0 ;
  j->step = STEP_FAILED ;
}

/* the envelope file, not yet synced */
static int write_env (char const *path, char const *s, size_t n)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, DCR_QUEUE_FILEMODE) ;
  if (fd < 0 && errno == ENOENT && dcr_mkdirp("tmp")) fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, DCR_QUEUE_FILEMODE) ;
  if (fd < 0) return 0 ;
  if (!dcr_write_all(fd, s, n)) { int e = errno ; close(fd) ; unlink(path) ; errno = e ; return 0 ; }
  if (close(fd) < 0 && errno != EINTR) { int e = errno ; unlink(path) ; errno = e ; return 0 ; }
  return 1 ;
}

/* phase 1 for one job: checked, linked, envelope in tmp/ */
static void prepare (job *j, uint64_t now)
{
  /* kept from one message to the next: freed, musl's malloc would unmap
     and map their pages again each time (a TLB flush each, here) */
  static stralloc text = STRALLOC_ZERO, out = STRALLOC_ZERO ;
  static dcr_envelope e = DCR_ENVELOPE_ZERO ;
  struct stat st ;
  char const *why ;
  ssize_t r ;
  text.len = out.len = 0 ;
  r = netstring_decode(&text, j->in.s, j->in.len) ;
  j->step = STEP_NONE ;
  memcpy(j->id, "-", 2) ;   /* for the log, until the envelope names one */
  if (r < 0 || (size_t)r != j->in.len) { refuse(j, 'Z', "451 4.3.0 malformed submission", 0) ; goto end ; }
  if (!dcr_envelope_parse(&e, text.s, text.len)) { refuse(j, 'D', "550 5.5.0 bad envelope: ", "malformed") ; goto end ; }
  why = dcr_envelope_check(&e) ;
  if (why) { refuse(j, 'D', "550 5.5.0 bad envelope: ", why) ; goto end ; }
  if (fstat(j->mfd, &st) < 0) { fail(j, "fstat message", errno) ; goto end ; }
  /* only an unlinked spool file is linked in here; anything else the
     client copies itself, so the writer never reads a message */
  if (!S_ISREG(st.st_mode) || st.st_nlink) { refuse(j, 'X', "not an unlinked file", 0) ; goto end ; }
  if ((st.st_mode & 07777) != DCR_QUEUE_FILEMODE && fchmod(j->mfd, DCR_QUEUE_FILEMODE) < 0) { fail(j, "fchmod message", errno) ; goto end ; }
  if (dcr_qid_valid(e.id)) memcpy(j->id, e.id, DCR_QID_LEN + 1) ;
  else dcr_qid_make(j->id) ;
  if (!dcr_queue_linkmess(j->mfd, 0, j->id, j->messpath))
  {
    if (errno == EXDEV) refuse(j, 'X', "on another file system", 0) ;
    else fail(j, "link message", errno) ;
    goto end ;
  }
  j->step = STEP_LINKED ;
  e.id = j->id ;
  e.size = st.st_size ;
  e.arrival = now ;
  dcr_queue_tmppath(j->envtmp, j->id, ".env") ;
  dcr_queue_newpath(j->newpath, j->id) ;
  if (!dcr_envelope_fmt(&out, &e)) { fail(j, "format envelope", errno) ; goto end ; }
  if (!write_env(j->envtmp, out.s, out.len)) { fail(j, "write envelope", errno) ; goto end ; }
  j->step = STEP_WRITTEN ;
 end:
  return ;
}

/* the runner hears of the batch: one line per id, PIPE_BUF at most per
   write so that no line is torn; no reader, or a full fifo, is fine */
static void trigger (job **jobs, unsigned int n)
{
  char buf[4096] ;
  size_t len = 0 ;
  int fd = open("trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  struct stat st ;
  if (fd < 0) return ;
  if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) { close(fd) ; return ; }
  for (unsigned int i = 0 ; i < n ; i++)
  {
    if (jobs[i]->step != STEP_OK) continue ;
    if (len + DCR_QID_LEN + 1 > sizeof(buf)) { if (write(fd, buf, len) < 0) break ; len = 0 ; }
    memcpy(buf + len, jobs[i]->id, DCR_QID_LEN) ;
    buf[len + DCR_QID_LEN] = '\n' ;
    len += DCR_QID_LEN + 1 ;
  }
  if (len && write(fd, buf, len) < 0) {}
  close(fd) ;
}

void commit_batch (job **jobs, unsigned int n, int queuefd, int newfd)
{
  uint64_t now = (uint64_t)time(0) ;
  unsigned int i, live = 0 ;
  for (i = 0 ; i < n ; i++)
  {
    prepare(jobs[i], now) ;
    live += jobs[i]->step == STEP_WRITTEN ;
  }
  if (!live) return ;
  /* 1: every message file, bucket and envelope of the batch durable */
  if (syncfs(queuefd) < 0) { fail_all(jobs, n, STEP_WRITTEN, "syncfs", errno) ; return ; }
  /* 2: visible to the runner */
  for (i = 0 ; i < n ; i++)
    if (jobs[i]->step == STEP_WRITTEN)
    {
      if (rename(jobs[i]->envtmp, jobs[i]->newpath) < 0) fail(jobs[i], "rename envelope", errno) ;
      else jobs[i]->step = STEP_RENAMED ;
    }
  /* 3: the names in new/ durable */
  if (fsync(newfd) < 0) { fail_all(jobs, n, STEP_RENAMED, "fsync new dir", errno) ; return ; }
  for (i = 0 ; i < n ; i++)
    if (jobs[i]->step == STEP_RENAMED)
    {
      jobs[i]->step = STEP_OK ;
      jobs[i]->answer[0] = 'K' ; jobs[i]->answer[1] = ' ' ;
      memcpy(jobs[i]->answer + 2, jobs[i]->id, DCR_QID_LEN + 1) ;
    }
  trigger(jobs, n) ;
}
