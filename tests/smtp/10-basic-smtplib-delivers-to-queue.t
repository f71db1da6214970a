#!/usr/bin/python3
# Proves: a plain smtplib session gets "250 2.0.0 Ok: queued as ID"; ID is
# in the queue (new/ID and mess/NN/ID); the stored message is the internal
# form (LF endings, dcr-smtpd's Received header first, carrying the id);
# the child saw the envelope in SMTP_* variables; dcr-enqueue logged it.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

BODY = (b'From: Alice <alice@example.test>\r\n'
        b'To: bob@localhost\r\n'
        b'Subject: hello\r\n'
        b'\r\n'
        b'line one\r\n'
        b'  indented line two\r\n'
        b'\r\n'
        b'last line\r\n')


def main():
    with Gateway(capture=True) as gw:
        s = gw.smtp()
        code, banner = s.ehlo('client.dcrtest')
        is_(code, 250, 'EHLO 250')
        is_(s.mail('alice@example.test')[0], 250, 'MAIL 250')
        is_(s.rcpt('bob@localhost')[0], 250, 'RCPT bob@localhost 250')
        is_(s.rcpt('Carol@LocalHost')[0], 250, 'RCPT Carol@LocalHost 250 (domain case-insensitive)')
        code, text = s.data(BODY)
        text = text.decode('latin-1')
        is_(code, 250, 'DATA end 250')
        like(text, r'^2\.0\.0 Ok: queued as [0-9a-f]{23}$', 'reply text "2.0.0 Ok: queued as ID"')
        qid = queued_id(text)
        is_(s.quit()[0], 221, 'QUIT 221')

        is_(gw.queued(), [qid], 'new/ holds exactly the id of the reply')
        ok(os.path.exists(gw.message_path(qid)), 'message at mess/%s/ID (FNV-1a bucket)' % qid_bucket(qid))
        msg = gw.message(qid) if qid and os.path.exists(gw.message_path(qid)) else b''
        ok(b'\r' not in msg, 'stored message has no CR (internal form: LF endings)')
        lf = BODY.replace(b'\r\n', b'\n')
        ok(msg.endswith(lf), 'stored message ends with the body sent, CRLF -> LF')
        ok(msg.startswith(b'Received: '), 'first header is Received:')
        head = msg[:len(msg) - len(lf)]
        received = head.split(b'\n')
        ok(all(l == b'' or l.startswith((b'Received: ', b' ', b'\t')) for l in received),
           'only the Received header is prepended')
        ok(qid is not None and qid.encode() in head, 'Received header carries the id')
        ok(b'mx.dcrtest' in head, 'Received header names conf/hostname')
        ok(b'client.dcrtest' in head, 'Received header names the EHLO argument')
        ok(b'\tid ' in head or b' id ' in head or qid.encode() in head, 'Received has an id clause')

        env = gw.envelope(qid) if qid in gw.queued() else b''
        ok(b'alice@example.test' in env, 'envelope holds the sender')
        ok(b'bob@localhost' in env, 'envelope holds recipient 1')
        ok(b'Carol@LocalHost' in env or b'carol@localhost' in env.lower(), 'envelope holds recipient 2')

        caps = gw.captures()
        is_(len(caps), 1, 'the child ran once')
        if caps:
            e = caps[0]['env']
            is_(e.get('DCR_ID'), qid, 'DCR_ID is the queued id')
            is_(e.get('SMTP_SENDER'), 'alice@example.test', 'SMTP_SENDER without <>')
            is_(e.get('SMTP_RECIPIENTS'), 'bob@localhost\nCarol@LocalHost', 'SMTP_RECIPIENTS joined by LF')
            is_(e.get('SMTP_HELO'), 'client.dcrtest', 'SMTP_HELO')
            is_(e.get('SMTP_PROTO'), 'ESMTP', 'SMTP_PROTO ESMTP after EHLO')
            is_(caps[0]['message'], msg, 'the child read the same bytes that were queued')
        like(gw.log(), r'event=queued id=%s' % qid, 'dcr-enqueue logged event=queued id=ID')
        is_(gw.tmp_files(), [], 'queue/tmp is empty afterwards')

        # HELO (not EHLO) and the null sender
        s = gw.smtp()
        is_(s.helo('old.dcrtest')[0], 250, 'HELO 250')
        is_(s.mail('')[0], 250, 'MAIL FROM:<> 250')
        is_(s.rcpt('postmaster@localhost')[0], 250, 'RCPT 250')
        code, text = s.data(b'Subject: bounce\r\n\r\nx\r\n')
        is_(code, 250, 'DATA 250 after HELO')
        s.quit()
        caps = gw.captures()
        if is_(len(caps), 2, 'second message reached the child'):
            e = caps[1]['env']
            is_(e.get('SMTP_SENDER'), '', 'SMTP_SENDER empty for <>')
            is_(e.get('SMTP_PROTO'), 'SMTP', 'SMTP_PROTO SMTP after HELO')
            is_(e.get('SMTP_HELO'), 'old.dcrtest', 'SMTP_HELO after HELO')
        is_(len(gw.queued()), 2, 'two messages queued')
        ids = gw.queued()
        ok(ids == sorted(ids) and len(set(ids)) == 2, 'ids are distinct and sort by time')


run(main)
