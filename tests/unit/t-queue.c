/* ISC license. */
/* Queue helpers: paths, safe files, and the envelope writer and reader,
   with hostile envelopes. Runs in a fresh directory under /tmp. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>

#include <dcr/qid.h>
#include <dcr/queue.h>

#include "tap.h"

#define ID "0640a1f2b3c4d00123a0001"

static int filemode (char const *path)
{
  struct stat st ;
  return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777) ;
}

static int file_is (char const *path, char const *want)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = openslurpclose(&sa, path) && sa.len == strlen(want) && !memcmp(sa.s, want, sa.len) ;
  stralloc_free(&sa) ;
  return r ;
}

static void test_paths (void)
{
  char buf[DCR_QUEUE_PATHMAX], nn[3], want[DCR_QUEUE_PATHMAX] ;
  dcr_qid_bucketname(ID, nn) ;
  dcr_queue_messpath(buf, ID) ;
  strcpy(want, "mess/") ; strcat(want, nn) ; strcat(want, "/" ID) ;
  is_str(buf, want, "mess path") ;
  dcr_queue_envpath(buf, ID) ;
  strcpy(want, "env/") ; strcat(want, nn) ; strcat(want, "/" ID) ;
  is_str(buf, want, "env path") ;
  dcr_queue_newpath(buf, ID) ;
  is_str(buf, "new/" ID, "new path") ;
  dcr_queue_tmppath(buf, ID, ".env") ;
  is_str(buf, "tmp/" ID ".env", "tmp path") ;
  dcr_queue_newpath(buf, "0640a1f2b3c4d00123a0001/../../../../../../../etc/passwd") ;
  is_str(buf, "new/" ID, "a long id is cut, never overflows") ;
  dcr_queue_tmppath(buf, ID, "................................................") ;
  ok(strlen(buf) == DCR_QUEUE_PATHMAX - 1, "a long suffix is cut to fit") ;
}

static void test_files (void)
{
  char buf[16] ;
  uint64_t size = 0 ;
  int fd, p[2] ;

  ok(dcr_fsync_dir("."), "fsync a directory") ;
  ok(!dcr_fsync_dir("nosuchdir") && errno == ENOENT, "fsync a missing directory: ENOENT") ;
  ok(dcr_mkdirp("a/b/c"), "mkdirp makes missing parents") ;
  ok(filemode("a") == 0750 && filemode("a/b/c") == 0750, "directories are 0750") ;
  ok(dcr_mkdirp("a/b/c"), "mkdirp of an existing directory is fine") ;
  ok(dcr_fsync_parent("a/b/c") && dcr_fsync_parent("x"), "fsync_parent, with and without a slash") ;
  fd = open("afile", O_WRONLY | O_CREAT, 0640) ; close(fd) ;
  ok(!dcr_mkdirp("afile") && errno == ENOTDIR, "mkdirp over a file: ENOTDIR") ;
  ok(!dcr_mkdirp("afile/sub"), "mkdirp under a file fails") ;

  fd = open("/dev/full", O_WRONLY) ;
  ok(fd >= 0 && !dcr_write_all(fd, "x", 1) && dcr_is_nospace(errno), "write to a full device: ENOSPC") ;
  close(fd) ;
  ok(dcr_is_nospace(EDQUOT) && !dcr_is_nospace(EIO), "EDQUOT is no space, EIO is not") ;

  /* copy_fd: from offset 0 whatever the offset, and from a pipe */
  fd = open("src", O_RDWR | O_CREAT | O_TRUNC, 0640) ;
  dcr_write_all(fd, "0123456789", 10) ;
  {
    int out = open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0640) ;
    ok(dcr_copy_fd(fd, out, &size) && size == 10, "copy a seekable file from offset 0") ;
    ok(lseek(fd, 0, SEEK_CUR) == 10, "the source offset is left alone") ;
    close(out) ;
    ok(file_is("dst", "0123456789"), "copied contents") ;
  }
  close(fd) ;
  if (pipe(p) == 0)
  {
    int out = open("dst", O_WRONLY | O_TRUNC) ;
    dcr_write_all(p[1], "abc", 3) ; close(p[1]) ;
    ok(dcr_copy_fd(p[0], out, &size) && size == 3, "copy from a pipe") ;
    close(out) ; close(p[0]) ;
    ok(file_is("dst", "abc"), "piped contents") ;
  }
  fd = open("src", O_RDONLY) ;
  {
    int full = open("/dev/full", O_WRONLY) ;
    ok(!dcr_copy_fd(fd, full, 0) && errno == ENOSPC, "copy to a full device: ENOSPC") ;
    close(full) ;
  }
  close(fd) ;

  /* link_fd: name an O_TMPFILE file */
  fd = open(".", O_TMPFILE | O_RDWR, 0640) ;
  if (fd < 0) ok(1, "# SKIP no O_TMPFILE here") ;
  else
  {
    dcr_write_all(fd, "spool", 5) ;
    ok(dcr_link_fd(fd, "linked"), "link an O_TMPFILE file") ;
    ok(file_is("linked", "spool"), "linked contents") ;
    ok(!dcr_link_fd(fd, "linked") && errno == EEXIST, "link onto an existing name: EEXIST") ;
    close(fd) ;
  }
  fd = open("src", O_RDONLY) ;
  ok(dcr_link_fd(fd, "src2") || 1, "link of a named file does not crash") ;
  close(fd) ;
  unlink("src2") ;

  /* replace: atomic, 0640, makes the directory, cleans up */
  ok(dcr_replace("tmp/x.tmp", "new/x", "one\n", 4) == 1, "replace into a missing directory") ;
  ok(file_is("new/x", "one\n") && filemode("new/x") == 0640, "replaced contents, mode 0640") ;
  ok(access("tmp/x.tmp", F_OK) < 0, "no tmp file left") ;
  ok(dcr_replace("tmp/x.tmp", "new/x", "two\n", 4) == 1 && file_is("new/x", "two\n"), "replace an existing file") ;
  ok(!dcr_replace("tmp/x.tmp", "afile/x", "three\n", 6), "replace under a file fails") ;
  ok(file_is("new/x", "two\n") && access("tmp/x.tmp", F_OK) < 0, "failure: nothing changed, tmp removed") ;
  (void)buf ;
}

