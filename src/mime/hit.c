/* ISC license. */

/* What dcr-mimecheck does when a rule holds: the texts of the reply,
   the log line, the tag header and the sentence that replaces a removed
   part; then reject (the program ends), tag, or remove. */

#include <stdarg.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include <dcr/filter.h>
#include <dcr/log.h>
#include <dcr/mime.h>

#include "mimecheck.h"

#define SHOWMAX 120    /* a name in a reply, a log line or a header */
#define TAGMAX 900     /* the tag header's value */

static void nomem (void) { dcr_filter_fail("allocate") ; }

/* s for a reply or a header: printable ASCII, the rest as ?, cut */
void policy_show (stralloc *sa, char const *s)
{
  size_t i = 0 ;
  for (; s[i] && i < SHOWMAX ; i++)
  {
    unsigned char c = s[i] ;
    if (c < 32 || c >= 127 || c == '"' || c == '\\') c = '?' ;
    if (!stralloc_catb(sa, (char *)&c, 1)) nomem() ;
  }
  if (s[i] && !stralloc_cats(sa, "...")) nomem() ;
}

char const *policy_partname (dcr_mime_part const *pt)
{
  return pt->filename[0] ? pt->filename : pt->name[0] ? pt->name : 0 ;
}


/* the strings up to a null pointer, appended to sa */
static void cat (stralloc *sa, ...)
{
  va_list ap ;
  char const *s ;
  va_start(ap, sa) ;
  while ((s = va_arg(ap, char const *)))
    if (!stralloc_cats(sa, s)) nomem() ;
  va_end(ap) ;
}

/* d->detail: s as shown, a C string still open for appending */
static void detail (said *d, char const *s)
{
  policy_show(&d->detail, s) ;
  if (!stralloc_0(&d->detail)) nomem() ;
  d->detail.len-- ;
}

static void say (said *d, rule const *ru, char const *arg, dcr_mime_part const *pt, char const *name, policy_why const *w)
{
  d->kind = "" ;
  d->shown.len = d->detail.len = d->reason.len = d->reply.len = 0 ;
  if (name) policy_show(&d->shown, name) ;
  if (w->inner) { cat(&d->shown, name ? ":" : "", (char *)0) ; policy_show(&d->shown, w->inner) ; }
  if (!stralloc_0(&d->shown)) nomem() ;
  cat(&d->reply, "5.7.1 ", (char *)0) ;
  switch (ru->kind)
  {
    case K_EXT :
      d->kind = "ext" ;
      detail(d, w->ext) ;   /* the rules file's octets, shown as a name is */
      cat(&d->reason, "file type .", d->detail.s, ": ", d->shown.s, (char *)0) ;
      cat(&d->reply, "attachment \"", (char *)0) ;
      if (name) policy_show(&d->reply, name) ; else cat(&d->reply, "(no name)", (char *)0) ;
      if (w->inner) { cat(&d->reply, "\" refused: it holds \"", (char *)0) ; policy_show(&d->reply, w->inner) ; }
      cat(&d->reply, "\"", w->inner ? ", files of type ." : " refused: files of type .", d->detail.s, " are not accepted", (char *)0) ;
      break ;
    case K_TYPE :
      d->kind = "type" ;
      detail(d, pt->type) ;
      cat(&d->reason, "content type ", d->detail.s, (char *)0) ;
      cat(&d->reply, "content of type ", d->detail.s, " is not accepted", (char *)0) ;
      break ;
    case K_WORD :
      d->kind = "word" ;
      detail(d, arg) ;
      cat(&d->reason, "blocked phrase \"", d->detail.s, "\"", (char *)0) ;
      cat(&d->reply, "message refused: its text holds a blocked phrase (\"", d->detail.s, "\")", (char *)0) ;
      break ;
    case K_REGEX :
      d->kind = "regex" ;
      detail(d, arg) ;
      cat(&d->reason, "blocked pattern \"", d->detail.s, "\"", (char *)0) ;
      cat(&d->reply, "message refused: its text matches a blocked pattern", (char *)0) ;
      break ;
    case K_MALFORMED :
      d->kind = "malformed" ;
      cat(&d->detail, w->what, (char *)0) ;
      cat(&d->reason, "malformed MIME (", w->what, ")", (char *)0) ;
      cat(&d->reply, "malformed MIME is not accepted (", w->what, ")", (char *)0) ;
      break ;
    default :
      d->kind = "badzip" ;
      cat(&d->detail, w->what, (char *)0) ;
      cat(&d->reason, "unreadable zip archive ", d->shown.s, " (", w->what, ")", (char *)0) ;
      cat(&d->reply, "attachment \"", d->shown.s, "\" refused: a zip archive that cannot be read (", w->what, ")", (char *)0) ;
  }
  if (!stralloc_0(&d->reason) || !stralloc_0(&d->detail)) nomem() ;
}

