#!/usr/bin/python3
# Proves: RSET, NOOP, VRFY (252, never confirms a user), HELP and QUIT
# behave; RSET forgets the transaction; QUIT in the middle of a
# transaction queues nothing and closes.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway() as gw:
        dialogue(gw, '''
            S: 220
            C: NOOP
            S: 250
            C: RSET
            S: 250
            C: EHLO client.dcrtest
            S: 250
            C: NOOP
            S: 250
            C: NOOP some argument
            S: 250
            C: VRFY root
            S: 252
            C: VRFY postmaster@localhost
            S: 252
            C: VRFY nosuchuser@localhost
            S: 252
            C: VRFY <someone@other.test>
            S: 252
            C: HELP
            S: 2
            C: EXPN staff
            S: 5
            C: NOOP
            S: 250
        ''', 'noop vrfy help')

        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            C: RCPT TO:<b@localhost>
            S: 250
            C: RSET
            S: 250
            C: DATA
            S: 503
            C: RCPT TO:<b@localhost>
            S: 503
            C: MAIL FROM:<a@localhost>
            S: 250
            C: QUIT
            S: 221
            S: closed
        ''', 'RSET forgets the transaction')

        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            C: RCPT TO:<b@localhost>
            S: 250
            C: DATA
            S: 354
            C: Subject: never finished
            C:
            C: body
            C: QUIT
            S: silent
        ''', 'QUIT inside DATA is data')
        is_(gw.queued(), [], 'unfinished messages are not queued')
        is_(gw.tmp_files(), [], 'queue/tmp is clean')

        c = gw.raw()
        c.cmd('EHLO x')
        code, text = c.cmd('VRFY root')
        ok(code == 252 and 'root' not in text.split(' ', 1)[0], 'VRFY 252 does not confirm')
        code, text = c.cmd('QUIT')
        is_(code, 221, 'QUIT 221')
        ok(c.closed(), 'closed after QUIT')


run(main)
