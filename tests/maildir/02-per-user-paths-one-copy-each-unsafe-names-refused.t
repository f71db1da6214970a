#!/usr/bin/python3
# Proves: %u and %d expand to the recipient's local part and domain,
# lowercased; one copy per distinct expanded path, with Delivered-To only
# when one recipient maps to the path (two recipients, or a path without
# %u, get one copy and no Delivered-To); a local part or domain that is
# not a safe file name ("../x", "a/b", ".x", empty) is refused with P
# 550 5.1.3 and nothing is made outside the base; %% is a '%'.
import os, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from maildirtest import *

MSG = b'Subject: s\n\nbody\n'


def main():
    top = tempfile.mkdtemp(prefix='dcrmd-')
    msg = os.path.join(top, 'msg')
    with open(msg, 'wb') as f:
        f.write(MSG)
    base = os.path.join(top, 'mail')
    rc, out, err, _ = agent([base + '/%d/%u'], job('J1', msg, 's@x.test', 'Bob@Example.NET', 'carol@example.net',
                                                   'BOB@example.net', 'dave@other.test'))
    v = verdicts(out)
    is_([x[2] for x in v[:4]], ['D'] * 4, 'all four delivered')
    is_(v[4], ('J1', 'done'), 'then done')
    is_(all_files(base), sorted(['example.net/bob/new/' + files(base + '/example.net/bob')[0],
                                 'example.net/carol/new/' + files(base + '/example.net/carol')[0],
                                 'other.test/dave/new/' + files(base + '/other.test/dave')[0]]),
        'one copy per distinct path: Bob and BOB share example.net/bob')
    bob = read(base + '/example.net/bob', files(base + '/example.net/bob')[0])
    is_(bob, b'Return-Path: <s@x.test>\n' + MSG, 'the shared copy has no Delivered-To')
    ok(v[0][3] == v[2][3], 'both recipients of the shared copy get the same reply')
    carol = read(base + '/example.net/carol', files(base + '/example.net/carol')[0])
    is_(carol, b'Return-Path: <s@x.test>\nDelivered-To: carol@example.net\n' + MSG, 'a single recipient has its Delivered-To')

    shared = os.path.join(top, 'shared')
    rc, out, err, _ = agent([shared], job('J2', msg, '', 'a@x.test', 'b@y.test'))
    is_([x[2] for x in verdicts(out)[:2]], ['D', 'D'], 'a path without %u: both delivered')
    is_(len(files(shared)), 1, '  by one copy')
    is_(read(shared, files(shared)[0]), b'Return-Path: <>\n' + MSG, '  without Delivered-To')

    bad = ['../x@example.net', 'a/b@example.net', '.x@example.net', '..@example.net',
           'u@..', 'u@a/b', 'u@.x', 'u@', 'nodomain']
    rc, out, err, _ = agent([base + '/%d/%u'], job('J3', msg, '', *bad) + job('J4', msg, '', 'ok@example.net'))
    v = verdicts(out)
    is_([(x[1], x[2]) for x in v[:len(bad)]], [(b, 'P') for b in bad], 'unsafe names: P for each')
    ok(all(x[3].startswith('550 5.1.3 bad destination mailbox address: ') for x in v[:len(bad)]),
       '  550 5.1.3 bad destination mailbox address')
    diag(v[0][3])
    is_(v[len(bad)], ('J3', 'done'), '  then done')
    is_(v[len(bad) + 1][:3], ('J4', 'ok@example.net', 'D'), 'the next job is delivered')
    is_(sorted(os.listdir(top)), ['mail', 'msg', 'shared'], 'nothing made outside the base')
    is_(sorted(os.listdir(base)), ['example.net', 'other.test'], 'nor beside the domains')
    is_(sorted(os.listdir(base + '/example.net')), ['bob', 'carol', 'ok'], 'nor beside the users')

    pct = os.path.join(top, 'p%%c')
    rc, out, err, _ = agent([pct + '/%u'], job('J5', msg, '', 'u@x.test'))
    ok(verdicts(out)[0][2] == 'D' and os.path.isdir(os.path.join(top, 'p%c', 'u', 'new')), '%% is a %')


run(main, timeout=60)
