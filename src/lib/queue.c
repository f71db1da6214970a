/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/types.h>

#include <dcr/qid.h>
#include <dcr/queue.h>

int dcr_is_nospace (int e)
{
  return e == ENOSPC || e == EDQUOT ;
}

static void close_keep_errno (int fd)
{
  int e = errno ;
  close(fd) ;
  errno = e ;
}

int dcr_fsync_dir (char const *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd < 0) return 0 ;
  if (fsync(fd) < 0) { close_keep_errno(fd) ; return 0 ; }
  close(fd) ;
  return 1 ;
}

/* dir of path in buf: "a/b/c" -> "a/b", "c" -> ".", "/c" -> "/" */
static int parent (char *buf, char const *path)
{
  size_t n = strlen(path) ;
  while (n > 1 && path[n-1] == '/') n-- ;
  while (n && path[n-1] != '/') n-- ;
  while (n > 1 && path[n-1] == '/') n-- ;
  if (!n) { buf[0] = '.' ; buf[1] = 0 ; return 1 ; }
  if (n >= PATH_MAX) return (errno = ENAMETOOLONG, 0) ;
  memcpy(buf, path, n) ;
  buf[n] = 0 ;
  return 1 ;
}

int dcr_fsync_parent (char const *path)
{
  char dir[PATH_MAX] ;
  return parent(dir, path) && dcr_fsync_dir(dir) ;
}

static int isdir (char const *dir)
{
  struct stat st ;
  if (stat(dir, &st) < 0) return 0 ;
  if (!S_ISDIR(st.st_mode)) return (errno = ENOTDIR, 0) ;
  return 1 ;
}

int dcr_mkdirp (char const *dir)
{
  char up[PATH_MAX] ;
  /* EEXIST: another process may have made it and not yet synced the
     parent; what we are about to put in it needs that entry durable too */
  if (!mkdir(dir, DCR_QUEUE_DIRMODE)) return dcr_fsync_parent(dir) ;
  if (errno == EEXIST) return isdir(dir) && dcr_fsync_parent(dir) ;
  if (errno != ENOENT) return 0 ;
  if (!parent(up, dir)) return 0 ;
  if (!strcmp(up, ".") || !strcmp(up, "/") || !strcmp(up, dir)) return (errno = ENOENT, 0) ;
  if (!dcr_mkdirp(up)) return 0 ;
  if (!mkdir(dir, DCR_QUEUE_DIRMODE)) return dcr_fsync_parent(dir) ;
  return errno == EEXIST && isdir(dir) && dcr_fsync_parent(dir) ;
}

int dcr_link_fd (int fd, char const *path)
{
  char proc[sizeof("/proc/self/fd/") + UINT_FMT] = "/proc/self/fd/" ;
  proc[14 + uint_fmt(proc + 14, (unsigned int)fd)] = 0 ;
  return !linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) ;
}

int dcr_write_all (int fd, char const *s, size_t n)
{
  while (n)
  {
    ssize_t r = write(fd, s, n) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      return 0 ;
    }
    if (!r) return (errno = ENOSPC, 0) ;
    s += r ; n -= r ;
  }
  return 1 ;
}

int dcr_copy_fd (int from, int to, uint64_t *size)
{
  char buf[65536] ;
  off_t off = 0 ;
  int seekable = lseek(from, 0, SEEK_CUR) >= 0 ;
  uint64_t total = 0 ;
  for (;;)
  {
    ssize_t r = seekable ? pread(from, buf, sizeof(buf), off) : read(from, buf, sizeof(buf)) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      return 0 ;
    }
    if (!r) break ;
    if (!dcr_write_all(to, buf, r)) return 0 ;
    off += r ; total += r ;
  }
  if (size) *size = total ;
  return 1 ;
}

static int open_tmp (char const *tmp)
{
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, DCR_QUEUE_FILEMODE) ;
  if (fd < 0 && errno == ENOENT)
  {
    char dir[PATH_MAX] ;
    if (!parent(dir, tmp) || !dcr_mkdirp(dir)) return -1 ;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, DCR_QUEUE_FILEMODE) ;
  }
  return fd ;
}

static int rename_mkdir (char const *tmp, char const *path)
{
  char dir[PATH_MAX] ;
  if (!rename(tmp, path)) return 1 ;
  if (errno != ENOENT) return 0 ;
  if (!parent(dir, path) || !dcr_mkdirp(dir)) return 0 ;
  return !rename(tmp, path) ;
}

int dcr_replace (char const *tmp, char const *path, char const *s, size_t n)
{
  int fd = open_tmp(tmp) ;
  if (fd < 0) return 0 ;
  if (!dcr_write_all(fd, s, n) || fsync(fd) < 0)
  {
    close_keep_errno(fd) ;
    goto err ;
  }
  if (close(fd) < 0 && errno != EINTR) goto err ;
  if (!rename_mkdir(tmp, path)) goto err ;
  return dcr_fsync_parent(path) ? 1 : -1 ;
 err:
  {
    int e = errno ;
    unlink(tmp) ;
    errno = e ;
  }
  return 0 ;
}

 /* Paths */

/* ids are cut at DCR_QID_LEN: a bad id cannot overflow the buffer */
static size_t cat (char *buf, size_t len, char const *s)
{
  size_t n = strnlen(s, DCR_QID_LEN) ;
  memcpy(buf + len, s, n) ;
  buf[len + n] = 0 ;
  return len + n ;
}

static void bucketpath (char *buf, char const *top, char const *id)
{
  char nn[3] ;
  size_t len = cat(buf, 0, top) ;
  dcr_qid_bucketname(id, nn) ;
  len = cat(buf, len, nn) ;
  len = cat(buf, len, "/") ;
  cat(buf, len, id) ;
}

void dcr_queue_messpath (char *buf, char const *id)
{
  bucketpath(buf, "mess/", id) ;
}

void dcr_queue_envpath (char *buf, char const *id)
{
  bucketpath(buf, "env/", id) ;
}

void dcr_queue_newpath (char *buf, char const *id)
{
  cat(buf, cat(buf, 0, "new/"), id) ;
}

void dcr_queue_tmppath (char *buf, char const *id, char const *suffix)
{
  size_t len = cat(buf, cat(buf, 0, "tmp/"), id) ;
  size_t n = strlen(suffix) ;
  if (n > DCR_QUEUE_PATHMAX - 1 - len) n = DCR_QUEUE_PATHMAX - 1 - len ;
  memcpy(buf + len, suffix, n) ;
  buf[len + n] = 0 ;
}

#define LINK_TRIES 8   /* fresh ids tried when a name is taken */

int dcr_queue_linkmess (int fd, char const *src, char *id, char *messpath)
{
  unsigned int tries = 0 ;
  int mkd = 0 ;
  for (;;)
  {
    dcr_queue_messpath(messpath, id) ;
    if (fd >= 0 ? dcr_link_fd(fd, messpath) : !link(src, messpath)) return 1 ;
    if (errno == EEXIST)
    {
      if (++tries >= LINK_TRIES) return 0 ;
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
