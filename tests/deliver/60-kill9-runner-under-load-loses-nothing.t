#!/usr/bin/python3
# Proves: kill -9 of dcr-qrun and its agents, three times while mail
# flows in and out, loses nothing: every message that got a 250 is
# delivered at least once after the runner restarts, and a message the
# runner had finished (event=done logged) is never delivered again; the
# queue ends empty.
import os, sys, time, threading, re, signal
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

N_THREADS, PER_THREAD = 5, 60


def main():
    with AioSink() as sink, Relay('k.test %s\n' % sink.target) as gw:
        accepted, errors = [], []
        lock = threading.Lock()

        def client(t):
            for i in range(PER_THREAD):
                try:
                    q = gw.send('a@src.test', ['r%d.%d@k.test' % (t, i)], b'Subject: k\r\n\r\nbody %d %d\r\n' % (t, i))
                    with lock:
                        accepted.append(q)
                    time.sleep(0.03)   # spread the load over the kills
                except Exception as e:   # noqa: B902
                    with lock:
                        errors.append(str(e))

        def ids_at_sink():
            out = []
            for e in list(sink.envelopes):
                m = re.search(rb'id ([0-9a-f]{23})', e['content'])
                if m:
                    out.append(m.group(1).decode())
            return out

        threads = [threading.Thread(target=client, args=(t,)) for t in range(N_THREADS)]
        for th in threads:
            th.start()
        # at each kill: how many times each finished message had reached the
        # sink; a finished message must never reach it again afterwards (one
        # whose attempt was in flight at an earlier kill may have come twice
        # before it finished: that is the at-least-once the contract allows)
        done_counts = {}
        for k in range(3):
            time.sleep(0.5)
            gw.kill_qrun(signal.SIGKILL)
            at_sink = ids_at_sink()
            for q in set(re.findall(r'event=done id=([0-9a-f]{23})', gw.qlog())):
                done_counts.setdefault(q, at_sink.count(q))
            time.sleep(0.2)
            gw.start_qrun()
        for th in threads:
            th.join(60)
        starts = [int(x) for x in re.findall(r'event=start queued=(\d+)', gw.qlog())]
        is_(len(starts), 4, 'the runner started 4 times')
        ok(any(starts[1:]), 'a restarted runner found mail left in the queue (%r)' % starts)
        is_(errors, [], 'every message got its 250 (the receive side never stopped)')
        is_(len(accepted), N_THREADS * PER_THREAD, 'all accepted')

        ok(wait(lambda: set(accepted) <= set(ids_at_sink()), 60), 'every accepted message delivered after the kills')
        got = ids_at_sink()
        missing = set(accepted) - set(got)
        is_(sorted(missing), [], 'none missing')
        again = [q for q, n in done_counts.items() if got.count(q) > n]
        ok(done_counts, 'messages had finished before the kills (%d)' % len(done_counts))
        is_(again, [], 'no message finished before a kill was delivered again after it')
        dups = len(got) - len(set(got))
        diag('%d messages, %d duplicate deliveries (attempts in flight at a kill)' % (len(set(got)), dups))
        ok(dups <= 3 * 20, 'duplicates bounded by what can be in flight')
        ok(wait(lambda: not gw.queued(), 20), 'queue empty at the end')


run(main, timeout=180)
