#!/usr/bin/python3
# ISC license.
"""An instance made by dcr-setup runs as it is under s6-svscan: the
listeners come up and say they are ready (s6-svwait -U), the banner names
conf/hostname, conf/routes decides what is accepted, a message sent with
smtplib is committed to DIR/queue/new, its id is in DIR/log/<service>/current,
and s6-svscanctl -t stops the whole tree. Programs come from $DCR_BIN; the
run scripts name them there because dcr-setup lives there too."""

import os
import shutil
import smtplib
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dcrtest import ok, is_, like, diag, skip, run, bin_path, queued_id, qid_bucket  # noqa: E402
from s6lib import free_port, have_ipv6, wait_ready, wait_for, svscan_stops, stop_svscan  # noqa: E402


def send(host, port, rcpts):
    """EHLO, MAIL, RCPT each of rcpts, DATA: the RCPT codes and DATA reply."""
    s = smtplib.SMTP(timeout=10)
    try:
        code, banner = s.connect(host, port)
        s.ehlo('client.setup.test')
        s.mail('sender@client.setup.test')
        codes = [s.rcpt(r)[0] for r in rcpts]
        data = s.data(b'Subject: dcr-setup test\r\n\r\nhello from 04-instance-runs-under-s6-svscan\r\n')
        s.quit()
        return banner.decode('latin-1'), codes, data
    finally:
        s.close()


def in_queue(inst, qid):
    """an envelope for qid in new/, or in env/NN/ where the runner moves it"""
    return (os.path.exists(os.path.join(inst, 'queue', 'new', qid)) or
            os.path.exists(os.path.join(inst, 'queue', 'env', qid_bucket(qid), qid)))


def main():
    if not shutil.which('s6-svscan') or not os.path.exists('/usr/bin/execlineb'):
        skip('s6 or execline is not installed', 1)
        return
    tmp = tempfile.mkdtemp(prefix='dcr-setup-s6-')
    svscan = None
    logf = None
    try:
        inst = os.path.join(tmp, 'inst')
        port = free_port('127.0.0.1')
        args = [bin_path('dcr-setup'), inst, '--hostname', 'mx.setup.test',
                '--smtp', '127.0.0.1:%d' % port,
                '--route', 'example.test maildir:%s/mail' % tmp]
        v6 = have_ipv6()
        if v6:
            port6 = free_port('::1')
            args += ['--smtp', '[::1]:%d' % port6]
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        if not is_(r.returncode, 0, 'dcr-setup makes the instance'):
            diag(r.stderr)
            return
        svc = os.path.join(inst, 'service', 'smtpd-127.0.0.1-%d' % port)
        services = [svc]
        if v6:
            svc6 = os.path.join(inst, 'service', 'smtpd-ipv6-__1-%d' % port6)
            services.append(svc6)

        logf = open(os.path.join(tmp, 's6-svscan.log'), 'wb')
        svscan = subprocess.Popen(['s6-svscan', os.path.join(inst, 'service')],
                                  stdin=subprocess.DEVNULL, stdout=logf,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        for s in services:
            if not ok(wait_ready(s), 'service %s is up and ready' % os.path.basename(s)):
                log = os.path.join(inst, 'log', os.path.basename(s), 'current')
                diag(wait_for(log, '\0', 0)[-2000:])
                return

        banner, codes, data = send('127.0.0.1', port,
                                   ['nobody@elsewhere.test', 'user@example.test'])
        like(banner, r'mx\.setup\.test', 'the banner names conf/hostname')
        is_(codes, [554, 250], 'conf/routes: example.test accepted, elsewhere.test refused')
        is_(data[0], 250, 'the message is accepted: %r' % (data,))
        qid = queued_id(data[1])
        ok(qid, 'the reply gives the queue id')
        ok(qid and in_queue(inst, qid), 'the message is in DIR/queue (new/, or env/ once the runner took it)')
        current = os.path.join(inst, 'log', os.path.basename(svc), 'current')
        got = wait_for(current, 'id=%s' % qid)
        if not ok(qid and 'id=%s' % qid in got,
                  'its id is logged in DIR/log/%s/current' % os.path.basename(svc)):
            diag(got[-2000:])

        if v6:
            banner, codes, data = send('::1', port6, ['user@example.test'])
            qid6 = queued_id(data[1])
            ok(data[0] == 250 and qid6 and in_queue(inst, qid6),
               'the [::1] listener queues too: %r' % (data,))
        else:
            skip('no IPv6 loopback', 1)

        svscan_stops(svscan, inst, tmp)
    finally:
        stop_svscan(svscan, os.path.join(tmp, 'inst', 'service'), tmp)
        if logf:
            logf.close()
        shutil.rmtree(tmp, ignore_errors=True)


run(main, timeout=90)
