#!/usr/bin/python3
# dcr-rewrite, the envelope: SMTP_SENDER and SMTP_RECIPIENTS reach the
# next program rewritten; the null sender stays null; the DSN lines stay
# aligned with the recipients, and two recipients that become one are
# kept once with the first one's DSN parameters; a broken map is a
# temporary 4.3.5 naming file:line, and the message goes nowhere.
import os
import re
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter

MAP = """*@internal.example.com -> *@example.com
boss@internal.example.com -> ceo@example.com sender
@old.example.net -> @new.example.net envelope-to
list@example.com -> list-bounces@example.com envelope-from
"""
MSG = b"From: someone@elsewhere.example.org\nSubject: s\n\nbody\n"


def rewrite(env, text=MAP, msg=MSG, argv=None):
    with tempfile.NamedTemporaryFile('w', suffix='.map', delete=False) as f:
        f.write(text)
    try:
        return run_filter(argv or ['dcr-rewrite', '-f', f.name], msg, env=env), f.name
    finally:
        os.unlink(f.name)


def main():
    r, _ = rewrite({'SMTP_SENDER': 'joe@internal.example.com',
                    'SMTP_RECIPIENTS': 'a@old.example.net\nb@elsewhere.example.org\nC@Internal.Example.Com'})
    is_(r.rc, 0, 'the chain went on')
    is_(r.env.get('SMTP_SENDER'), 'joe@example.com', 'envelope sender rewritten (domain rule)')
    is_(r.env.get('SMTP_RECIPIENTS'), 'a@new.example.net\nb@elsewhere.example.org\nC@example.com',
        'recipients rewritten in order, the others kept')
    is_(r.message, MSG, 'the message itself unchanged (no header address matched)')
    like(r.err, r'event=rewrite id=test-id-1 what=envelope-from old=joe@internal.example.com new=joe@example.com',
         'the sender change is logged')
    like(r.err, r'what=envelope-to old=a@old.example.net new=a@new.example.net', 'a recipient change is logged')

    r, _ = rewrite({'SMTP_SENDER': 'boss@internal.example.com', 'SMTP_RECIPIENTS': 'boss@internal.example.com'})
    is_(r.env.get('SMTP_SENDER'), 'ceo@example.com', 'exact sender rule beats the domain rule')
    is_(r.env.get('SMTP_RECIPIENTS'), 'boss@example.com', 'the exact rule is sender-only: the recipient takes the domain rule')

    r, _ = rewrite({'SMTP_SENDER': 'list@example.com', 'SMTP_RECIPIENTS': 'list@example.com'})
    is_(r.env.get('SMTP_SENDER'), 'list-bounces@example.com', 'envelope-from scope: the sender')
    is_(r.env.get('SMTP_RECIPIENTS'), 'list@example.com', 'envelope-from scope: not the recipients')

    r, _ = rewrite({'SMTP_SENDER': '', 'SMTP_RECIPIENTS': 'x@internal.example.com'})
    is_(r.env.get('SMTP_SENDER'), '', 'the null sender stays null')
    is_(r.env.get('SMTP_RECIPIENTS'), 'x@example.com', '... and its recipients are rewritten')

    # DSN lines: aligned; a duplicate keeps the first one's parameters
    r, _ = rewrite({'SMTP_SENDER': 's@elsewhere.example.org',
                    'SMTP_RECIPIENTS': 'u@internal.example.com\nv@other.test\nu@example.com\nw@old.example.net',
                    'SMTP_DSN_NOTIFY': 'SUCCESS\n\nNEVER\nFAILURE,DELAY',
                    'SMTP_DSN_ORCPT': 'rfc822;u@internal.example.com\n\nrfc822;u@example.com\nrfc822;w@old.example.net'})
    is_(r.env.get('SMTP_RECIPIENTS'), 'u@example.com\nv@other.test\nw@new.example.net',
        'u@internal and u@example became one recipient')
    is_(r.env.get('SMTP_DSN_NOTIFY'), 'SUCCESS\n\nFAILURE,DELAY', 'NOTIFY lines follow their recipients (the first kept)')
    is_(r.env.get('SMTP_DSN_ORCPT'), 'rfc822;u@internal.example.com\n\nrfc822;w@old.example.net',
        'ORCPT keeps the original recipient (RFC 3461), aligned')
    like(r.err, r'what=envelope-to duplicate=u@example.com', 'the merge is logged')

    # nothing matches: the environment is as it came
    r, _ = rewrite({'SMTP_SENDER': 's@a.test', 'SMTP_RECIPIENTS': 'r@b.test\nq@c.test', 'SMTP_DSN_NOTIFY': 'NEVER\nSUCCESS'})
    ok(r.env.get('SMTP_RECIPIENTS') == 'r@b.test\nq@c.test' and r.env.get('SMTP_DSN_NOTIFY') == 'NEVER\nSUCCESS'
       and 'event=rewrite' not in r.err, 'no match: envelope untouched, nothing logged')

    # broken maps: temporary, naming file and line, nothing passed on
    for text, line, why in (("*@a.test -> *@b.test\noops\n", 2, 'expected PATTERN'),
                            ("a.test -> b.test\n", 1, 'bad pattern'),
                            ("# c\n*@a.test -> *@b..test\n", 2, 'bad replacement'),
                            ("*@a.test -> *@b.test inbound\n", 1, 'unknown scope')):
        r, name = rewrite({}, text=text)
        ok(r.rc == 111 and r.out.startswith('4.3.5 ') and r.message is None,
           'broken map (%s): 4.3.5, exit 111, nothing passed on' % why)
        like(r.err, r'%s:%d: %s' % (re.escape(name), line, why), 'the error names %s:%d' % ('MAP', line))
    r, _ = rewrite({}, argv=['dcr-rewrite', '-f', '/nonexistent/map'])
    ok(r.rc == 111 and r.out.startswith('4.3.5 ') and '/nonexistent/map' in r.err, 'a missing map: 4.3.5 naming it')
    r, _ = rewrite({}, argv=['dcr-rewrite'])
    ok(r.rc == 111 and r.out.startswith('4.3.5 '), 'no -f: 4.3.5, exit 111 (a typo in the chain never bounces mail)')


run(main)
