# ISC license.
"""deliverlib: a whole gateway for the delivery tests.

Relay is dcrtest's Gateway (dcr-tcpd + dcr-smtpd + dcr-enqueue, loopback
clients may relay) plus dcr-qrun on the same queue and conf/, with short
retry times set through conf files (no special build):

    with AioSink() as sink, Relay('dest.test %s\\n' % sink.target) as gw:
        qid = gw.send('a@src.test', ['b@dest.test'], b'Subject: x\\n\\nhi\\n')
        gw.wait(lambda: sink.envelopes, 10)

The peers (AioSink, FakeSMTP, the smtp-sink wrapper) come from
tests/remote/remotelib.py.
"""

import os
import re
import select
import signal
import smtplib
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, os.path.join(HERE, '..', 'remote'))
from dcrtest import *            # noqa: F401,F403,E402
from dcrtest import Gateway, bin_path, diag, qid_bucket  # noqa: E402
import dcrtest                   # noqa: E402
from remotelib import AioSink, FakeSMTP, free_port  # noqa: F401,E402

FAST = {
    'retry-base': '1',
    'retry-max': '2',
    'agent-idle': '2',
    'down-time': '30',
    'job-timeout': '30',
}


class Relay(Gateway):
    """Gateway + dcr-qrun. conf: more conf/ files (over FAST); qrun=False
    to start the runner later with start_qrun()."""

    def __init__(self, routes, conf=None, qrun=True, qrun_env=None, qrun_args=(), **kw):
        c = dict(FAST)
        c.update(conf or {})
        kw.setdefault('relayclient', True)
        super().__init__(routes=routes, conf=c, **kw)
        self.want_qrun = qrun
        self.qrun_env = dict(qrun_env or {})
        self.qrun_args = list(qrun_args)
        self.qproc = None

    def start(self):
        super().start()
        if self.want_qrun:
            self.start_qrun()
        return self

    def start_qrun(self, timeout=10):
        env = dict(os.environ)
        env['PATH'] = os.path.dirname(bin_path('dcr-qrun')) + ':' + env.get('PATH', '/usr/bin:/bin')
        env.update(self.qrun_env)
        r, w = os.pipe()
        self.qlogf = open(self.path('qrun.log'), 'ab')
        try:
            self.qproc = subprocess.Popen(
                [bin_path('dcr-qrun'), '-d', str(w), '-c', self.confdir] + self.qrun_args + [self.queue],
                stdin=subprocess.DEVNULL, stdout=self.qlogf, stderr=self.qlogf,
                pass_fds=(w,), env=env, start_new_session=True, cwd=self.dir)
        finally:
            os.close(w)
        try:
            rl, _, _ = select.select([r], [], [], timeout)
            got = os.read(r, 16) if rl else b''
        finally:
            os.close(r)
        if got != b'\n':
            raise RuntimeError('dcr-qrun not ready: ' + self.qlog()[-2000:])
        return self.qproc

    def kill_qrun(self, sig=signal.SIGKILL):
        """Signal the runner's whole group (its agents too, as a crash would)."""
        if not self.qproc:
            return
        try:
            os.killpg(self.qproc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.qproc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.qproc.pid, signal.SIGKILL)
            self.qproc.wait(timeout=5)
        self.qproc = None

    def stop(self):
        try:
            if self.qproc:
                self.kill_qrun(signal.SIGKILL)
            if dcrtest._failed > self._failed_at_start and self.dir:
                diag('--- dcr-qrun log (last lines) ---')
                diag('\n'.join(self.qlog().splitlines()[-30:]))
        finally:
            if getattr(self, 'qlogf', None):
                self.qlogf.close()
            super().stop()

    def qlog(self):
        try:
            with open(self.path('qrun.log'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def write_routes(self, text):
        tmp = self.path('conf', 'routes.tmp')
        with open(tmp, 'w') as f:
            f.write(text)
        os.rename(tmp, self.path('conf', 'routes'))

    def send(self, sender, rcpts, body, mail_options=(), rcpt_options=(), timeout=10):
        """One message over SMTP; returns the queue id of the 250."""
        s = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            s.ehlo('client.test')
            code, msg = s.mail(sender, list(mail_options))
            if code != 250:
                raise RuntimeError('MAIL: %d %r' % (code, msg))
            for r in rcpts:
                code, msg = s.rcpt(r, list(rcpt_options))
                if code != 250:
                    raise RuntimeError('RCPT %s: %d %r' % (r, code, msg))
            code, msg = s.data(body)
            if code != 250:
                raise RuntimeError('DATA: %d %r' % (code, msg))
            m = re.search(rb'[0-9a-f]{23}', msg)
            return m.group(0).decode() if m else None
        finally:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def queued(self):
        """ids with an envelope in new/ or env/"""
        out = []
        for d, _, files in os.walk(self.queue):
            rel = os.path.relpath(d, self.queue)
            if rel == 'new' or rel.startswith('env'):
                out += [f for f in files if re.match(r'^[0-9a-f]{23}$', f)]
        return sorted(out)

    def envelope(self, qid):
        for p in (os.path.join(self.queue, 'env', qid_bucket(qid), qid), os.path.join(self.queue, 'new', qid)):
            try:
                with open(p) as f:
                    return f.read()
            except OSError:
                pass
        return None

    def control(self, line):
        fd = os.open(os.path.join(self.queue, 'control'), os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, (line + '\n').encode())
        finally:
            os.close(fd)


def wait(pred, timeout=10, step=0.05):
    """Poll pred until it is true or timeout seconds pass; returns its last value."""
    deadline = time.time() + timeout
    v = pred()
    while not v and time.time() < deadline:
        time.sleep(step)
        v = pred()
    return v


def maildir_files(path):
    d = os.path.join(path, 'new')
    try:
        return sorted(os.path.join(d, f) for f in os.listdir(d))
    except OSError:
        return []


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def listening(port, host='127.0.0.1'):
    import socket
    try:
        socket.create_connection((host, port), 0.2).close()
        return True
    except OSError:
        return False