static void logit (policy const *po, char const *event, said const *d, unsigned int line)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, line)] = 0 ;
  dcr_log("event", event, "id", po->id, "reason", d->kind, "detail", d->detail.s, "name", d->shown.s, "rule", fmt, (char *)0) ;
}

/* the rule's own message replaces the reply; one that starts with its
   own enhanced code keeps it */
static void reject (policy const *po, rule const *ru, char const *msg, said *d)
{
  if (msg)
  {
    d->reply.len = 0 ;
    if (!(msg[0] >= '2' && msg[0] <= '5' && msg[1] == '.')) cat(&d->reply, "5.7.1 ", (char *)0) ;
    cat(&d->reply, msg, (char *)0) ;
  }
  if (!stralloc_0(&d->reply)) nomem() ;
  logit(po, "mime-reject", d, ru->line) ;
  dcr_filter_refuse(100, d->reply.s) ;
}

/* a reason in the tag header, once, while it fits */
static void tag (policy *po, int removed, char const *text)
{
  stralloc t = STRALLOC_ZERO ;
  cat(&t, removed ? "removed " : "", text, (char *)0) ;
  if ((!po->tags.len || !memmem(po->tags.s, po->tags.len, t.s, t.len))
   && po->tags.len + t.len + 3 <= TAGMAX)
    if ((po->tags.len && !stralloc_cats(&po->tags, "; ")) || !stralloc_catb(&po->tags, t.s, t.len)) nomem() ;
  stralloc_free(&t) ;
}

/* the part is replaced, at its end, by a sentence saying why */
static void remove_part (policy *po, dcr_mime_part const *pt, char const *name, char const *msg, char const *reason)
{
  size_t off = po->texts.len ;
  if (msg) cat(&po->texts, msg, (char *)0) ;
  else
  {
    cat(&po->texts, "dcr-mimecheck removed ", (char *)0) ;
    if (name) { cat(&po->texts, "the attachment \"", (char *)0) ; policy_show(&po->texts, name) ; cat(&po->texts, "\"", (char *)0) ; }
    else cat(&po->texts, "a part", (char *)0) ;
    cat(&po->texts, " (", (char *)0) ;
    policy_show(&po->texts, pt->type) ;
    cat(&po->texts, "): ", reason, ".", (char *)0) ;
  }
  if (!stralloc_0(&po->texts)) nomem() ;
  po->pending[pt->depth] = off + 1 ;
  po->skip[pt->depth] = 1 ;
  po->text = 0 ;
  po->zip = 0 ;
}

void policy_hit (policy *po, rule const *ru, dcr_mime_part const *pt, policy_why const *w)
{
  char const *name = pt ? policy_partname(pt) : 0 ;
  char const *msg = ru->message ? po->r->text.s + ru->message : 0 ;
  int action = ru->action ;
  said *d = &po->said ;

  if (action == A_REMOVE && (!pt || !pt->depth)) action = A_REJECT ;   /* the message is the part */
  say(d, ru, po->r->text.s + ru->arg, pt, name, w) ;
  if (action == A_REJECT) reject(po, ru, msg, d) ;
  tag(po, action == A_REMOVE, msg ? msg : d->reason.s) ;
  if (action == A_REMOVE) remove_part(po, pt, name, msg, d->reason.s) ;
  logit(po, action == A_TAG ? "mime-tag" : "mime-remove", d, ru->line) ;
}
