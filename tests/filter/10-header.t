#!/usr/bin/python3
# dcr-header: add, prepend, set and remove header fields by rules, with
# conditions and $VAR values; the body is copied untouched; errors in the
# rules are temporary (4.3.5); hostile values cannot forge a field.
import email
import email.policy
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter, BASE_ENV

MSG = (b"Received: from a.internal.example.com by gw\n\tid 1\n"
       b"Received: from outside.example.net by a.internal.example.com\n"
       b"From: \"Doe, J\" <j@Example.COM>\n"
       b"To: rcpt@example.com\n"
       b"Subject: hello\n"
       b"X-Secret-One: 1\n"
       b"x-secret-two: 2\n"
       b"\n"
       b"body line\nFrom the body\n\n.\n\xff\xfe binary\n")


def names(msg):
    head = msg.split(b'\n\n', 1)[0]
    return [l.split(b':', 1)[0].decode() for l in head.split(b'\n') if l and l[:1] not in (b' ', b'\t')]


def body(msg):
    return msg.split(b'\n\n', 1)[1]


def header(rules, msg=MSG, env=None):
    with tempfile.NamedTemporaryFile('w', suffix='.rules', delete=False) as f:
        f.write(rules)
    try:
        return run_filter(['dcr-header', '-f', f.name], msg, env=env)
    finally:
        os.unlink(f.name)


