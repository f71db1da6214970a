# tap.sh: TAP helpers for the sh tests of tests/setup (sourced, not run).
# ok NAME CMD...     one test point: CMD's exit status decides
# is GOT WANT NAME   one test point: two strings are equal
# diag TEXT          a comment line (each line of TEXT)
# done_testing       the plan, and the exit status
# SETUP is the dcr-setup to test: $DCR_BIN/dcr-setup, else the source.
tap_n=0 tap_failed=0
TESTDIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$TESTDIR/../.." && pwd)
if [ -n "${DCR_BIN:-}" ] && [ -x "$DCR_BIN/dcr-setup" ]; then
  SETUP=$DCR_BIN/dcr-setup
else
  SETUP=$REPO/src/setup/dcr-setup.sh
fi
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
ok() {
  tap_name=$(printf '%s' "$1" | tr '\n' ' '); shift
  tap_n=$((tap_n + 1))
  if "$@"; then echo "ok $tap_n - $tap_name"
  else echo "not ok $tap_n - $tap_name"; tap_failed=$((tap_failed + 1)); return 1
  fi
}
is() {
  tap_n=$((tap_n + 1))
  tap_name=$(printf '%s' "$3" | tr '\n' ' ')
  if [ "$1" = "$2" ]; then echo "ok $tap_n - $tap_name"
  else
    echo "not ok $tap_n - $tap_name"; tap_failed=$((tap_failed + 1))
    diag "     got: '$1'" "expected: '$2'"
    return 1
  fi
}
done_testing() {
  echo "1..$tap_n"
  [ $tap_failed -eq 0 ]
}
