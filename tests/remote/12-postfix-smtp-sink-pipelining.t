#!/usr/bin/python3
# Proves: dcr-remote works with Postfix's smtp-sink, a real pipelining
# server: 20 jobs of 3 recipients over one connection with PIPELINING,
# every message stored with its body and envelope; the same without
# PIPELINING (-p) and without ESMTP (-e, HELO); smtp-sink refusing RCPT
# (-f rcpt: P) or disconnecting at DATA (-q data: T 4.4.2).
import os, sys, time, socket, glob
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *

SINK = next((p for p in ('/usr/sbin/smtp-sink', '/usr/lib/postfix/sbin/smtp-sink') if os.path.exists(p)), None)
BODY = b'Subject: sink\n\n.starts with a dot\n..two\nend\n'


class Sink(object):
    def __init__(self, td, name, flags=()):
        self.dir = td.path(name)
        os.chmod(td.dir, 0o755)   # smtp-sink writes as nobody
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o777)
        self.flags = list(flags)

    def __enter__(self):
        for _ in range(3):
            self.port = free_port()
            argv = [SINK] + (['-u', 'nobody'] if os.getuid() == 0 else []) + self.flags + [
                '-d', os.path.join(self.dir, 'm.%H%M%S.'), '127.0.0.1:%d' % self.port, '50']
            self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
            deadline = time.time() + 5
            while time.time() < deadline and self.p.poll() is None:
                try:
                    socket.create_connection(('127.0.0.1', self.port), 0.2).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            self.__exit__()
        raise RuntimeError('smtp-sink did not start')

    def __exit__(self, *exc):
        self.p.kill()
        self.p.wait(5)

    @property
    def target(self):
        return 'smtp:[127.0.0.1]:%d' % self.port

    def dumps(self):
        out = []
        for f in sorted(glob.glob(os.path.join(self.dir, 'm.*'))):
            with open(f, 'rb') as fh:
                out.append(fh.read())
        return out


def main():
    if not SINK:
        skip('smtp-sink (postfix) not installed', 1)
        return
    with TempDir() as td:
        m = td.write('m', BODY)
        jobs = ''.join(job('P%02d' % i, m, 'from%d@x.test' % i, 'a%d@y.test' % i, 'b%d@y.test' % i, 'c%d@y.test' % i)
                       for i in range(20))
        for name, flags in (('pipelining', []), ('no pipelining', ['-p']), ('no ESMTP', ['-e'])):
            with Sink(td, name.replace(' ', '-'), flags) as s:
                r = remote(s.target, jobs, ['-T', '10'])
                is_(r.rc, 0, '%s: exit 0' % name)
                v = r.verdicts()
                is_(len(v), 60, '%s: 60 verdicts' % name)
                ok(all(x[2] == 'D' for x in v), '%s: all delivered' % name)
                like(r.err, rb'event=connect .*pipelining=%d' % (0 if flags else 1), '%s: PIPELINING seen as offered or not' % name)
                is_(len(re.findall(rb'event=connect ', r.err)), 1, '%s: one connection' % name)
                time.sleep(0.3)
                d = s.dumps()
                is_(len(d), 20, '%s: 20 messages stored' % name)
                ok(all(BODY in x for x in d), '%s: every body intact (dots unstuffed)' % name)
                ok(any(b'X-Rcpt-Args: <c7@y.test>' in x and b'X-Mail-Args: <from7@x.test>' in x for x in d), '%s: envelopes kept' % name)

        with Sink(td, 'refuse', ['-f', 'rcpt']) as s:
            r = remote(s.target, job('F1', m, 'a@x.test', 'b@y.test', 'c@y.test'), ['-T', '10'])
            is_([x[2] for x in r.verdicts()], ['P', 'P'], 'RCPT refused (5xx): P')
            like(r.verdicts()[0][3] if r.verdicts() else '', r'^5\d\d 5\.', '  with a 5.x.x code')
        with Sink(td, 'quit', ['-q', 'data']) as s:
            r = remote(s.target, job('Q1', m, 'a@x.test', 'b@y.test'), ['-T', '10'])
            like(r.verdicts()[0][3] if r.verdicts() else '', r'^451 4\.4\.2 .*connection closed while waiting for the DATA reply',
                 'disconnect at DATA: T 4.4.2')


run(main, timeout=120)