static void fill (dcr_envelope *e)
{
  e->id = ID ;
  e->arrival = 1764000000 ;
  e->size = 1234 ;
  e->sender = "alice@example.com" ;
  e->helo = "mail.example.com" ;
  e->proto = "ESMTPSA" ;
  e->ip = "2001:db8::1" ;
  e->authuser = "alice" ;
  e->body = "8BITMIME" ;
  e->smtputf8 = 1 ;
  e->ret = "HDRS" ;
  e->envid = "QQ314159" ;
  e->priority = -5 ;
  dcr_envelope_addrcpt(e, "bob@example.net", "SUCCESS,FAILURE", "rfc822;bob@example.net") ;
  dcr_envelope_addrcpt(e, "\"john doe\"@example.org", "", "") ;
  dcr_envelope_addrcpt(e, "postmaster", "NEVER", "") ;
}

static char const want_text[] =
  "dcr-envelope\t1\n"
  "id\t" ID "\n"
  "arrival\t1764000000\n"
  "size\t1234\n"
  "priority\t-5\n"
  "sender\talice@example.com\n"
  "helo\tmail.example.com\n"
  "proto\tESMTPSA\n"
  "ip\t2001:db8::1\n"
  "authuser\talice\n"
  "body\t8BITMIME\n"
  "smtputf8\t1\n"
  "ret\tHDRS\n"
  "envid\tQQ314159\n"
  "rcpt\tpending\t0\t0\tbob@example.net\tSUCCESS,FAILURE\trfc822;bob@example.net\t\n"
  "rcpt\tdelivered\t2\t1764003600\t\"john doe\"@example.org\t\t\t250 2.0.0 ok  queued\n"
  "rcpt\tpending\t0\t0\tpostmaster\tNEVER\t\t\n" ;

static int same (char const *a, char const *b)
{
  return (!a && !b) || (a && b && !strcmp(a, b)) ;
}

