/* ISC license. */

/* Start-up, new mail, and the sweep. The start-up scan reads names and
   modification times only: the runner stamps each envelope it writes
   with its next try as mtime, so a million envelopes are scheduled
   without being opened. A stamp lost in a crash only makes a message
   due early; its envelope says the truth when it is read. */

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include <dcr/log.h>
#include "qrun.h"

#define SWEEP_AGE (36 * 3600)

typedef void entry_fn (char const *dir, char const *name, struct stat const *st) ;

static void each (char const *dir, entry_fn *f, int needstat)
{
  DIR *d = opendir(dir) ;
  struct dirent *de ;
  if (!d)
  {
    if (errno != ENOENT) dcr_log("event", "scan-error", "dir", dir, "error", strerror(errno), (char *)0) ;
    return ;
  }
  while ((de = readdir(d)))
  {
    struct stat st ;
    if (de->d_name[0] == '.') continue ;
    if (needstat && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue ;
    (*f)(dir, de->d_name, &st) ;
  }
  closedir(d) ;
}

static void bucket_dir (char *buf, char const *top, unsigned int i)
{
  static char const hex[] = "0123456789abcdef" ;
  size_t n = strlen(top) ;
  memcpy(buf, top, n) ;
  buf[n] = '/' ; buf[n+1] = hex[i >> 4] ; buf[n+2] = hex[i & 15] ; buf[n+3] = 0 ;
}

static void one_env (char const *dir, char const *name, struct stat const *st)
{
  uint32_t e ;
  if (!dcr_qid_valid(name)) return ;
  e = sched_add(name, 0, 0, 0) ;
  if (e != NONE32) sched_put(e, st->st_mtime > 1 ? (uint32_t)st->st_mtime : 2) ;
}

void scan_env (void)
{
  char dir[8] ;
  for (unsigned int i = 0 ; i < DCR_QID_SPLIT ; i++)
  {
    bucket_dir(dir, "env", i) ;
    each(dir, &one_env, 1) ;
  }
}

 /* new/ */

void set_aside (char const *path, char const *id, char const *why)
{
  char bad[DCR_QUEUE_PATHMAX] ;
  memcpy(bad, "bad/", 4) ;
  memcpy(bad + 4, id, DCR_QID_LEN + 1) ;
  dcr_mkdirp("bad") ;
  if (rename(path, bad) < 0) dcr_log("event", "set-aside-failed", "id", id, "file", path, "error", strerror(errno), (char *)0) ;
  else dcr_log("event", "set-aside", "id", id, "file", path, "to", bad, "error", why, (char *)0) ;
}

static uint64_t rescan_at = 0 ;

int scan_new_due (void)
{
  if (!rescan_at || now < rescan_at) return 0 ;
  rescan_at = 0 ;
  return 1 ;
}

void pickup (char const *id)
{
  dcr_envelope env = DCR_ENVELOPE_ZERO ;
  char path[DCR_QUEUE_PATHMAX] ;
  uint32_t e ;
  if (!dcr_qid_valid(id) || sched_find(id) != NONE32) return ;
  dcr_queue_newpath(path, id) ;
  if (!dcr_envelope_read(&env, path))
  {
    if (errno == ENOENT) return ;
    if (errno == EPROTO) set_aside(path, id, "malformed envelope") ;
    else
    {
      /* EMFILE, EIO...: it is committed, so it must not be forgotten */
      dcr_log("event", "read-error", "id", id, "file", path, "error", strerror(errno), "effect", "new/ scanned again in a minute", (char *)0) ;
      rescan_at = now + 60 ;
    }
    dcr_envelope_free(&env) ;
    return ;
  }
  e = sched_add(id, QE_NEW | (env.hold ? QE_HELD : 0), 0, env.priority) ;
  if (e != NONE32 && !env.hold) sched_put(e, env.sender[0] ? 0 : 1) ;
  dcr_envelope_free(&env) ;
}

static void one_new (char const *dir, char const *name, struct stat const *st)
{
  char path[DCR_QUEUE_PATHMAX] ;
  uint32_t e ;
  if (!dcr_qid_valid(name)) return ;
  e = sched_find(name) ;
  if (e == NONE32) { pickup(name) ; return ; }
  if (sched_get(e)->flags & QE_NEW) return ;
  /* env/NN/ID was written and new/ID not yet unlinked when we stopped:
     the one in env/ holds the state */
  dcr_queue_newpath(path, name) ;
  unlink(path) ;
}

void scan_new (void)
{
  each("new", &one_new, 0) ;
}

 /* The sweep: what a crash left behind, after 36 hours (doc/queue.md). */

static void old_tmp (char const *dir, char const *name, struct stat const *st)
{
  char path[DCR_QUEUE_PATHMAX + 8] ;
  if (now < (uint64_t)st->st_mtime + SWEEP_AGE || strlen(name) > DCR_QUEUE_PATHMAX) return ;
  memcpy(path, "tmp/", 4) ; strcpy(path + 4, name) ;
  if (unlink(path) == 0) dcr_log("event", "swept", "file", path, (char *)0) ;
}

static void old_mess (char const *dir, char const *name, struct stat const *st)
{
  char path[DCR_QUEUE_PATHMAX] ;
  if (!dcr_qid_valid(name) || now < (uint64_t)st->st_mtime + SWEEP_AGE || sched_find(name) != NONE32) return ;
  memcpy(path, "bad/", 4) ; memcpy(path + 4, name, DCR_QID_LEN + 1) ;
  if (access(path, F_OK) == 0) return ;   /* its envelope was set aside: keep both for the administrator */
  /* not in the schedule is not enough: an envelope we failed to read is on disk */
  dcr_queue_newpath(path, name) ;
  if (access(path, F_OK) == 0) return ;
  dcr_queue_envpath(path, name) ;
  if (access(path, F_OK) == 0) return ;
  dcr_queue_messpath(path, name) ;
  if (unlink(path) == 0) dcr_log("event", "swept", "id", name, "file", path, "why", "no envelope", (char *)0) ;
}

/* One directory a call, so that a big queue's sweep never stalls the
   loop (nor the start-up: it runs after readiness). Returns 0 when the
   sweep is over, 1 while there is more. */
int sweep_step (void)
{
  static unsigned int step = 0 ;
  char dir[8] ;
  if (!step) each("tmp", &old_tmp, 1) ;
  else
  {
    bucket_dir(dir, "mess", step - 1) ;
    each(dir, &old_mess, 1) ;
  }
  if (++step <= DCR_QID_SPLIT) return 1 ;
  step = 0 ;
  return 0 ;
}
