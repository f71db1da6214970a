#!/usr/bin/python3
# Proves: a 550 from the next hop makes exactly one DSN (RFC 3464), sent
# through the queue itself to the envelope sender's own route (here a
# maildir): multipart/report; report-type=delivery-status, a human part,
# a message/delivery-status part (Reporting-MTA, Original-Envelope-Id,
# Final-Recipient, Original-Recipient, Action: failed, Status 5.1.1,
# Diagnostic-Code with the server's reply) and the original message
# (message/rfc822, or only its headers with RET=HDRS); the DSN has the
# null sender and is never bounced itself; NOTIFY=NEVER sends none; a
# recipient that was delivered is not in the DSN; an SMTPUTF8 message
# gets the RFC 6533 types (global-delivery-status, message/global).
import os, sys, time, email, email.policy
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

BODY = b'Subject: will bounce\r\nMessage-ID: <orig@src.test>\r\n\r\nthe original body\r\n'


def parse(path):
    return email.message_from_bytes(read(path), policy=email.policy.compat32)


def main():
    with FakeSMTP() as srv:
        box = None
        with Relay('remote.test %s\nsrc.test maildir:MAILDIR\n' % srv.target, qrun=False) as gw:
            box = gw.path('bounces')
            gw.write_routes('remote.test %s\nsrc.test maildir:%s\n' % (srv.target, box))
            gw.start_qrun()
            qid = gw.send('alice@src.test', ['permfail@remote.test', 'ok@remote.test'], BODY,
                          mail_options=['ENVID=QQ314159'], rcpt_options=['NOTIFY=FAILURE', 'ORCPT=rfc822;permfail@remote.test'])
            files = wait(lambda: maildir_files(box), 20)
            is_(len(files), 1, 'one DSN delivered to the sender\'s maildir')
            ok(wait(lambda: not gw.queued(), 10), 'queue empty: the message and the DSN are done')
            if files:
                raw = read(files[0])
                ok(raw.startswith(b'Return-Path: <>\n'), 'the DSN has the null sender')
                m = parse(files[0])
                is_(m.get_content_type(), 'multipart/report', 'multipart/report')
                is_(m.get_param('report-type'), 'delivery-status', 'report-type=delivery-status')
                like(m['From'], r'MAILER-DAEMON@', 'from the mailer daemon')
                is_(m['To'], '<alice@src.test>', 'to the envelope sender')
                is_(m['Auto-Submitted'], 'auto-replied', 'Auto-Submitted')
                parts = m.get_payload()
                is_([p.get_content_type() for p in parts], ['text/plain', 'message/delivery-status', 'message/rfc822'],
                    'the three parts of RFC 3464')
                status = parts[1].get_payload()
                fields = [dict(p.items()) for p in status]
                like(fields[0].get('Reporting-MTA', ''), r'^dns; ', 'Reporting-MTA')
                is_(fields[0].get('Original-Envelope-Id'), 'QQ314159', 'ENVID comes back')
                per = fields[1:]
                is_(len(per), 1, 'one recipient block: the delivered one is not reported')
                if per:
                    is_(per[0].get('Final-Recipient'), 'rfc822; permfail@remote.test', 'Final-Recipient')
                    is_(per[0].get('Original-Recipient'), 'rfc822; permfail@remote.test', 'Original-Recipient from ORCPT')
                    is_(per[0].get('Action'), 'failed', 'Action: failed')
                    is_(per[0].get('Status'), '5.1.1', 'Status from the enhanced code')
                    like(per[0].get('Diagnostic-Code', ''), r'^smtp; 550 5\.1\.1 <permfail@remote\.test>: no such user', 'Diagnostic-Code')
                orig = parts[2].get_payload()[0]
                is_(orig['Message-ID'], '<orig@src.test>', 'the original message is returned')
                like(orig.get_payload(), r'the original body', 'with its body')
            like(gw.qlog(), r'event=dsn id=%s dsn=[0-9a-f]{23} to=alice@src.test' % qid, 'the DSN is logged with both ids')
            # RET=HDRS, NOTIFY=NEVER
            n0 = len(maildir_files(box))
            gw.send('alice@src.test', ['permfail@remote.test'], BODY, mail_options=['RET=HDRS'])
            ok(wait(lambda: len(maildir_files(box)) == n0 + 1, 20), 'RET=HDRS: a DSN')
            if len(maildir_files(box)) == n0 + 1:
                m = parse(maildir_files(box)[-1] if len(maildir_files(box)) == 1 else sorted(maildir_files(box), key=os.path.getmtime)[-1])
                is_([p.get_content_type() for p in m.get_payload()][2:], ['text/rfc822-headers'], 'RET=HDRS: headers only')
            n1 = len(maildir_files(box))
            gw.send('alice@src.test', ['permfail@remote.test'], BODY, rcpt_options=['NOTIFY=NEVER'])
            ok(wait(lambda: not gw.queued(), 10), 'NOTIFY=NEVER: done')
            time.sleep(1)
            is_(len(maildir_files(box)), n1, 'NOTIFY=NEVER: no DSN')
            # SMTPUTF8: RFC 6533 types
            n2 = len(maildir_files(box))
            gw.send('\u00e5sa@src.test', ['permfail@remote.test'], 'Subject: utf8\r\n\r\nh\u00e9\r\n'.encode(),
                    mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
            ok(wait(lambda: len(maildir_files(box)) == n2 + 1, 20), 'SMTPUTF8: a DSN')
            newest = sorted(maildir_files(box), key=os.path.getmtime)[-1]
            m = parse(newest)
            is_(m.get_param('report-type'), 'global-delivery-status', 'SMTPUTF8: report-type=global-delivery-status')
            is_([p.get_content_type() for p in m.get_payload()][1:], ['message/global-delivery-status', 'message/global'],
                'SMTPUTF8: the global types')
            # a DSN that cannot be delivered is not bounced: sender's domain routed to a refusing server
            gw.write_routes('remote.test %s\nsrc.test %s\n' % (srv.target, srv.target))
            time.sleep(1.1)
            gw.send('permfail@src.test', ['permfail@remote.test'], BODY)
            ok(wait(lambda: not gw.queued(), 15), 'the DSN to a refusing sender ends too')
            like(gw.qlog(), r'event=bounce id=\S+ rcpt=permfail@src.test .*dsn=no', 'the failed DSN is dropped, not bounced')


run(main, timeout=120)
