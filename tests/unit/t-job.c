/* ISC license. */
/* t-job: the agent job line parser (src/lib/job.c, doc/agents.md). */

#include <string.h>

#include <dcr/job.h>
#include "tap.h"

static char buf[4096] ;
static dcr_job j = DCR_JOB_ZERO ;

static int parse (char const *s)
{
  size_t n = strlen(s) ;
  memcpy(buf, s, n + 1) ;
  return dcr_job_parse(&j, buf, n) ;
}

int main (void)
{
  dcr_jobaddr *r ;
  char const *p, *k, *v ;
  size_t kl, vl ;

  ok(parse("X1\t/tmp/m\talice@example.com\tbob@example.net"), "plain job") ;
  is_str(j.id, "X1", "id") ;
  is_str(j.file, "/tmp/m", "file") ;
  is_str(j.sender.addr, "alice@example.com", "sender") ;
  is_str(j.sender.params, "", "sender without params") ;
  ok(dcr_job_nrcpts(&j) == 1, "one rcpt") ;
  is_str(dcr_job_rcpts(&j)[0].addr, "bob@example.net", "rcpt") ;

  ok(parse("X2\tm\t\tb@x\tc@y\td@z"), "null sender, three rcpts") ;
  is_str(j.sender.addr, "", "null sender is empty") ;
  ok(dcr_job_nrcpts(&j) == 3, "three rcpts") ;
  is_str(dcr_job_rcpts(&j)[2].addr, "d@z", "third rcpt") ;

  ok(parse("X3\tm\t<a@b.c> BODY=8BITMIME  SMTPUTF8 RET=HDRS ENVID=QQ31 \t<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net\tplain@x"), "bracketed fields") ;
  is_str(j.sender.addr, "a@b.c", "bracketed sender") ;
  is_str(j.sender.params, "BODY=8BITMIME  SMTPUTF8 RET=HDRS ENVID=QQ31", "sender params, trailing spaces cut") ;
  r = dcr_job_rcpts(&j) ;
  is_str(r[0].addr, "bob@example.net", "bracketed rcpt") ;
  is_str(r[0].params, "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net", "rcpt params") ;
  is_str(r[1].addr, "plain@x", "bare rcpt after a bracketed one") ;
  p = j.sender.params ;
  p = dcr_job_param(p, &k, &kl, &v, &vl) ;
  ok(p && kl == 4 && !memcmp(k, "BODY", 4) && vl == 8 && !memcmp(v, "8BITMIME", 8), "param 1: BODY=8BITMIME") ;
  p = dcr_job_param(p, &k, &kl, &v, &vl) ;
  ok(p && kl == 8 && !v && !vl, "param 2: SMTPUTF8 is a flag") ;
  p = dcr_job_param(p, &k, &kl, &v, &vl) ;
  p = dcr_job_param(p, &k, &kl, &v, &vl) ;
  ok(p && kl == 5 && vl == 4 && !memcmp(v, "QQ31", 4), "param 4: ENVID") ;
  ok(!dcr_job_param(p, &k, &kl, &v, &vl), "no param 5") ;

  ok(parse("X4\tm\t<>\t<\"john>doe\"@example.org>\t\"john doe\"@example.org"), "null sender bracketed, quoted > and space") ;
  is_str(j.sender.addr, "", "<> is the null sender") ;
  is_str(dcr_job_rcpts(&j)[0].addr, "\"john>doe\"@example.org", "> inside quotes does not end the path") ;
  is_str(dcr_job_rcpts(&j)[1].addr, "\"john doe\"@example.org", "bare address with a space") ;

  ok(!parse(""), "empty line refused") ;
  ok(!j.id, "  and has no id") ;
  ok(!parse("X5"), "id only refused") ;
  is_str(j.id, "X5", "  its id is known") ;
  ok(!parse("X6\tm\ts"), "three fields refused") ;
  is_str(j.id, "X6", "  its id is known") ;
  ok(!parse("\tm\ts\tr"), "empty id refused") ;
  ok(!j.id, "  no id") ;
  ok(!parse("X7\t\ts\tr"), "empty file refused") ;
  ok(!parse("X8\tm\ts\t"), "empty rcpt refused") ;
  ok(!parse("X9\tm\ts\tr\t"), "trailing TAB (empty rcpt) refused") ;
  ok(!parse("X10\tm\ts\t<>"), "<> rcpt refused") ;
  ok(!parse("X11\tm\t<a@b\tr"), "< without > refused") ;
  ok(!parse("X12\tm\t<a@b>x\tr"), "text glued to > refused") ;
  ok(!parse("X13\tm\ts\tr\rx"), "CR refused") ;
  is_str(j.id, "X13", "  id still known") ;
  ok(!parse("X\00114\tm\ts\tr"), "control character in the id refused") ;
  ok(!j.id, "  and the id is not echoed") ;
  {
    char z[] = "X15\tm\ts\tr\0x" ;   /* a NUL inside the line */
    ok(!dcr_job_parse(&j, z, sizeof(z) - 1), "NUL refused") ;
  }
  ok(parse("X16\tm\ts\tr") && dcr_job_nrcpts(&j) == 1, "the rcpt array is reset between lines") ;
  dcr_job_free(&j) ;
  return done_testing() ;
}
