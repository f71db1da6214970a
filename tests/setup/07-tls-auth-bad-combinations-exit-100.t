#!/bin/sh
# The TLS and AUTH options that cannot work together stop dcr-setup with
# exit 100 and a message saying what is missing, before anything is
# written: --smtps and --submission need a certificate, --submission
# needs --users, --key needs --cert; a listener address is one listener
# whatever its kind. Paths are checked like the others (they go unquoted
# into execline scripts). Warnings that do not stop it: files not there
# yet, a key or users file readable by everyone, AUTH without any TLS.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
D=$tmp/inst
C="--cert $tmp/c.pem --key $tmp/k.pem"
U="--users $tmp/users"
: >"$tmp/c.pem"; : >"$tmp/k.pem"; : >"$tmp/users"
chmod 600 "$tmp/k.pem" "$tmp/users"

# fails 'MESSAGE' ARGS...: exit 100, "dcr-setup: fatal: MESSAGE" (fixed
# string) on stderr, and $D not made
fails() {
  f_msg=$1; shift
  "$SETUP" "$@" >"$tmp/out" 2>"$tmp/err"
  f_rc=$?
  if [ $f_rc = 100 ] && grep -q -F -e "dcr-setup: fatal: $f_msg" "$tmp/err" && [ ! -e "$D" ]; then
    ok "$* -> 100 '$f_msg'" true
  else
    ok "$* -> 100 '$f_msg'" false
    diag "exit $f_rc, stderr:" "$(cat "$tmp/err")"
    [ ! -e "$D" ] || diag "$D was made"
  fi
  rm -rf "$D"
}

# passes 'WARNING' ARGS...: exit 0, and the warning (fixed string, or
# nothing when empty) on stderr
passes() {
  p_warn=$1; shift
  "$SETUP" "$@" >"$tmp/out" 2>"$tmp/err"
  p_rc=$?
  if [ $p_rc = 0 ] && { [ -z "$p_warn" ] || grep -q -F -e "dcr-setup: warning: $p_warn" "$tmp/err"; }; then
    ok "$* -> 0${p_warn:+, warns '$p_warn'}" true
  else
    ok "$* -> 0${p_warn:+, warns '$p_warn'}" false
    diag "exit $p_rc, stderr:" "$(cat "$tmp/err")"
  fi
  rm -rf "$D"
}

R="--relay-net 192.0.2.0/24"
fails '--smtps: needs a certificate: give --cert FILE --key FILE (or --certdir DIR)' \
  "$D" --smtps 127.0.0.1:465 $R
fails '--smtps: needs a certificate' "$D" --smtp 127.0.0.1:25 --smtps 127.0.0.1:465 $U $R
fails '--submission: needs a certificate: give --cert FILE --key FILE (or --certdir DIR)' \
  "$D" --submission 127.0.0.1:587 $U $R
fails '--submission: needs --users FILE (AUTH is required before MAIL there)' \
  "$D" --submission 127.0.0.1:587 $C $R
fails '--submission: needs --users FILE' "$D" --submission 127.0.0.1:587 --certdir "$tmp" $R
fails '--key: give --cert FILE too' "$D" --smtp 127.0.0.1:25 --key "$tmp/k.pem" $R
fails '--smtps: 127.0.0.1:25 given twice' "$D" --smtp 127.0.0.1:25 --smtps 127.0.0.1:25 $C $R
fails '--submission: [::1]:587 given twice' \
  "$D" --smtps '[::1]:587' --submission '[::1]:587' $C $U $R
fails '--cert: want a path of letters, digits and ._/+,@=:-' \
  "$D" --smtps 127.0.0.1:465 --cert "$tmp/my cert.pem" $R
fails '--users: want a path of letters' "$D" --smtp 127.0.0.1:25 --users "$tmp/u\$ers" $R
fails '--certdir: want a path of letters' "$D" --smtps 127.0.0.1:465 --certdir "$tmp/a;b" $R
fails '--cert: a newline in the argument' "$D" --smtps 127.0.0.1:465 --cert "a
b" $R
fails 'option --users needs an argument' "$D" --smtp 127.0.0.1:25 --users

# what is allowed, with its warnings
passes '' "$D" --smtps 127.0.0.1:465 $C $R
passes '' "$D" --smtps 127.0.0.1:465 --certdir "$tmp" $R
passes '' "$D" --submission 127.0.0.1:587 --certdir "$tmp" $U $R
passes '--users without --cert: AUTH is offered only to clients that conf/tcprules gives AUTH_WITHOUT_TLS' \
  "$D" --smtp 127.0.0.1:25 $U $R
passes "$tmp/none.pem: no such file (yet)" "$D" --smtps 127.0.0.1:465 --cert "$tmp/none.pem" $R
passes "$tmp/nodir: no such directory (yet)" "$D" --smtps 127.0.0.1:465 --certdir "$tmp/nodir" $R
passes "$tmp/c.pem holds no private key: give --key FILE" "$D" --smtps 127.0.0.1:465 --cert "$tmp/c.pem" $R
chmod 644 "$tmp/k.pem" "$tmp/users"
passes "$tmp/k.pem is readable by every user: chmod o-r it" "$D" --smtps 127.0.0.1:465 $C $R
passes "$tmp/users is readable by every user: chmod o-r it" "$D" --smtp 127.0.0.1:25 $U $R

done_testing
