/* ISC license. */
#ifndef DCR_FILTER_H
#define DCR_FILTER_H

/* The plumbing of a filter in the message chain (contract 3): stdin is
   the message (seekable, internal form), the envelope is in the
   environment, stdout is the reply channel, and the filter ends by
   exec'ing the rest of its command line. */

/* Refuse the message: print reply ("5.7.1 text", one line) on stdout
   and exit code (100 permanent, 111 temporary). */
extern void dcr_filter_refuse (int code, char const *reply) __attribute__((noreturn)) ;

/* Print one reply line on stdout, and go on. */
extern void dcr_filter_say (char const *reply) ;

/* A configuration file is wrong: "PROG: fatal: FILE:LINE: WHY" on
   stderr, "4.3.5 PROG: configuration error" as the reply, exit 111
   (never lose or bounce mail because of a typo: the client retries). */
extern void dcr_filter_badconf (char const *file, unsigned int line, char const *why) __attribute__((noreturn)) ;

/* A bad command line: usage on stderr, "4.3.5 PROG: bad command line"
   as the reply, exit 111: a typo in the chain defers mail, never bounces
   it. Set dcr_longopts_usage to it before dcr_longopts. */
extern void dcr_filter_usage (char const *usage) __attribute__((noreturn)) ;

/* The command line of a filter that takes one file: "PROG -f FILE
   prog..." (and --LONGNAME FILE); the program name must be set (PROG).
   *file is set, the rest of the command line (not empty) returned; a
   bad command line is dcr_filter_usage. */
extern char const *const *dcr_filter_fileopt (int argc, char const *const *argv, char const *longname, char const *usage, char const **file) ;

/* A system call failed: log "PROG: fatal: unable to WHAT: ERROR" on
   stderr, print "4.3.0 PROG: temporary failure" and exit 111. */
extern void dcr_filter_fail (char const *what) __attribute__((noreturn)) ;

/* A fresh temporary file for a changed message: O_TMPFILE in $TMPDIR
   (dcr-smtpd sets it to its spool directory, so that dcr-enqueue links
   the file into the queue without a copy), else an unlinked mkstemp
   file there. The descriptor, or dies with dcr_filter_fail. */
extern int dcr_filter_tmpfile (void) ;

/* Pass the message on: fd (a file the filter wrote) becomes stdin, or
   with fd < 0 stdin is kept; either way it is rewound, then argv (the
   rest of the command line, not empty) is executed. Never returns. */
extern void dcr_filter_next (char const *const *argv, int fd) __attribute__((noreturn)) ;

#endif
