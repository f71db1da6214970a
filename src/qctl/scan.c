/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qctl.h"

/* The runner moves envelopes from new/ to env/NN/ and unlinks them when
   done, while we read. So: a file that vanished was delivered (skip it
   quietly); one that left new/ is now in env/NN/ (look there). Ids are
   kept in memory, 24 bytes each (24 MB for a million messages); the
   envelopes are read one at a time. */

static void add_dir (qctl_scan *sc, char const *dir, char where)
{
  DIR *d = opendir(dir) ;
  if (!d)
  {
    if (errno == ENOENT) return ;  /* an empty queue has no env/NN yet */
    strerr_diefu2sys(111, "open directory ", dir) ;
  }
  for (;;)
  {
    struct dirent *de ;
    errno = 0 ;
    de = readdir(d) ;
    if (!de) break ;
    /* dotfiles and anything that is not an id (the runner's own files,
       an editor's backup) are not envelopes */
    if (!dcr_qid_valid(de->d_name)) continue ;
    if (!stralloc_catb(&sc->recs, de->d_name, DCR_QID_LEN)
     || !stralloc_catb(&sc->recs, &where, 1)) strerr_diefu1sys(111, "allocate") ;
  }
  if (errno) strerr_diefu2sys(111, "read directory ", dir) ;
  closedir(d) ;
}

static int cmp (void const *a, void const *b)
{
  return memcmp(a, b, QCTL_REC) ;  /* by id; then 'e' before 'n' */
}

void qctl_scan_start (qctl_scan *sc)
{
  unsigned int i = 0 ;
  size_t n, j, k ;
  sc->recs.len = 0 ;
  sc->pos = 0 ;
  sc->broken = 0 ;
  /* env/ before new/: an envelope moved in between is seen twice (and
     deduplicated below), never missed */
  for (; i < DCR_QID_SPLIT ; i++)
  {
    char dir[8] = "env/" ;
    static char const hex[] = "0123456789abcdef" ;
    dir[4] = hex[i >> 4] ; dir[5] = hex[i & 15] ; dir[6] = 0 ;
    add_dir(sc, dir, 'e') ;
  }
  add_dir(sc, "new", 'n') ;
  n = sc->recs.len / QCTL_REC ;
  if (n > 1) qsort(sc->recs.s, n, QCTL_REC, &cmp) ;
  for (j = k = 0 ; j < n ; j++)
  {
    char *r = sc->recs.s + j * QCTL_REC ;
    if (k && !memcmp(sc->recs.s + (k-1) * QCTL_REC, r, DCR_QID_LEN)) continue ;
    if (k != j) memmove(sc->recs.s + k * QCTL_REC, r, QCTL_REC) ;
    k++ ;
  }
  sc->recs.len = k * QCTL_REC ;
}

size_t qctl_scan_count (qctl_scan const *sc)
{
  return sc->recs.len / QCTL_REC ;
}

void qctl_scan_free (qctl_scan *sc)
{
  stralloc_free(&sc->recs) ;
}

void qctl_report_broken (char const *path, dcr_envelope const *e, int err)
{
  if (err == EPROTO && e->errline)
  {
    char fmt[UINT_FMT] ;
    fmt[uint_fmt(fmt, e->errline)] = 0 ;
    strerr_warnw3x(path, ": broken envelope at line ", fmt) ;
  }
  else if (err == EPROTO)
    strerr_warnw2x(path, ": broken envelope: a required field is missing or a value is invalid") ;
  else if (err == EINVAL)
    strerr_warnw2x(path, ": broken envelope: it names another id") ;
  else
  {
    errno = err ;
    strerr_warnwu2sys("read ", path) ;
  }
}

/* read one envelope at path. 1 ok, 0 ENOENT, -1 broken or unreadable
   (reported) */
static int read_at (dcr_envelope *e, char const *path, char const *id)
{
  if (!dcr_envelope_read(e, path))
  {
    int err = errno ;
    if (err == ENOENT) return 0 ;
    if (err == ENOMEM) strerr_diefu1sys(111, "allocate") ;
    qctl_report_broken(path, e, err) ;
    return -1 ;
  }
  if (strcmp(e->id, id))
  {
    qctl_report_broken(path, e, EINVAL) ;
    return -1 ;
  }
  return 1 ;
}

int qctl_scan_next (qctl_scan *sc, dcr_envelope *e)
{
  while (sc->pos < sc->recs.len)
  {
    char id[DCR_QID_LEN + 1] ;
    char where = sc->recs.s[sc->pos + DCR_QID_LEN] ;
    int r ;
    memcpy(id, sc->recs.s + sc->pos, DCR_QID_LEN) ;
    id[DCR_QID_LEN] = 0 ;
    sc->pos += QCTL_REC ;
    sc->isnew = where == 'n' ;
    if (sc->isnew) dcr_queue_newpath(sc->path, id) ;
    else dcr_queue_envpath(sc->path, id) ;
    r = read_at(e, sc->path, id) ;
    if (!r && sc->isnew)
    {
      /* picked up by the runner since we listed new/ */
      sc->isnew = 0 ;
      dcr_queue_envpath(sc->path, id) ;
      r = read_at(e, sc->path, id) ;
    }
    if (r > 0) return 1 ;
    if (r < 0) sc->broken++ ;
    /* r == 0: delivered and removed since we listed it */
  }
  return 0 ;
}

int qctl_read (dcr_envelope *e, char const *id, char *path, int *isnew)
{
  int r ;
  /* env/ first (where most are), then new/, then env/ again: the runner
     may have moved it from new/ in between */
  *isnew = 0 ;
  dcr_queue_envpath(path, id) ;
  r = read_at(e, path, id) ;
  if (r) return r ;
  *isnew = 1 ;
  dcr_queue_newpath(path, id) ;
  r = read_at(e, path, id) ;
  if (r) return r ;
  *isnew = 0 ;
  dcr_queue_envpath(path, id) ;
  return read_at(e, path, id) ;
}
