#!/usr/bin/python3
# ISC license.
"""dcr-setup --filter puts filters, in order, between dcr-smtpd and
dcr-enqueue in each listener's run script; the instance runs under
s6-svscan and a message comes out of the chain changed by each filter in
turn (dcr-when with execline blocks included; relative paths are under
the instance directory). Bad --filter values exit 100."""

import os
import shutil
import smtplib
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dcrtest import ok, is_, like, diag, skip, run, bin_path, queued_id  # noqa: E402
from s6lib import free_port, wait_ready, stop_svscan  # noqa: E402


def main():
    if not shutil.which('s6-svscan') or not os.path.exists('/usr/bin/execlineb'):
        skip('s6 or execline is not installed', 1)
        return
    tmp = tempfile.mkdtemp(prefix='dcr-setup-filter-')
    svscan = None
    try:
        for bad, why in [('', 'empty'), ('dcr-enqueue /q', 'ends every chain'),
                         ('dcr-when rcpt-domain=a.test { dcr-header -f x', 'pair up'),
                         ("dcr-header -f 'a b'", 'single quotes'), ('dcr-scan -S "[SPAM] x', 'not closed'),
                         ('{ x }', 'program first')]:
            r = subprocess.run([bin_path('dcr-setup'), os.path.join(tmp, 'bad'), '--smtp', '127.0.0.1:1',
                                '--route', 'example.test maildir:/x', '--filter', bad],
                               capture_output=True, text=True, timeout=30)
            ok(r.returncode == 100 and why in r.stderr, '--filter %r: exit 100, says %r' % (bad, why))
        ok(not os.path.exists(os.path.join(tmp, 'bad')), 'nothing written for a bad --filter')

        inst = os.path.join(tmp, 'inst')
        port = free_port('127.0.0.1')
        r = subprocess.run([bin_path('dcr-setup'), inst, '--hostname', 'mx.setup.test',
                            '--smtp', '127.0.0.1:%d' % port,
                            '--route', 'example.test maildir:%s/mail' % tmp,
                            '--route', 'other.test maildir:%s/mail' % tmp, '--one-domain',
                            '--filter', 'dcr-header -f "conf/header first"',
                            '--filter', 'dcr-when rcpt-domain=example.test { dcr-header -f conf/header-example }',
                            '--filter', 'dcr-when rcpt-domain=other.test { dcr-header -f conf/header-other }'],
                           capture_output=True, text=True, timeout=30)
        if not is_(r.returncode, 0, 'dcr-setup with three --filter'):
            diag(r.stderr)
            return
        svc = os.path.join(inst, 'service', 'smtpd-127.0.0.1-%d' % port)
        with open(os.path.join(svc, 'run')) as f:
            script = f.read()
        lines = [l for l in script.split('\n') if l and not l.startswith('#')]
        i = [k for k, l in enumerate(lines) if '/dcr-smtpd ' in l][0]
        is_(lines[i + 1:i + 4], ['dcr-header -f "conf/header first"',
                                 'dcr-when rcpt-domain=example.test { dcr-header -f conf/header-example }',
                                 'dcr-when rcpt-domain=other.test { dcr-header -f conf/header-other }'],
            'the filters follow dcr-smtpd, in the order given')
        like(lines[i + 4], r'/dcr-enqueue ', 'dcr-enqueue ends the chain')
        ok('cd %s' % inst in lines, 'the run script works from the instance directory')
        for name, text in [('header first', 'add X-First: $DCR_ID\n'),
                           ('header-example', 'add X-Example: yes\n'),
                           ('header-other', 'add X-Other: yes\n')]:
            with open(os.path.join(inst, 'conf', name), 'w') as f:
                f.write(text)

        svscan = subprocess.Popen(['s6-svscan', os.path.join(inst, 'service')],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        if not ok(wait_ready(svc), 'the listener is up'):
            return
        s = smtplib.SMTP('127.0.0.1', port, timeout=10)
        s.ehlo('client.setup.test')
        s.mail('a@client.setup.test')
        s.rcpt('u@example.test')
        is_(s.rcpt('u@other.test')[0], 452, '--one-domain: a second domain waits for another transaction')
        code, text = s.data(b'Subject: filters\r\n\r\nhello\r\n')
        s.quit()
        is_(code, 250, 'the message went through the chain')
        qid = queued_id(text)
        data = b''
        for root, _, files in os.walk(os.path.join(inst, 'queue', 'mess')):
            for n in files:
                if n == qid:
                    with open(os.path.join(root, n), 'rb') as f:
                        data = f.read()
        ok(('X-First: %s\n' % qid).encode() in data, 'the first filter ran (its value has the id)')
        ok(b'X-Example: yes\n' in data and b'X-Other' not in data, 'dcr-when ran the filter for example.test only')
        ok(data.index(b'X-First') < data.index(b'X-Example'), 'in the order of --filter')
    finally:
        stop_svscan(svscan, os.path.join(tmp, 'inst', 'service'), tmp)
        shutil.rmtree(tmp, ignore_errors=True)


run(main, timeout=90)
