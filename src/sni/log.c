/* ISC license. */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define PROG "dcr-sniproxy"
#define BATCH_MAX 4096   /* PIPE_BUF: one write of a batch is atomic on a pipe */

static char batch[BATCH_MAX] ;
static size_t batchlen ;
static int batching ;

void sni_log_batch (int on) { if (!on) sni_log_flush() ; batching = on ; }

void sni_log_flush (void)
{
  size_t n = batchlen ;
  batchlen = 0 ;
  while (n && write(2, batch, n) < 0 && errno == EINTR) ;
}

/* one line out: at once, or with the batch when the loop says so */
static void emit (char const *buf, size_t len)
{
  if (!batching) { while (write(2, buf, len) < 0 && errno == EINTR) ; return ; }
  if (batchlen + len > BATCH_MAX) sni_log_flush() ;
  memcpy(batch + batchlen, buf, len) ;
  batchlen += len ;
}


void sni_log (char const *key, ...)
{
  char buf[SNI_LOG_MAX] ;
  size_t len = 0 ;
  int e = errno ;
  va_list ap ;
  len = dcr_log_put(buf, len, sizeof(buf) - 1, PROG ":", sizeof(PROG)) ;
  va_start(ap, key) ;
  while (key)
  {
    char const *value = va_arg(ap, char const *) ;
    len = dcr_log_kv(buf, len, sizeof(buf) - 1, key, value) ;
    key = va_arg(ap, char const *) ;
  }
  va_end(ap) ;
  buf[len++] = '\n' ;
  emit(buf, len) ;   /* whole lines in one write: lines from the workers do not interleave */
  errno = e ;
}

void sni_log_pairs (char const *const *kv, unsigned int n)
{
  char buf[SNI_LOG_MAX] ;
  size_t len = 0 ;
  unsigned int i ;
  int e = errno ;
  len = dcr_log_put(buf, len, sizeof(buf) - 1, PROG ":", sizeof(PROG)) ;
  for (i = 0 ; i < n ; i++)
    if (kv[2 * i + 1]) len = dcr_log_kv(buf, len, sizeof(buf) - 1, kv[2 * i], kv[2 * i + 1]) ;
  buf[len++] = '\n' ;
  emit(buf, len) ;
  errno = e ;
}

void sni_die (int code, char const *what, char const *more)
{
  char buf[SNI_LOG_MAX] ;
  size_t len = 0 ;
  len = dcr_log_put(buf, len, sizeof(buf) - 1, PROG ": fatal: ", sizeof(PROG ": fatal: ") - 1) ;
  len = dcr_log_put(buf, len, sizeof(buf) - 1, what, strlen(what)) ;
  if (more)
  {
    len = dcr_log_put(buf, len, sizeof(buf) - 1, ": ", 2) ;
    len = dcr_log_put(buf, len, sizeof(buf) - 1, more, strlen(more)) ;
  }
  buf[len++] = '\n' ;
  sni_log_flush() ;
  while (write(2, buf, len) < 0 && errno == EINTR) ;
  _exit(code) ;
}
