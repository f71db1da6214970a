#!/bin/sh
# Every bad use of dcr-setup exits 100 with a message naming what is wrong,
# and writes nothing; a failed system call exits 111; --help exits 0.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
D=$tmp/inst
L='--smtp 127.0.0.1:2525'
nl='
'

# fails EXIT 'MESSAGE' ARGS...: dcr-setup exits EXIT, its stderr has
# "dcr-setup: fatal: MESSAGE" (a fixed string), and $D was not made
fails() {
  f_exit=$1 f_msg=$2; shift 2
  "$SETUP" "$@" >"$tmp/out" 2>"$tmp/err"
  f_rc=$?
  f_what="$* -> $f_exit '$f_msg'"
  if [ $f_rc = "$f_exit" ] && grep -q -F -e "dcr-setup: fatal: $f_msg" "$tmp/err" &&
     [ ! -e "$D" ]; then
    ok "$f_what" true
  else
    ok "$f_what" false
    diag "exit $f_rc, stderr:" "$(cat "$tmp/err")"
    [ ! -e "$D" ] || diag "$D was made"
  fi
  rm -rf "$D"
}

# usage
fails 100 'no dir given'
fails 100 'no dir given' $L
fails 100 'unknown option --bogus' "$D" $L --bogus
fails 100 'unknown option --bogus' "$D" $L --bogus=1
fails 100 'unknown option -x' "$D" -x $L
fails 100 'option --hostname needs an argument' "$D" $L --hostname
fails 100 'option --force takes no argument' "$D" $L --force=yes
fails 100 'one dir only' "$D" "$tmp/other" $L
fails 100 'no listener: give --smtp ADDR:PORT (e.g. --smtp 0.0.0.0:25), --smtps, --submission or --sni' "$D" --hostname mx.test
fails 100 '--hostname: a newline in the argument' "$D" $L --hostname "a${nl}b"
# listeners
fails 100 '--smtp: want ADDR:PORT' "$D" --smtp 127.0.0.1
fails 100 '--smtp: bad IPv4 address in 256.1.1.1:25' "$D" --smtp 256.1.1.1:25
fails 100 '--smtp: bad IPv4 address in 010.1.1.1:25' "$D" --smtp 010.1.1.1:25
fails 100 '--smtp: bad IPv4 address in mail.example.com:25' "$D" --smtp mail.example.com:25
fails 100 '--smtp: an IPv6 address goes in brackets' "$D" --smtp ::1:25
fails 100 '--smtp: no port in [::1]' "$D" --smtp '[::1]'
fails 100 '--smtp: bad IPv6 address in [::g]:25' "$D" --smtp '[::g]:25'
fails 100 '--smtp: bad IPv6 address in [1:2:3:4:5:6:7:8:9]:25' "$D" --smtp '[1:2:3:4:5:6:7:8:9]:25'
fails 100 '--smtp: bad IPv6 address in [1::2::3]:25' "$D" --smtp '[1::2::3]:25'
fails 100 '--smtp: bad port in 127.0.0.1:0' "$D" --smtp 127.0.0.1:0
fails 100 '--smtp: bad port in 127.0.0.1:65536' "$D" --smtp 127.0.0.1:65536
fails 100 '--smtp: bad port in 127.0.0.1:025' "$D" --smtp 127.0.0.1:025
fails 100 '--smtp: bad port in 127.0.0.1:smtp' "$D" --smtp 127.0.0.1:smtp
fails 100 '--smtp: 127.0.0.1:25 given twice' "$D" --smtp 127.0.0.1:25 --smtp 127.0.0.1:25
fails 100 '--smtp: [::1]:25 given twice' "$D" --smtp '[::1]:25' --smtp '[0:0:0:0:0:0:0:1]:25' --smtp '[::1]:25'
# names and numbers
fails 100 '--hostname: bad name mx example' "$D" $L --hostname 'mx example'
fails 100 '--hostname: bad name -mx.example' "$D" $L --hostname -mx.example
fails 100 '--max-conns: want a number from 1: 0' "$D" $L --max-conns 0
fails 100 '--max-per-ip: want a number from 1: -1' "$D" $L --max-per-ip -1
fails 100 '--prestart: want a number from 0 to 100000: x' "$D" $L --prestart x
fails 100 '--max-size: want a number from 1: 1e6' "$D" $L --max-size 1e6
fails 100 '--max-size: want a number from 1: 0100' "$D" $L --max-size=0100
fails 100 '--bindir: want an absolute path' "$D" $L --bindir bin
fails 100 '--basedir: want an absolute path' "$D" $L --basedir '/srv/dc router'
# routes
fails 100 "--route: want 'PATTERN TARGETS [KEY=VALUE ...]': example.com" "$D" $L --route example.com
fails 100 "--route: want 'PATTERN TARGETS" "$D" $L --route ''
fails 100 '--route: bad pattern -bad.example' "$D" $L --route '-bad.example mx'
fails 100 '--route: bad pattern *.' "$D" $L --route '*. mx'
fails 100 '--route: bad pattern a*b.example' "$D" $L --route 'a*b.example mx'
fails 100 '--route: bad target ftp:x' "$D" $L --route 'example.com ftp:x'
fails 100 '--route: bad target maildir:var/mail' "$D" $L --route 'example.com maildir:var/mail'
fails 100 '--route: bad target smtp:' "$D" $L --route 'example.com mx,smtp:'
fails 100 '--route: empty target in mx,' "$D" $L --route 'example.com mx,'
fails 100 '--route: bad option tls (want KEY=VALUE)' "$D" $L --route 'example.com mx tls'
fails 100 '--route: bad option tls= (want KEY=VALUE)' "$D" $L --route 'example.com mx tls='
fails 100 '--route: a newline in the argument' "$D" $L --route "example.com mx${nl}* mx"
# relay networks
fails 100 '--relay-net: bad address in 10.0.0/8' "$D" $L --relay-net 10.0.0/8
fails 100 '--relay-net: bad address in example.com/8' "$D" $L --relay-net example.com/8
fails 100 '--relay-net: prefix length over 32 in 10.0.0.0/33' "$D" $L --relay-net 10.0.0.0/33
fails 100 '--relay-net: prefix length over 128 in 2001:db8::/129' "$D" $L --relay-net 2001:db8::/129
fails 100 '--relay-net: bad prefix length in 10.0.0.0/x' "$D" $L --relay-net 10.0.0.0/x
fails 100 '--relay-net: bits set after the prefix length' "$D" $L --relay-net 192.0.2.1/24
fails 100 '--relay-net: bits set after the prefix length' "$D" $L --relay-net 2001:db8::1/32
fails 100 '--relay-net: bad prefix length in 10.0.0.0/' "$D" $L --relay-net 10.0.0.0/
# the TLS and AUTH listeners take the same ADDR:PORT (their combinations:
# 07-tls-auth-bad-combinations-exit-100.t)
fails 100 '--smtps: bad port in 0.0.0.0:x' "$D" $L --smtps 0.0.0.0:x
fails 100 '--submission: an IPv6 address goes in brackets' "$D" $L --submission ::1:587
# the instance directory
mkdir "$tmp/full" && : >"$tmp/full/something"
fails 100 "$tmp/full exists and is not empty (--force rewrites" "$tmp/full" $L
: >"$tmp/file"
fails 100 "$tmp/file exists and is not a directory" "$tmp/file" $L
fails 100 "$tmp/dc router: the instance path must be" "$tmp/dc router" $L
fails 111 "unable to mkdir $tmp/file/inst" "$tmp/file/inst" $L
ok "a full directory is left as it was" test "$(ls -A "$tmp/full")" = something

# --help
"$SETUP" --help >"$tmp/out" 2>"$tmp/err"
is "$?" 0 "--help exits 0"
ok "--help prints the usage on stdout" grep -q '^usage: dcr-setup dir \[ --hostname name \]' "$tmp/out"
"$SETUP" >"$tmp/out" 2>"$tmp/err"
ok "bad usage prints the usage line on stderr" grep -q '^dcr-setup: usage: dcr-setup dir ' "$tmp/err"

done_testing
