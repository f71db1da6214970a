#!/usr/bin/python3
# Proves: dcr-qctl drives a running dcr-qrun through the control fifo:
# list shows a deferred message with its reply and next try; hold stops
# its delivery (the envelope says hold), release and retry deliver it at
# once although its next try is an hour away; bounce ends a message with
# a DSN to the sender; delete ends one silently; pause holds new mail for
# a domain and resume lets it go; stats counts what is there.
import os, sys, time, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

state = {'fail': True}


def rcpt(addr, line):
    if state['fail']:
        return '451 4.3.0 <%s>: not now' % addr
    return '250 2.1.5 ok'


def qctl(gw, *args):
    p = subprocess.run([bin_path('dcr-qctl'), '-q', gw.queue] + list(args), capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    with FakeSMTP(rcpt=rcpt) as srv, Relay('far.test %s\n' % srv.target, qrun=False,
                                            conf={'retry-base': '3600', 'retry-max': '3600'}) as gw:
        box = gw.path('bounces')
        gw.write_routes('far.test %s\nsrc.test maildir:%s\n' % (srv.target, box))
        gw.start_qrun()
        qid = gw.send('alice@src.test', ['bob@far.test'], b'Subject: q\r\n\r\nx\r\n')
        ok(wait(lambda: 'not now' in (gw.envelope(qid) or ''), 10), 'first attempt deferred')
        rc, out, err = qctl(gw, 'list')
        is_(rc, 0, 'list runs')
        like(out, qid, 'list shows the id')
        like(out, r'bob@far\.test', 'and the recipient')
        like(out, r'451 4\.3\.0 <bob@far\.test>: not now', 'and its last reply')
        rc, out, err = qctl(gw, 'hold', qid)
        is_(rc, 0, 'hold accepted: ' + out + err)
        ok(wait(lambda: 'hold\t1' in (gw.envelope(qid) or ''), 5), 'the runner marks the envelope held')
        state['fail'] = False
        n = len(srv.messages)
        rc, out, err = qctl(gw, 'retry', qid)
        time.sleep(1.5)
        is_(len(srv.messages), n, 'a held message is not retried')
        rc, out, err = qctl(gw, 'release', qid)
        is_(rc, 0, 'release accepted')
        ok(wait(lambda: 'hold' not in (gw.envelope(qid) or 'hold'), 5), 'released')
        rc, out, err = qctl(gw, 'retry', qid)
        is_(rc, 0, 'retry accepted')
        ok(wait(lambda: len(srv.messages) == n + 1, 10), 'retry delivers at once, not in an hour')
        ok(wait(lambda: not gw.queued(), 5), 'queue empty')
        # bounce and delete
        state['fail'] = True
        q2 = gw.send('alice@src.test', ['carol@far.test'], b'Subject: b\r\n\r\nx\r\n')
        q3 = gw.send('alice@src.test', ['dan@far.test'], b'Subject: d\r\n\r\nx\r\n')
        ok(wait(lambda: 'not now' in (gw.envelope(q2) or '') and 'not now' in (gw.envelope(q3) or ''), 10), 'both deferred')
        is_(qctl(gw, 'bounce', q2)[0], 0, 'bounce accepted')
        ok(wait(lambda: maildir_files(box), 10), 'bounce: a DSN reaches the sender')
        ok(wait(lambda: gw.envelope(q2) is None, 5), 'bounce: the message is gone')
        is_(qctl(gw, 'delete', q3)[0], 0, 'delete accepted')
        ok(wait(lambda: gw.envelope(q3) is None, 5), 'delete: gone')
        time.sleep(0.5)
        is_(len(maildir_files(box)), 1, 'delete sends no DSN')
        rc, out, err = qctl(gw, 'retry', '00000000000000000000000')
        is_(rc, 100, 'an unknown id: exit 100')
        # pause and resume a domain
        state['fail'] = False
        is_(qctl(gw, 'pause', 'far.test')[0], 0, 'pause far.test')
        ok(wait(lambda: 'far.test' in open(os.path.join(gw.queue, 'paused')).read() if os.path.exists(os.path.join(gw.queue, 'paused')) else False, 5), 'paused file written')
        n = len(srv.messages)
        q4 = gw.send('alice@src.test', ['erin@far.test'], b'Subject: p\r\n\r\nx\r\n')
        time.sleep(1.5)
        is_(len(srv.messages), n, 'nothing delivered to a paused domain')
        rc, out, err = qctl(gw, 'stats')
        is_(rc, 0, 'stats runs')
        like(out, r'far\.test', 'stats names the waiting domain')
        is_(qctl(gw, 'resume', 'far.test')[0], 0, 'resume far.test')
        ok(wait(lambda: len(srv.messages) == n + 1, 10), 'delivered at once after resume')
        like(gw.qlog(), r'event=control command=hold arg=%s' % qid, 'the runner logs each command')


run(main, timeout=120)
