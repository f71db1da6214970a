/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <bearssl.h>

#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/sgetopt.h>
#include <skalibs/djbunix.h>

#include <dcr/base64.h>
#include <dcr/opts.h>

#include "domain.h"
#include "keys.h"
#include "key.h"

#define USAGE "dcr-dkimkey keyfile [ selector domain ] | dcr-dkimkey -g bits -d keysdir -D domain -S selector"
#define dieusage() strerr_dieusage(100, USAGE)
#define OPTS "g:d:D:S:"

static dcr_longopt const longopts[] =
{
  { "generate", 'g', 1 }, { "keys", 'd', 1 }, { "domain", 'D', 1 }, { "selector", 'S', 1 }, { 0, 0, 0 }
} ;

static void put (char const *s, size_t n)
{
  if (buffer_put(buffer_1, s, n) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

static void puts_ (char const *s) { put(s, strlen(s)) ; }

/* SELECTOR._domainkey.DOMAIN. IN TXT ( "v=DKIM1; k=rsa; " "p=..." ),
   the p= text in strings of 255 octets at most (RFC 1035 3.3.14) */
static void record (char const *selector, char const *domain, unsigned char const *spki, size_t len)
{
  char b64[1024] ;
  stralloc p = STRALLOC_ZERO ;
  size_t n = dcr_base64_encode(b64, (char const *)spki, len) ;
  if (!stralloc_cats(&p, "p=") || !stralloc_catb(&p, b64, n)) strerr_diefu1sys(111, "allocate") ;
  puts_(selector) ; puts_("._domainkey.") ; puts_(domain) ;
  puts_(". IN TXT ( \"v=DKIM1; k=rsa; \"") ;
  for (size_t i = 0 ; i < p.len ; i += 255)
  {
    puts_("\n\t\"") ;
    put(p.s + i, p.len - i < 255 ? p.len - i : 255) ;
    puts_("\"") ;
  }
  puts_(" )\n") ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
  stralloc_free(&p) ;
}

static void lower (char *s)
{
  for (; *s ; s++) if (*s >= 'A' && *s <= 'Z') *s += 32 ;
}

/* the last component of path, without a ".key" suffix (or with), and
   the one before it */
static void names_from_path (char const *path, stralloc *sel, stralloc *dom)
{
  size_t n = strlen(path), e, s, d ;
  e = n ;
  while (e && path[e-1] == '/') e-- ;
  s = e ;
  while (s && path[s-1] != '/') s-- ;
  d = s ;
  while (d && path[d-1] == '/') d-- ;
  {
    size_t ds = d ;
    while (ds && path[ds-1] != '/') ds-- ;
    if (!stralloc_catb(dom, path + ds, d - ds) || !stralloc_0(dom)) strerr_diefu1sys(111, "allocate") ;
  }
  if (e - s > 4 && !memcmp(path + e - 4, ".key", 4)) e -= 4 ;
  if (!stralloc_catb(sel, path + s, e - s) || !stralloc_0(sel)) strerr_diefu1sys(111, "allocate") ;
}

static void show (char const *file, char const *selector, char const *domain)
{
  dkim_key k ;
  char const *why ;
  unsigned char spki[1024] ;
  size_t len ;
  if (!dkim_key_load(&k, file, &why))
  {
    if (why) strerr_dief(100, file, ": ", why) ;
    strerr_diefusys(111, "read ", file) ;
  }
  len = dkim_key_spki(&k, spki, sizeof spki) ;
  dkim_key_wipe(&k) ;
  if (!len) strerr_dief(100, file, ": cannot find the public exponent of the key") ;
  record(selector, domain, spki, len) ;
}

static void seed (br_hmac_drbg_context *rng)
{
  unsigned char s[48] ;
  size_t got = 0 ;
  while (got < sizeof s)
  {
    ssize_t r = getrandom(s + got, sizeof s - got, 0) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      if (openreadnclose("/dev/urandom", (char *)s, sizeof s) != sizeof s) strerr_diefu1sys(111, "read random octets") ;
      break ;
    }
    got += r ;
  }
  br_hmac_drbg_init(rng, &br_sha256_vtable, s, sizeof s) ;
  explicit_bzero(s, sizeof s) ;
}

/* KEYSDIR/DOMAIN/SELECTOR.key, mode 0600, written aside, fsync'd, then
   linked into place (an existing key is never replaced) */
static void writekey (char const *keysdir, char const *domain, char const *selector, char const *pem, size_t len)
{
  stralloc dir = STRALLOC_ZERO, tmp = STRALLOC_ZERO, file = STRALLOC_ZERO ;
  char pid[PID_FMT] ;
  int fd ;
  pid[pid_fmt(pid, getpid())] = 0 ;
  if (!stralloc_cats(&dir, keysdir) || !stralloc_cats(&dir, "/") || !stralloc_cats(&dir, domain) || !stralloc_0(&dir)
   || !stralloc_copyb(&file, dir.s, dir.len - 1) || !stralloc_cats(&file, "/") || !stralloc_cats(&file, selector) || !stralloc_cats(&file, ".key") || !stralloc_0(&file)
   || !stralloc_copyb(&tmp, dir.s, dir.len - 1) || !stralloc_cats(&tmp, "/.") || !stralloc_cats(&tmp, selector) || !stralloc_cats(&tmp, ".key.") || !stralloc_cats(&tmp, pid) || !stralloc_0(&tmp))
    strerr_diefu1sys(111, "allocate") ;
  /* the keys directory too, the first time (mode 0700: private keys) */
  if (mkdir(keysdir, 0700) < 0 && errno != EEXIST) strerr_diefu2sys(111, "mkdir ", keysdir) ;
  if (mkdir(dir.s, 0700) < 0 && errno != EEXIST) strerr_diefu2sys(111, "mkdir ", dir.s) ;
  if (access(file.s, F_OK) == 0) strerr_dief(100, file.s, ": exists (a key is never replaced: choose a new selector)") ;
  fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
  if (fd < 0) strerr_diefu2sys(111, "create ", tmp.s) ;
  if (allwrite(fd, pem, len) < len || fsync(fd) < 0 || close(fd) < 0)
  {
    int e = errno ; unlink(tmp.s) ; errno = e ;
    strerr_diefu2sys(111, "write ", tmp.s) ;
  }
  if (link(tmp.s, file.s) < 0)
  {
    int e = errno ; unlink(tmp.s) ; errno = e ;
    if (errno == EEXIST) strerr_dief(100, file.s, ": exists (a key is never replaced: choose a new selector)") ;
    strerr_diefu4sys(111, "link ", tmp.s, " to ", file.s) ;
  }
  unlink(tmp.s) ;
  fd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd < 0 || fsync(fd) < 0) strerr_diefu2sys(111, "fsync ", dir.s) ;
  fd_close(fd) ;
}

