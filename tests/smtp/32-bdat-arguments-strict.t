#!/usr/bin/python3
# Proves: BDAT's arguments are read strictly (doc/dcr-smtpd.md): a size
# of 18 digits or more, and LAST glued to the size, get 501, and what
# follows is read as commands, not swallowed as chunk data.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway() as gw:
        for arg in (b'123456789012345678', b'3LAST', b'3 LASTX', b'-3', b'3 3'):
            with gw.raw() as c:
                c.cmd('EHLO client.dcrtest')
                c.cmd('MAIL FROM:<a@localhost>')
                c.cmd('RCPT TO:<b@localhost>')
                c.send(b'BDAT ' + arg + b'\r\nNOOP\r\n')
                is_(c.reply()[0], 501, 'BDAT %s: 501' % arg.decode())
                is_(c.reply()[0], 250, 'BDAT %s: the NOOP after it is a command' % arg.decode())
        ok(not gw.queued(), 'nothing queued')


run(main)
