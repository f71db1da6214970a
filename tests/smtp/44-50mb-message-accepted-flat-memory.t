#!/usr/bin/python3
# Proves: a message just under the 50 MB limit passes end to end: 250,
# stored complete (size and last line checked) in LF form, and the session
# process memory stays flat (< 2 MB RSS growth) while it streams.
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

LINE = b'y' * 998 + b'\r\n'
BLOCK = LINE * 1000           # 1,000,000 octets
NBLOCKS = 50                  # 50,000,000 octets < 52,428,800


def main():
    with Gateway(max_size=52428800) as gw:
        with gw.raw(timeout=60) as c:
            c.cmd('EHLO client.dcrtest')
            pids = smtpd_pids(gw)
            c.cmd('MAIL FROM:<a@localhost> SIZE=50000100')
            c.cmd('RCPT TO:<b@localhost>')
            is_(c.cmd('DATA')[0], 354, 'DATA 354')
            head = b'Subject: fifty megabytes\r\n\r\n'
            with RssPeak(pids[0] if pids else None) as m:
                c.send(head)
                for _ in range(NBLOCKS):
                    c.send(BLOCK)
                c.send(b'the end\r\n.\r\n')
                code, text = c.reply(60)
            is_(code, 250, '50 MB message accepted')
            qid = queued_id(text)
            diag('session RSS %s KiB -> peak %d KiB' % (m.base, m.peak))
            ok(m.base and m.grew() < 2048, 'session RSS grew less than 2 MiB')
        if ok(qid in gw.queued(), 'queued'):
            p = gw.message_path(qid)
            want = len(head) - 2 + NBLOCKS * len(BLOCK) * 999 // 1000 + len(b'the end\n')
            size = os.path.getsize(p)
            ok(size > want and size - want < 4096,
               'stored size = body in LF form + Received (%d vs %d)' % (size, want))
            with open(p, 'rb') as f:
                f.seek(-(999 + 8), os.SEEK_END)
                is_(f.read(), b'y' * 998 + b'\nthe end\n', 'stored message ends complete')


run(main, timeout=90)
