#!/usr/bin/python3
# Proves: a 421 greeting is T 4.4.2 naming the peer; a 421 to RCPT is T
# for every recipient of the job and the connection is closed, the next
# job opens a new one; a server that drops the connection in the middle
# of DATA gives T 4.4.2 for all its recipients; a server that closed an
# idle connection between jobs (after 421, or silently) is noticed and
# the next job is delivered on a new connection; QUIT at EOF.
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *


def main():
    with TempDir() as td:
        m = td.write('m', b'Subject: t\n\n' + b'line\n' * 20000)

        with FakeSMTP(greeting='421 4.3.2 too busy') as srv:
            r = remote(srv.target, job('G1', m, 'a@x.test', 'b@y.test', 'c@y.test'), ['-T', '10'])
            v = r.verdicts()
            is_([x[2] for x in v], ['T', 'T'], '421 greeting: T for both')
            like(v[0][3] if v else '', r'^451 4\.4\.2 127\.0\.0\.1\[127\.0\.0\.1\]:%d greeted us with: 421 4\.3\.2 too busy$' % srv.port,
                 '  4.4.2, naming host, IP, port and the greeting')
            is_(r.done(), ['G1'], '  done')

        with FakeSMTP(ext=['PIPELINING']) as srv:
            r = remote(srv.target, job('R1', m, 'a@x.test', 'ok@y.test', 'bye@y.test', 'z@y.test')
                       + job('R2', m, 'a@x.test', 'ok2@y.test'), ['-T', '10'])
            is_([(x[1], x[2], x[3]) for x in r.verdicts('R1')],
                [('ok@y.test', 'T', '421 4.3.2 closing now'), ('bye@y.test', 'T', '421 4.3.2 closing now'),
                 ('z@y.test', 'T', '421 4.3.2 closing now')], '421 at RCPT: T with the 421 for every recipient')
            is_([x[2] for x in r.verdicts('R2')], ['D'], 'next job delivered')
            is_(srv.connections, 2, '  on a new connection')

        def drop(c):
            c.readline()
            c.readline()
            c.close()
            return False
        with FakeSMTP(ext=['PIPELINING'], on_data=drop) as srv:
            r = remote(srv.target, job('X1', m, 'a@x.test', 'b@y.test', 'c@y.test'), ['-T', '10'])
            v = r.verdicts()
            is_([x[2] for x in v], ['T', 'T'], 'dropped mid-DATA: T for all')
            like(v[0][3] if v else '', r'^451 4\.4\.2 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: ', '  4.4.2 naming the peer')
            is_(r.rc, 0, '  exit 0')

        # the server ends idle connections between jobs
        served = []

        def dot(msg):
            served.append(1)
            return '250 2.0.0 ok'
        with FakeSMTP(ext=['PIPELINING'], dot=dot) as srv:
            p = subprocess.Popen([bin_path('dcr-remote'), '-h', 'c.test', '-T', '10', srv.target],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            p.stdin.write(job('I1', m, 'a@x.test', 'b@y.test').encode())
            p.stdin.flush()
            first = p.stdout.readline()
            p.stdout.readline()
            like(first, rb'^I1\tb@y.test\tD\t', 'first job delivered')
            # the server says 421 unasked and closes (RFC 5321 3.8)
            for c in list(srv.conns):
                c.reply('421 4.4.2 idle too long')
                c.close()
            time.sleep(0.3)
            p.stdin.write(job('I2', m, 'a@x.test', 'c@y.test').encode())
            p.stdin.flush()
            second = p.stdout.readline()
            like(second, rb'^I2\tc@y.test\tD\t', 'job after an unasked 421 delivered')
            p.stdout.readline()
            for c in list(srv.conns):
                c.close()   # silently this time
            time.sleep(0.3)
            p.stdin.write(job('I3', m, 'a@x.test', 'd@y.test').encode())
            p.stdin.close()
            rest = p.stdout.read()
            p.wait(10)
            like(rest, rb'^I3\td@y.test\tD\t', 'job after a silent close delivered')
            is_(srv.connections, 3, 'three connections')
            is_(p.returncode, 0, 'exit 0')
            is_(srv.quits, 1, 'QUIT at EOF')


run(main, timeout=120)
