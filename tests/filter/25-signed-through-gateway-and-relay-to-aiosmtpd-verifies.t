#!/usr/bin/python3
# Proves: end to end, a message sent over SMTP to dcr-smtpd, signed by
# dcr-dkimsign in the chain and queued by dcr-enqueue, verifies from
# the queue file; relayed by dcr-remote to a real SMTP server (aiosmtpd)
# it still verifies there as received (CRLF, dot-stuffing undone), with
# both dkimpy and opendkim; altered after the relay it fails. The log
# line carries the queue id. Mail for a domain without a key is queued
# unsigned.
import os, sys, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'remote'))
from dkimlib import *
from dcrtest import *
from remotelib import AioSink, job, remote

MSG = (b'From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: through the relay\r\n'
       b'Date: Thu, 3 Dec 2026 19:00:00 +0000\r\nMessage-ID: <relay-1@example.com>\r\n\r\n'
       b'.a line that starts with a dot\r\n..two dots\r\n.\r\ntrailing blanks   \r\n'
       b'caf\xc3\xa9\r\n' + b'z' * 990 + b'\r\n\r\n\r\n')


def main():
    with tempfile.TemporaryDirectory(prefix='dcr-dkim-') as td:
        keys = Keys(td)
        keys.add('example.com', 'relay', 2048)
        with Gateway(filters=[[bin_path('dcr-dkimsign'), '-d', keys.dir]]) as gw, AioSink() as sink:
            s = gw.smtp()
            s.sendmail('alice@example.com', ['u@localhost'], MSG)
            s.sendmail('bob@nokey.test', ['u@localhost'],
                       b'From: bob@nokey.test\r\nSubject: unsigned\r\n\r\nhi\r\n')
            s.quit()
            files = sorted(gw.messages())
            is_(len(files), 2, 'two messages queued')
            datas = {}
            for f in files:
                with open(os.path.join(gw.queue, 'mess', f), 'rb') as q:
                    datas[f] = q.read()
            signed = [f for f in files if datas[f].startswith(b'DKIM-Signature:')]
            unsigned = [f for f in files if b'Subject: unsigned' in datas[f]]
            is_(len(signed), 1, 'the example.com message is queued signed')
            ok(len(unsigned) == 1 and b'DKIM-Signature' not in datas[unsigned[0]], 'the nokey.test message is queued unsigned')
            if not signed:
                return
            path = os.path.join(gw.queue, 'mess', signed[0])
            qid = os.path.basename(signed[0])
            ok(dkimpy(datas[signed[0]], keys), 'the queue file verifies (dkimpy)')
            ok(opendkim(datas[signed[0]], keys)[0], 'the queue file verifies (opendkim)')
            like(gw.log(), r'dcr-dkimsign: event=dkim-sign id=%s d=example\.com s=relay bits=2048' % qid,
                 'the log line names the queue id')
            like(gw.log(), r'event=dkim-skip id=\S+ reason=no-key d=nokey\.test', 'the unsigned one is logged')

            r = remote(sink.target, job(qid, path, 'alice@example.com', 'bob@example.net'), ['-T', '10'])
            is_(r.verdicts()[0][2] if r.verdicts() else None, 'D', 'dcr-remote delivered it to aiosmtpd')
            is_(len(sink.envelopes), 1, 'aiosmtpd received one message')
            if not sink.envelopes:
                return
            got = sink.envelopes[0]['content']
            ok(b'\r\n.a line that starts with a dot\r\n' in got, 'received with dot-stuffing undone, CRLF')
            ok(dkimpy(got, keys, as_wire=False), 'as received by aiosmtpd: dkimpy verifies')
            v, line = opendkim(got, keys, as_wire=False)
            if not ok(v, 'as received by aiosmtpd: opendkim verifies'):
                diag(line)
            bad = got.replace(b'two dots', b'two dotz')
            ok(not dkimpy(bad, keys, as_wire=False), 'altered after the relay: dkimpy fails')
            ok(not opendkim(bad, keys, as_wire=False)[0], 'altered after the relay: opendkim fails')


run(main, timeout=120)
