#!/usr/bin/python3
# Proves, end to end through a gateway (dcr-tcpd + dcr-smtpd, the chain
# "dcr-scan --clamd ... --spamd ... dcr-enqueue QUEUE") with smtplib as
# the client and a real clamd and spamd: the GTUBE string gets "554 5.7.1
# message looks like spam (score N)" at the end of DATA and nothing is
# queued; EICAR gets "554 5.7.1 message contains a virus (NAME)"; a plain
# message is queued (250) with X-Spam-Status: No on top of dcr-smtpd's
# Received field; with clamd down the client gets "451 4.7.1 virus
# scanner unavailable" and nothing is queued; the scan log lines carry
# the message's id (DCR_ID), the same as dcr-smtpd's.
import os, re, smtplib, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from scanlib import *


class ScanGateway(Gateway):
    """A Gateway whose chain is dcr-scan ARGS... dcr-enqueue QUEUE."""

    def __init__(self, args, **kw):
        Gateway.__init__(self, child=['unset'], **kw)
        self.args = list(args)

    def _setup(self):
        Gateway._setup(self)
        self.child = [bin_path('dcr-scan')] + self.args + [bin_path('dcr-enqueue'), self.queue]




def body(m):
    """The message without dcrtest's Received line, as a client sends it."""
    return m.split(b'\n', 2)[2]


def main():
    with Clamd() as c, Spamd() as s:
        args = ['--clamd', c.unix, '--spamd', s.tcp, '--spam-tag', '5', '--spam-reject', '15', '--timeout', '30']
        with ScanGateway(args) as gw:
            code, text = send_message(gw, body(SPAM))
            is_(code, 554, 'GTUBE: 554 at the end of DATA')
            like(text, r'^5\.7\.1 message looks like spam \(score \d{3,4}\.\d\)$', '  5.7.1 message looks like spam (score N)')
            code, text = send_message(gw, body(VIRUS))
            is_((code, text), (554, '5.7.1 message contains a virus (Dcrtest-Eicar.UNOFFICIAL)'), 'EICAR: 554 5.7.1 with the signature')
            is_(gw.queued(), [], '  nothing queued')

            code, text = send_message(gw, body(HAM))
            is_(code, 250, 'ham: 250 queued')
            qid = queued_id(text)
            q = gw.wait_queued(1)
            is_(q, [qid] if qid else [], '  in the queue as ' + str(qid))
            m = gw.message(qid) if qid else b''
            like(m, rb'^X-Spam-Status: No, score=-?\d+\.\d required=5\.0 tests=\S*(?:\n\t\S+)*\nX-Spam-Score: -?\d+\.\d\nReceived: from ',
                 '  X-Spam-Status: No, X-Spam-Score, then the Received field of dcr-smtpd')
            ok(m.replace(b'\r\n', b'\n').endswith(body(HAM)), '  then the message as sent')
            log = gw.log()
            ids = re.findall(r'dcr-scan: event=scan id=(\S+) scanner=spamd .*result=ham', log)
            is_(len(ids), 1, 'one spamd log line for the ham')
            ok(ids and re.search(r'dcr-smtpd: .*id=%s\b' % re.escape(ids[0]), log) is not None,
               "  with the message's id, the one in dcr-smtpd's log")
            like(log, r'dcr-scan: event=scan id=\S+ scanner=clamd addr=unix:\S+ result=virus signature=Dcrtest-Eicar\.UNOFFICIAL action=reject',
                 'the virus logged by id with its signature')

        with ScanGateway(['--clamd', '127.0.0.1:%d' % free_port(), '--spamd', s.tcp]) as gw:
            code, text = send_message(gw, body(HAM))
            is_((code, text), (451, '4.7.1 virus scanner unavailable'), 'clamd down: 451 4.7.1 virus scanner unavailable')
            is_(gw.queued(), [], '  nothing queued (never silent acceptance)')


run(main, timeout=180)
