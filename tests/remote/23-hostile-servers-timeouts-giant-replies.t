#!/usr/bin/python3
# Proves: hostile or broken servers give a clear T verdict, in bounded
# time and memory, never a crash or a hang: a silent server (no
# greeting), a server silent after DATA and a connect that is never
# answered (full backlog), with -T 2; a giant reply
# line (1 MiB, no end); an endless multi-line reply; garbage instead of
# a reply; a server that accepts and closes at once. Each time the
# agent goes on with the next job and exits 0.
import os, sys, time, socket
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *


def check(name, srv, m, pattern, maxsecs=15, args=('-T', '2')):
    r = remote(srv.target, job('H1', m, 'a@x.test', 'b@y.test', 'c@y.test'), list(args), timeout=60)
    v = r.verdicts()
    is_(r.rc, 0, '%s: exit 0' % name)
    is_([x[2] for x in v], ['T', 'T'], '%s: T for both recipients' % name)
    like(v[0][3] if v else '', pattern, '%s: the reply says what happened' % name)
    ok(r.secs < maxsecs, '%s: bounded in time (%.1f s)' % (name, r.secs))
    is_(r.done(), ['H1'], '%s: done' % name)
    if not r.wellformed():
        diag(r.out[:500])
    return r


def main():
    with TempDir() as td:
        m = td.write('m', b'Subject: t\n\nhello\n')

        def silent(c):
            time.sleep(8)
        with FakeSMTP(handler=silent) as srv:
            check('silent server', srv, m, r'^451 4\.4\.2 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: timeout while waiting for the greeting$')

        def silent_after_dot(c):
            c.readline()
            time.sleep(8)
            return False
        with FakeSMTP(ext=['PIPELINING'], on_data=silent_after_dot) as srv:
            check('silent after DATA', srv, m, r'^451 4\.4\.2 .*timeout while waiting for the reply to the end of the message$')

        def giant(c):
            c.reply('220 x ESMTP')
            c.readline()
            c.send('250-' + 'x' * (1 << 20))
            time.sleep(5)
        with FakeSMTP(handler=giant) as srv:
            check('giant line', srv, m, r'^451 4\.4\.2 .*reply too long while waiting for the EHLO reply$')

        def endless(c):
            c.reply('220 x ESMTP')
            c.readline()
            for i in range(100000):
                if not c.send('250-x%d\r\n' % i):
                    return
        with FakeSMTP(handler=endless) as srv:
            check('endless multi-line', srv, m, r'^451 4\.4\.2 .*reply too long')

        def garbage(c):
            c.reply('220 x ESMTP')
            c.readline()
            c.reply('HELLO THERE I AM NOT SMTP')
            time.sleep(3)
        with FakeSMTP(handler=garbage) as srv:
            check('garbage reply', srv, m, r'^451 4\.4\.2 .*malformed reply while waiting for the EHLO reply$')

        def slam(c):
            pass
        with FakeSMTP(handler=slam) as srv:
            check('closed at once', srv, m, r'^451 4\.4\.2 .*connection closed while waiting for the greeting$')

        def garbage_rcpt(c):
            c.reply('220 x ESMTP')
            c.readline()
            c.reply('250 x')
            c.readline()
            c.reply('250 ok')
            c.readline()
            c.reply('\x00\x01\x02 binary junk')
            time.sleep(3)
        with FakeSMTP(handler=garbage_rcpt) as srv:
            check('garbage RCPT reply', srv, m, r'^451 4\.4\.2 .*malformed reply while waiting for a RCPT reply$')

        # a listener whose backlog is full: the SYN goes unanswered
        ls = socket.socket()
        ls.bind(('127.0.0.1', 0))
        ls.listen(0)
        port = ls.getsockname()[1]
        fill = []
        for i in range(3):
            f = socket.socket()
            f.setblocking(False)
            try:
                f.connect(('127.0.0.1', port))
            except BlockingIOError:
                pass
            fill.append(f)
        time.sleep(0.2)
        r = remote('smtp:[127.0.0.1]:%d' % port, job('C1', m, 'a@x.test', 'b@y.test'), ['-T', '2'], timeout=30)
        v = r.verdicts()
        if v and 'greeting' in v[0][3]:
            skip('the kernel completed the connection anyway', 2)
        else:
            is_(v[0][3] if v else '', '451 4.4.1 connect to 127.0.0.1[127.0.0.1]:%d: timeout' % port, 'connect timeout: T 4.4.1')
            ok(r.secs < 8, '  within the cap (%.1f s)' % r.secs)
        for f in fill:
            f.close()
        ls.close()

        # memory stays bounded on a giant reply
        def giant2(c):
            c.reply('220 x ESMTP')
            c.readline()
            for i in range(64):
                if not c.send('x' * 65536):
                    return
            time.sleep(3)
        with FakeSMTP(handler=giant2) as srv:
            p = subprocess.Popen([bin_path('dcr-remote'), '-T', '5', srv.target], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            with RssPeak(p.pid) as peak:
                out, err = p.communicate(job('G', m, 'a@x.test', 'b@y.test').encode(), timeout=30)
            like(out, rb'^G\tb@y.test\tT\t451 4\.4\.2 ', '4 MiB of junk: T')
            if peak.base:
                ok(peak.peak < 8000, 'RSS stays small (peak %d KiB)' % peak.peak)
            else:
                skip('RSS not readable')


run(main, timeout=200)
