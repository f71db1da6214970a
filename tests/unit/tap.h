/* ISC license. Minimal TAP producer for the C unit tests (run under prove). */
#ifndef DCR_TAP_H
#define DCR_TAP_H

#include <stdio.h>
#include <string.h>

static unsigned int tap_n = 0, tap_failed = 0 ;

#define ok(cond, ...) do { \
  int ok_c_ = !!(cond) ; tap_n++ ; \
  if (!ok_c_) tap_failed++ ; \
  printf("%sok %u - ", ok_c_ ? "" : "not ", tap_n) ; printf(__VA_ARGS__) ; printf("\n") ; \
  if (!ok_c_) printf("#   failed at %s line %d\n", __FILE__, __LINE__) ; \
} while (0)

#define is_str(got, want, ...) do { \
  char const *g_ = (got), *w_ = (want) ; \
  int c_ = g_ && w_ && !strcmp(g_, w_) ; \
  ok(c_, __VA_ARGS__) ; \
  if (!c_) printf("#   got: '%s'\n#   expected: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)") ; \
} while (0)

#define done_testing() (printf("1..%u\n", tap_n), tap_failed ? 1 : 0)

#endif
