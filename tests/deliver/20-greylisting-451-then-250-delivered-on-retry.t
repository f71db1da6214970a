#!/usr/bin/python3
# Proves: a downstream that answers 451 to the first attempt (greylisting)
# and 250 later gets the message on a retry: the envelope keeps the
# recipient pending with tries=1 and the 451 as last reply in between,
# the retry comes after the configured backoff (retry-base=1 here, set by
# conf file), and the message is delivered once. A 5xx is not retried.
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

seen = {}


def grey(addr, line):
    n = seen.get(addr, 0)
    seen[addr] = n + 1
    if n == 0:
        return '451 4.7.1 <%s>: greylisted, try again later' % addr
    return '250 2.1.5 ok'


def main():
    with FakeSMTP(rcpt=grey) as srv, Relay('grey.test %s\n' % srv.target, conf={'retry-base': '2', 'retry-max': '4'}) as gw:
        t0 = time.time()
        qid = gw.send('a@src.test', ['bob@grey.test'], b'Subject: grey\r\n\r\nhello\r\n')
        env = wait(lambda: (gw.envelope(qid) or '') if 'greylisted' in (gw.envelope(qid) or '') else '', 10)
        like(env, r'rcpt\tpending\t1\t\d+\tbob@grey.test\t\t\t451 4.7.1 <bob@grey.test>: greylisted',
             'after the 451: pending, one try, the reply kept in the envelope')
        ok(wait(lambda: srv.messages, 20), 'delivered on the retry')
        dt = time.time() - t0
        # due times are whole seconds: a 2 s backoff from x.99 s comes at
        # x+2.0, just over 1 s later; without one the retry is at once
        ok(0.9 <= dt <= 15, 'the retry came after the backoff (%.1fs)' % dt)
        is_(len(srv.messages), 1, 'one message at the server')
        is_(seen.get('bob@grey.test'), 2, 'two RCPT attempts: the 451 and the 250')
        ok(wait(lambda: not gw.queued(), 10), 'queue empty')
        like(gw.qlog(), r'event=deferred id=%s rcpt=bob@grey.test tries=1 reply="451 4.7.1' % qid, 'deferral logged')
        like(gw.qlog(), r'event=delivered id=%s rcpt=bob@grey.test tries=1' % qid, 'delivery logged with tries=1')
    # 5xx at once: no retry
    with FakeSMTP() as srv, Relay('perm.test %s\n' % srv.target) as gw:
        qid = gw.send('', ['permfail@perm.test'], b'Subject: perm\r\n\r\nx\r\n')
        ok(wait(lambda: not gw.queued(), 10), 'a 550 ends the message (null sender: no DSN)')
        time.sleep(2.5)
        is_(len([l for l in srv.log if l.upper().startswith(b'RCPT')]), 1, 'one attempt only for a 5xx')
        like(gw.qlog(), r'event=bounce id=%s rcpt=permfail@perm.test .*dsn=no' % qid, 'failed, no DSN for the null sender')


run(main, timeout=120)
