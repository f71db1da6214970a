#!/usr/bin/python3
# Proves: the banner and EHLO name conf/hostname; EHLO advertises every
# extension of the issue (PIPELINING, SIZE <max-size>, 8BITMIME,
# ENHANCEDSTATUSCODES, SMTPUTF8, CHUNKING, DSN); HELO answers one line;
# EHLO/HELO need an argument; commands are case-insensitive; a second EHLO
# resets the transaction (RFC 5321 4.1.4).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway(max_size=123456) as gw:
        c = gw.raw()
        like(c.greeting[1], r'^220 mx\.dcrtest\b', 'banner 220 names conf/hostname')
        ok('\n' not in c.greeting[1] or c.greeting[1].startswith('220-'), 'banner is a proper reply')
        code, text = c.cmd('EHLO client.dcrtest')
        is_(code, 250, 'EHLO 250')
        lines = text.split('\n')
        like(lines[0], r'^250[- ]mx\.dcrtest\b', 'EHLO first line names conf/hostname')
        ok(all(l.startswith('250-') for l in lines[:-1]) and lines[-1].startswith('250 '),
           'EHLO reply is well-formed multi-line (250- ... 250 )')
        kw = [l[4:].upper() for l in lines[1:]]
        for k in ('PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SMTPUTF8', 'CHUNKING', 'DSN'):
            ok(k in kw, 'EHLO advertises ' + k)
        ok('SIZE 123456' in kw, 'EHLO advertises SIZE with conf/max-size')
        ok(not any(k.startswith('AUTH') or k == 'STARTTLS' for k in kw),
           'no AUTH/STARTTLS advertised without TLS')
        c.close()

        with Gateway() as gw2:
            c = gw2.raw()
            code, text = c.cmd('EHLO x')
            ok('SIZE 52428800' in text.upper(), 'default SIZE is 52428800 without conf/max-size')
            c.close()

        dialogue(gw, '''
            S: 220
            C: HELO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            C: QUIT
            S: 221
            S: closed
        ''', 'HELO then MAIL')
        c = gw.raw()
        code, text = c.cmd('HELO client.dcrtest')
        ok(code == 250 and '\n' not in text, 'HELO reply is a single line')
        c.close()

        dialogue(gw, '''
            S: 220
            C: EHLO
            S: 5
            C: HELO
            S: 5
            C: ehlo lower.dcrtest
            S: 250
            C: mail from:<a@localhost>
            S: 250
            C: rcpt to:<b@localhost>
            S: 250
            C: QUIT
            S: 221
        ''', 'no argument 5xx, lower case accepted')

        dialogue(gw, '''
            S: 220
            C: EHLO one.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            C: EHLO two.dcrtest
            S: 250
            C: RCPT TO:<b@localhost>
            S: 503
            C: MAIL FROM:<a@localhost>
            S: 250
            C: QUIT
            S: 221
        ''', 'second EHLO resets the transaction')

        dialogue(gw, '''
            S: 220
            C: EHLO x
            S: 250
            C: FOO bar
            S: 500
            C: MAILFROM:<a@localhost>
            S: 5
            C: NOOP
            S: 250
        ''', 'unknown commands')
        # ENHANCEDSTATUSCODES: replies carry class.subject.detail codes
        r = session(gw, 'MAIL FROM:<a@localhost>', 'RCPT TO:<b@localhost>', 'RCPT TO:<b@other.test>',
                    'NOOP', 'RSET', 'VRFY x', 'FOO', 'RCPT TO:<b@localhost>')
        for (code, text), what in zip(r, ('MAIL', 'RCPT', 'relay refusal', 'NOOP', 'RSET', 'VRFY',
                                          'unknown command', 'bad sequence')):
            like(text, r'^\d{3} [245]\.\d{1,3}\.\d{1,3}( |$)', 'enhanced status code in the %s reply' % what)
        is_(gw.queued(), [], 'nothing queued')


run(main)
