# ISC license.
"""smtpdlib: run dcr-smtpd alone on a socketpair (no dcr-tcpd), with a
tiny shell child, for the tests of tests/smtpd/. TAP from dcrtest."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *  # noqa: F401,F403
from dcrtest import bin_path

# the child keeps the message and the SMTP_* environment, prints an id
CHILD = ('cat > "$OUT/msg"; env | grep -E "^(SMTP_|DCR_|TMPDIR=)" > "$OUT/env"; '
         'echo "$DCR_ID"')


class Smtpd(object):
    """dcr-smtpd on a socketpair: send(), reply(), expect(), log()."""

    def __init__(self, opts=(), env=None, child=None, routes=None):
        self.dir = tempfile.mkdtemp(prefix='dcrsmtpd-')
        args = [bin_path('dcr-smtpd'), '-h', 'mx.test', '-S', self.dir, '-t', '5', '-T', '5']
        if routes is not None:
            with open(os.path.join(self.dir, 'routes'), 'w') as f:
                f.write(routes)
            args += ['-R', os.path.join(self.dir, 'routes')]
        args += list(opts) + ['/bin/sh', '-c', child or CHILD]
        e = {k: v for k, v in os.environ.items() if not k.startswith(('TCP', 'RELAYCLIENT', 'SMTP_'))}
        e.update({'TCPREMOTEIP': '192.0.2.9', 'OUT': self.dir})
        e.update(env or {})
        self.sock, other = socket.socketpair()
        self.logf = open(os.path.join(self.dir, 'log'), 'wb')
        self.proc = subprocess.Popen(args, stdin=other, stdout=other, stderr=self.logf, env=e)
        other.close()
        self.sock.settimeout(10)
        self.buf = b''
        self.greeting = self.reply()

    def send(self, data):
        self.sock.sendall(data.encode('latin-1') if isinstance(data, str) else data)

    def line(self):
        while b'\r\n' not in self.buf:
            try:
                c = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not c:
                return None
            self.buf += c
        l, self.buf = self.buf.split(b'\r\n', 1)
        return l.decode('latin-1')

    def reply(self):
        out = []
        while True:
            l = self.line()
            if l is None:
                return '\n'.join(out) if out else None
            out.append(l)
            if len(l) < 4 or l[3] != '-':
                return '\n'.join(out)

    def expect(self, prefix, name):
        r = self.reply()
        if not ok(r is not None and r.startswith(prefix), name):
            diag('got: %r' % (r,))
        return r

    def file(self, name):
        try:
            with open(os.path.join(self.dir, name), 'rb') as f:
                return f.read()
        except OSError:
            return None

    def log(self):
        self.logf.flush()
        return (self.file('log') or b'').decode('latin-1')

    def close(self):
        try:
            self.sock.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.logf.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
