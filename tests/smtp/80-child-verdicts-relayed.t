#!/usr/bin/python3
# Proves: dcr-smtpd relays its child's verdict as contract 3 says, and
# never says 250 unless the child exited 0 with a line:
#   exit 100 "5.7.1 no thanks"        -> 554 5.7.1 no thanks
#   exit 100 "550 5.7.1 go away"      -> 550 5.7.1 go away
#   exit 100 "451 4.1.1 wrong class"  -> a 5xx (code not taken)
#   exit 111 "4.3.0 busy"             -> 451 4.3.0 busy
#   exit 111 "452 4.3.1 full"         -> 452 4.3.1 full
#   exit 111 "550 5.0.0 wrong class"  -> a 4xx
#   exit 0 "ID" / "ID\nmore"          -> 250 2.0.0 Ok: queued as ID
#   exit 0 nothing, exit 100 nothing, exit 3, killed by a signal,
#   running past the data timeout    -> 451 (also when a grandchild
#                                        still holds the verdict pipe)
# and a verdict line can never inject a second reply.
# The child picks its behaviour from the recipient (KumoMTA's magic
# recipients): one gateway, one child script.
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

CHILD = r'''
cat >/dev/null
case "$SMTP_RECIPIENTS" in
  perm@*)      echo "5.7.1 no thanks"; exit 100 ;;
  perm3@*)     echo "550 5.7.1 go away"; exit 100 ;;
  permx@*)     echo "451 4.1.1 wrong class"; exit 100 ;;
  temp@*)      echo "4.3.0 busy"; exit 111 ;;
  temp3@*)     echo "452 4.3.1 full"; exit 111 ;;
  tempx@*)     echo "550 5.0.0 wrong class"; exit 111 ;;
  ok@*)        echo "myid123"; exit 0 ;;
  ok2@*)       printf 'first\nsecond\n'; exit 0 ;;
  silent@*)    exit 0 ;;
  silent100@*) exit 100 ;;
  three@*)     echo "5.0.0 odd"; exit 3 ;;
  signal@*)    echo "5.7.1 dying"; kill -9 $$ ;;
  slow@*)      exec sleep 30 ;;
  slowgrand@*) sleep 30; echo x; exit 0 ;;
  inject@*)    printf '5.7.1 a\r\n250 2.0.0 Ok: queued as evil\r\n'; exit 100 ;;
  inject0@*)   printf 'goodid\r\n250 evil\r\n'; exit 0 ;;
  long@*)      head -c 20000 /dev/zero | tr '\0' x; echo; exit 111 ;;
esac
exit 111
'''

CASES = [
    ('perm', r'^554 5\.7\.1 no thanks$'),
    ('perm3', r'^550 5\.7\.1 go away$'),
    ('permx', r'^5\d\d '),
    ('temp', r'^451 4\.3\.0 busy$'),
    ('temp3', r'^452 4\.3\.1 full$'),
    ('tempx', r'^4\d\d '),
    ('ok', r'^250 2\.0\.0 Ok: queued as myid123$'),
    ('ok2', r'^250 2\.0\.0 Ok: queued as first$'),
    ('silent', r'^451 4\.3\.0'),
    ('silent100', r'^451 4\.3\.0'),
    ('three', r'^451 4\.3\.0'),
    ('signal', r'^451 4\.3\.0'),
    ('slow', r'^451'),
    ('slowgrand', r'^451'),
    ('inject', r'^5\d\d '),
    ('inject0', r'^250 2\.0\.0 Ok: queued as goodid$'),
    ('long', r'^4\d\d '),
]


def main():
    with Gateway(child=['/bin/sh', '-c', CHILD], smtpd_opts=['-T', '2']) as gw:
        for who, want in CASES:
            with gw.raw() as c:
                c.cmd('EHLO client.dcrtest')
                c.cmd('MAIL FROM:<a@localhost>')
                c.cmd('RCPT TO:<%s@localhost>' % who)
                c.cmd('DATA')
                t0 = time.time()
                c.send(b'Subject: verdict\r\n\r\nx\r\n.\r\n')
                code, text = c.reply(10)
                like(text, want, '%s: %s' % (who, want))
                if not want.startswith('^250'):
                    ok(code != 250, '%s: never 250' % who)
                ok('\n' not in text and len(text) < 1000, '%s: one bounded reply line' % who)
                is_(c.pending(0.3), b'', '%s: nothing more (no injected reply)' % who)
                is_(c.cmd('NOOP')[0], 250, '%s: session goes on' % who)
                if who.startswith('slow'):
                    ok(time.time() - t0 < 6, 'slow child killed at the data timeout (%.1f s)' % (time.time() - t0))
        is_(gw.tmp_files(), [], 'queue/tmp is clean')
        time.sleep(0.2)
        lingering = [p for s in children_of(gw.proc.pid) for p in children_of(s)]
        is_(lingering, [], 'no child process left behind')


run(main)
