#!/usr/bin/python3
# ISC license.
"""Ctrl-C stops an instance run in the foreground, as `make run` does
(tools/run-default execs s6-svscan): in a pseudo-terminal, s6-svscan on a
dcr-setup instance, a client sitting idle in a session, then ^C. The
terminal's SIGINT reaches s6-svscan (taken as SIGTERM) and each
s6-supervise (passed to its service's process group): everything must be
gone within seconds, the idle session included, and what was accepted
before is kept: in the queue, or delivered by the runner."""

import os
import pty
import select
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dcrtest import ok, is_, diag, skip, run, bin_path, queued_id, qid_bucket  # noqa: E402
from s6lib import free_port, procs_under, wait_ready, kill_under  # noqa: E402


def main():
    if not shutil.which('s6-svscan') or not os.path.exists('/usr/bin/execlineb'):
        skip('s6 or execline is not installed', 1)
        return
    tmp = tempfile.mkdtemp(prefix='dcr-setup-ctrlc-')
    pid = fd = None
    idle = None
    try:
        inst = os.path.join(tmp, 'inst')
        port = free_port('127.0.0.1')
        r = subprocess.run([bin_path('dcr-setup'), inst, '--hostname', 'mx.setup.test',
                            '--smtp', '127.0.0.1:%d' % port,
                            '--route', 'example.test maildir:%s/mail' % tmp],
                           capture_output=True, text=True, timeout=30)
        if not is_(r.returncode, 0, 'dcr-setup makes the instance'):
            diag(r.stderr)
            return
        # the child is a session leader with the pty as its terminal, in
        # the foreground: what a shell does with `exec s6-svscan ...`
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execvp('s6-svscan', ['s6-svscan', os.path.join(inst, 'service')])
            finally:
                os._exit(127)
        svc = os.path.join(inst, 'service', 'smtpd-127.0.0.1-%d' % port)
        if not ok(wait_ready(svc), 'the listener is up and ready'):
            return
        s = smtplib.SMTP('127.0.0.1', port, timeout=10)
        s.ehlo('client.setup.test')
        s.mail('sender@client.setup.test')
        s.rcpt('user@example.test')
        code, text = s.data(b'Subject: before ^C\r\n\r\nhello\r\n')
        s.quit()
        qid = queued_id(text)
        ok(code == 250 and qid, 'a message is queued first: %r' % ((code, text),))

        idle = socket.create_connection(('127.0.0.1', port), timeout=10)
        ok(idle.recv(200).startswith(b'220'), 'a client sits idle in a session')

        t0 = time.time()
        os.write(fd, b'\x03')        # ^C: the tty sends SIGINT to its foreground group
        status = None
        while time.time() - t0 < 10:
            try:
                r, _, _ = select.select([fd], [], [], 0.1)
                if r:
                    os.read(fd, 4096)
            except OSError:
                pass
            wpid, st = os.waitpid(pid, os.WNOHANG)
            if wpid:
                status = st
                pid = None
                break
        ok(status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
           's6-svscan exits 0 on ^C (status %r after %.1fs)' % (status, time.time() - t0))
        while procs_under(tmp) and time.time() - t0 < 10:
            time.sleep(0.1)
        left = procs_under(tmp)
        ok(not left, 'every process of the instance is gone, the idle session too (%.1fs)'
           % (time.time() - t0))
        if left:
            diag(subprocess.run(['ps', '-o', 'pid,pgid,stat,args', '-p',
                                 ','.join(map(str, left))],
                                capture_output=True, text=True).stdout)
        idle.settimeout(5)
        try:
            got = idle.recv(200)
        except OSError:
            got = b''
        ok(not got or got.startswith(b'421'), 'the idle client sees the close (%r)' % (got,))
        delivered = os.listdir(os.path.join(tmp, 'mail', 'new')) if os.path.isdir(os.path.join(tmp, 'mail', 'new')) else []
        queued = qid and (os.path.exists(os.path.join(inst, 'queue', 'new', qid))
                          or os.path.exists(os.path.join(inst, 'queue', 'env', qid_bucket(qid), qid)))
        ok(qid and (queued or len(delivered) == 1),
           'the message accepted before ^C is in the queue or delivered (%s)' % ('queued' if queued else delivered))
    finally:
        if idle:
            idle.close()
        if pid:
            subprocess.run(['s6-svscanctl', '-q', os.path.join(tmp, 'inst', 'service')],
                           timeout=10, capture_output=True)
            time.sleep(0.5)
        kill_under(tmp)
        if pid:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except OSError:
                pass
        if fd is not None:
            os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)


run(main, timeout=60)
