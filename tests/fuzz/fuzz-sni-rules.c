/* ISC license. */
/* libFuzzer target: dcr-sniproxy's rules file parser (src/sni/rules.c).
   Names ending in ".test" resolve to 127.0.0.2 and ::2 (no DNS here),
   and port 4443 on any address is "our own listener". Besides not
   crashing or leaking: a refused file names a line within it and a
   reason; an accepted one has rules with targets in range, no target
   on port 4443, and matching any name gives a rule of a fitting mode. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/sni/rules.h"

static unsigned int resolve (char const *host, sni_addr *out, unsigned int max)
{
  size_t n = strlen(host) ;
  if (n < 5 || strcmp(host + n - 5, ".test") || max < 2) return 0 ;
  memset(out, 0, 2 * sizeof(*out)) ;
  out[0].ip[0] = 127 ; out[0].ip[3] = 2 ;
  out[1].v6 = 1 ; out[1].ip[15] = 2 ;
  return 2 ;
}

static int self (sni_addr const *a) { return a->port == 4443 ; }

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char const *const names[] = { "", "a.example.com", "example.com", "smtp", "x.y.test", "www.example.org" } ;
  sni_rules r ;
  unsigned int line, lines = 1, i, m ;
  char const *err = 0 ;
  size_t k ;
  for (k = 0 ; k < size ; k++) lines += data[k] == '\n' ;
  if (!sni_rules_parse((char const *)data, size, &r, &line, &err, &resolve, &self))
  {
    if (!line || line > lines || !err || !*err || r.n || r.rule) abort() ;
    return 0 ;
  }
  for (i = 0 ; i < r.n ; i++)
  {
    sni_rule const *x = &r.rule[i] ;
    unsigned int j ;
    if (!x->nt || x->t0 + x->nt > r.ntargets || x->a0 + x->na > r.ncidr || x->d0 + x->nd > r.ncidr) abort() ;
    if (x->line < 1 || x->line > lines || x->mode > MODE_FORWARD || x->proxy > 2) abort() ;
    for (j = 0 ; j < x->nt ; j++)
    {
      sni_addr const *a = &r.target[x->t0 + j] ;
      char s[SNI_ADDR_FMT], back[SNI_ADDR_FMT] ;
      sni_addr b ;
      size_t n = sni_addr_fmt(s, a) ;
      if (!a->port || a->port > 65535 || a->port == 4443 || n >= SNI_ADDR_FMT) abort() ;
      if (!sni_addr_scan(s, n, &b)) abort() ;
      sni_addr_fmt(back, &b) ;
      if (strcmp(s, back)) abort() ;
    }
    sni_rule_admits(&r, x, &r.target[x->t0]) ;
  }
  for (m = MODE_TLS ; m <= MODE_FORWARD ; m++)
    for (i = 0 ; i < sizeof(names) / sizeof(*names) ; i++)
    {
      int j = sni_rules_match(&r, m, names[i]) ;
      if (j >= (int)r.n) abort() ;
      if (j >= 0 && r.rule[j].mode != MODE_ANY && r.rule[j].mode != m) abort() ;
      if (j >= 0 && !names[i][0] && r.rule[j].kind != RULE_DEFAULT) abort() ;
    }
  sni_rules_free(&r) ;
  return 0 ;
}