static int same_env (dcr_envelope const *a, dcr_envelope const *b)
{
  size_t i = 0, n = dcr_envelope_nrcpts(a) ;
  dcr_rcpt const *ra = dcr_envelope_rcpts(a), *rb = dcr_envelope_rcpts(b) ;
  if (n != dcr_envelope_nrcpts(b)) return 0 ;
  for (; i < n ; i++)
    if (strcmp(ra[i].addr, rb[i].addr) || strcmp(ra[i].notify, rb[i].notify) || strcmp(ra[i].orcpt, rb[i].orcpt)
     || ra[i].state != rb[i].state || ra[i].tries != rb[i].tries || ra[i].next != rb[i].next
     || !same(ra[i].reply, rb[i].reply)) return 0 ;
  return same(a->id, b->id) && same(a->sender, b->sender) && a->arrival == b->arrival
    && a->size == b->size && a->priority == b->priority && a->smtputf8 == b->smtputf8
    && same(a->helo, b->helo) && same(a->proto, b->proto) && same(a->ip, b->ip) && same(a->authuser, b->authuser)
    && same(a->body, b->body) && same(a->ret, b->ret) && same(a->envid, b->envid) ;
}

static void test_envelope (void)
{
  dcr_envelope e = DCR_ENVELOPE_ZERO, r = DCR_ENVELOPE_ZERO ;
  stralloc sa = STRALLOC_ZERO, sb = STRALLOC_ZERO ;
  dcr_rcpt *rc ;
  fill(&e) ;
  rc = dcr_envelope_rcpts(&e) ;
  rc[1].state = DCR_RCPT_DELIVERED ; rc[1].tries = 2 ; rc[1].next = 1764003600 ;
  rc[1].reply = "250 2.0.0 ok\r\tqueued" ;
  ok(!dcr_envelope_check(&e), "a full envelope checks") ;
  ok(dcr_envelope_fmt(&sa, &e), "format it") ;
  ok(sa.len == sizeof(want_text) - 1 && !memcmp(sa.s, want_text, sa.len), "the text is as documented (control characters in a reply become spaces)") ;
  if (!stralloc_copyb(&sb, sa.s, sa.len)) return ;
  rc[1].reply = "250 2.0.0 ok  queued" ;
  ok(dcr_envelope_parse(&r, sb.s, sb.len), "parse it back") ;
  ok(same_env(&e, &r), "round trip keeps every field") ;
  is_str(dcr_envelope_rcpts(&r)[1].reply, "250 2.0.0 ok  queued", "reply read back") ;
  ok(dcr_envelope_write(&e, "tmp/" ID ".env", "new/" ID) == 1, "write to new/") ;
  ok(file_is("new/" ID, want_text), "written file") ;
  ok(dcr_envelope_read(&r, "new/" ID) && same_env(&e, &r), "read from the file") ;
  /* the runner's rewrite: change a state, write aside, read again */
  rc = dcr_envelope_rcpts(&r) ;
  rc[0].state = DCR_RCPT_FAILED ; rc[0].tries = 7 ; rc[0].reply = "550 5.1.1 no such user" ;
  ok(dcr_envelope_write(&r, "tmp/" ID ".env", "env/00/" ID) == 1, "rewrite into env/NN") ;
  dcr_envelope_free(&r) ;
  ok(dcr_envelope_read(&r, "env/00/" ID), "read the rewrite") ;
  rc = dcr_envelope_rcpts(&r) ;
  ok(rc[0].state == DCR_RCPT_FAILED && rc[0].tries == 7 && !strcmp(rc[0].reply, "550 5.1.1 no such user"), "state change kept") ;
  is_str(dcr_rcpt_statename(rc[0].state), "failed", "state name") ;
  ok(!dcr_envelope_read(&r, "new/nosuch") && errno == ENOENT, "read a missing file: ENOENT") ;
  {
    char longreply[3000] ;
    memset(longreply, 'x', sizeof(longreply) - 1) ; longreply[sizeof(longreply) - 1] = 0 ;
    rc = dcr_envelope_rcpts(&e) ; rc[0].reply = longreply ;
    sa.len = 0 ;
    ok(dcr_envelope_fmt(&sa, &e) && dcr_envelope_parse(&r, sa.s, sa.len)
      && strlen(dcr_envelope_rcpts(&r)[0].reply) == DCR_ENV_REPLYMAX, "a long reply is cut at %d", DCR_ENV_REPLYMAX) ;
    rc[0].reply = "" ;
  }
  /* what the writer refuses */
  {
    static struct { char const *field ; char const *value ; char const *why ; } const bad[] =
    {
      { "sender", "a\tb@c", "control character in sender" },
      { "sender", "a\nb@c", "control character in sender" },
      { "helo", "x\x7fy", "control character in helo" },
      { "id", "0640A1F2B3C4D00123A0001", "bad id" },
      { "body", "8bit", "bad body" },
      { "ret", "ALL", "bad ret" },
      { "proto", "ESMTP S", "bad proto" },
      { "ip", "1.2.3.4\n", "bad remote ip" },
      { "envid", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789X", "too long: envid" },
      { "rcpt", "", "empty recipient 1" },
      { "rcpt", "a\rb", "control character in recipient 1" },
      { "notify", "SUCCESS,NEVER", "bad notify of recipient 1" },
      { "notify", "SUCCESS,", "bad notify of recipient 1" },
      { "notify", "success", "bad notify of recipient 1" },
      { "orcpt", "bob@example.net", "bad orcpt of recipient 1" },
      { 0, 0, 0 }
    } ;
    unsigned int i = 0 ;
    for (; bad[i].field ; i++)
    {
      dcr_envelope t = DCR_ENVELOPE_ZERO ;
      fill(&t) ;
      rc = dcr_envelope_rcpts(&t) ;
      if (!strcmp(bad[i].field, "sender")) t.sender = bad[i].value ;
      else if (!strcmp(bad[i].field, "helo")) t.helo = bad[i].value ;
      else if (!strcmp(bad[i].field, "id")) t.id = bad[i].value ;
      else if (!strcmp(bad[i].field, "body")) t.body = bad[i].value ;
      else if (!strcmp(bad[i].field, "ret")) t.ret = bad[i].value ;
      else if (!strcmp(bad[i].field, "proto")) t.proto = bad[i].value ;
      else if (!strcmp(bad[i].field, "ip")) t.ip = bad[i].value ;
      else if (!strcmp(bad[i].field, "envid")) t.envid = bad[i].value ;
      else if (!strcmp(bad[i].field, "rcpt")) rc[0].addr = bad[i].value ;
      else if (!strcmp(bad[i].field, "notify")) rc[0].notify = bad[i].value ;
      else if (!strcmp(bad[i].field, "orcpt")) rc[0].orcpt = bad[i].value ;
      is_str(dcr_envelope_check(&t), bad[i].why, "refused: %s", bad[i].why) ;
      sa.len = 0 ;
      ok(!dcr_envelope_fmt(&sa, &t) && errno == EINVAL && !sa.len, "  and fmt writes nothing") ;
      dcr_envelope_free(&t) ;
    }
  }
  {
    dcr_envelope t = DCR_ENVELOPE_ZERO ;
    fill(&t) ;
    t.priority = 1001 ;
    is_str(dcr_envelope_check(&t), "bad priority", "priority 1001 refused") ;
    genalloc_setlen(dcr_rcpt, &t.rcpts, 0) ;
    t.priority = 0 ;
    is_str(dcr_envelope_check(&t), "no recipients", "no recipients refused") ;
    dcr_envelope_free(&t) ;
  }
  dcr_envelope_free(&e) ;
  dcr_envelope_free(&r) ;
  stralloc_free(&sa) ;
  stralloc_free(&sb) ;
}

#include "t-queue-hostile.h"

int main (void)
{
  char dir[] = "/tmp/t-queue.XXXXXX" ;
  umask(027) ;
  if (!mkdtemp(dir) || chdir(dir) < 0) return 111 ;
  test_paths() ;
  test_files() ;
  test_envelope() ;
  test_hostile() ;
  if (chdir("/") == 0) rm_rf(dir) ;
  return done_testing() ;
}