static void generate (unsigned int bits, char const *keysdir, char const *domain, char const *selector)
{
  static unsigned char kpriv[BR_RSA_KBUF_PRIV_SIZE(DKIM_BITS_MAX)], kpub[BR_RSA_KBUF_PUB_SIZE(DKIM_BITS_MAX)] ;
  static unsigned char d[DKIM_BITS_MAX / 8], der[3000], spki[1024] ;
  static char pem[4200] ;
  br_hmac_drbg_context rng ;
  br_rsa_private_key sk ;
  br_rsa_public_key pk ;
  size_t dlen, len, plen ;

  seed(&rng) ;
  if (!br_rsa_keygen_get_default()(&rng.vtable, &sk, kpriv, &pk, kpub, bits, 65537)) strerr_dief(111, "RSA key generation failed") ;
  dlen = br_rsa_compute_privexp_get_default()(d, &sk, 65537) ;
  if (!dlen) strerr_dief(111, "RSA key generation failed (private exponent)") ;
  len = br_encode_rsa_raw_der(0, &sk, &pk, d, dlen) ;
  if (!len || len > sizeof der) strerr_dief(111, "RSA key encoding failed") ;
  br_encode_rsa_raw_der(der, &sk, &pk, d, dlen) ;
  plen = br_pem_encode(0, der, len, "RSA PRIVATE KEY", BR_PEM_LINE64) ;
  if (plen + 1 > sizeof pem) strerr_dief(111, "RSA key encoding failed") ;
  br_pem_encode(pem, der, len, "RSA PRIVATE KEY", BR_PEM_LINE64) ;
  writekey(keysdir, domain, selector, pem, plen) ;
  len = dkim_spki(spki, sizeof spki, pk.n, pk.nlen, pk.e, pk.elen) ;
  explicit_bzero(kpriv, sizeof kpriv) ; explicit_bzero(d, sizeof d) ;
  explicit_bzero(der, sizeof der) ; explicit_bzero(pem, sizeof pem) ; explicit_bzero(&rng, sizeof rng) ;
  if (!len) strerr_dief(111, "public key encoding failed") ;
  record(selector, domain, spki, len) ;
}

int main (int argc, char const *const *argv)
{
  unsigned int bits = 0 ;
  char const *keysdir = 0 ;
  stralloc dom = STRALLOC_ZERO, sel = STRALLOC_ZERO ;
  PROG = "dcr-dkimkey" ;
  {
    char const **av = dcr_longopts(&argc, argv, longopts, OPTS, USAGE) ;
    subgetopt l = SUBGETOPT_ZERO ;
    argv = av ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, OPTS, &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'g' : if (!uint0_scan(l.arg, &bits)) dieusage() ; break ;
        case 'd' : keysdir = l.arg ; break ;
        case 'D' : if (!stralloc_copys(&dom, l.arg) || !stralloc_0(&dom)) strerr_diefu1sys(111, "allocate") ; break ;
        case 'S' : if (!stralloc_copys(&sel, l.arg) || !stralloc_0(&sel)) strerr_diefu1sys(111, "allocate") ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (bits)
  {
    if (argc || !keysdir || !dom.len || !sel.len) dieusage() ;
  }
  else
  {
    if (keysdir || dom.len || sel.len || (argc != 1 && argc != 3)) dieusage() ;
    if (argc == 3)
    {
      if (!stralloc_copys(&sel, argv[1]) || !stralloc_0(&sel) || !stralloc_copys(&dom, argv[2]) || !stralloc_0(&dom)) strerr_diefu1sys(111, "allocate") ;
    }
    else names_from_path(argv[0], &sel, &dom) ;
  }
  lower(dom.s) ;
  if (!dkim_domain_ok(dom.s, dom.len - 1)) strerr_dief(100, "not a domain name: ", dom.s) ;
  if (!dkim_selector_ok(sel.s, sel.len - 1)) strerr_dief(100, "not a selector: ", sel.s) ;
  if (sel.len - 1 + 12 + dom.len - 1 > 253) strerr_dief(100, "SELECTOR._domainkey.DOMAIN is over 253 octets: not a DNS name") ;
  if (bits)
  {
    if (bits < DKIM_BITS_MIN || bits > DKIM_BITS_MAX) strerr_dief(100, "-g: the key size is 1024 to 4096 bits") ;
    generate(bits, keysdir, dom.s, sel.s) ;
  }
  else show(argv[0], sel.s, dom.s) ;
  return 0 ;
}
