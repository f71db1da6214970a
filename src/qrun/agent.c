/* ISC license. */

/* The agents: one process per connection to a destination, fed one job
   at a time (doc/agents.md). An idle agent is kept for agent-idle
   seconds: a pool per destination is a connection cache. */

#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include <dcr/log.h>
#include <dcr/verdict.h>
#include "qrun.h"

#define LINE_MAX_AGENT 4096   /* a verdict: id, address, code, a reply cut at 1 KiB by the agents */

typedef struct agent_s agent ;
struct agent_s
{
  pid_t pid ;             /* 0 once reaped */
  int in, out ;           /* we write jobs to in, read verdicts from out; -1 closed */
  uint32_t dest ;
  uint32_t job ;          /* NONE32: idle */
  stralloc buf ;
  tain deadline ;         /* idle: close; busy: kill */
} ;

static agent *agents = 0 ;
static uint32_t nagents = 0, capagents = 0 ;

unsigned int agent_count (void) { return nagents ; }

unsigned int agent_ofdest (uint32_t d)
{
  unsigned int n = 0 ;
  for (unsigned int i = 0 ; i < nagents ; i++) if (agents[i].dest == d && agents[i].in >= 0) n++ ;
  return n ;
}

static void set_deadline (agent *a, unsigned int secs)
{
  tain t ;
  tain_from_millisecs(&t, secs * 1000) ;
  tain_add_g(&a->deadline, &t) ;
}

/* The destination's key is "TARGET[ tls=P][ auth=F][ ca=F]" (dest.c):
   the words after the target become dcr-remote's options. */
static char const *agent_argv (uint32_t d, char const **argv, char *idle)
{
  static stralloc words = STRALLOC_ZERO ;
  char const *key = dest_key(d) ;
  unsigned int n = 0 ;
  int maildir = !strncmp(key, "maildir:", 8) ;
  char *w, *target ;
  argv[n++] = maildir ? conf.maildir : conf.remote ;
  if (!maildir) { argv[n++] = "-h" ; argv[n++] = conf.hostname ; }
  argv[n++] = "-i" ;
  idle[uint_fmt(idle, conf.agent_idle + 5)] = 0 ;
  argv[n++] = idle ;
  if (maildir) { argv[n++] = "--" ; argv[n++] = key + 8 ; argv[n] = 0 ; return argv[0] ; }
  words.len = 0 ;
  if (!stralloc_cats(&words, key) || !stralloc_0(&words)) strerr_diefu1sys(111, "allocate") ;
  target = words.s ;
  w = strchr(words.s, ' ') ;
  while (w)
  {
    char *next ;
    *w++ = 0 ;
    next = strchr(w, ' ') ;
    if (!strncmp(w, "tls=", 4)) { argv[n++] = "--tls" ; argv[n++] = w + 4 ; }
    else if (!strncmp(w, "auth=", 5)) { argv[n++] = "--auth" ; argv[n++] = w + 5 ; }
    else if (!strncmp(w, "ca=", 3)) { argv[n++] = "--ca" ; argv[n++] = w + 3 ; }
    w = next ;
  }
  argv[n++] = "--" ;
  argv[n++] = target ;
  argv[n] = 0 ;
  return argv[0] ;
}

static int spawn (uint32_t d)
{
  char const *argv[16] ;
  char idle[UINT_FMT] ;
  int fds[2] = { 0, 1 } ;   /* in: the child's stdin, stdout; out: our read end, our write end */
  agent *a ;
  pid_t pid ;
  agent_argv(d, argv, idle) ;
  pid = child_spawn2(argv[0], argv, (char const *const *)environ, fds) ;
  if (!pid)
  {
    dcr_log("event", "spawn-error", "agent", argv[0], "dest", dest_key(d), "error", strerror(errno), (char *)0) ;
    return -1 ;
  }
  if (nagents == capagents) agents = qrun_grow(agents, &capagents, sizeof(agent), 16, 1) ;
  a = agents + nagents++ ;
  a->pid = pid ; a->out = fds[0] ; a->in = fds[1] ; a->dest = d ; a->job = NONE32 ;
  fcntl(a->in, F_SETPIPE_SZ, 1 << 17) ;   /* room for a job line whatever the system's default; failing is fine */
  a->buf.len = 0 ;
  return a - agents ;
}

