#!/usr/bin/python3
# Proves: a forward listener (forward:ADDR:PORT:smtp) carries a whole
# SMTP session to aiosmtpd: greeting, EHLO, a message of 300 KB (bytes
# identical at the server), several messages on one connection, and
# several sessions at once; the name "smtp" is matched like an SNI name
# (forward:smtp beats a bare "smtp" and the default "*"); the server
# speaking first works (nothing is waited for from the client); the log
# has event=close with listener=forward:..., rule= and reason=eof.
import os, smtplib, sys, threading
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'remote'))
from snilib import *
from dcrtest import *
from remotelib import AioSink


def message(n, size):
    body = ''.join('line %d of message %d: %s\r\n' % (i, n, 'x' * 60) for i in range(size // 80))
    return ('From: a@sender.test\r\nTo: b@rcpt.test\r\nSubject: m%d\r\n\r\n' % n + body).encode()


def main():
    with AioSink() as sink, RawBackend('wrong') as wrong:
        rules = ('forward:smtp 127.0.0.1:%d\n'
                 'smtp %s\n'
                 '* %s\n') % (sink.port, wrong.addr, wrong.addr)
        with Sniproxy(rules, ['forward:smtp']) as sp:
            port = sp.port('forward:smtp')
            s = smtplib.SMTP('127.0.0.1', port, timeout=10)
            code, msg = s.ehlo('client.test')
            is_(code, 250, 'EHLO through the splicer: 250')
            like(msg.decode(), r'aio\.test', 'the greeting and EHLO came from aiosmtpd')
            m1 = message(1, 300000)
            s.sendmail('a@sender.test', ['b@rcpt.test'], m1)
            s.sendmail('c@sender.test', ['d@rcpt.test', 'e@rcpt.test'], message(2, 2000))
            s.quit()
            is_(len(sink.envelopes), 2, 'two messages on one session')
            if sink.envelopes:
                is_(sink.envelopes[0]['content'], m1, 'the 300 KB message arrived byte for byte')
                is_(sink.envelopes[1]['rcpt_tos'], ['d@rcpt.test', 'e@rcpt.test'], 'the second one\'s recipients')

            errs = []

            def one(i):
                try:
                    c = smtplib.SMTP('127.0.0.1', port, timeout=15)
                    c.sendmail('p%d@sender.test' % i, ['q@rcpt.test'], message(10 + i, 5000))
                    c.quit()
                except Exception as e:  # noqa: B902
                    errs.append(repr(e))
            ts = [threading.Thread(target=one, args=(i,)) for i in range(10)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(30)
            is_(errs, [], '10 sessions at once: no error')
            is_(len(sink.envelopes), 12, 'and 10 more messages arrived')
            is_(wrong.accepted, 0, 'the bare "smtp" and "*" rules were never used')
            lines = sp.wait_log(r'event=close .*listener=forward:127\.0\.0\.1:%d' % port, count=11)
            is_(len(lines), 11, 'one event=close line per session')
            like(lines[0] if lines else '', r'sni=smtp rule=forward:smtp target=127\.0\.0\.1:%d .*reason=eof' % sink.port,
                 'the line names sni=smtp, rule=forward:smtp, the target, reason=eof')
            m = re.search(r' up=(\d+) ', lines[0] if lines else '')
            ok(m and int(m.group(1)) > 300000, 'up= counts the 300 KB sent (%s)' % (m and m.group(1)))


run(main, 60)