def main():
    r = header("add X-Processed-By: gateway\n")
    is_(r.rc, 0, 'add: the chain went on')
    is_(names(r.message), ['Received', 'Received', 'From', 'To', 'Subject', 'X-Secret-One', 'x-secret-two', 'X-Processed-By'],
        'add: the field goes after the others')
    is_(body(r.message), body(MSG), 'add: the body is byte for byte the same')
    is_(r.out.strip(), 'queued-id', 'the next program answered')

    r = header("prepend X-First: 1\n")
    is_(names(r.message)[0], 'X-First', 'prepend: the field goes first')

    r = header("set subject: replaced\n")
    ok(b'subject: replaced\n' in r.message and b'hello' not in r.message, 'set: the old Subject is gone, the new one there')
    is_(names(r.message).index('subject'), 4, 'set: in the place of the first one')
    r = header("set X-New: v\n")
    is_(names(r.message)[-1], 'X-New', 'set of a field not there: added at the end')

    r = header("remove Received\n")
    ok('Received' not in names(r.message), 'remove: every Received')
    r = header("remove X-Secret*\n")
    ok(not any(n.lower().startswith('x-secret') for n in names(r.message)), 'remove NAME*: by prefix, case ignored')
    r = header("remove Received matching from a\\.internal\\.example\\.com\n")
    is_(names(r.message).count('Received'), 1, 'remove matching: only the internal hop')
    ok(b'outside.example.net' in r.message, 'remove matching: the other Received stays')
    r = header("remove Received matching ^from outside.*by a\\.internal\n")
    ok(b'outside.example.net' not in r.message and b'a.internal.example.com by gw' in r.message,
       'remove matching: on the unfolded value, anchored')

    r = header("add X-A: 1\nremove X-A\n")
    is_(r.message, MSG, 'rules apply in order: a later remove undoes an add (and the message is as it was)')
    r = header("# nothing here\n\n   \nremove X-Not-There\n")
    is_(r.message, MSG, 'no change: the message goes on as it is')

    # conditions
    r = header("rcpt-domain=example.com add X-C: yes\nrcpt-domain=other.test add X-D: yes\n")
    ok(b'X-C: yes' in r.message and b'X-D' not in r.message, 'rcpt-domain: only the matching rule')
    r = header("rcpt-domain=other.test add X-D: yes\n", env={'SMTP_RECIPIENTS': 'a@example.com\nb@other.test'})
    ok(b'X-D: yes' in r.message, 'rcpt-domain: any recipient of the message')
    r = header("from-domain=example.com add X-F: yes\n!from-domain=example.com add X-G: yes\n")
    ok(b'X-F: yes' in r.message and b'X-G' not in r.message, 'from-domain (lowercased) and its negation')
    r = header("sender=<> add X-Bounce: yes\n", env={'SMTP_SENDER': ''})
    ok(b'X-Bounce: yes' in r.message, 'sender=<>: the null sender')
    r = header("sender-domain=*.example.org add X-S: yes\nsender-domain=example.org ip=192.0.2.0/24 add X-T: yes\n")
    ok(b'X-S: ' not in r.message and b'X-T: yes' in r.message, 'sender-domain exact and *.; ip=; conditions AND')
    r = header("auth=* add X-Auth: $SMTP_AUTHUSER\n", env={'SMTP_AUTHUSER': 'alice'})
    ok(b'X-Auth: alice\n' in r.message, 'auth=*, and $SMTP_AUTHUSER')

    # values
    r = header("add X-Id: ${DCR_ID} from $TCPREMOTEIP for $SMTP_SENDER $$5 $NOT_SET.\n")
    ok(b'X-Id: test-id-1 from 192.0.2.1 for sender@example.org $5 .\n' in r.message, '$VAR, ${VAR}, $$, unset is empty')
    r = header("add X-Rcpts: $SMTP_RECIPIENTS\n", env={'SMTP_RECIPIENTS': 'a@x.test\nBcc: evil@x.test\r\nb@x.test'})
    ok(b'X-Rcpts: a@x.test Bcc: evil@x.test  b@x.test\n' in r.message, 'LF and CR from a variable become spaces')
    ok(b'\nBcc:' not in r.message, 'no field can be forged through a variable')
    long = ' '.join('word%02d' % i for i in range(60))
    r = header("add X-Long: %s\n" % long)
    head = r.message.split(b'\n\n')[0].decode()
    lines = head[head.index('X-Long'):].split('\n')
    ok(len(lines) > 3 and all(len(l) <= 78 for l in lines), 'a long value is folded under 78 columns')
    m = email.message_from_bytes(r.message, policy=email.policy.default)
    is_(' '.join(str(m['X-Long']).split()), long, 'the folded value unfolds to the same words')
    r = header("add X-Big: %s\n" % ('x' * 3000))
    ok(all(len(l) <= 998 for l in r.message.split(b'\n')), 'no line over 998 octets, even for one long word')
    r = header("add X-Utf8: caf\u00e9 \u2603\n")
    ok('X-Utf8: caf\u00e9 \u2603\n'.encode() in r.message, '8-bit values kept as they are')
    m8 = MSG.replace(b'Subject: hello', b'Subject: caf\xc3\xa9 \xff')
    r = header("add X-A: 1\n", msg=m8)
    ok(b'Subject: caf\xc3\xa9 \xff\n' in r.message, '8-bit in the message header untouched')

    # odd messages
    r = header("add X-A: 1\n", msg=b"Subject: no body, no LF")
    is_(r.message, b"Subject: no body, no LF\nX-A: 1\n", 'a last field without LF gets one before the new field')
    r = header("add X-A: 1\n", msg=b"")
    is_(r.message, b"X-A: 1\n", 'an empty message')
    r = header("add X-A: 1\n", msg=b"Subject: x\nnot a field line\nmore\n")
    is_(r.message, b"Subject: x\nX-A: 1\nnot a field line\nmore\n", 'a body without the empty line: fields end at the first non-field')
    r = header("add X-A: 1\n", msg=b"Subject: x\r\n\r\nbody\r\n")
    ok(r.message.startswith(b"Subject: x\r\nX-A: 1\n"), 'a CR before LF is kept as text')
    big = b"X-Pad: " + b"a" * 1000 + b"\n"
    r = header("add X-A: 1\n", msg=big * 1100 + b"\nbody\n")
    is_(r.rc, 100, 'a header section over 1 MiB: refused')
    like(r.out, r'^5\.6\.0 ', '... with 5.6.0')

    # errors in the rules: temporary, naming file and line
    for rules, why in [("add X-A: 1\nadd Foo bar\n", "no ':'"),
                       ("frob X-A: 1\n", "unknown word"),
                       ("rcpt-domain=a b.test add X: 1\n", "action"),
                       ("ip=10.0.0.1/40 add X: 1\n", "CIDR"),
                       ("remove Received matching (\n", "regular expression"),
                       ("remove Received matching x++\n", "repetition"),
                       ("remove *\n", "every field"),
                       ("add Bad Name: 1\n", "blank"),
                       ("add X: 1\r\n", "CR")]:
        r = header(rules)
        ok(r.rc == 111 and r.out.startswith('4.3.5 ') and r.message is None,
           'bad rules %r: 4.3.5, exit 111, not passed on' % rules.split('\n')[-2][:30])
        like(r.err, r'\.rules:\d+: .*' + why, '... stderr names file:line and says why (%s)' % why)
    r = run_filter(['dcr-header', '-f', '/nonexistent/rules'], MSG)
    ok(r.rc == 111 and r.out.startswith('4.3.5') and '/nonexistent/rules' in r.err, 'a missing rules file: 4.3.5, named')
    for args in (['-f', '/dev/null'], ['--frob', '-f', '/dev/null', 'true'], ['-f']):
        p = subprocess.run([bin_path('dcr-header')] + args, stdin=subprocess.DEVNULL, capture_output=True)
        ok(p.returncode == 111 and p.stdout.startswith(b'4.3.5 '),
           'usage error %r: 4.3.5, exit 111 (a typo in the chain never bounces mail)' % ' '.join(args))

    # 50 MB: the body is copied, not loaded
    with tempfile.TemporaryDirectory() as d:
        rules = os.path.join(d, 'rules')
        with open(rules, 'w') as f:
            f.write("add X-A: 1\n")
        src = os.path.join(d, 'msg')
        with open(src, 'wb') as f:
            f.write(b"Subject: big\n\n")
            line = b"x" * 76 + b"\n"
            for _ in range(50 * 1024 * 1024 // len(line)):
                f.write(line)
        env = dict(os.environ, TMPDIR=d)
        with open(src, 'rb') as stdin:
            p = subprocess.Popen([bin_path('dcr-header'), '-f', rules, '/bin/sh', '-c', 'sleep 0.3; wc -c'],
                                 stdin=stdin, stdout=subprocess.PIPE, env=env)
            with RssPeak(p.pid) as m:
                out, _ = p.communicate(timeout=60)
        is_(int(out.split()[0]), os.path.getsize(src) + len(b"X-A: 1\n"), '50 MB: all of it passed on, with the field')
        if m.base:
            ok(m.peak < 4096, '50 MB: peak RSS %d KiB stays small' % m.peak)

    # through dcr-smtpd, into the queue
    with tempfile.NamedTemporaryFile('w', suffix='.rules', delete=False) as f:
        f.write("add X-Gateway: $DCR_ID\nremove X-Internal\n")
    try:
        with Gateway(filters=[[bin_path('dcr-header'), '-f', f.name]]) as gw:
            s = gw.smtp()
            s.sendmail('a@example.org', ['u@localhost'], b"From: a@example.org\r\nX-Internal: x\r\nSubject: t\r\n\r\nhi\r\n")
            s.quit()
            files = gw.messages()
            is_(len(files), 1, 'one message queued through dcr-header')
            with open(os.path.join(gw.queue, 'mess', files[0]), 'rb') as q:
                data = q.read()
            ok(b'X-Gateway: ' in data and b'X-Internal' not in data, 'the queued message has the new field, not the removed one')
            qid = os.path.basename(files[0])
            ok(('X-Gateway: %s\n' % qid).encode() in data, 'the value is the message id ($DCR_ID is the queue id)')
    finally:
        os.unlink(f.name)


run(main, 120)
