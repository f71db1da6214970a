#!/usr/bin/python3
# Proves: a rules file with an error stops the start with
# "dcr-sniproxy: fatal: FILE:LINE: reason" and exit 100 (bad pattern,
# target without port, bad address, unknown option, bad CIDR, bad
# balance, bad proxy version, no target, a target that is one of the
# splicer's own listeners, an unresolvable name, a missing file), and
# nothing listens; comments and blank lines are fine, a target may be a
# name resolved at load (localhost); SIGHUP reloads the rules: new
# connections follow the new file, a connection already spliced keeps
# its back end, event=reload rules=N is logged; a broken file at reload
# is logged (event=reload-failed) and the old rules stay.
import os, re, signal, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *


def main():
    own = free_port()
    bad = [
        ('bad pattern', 'a.test 127.0.0.1:1\n# c\n\nx*y.test 127.0.0.1:1\n', 4),
        ('bad pattern (empty label)', '*..test 127.0.0.1:1\n', 1),
        ('target without a port', 'a.test 127.0.0.1\n', 1),
        ('port out of range', 'a.test 127.0.0.1:70000\n', 1),
        ('bad address', 'a.test 300.1.2.3:25\n', 1),
        ('unknown option', 'a.test 127.0.0.1:1\nb.test 127.0.0.1:2 colour=blue\n', 2),
        ('bad CIDR', 'a.test 127.0.0.1:1 allow=10.0.0.0/33\n', 1),
        ('bad CIDR (not an address)', 'a.test 127.0.0.1:1 deny=foo/8\n', 1),
        ('bad balance', 'a.test 127.0.0.1:1 127.0.0.1:2 balance=fastest\n', 1),
        ('bad proxy version', 'a.test 127.0.0.1:1 proxy=v3\n', 1),
        ('bad timeout', 'a.test 127.0.0.1:1 connect-timeout=soon\n', 1),
        ('no target', '\n\n\na.test\n', 4),
        ('unknown mode', 'smtp:a.test 127.0.0.1:1\n', 1),
        ('a target that is its own listener', '# loop\na.test 127.0.0.1:%d\n' % own, 2),
        ('an unresolvable target name', 'a.test no-such-host.invalid:443\n', 1),
    ]
    for what, text, line in bad:
        rc, err, rules = run_bad_rules(text, ['tls:127.0.0.1:%d' % own])
        is_(rc, 100, '%s: exit 100' % what)
        like(err, r'dcr-sniproxy: fatal: %s:%d: \S' % (re.escape(rules), line),
             '%s: fatal: FILE:%d: reason' % (what, line)) or diag(err)
    rc, err, rules = run_bad_rules('a.test 127.0.0.1:1\n', ['tls:127.0.0.1:%d' % own], timeout=1)
    ok(rc is None, 'a good file starts (and keeps running until killed)')
    d = tempfile.mkdtemp()
    p = subprocess.run([bin_path('dcr-sniproxy'), '-w', '1', os.path.join(d, 'missing'),
                        'tls:127.0.0.1:%d' % own], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    os.rmdir(d)
    ok(p.returncode in (100, 111), 'a missing rules file: exit %d' % p.returncode)
    like(p.stderr.decode(), r'dcr-sniproxy: fatal: .*missing', 'and it is named')
    try:
        connect(own, timeout=1).close()
        ok(False, 'nothing listens after the failed starts')
    except OSError:
        ok(True, 'nothing listens after the failed starts')

    bes = backends('one', 'two', 'three')
    try:
        rules = ('a.test localhost:%d   # a name resolved at load\n'
                 'b.test %s\n') % (bes['one'].port, bes['two'].addr)
        with Sniproxy(rules, ['tls']) as sp:
            port = sp.port('tls')
            is_(routed_to(port, client_hello('a.test')), 'one', 'a.test -> localhost:PORT (one)')
            held = connect(port)
            held.sendall(client_hello('a.test'))
            like(held.recv(100), rb'backend=one', 'a held connection is spliced to one')

            sp.write_rules('a.test %s\nb.test %s\nc.test %s\n' %
                           (bes['three'].addr, bes['two'].addr, bes['one'].addr))
            sp.signal(signal.SIGHUP)
            ok(sp.wait_log(r'event=reload rules=3'), 'SIGHUP: event=reload rules=3')
            is_(routed_to(port, client_hello('a.test')), 'three', 'after the reload a.test -> three')
            is_(routed_to(port, client_hello('c.test')), 'one', 'and the new c.test rule works')
            held.sendall(client_hello('again'))
            like(held.recv(100), rb'backend=one .*sni=again', 'the held connection still goes to one')

            sp.write_rules('a.test %s\nb.test 127.0.0.1\n' % bes['one'].addr)
            sp.signal(signal.SIGHUP)
            ok(sp.wait_log(r'event=reload-failed'), 'a broken file: event=reload-failed')
            like('\n'.join(sp.lines('event=reload-failed')), r'rules:2|file=\S*rules line=2', 'naming the file and line')
            is_(routed_to(port, client_hello('a.test')), 'three', 'the old rules stay (a.test -> three)')
            is_(routed_to(port, client_hello('c.test')), 'one', 'c.test too')
            ok(sp.proc.poll() is None, 'the splicer is still running')
            held.close()
    finally:
        stop_all(bes)


run(main, 90)
