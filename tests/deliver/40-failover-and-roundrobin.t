#!/usr/bin/python3
# Proves: a target that refuses connections fails over to the route's
# next target at once (no retry wait) and is remembered as down: the next
# message goes straight to the good target; a target that answers its
# greeting with 421 fails over the same way; balance=roundrobin spreads
# messages over two aiosmtpd sinks; a route whose targets are all down
# defers with 4.4.1 without starting an agent for a target known to be
# down, and delivers when one comes back.
import os, re, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *


def main():
    dead = free_port()   # nothing listens there
    with AioSink() as good, FakeSMTP(greeting='421 4.3.2 busy, go away') as busy:
        routes = ('fo.test smtp:[127.0.0.1]:%d,%s\n' % (dead, good.target)
                  + 'gr.test %s,%s\n' % (busy.target, good.target))
        with Relay(routes) as gw:
            t0 = time.time()
            gw.send('a@src.test', ['x@fo.test'], b'Subject: fo\r\n\r\n1\r\n')
            ok(wait(lambda: len(good.envelopes) == 1, 10), 'delivered through the second target')
            ok(time.time() - t0 < 5, 'at once, not after a retry (%.1fs)' % (time.time() - t0))
            like(gw.qlog(), r'event=failover id=\S+ rcpt=x@fo.test .*reply="\d{3} 4\.4\.1 .*dest=smtp:\[127\.0\.0\.1\]:%d' % dead,
                 'the failover is logged with the agent\'s 4.4.1 reply')
            n = gw.qlog().count('event=failover')
            gw.send('a@src.test', ['y@fo.test'], b'Subject: fo\r\n\r\n2\r\n')
            ok(wait(lambda: len(good.envelopes) == 2, 10), 'the next message is delivered')
            is_(gw.qlog().count('event=failover'), n, 'without trying the target known to be down')
            gw.send('a@src.test', ['z@gr.test'], b'Subject: gr\r\n\r\n3\r\n')
            ok(wait(lambda: len(good.envelopes) == 3, 10), 'a 421 greeting fails over too')
            ok(busy.connections >= 1, 'the 421 target was tried first')
    with AioSink() as a, AioSink() as b, Relay('rr.test %s,%s balance=roundrobin\n' % (a.target, b.target)) as gw:
        for i in range(10):
            gw.send('a@src.test', ['u%d@rr.test' % i], b'Subject: rr\r\n\r\nx\r\n')
        ok(wait(lambda: len(a.envelopes) + len(b.envelopes) == 10, 20), 'ten messages delivered')
        ok(len(a.envelopes) >= 3 and len(b.envelopes) >= 3,
           'roundrobin spreads them (%d / %d)' % (len(a.envelopes), len(b.envelopes)))
    # every target down: deferred with 4.4.1, delivered when the target comes back
    port = free_port()
    with Relay('down.test smtp:[127.0.0.1]:%d\n' % port, conf={'down-time': '60'}) as gw:
        qid = gw.send('a@src.test', ['w@down.test'], b'Subject: down\r\n\r\nx\r\n')
        ok(wait(lambda: '4.4.1' in (gw.envelope(qid) or ''), 10), 'deferred with 4.4.1 in the envelope')
        q2 = gw.send('a@src.test', ['v@down.test'], b'Subject: down\r\n\r\ny\r\n')
        ok(wait(lambda: 'every target of the route is down' in (gw.envelope(q2) or ''), 10),
           'the next message is deferred at once: every target is down')
        is_(len(re.findall(r'dcr-remote: id=%s' % q2, gw.qlog())), 0, 'no agent was given it')
        with FakeSMTP() as late:
            # FakeSMTP picks its own port: point the route at it
            gw.write_routes('down.test %s\n' % late.target)
            ok(wait(lambda: late.messages, 20), 'delivered once a target answers (routes reloaded on change)')


run(main, timeout=120)
