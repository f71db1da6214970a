/* ISC license. */
/* t-line: the command line reader, fed whole and byte by byte. */

#include <string.h>

#include <dcr/line.h>
#include "tap.h"

/* feed all of s (n octets), chunk octets at a time; record events as
   letters (O ok, L too long, B bare) and the OK lines joined by '|' */
static void run (char const *s, size_t n, size_t chunk, char *ev, char *lines)
{
  static dcr_line l ;
  size_t i = 0 ;
  dcr_line_init(&l) ;
  *ev = 0 ; *lines = 0 ;
  while (i < n)
  {
    size_t k = n - i < chunk ? n - i : chunk ;
    while (k)
    {
      int e ;
      size_t used = dcr_line_feed(&l, s + i, k, &e) ;
      i += used ; k -= used ;
      if (e == DCR_LINE_OK) { strcat(ev, "O") ; strcat(lines, l.buf) ; strcat(lines, "|") ; }
      else if (e == DCR_LINE_TOOLONG) strcat(ev, "L") ;
      else if (e == DCR_LINE_BARE) strcat(ev, "B") ;
    }
  }
}

static void check (char const *s, size_t n, char const *wantev, char const *wantlines, char const *name)
{
  static char ev[100], lines[40000] ;   /* an AUTH line is 12288 octets */
  size_t chunk ;
  int good = 1 ;
  for (chunk = 1 ; chunk <= n + 1 ; chunk = chunk < 8 ? chunk + 1 : chunk * 2)
  {
    run(s, n, chunk, ev, lines) ;
    if (strcmp(ev, wantev) || (wantlines && strcmp(lines, wantlines)))
    {
      good = 0 ;
      printf("# chunk %zu: events '%s' lines '%s'\n", chunk, ev, lines) ;
      break ;
    }
  }
  ok(good, "%s", name) ;
}

#define CHECK(s, ev, lines, name) check(s, sizeof(s) - 1, ev, lines, name)

int main (void)
{
  static char big[20000] ;
  size_t i ;

  CHECK("NOOP\r\n", "O", "NOOP|", "one line") ;
  CHECK("NOOP\r\nQUIT\r\n", "OO", "NOOP|QUIT|", "two lines, pipelined") ;
  CHECK("\r\n", "O", "|", "empty line") ;
  CHECK("NOOP", "", "", "no line end: nothing yet") ;
  CHECK("NOOP\n", "", "", "bare LF does not end the line") ;
  CHECK("NOOP\nQUIT\r\n", "B", "", "bare LF: one refused line up to CRLF") ;
  CHECK("NOOP\nQUIT\r\nNOOP\r\n", "BO", "NOOP|", "then in step") ;
  CHECK("\nNOOP\r\n", "B", "", "leading LF") ;
  CHECK("EHLO x\n\n\n\r\n", "B", "", "several LFs: one refusal") ;
  CHECK("NOOP\n\r\n", "B", "", "LF before CRLF") ;
  CHECK("NO\rOP\r\n", "B", "", "bare CR inside: refused at the real end") ;
  CHECK("NOOP\r\r\n", "B", "", "CR CR LF: one bare CR") ;
  CHECK("NOOP\r", "", "", "CR at the end of input: pending") ;
  CHECK("RSET\nMAIL FROM:<a@b>\r\nQUIT\r\n", "BO", "QUIT|", "a MAIL hidden behind a bare LF is never a command") ;
  CHECK("MAIL FROM:<a@b>\rRCPT TO:<c@d>\r\n", "B", "", "a RCPT hidden behind a bare CR is never a command") ;
  CHECK("NO\0OP\r\n", "O", 0, "NUL is kept (the session refuses it)") ;

  /* long lines */
  memset(big, 'a', sizeof(big)) ;
  memcpy(big + 15000, "\r\nNOOP\r\n", 8) ;
  check(big, 15008, "LO", "NOOP|", "a 15000-octet line: exactly one too-long, then in step") ;
  memcpy(big + DCR_LINE_MAX_AUTH - 2, "\r\n", 2) ;
  check(big, DCR_LINE_MAX_AUTH, "O", 0, "a line of exactly DCR_LINE_MAX_AUTH with CRLF fits") ;
  memset(big, 'a', sizeof(big)) ;
  memcpy(big + DCR_LINE_MAX_AUTH - 1, "\r\n", 2) ;
  check(big, DCR_LINE_MAX_AUTH + 1, "L", 0, "one more octet is too long") ;
  memset(big, 'a', sizeof(big)) ;
  memcpy(big + 15000, "\n\r\n", 3) ;
  check(big, 15003, "L", "", "too long and bare LF: one reply only") ;

  /* limits by verb */
  ok(dcr_line_limit("MAIL FROM:<a@b>", 15) == DCR_LINE_MAX_EXT, "MAIL gets the extended limit") ;
  ok(dcr_line_limit("rcpt TO:<a@b>", 13) == DCR_LINE_MAX_EXT, "rcpt (lowercase) too") ;
  ok(dcr_line_limit("AUTH PLAIN AGFAYg==", 19) == DCR_LINE_MAX_AUTH, "AUTH gets the AUTH limit (RFC 4954)") ;
  ok(dcr_line_limit("NOOP xxx", 8) == DCR_LINE_MAX, "NOOP gets 512") ;
  ok(dcr_line_limit("MAILX", 5) == DCR_LINE_MAX, "MAILX is not MAIL") ;
  ok(dcr_line_limit("MAI", 3) == DCR_LINE_MAX, "short line") ;

  /* every byte value, one per line: never a crash, CR/LF handled */
  {
    dcr_line l ;
    int e ;
    dcr_line_init(&l) ;
    for (i = 0 ; i < 256 ; i++)
    {
      char c = (char)i ;
      dcr_line_feed(&l, &c, 1, &e) ;
    }
    ok(1, "all octet values fed") ;
  }
  return done_testing() ;
}
