#!/bin/sh
# What dcr-setup writes (files, modes, the fifo, the run scripts with
# absolute paths, IPv6 service names), and what --force rewrites: conf/ and
# service/, never the queue, never a conf file it does not own.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
bindir=$(cd "$(dirname "$SETUP")" && pwd)

mode() { stat -c %a "$1"; }
has() { grep -q -x -F -e "$2" "$1"; }   # FILE has the whole line LINE

# a relative DIR, no route, no relay net, defaults otherwise
cd "$tmp" || exit 1
"$SETUP" inst --hostname mx.test --smtp 127.0.0.1:2525 --smtp '[::1]:2525' >out 2>err
is "$?" 0 "dcr-setup inst (relative dir) succeeds" || diag "$(cat err)"
ok "no route and no relay net: a warning" grep -q 'warning: no --route and no --relay-net' err
ok "nothing on stdout" test ! -s out
I=$tmp/inst
is "$(cat inst/conf/hostname)" mx.test "conf/hostname"
is "$(cat inst/conf/max-size)" 52428800 "conf/max-size default"
is "$(cat inst/conf/max-rcpt)" 1000 "conf/max-rcpt default"
ok "conf/routes: the header and the note that no domain is accepted" \
  has inst/conf/routes '# No route was given: no domain is accepted from outside;'
ok "conf/routes holds no rule" sh -c '! grep -v "^#" inst/conf/routes'
ok "conf/tcprules: no relay network" has inst/conf/tcprules '# No relay network was given: no client may relay.'
ok "conf/tcprules holds no rule" sh -c '! grep -v "^#" inst/conf/tcprules'
is "$(mode inst/conf/routes)" 644 "conf files are 0644"
for d in queue queue/tmp queue/mess queue/new queue/env queue/mess/00 queue/mess/3f queue/env/00 queue/env/3f; do
  ok "$d is a directory, mode 0750" test -d "inst/$d" -a "$(mode "inst/$d")" = 750
done
ok "queue/trigger is a fifo, mode 0640" test -p inst/queue/trigger -a "$(mode inst/queue/trigger)" = 640
ok "queue/lock is an empty file, mode 0640" test -f inst/queue/lock -a ! -s inst/queue/lock -a "$(mode inst/queue/lock)" = 640

S4=inst/service/smtpd-127.0.0.1-2525
S6=inst/service/smtpd-ipv6-__1-2525
ok "service for 127.0.0.1:2525 is $S4" test -d $S4
ok "service for [::1]:2525 is $S6" test -d $S6
ok "run is executable" test -x $S4/run -a "$(mode $S4/run)" = 755
is "$(head -1 $S4/run)" '#!/usr/bin/execlineb -P' "run is an execline script"
ok "run makes stderr the log pipe" has $S4/run 'fdmove -c 2 1'
ok "run: dcr-tcpd with absolute paths, readiness on fd 3, 8 pre-started sessions, default limits" \
  has $S4/run "$bindir/dcr-tcpd -d 3 -P 8 -c 1000 -C 50 -r $I/conf/tcprules 127.0.0.1 2525"
ok "run: dcr-smtpd with conf/ and the spool in queue/tmp" \
  has $S4/run "$bindir/dcr-smtpd -c $I/conf -S $I/queue/tmp"
ok "run: dcr-enqueue on the queue" has $S4/run "$bindir/dcr-enqueue $I/queue"
ok "IPv6 run: dcr-tcpd on ::1" \
  has $S6/run "$bindir/dcr-tcpd -d 3 -P 8 -c 1000 -C 50 -r $I/conf/tcprules ::1 2525"
is "$(cat $S4/notification-fd)" 3 "notification-fd is 3"
ok "log/run is executable" test -x $S4/log/run
ok "log/run: s6-log into log/NAME" has $S4/log/run "s6-log -b n20 s1000000 t $I/log/smtpd-127.0.0.1-2525"
ok "log/smtpd-127.0.0.1-2525 exists, mode 0750" test -d inst/log/smtpd-127.0.0.1-2525 -a "$(mode inst/log/smtpd-127.0.0.1-2525)" = 750
ok "no temporary file left" sh -c '! find inst -name "*.tmp" | grep -q .'

