#!/usr/bin/python3
# SIGTERM: dcr-tcpd closes its listening socket (new connections are
# refused by the kernel), passes SIGTERM on to its sessions, lets those
# that go on finish, then exits 0. (dcr-smtpd's answer to it: tests/smtp/90.)
import os, signal, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run

PROG = ['/bin/sh', '-c', 'trap "" TERM; echo hello; read x; echo "bye $x"']
PLAIN = ['/bin/sh', '-c', 'echo hello; read x; echo "bye $x"']


def main():
    with Tcpd(['-v'], PROG) as t:
        a = t.connect()
        is_(readline(a), b'hello\n', 'a session is open')
        t.proc.send_signal(signal.SIGTERM)
        ok(t.wait_log(r'event=stop conns=1'), 'stop logged with one session left')
        try:
            t.connect().close()
            ok(False, 'new connections are refused')
        except ConnectionRefusedError:
            ok(True, 'new connections are refused')
        time.sleep(0.2)
        ok(t.proc.poll() is None, 'still running while the session is open')
        a.sendall(b'now\n')
        is_(readall(a), b'bye now\n', 'the open session completes')
        a.close()
        is_(t.wait(5), 0, 'then dcr-tcpd exits 0')
        like(t.log(), r'event=end pid=\d+ status=0 conns=0\n.*event=exit', 'session end, then exit, logged')

    with Tcpd([], PLAIN) as t:
        a = t.connect()
        is_(readline(a), b'hello\n', 'a session of a program that does not catch SIGTERM')
        t.proc.send_signal(signal.SIGTERM)
        is_(readall(a), b'', 'gets SIGTERM too and ends')
        is_(t.wait(5), 0, 'then dcr-tcpd exits 0')

    with Tcpd([], PROG) as t:
        t.proc.send_signal(signal.SIGTERM)
        is_(t.wait(5), 0, 'SIGTERM with no session: exit 0 at once')


run(main, timeout=30)
