#!/usr/bin/python3
# Proves: per-recipient verdicts from a scripted server, with and without
# PIPELINING: RCPT 451 -> T, 550 -> P, 250 -> the final reply of DATA;
# a refused MAIL gives every recipient its reply; no recipient accepted
# -> no message sent (and a server that says 354 anyway gets a lone
# dot); DATA refused -> the accepted recipients get that reply; a final
# 451/554 -> T/P; enhanced codes made up when the server gives none;
# multi-line replies joined; RSET before the next transaction after a
# failed one, and the connection kept.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *


def st(r, qid=None):
    return [(x[1], x[2]) for x in r.verdicts(qid)]


def main():
    with TempDir() as td:
        m = td.write('m', b'Subject: t\n\nhello\n')
        for pipe in (True, False):
            ext = ['PIPELINING', '8BITMIME'] if pipe else ['8BITMIME']
            tag = 'pipelining' if pipe else 'no pipelining'
            with FakeSMTP(ext=ext) as srv:
                jobs = (job('A', m, 'a@x.test', 'ok1@y.test', 'tempfail@y.test', 'permfail@y.test', 'ok2@y.test')
                        + job('B', m, 'a@x.test', 'tempfail@y.test', 'permfail@y.test')
                        + job('C', m, 'a@x.test', 'ok3@y.test'))
                r = remote(srv.target, jobs, ['-T', '10'])
                is_(r.rc, 0, '%s: exit 0' % tag)
                ok(r.wellformed(), '%s: well-formed output' % tag)
                is_(st(r, 'A'), [('ok1@y.test', 'D'), ('tempfail@y.test', 'T'), ('permfail@y.test', 'P'), ('ok2@y.test', 'D')],
                    '%s: D T P D in job order' % tag)
                va = r.verdicts('A')
                if len(va) == 4:
                    is_(va[1][3], '451 4.2.0 <tempfail@y.test>: try again later', '%s: RCPT reply kept' % tag)
                    is_(va[0][3], '250 2.0.0 Ok: queued as F1', '%s: accepted get the final reply' % tag)
                is_(st(r, 'B'), [('tempfail@y.test', 'T'), ('permfail@y.test', 'P')], '%s: no recipient accepted' % tag)
                is_(st(r, 'C'), [('ok3@y.test', 'D')], '%s: next job delivered' % tag)
                is_(len(srv.messages), 2, '%s: two messages sent (none for B)' % tag)
                if len(srv.messages) == 2:
                    is_(len(srv.messages[0]['rcpts']), 2, '%s: two accepted recipients in message 1' % tag)
                is_(srv.connections, 1, '%s: one connection' % tag)
                ok(len(srv.commands('RSET')) >= 1, '%s: RSET after the transaction without recipients' % tag)
                is_(len(srv.commands('DATA')), 3 if pipe else 2, '%s: DATA pipelined or not sent when nobody was accepted' % tag)

        # MAIL refused, 4xx and 5xx; multi-line; no enhanced code
        def mail(line):
            if 'tmp@' in line:
                return '452 insufficient storage'
            if 'bad@' in line:
                return '553-5.7.1 sender\r\n553-5.7.1 not\r\n553 5.7.1 allowed'
            return '250 2.1.0 ok'
        for pipe in (True, False):
            tag = 'pipelining' if pipe else 'no pipelining'
            with FakeSMTP(ext=['PIPELINING'] if pipe else [], mail=mail) as srv:
                r = remote(srv.target, job('M1', m, 'tmp@x.test', 'a@y.test', 'b@y.test')
                           + job('M2', m, 'bad@x.test', 'a@y.test') + job('M3', m, 'good@x.test', 'a@y.test'), ['-T', '10'])
                is_(r.verdicts('M1'), [('M1', 'a@y.test', 'T', '452 4.0.0 insufficient storage'),
                                       ('M1', 'b@y.test', 'T', '452 4.0.0 insufficient storage')],
                    '%s: MAIL 452 -> T for all, 4.0.0 made up' % tag)
                is_(r.verdicts('M2'), [('M2', 'a@y.test', 'P', '553 5.7.1 sender not allowed')],
                    '%s: MAIL 553 multi-line -> P, joined' % tag)
                is_(st(r, 'M3'), [('a@y.test', 'D')], '%s: then a good one' % tag)
                is_(len(srv.messages), 1, '%s: one message' % tag)

        # DATA refused; final reply 451 / 554
        def dot(msg):
            if any('perm@' in x for x in msg['rcpts']):
                return '554 5.6.0 content rejected'
            if any('temp@' in x for x in msg['rcpts']):
                return '451 4.3.0 queue full'
            return '250 ok'

        def data(c):
            last = max(i for i, l in enumerate(c.commands) if l.upper().startswith(b'MAIL'))
            return '554 5.5.1 no data today' if any(b'nodata@' in l for l in c.commands[last:]) else '354 go'
        with FakeSMTP(ext=['PIPELINING'], dot=dot, data=data) as srv:
            r = remote(srv.target, job('D1', m, 'a@x.test', 'perm@y.test', 'x@y.test')
                       + job('D2', m, 'a@x.test', 'temp@y.test') + job('D3', m, 'a@x.test', 'nodata@y.test', 'permfail@y.test')
                       + job('D4', m, 'a@x.test', 'ok@y.test'), ['-T', '10'])
            is_(st(r, 'D1'), [('perm@y.test', 'P'), ('x@y.test', 'P')], 'final 554 -> P for all accepted')
            is_(st(r, 'D2'), [('temp@y.test', 'T')], 'final 451 -> T')
            is_(r.verdicts('D3'), [('D3', 'nodata@y.test', 'P', '554 5.5.1 no data today'),
                                   ('D3', 'permfail@y.test', 'P', '550 5.1.1 <permfail@y.test>: no such user')],
                'DATA 554 -> P for the accepted, RCPT reply for the refused')
            is_(r.verdicts('D4'), [('D4', 'ok@y.test', 'D', '250 2.0.0 ok')], 'final 250 without enhanced code -> 2.0.0')
            is_(srv.connections, 1, 'one connection for all')

        # a server that says 354 to a DATA with no valid recipient
        with FakeSMTP(ext=['PIPELINING'], data_norcpt='354 go ahead anyway') as srv:
            r = remote(srv.target, job('E1', m, 'a@x.test', 'permfail@y.test') + job('E2', m, 'a@x.test', 'ok@y.test'), ['-T', '10'])
            is_(st(r, 'E1'), [('permfail@y.test', 'P')], '354 without recipients: still P')
            is_(st(r, 'E2'), [('ok@y.test', 'D')], '  and the session goes on')
            ok(len(srv.messages) >= 1 and srv.messages[0]['data'] == b'' and srv.messages[-1]['data'] == b'Subject: t\r\n\r\nhello\r\n',
               '  the bogus 354 got an empty message, the next one the real body')


run(main, timeout=120)
