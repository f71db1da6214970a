#!/usr/bin/python3
# The rules file is re-read when it changes, without a restart; a broken
# file is logged with file:line and the old rules stay in force; a
# missing file is logged and the old rules stay; SIGHUP re-reads.
import os, re, signal, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run


def main():
    with TempDir() as d:
        rules = d.write('rules', '127.0.0.0/8 allow T_VERSION=one\n')
        with Tcpd(['-v', '-r', rules], ENVPROG) as t:
            pid = t.proc.pid
            is_(parse_env(t.talk(b'x\n')).get('T_VERSION'), 'one', 'first rules in force')

            d.write('rules', '127.0.0.0/8 allow T_VERSION=two\n')
            is_(parse_env(t.talk(b'x\n')).get('T_VERSION'), 'two', 'changed file: new rules at the next connection')

            with open(rules, 'a') as f:      # edited in place this time
                f.write('127.0.0.9/32 deny\n')
            is_(t.talk(b'x\n', src='127.0.0.9'), b'', 'file edited in place: new rule in force')

            d.write('rules', '# comment\n127.0.0.0/8 allow T_VERSION=three\n10.0.0.0/33 deny\n')
            is_(parse_env(t.talk(b'x\n')).get('T_VERSION'), 'two', 'broken file: old rules stay')
            like(t.log(), r'event=rules-error at=%s:3 error="bad address or prefix" rules=unchanged' % re.escape(rules),
                 'broken file logged with file:line')
            t.talk(b'x\n')
            is_(len(re.findall(r'event=rules-error', t.log())), 1, 'the error is logged once, not at every connection')

            os.unlink(rules)
            is_(parse_env(t.talk(b'x\n')).get('T_VERSION'), 'two', 'missing file: old rules stay')
            like(t.log(), r'event=rules-error at=%s error="No such file or directory"' % re.escape(rules), 'missing file logged')

            d.write('rules', '127.0.0.0/8 allow T_VERSION=four\n')
            is_(parse_env(t.talk(b'x\n')).get('T_VERSION'), 'four', 'fixed file: new rules')

            n = len(re.findall(r'event=rules-load', t.log()))
            t.proc.send_signal(signal.SIGHUP)
            ok(t.wait_log(r'event=rules-load', count=n + 1), 'SIGHUP re-reads the file')
            is_(t.proc.pid, pid, 'never restarted')
            ok(t.proc.poll() is None, 'still running')


run(main, timeout=30)
