#!/usr/bin/python3
# Proves: with stdin left open, dcr-remote keeps its connection between
# jobs, then after -i SECONDS without a job says QUIT and exits 0; many
# jobs (50) over one connection; a verdict for each job is flushed as
# soon as it is known (a runner can wait for it); -n splits a job into
# transactions of at most n recipients; long options work.
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *


def main():
    with TempDir() as td, FakeSMTP(ext=['PIPELINING', '8BITMIME']) as srv:
        m = td.write('m', b'Subject: t\n\nhello\n')
        p = subprocess.Popen([bin_path('dcr-remote'), '--idle', '1', '--timeout-cap=10', srv.target],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(job('A1', m, 'a@x.test', 'b@y.test').encode())
        p.stdin.flush()
        t0 = time.time()
        first = p.stdout.readline()
        like(first, rb'^A1\tb@y.test\tD\t', 'verdict flushed while stdin stays open')
        is_(p.stdout.readline(), b'A1\tdone\n', 'done flushed')
        try:
            rc = p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = None
        secs = time.time() - t0
        is_(rc, 0, 'exit 0 after the idle time')
        ok(0.8 < secs < 5, 'idle exit after about 1 s (%.1f s)' % secs)
        is_(srv.quits, 1, 'QUIT sent')
        like(p.stderr.read(), rb'event=exit reason=idle jobs=1', 'logged: idle')
        p.stdin.close()
        p.stdout.close()

        jobs = ''.join(job('J%d' % i, m, 'a@x.test', 'r%d@y.test' % i) for i in range(50))
        r = remote(srv.target, jobs, ['-T', '10'])
        is_(len([v for v in r.verdicts() if v[2] == 'D']), 50, '50 jobs delivered')
        is_(srv.connections, 2, 'over one more connection')
        is_(len(srv.commands('RSET')), 0, 'no RSET between successful transactions')

        # -n: at most that many recipients per transaction, on the same connection
        before = len(srv.messages)
        r = remote(srv.target, job('N1', m, 'a@x.test', *['n%d@y.test' % i for i in range(5)]), ['-n', '2', '-T', '10'])
        is_([v[2] for v in r.verdicts()], ['D'] * 5, '-n 2: five recipients delivered')
        is_([len(x['rcpts']) for x in srv.messages[before:]], [2, 2, 1], '  in transactions of 2, 2 and 1')
        is_(srv.connections, 3, '  over one connection')


run(main, timeout=60)
