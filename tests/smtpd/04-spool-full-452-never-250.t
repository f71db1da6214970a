#!/usr/bin/python3
# Proves: when the spool file system is full (ENOSPC), the message is read
# to its end and refused 452 4.3.1, the child never runs, the session goes
# on; a spool dir that does not exist gives 451 4.3.0. Needs root and
# tmpfs mounts for the first part (skipped otherwise).
import os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpdlib import *


def send_big(s, lines):
    s.send('HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<postmaster>\r\nDATA\r\n')
    for _ in range(3):
        s.reply()
    s.expect('354', 'DATA')
    s.send(('x' * 998 + '\r\n') * lines + '.\r\n')


def main():
    small = tempfile.mkdtemp(prefix='dcrsmall-')
    mounted = os.geteuid() == 0 and subprocess.call(
        ['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small],
        stderr=subprocess.DEVNULL) == 0
    try:
        if not mounted:
            skip('cannot mount a small tmpfs here', 4)
        else:
            with Smtpd(opts=['-S', small]) as s:
                send_big(s, 200)
                s.expect('452 4.3.1', '200 kB into 64 kB: 452 4.3.1')
                is_(s.file('msg'), None, 'the child never ran')
                s.send('NOOP\r\n')
                s.expect('250', 'session goes on')
    finally:
        if mounted:
            subprocess.call(['umount', small])
        os.rmdir(small)
    with Smtpd(opts=['-S', '/nonexistent/spool']) as s:
        send_big(s, 1)
        s.expect('451 4.3.0', 'no spool dir: 451 4.3.0')


run(main)
