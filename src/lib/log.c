/* ISC license. */

#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include <skalibs/strerr.h>

#include <dcr/log.h>

void dcr_log (char const *key, ...)
{
  char buf[DCR_LOG_MAX] ;
  size_t len = 0, plen = strlen(PROG) ;
  int e = errno ;
  va_list ap ;
  len = dcr_log_put(buf, len, sizeof(buf) - 1, PROG, plen) ;
  len = dcr_log_put(buf, len, sizeof(buf) - 1, ":", 1) ;
  va_start(ap, key) ;
  while (key)
  {
    char const *value = va_arg(ap, char const *) ;
    len = dcr_log_kv(buf, len, sizeof(buf) - 1, key, value) ;
    key = va_arg(ap, char const *) ;
  }
  va_end(ap) ;
  buf[len++] = '\n' ;
  /* one write: lines from concurrent processes do not interleave */
  while (write(2, buf, len) < 0 && errno == EINTR) ;
  errno = e ;
}
