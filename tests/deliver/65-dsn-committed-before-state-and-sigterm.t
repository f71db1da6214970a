#!/usr/bin/python3
# Proves: when one job of a message fails for good while another job of
# the same message is still out, the DSN is committed with the failed
# state (not at the message's end): kill -9 at that moment and restart,
# and exactly one DSN reaches the sender. And SIGTERM with an agent still
# busy: the runner neither spins (a trigger write does not busy-loop it)
# nor exits before the agent's verdict; then it exits 0.
import os, sys, time, signal, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

hold = {'on': True}


def slow_dot(msg):
    while hold['on']:
        time.sleep(0.05)
    return '250 2.0.0 finally'


def cpu(pid):
    f = open('/proc/%d/stat' % pid).read().split(')')[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')


def main():
    with FakeSMTP() as bad, FakeSMTP(dot=slow_dot) as slow, Relay('a.test %s\nb.test %s\n' % (bad.target, slow.target),
                                                                  qrun=False) as gw:
        box = gw.path('dsn')
        gw.write_routes('a.test %s\nb.test %s\nsrc.test maildir:%s\n' % (bad.target, slow.target, box))
        gw.start_qrun()
        qid = gw.send('alice@src.test', ['permfail@a.test', 'ok@b.test'], b'Subject: two jobs\r\n\r\nx\r\n')
        ok(wait(lambda: 'rcpt\tfailed' in (gw.envelope(qid) or ''), 10), 'the failed recipient is recorded while the other job is out')
        # the DSN delivered AND its envelope gone: killed earlier, its own
        # delivery is in flight and may rightly be made again (at least once)
        ok(wait(lambda: maildir_files(box) and gw.queued() == [qid], 10), 'its DSN is already out and done, before the message ends')
        gw.kill_qrun(signal.SIGKILL)
        hold['on'] = False
        gw.start_qrun()
        ok(wait(lambda: not gw.queued(), 15), 'after the restart the message ends')
        time.sleep(0.5)
        is_(len(maildir_files(box)), 1, 'exactly one DSN')
        # SIGTERM while an agent is busy
        hold['on'] = True
        q2 = gw.send('alice@src.test', ['ok2@b.test'], b'Subject: slow\r\n\r\ny\r\n')
        ok(wait(lambda: len([l for l in slow.log if l.upper().startswith(b'DATA')]) >= 2, 10), 'a delivery is in flight (its DATA sent)')
        time.sleep(0.5)
        pid = gw.qproc.pid
        os.kill(pid, signal.SIGTERM)
        env = dict(os.environ, SMTP_SENDER='a@src.test', SMTP_RECIPIENTS='x@b.test')
        subprocess.run([bin_path('dcr-enqueue'), gw.queue], input=b'Subject: t\n\nz\n', env=env, capture_output=True, timeout=10)
        c0 = cpu(pid)
        time.sleep(1.0)
        ok(gw.qproc.poll() is None, 'the runner waits for the busy agent')
        ok(cpu(pid) - c0 < 0.3, 'without spinning (%.2fs CPU in 1s)' % (cpu(pid) - c0))
        hold['on'] = False
        try:
            rc = gw.qproc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        is_(rc, 0, 'it exits 0 once the verdict is in')
        gw.qproc = None
        like(gw.qlog(), r'event=delivered id=%s rcpt=ok2@b.test' % q2, 'the in-flight delivery was recorded before the exit')


run(main, timeout=90)
