/* ISC license. */

/* The control fifo (dcr-qctl writes one command a line, doc/dcr-qctl.md)
   and the paused domains, kept in the file "paused" so that a pause
   outlives a restart. */

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>

#include <dcr/log.h>
#include "qrun.h"

#define CONTROL_LINEMAX 1024

static int fd = -1 ;
static stralloc pending = STRALLOC_ZERO ;
static stralloc paused = STRALLOC_ZERO ;   /* "\n" dom "\n" dom ... "\n" */

int control_fd (void) { return fd ; }

int control_open (void)
{
  if (mkfifo("control", 0660) < 0 && errno != EEXIST) strerr_diefu1sys(111, "mkfifo control") ;
  fd = open("control", O_RDWR | O_NONBLOCK | O_CLOEXEC) ;
  if (fd < 0) strerr_diefu1sys(111, "open control") ;
  return fd ;
}

 /* Paused domains */

void paused_load (void)
{
  paused.len = 0 ;
  if (!stralloc_catb(&paused, "\n", 1)) strerr_diefu1sys(111, "allocate") ;
  if (!openslurpclose(&paused, "paused") && errno != ENOENT)
    dcr_log("event", "read-error", "file", "paused", "error", strerror(errno), (char *)0) ;
  if (paused.s[paused.len - 1] != '\n' && !stralloc_catb(&paused, "\n", 1)) strerr_diefu1sys(111, "allocate") ;
  for (size_t i = 0 ; i < paused.len ; i++) if (paused.s[i] >= 'A' && paused.s[i] <= 'Z') paused.s[i] += 32 ;
  if (!stralloc_0(&paused)) strerr_diefu1sys(111, "allocate") ;
  paused.len-- ;
}

static int ispaused (char const *domain)
{
  char key[260] ;
  size_t n = strlen(domain) ;
  if (n > 255) return 0 ;
  key[0] = '\n' ;
  for (size_t i = 0 ; i < n ; i++) key[i+1] = domain[i] >= 'A' && domain[i] <= 'Z' ? domain[i] + 32 : domain[i] ;
  key[n+1] = '\n' ; key[n+2] = 0 ;
  return !!strstr(paused.s, key) ;
}

int paused_all (void) { return ispaused("*") ; }
int paused_domain (char const *domain) { return ispaused(domain) || paused_all() ; }

static void paused_set (char const *domain, int on)
{
  stralloc sa = STRALLOC_ZERO ;
  char const *p = paused.s + 1 ;
  while (*p)
  {
    char const *nl = strchr(p, '\n') ;
    if (!nl) break ;
    if ((size_t)(nl - p) != strlen(domain) || strncasecmp(p, domain, nl - p))
      if (!stralloc_catb(&sa, p, nl + 1 - p)) goto err ;
    p = nl + 1 ;
  }
  if (on && (!stralloc_cats(&sa, domain) || !stralloc_catb(&sa, "\n", 1))) goto err ;
  if (dcr_replace("tmp/paused", "paused", sa.s ? sa.s : "", sa.len) <= 0) goto err ;
  stralloc_free(&sa) ;
  paused_load() ;
  dcr_log("event", on ? "paused" : "resumed", "domain", domain, (char *)0) ;
  return ;
 err:
  dcr_log("event", "write-error", "file", "paused", "error", strerror(errno), (char *)0) ;
  stralloc_free(&sa) ;
}

 /* Commands */

/* what a pause held back is due at once (their recipients' own next tries still count) */
static void resume_busy (void)
{
  uint32_t n = sched_limit() ;
  for (uint32_t e = 0 ; e < n ; e++)
  {
    qentry *q = sched_get(e) ;
    if ((q->flags & (QE_USED | QE_BUSY | QE_FLIGHT | QE_HELD)) == (QE_USED | QE_BUSY)) { q->flags &= ~QE_BUSY ; sched_put(e, now) ; }
  }
}

static uint32_t byid (char const *id)
{
  uint32_t e = dcr_qid_valid(id) ? sched_find(id) : NONE32 ;
  if (e == NONE32) dcr_log("event", "control-error", "error", "unknown queue id", "id", id, (char *)0) ;
  return e ;
}

static void command (char *line)
{
  char *arg = strchr(line, ' ') ;
  uint32_t e ;
  if (arg) *arg++ = 0 ; else arg = "" ;
  dcr_log("event", "control", "command", line, "arg", arg, (char *)0) ;
  if (!strcmp(line, "retry"))
  {
    if (!strcmp(arg, "*")) retry_all(0) ;
    else if (arg[0] == '@') retry_all(arg + 1) ;
    else if ((e = byid(arg)) != NONE32 && !(sched_get(e)->flags & (QE_FLIGHT | QE_HELD))) { sched_get(e)->flags |= QE_FORCE ; sched_put(e, 0) ; }
  }
  else if (!strcmp(line, "hold") || !strcmp(line, "release"))
  {
    int hold = line[0] == 'h' ;
    dcr_envelope env = DCR_ENVELOPE_ZERO ;
    char path[DCR_QUEUE_PATHMAX], tmp[DCR_QUEUE_PATHMAX] ;
    qentry *q ;
    if ((e = byid(arg)) == NONE32) return ;
    q = sched_get(e) ;
    if (q->flags & QE_FLIGHT) { dcr_log("event", "control-error", "id", arg, "error", "being delivered; try again", (char *)0) ; return ; }
    if (q->flags & QE_NEW) dcr_queue_newpath(path, arg) ; else dcr_queue_envpath(path, arg) ;
    dcr_queue_tmppath(tmp, arg, ".env") ;
    if (!dcr_envelope_read(&env, path)) { dcr_log("event", "read-error", "id", arg, "file", path, "error", strerror(errno), (char *)0) ; return ; }
    env.hold = hold ;
    if (dcr_envelope_write(&env, tmp, path) <= 0) dcr_log("event", "write-error", "id", arg, "file", path, "error", strerror(errno), (char *)0) ;
    else if (hold) { sched_take(e) ; q->flags |= QE_HELD ; }
    else { q->flags &= ~QE_HELD ; sched_put(e, 0) ; }
    dcr_envelope_free(&env) ;
  }
  else if (!strcmp(line, "delete") || !strcmp(line, "bounce"))
  {
    if ((e = byid(arg)) != NONE32 && !flight_command(e, line))
      dcr_log("event", "control-error", "id", arg, "error", "being delivered; try again", (char *)0) ;
  }
  else if (!strcmp(line, "pause") || !strcmp(line, "resume"))
  {
    paused_set(arg[0] ? arg : "*", line[0] == 'p') ;
    if (line[0] == 'r') resume_busy() ;
  }
  else if (!strcmp(line, "reload")) kill(getpid(), SIGHUP) ;
  else dcr_log("event", "control-error", "error", "unknown command", "command", line, (char *)0) ;
}

void control_read (void)
{
  char buf[4096] ;
  for (;;)
  {
    ssize_t r = read(fd, buf, sizeof buf) ;
    if (r <= 0) break ;
    if (!stralloc_catb(&pending, buf, r)) strerr_diefu1sys(111, "allocate") ;
  }
  for (;;)
  {
    char *nl = memchr(pending.s, '\n', pending.len) ;
    size_t used ;
    if (!nl)
    {
      if (pending.len > CONTROL_LINEMAX) pending.len = 0 ;
      return ;
    }
    *nl = 0 ;
    used = nl + 1 - pending.s ;
    if (used <= CONTROL_LINEMAX) command(pending.s) ;
    memmove(pending.s, pending.s + used, pending.len - used) ;
    pending.len -= used ;
  }
}
