#!/usr/bin/python3
# Proves: the default route "* mx" delivers by MX look-up (dcr-remote runs
# dcr-mx against dnsmasq on a loopback address, DNSCACHEIP): the lower
# preference host first; when it refuses connections the next MX gets
# the mail; a domain that does not exist bounces at once (5.1.2), not
# after days of retries; a rule that mixes an smtp target with mx fails
# over to each recipient's own MX (one job per domain). The MX port is
# the route's "mx:PORT" (tests cannot take port 25 from the machine).
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'mx'))
from deliverlib import *
from mxtest import Dnsmasq, usable


def main():
    why = usable()
    if why:
        skip(why, 1)
        return
    with AioSink() as sink:
        port = sink.port
        records = ['--mx-host=mx.test,mx1.mx.test,10', '--host-record=mx1.mx.test,127.0.0.1',
                   '--mx-host=fo.test,dead.fo.test,5', '--mx-host=fo.test,live.fo.test,20',
                   '--host-record=dead.fo.test,127.0.0.3', '--host-record=live.fo.test,127.0.0.1',
                   '--mx-host=a.test,mx.a.test,10', '--host-record=mx.a.test,127.0.0.1',
                   '--mx-host=b.test,mx.b.test,10', '--host-record=mx.b.test,127.0.0.1']
        dead = free_port()
        with Dnsmasq(*records) as dns, Relay('src.test maildir:/nonexistent-unused\nmix.test smtp:[127.0.0.1]:1\n'
                                             '*.test smtp:[127.0.0.1]:%d,mx:%d\n* mx:%d\n' % (dead, port, port),
                                             qrun_env={'DNSCACHEIP': dns.ip}) as gw:
            gw.send('a@src.test', ['bob@mx.test'], b'Subject: mx\r\n\r\nby MX\r\n')
            ok(wait(lambda: len(sink.envelopes) == 1, 20), 'delivered to the MX host')
            like(gw.qlog(), r'dest=mx:mx\.test:%d' % port, 'the destination is the domain\'s MX set')
            gw.send('a@src.test', ['carol@fo.test'], b'Subject: mx\r\n\r\nnext MX\r\n')
            ok(wait(lambda: len(sink.envelopes) == 2, 30), 'the next MX gets it when the first refuses')
            if len(sink.envelopes) == 2:
                is_(sink.envelopes[1]['rcpt_tos'], ['carol@fo.test'], 'right recipient')
            n = len(sink.envelopes)
            gw.send('a@src.test', ['u@a.test', 'v@b.test'], b'Subject: mix\r\n\r\nmixed rule\r\n')
            ok(wait(lambda: len(sink.envelopes) == n + 2, 30), 'smtp target down: each domain fails over to its own MX')
            like(gw.qlog(), r'event=delivered id=\S+ rcpt=v@b\.test .*dest=mx:b\.test:%d' % port, 'b.test by b.test\'s MX, not a.test\'s')
            qid = gw.send('', ['dave@nxdomain.test'], b'Subject: nx\r\n\r\nnowhere\r\n')
            ok(wait(lambda: not gw.queued(), 20), 'a domain that does not exist ends at once')
            like(gw.qlog(), r'event=bounce id=%s rcpt=dave@nxdomain.test tries=0 reply="5\d\d 5\.1\.2' % qid,
                 'permanent 5.1.2 from the look-up')


run(main, timeout=120)