/* An agent that will get no more jobs: EOF on its stdin, it says QUIT and exits. */
static void close_in (agent *a)
{
  if (a->in >= 0) { fd_close(a->in) ; a->in = -1 ; }
  set_deadline(a, 60) ;   /* then it is killed */
}

static int give (unsigned int i, uint32_t j)
{
  agent *a = agents + i ;
  job *jb = job_get(j) ;
  /* the pipe is empty (one job at a time) and a line is < 60 KB: one write */
  if (!stralloc_catb(&jb->line, "\n", 1)) return 0 ;
  if (fd_write(a->in, jb->line.s, jb->line.len) != (ssize_t)jb->line.len)
  {
    jb->line.len-- ;
    close_in(a) ;
    return 0 ;
  }
  jb->line.len-- ;
  a->job = j ;
  set_deadline(a, conf.job_timeout) ;
  dest_started(a->dest) ;
  return 1 ;
}

static int idle_agent (uint32_t d)
{
  for (unsigned int i = 0 ; i < nagents ; i++)
    if (agents[i].dest == d && agents[i].job == NONE32 && agents[i].in >= 0) return i ;
  return -1 ;
}

/* Make room under the global limit: close an idle agent of another destination. */
static int free_one (uint32_t d)
{
  for (unsigned int i = 0 ; i < nagents ; i++)
    if (agents[i].dest != d && agents[i].job == NONE32 && agents[i].in >= 0) { close_in(agents + i) ; return 1 ; }
  return 0 ;
}

static unsigned int live (void)
{
  unsigned int n = 0 ;
  for (unsigned int i = 0 ; i < nagents ; i++) if (agents[i].in >= 0) n++ ;
  return n ;
}

void agent_dispatch (tain *deadline)
{
  uint32_t nd = dest_count() ;
  for (uint32_t d = 0 ; d < nd ; d++)
    while (dest_queued(d) && dest_ready(d, deadline))
    {
      int i = idle_agent(d) ;
      uint32_t j ;
      if (i < 0)
      {
        if (agent_ofdest(d) >= dest_limit(d)) break ;
        if (live() >= conf.concurrency && !free_one(d)) break ;
        if (live() >= conf.concurrency) break ;
        i = spawn(d) ;
        if (i < 0)
        {
          /* out of processes or descriptors: the jobs wait, no try counted */
          while ((j = dest_pop(d)) != NONE32) flight_jobdone(j, 0) ;
          break ;
        }
      }
      j = dest_pop(d) ;
      if (!give(i, j)) flight_jobdone(j, 0) ;
    }
}

 /* Verdicts */

static void agent_line (agent *a, char *s)
{
  dcr_verdict v ;
  int kind = dcr_verdict_parse(s, &v) ;
  char idbuf[DCR_QID_LEN + 1] ;
  if (a->job == NONE32) { dcr_log("event", "agent-protocol", "dest", dest_key(a->dest), "error", "line without a job", (char *)0) ; return ; }
  memcpy(idbuf, job_get(a->job)->line.s, DCR_QID_LEN) ; idbuf[DCR_QID_LEN] = 0 ;
  if (!kind)
  {
    dcr_log("event", "agent-protocol", "id", idbuf, "error", "malformed verdict line", (char *)0) ;
    return ;
  }
  if (strcmp(v.id, idbuf)) { dcr_log("event", "agent-protocol", "id", idbuf, "error", "verdict for another id", (char *)0) ; return ; }
  if (kind == DCR_VERDICT_DONE)
  {
    uint32_t j = a->job ;
    a->job = NONE32 ;
    set_deadline(a, conf.agent_idle) ;
    flight_jobdone(j, "451 4.3.0 the delivery agent gave no verdict") ;
    return ;
  }
  flight_verdict(a->job, v.rcpt, v.code, v.reply) ;
}

static void agent_gone (agent *a, char const *why)
{
  if (a->job != NONE32)
  {
    uint32_t j = a->job ;
    a->job = NONE32 ;
    flight_jobdone(j, why) ;
  }
  if (a->in >= 0) { fd_close(a->in) ; a->in = -1 ; }
  if (a->out >= 0) { fd_close(a->out) ; a->out = -1 ; }
  if (a->pid) kill(a->pid, SIGKILL) ;
}

