#!/usr/bin/python3
# Proves: commands out of order get 503 5.5.1 (MAIL before HELO/EHLO,
# nested MAIL, RCPT before MAIL, BDAT before MAIL; DATA before RCPT is a
# 5xx), nothing is
# queued, and the session still works after each of them.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway() as gw:
        dialogue(gw, '''
            S: 220
            C: MAIL FROM:<a@localhost>
            S: 503 5.5.1
            C: RCPT TO:<b@localhost>
            S: 503
            C: DATA
            S: 503
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
        ''', 'MAIL before HELO')

        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: RCPT TO:<b@localhost>
            S: 503 5.5.1
            C: DATA
            S: 503
            C! BDAT 3 LAST\\r\\nabc
            S: 503
        ''', 'RCPT/DATA/BDAT before MAIL')

        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            C: MAIL FROM:<c@localhost>
            S: 503 5.5.1
            C: RCPT TO:<b@localhost>
            S: 250
            C: RSET
            S: 250
            C: MAIL FROM:<c@localhost>
            S: 250
        ''', 'nested MAIL')

        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            # RFC 5321 says 503; RFC 2920 allows 554 "no valid recipients";
            # the spec fixes neither: the class is checked
            C: DATA
            S: 5
            C: RCPT TO:<b@localhost>
            S: 250
            C: DATA
            S: 354
            C: Subject: after the errors
            C:
            C: body
            C: .
            S: 250
            C: QUIT
            S: 221
        ''', 'DATA before RCPT')

        dialogue(gw, '''
            S: 220
            C: EHLO client.dcrtest
            S: 250
            C: MAIL FROM:<a@localhost>
            S: 250
            C: RCPT TO:<nobody@other.test>
            S: 554
            C: DATA
            S: 5
            C: QUIT
            S: 221
        ''', 'DATA with no accepted recipient')
        is_(len(gw.queued()), 1, 'exactly the one complete message was queued')


run(main)
