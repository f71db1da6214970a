#!/usr/bin/python3
# Proves: what dcr-remote does with each extension. SIZE: a message over
# the server's limit is P 552 5.3.4 without MAIL being sent, SIZE= is
# given when offered. 8BITMIME: BODY=8BITMIME passed when offered; when
# not, a 7-bit message goes without BODY=, an 8-bit one is P 554 5.6.3.
# SMTPUTF8 required but not offered: P 553 5.6.7. DSN parameters (RET,
# ENVID, NOTIFY, ORCPT) passed when DSN is offered, dropped when not.
# BODY=BINARYMIME: P 5.6.3. EHLO refused: HELO, and no extension used.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *


def main():
    with TempDir() as td:
        m7 = td.write('m7', b'Subject: seven\n\nplain ascii\n')
        m8 = td.write('m8', b'Subject: eight\n\ncaf\xc3\xa9\n')
        big = td.write('big', b'Subject: big\n\n' + b'x' * 5000 + b'\n')

        with FakeSMTP(ext=['PIPELINING', 'SIZE 1000', '8BITMIME']) as srv:
            r = remote(srv.target, job('S1', big, 'a@x.test', 'b@y.test', 'c@y.test')
                       + job('S2', m7, 'a@x.test', 'b@y.test'), ['-T', '10'])
            v = r.verdicts('S1')
            is_([x[2] for x in v], ['P', 'P'], 'over SIZE: P for all')
            like(v[0][3] if v else '', r'^552 5\.3\.4 .*5015 .*1000', '  552 5.3.4 with both sizes')
            is_(len(srv.commands('MAIL')), 1, '  no MAIL for it; the next job is sent')
            like(srv.commands('MAIL')[0] if srv.commands('MAIL') else b'', rb'^MAIL FROM:<a@x.test> SIZE=\d+$', 'SIZE= given')
            is_([x[2] for x in r.verdicts('S2')], ['D'], 'a small message goes')

        with FakeSMTP(ext=['PIPELINING']) as srv:
            r = remote(srv.target, job('B1', m7, '<a@x.test> BODY=8BITMIME', 'b@y.test')
                       + job('B2', m8, '<a@x.test> BODY=8BITMIME', 'b@y.test')
                       + job('B3', m7, '<a@x.test> BODY=7BIT', 'b@y.test')
                       + job('B4', m8, '<a@x.test> SMTPUTF8', 'b@y.test')
                       + job('B5', m7, '<a@x.test> BODY=BINARYMIME', 'b@y.test'), ['-T', '10'])
            is_([x[2] for x in r.verdicts('B1')], ['D'], 'no 8BITMIME, 7-bit body: delivered')
            v = r.verdicts('B2')
            is_([x[2] for x in v], ['P'], 'no 8BITMIME, 8-bit body: P')
            like(v[0][3] if v else '', r'^554 5\.6\.3 .*8-bit.*8BITMIME', '  554 5.6.3 saying why')
            is_([x[2] for x in r.verdicts('B3')], ['D'], 'BODY=7BIT to a server without 8BITMIME')
            v = r.verdicts('B4')
            is_([x[2] for x in v], ['P'], 'SMTPUTF8 not offered: P')
            like(v[0][3] if v else '', r'^553 5\.6\.7 .*SMTPUTF8', '  553 5.6.7')
            v = r.verdicts('B5')
            like(v[0][3] if v else '', r'^554 5\.6\.3 .*BINARYMIME', 'BINARYMIME: P 5.6.3')
            mails = srv.commands('MAIL')
            is_(mails, [b'MAIL FROM:<a@x.test>', b'MAIL FROM:<a@x.test>'], 'BODY= dropped, nothing sent for the refused')

        dsnjob = job('N1', m8, '<a@x.test> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2B31',
                     '<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y.test', '<c@y.test> NOTIFY=NEVER')
        with FakeSMTP(ext=['PIPELINING', '8BITMIME', 'SMTPUTF8', 'DSN']) as srv:
            r = remote(srv.target, dsnjob, ['-T', '10'])
            is_([x[2] for x in r.verdicts()], ['D', 'D'], 'DSN server: delivered')
            is_(srv.commands('MAIL'), [b'MAIL FROM:<a@x.test> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2B31'], 'MAIL with BODY, SMTPUTF8, RET, ENVID')
            is_(srv.commands('RCPT'), [b'RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y.test',
                                       b'RCPT TO:<c@y.test> NOTIFY=NEVER'], 'RCPT with NOTIFY, ORCPT')
        with FakeSMTP(ext=['PIPELINING', '8BITMIME', 'SMTPUTF8']) as srv:
            r = remote(srv.target, dsnjob, ['-T', '10'])
            is_([x[2] for x in r.verdicts()], ['D', 'D'], 'no DSN: delivered')
            is_(srv.commands('MAIL'), [b'MAIL FROM:<a@x.test> BODY=8BITMIME SMTPUTF8'], 'RET, ENVID dropped silently')
            is_(srv.commands('RCPT'), [b'RCPT TO:<b@y.test>', b'RCPT TO:<c@y.test>'], 'NOTIFY, ORCPT dropped silently')

        with FakeSMTP(ehlo='502 5.5.1 EHLO not here', ext=['PIPELINING', '8BITMIME']) as srv:
            r = remote(srv.target, job('H1', m7, '<a@x.test> BODY=8BITMIME', 'b@y.test', 'c@y.test'), ['-T', '10'])
            is_([x[2] for x in r.verdicts()], ['D', 'D'], 'EHLO refused, HELO accepted: delivered')
            is_(len(srv.commands('HELO')), 1, '  HELO sent')
            is_(srv.commands('MAIL'), [b'MAIL FROM:<a@x.test>'], '  no extension used after HELO')
        with FakeSMTP(ehlo='502 5.5.1 no', helo='550 5.7.1 go away') as srv:
            r = remote(srv.target, job('H2', m7, 'a@x.test', 'b@y.test'), ['-T', '10'])
            v = r.verdicts()
            is_([x[2] for x in v], ['T'], 'EHLO and HELO refused: T')
            like(v[0][3] if v else '', r'^451 4\.4\.2 .*refused EHLO and HELO: 550 5\.7\.1 go away', '  4.4.2 with the reply')


run(main, timeout=120)