static void agent_read (agent *a)
{
  char chunk[8192] ;
  ssize_t r = fd_read(a->out, chunk, sizeof chunk) ;
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return ;
  if (r <= 0) { agent_gone(a, "451 4.3.0 the delivery agent exited before its verdict") ; return ; }
  if (!stralloc_catb(&a->buf, chunk, r)) strerr_diefu1sys(111, "allocate") ;
  for (;;)
  {
    char *nl = memchr(a->buf.s, '\n', a->buf.len) ;
    size_t used ;
    if (!nl)
    {
      if (a->buf.len > LINE_MAX_AGENT) agent_gone(a, "451 4.3.0 the delivery agent wrote a line too long") ;
      return ;
    }
    *nl = 0 ;
    used = nl + 1 - a->buf.s ;
    agent_line(a, a->buf.s) ;
    if (a->out < 0) return ;
    memmove(a->buf.s, a->buf.s + used, a->buf.len - used) ;
    a->buf.len -= used ;
  }
}

unsigned int agent_fds (iopause_fd *x, unsigned int max)
{
  unsigned int n = 0 ;
  for (unsigned int i = 0 ; i < nagents && n < max ; i++)
    if (agents[i].out >= 0) { x[n].fd = agents[i].out ; x[n].events = IOPAUSE_READ ; n++ ; }
  return n ;
}

void agent_events (iopause_fd const *x, unsigned int n)
{
  unsigned int k = 0 ;
  for (unsigned int i = 0 ; i < nagents && k < n ; i++)
  {
    if (agents[i].out < 0) continue ;
    if (x[k].fd == agents[i].out && x[k].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) agent_read(agents + i) ;
    k++ ;
  }
}

/* Idle agents past their time are closed; busy ones past the job timeout killed. */
void agent_timers (tain *deadline)
{
  for (unsigned int i = 0 ; i < nagents ; i++)
  {
    agent *a = agents + i ;
    if (a->out < 0) continue ;
    if (!tain_less(&STAMP, &a->deadline))
    {
      /* not 4.4.x: a slow message is no sign that the target is down */
      if (a->job != NONE32 || a->in < 0) agent_gone(a, "451 4.3.0 the delivery agent took longer than job-timeout") ;
      else close_in(a) ;
    }
    if (a->out >= 0 && tain_less(&a->deadline, deadline)) *deadline = a->deadline ;
  }
}

/* Collect exit statuses; a slot is reused once reaped and closed. */
void agent_reap (void)
{
  for (;;)
  {
    int wstat ;
    pid_t pid = waitpid(-1, &wstat, WNOHANG) ;
    unsigned int i ;
    if (pid <= 0) break ;
    for (i = 0 ; i < nagents ; i++) if (agents[i].pid == pid) break ;
    if (i == nagents) continue ;
    agents[i].pid = 0 ;
    if (!WIFEXITED(wstat) || WEXITSTATUS(wstat))
    {
      char code[UINT_FMT] ;
      code[uint_fmt(code, WIFEXITED(wstat) ? WEXITSTATUS(wstat) : 128 + WTERMSIG(wstat))] = 0 ;
      dcr_log("event", "agent-exit", "dest", dest_key(agents[i].dest), "status", code, (char *)0) ;
    }
  }
  agent_compact() ;
}

/* Free the slots of agents reaped and read to EOF (either may come first). */
void agent_compact (void)
{
  for (unsigned int i = 0 ; i < nagents ; )
    if (!agents[i].pid && agents[i].out < 0)
    {
      stralloc_free(&agents[i].buf) ;
      agents[i] = agents[--nagents] ;
      memset(agents + nagents, 0, sizeof(agent)) ;
    }
    else i++ ;
}

void agent_closeall (void)
{
  for (unsigned int i = 0 ; i < nagents ; i++)
    if (agents[i].in >= 0 && agents[i].job == NONE32) close_in(agents + i) ;
}

int agent_busy (void)
{
  for (unsigned int i = 0 ; i < nagents ; i++) if (agents[i].out >= 0) return 1 ;
  return 0 ;
}
