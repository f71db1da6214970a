#!/usr/bin/python3
# Proves, for dcr-tcpd -P (pre-started sessions) with dcr-smtpd: the
# spares are started before any connection; -u retires a process after
# that many connections; a session process killed -9 mid-session ends
# only its connection (dcr-tcpd logs it, counts it gone and serves the
# next); --max-per-ip and --max-conns count pre-started connections;
# SIGHUP replaces the idle processes and lets a busy one finish first;
# SIGTERM closes an idle session with 421 and leaves no process behind,
# even with a program that never reads its socket.
# With a program that does not speak the protocol, connections are
# still served (spawned one by one), and one that exits at once is
# logged and restarted at most once a second.
import os, re, signal, socket, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, '..', 'lib'))
from dcrtest import *
from tcpdlib import Tcpd

PRE = re.compile(r'event=connect pid=(\d+) ip=\S+ port=\d+ conns=\d+ prestarted=1')


def idle_workers(gw):
    """children of dcr-tcpd with /dev/null on fd 0: waiting for a connection"""
    out = []
    for pid in children_of(gw.proc.pid):
        try:
            if os.readlink('/proc/%d/fd/0' % pid) == '/dev/null':
                out.append(pid)
        except OSError:
            pass
    return sorted(out)


def quit_session(gw):
    c = gw.raw()
    c.cmd('QUIT')
    c.closed(3)
    c.close()
    time.sleep(0.1)


def spares_and_maxuse():
    with Gateway(tcpd_opts=['-v', '-P', '2', '-u', '3']) as gw:
        ok(wait_for(lambda: len(idle_workers(gw)) == 2), 'two spare sessions started before any connection')
        for i in range(8):
            quit_session(gw)
        pids = [int(p) for p in PRE.findall(gw.log())]
        is_(len(pids), 8, 'all eight connections went to pre-started sessions')
        use = {p: pids.count(p) for p in pids}
        ok(use and max(use.values()) <= 3, 'no process served more than -u 3 connections (%s)' % sorted(use.values()))
        ok(len(use) >= 3, 'so more than two processes served them (%d)' % len(use))
        ok(wait_for(lambda: all(p not in children_of(gw.proc.pid) for p, n in use.items() if n == 3)),
           'a process that served 3 has exited')


def kill9_busy():
    with Gateway(tcpd_opts=['-v', '-P', '1']) as gw:
        c = gw.raw()
        c.cmd('EHLO a.test')
        pids = smtpd_pids(gw)
        is_(len(pids), 1, 'one process holds the connection')
        os.kill(pids[0], signal.SIGKILL)
        ok(c.closed(3), 'killed -9: its client sees the connection close')
        c.close()
        ok(wait_for(lambda: re.search(r'event=end pid=%d status=signal:9 conns=0' % pids[0], gw.log())),
           'dcr-tcpd logged its end, no connection left counted')
        c = gw.raw()
        is_(c.cmd('NOOP')[0], 250, 'the next connection is served')
        c.close()


def limits():
    with Gateway(tcpd_opts=['-P', '4', '-C', '2', '-c', '3']) as gw:
        a, b = gw.raw(), gw.raw()
        c = gw.raw(banner=False)
        like(c.reply()[1], r'^421 4\.7\.0 ', '--max-per-ip 2: a third connection from 127.0.0.1 gets 421')
        c.close()
        a.cmd('QUIT')
        a.closed(3)
        a.close()
        ok(wait_for(lambda: len(smtpd_pids(gw)) == 1), 'one session left')
        time.sleep(0.2)
        d = gw.raw()
        is_(d.greeting[0], 220, 'after one ended a new one is served')
        e, f = From2(gw), From2(gw)
        like(e.reply()[1], r'^220 ', 'a third from another address is served')
        like(f.reply()[1], r'^421 ', '--max-conns 3: a fourth from anywhere gets 421')
        for x in (b, d, e, f):
            x.close()


def From2(gw):
    c = RawClient.__new__(RawClient)
    c.timeout = 10
    c.sock = socket.create_connection((gw.host, gw.port), timeout=10, source_address=('127.0.0.2', 0))
    c.buf, c.eof, c.last_sent = b'', False, b''
    return c


def hup_and_term():
    with Gateway(tcpd_opts=['-v', '-P', '2']) as gw:
        ok(wait_for(lambda: len(idle_workers(gw)) == 2), 'two spares')
        busy = gw.raw()
        busy.cmd('EHLO busy.test')
        bpid = smtpd_pids(gw)
        ok(wait_for(lambda: len(idle_workers(gw)) == 2), 'two spares beside the busy one')
        before = idle_workers(gw)
        os.kill(gw.proc.pid, signal.SIGHUP)
        ok(wait_for(lambda: len(idle_workers(gw)) == 2 and not set(before) & set(idle_workers(gw))),
           'SIGHUP: the idle processes were replaced')
        is_(busy.cmd('NOOP')[0], 250, 'the busy session goes on after SIGHUP')
        busy.cmd('QUIT')
        busy.closed(3)
        busy.close()
        ok(bpid and wait_for(lambda: bpid[0] not in children_of(gw.proc.pid)), 'and its process leaves after it')
        idle = gw.raw()
        idle.cmd('EHLO idle.test')
        group = [gw.proc.pid] + children_of(gw.proc.pid)
        os.kill(gw.proc.pid, signal.SIGTERM)
        like(idle.reply(5)[1], r'^421 4\.3\.2 ', 'SIGTERM: the idle session gets 421')
        idle.close()
        try:
            code = gw.proc.wait(5)
        except Exception:
            code = None
        is_(code, 0, 'dcr-tcpd exits 0')
        ok(wait_for(lambda: not [p for p in group if os.path.exists('/proc/%d' % p) and
                                 open('/proc/%d/stat' % p).read().split(') ')[1][0] != 'Z']),
           'no process of the listener is left')


def foreign_programs():
    # reads its stdin (the pool socket) forever: never ready
    prog = ['/bin/sh', '-c', 'echo "TCPREMOTEIP=$TCPREMOTEIP"; read x']
    with Tcpd(['-v', '-P', '2'], prog) as t:
        s = t.connect()
        s.settimeout(5)
        like(s.recv(100), rb'^TCPREMOTEIP=127\.0\.0\.1', 'a program not speaking the protocol is still spawned per connection')
        s.close()
        ok(not re.search(r'prestarted=1', t.log()), 'nothing was handed to it')
    # never reads its socket, so never sees an EOF: SIGTERM still ends it
    with Tcpd(['-v', '-P', '2'], ['/bin/sh', '-c', 'echo "TCPREMOTEIP=$TCPREMOTEIP"; exec sleep 60']) as t:
        s = t.connect()
        s.settimeout(5)
        like(s.recv(100), rb'^TCPREMOTEIP=', 'a program that never reads its socket: connections spawned')
        time.sleep(0.3)
        os.kill(t.proc.pid, signal.SIGTERM)
        is_(t.wait(5), 0, 'SIGTERM: dcr-tcpd exits 0 all the same, its programs told to go')
        s.close()
    with Tcpd(['-v', '-P', '2'], ['/bin/sh', '-c', 'echo hi']) as t:
        like(t.talk(), rb'^hi', 'one that exits at once: connections still served')
        time.sleep(2)
        n = len(re.findall(r'exited before it was ready', t.log()))
        ok(1 <= n <= 8, 'its exits are logged, and it is restarted at most about twice a second (%d in 2 s)' % n)


def main():
    spares_and_maxuse()
    kill9_busy()
    limits()
    hup_and_term()
    foreign_programs()


run(main, 90)
