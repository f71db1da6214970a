#!/usr/bin/python3
# dcr-rewrite, the header: From/Sender/Reply-To/To/Cc/Bcc addresses are
# rewritten by the map and nothing else moves: display names (quoted,
# with commas, encoded words), comments, groups, folding, other fields
# and the body stay byte for byte; a field that is not a valid address
# list is left alone and logged; python's email package reads the result.
import email
import email.policy
import email.utils
import os
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter

MAP = """# masquerade the inside
*@internal.example.com -> *@example.com
boss@internal.example.com -> ceo@example.com sender
@old.example.net -> @new.example.net recipient
"""

BODY = (b"From: not-a-header@internal.example.com\n"
        b"To: body@internal.example.com\n\n"
        b"\xff\xfe 8-bit body, and a@internal.example.com\n")


def rewrite(msg, env=None, text=MAP):
    with tempfile.NamedTemporaryFile('w', suffix='.map', delete=False) as f:
        f.write(text)
    try:
        return run_filter(['dcr-rewrite', '-f', f.name], msg, env=env)
    finally:
        os.unlink(f.name)


def head(m):
    return m.split(b'\n\n', 1)[0] + b'\n'


def main():
    msg = (b"Received: from a.internal.example.com by gw\n\tid 1 for <x@internal.example.com>\n"
           b"From: \"Doe, John\" <john@internal.example.com>\n"
           b"Sender: boss@internal.example.com (The Boss)\n"
           b"Reply-To: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <JOERG@Internal.Example.COM>\n"
           b"To: Alice <alice@old.example.net>, bob@old.example.net,\n"
           b"   \"Carol (c)\" <carol@old.example.net> (comment),\n"
           b"\tdave@elsewhere.example.org\n"
           b"Cc: team: eve@old.example.net, Frank <frank@internal.example.com>;,\n"
           b"  undisclosed-recipients:;\n"
           b"Bcc: <grace@old.example.net>\n"
           b"Message-ID: <id1@internal.example.com>\n"
           b"In-Reply-To: <x@internal.example.com>\n"
           b"Subject: mail for someone@internal.example.com\n"
           b"\n") + BODY
    want = (b"Received: from a.internal.example.com by gw\n\tid 1 for <x@internal.example.com>\n"
            b"From: \"Doe, John\" <john@example.com>\n"
            b"Sender: ceo@example.com (The Boss)\n"
            b"Reply-To: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <JOERG@example.com>\n"
            b"To: Alice <alice@new.example.net>, bob@new.example.net,\n"
            b"   \"Carol (c)\" <carol@new.example.net> (comment),\n"
            b"\tdave@elsewhere.example.org\n"
            b"Cc: team: eve@new.example.net, Frank <frank@example.com>;,\n"
            b"  undisclosed-recipients:;\n"
            b"Bcc: <grace@new.example.net>\n"
            b"Message-ID: <id1@internal.example.com>\n"
            b"In-Reply-To: <x@internal.example.com>\n"
            b"Subject: mail for someone@internal.example.com\n"
            b"\n") + BODY
    r = rewrite(msg)
    is_(r.rc, 0, 'the chain went on')
    is_(r.message, want, 'only the addr-specs changed: names, comments, groups, folding, other fields, body byte-identical')
    if r.message:
        is_(r.message.split(b'\n\n', 1)[1], msg.split(b'\n\n', 1)[1], 'the body is byte for byte the same')
        m = email.message_from_bytes(r.message, policy=email.policy.default)
        is_(str(m['From'].addresses[0].display_name), 'Doe, John', 'email package: the display name with a comma kept')
        is_(m['From'].addresses[0].addr_spec, 'john@example.com', 'email package: From address rewritten')
        is_(m['Reply-To'].addresses[0].display_name, 'J\u00f6rg M\u00fcller', 'email package: the encoded word decodes as before')
        is_([a.addr_spec for a in m['To'].addresses],
            ['alice@new.example.net', 'bob@new.example.net', 'carol@new.example.net', 'dave@elsewhere.example.org'],
            'email package: the folded To list')
        is_([a.addr_spec for a in m['Cc'].addresses], ['eve@new.example.net', 'frank@example.com'],
            'email package: the group members in Cc')
    like(r.err, r'event=rewrite id=test-id-1 what=header field=From old=john@internal.example.com new=john@example.com',
         'each change is logged with the field, old and new')
    is_(r.err.count('what=header'), 9, 'nine header addresses changed, nine log lines')

    # scopes: a recipient rule leaves From alone; a sender rule leaves To alone
    r = rewrite(b"From: x@old.example.net\nTo: boss@internal.example.com\n\nb\n")
    is_(r.message, b"From: x@old.example.net\nTo: boss@example.com\n\nb\n",
        'scopes: recipient rule not on From, sender-only exact rule not on To (the domain rule applies)')

    # nothing to do: the message goes on as it came (no copy)
    plain = b"From: a@elsewhere.example.org\nTo: b@elsewhere.example.org\n\nbody\n"
    r = rewrite(plain)
    ok(r.rc == 0 and r.message == plain and 'what=header' not in r.err, 'no match: the message unchanged, nothing logged')

    # a field we cannot parse stays as it is, and is logged; the others are rewritten
    bad = (b"From: John Doe <john@internal.example.com\n"
           b"To: \"unterminated <a@internal.example.com>\n"
           b"Cc: a @ internal.example.com\n"
           b"Reply-To: r@internal.example.com\n\nb\n")
    r = rewrite(bad)
    is_(r.message, bad.replace(b"r@internal.example.com", b"r@example.com"),
        'unparseable From, To, Cc untouched; Reply-To rewritten')
    is_(r.err.count('event=rewrite-skip'), 3, 'each unparseable field logged')
    like(r.err, r'event=rewrite-skip id=test-id-1 field=From reason="not an address list"', 'the skip names the field')

    # a message without a body, a header only; CRLF kept as text
    r = rewrite(b"To: a@old.example.net")
    is_(r.message, b"To: a@new.example.net", 'a header without the empty line or body')
    r = rewrite(b"To: a@old.example.net\r\n\r\nbody\r\n")
    is_(r.message, b"To: a@new.example.net\r\n\r\nbody\r\n", 'a stray CR before LF is kept')
    # the header stops at a line that is not a field: what follows is body, untouched
    r = rewrite(b"To: a@old.example.net\nnot a field\nCc: b@old.example.net\n\nx\n")
    is_(r.message, b"To: a@new.example.net\nnot a field\nCc: b@old.example.net\n\nx\n",
        'after a line that is not a field, nothing is rewritten (it is the body)')
    # case of the field name
    r = rewrite(b"fROM: a@internal.example.com\nCC: b@internal.example.com\n\nx\n")
    is_(r.message, b"fROM: a@example.com\nCC: b@example.com\n\nx\n", 'field names in any case')

    # a header over 1 MiB: passed on unchanged and logged, not refused
    big = b"X-Big: " + b"x" * (1100 * 1024) + b"\nFrom: a@internal.example.com\n\nbody\n"
    r = rewrite(big)
    ok(r.rc == 0 and r.message == big, 'a header section over 1 MiB goes on unchanged')
    like(r.err, r'event=rewrite-skip.*1 MiB', 'and is logged')


run(main)
