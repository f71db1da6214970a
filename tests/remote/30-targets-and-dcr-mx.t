#!/usr/bin/python3
# Proves: target syntax (bad targets exit 100 with a message naming the
# target); smtp:HOST:PORT runs "dcr-mx -A HOST", mx:DOMAIN[:PORT] runs
# "dcr-mx DOMAIN", found through PATH or --mx; the addresses are tried
# in order (a refused first address, then the second delivers); all
# unreachable: T 4.4.1 naming host, IP, port and the error; dcr-mx exit
# 100 -> P 550 5.1.2 for mx: (a missing relay host of smtp:HOST is T
# 4.4.1: a broken target to fail over from); 111, a crash, or no
# usable line -> T 4.4.3; IPv6 literal targets; a down target is
# remembered for -d seconds.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *


def statuses(r):
    return [(x[2], x[3]) for x in r.verdicts()]


def main():
    with TempDir() as td:
        m = td.write('m', b'Subject: t\n\nhello\n')
        j = job('T1', m, 'a@x.test', 'b@y.test')

        for bad in ('smtp:', 'smtp:[1.2.3.4', 'smtp:[1.2.3.999]:25', 'smtp:[::1]:0', 'smtp:host:99999',
                    'mx:', 'mx:bad_domain', 'lmtp:x:25', 'smtp:host:25:26', 'maildir:/tmp'):
            r = remote(bad, j)
            is_(r.rc, 100, 'bad target %r: exit 100' % bad)
            ok(bad.encode() in r.err and r.out == b'', '  message names it, nothing on stdout')
        r = remote('smtp:[127.0.0.1]:25', j, ['-i', 'x'])
        is_(r.rc, 100, 'bad option value: exit 100')

        with FakeSMTP() as srv:
            dead = closed_port()
            # smtp:HOST:PORT -> dcr-mx -A HOST
            binp = td.fake_mx('0\trelay.test\t127.0.0.1\n')
            r = remote('smtp:relay.test:%d' % srv.port, j, ['-T', '5'], path_first=binp)
            is_([s for s, _ in statuses(r)], ['D'], 'smtp:HOST:PORT delivered')
            is_(td.mx_args()[-1], '-A relay.test', '  dcr-mx -A HOST was run')
            # mx:DOMAIN:PORT -> dcr-mx DOMAIN; first address refused, the second one works
            binp = td.fake_mx('10\tmx1.y.test\t127.0.0.1\n20\tmx2.y.test\t127.0.0.1\n')
            r = remote('mx:y.test:%d' % srv.port, j, ['-T', '5'], path_first=binp)
            is_([s for s, _ in statuses(r)], ['D'], 'mx:DOMAIN:PORT delivered')
            is_(td.mx_args()[-1], 'y.test', '  dcr-mx DOMAIN was run')
            like(r.err, rb'peer=mx1.y.test\[127.0.0.1\]', '  the first MX host used')

        with FakeSMTP() as srv:
            # two addresses on two ports cannot be said; use --mx with a script
            # printing a refusing IP first: 127.0.0.2 has no listener on that port
            binp = td.fake_mx('10\tdown.y.test\t127.0.0.2\n20\tup.y.test\t127.0.0.1\n')
            r = remote('mx:y.test:%d' % srv.port, j, ['--mx', os.path.join(binp, 'dcr-mx'), '-T', '5'])
            is_([s for s, _ in statuses(r)], ['D'], 'first MX refused, second delivered (--mx PROG)')
            like(r.err, rb'event=connect-fail peer=down.y.test\[127.0.0.2\]', '  the failure logged')

        dead = closed_port()
        os.unlink(td.path('mx.args'))
        binp = td.fake_mx('10\tmx1.y.test\t127.0.0.1\n20\tmx2.y.test\t127.0.0.1\n')
        r = remote('mx:y.test:%d' % dead, j + job('T2', m, 'a@x.test', 'c@y.test'), ['-T', '5', '-d', '0'], path_first=binp)
        v = statuses(r)
        is_([s for s, _ in v], ['T', 'T'], 'all unreachable: T')
        is_(v[0][1] if v else '', '451 4.4.1 connect to mx2.y.test[127.0.0.1]:%d: Connection refused' % dead,
            '  4.4.1 naming host, IP, port and error (the last tried)')
        is_(len(td.mx_args()), 2, '  with -d 0 each job looks up again')

        os.unlink(td.path('mx.args'))
        r = remote('mx:y.test:%d' % dead, j + job('T2', m, 'a@x.test', 'c@y.test'), ['-T', '5'], path_first=binp)
        is_([s for s, _ in statuses(r)], ['T', 'T'], 'down target remembered: T for the second job too')
        is_(len(td.mx_args()), 1, '  without a second look-up or connect')
        like(r.err, rb'id=T2 event=target-down', '  logged')

        binp = td.fake_mx(code=100, stderr='dcr-mx: fatal: y.test: no such domain')
        r = remote('mx:y.test', j, ['-T', '5'], path_first=binp)
        is_(statuses(r), [('P', '550 5.1.2 domain y.test: dcr-mx: fatal: y.test: no such domain')], 'dcr-mx 100: P 550 5.1.2 with its message')
        r = remote('smtp:relay.test:25', j, ['-T', '5'], path_first=binp)
        like(statuses(r)[0][1] if statuses(r) else '', r'^451 4\.4\.1 host relay\.test not found', 'smtp:HOST unknown: T 4.4.1')
        binp = td.fake_mx(code=111, stderr='dcr-mx: warning: timeout')
        r = remote('mx:y.test', j, ['-T', '5'], path_first=binp)
        is_(statuses(r), [('T', '451 4.4.3 lookup of y.test: dcr-mx: warning: timeout')], 'dcr-mx 111: T 4.4.3')
        binp = td.fake_mx(crash=True)
        r = remote('mx:y.test', j, ['-T', '5'], path_first=binp)
        like(statuses(r)[0][1] if statuses(r) else '', r'^451 4\.4\.3 .*signal 11', 'dcr-mx crash: T 4.4.3')
        binp = td.fake_mx('garbage\n10\tmx\n')
        r = remote('mx:y.test', j, ['-T', '5'], path_first=binp)
        like(statuses(r)[0][1] if statuses(r) else '', r'^451 4\.4\.3 .*no usable address', 'dcr-mx garbage: T 4.4.3')
        binp = td.fake_mx('10\tmx\t127.0.0.1\n', sleep=10)
        r = remote('mx:y.test', j, ['-T', '2'], path_first=binp, timeout=30)
        like(statuses(r)[0][1] if statuses(r) else '', r'^451 4\.4\.3 .*timed out', 'slow dcr-mx: T 4.4.3')
        ok(r.secs < 8, '  within the cap (%.1f s)' % r.secs)
        r = remote('mx:y.test', j, ['--mx', td.path('nonexistent'), '-T', '5'])
        like(statuses(r)[0][1] if statuses(r) else '', r'^451 4\.4\.3 .*cannot run', 'missing dcr-mx: T 4.4.3')

        # IPv6 literal
        try:
            s6 = socket.socket(socket.AF_INET6)
            s6.bind(('::1', 0))
            port6 = s6.getsockname()[1]
            s6.listen(5)
            have6 = True
        except OSError:
            have6 = False
        if have6:
            import threading

            def serve():
                c, _ = s6.accept()
                f = c.makefile('rwb')
                f.write(b'220 six ESMTP\r\n'); f.flush()
                for line in f:
                    cmd = line[:4].upper()
                    if cmd == b'DATA':
                        f.write(b'354 go\r\n'); f.flush()
                        for l in f:
                            if l == b'.\r\n':
                                break
                        f.write(b'250 2.0.0 six ok\r\n')
                    elif cmd == b'QUIT':
                        f.write(b'221 bye\r\n'); f.flush()
                        break
                    else:
                        f.write(b'250 ok\r\n')
                    f.flush()
                c.close()
            t = threading.Thread(target=serve, daemon=True)
            t.start()
            r = remote('smtp:[::1]:%d' % port6, j, ['-T', '5'])
            is_(statuses(r), [('D', '250 2.0.0 six ok')], 'IPv6 literal target delivered')
            like(r.err, rb'peer=::1\[::1\]:%d' % port6, '  peer logged')
            s6.close()
        else:
            skip('no IPv6 loopback', 2)


run(main, timeout=150)
