/* ISC license. */
/* src/lib/conf.c: the small config files, and how a long-lived process
   knows one changed (dcr_file_changed): a file that comes, one changed
   in place with the same size, one replaced by rename, one gone; nothing
   else reported as a change. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>

#include <skalibs/strerr.h>

#include <dcr/conf.h>
#include "tap.h"

static void put (char const *path, char const *text)
{
  FILE *f = fopen(path, "w") ;
  if (!f || fputs(text, f) < 0 || fclose(f)) strerr_diefu2sys(111, "write ", path) ;
}

int main (void)
{
  char dir[] = "/tmp/t-conf.XXXXXX" ;
  char path[64], other[64], line[64] ;
  struct stat st ;
  uint64_t v = 7 ;
  PROG = "t-conf" ;
  if (!mkdtemp(dir)) strerr_diefu1sys(111, "mkdtemp") ;
  snprintf(path, sizeof path, "%s/max-size", dir) ;
  snprintf(other, sizeof other, "%s/max-size.new", dir) ;
  memset(&st, 0, sizeof st) ;

  ok(!dcr_file_changed(path, &st), "missing, and known missing: unchanged") ;
  ok(dcr_conf_num(dir, "max-size", &v) == 1 && v == 7, "a missing number file leaves the default") ;
  put(path, "1000 \n") ;
  ok(dcr_conf_changed(dir, "max-size", &st), "a file that came: changed") ;
  ok(!dcr_file_changed(path, &st), "asked again: unchanged") ;
  ok(!dcr_file_changed(path, &st), "and again") ;
  ok(dcr_conf_num(dir, "max-size", &v) == 1 && v == 1000, "its number, trailing blank cut") ;
  {
    struct timespec pause = { 0, 20 * 1000 * 1000 } ;
    nanosleep(&pause, 0) ;   /* past the clock's granularity */
  }
  put(path, "2000\n") ;   /* in place, same size */
  ok(dcr_file_changed(path, &st), "rewritten in place with the same size: changed") ;
  ok(!dcr_file_changed(path, &st), "then unchanged") ;
  put(other, "2000\n") ;
  if (rename(other, path) < 0) strerr_diefu1sys(111, "rename") ;
  ok(dcr_file_changed(path, &st), "replaced by rename: changed") ;
  ok(dcr_conf_line(dir, "max-size", line, sizeof line) == 1 && !strcmp(line, "2000"), "its first line") ;
  if (unlink(path) < 0) strerr_diefu1sys(111, "unlink") ;
  ok(dcr_file_changed(path, &st), "gone: changed") ;
  ok(!dcr_file_changed(path, &st), "and gone still: unchanged") ;
  ok(dcr_conf_line(dir, "max-size", line, sizeof line) == 0, "a missing file reads as missing") ;
  put(path, "x1\n") ;
  ok(dcr_conf_num(dir, "max-size", &v) == 0, "not a number: 0") ;
  unlink(path) ;
  rmdir(dir) ;
  return done_testing() ;
}
