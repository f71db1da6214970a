/* ISC license. */
/* t-esmtp: verbs and the ESMTP parameters of MAIL and RCPT. */

#include <string.h>

#include <dcr/esmtp.h>
#include "tap.h"

static dcr_mailparams m ;
static dcr_rcptparams r ;

static int mail (char const *s) { return dcr_esmtp_mail(s, strlen(s), 1000, &m) ; }
static int rcpt (char const *s) { return dcr_esmtp_rcpt(s, strlen(s), &r) ; }

#define M(s, want, name) do { int e_ = mail(s) ; ok(e_ == want, "MAIL%s: %s", s, name) ; if (e_ != want) printf("#   got %d\n", e_) ; } while (0)
#define R(s, want, name) do { int e_ = rcpt(s) ; ok(e_ == want, "RCPT%s: %s", s, name) ; if (e_ != want) printf("#   got %d\n", e_) ; } while (0)

int main (void)
{
  size_t arg ;
  char n[32] ;
  static char big[2000] ;

  ok(dcr_esmtp_verb("EHLO x", 6, &arg) == DCR_CMD_EHLO && arg == 5, "EHLO and its argument") ;
  ok(dcr_esmtp_verb("quit", 4, &arg) == DCR_CMD_QUIT && arg == 4, "quit, any case, no argument") ;
  ok(dcr_esmtp_verb("MAIL FROM:<>", 12, &arg) == DCR_CMD_MAIL && arg == 5, "MAIL") ;
  ok(dcr_esmtp_verb("MAILX", 5, &arg) == DCR_CMD_UNKNOWN, "MAILX unknown") ;
  ok(dcr_esmtp_verb("", 0, &arg) == DCR_CMD_UNKNOWN, "empty line unknown") ;
  ok(dcr_esmtp_verb("STARTTLS", 8, &arg) == DCR_CMD_STARTTLS, "STARTTLS known (not implemented)") ;

  M("", DCR_ESMTP_OK, "no parameters") ;
  M(" ", DCR_ESMTP_OK, "trailing space") ;
  M(" SIZE=1000", DCR_ESMTP_OK, "size at the limit") ;
  ok(m.hassize && m.size == 1000, "  value kept") ;
  M(" SIZE=1001", DCR_ESMTP_ETOOBIG, "size over the limit") ;
  M(" SIZE=99999999999999999999999", DCR_ESMTP_ETOOBIG, "size overflowing") ;
  M(" SIZE=18446744073709551616", DCR_ESMTP_ETOOBIG, "2^64") ;
  M(" SIZE=12a", DCR_ESMTP_EVALUE, "size not a number") ;
  M(" SIZE=aaaaaaaaaaaaaaaaaaaaaaaaa", DCR_ESMTP_EVALUE, "a long value of non-digits is a bad value, not too big") ;
  M(" SIZE=-1", DCR_ESMTP_EVALUE, "negative size") ;
  M(" SIZE", DCR_ESMTP_EVALUE, "size without value") ;
  M(" SIZE=", DCR_ESMTP_ESYNTAX, "size empty") ;
  M(" SIZE=10 SIZE=10", DCR_ESMTP_EDUP, "duplicate") ;
  M(" size=10 body=8bitmime", DCR_ESMTP_OK, "keywords and values any case") ;
  ok(m.body == DCR_BODY_8BITMIME, "  8BITMIME") ;
  M(" BODY=7BIT", DCR_ESMTP_OK, "7BIT") ;
  M(" BODY=BINARYMIME", DCR_ESMTP_EBINARY, "BINARYMIME not offered") ;
  M(" BODY=9BIT", DCR_ESMTP_EVALUE, "unknown body") ;
  M(" SMTPUTF8", DCR_ESMTP_OK, "SMTPUTF8") ;
  ok(m.smtputf8, "  flagged") ;
  M(" SMTPUTF8=yes", DCR_ESMTP_EVALUE, "SMTPUTF8 takes no value") ;
  M(" RET=HDRS ENVID=abc+2Bdef", DCR_ESMTP_OK, "RET and ENVID") ;
  ok(m.ret == DCR_RET_HDRS && !strcmp(m.envid, "abc+def"), "  ENVID decoded") ;
  M(" RET=SOME", DCR_ESMTP_EVALUE, "bad RET") ;
  M(" ENVID=a+0Ab", DCR_ESMTP_EVALUE, "ENVID decoding to LF") ;
  M(" ENVID=a+00b", DCR_ESMTP_EVALUE, "ENVID decoding to NUL") ;
  M(" ENVID=a+2bb", DCR_ESMTP_EVALUE, "ENVID lowercase hex") ;
  M(" ENVID=a+2", DCR_ESMTP_EVALUE, "ENVID truncated escape") ;
  memset(big, 'e', 200) ; memcpy(big, " ENVID=", 7) ; big[108] = 0 ;
  M(big, DCR_ESMTP_EVALUE, "ENVID over 100") ;
  big[107] = 0 ;
  M(big, DCR_ESMTP_OK, "ENVID of 100") ;
  M(" AUTH=<>", DCR_ESMTP_OK, "AUTH=<> accepted, ignored") ;
  M(" AUTH=user+40example.com", DCR_ESMTP_OK, "AUTH xtext accepted, ignored") ;
  M(" AUTH=a+zz", DCR_ESMTP_EVALUE, "AUTH bad xtext") ;
  M(" AUTH=a+0Ab", DCR_ESMTP_EVALUE, "AUTH decoding to a control character") ;
  M(" FOO=bar", DCR_ESMTP_EUNKNOWN, "unknown parameter") ;
  M(" X-FOO", DCR_ESMTP_EUNKNOWN, "unknown parameter without value") ;
  M(" NOTIFY=NEVER", DCR_ESMTP_EWRONG, "RCPT parameter on MAIL") ;
  M("SIZE=10", DCR_ESMTP_ESYNTAX, "no space before parameters") ;
  M(" =10", DCR_ESMTP_ESYNTAX, "no keyword") ;
  M(" SIZE==10", DCR_ESMTP_ESYNTAX, "= in value") ;
  M(" SIZE=1\001", DCR_ESMTP_ESYNTAX, "control in value") ;
  M(" SIZE=1\xc3\xa9", DCR_ESMTP_ESYNTAX, "non-ASCII in value") ;
  M(" -SIZE=1", DCR_ESMTP_ESYNTAX, "keyword starting with -") ;

  R("", DCR_ESMTP_OK, "no parameters") ;
  R(" NOTIFY=SUCCESS,FAILURE,DELAY", DCR_ESMTP_OK, "NOTIFY list") ;
  dcr_esmtp_notify_fmt(n, r.notify) ;
  is_str(n, "SUCCESS,FAILURE,DELAY", "  canonical form") ;
  R(" NOTIFY=delay,success", DCR_ESMTP_OK, "NOTIFY any case, any order") ;
  dcr_esmtp_notify_fmt(n, r.notify) ;
  is_str(n, "SUCCESS,DELAY", "  canonical order") ;
  R(" NOTIFY=NEVER", DCR_ESMTP_OK, "NEVER") ;
  dcr_esmtp_notify_fmt(n, r.notify) ;
  is_str(n, "NEVER", "  NEVER") ;
  R(" NOTIFY=NEVER,SUCCESS", DCR_ESMTP_EVALUE, "NEVER not alone") ;
  R(" NOTIFY=SUCCESS,SUCCESS", DCR_ESMTP_EVALUE, "repeated keyword") ;
  R(" NOTIFY=SUCCESS,", DCR_ESMTP_EVALUE, "trailing comma") ;
  R(" NOTIFY=,SUCCESS", DCR_ESMTP_EVALUE, "leading comma") ;
  R(" NOTIFY=SOMETIMES", DCR_ESMTP_EVALUE, "unknown keyword") ;
  R(" NOTIFY=NEVER NOTIFY=NEVER", DCR_ESMTP_EDUP, "duplicate NOTIFY") ;
  R(" ORCPT=rfc822;user+40example.com", DCR_ESMTP_OK, "ORCPT") ;
  is_str(r.orcpt, "rfc822;user@example.com", "  decoded") ;
  R(" ORCPT=rfc822;a+0Db", DCR_ESMTP_EVALUE, "ORCPT with CR") ;
  R(" ORCPT=rfc822", DCR_ESMTP_EVALUE, "ORCPT without ;") ;
  R(" ORCPT=rfc822;", DCR_ESMTP_EVALUE, "ORCPT empty address") ;
  R(" ORCPT=;a@b", DCR_ESMTP_EVALUE, "ORCPT empty type") ;
  R(" ORCPT=rf/c;a@b", DCR_ESMTP_EVALUE, "ORCPT bad type") ;
  memset(big, 'o', 600) ; memcpy(big, " ORCPT=rfc822;", 14) ; big[507] = 0 ;
  R(big, DCR_ESMTP_OK, "ORCPT of 500") ;
  big[507] = 'o' ; big[508] = 0 ;
  R(big, DCR_ESMTP_EVALUE, "ORCPT of 501") ;
  R(" ORCPT=rfc822;a@b ORCPT=rfc822;a@b", DCR_ESMTP_EDUP, "duplicate ORCPT") ;
  R(" SIZE=10", DCR_ESMTP_EWRONG, "MAIL parameter on RCPT") ;
  R(" FOO", DCR_ESMTP_EUNKNOWN, "unknown parameter") ;

  ok(!strncmp(dcr_esmtp_reply(DCR_ESMTP_EUNKNOWN), "555 5.5.4", 9), "unknown: 555 5.5.4") ;
  ok(!strncmp(dcr_esmtp_reply(DCR_ESMTP_ETOOBIG), "552 5.3.4", 9), "too big: 552 5.3.4") ;
  ok(!strncmp(dcr_esmtp_reply(DCR_ESMTP_EDUP), "501 5.5.4", 9), "duplicate: 501 5.5.4") ;
  return done_testing() ;
}
