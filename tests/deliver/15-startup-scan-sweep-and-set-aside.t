#!/usr/bin/python3
# Proves what dcr-qrun makes of a queue it finds at start (doc/queue.md):
# an envelope in env/ whose mtime (its next try) is past is delivered,
# one in the future waits; an id in both new/ and env/ (a pick-up cut by
# a crash) is delivered once, from env/, and new/ID removed; a malformed
# envelope is moved to bad/ and logged, its message kept; tmp/ files and
# messages without an envelope older than 36 h are swept, younger ones
# and those whose envelope is in bad/ kept; a malformed envelope in env/
# is set aside when it comes due, and so is one whose message is missing
# (never delivered, never bounced); an envelope whose next try does not fit
# 32 bits does not lock the runner (it keeps serving other mail).
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

H36 = 36 * 3600


def envelope(qid, rcpt, state='pending', tries=0, nxt=0):
    return ('dcr-envelope\t1\nid\t%s\narrival\t%d\nsize\t12\npriority\t0\nsender\ta@src.test\n'
            'rcpt\t%s\t%d\t%d\t%s\t\t\t\n' % (qid, time.time(), state, tries, nxt, rcpt))


def put(path, text, mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def main():
    with AioSink() as sink, Relay('s.test %s\n' % sink.target, qrun=False) as gw:
        q = gw.queue
        now = time.time()
        ids = {k: '%013x%06x%04x' % (int(now * 1e6) - 10**9 + i, 4242, i) for i, k in
               enumerate(['due', 'later', 'both', 'bad', 'orphan_old', 'orphan_young', 'orphan_bad', 'badenv', 'huge', 'nomess'])}

        def mess(qid, mtime=None):
            put(os.path.join(q, 'mess', qid_bucket(qid), qid), 'Subject: s\n\nx\n', mtime)

        for k in ('due', 'later', 'both', 'bad', 'badenv', 'huge'):
            mess(ids[k])
        put(os.path.join(q, 'env', qid_bucket(ids['badenv']), ids['badenv']), 'dcr-envelope\t1\ngarbage\n', now - 10)
        put(os.path.join(q, 'env', qid_bucket(ids['nomess']), ids['nomess']), envelope(ids['nomess'], 'nomess@s.test'), now - 10)
        put(os.path.join(q, 'env', qid_bucket(ids['huge']), ids['huge']),
            envelope(ids['huge'], 'huge@s.test', tries=1, nxt=4294967297), now - 10)
        put(os.path.join(q, 'env', qid_bucket(ids['due']), ids['due']), envelope(ids['due'], 'due@s.test'), now - 10)
        put(os.path.join(q, 'env', qid_bucket(ids['later']), ids['later']),
            envelope(ids['later'], 'later@s.test', tries=1, nxt=int(now) + 3600), now + 3600)
        put(os.path.join(q, 'env', qid_bucket(ids['both']), ids['both']), envelope(ids['both'], 'both@s.test'), now - 10)
        put(os.path.join(q, 'new', ids['both']), envelope(ids['both'], 'both@s.test'))
        put(os.path.join(q, 'new', ids['bad']), 'dcr-envelope\t1\nid\tnope\n')
        mess(ids['orphan_old'], now - H36 - 60)
        mess(ids['orphan_young'], now - 60)
        mess(ids['orphan_bad'], now - H36 - 60)
        put(os.path.join(q, 'bad', ids['orphan_bad']), 'whatever\n')
        put(os.path.join(q, 'tmp', 'old.env'), 'x', now - H36 - 60)
        put(os.path.join(q, 'tmp', 'young.env'), 'x', now - 60)
        gw.start_qrun()
        ok(wait(lambda: len(sink.envelopes) == 2, 10), 'two messages delivered')
        time.sleep(0.5)
        got = sorted(e['rcpt_tos'][0] for e in sink.envelopes)
        is_(got, ['both@s.test', 'due@s.test'], 'the due one and the one in new/ and env/, once each')
        ok(not os.path.exists(os.path.join(q, 'new', ids['both'])), 'new/ID of the cut pick-up removed')
        ok(gw.envelope(ids['later']), 'the one due in an hour waits')
        ok(os.path.exists(os.path.join(q, 'bad', ids['bad'])), 'the malformed envelope is set aside in bad/')
        like(gw.qlog(), r'event=set-aside id=%s' % ids['bad'], 'and logged')
        ok(os.path.exists(os.path.join(q, 'mess', qid_bucket(ids['bad']), ids['bad'])), 'its message is kept')
        ok(not os.path.exists(os.path.join(q, 'mess', qid_bucket(ids['orphan_old']), ids['orphan_old'])), 'an orphan message over 36 h is swept')
        ok(os.path.exists(os.path.join(q, 'mess', qid_bucket(ids['orphan_young']), ids['orphan_young'])), 'a young orphan is kept (a commit may be under way)')
        ok(os.path.exists(os.path.join(q, 'mess', qid_bucket(ids['orphan_bad']), ids['orphan_bad'])), 'an orphan whose envelope is in bad/ is kept')
        ok(not os.path.exists(os.path.join(q, 'tmp', 'old.env')), 'an old tmp/ file is swept')
        ok(os.path.exists(os.path.join(q, 'tmp', 'young.env')), 'a young tmp/ file is kept')
        like(gw.qlog(), r'event=start queued=6', 'six messages scheduled at start')
        ok(wait(lambda: os.path.exists(os.path.join(q, 'bad', ids['nomess'])), 5), 'an envelope whose message is missing is set aside')
        like(gw.qlog(), r'event=set-aside id=%s .*error="its message is missing"' % ids['nomess'], 'and logged')
        ok(wait(lambda: os.path.exists(os.path.join(q, 'bad', ids['badenv'])), 5), 'a malformed envelope in env/ is set aside when due')
        t0 = os.times()
        cpu0 = sum(float(x) for x in open('/proc/%d/stat' % gw.qproc.pid).read().split(')')[1].split()[11:13])
        time.sleep(1.0)
        cpu1 = sum(float(x) for x in open('/proc/%d/stat' % gw.qproc.pid).read().split(')')[1].split()[11:13])
        ticks = os.sysconf('SC_CLK_TCK')
        ok((cpu1 - cpu0) / ticks < 0.3, 'a next try beyond 32 bits does not spin the runner (%.2fs CPU in 1s)' % ((cpu1 - cpu0) / ticks))
        gw.send('a@src.test', ['late@s.test'], b'Subject: l\r\n\r\nx\r\n')
        ok(wait(lambda: len(sink.envelopes) == 3, 10), 'and it still delivers new mail')


run(main, timeout=60)
