# ISC license.
"""tcpdlib: helpers for the dcr-tcpd script tests (python3 stdlib only).

    with Tcpd(['-v'], ENVPROG) as t:       # dcr-tcpd on 127.0.0.1, port 0
        out = t.talk(b'')                   # connect, read to EOF
        env = parse_env(out)

dcr-tcpd is started on port 0 (the kernel picks a free port; it is read
from the event=start log line), in its own process group with its log on
a file, and the whole group is killed on exit, even when a test fails.
TAP comes from tests/lib/dcrtest.py.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import bin_path, read_all, read_line  # noqa: E402

TCPD = bin_path('dcr-tcpd')

# a program written for tcpserver: print the UCSPI environment and what
# the client sent first, then exit
ENVPROG = ['/bin/sh', '-c',
           'read line; env | grep -E "^(PROTO|TCP[A-Z]*|[A-Z]*CLIENT|T_[A-Z]*)=" | sort;'
           ' echo "LINE=$line"; echo END']
# say hello, then hold the session until the client closes it
HOLDPROG = ['/bin/sh', '-c', 'echo hello; exec cat >/dev/null']


def parse_env(data):
    """Lines NAME=value of the program's output, as a dict."""
    env = {}
    for line in data.decode('latin-1').splitlines():
        m = re.match(r'^([A-Za-z_][A-Za-z0-9_]*)=(.*)$', line)
        if m:
            env[m.group(1)] = m.group(2)
    return env


class Tcpd(object):
    def __init__(self, opts, prog, host='127.0.0.1', env=None, pass_fds=(), port=0, wait=True, inherit=True):
        self.tmp = tempfile.mkdtemp(prefix='dcr-tcpd-test-')
        self.logpath = os.path.join(self.tmp, 'log')
        self.host = host
        self.family = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.port = None
        e = dict(os.environ) if inherit else {}
        e.update(env or {})
        with open(self.logpath, 'wb') as log:
            self.proc = subprocess.Popen(
                [TCPD] + list(opts) + [host, str(port)] + list(prog),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                env=e, pass_fds=pass_fds, start_new_session=True)
        if wait:
            m = self.wait_log(r'event=start .*port=(\d+)')
            if not m:
                self.close()
                raise RuntimeError('dcr-tcpd did not start: %r' % self.log())
            self.port = int(m.group(1))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def log(self):
        with open(self.logpath, 'rb') as f:
            return f.read().decode('latin-1')

    def wait_log(self, pattern, timeout=5, count=1):
        """Wait until pattern occurs count times in the log; the last match."""
        end = time.time() + timeout
        while True:
            ms = list(re.finditer(pattern, self.log()))
            if len(ms) >= count:
                return ms[count - 1]
            if time.time() > end or self.proc.poll() is not None and len(ms) < count:
                ms = list(re.finditer(pattern, self.log()))
                return ms[count - 1] if len(ms) >= count else None
            time.sleep(0.02)

    def connect(self, src=None, timeout=5):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if src:
            s.bind((src, 0))
        s.connect((self.host, self.port))
        return s

    def talk(self, data=b'', src=None, timeout=5):
        """Connect, send data, read until the server closes."""
        s = self.connect(src, timeout)
        try:
            if data:
                s.sendall(data)
            return readall(s)
        finally:
            s.close()

    def wait(self, timeout=5):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


readall = read_all   # dcrtest's


readline = read_line   # dcrtest's


def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(('::1', 0))
        s.close()
        return True
    except OSError:
        return False


class TempDir(object):
    """A temporary directory, removed on exit: with TempDir() as d: d.path('x')"""
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='dcr-tcpd-test-')

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        """Write aside and rename into place, as an administrator's tool would."""
        p = self.path(name)
        with open(p + '.tmp', 'w') as f:
            f.write(text)
        os.rename(p + '.tmp', p)
        return p

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        return False
