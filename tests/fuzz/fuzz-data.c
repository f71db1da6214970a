/* ISC license. */
/* fuzz-data: arbitrary bytes through the DATA / BDAT state machine in
   odd-sized pieces. The first byte chooses the mode and the size limit.
   Invariants: output never longer than input; the end of DATA only
   right after CRLF "." CRLF at the start or after a real CRLF; a
   CR never reaches the output. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/smtpd/data.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char out[1 << 16] ;
  dcr_data d ;
  size_t i = 1, total = 0 ;
  int bdat ;
  if (!size) return 0 ;
  bdat = data[0] & 1 ;
  dcr_data_init(&d, (data[0] >> 1) * 8 + 1, bdat) ;
  while (i < size && !d.end)
  {
    size_t k = 1 + (i * 13 + data[0]) % 61, w, used ;
    if (k > size - i) k = size - i ;
    if (k > sizeof(out)) k = sizeof(out) ;
    used = dcr_data_feed(&d, (char const *)data + i, k, out, &w) ;
    if (used > k || w > used) abort() ;
    if (memchr(out, '\r', w)) abort() ;
    total += w ;
    i += used ;
    if (used < k && !d.end) abort() ;
  }
  if (d.end)
  {
    size_t n = i - 1 ;   /* octets of data consumed, first byte excluded */
    char const *p = (char const *)data + 1 ;
    if (bdat) abort() ;
    if (n < 3 || memcmp(p + n - 3, ".\r\n", 3)) abort() ;
    if (n > 3 && (n < 5 || memcmp(p + n - 5, "\r\n", 2))) abort() ;
  }
  if (bdat) dcr_data_finish(&d) ;
  if (total > d.max) abort() ;
  return 0 ;
}
