/* ISC license. */
/* Part of t-queue.c: hostile envelopes for the reader. */

#define HEAD "dcr-envelope\t1\nid\t" ID "\narrival\t1\nsize\t2\n"
#define SENDER "sender\ta@b\n"
#define RCPT "rcpt\tpending\t0\t0\tc@d\t\t\t\n"

static struct { char const *text ; size_t len ; unsigned int line ; char const *what ; } const hostile[] =
{
#define H(s, line, what) { s, sizeof(s) - 1, line, what }
  H("", 1, "empty file"),
  H("dcr-envelope\t2\n" "id\t" ID "\narrival\t1\nsize\t2\n" SENDER RCPT, 1, "version 2"),
  H(HEAD SENDER "rcpt\tpending\t0\t0\tc@d\t\t\t", 6, "no final newline"),
  H(HEAD SENDER "\n" RCPT, 6, "empty line"),
  H(HEAD SENDER "helo\tx\0y\n" RCPT, 6, "NUL in a value"),
  H(HEAD SENDER "helo\tx\ry\n" RCPT, 0, "CR in a value"),
  H(HEAD "id\t" ID "\n" SENDER RCPT, 5, "duplicate id"),
  H(HEAD SENDER SENDER RCPT, 6, "duplicate sender"),
  H(HEAD "arrival\t1\n" SENDER RCPT, 5, "duplicate arrival"),
  H(HEAD SENDER "colour\tblue\n" RCPT, 6, "unknown key"),
  H(HEAD SENDER "helo\n" RCPT, 6, "key without a tab"),
  H(HEAD SENDER "helo\ta\tb\n" RCPT, 6, "two values"),
  H(HEAD SENDER "rcpt\tpending\t0\t0\tc@d\t\t\n", 6, "rcpt with 7 fields"),
  H(HEAD SENDER "rcpt\tpending\t0\t0\tc@d\t\t\t\t\n", 6, "rcpt with 9 fields"),
  H(HEAD SENDER "rcpt\tsent\t0\t0\tc@d\t\t\t\n", 6, "unknown state"),
  H(HEAD SENDER "rcpt\tpending\tx\t0\tc@d\t\t\t\n", 6, "tries not a number"),
  H(HEAD SENDER "rcpt\tpending\t99999999999\t0\tc@d\t\t\t\n", 6, "tries overflow"),
  H(HEAD SENDER "rcpt\tpending\t0\t-1\tc@d\t\t\t\n", 6, "negative next"),
  H(HEAD SENDER "rcpt\tpending\t0\t1x\tc@d\t\t\t\n", 6, "trailing junk in next"),
  H(HEAD SENDER "rcpt\tpending\t0\t99999999999999999999999\tc@d\t\t\t\n", 6, "next overflow"),
  H(HEAD SENDER "rcpt\tpending\t0\t\tc@d\t\t\t\n", 6, "empty next"),
  H(HEAD SENDER "rcpt\tpending\t0\t0\tc@d\t\t\tx\x01y\n", 6, "control character in reply"),
  H(HEAD SENDER "rcpt\tpending\t0\t0\t\t\t\t\n", 0, "empty recipient"),
  H(HEAD SENDER "rcpt\tpending\t0\t0\tc@d\tALWAYS\t\t\n", 0, "bad notify"),
  H(HEAD SENDER "priority\t1001\n" RCPT, 6, "priority out of range"),
  H(HEAD SENDER "priority\t--1\n" RCPT, 6, "priority --1"),
  H(HEAD SENDER "priority\t\n" RCPT, 6, "empty priority"),
  H(HEAD SENDER "smtputf8\t0\n" RCPT, 6, "smtputf8 0"),
  H(HEAD SENDER, 0, "no recipient"),
  H(HEAD RCPT, 0, "no sender"),
  H("dcr-envelope\t1\narrival\t1\nsize\t2\n" SENDER RCPT, 0, "no id"),
  H("dcr-envelope\t1\nid\t" ID "\nsize\t2\n" SENDER RCPT, 0, "no arrival"),
  H("dcr-envelope\t1\nid\tfoo\narrival\t1\nsize\t2\n" SENDER RCPT, 0, "bad id"),
  H("id\t" ID "\ndcr-envelope\t1\narrival\t1\nsize\t2\n" SENDER RCPT, 1, "version not first"),
#undef H
} ;

static unsigned int rnd (void)
{
  static unsigned long long x = 88172645463325252ULL ;
  x ^= x << 13 ; x ^= x >> 7 ; x ^= x << 17 ;
  return (unsigned int)(x >> 32) ;
}

static void test_hostile (void)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO, f = DCR_ENVELOPE_ZERO ;
  stralloc sa = STRALLOC_ZERO, sb = STRALLOC_ZERO, sc = STRALLOC_ZERO ;
  unsigned int i, parsed = 0, stable = 1 ;
  char ok_text[] = HEAD SENDER RCPT ;
  ok(dcr_envelope_parse(&e, ok_text, sizeof(ok_text) - 1), "the minimal envelope parses") ;
  for (i = 0 ; i < sizeof(hostile) / sizeof(hostile[0]) ; i++)
  {
    if (!stralloc_copyb(&sa, hostile[i].text, hostile[i].len)) return ;
    ok(!dcr_envelope_parse(&e, sa.s, sa.len) && errno == EPROTO && e.errline == hostile[i].line,
      "refused: %s (line %u)", hostile[i].what, e.errline) ;
  }

  /* random damage: never a crash; whatever parses formats and parses the same */
  for (i = 0 ; i < 100000 ; i++)
  {
    unsigned int k = 1 + rnd() % 4 ;
    if (!stralloc_copyb(&sa, want_text, sizeof(want_text) - 1)) return ;
    while (k--)
    {
      size_t pos = rnd() % sa.len ;
      static char const junk[] = "\t\n\0\r,;-0x9 @" ;
      switch (rnd() % 4)
      {
        case 0 : sa.s[pos] = junk[rnd() % (sizeof(junk) - 1)] ; break ;
        case 1 : sa.s[pos] = rnd() & 0xff ; break ;
        case 2 : memmove(sa.s + pos, sa.s + pos + 1, sa.len - pos - 1) ; sa.len-- ; break ;
        case 3 :
        {
          char dup[64] ;
          size_t n = (sa.len - pos) % 64 ;
          memcpy(dup, sa.s + pos, n) ;
          if (!stralloc_catb(&sa, dup, n)) return ;
          break ;
        }
      }
      if (!sa.len) break ;
    }
    if (!sa.len) continue ;
    if (!stralloc_copyb(&sc, sa.s, sa.len)) return ;
    if (!dcr_envelope_parse(&e, sa.s, sa.len)) continue ;
    parsed++ ;
    sb.len = 0 ;
    if (!dcr_envelope_fmt(&sb, &e) || !dcr_envelope_parse(&f, sb.s, sb.len) || !same_env(&e, &f)) stable = 0 ;
  }
  ok(stable, "100000 damaged envelopes: no crash, %u parsed and all of those round-trip", parsed) ;
  dcr_envelope_free(&e) ;
  dcr_envelope_free(&f) ;
  stralloc_free(&sa) ;
  stralloc_free(&sb) ;
  stralloc_free(&sc) ;
}