# options reach the files
"$SETUP" opts --smtp 0.0.0.0:25 --max-conns 200 --max-per-ip 7 --max-size 1000000 --prestart 3 \
  --bindir /opt/dcr/bin --relay-net 10.1.2.3 --relay-net 2001:DB8::/32 \
  --route '  example.com   smtp:[192.0.2.10]:25,smtp:[192.0.2.11]:25  balance=roundrobin  tls=may ' \
  --route '* mx' >out 2>err
is "$?" 0 "dcr-setup with every option" || diag "$(cat err)"
ok "--prestart, --max-conns, --max-per-ip, --bindir reach dcr-tcpd" \
  has opts/service/smtpd-0.0.0.0-25/run "/opt/dcr/bin/dcr-tcpd -d 3 -P 3 -c 200 -C 7 -r $tmp/opts/conf/tcprules 0.0.0.0 25"
"$SETUP" nopre --smtp 0.0.0.0:25 --prestart 0 >out 2>err
ok "--prestart 0: no -P" has nopre/service/smtpd-0.0.0.0-25/run "$bindir/dcr-tcpd -d 3 -c 1000 -C 50 -r $tmp/nopre/conf/tcprules 0.0.0.0 25"
is "$(cat opts/conf/max-size)" 1000000 "--max-size reaches conf/max-size"
ok "a relay net without length gets /32" has opts/conf/tcprules '10.1.2.3/32              allow RELAYCLIENT='
ok "IPv6 relay nets are written in lower case" has opts/conf/tcprules '2001:db8::/32            allow RELAYCLIENT='
ok "a route is written as one line" \
  has opts/conf/routes 'example.com      smtp:[192.0.2.10]:25,smtp:[192.0.2.11]:25 balance=roundrobin tls=may'
ok "the * route is kept as it is" has opts/conf/routes '*                mx'
if [ "$(uname -n)" = "$(printf '%s' "$(uname -n)" | tr -cd 'A-Za-z0-9.-')" ]; then
  is "$(cat opts/conf/hostname)" "$(uname -n)" "no --hostname: the system's node name"
fi

# --force: conf/ and service/ rewritten, the queue and others' files kept
echo message >inst/queue/mess/00/id1 && echo envelope >inst/queue/new/id1
echo 500 >inst/conf/greet-delay
echo '# mine' >inst/service/mine
"$SETUP" inst --hostname mx.test --smtp 127.0.0.1:2525 2>err
is "$?" 100 "a non-empty instance is refused without --force"
"$SETUP" inst --force --hostname mx2.test --smtp 127.0.0.1:2626 --max-size 2000 \
  --route 'example.test maildir:/var/mail/x' 2>err
is "$?" 0 "--force rewrites the instance" || diag "$(cat err)"
is "$(cat inst/queue/mess/00/id1)" message "the queue's messages are kept"
is "$(cat inst/queue/new/id1)" envelope "the queue's envelopes are kept"
ok "the fifo is kept" test -p inst/queue/trigger
is "$(cat inst/conf/greet-delay)" 500 "a conf file dcr-setup does not write is kept"
is "$(cat inst/conf/hostname)" mx2.test "conf/hostname rewritten"
is "$(cat inst/conf/max-size)" 2000 "conf/max-size rewritten"
ok "conf/routes rewritten" has inst/conf/routes 'example.test     maildir:/var/mail/x'
ok "the new listener's service is there" test -x inst/service/smtpd-127.0.0.1-2626/run
ok "the dropped listeners' services are gone" test ! -e $S4 -a ! -e $S6
ok "their logs are kept" test -d inst/log/smtpd-127.0.0.1-2525
ok "a file of the admin's in service/ is kept" test -f inst/service/mine
rm inst/queue/trigger
"$SETUP" inst --force --smtp 127.0.0.1:2626 2>err
ok "--force makes a missing fifo again" test -p inst/queue/trigger

done_testing
