#!/usr/bin/python3
# Proves: the per-destination and global agent limits: a slow destination
# (each message takes 1.5 s) gets at most concurrency-per-dest agents at
# once, and while it is saturated a fast destination's mail still goes
# out at once; the slow one's mail all arrives in the end, over at most
# that many connections at a time, each reused for several messages.
import os, sys, time, threading
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

lock = threading.Lock()
state = {'active': 0, 'peak': 0}


def slow_dot(msg):
    with lock:
        state['active'] += 1
        state['peak'] = max(state['peak'], state['active'])
    time.sleep(1.5)
    with lock:
        state['active'] -= 1
    return '250 2.0.0 slowly'


def main():
    with FakeSMTP(dot=slow_dot) as slow, AioSink() as fast, \
         Relay('slow.test %s\nfast.test %s\n' % (slow.target, fast.target),
               conf={'concurrency': '4', 'concurrency-per-dest': '2', 'agent-idle': '5'}) as gw:
        for i in range(6):
            gw.send('a@src.test', ['s%d@slow.test' % i], b'Subject: s\r\n\r\nslow\r\n')
        time.sleep(0.3)
        t0 = time.time()
        for i in range(3):
            gw.send('a@src.test', ['f%d@fast.test' % i], b'Subject: f\r\n\r\nfast\r\n')
        ok(wait(lambda: len(fast.envelopes) == 3, 5), 'the fast destination is served while the slow one is busy')
        ok(time.time() - t0 < 3, 'at once (%.1fs)' % (time.time() - t0))
        ok(wait(lambda: len(slow.messages) == 6, 20), 'the slow destination gets all six in the end')
        is_(state['peak'], 2, 'never more than concurrency-per-dest (2) transactions at once there')
        ok(slow.connections <= 3, 'over few connections, reused (%d)' % slow.connections)
        ok(wait(lambda: not gw.queued(), 5), 'queue empty')


run(main, timeout=90)
