#!/usr/bin/python3
# dcr-when: a filter runs on the mail its conditions select, and is
# skipped on the rest; blocks nest; the message passes on intact.
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from filterlib import run_filter

MSG = b"From: Someone <s@Example.NET>\nSubject: t\n\nbody\n"


def main():
    d = tempfile.mkdtemp()
    rules = os.path.join(d, 'rules')
    with open(rules, 'w') as f:
        f.write("add X-Tagged: yes\n")
    hdr = [bin_path('dcr-header'), '-f', rules]

    r = run_filter(['dcr-when', 'rcpt-domain=example.com', '{'] + hdr + ['}'], MSG)
    ok(r.rc == 0 and b'X-Tagged: yes' in r.message, 'condition holds: the filter ran, then the rest')
    r = run_filter(['dcr-when', 'rcpt-domain=other.test', '{'] + hdr + ['}'], MSG)
    ok(r.rc == 0 and r.message == MSG, 'condition fails: the filter is skipped, the message intact')
    r = run_filter(['dcr-when', 'from-domain=example.net', '{'] + hdr + ['}'], MSG)
    ok(r.message is not None and b'X-Tagged' in r.message and r.message.endswith(b'body\n'),
       'from-domain: the header was read, the message rewound for the filter')
    r = run_filter(['dcr-when', 'from-domain=example.org', '{'] + hdr + ['}'], MSG)
    is_(r.message, MSG, 'from-domain false: the message rewound for the rest of the chain')
    r = run_filter(['dcr-when', 'rcpt-domain=example.com', '!sender=<>', '{'] + hdr + ['}'], MSG, env={'SMTP_SENDER': ''})
    is_(r.message, MSG, 'all conditions must hold')
    # nested: an outer and an inner block
    inner = [bin_path('dcr-when'), 'sender-domain=example.org', '{'] + hdr + ['}']
    r = run_filter(['dcr-when', 'rcpt-domain=example.com', '{'] + inner + ['}'], MSG)
    ok(r.message is not None and r.message.count(b'X-Tagged') == 1, 'nested blocks: the inner filter ran once')
    r = run_filter(['dcr-when', 'rcpt-domain=example.com', '{'] + inner + ['}'], MSG, env={'SMTP_SENDER': 'x@elsewhere.test'})
    is_(r.message, MSG, 'nested blocks: inner condition false')
    # a filter that refuses, only for the selected mail
    refuse = ['/bin/sh', '-c', 'echo 5.7.1 refused here; exit 100']
    r = run_filter(['dcr-when', 'ip=192.0.2.0/24', '{'] + refuse + ['}'], MSG)
    ok(r.rc == 100 and r.out.startswith('5.7.1') and r.message is None, 'the filter refusal comes through')
    r = run_filter(['dcr-when', 'ip=198.51.100.0/24', '{'] + refuse + ['}'], MSG)
    ok(r.rc == 0 and r.message == MSG, 'other clients pass')

    # under execlineb, as in dcr-setup's run scripts: execline's own blocks
    with open(os.path.join(d, 'm'), 'wb') as f:
        f.write(MSG)
    script = '%s rcpt-domain=example.com { %s sender-domain=example.org { %s -f %s } } /bin/cat' % (
        bin_path('dcr-when'), bin_path('dcr-when'), bin_path('dcr-header'), rules)
    with open(os.path.join(d, 'm'), 'rb') as stdin:
        p = subprocess.run(['execlineb', '-Pc', script], stdin=stdin, capture_output=True,
                           env=dict(os.environ, SMTP_RECIPIENTS='a@example.com', SMTP_SENDER='s@example.org'))
    ok(p.returncode == 0 and p.stdout.count(b'X-Tagged: yes') == 1 and p.stdout.endswith(b'body\n'),
       'execline blocks, nested: the inner filter ran once')
    with open(os.path.join(d, 'm'), 'rb') as stdin:
        p = subprocess.run(['execlineb', '-Pc', script], stdin=stdin, capture_output=True,
                           env=dict(os.environ, SMTP_RECIPIENTS='a@example.com', SMTP_SENDER='s@elsewhere.test'))
    is_(p.stdout, MSG, 'execline blocks, inner condition false: the message as it was')

    def usage(args):
        p = subprocess.run([bin_path('dcr-when')] + args, stdin=subprocess.DEVNULL, capture_output=True)
        return p.returncode, p.stdout.decode() + p.stderr.decode()
    for args, why in [(['{', 'true', '}', 'true'], 'usage'),
                      (['rcpt-domain=a.test', '{', 'true', 'true'], "no '}'"),
                      (['rcpt-domain=a.test', '{', '}', 'true'], 'empty block'),
                      (['rcpt-domain=a.test', '{', 'true', '}'], 'usage'),
                      (['colour=red', '{', 'true', '}', 'true'], 'not a condition'),
                      (['ip=1.2.3.4/99', '{', 'true', '}', 'true'], 'CIDR'),
                      (['ip=1.2.3.4', ' true', 'x', '', 'true'], 'not in the block'),
                      (['ip=1.2.3.4', ' true', ' x'], 'no empty word')]:
        rc, err = usage(args)
        ok(rc == 111 and why in err and err.startswith('4.3.5 '),
           'bad command line %r: 4.3.5, exit 111 (mail deferred, never bounced), says %r' % (' '.join(args), why))


run(main, 60)
