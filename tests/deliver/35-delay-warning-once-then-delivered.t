#!/usr/bin/python3
# Proves: with conf/delay-warning set, a message still deferred after
# that time gets one delay DSN (Action: delayed, Will-Retry-Until, the
# headers only) to its sender, however many retries follow; the envelope
# records it ("warned 1"); NOTIFY=FAILURE alone asks for none; the
# message is delivered later as usual.
import os, sys, time, email, email.policy
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

state = {'fail': True}


def rcpt(addr, line):
    return '451 4.2.0 <%s>: mailbox busy' % addr if state['fail'] else '250 2.1.5 ok'


def main():
    with FakeSMTP(rcpt=rcpt) as srv, Relay('slow.test %s\n' % srv.target, qrun=False,
                                            conf={'delay-warning': '1', 'retry-base': '1', 'retry-max': '1'}) as gw:
        box = gw.path('dsn')
        gw.write_routes('slow.test %s\nsrc.test maildir:%s\n' % (srv.target, box))
        gw.start_qrun()
        qid = gw.send('alice@src.test', ['bob@slow.test'], b'Subject: slow\r\nMessage-ID: <slow@src.test>\r\n\r\nbody\r\n')
        q2 = gw.send('alice@src.test', ['carol@slow.test'], b'Subject: slow2\r\n\r\nbody\r\n', rcpt_options=['NOTIFY=FAILURE'])
        files = wait(lambda: maildir_files(box), 15)
        is_(len(files), 1, 'one delay DSN')
        ok(wait(lambda: 'warned\t1' in (gw.envelope(qid) or ''), 5), 'the envelope records the warning')
        tries = len([l for l in srv.log if l.upper().startswith(b'RCPT TO:<BOB')])
        ok(wait(lambda: len([l for l in srv.log if l.upper().startswith(b'RCPT TO:<BOB')]) >= tries + 2, 15), 'more retries follow')
        is_(len(maildir_files(box)), 1, 'still one warning after them (none for NOTIFY=FAILURE)')
        if files:
            m = email.message_from_bytes(read(files[0]), policy=email.policy.compat32)
            like(m['Subject'], r'^Delayed Mail', 'subject says delayed')
            parts = m.get_payload()
            is_([p.get_content_type() for p in parts], ['text/plain', 'message/delivery-status', 'text/rfc822-headers'], 'report with the headers only')
            per = [dict(p.items()) for p in parts[1].get_payload()][1:]
            is_([p.get('Action') for p in per], ['delayed'], 'Action: delayed')
            is_(per[0].get('Status') if per else None, '4.2.0', 'Status from the last reply')
            ok(per and per[0].get('Will-Retry-Until'), 'Will-Retry-Until given')
        state['fail'] = False
        ok(wait(lambda: not gw.queued(), 15), 'both delivered later')


run(main, timeout=90)
