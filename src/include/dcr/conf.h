/* ISC license. */
#ifndef DCR_CONF_H
#define DCR_CONF_H

#include <stddef.h>
#include <stdint.h>

/* Small config files: DIR/NAME, first line, trailing blanks cut.
   dcr_conf_line: 1 read into buf (max bytes with the NUL), 0 the file
   is missing, -1 it could not be read (errno). dcr_conf_num: 1 *v set,
   or left alone when the file is missing; 0 not a number; -1 unreadable. */
extern int dcr_conf_line (char const *dir, char const *name, char *buf, size_t max) ;
extern int dcr_conf_num (char const *dir, char const *name, uint64_t *v) ;

#endif
