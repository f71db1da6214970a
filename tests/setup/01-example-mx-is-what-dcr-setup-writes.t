#!/bin/sh
# examples/mx is exactly what dcr-setup writes with the command given in
# examples/README.md: made again in a temp dir and compared with diff -r.
# Fifos and empty directories are left out on both sides: git keeps neither.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

ARGS="--basedir /srv/dcrouter --bindir /usr/local/bin --hostname mx.example.com --smtp 0.0.0.0:25 --route 'example.com smtp:[192.0.2.10]:25' --route '*.example.com smtp:[192.0.2.10]:25' --relay-net 192.0.2.0/24 --relay-net 2001:db8::/32"

eval "\"\$SETUP\" \"\$tmp/mx\" $ARGS" 2>"$tmp/err"
is "$?" 0 "dcr-setup writes the example instance" || diag "$(cat "$tmp/err")"

prune() {
  find "$1" -type p -exec rm -f {} + &&
  find "$1" -depth -type d -empty -delete
}
cp -R "$REPO/examples/mx" "$tmp/ref"
prune "$tmp/ref"
prune "$tmp/mx"
diff -r "$tmp/ref" "$tmp/mx" >"$tmp/diff" 2>&1
is "$?" 0 "examples/mx is what dcr-setup writes (diff -r)" ||
  diag "$(head -60 "$tmp/diff")" "make it again: see examples/README.md"

# the README shows that command (continuation lines joined)
sed -e :a -e '/\\$/N; s/\\\n *//; ta' "$REPO/examples/README.md" >"$tmp/readme"
ok "examples/README.md gives the command that made examples/mx" \
  grep -q -F -e "dcr-setup examples/mx $ARGS" "$tmp/readme"

ok "the example's run scripts are executable" \
  test -x "$REPO/examples/mx/service/smtpd-0.0.0.0-25/run" -a \
       -x "$REPO/examples/mx/service/smtpd-0.0.0.0-25/log/run"

done_testing
