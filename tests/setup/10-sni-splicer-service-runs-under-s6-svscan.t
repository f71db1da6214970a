#!/usr/bin/python3
# ISC license.
"""dcr-setup --sni and --sni-rule write conf/sni-rules and
service/sniproxy; under s6-svscan dcr-sniproxy comes up ready, routes
each TLS name to its own back end (checked by the certificate served),
a plain forward: listener carries bytes as they are, s6-svc -h reloads
an edited rules file, and --force without --sni removes the service.
Bad --sni values exit 100."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, os.path.join(here, '..', 'sni'))
sys.path.insert(0, here)
from dcrtest import ok, is_, like, diag, skip, run, bin_path  # noqa: E402
from s6lib import free_port, wait_ready, stop_svscan  # noqa: E402
from snilib import Certs, TlsBackend, tls_fetch  # noqa: E402


def setup(*args):
    return subprocess.run([bin_path('dcr-setup')] + list(args), capture_output=True, text=True, timeout=30)


def main():
    if not shutil.which('s6-svscan') or not os.path.exists('/usr/bin/execlineb'):
        skip('s6 or execline is not installed', 1)
        return
    tmp = tempfile.mkdtemp(prefix='dcr-setup-sni-')
    svscan = None
    bes = []
    try:
        for bad, why in [('tls:1.2.3:443', 'IPv4'), ('ftp:127.0.0.1:21', 'mode'), ('forward:127.0.0.1:25:a b', 'NAME'),
                         ('127.0.0.1:99999', 'port')]:
            r = setup(os.path.join(tmp, 'bad'), '--sni', bad, '--sni-rule', '* 127.0.0.1:1')
            ok(r.returncode == 100 and why in r.stderr, '--sni %r: exit 100, says %r' % (bad, why))
        r = setup(os.path.join(tmp, 'bad'), '--smtp', '127.0.0.1:1', '--route', 'a.test maildir:/x', '--sni-rule', '* 127.0.0.1:1')
        ok(r.returncode == 100 and '--sni' in r.stderr, '--sni-rule without --sni: exit 100')

        certs = Certs('a.test', 'b.test')
        a = TlsBackend(certs, 'a.test').start()
        b = TlsBackend(certs, 'b.test').start()
        bes = [a, b]
        echo = socket.socket()
        echo.bind(('127.0.0.1', 0))
        echo.listen(4)
        inst = os.path.join(tmp, 'inst')
        ptls, pfwd = free_port('127.0.0.1'), free_port('127.0.0.1')
        r = setup(inst, '--sni', 'tls:127.0.0.1:%d' % ptls, '--sni', 'forward:127.0.0.1:%d:plain' % pfwd,
                  '--sni-rule', 'a.test %s' % a.addr, '--sni-rule', '*.b.test %s' % b.addr,
                  '--sni-rule', 'forward:plain 127.0.0.1:%d' % echo.getsockname()[1])
        if not is_(r.returncode, 0, 'dcr-setup --sni --sni-rule (no mail listener)'):
            diag(r.stderr)
            return
        ok('refuse every recipient' not in r.stderr, 'no warning about mail routes for a splicer alone')
        svc = os.path.join(inst, 'service', 'sniproxy')
        with open(os.path.join(svc, 'run')) as f:
            like(f.read(), r'dcr-sniproxy -d 3 \S+/conf/sni-rules tls:127\.0\.0\.1:%d forward:127\.0\.0\.1:%d:plain\n' % (ptls, pfwd),
                 'the run script: the rules file, then the listeners')
        svscan = subprocess.Popen(['s6-svscan', os.path.join(inst, 'service')], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if not ok(wait_ready(svc), 'service sniproxy is up and ready'):
            return
        is_(tls_fetch(ptls, 'a.test', certs)['cn'], 'a.test', 'a.test reaches its back end (its certificate)')
        is_(tls_fetch(ptls, 'www.b.test', certs)['cn'], 'b.test', 'www.b.test reaches *.b.test\'s back end')
        ok(tls_fetch(ptls, 'c.test', certs)['cn'] is None, 'a name no rule has: refused')
        c = socket.create_connection(('127.0.0.1', pfwd), timeout=5)
        s, _ = echo.accept()
        c.sendall(b'hello through forward\n')
        s.settimeout(5)
        is_(s.recv(100), b'hello through forward\n', 'forward: the bytes arrive as they are')
        s.close()
        c.close()

        with open(os.path.join(inst, 'conf', 'sni-rules'), 'a') as f:
            f.write('c.test %s\n' % a.addr)
        subprocess.run(['s6-svc', '-h', svc], timeout=10)
        got = None
        deadline = time.time() + 5
        while time.time() < deadline and got != 'a.test':
            time.sleep(0.2)
            got = tls_fetch(ptls, 'c.test', certs)['cn']
        is_(got, 'a.test', 's6-svc -h: the edited rules are read again')

        subprocess.run(['s6-svscanctl', '-t', os.path.join(inst, 'service')], timeout=10)
        svscan.wait(timeout=20)
        r = setup(inst, '--force', '--smtp', '127.0.0.1:%d' % free_port('127.0.0.1'), '--route', 'a.test maildir:/x')
        ok(r.returncode == 0 and not os.path.exists(svc), '--force without --sni removes service/sniproxy')
    finally:
        stop_svscan(svscan, os.path.join(tmp, 'inst', 'service'), tmp)
        for x in bes:
            x.stop()
        shutil.rmtree(tmp, ignore_errors=True)


run(main, timeout=90)
