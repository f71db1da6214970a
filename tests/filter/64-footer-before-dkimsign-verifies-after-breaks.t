#!/usr/bin/python3
# Why dcr-footer goes before dcr-dkimsign: a message with a footer added
# and then signed verifies with python3-dkim and opendkim; the same
# footer added after the signature breaks it (the body hash changes).
import os
import shutil
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter
from dkimlib import Keys, dkimpy, opendkim

MSG = (b"From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: signed\nMIME-Version: 1.0\n"
       b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nHello Bob,\nK\xc3\xb6ln.\n")


def main():
    d = tempfile.mkdtemp(prefix='dcr-footer-dkim-')
    try:
        keys = Keys(d)
        keys.add('example.com', 'sel', 2048)
        t = os.path.join(d, 'footer')
        with open(t, 'w', encoding='utf-8') as f:
            f.write("-- \nACME Corp. \u2013 confidential.\n")
        footer = ['dcr-footer', '-t', t]
        sign = [bin_path('dcr-dkimsign'), '-d', keys.dir]

        r = run_filter(footer + sign, MSG)
        ok(r.rc == 0 and r.message and r.message.startswith(b'DKIM-Signature:'), 'footer then dkimsign: signed')
        ok(r.message and b'ACME Corp.' in r.message, '... with the footer')
        ok(dkimpy(r.message, keys), 'footer then dkimsign: python3-dkim verifies')
        v, line = opendkim(r.message, keys)
        ok(v, 'footer then dkimsign: opendkim verifies (%s)' % line)

        r = run_filter(['dcr-dkimsign', '-d', keys.dir, bin_path('dcr-footer'), '-t', t], MSG)
        ok(r.rc == 0 and r.message and b'ACME Corp.' in r.message and r.message.startswith(b'DKIM-Signature:'),
           'dkimsign then footer: signed, then the footer')
        ok(not dkimpy(r.message, keys), 'dkimsign then footer: python3-dkim refuses it (body hash)')
        v, line = opendkim(r.message, keys)
        ok(not v, 'dkimsign then footer: opendkim refuses it (%s)' % line)
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(main, timeout=120)
