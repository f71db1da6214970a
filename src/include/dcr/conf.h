/* ISC license. */
#ifndef DCR_CONF_H
#define DCR_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Small config files: DIR/NAME, first line, trailing blanks cut.
   dcr_conf_line: 1 read into buf (max bytes with the NUL), 0 the file
   is missing, -1 it could not be read (errno). dcr_conf_num: 1 *v set,
   or left alone when the file is missing; 0 not a number; -1 unreadable. */
extern int dcr_conf_line (char const *dir, char const *name, char *buf, size_t max) ;
extern int dcr_conf_num (char const *dir, char const *name, uint64_t *v) ;

/* A long-lived process reads a file again only when it changed.
   dcr_stat_same: a and b are one version of one file (device, inode,
   size, modification and change times). dcr_file_changed: 1 when path
   is no longer the version *last describes (changed, gone or come), and
   *last is what it is now; an error other than ENOENT counts as
   unchanged. dcr_conf_changed: the same for DIR/NAME. */
extern int dcr_stat_same (struct stat const *a, struct stat const *b) ;
extern int dcr_file_changed (char const *path, struct stat *last) ;
extern int dcr_conf_changed (char const *dir, char const *name, struct stat *last) ;

#endif
