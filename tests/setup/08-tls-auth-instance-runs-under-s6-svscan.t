#!/usr/bin/python3
# ISC license.
"""An instance with --smtp, --smtps and --submission, a certificate made
here by openssl and a users file made by mkpasswd, run as dcr-setup wrote
it under s6-svscan (the runner held down by a `down` file, so that what
is queued stays in queue/new to be read). With python's smtplib and ssl,
the certificate checked against itself as the only CA:
- smtps: SMTP_SSL handshakes first; the message is queued, its envelope
  says ESMTPS, its Received header the TLS version and cipher;
- submission: STARTTLS offered, AUTH only after it; MAIL before AUTH is
  530; a wrong password 535; starttls() + login() + sendmail relays to
  any domain; the envelope carries the user (authuser) and ESMTPSA, the
  Received header says ESMTPSA and not the user's name;
- smtp: STARTTLS offered, AUTH not in plaintext, mail taken without AUTH.
dcr-tlsd's event=tls lines are in the listener's log; s6-svscanctl -t
stops everything."""

import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dcrtest import ok, is_, like, diag, skip, run, bin_path, queued_id, qid_bucket  # noqa: E402
from s6lib import free_port, wait_ready, wait_for, svscan_stops, stop_svscan  # noqa: E402

HOST = '127.0.0.1'
MSG = b'Subject: dcr-setup TLS test\r\n\r\nhello over TLS\r\n'


def make_cert(d):
    cert, key = os.path.join(d, 'mx.pem'), os.path.join(d, 'mx.key')
    r = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
                        '-days', '2', '-subj', '/CN=mx.setup.test',
                        '-addext', 'subjectAltName=DNS:mx.setup.test,IP:127.0.0.1'],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        diag(r.stderr)
        return None, None
    os.chmod(key, 0o600)
    return cert, key


def make_users(d):
    h = subprocess.run(['mkpasswd', '-m', 'yescrypt', '--stdin'], input='s3cret',
                       capture_output=True, text=True, timeout=30).stdout.strip()
    users = os.path.join(d, 'users')
    with open(users, 'w') as f:
        f.write('alice:%s\n' % h)
    os.chmod(users, 0o600)
    return users


def transaction(s, rcpt):
    """MAIL, RCPT, DATA on an smtplib session: the queue id, or None."""
    code, text = s.mail('sender@client.setup.test')
    if code != 250:
        diag('MAIL: %r' % ((code, text),))
        return None
    code, text = s.rcpt(rcpt)
    if code != 250:
        diag('RCPT: %r' % ((code, text),))
        return None
    code, text = s.data(MSG)
    if code != 250:
        diag('DATA: %r' % ((code, text),))
    return queued_id(text) if code == 250 else None


def envelope(inst, qid):
    try:
        with open(os.path.join(inst, 'queue', 'new', qid)) as f:
            return dict(ln.split('\t', 1) for ln in f.read().splitlines() if not ln.startswith('rcpt\t'))
    except (OSError, TypeError):
        return {}


def received(inst, qid):
    """The message's first header field (ours), unfolded."""
    try:
        with open(os.path.join(inst, 'queue', 'mess', qid_bucket(qid), qid), 'rb') as f:
            head = f.read().decode('latin-1').split('\n\n', 1)[0]
    except (OSError, TypeError):
        return ''
    first = []
    for ln in head.split('\n'):
        if first and not ln[:1] in (' ', '\t'):
            break
        first.append(ln.strip())
    return ' '.join(first)


def smtps(inst, port, ctx):
    s = smtplib.SMTP_SSL(HOST, port, context=ctx, timeout=15)
    try:
        code, _ = s.ehlo('client.setup.test')
        is_(code, 250, 'smtps: the handshake checks out (chain and IP), EHLO 250')
        ok(not s.has_extn('starttls'), 'smtps: no STARTTLS inside TLS')
        ok(s.has_extn('auth'), 'smtps with --users: AUTH offered')
        qid = transaction(s, 'user@example.test')
        ok(qid, 'smtps: the message is queued (%s)' % qid)
        s.quit()
    finally:
        s.close()
    env = envelope(inst, qid)
    is_(env.get('proto'), 'ESMTPS', 'smtps: the envelope says ESMTPS')
    ok('authuser' not in env, 'smtps: no authuser without AUTH')
    like(received(inst, qid), r'\(using TLSv1\.2 with cipher ECDHE-ECDSA-[A-Z0-9-]+\) by mx\.setup\.test \(dcrouter\) with ESMTPS id ',
         'smtps: the Received header gives the TLS version and cipher')


def submission(inst, port, ctx):
    s = smtplib.SMTP(HOST, port, timeout=15)
    try:
        s.ehlo('client.setup.test')
        ok(s.has_extn('starttls'), 'submission: STARTTLS offered')
        ok(not s.has_extn('auth'), 'submission: no AUTH in plaintext')
        code, text = s.mail('sender@client.setup.test')
        is_(code, 530, 'submission: MAIL before AUTH is 530 (%s)' % text.decode('latin-1'))
        s.rset()
        code, _ = s.starttls(context=ctx)
        is_(code, 220, 'submission: STARTTLS, and the handshake checks out')
        s.ehlo('client.setup.test')
        ok(s.has_extn('auth') and 'PLAIN' in s.esmtp_features.get('auth', '').upper(),
           'submission: AUTH PLAIN offered after STARTTLS')
        code, text = s.mail('sender@client.setup.test')
        is_(code, 530, 'submission: MAIL after STARTTLS, before AUTH, is still 530')
        s.rset()
        try:
            s.login('alice', 'wrong')
            bad = None
        except smtplib.SMTPAuthenticationError as e:
            bad = e.smtp_code
        is_(bad, 535, 'submission: a wrong password is 535')
        code, _ = s.login('alice', 's3cret')
        is_(code, 235, 'submission: login() with the right one is 235')
        refused = s.sendmail('sender@client.setup.test', ['user@example.test'], MSG)
        is_(refused, {}, 'submission: sendmail() is accepted')
        qid = transaction(s, 'someone@elsewhere.test')
        ok(qid, 'submission: an authenticated user relays to any domain (%s)' % qid)
        s.quit()
    finally:
        s.close()
    env = envelope(inst, qid)
    is_(env.get('authuser'), 'alice', 'submission: the queued envelope carries authuser alice')
    is_(env.get('proto'), 'ESMTPSA', 'submission: ... and proto ESMTPSA')
    rec = received(inst, qid)
    like(rec, r'\(using TLSv1\.2 with cipher [A-Z0-9-]+\) by mx\.setup\.test \(dcrouter\) with ESMTPSA id ',
         'submission: the Received header says TLS and ESMTPSA')
    ok('alice' not in rec, 'submission: the user name is not in the Received header')


def plain(inst, port, ctx):
    s = smtplib.SMTP(HOST, port, timeout=15)
    try:
        s.ehlo('client.setup.test')
        ok(s.has_extn('starttls') and not s.has_extn('auth'),
           'smtp with --cert: STARTTLS offered, AUTH not before it')
        s.starttls(context=ctx)
        s.ehlo('client.setup.test')
        ok(s.has_extn('auth'), 'smtp with --users: AUTH offered after STARTTLS')
        qid = transaction(s, 'user@example.test')
        ok(qid, 'smtp: mail for a routed domain without AUTH is queued (%s)' % qid)
        s.quit()
    finally:
        s.close()
    is_(envelope(inst, qid).get('proto'), 'ESMTPS', 'smtp: after STARTTLS the envelope says ESMTPS')


def main():
    need = [p for p in ('s6-svscan', 'openssl', 'mkpasswd') if not shutil.which(p)]
    if need or not os.path.exists('/usr/bin/execlineb'):
        skip('not installed: %s' % ' '.join(need or ['execline']), 1)
        return
    tmp = tempfile.mkdtemp(prefix='dcr-setup-tls-s6-')
    svscan = logf = None
    try:
        cert, key = make_cert(tmp)
        if not ok(cert, 'openssl makes a certificate for mx.setup.test and 127.0.0.1'):
            return
        users = make_users(tmp)
        inst = os.path.join(tmp, 'inst')
        p_smtp, p_smtps, p_sub = free_port(HOST), free_port(HOST), free_port(HOST)
        while len({p_smtp, p_smtps, p_sub}) < 3:
            p_smtps, p_sub = free_port(HOST), free_port(HOST)
        r = subprocess.run([bin_path('dcr-setup'), inst, '--hostname', 'mx.setup.test',
                            '--smtp', '%s:%d' % (HOST, p_smtp), '--smtps', '%s:%d' % (HOST, p_smtps),
                            '--submission', '%s:%d' % (HOST, p_sub),
                            '--cert', cert, '--key', key, '--users', users,
                            '--route', 'example.test smtp:[127.0.0.1]:1'],
                           capture_output=True, text=True, timeout=30)
        if not is_(r.returncode, 0, 'dcr-setup makes the instance'):
            diag(r.stderr)
            return
        # the runner stays down: what is queued stays in queue/new
        open(os.path.join(inst, 'service', 'qrun', 'down'), 'w').close()
        names = ['smtpd-%s-%d' % (HOST, p_smtp), 'smtps-%s-%d' % (HOST, p_smtps),
                 'submission-%s-%d' % (HOST, p_sub)]
        logf = open(os.path.join(tmp, 's6-svscan.log'), 'wb')
        svscan = subprocess.Popen(['s6-svscan', os.path.join(inst, 'service')],
                                  stdin=subprocess.DEVNULL, stdout=logf,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        for n in names:
            if not ok(wait_ready(os.path.join(inst, 'service', n)), 'service %s is up and ready' % n):
                diag(wait_for(os.path.join(inst, 'log', n, 'current'), '\0', 0)[-2000:])
                return

        ctx = ssl.create_default_context(cafile=cert)
        smtps(inst, p_smtps, ctx)
        submission(inst, p_sub, ctx)
        plain(inst, p_smtp, ctx)

        for n in names:
            got = wait_for(os.path.join(inst, 'log', n, 'current'), 'dcr-tlsd: event=tls ')
            if not like(got, r'dcr-tlsd: event=tls ip=127\.0\.0\.1 sni=none cipher=ECDHE-ECDSA-\S+ ms=\d+',
                        '%s: dcr-tlsd logs the handshake in log/%s/current' % (n, n)):
                diag(got[-2000:])
        got = wait_for(os.path.join(inst, 'log', names[2], 'current'), 'user=alice mech=PLAIN result=ok')
        ok('dcr-checkpass: event=auth user=alice mech=PLAIN result=ok' in got,
           'submission: dcr-checkpass (through conf/checkpassword) logs the login')

        svscan_stops(svscan, inst, tmp)
    finally:
        stop_svscan(svscan, os.path.join(tmp, 'inst', 'service'), tmp)
        if logf:
            logf.close()
        shutil.rmtree(tmp, ignore_errors=True)


run(main, timeout=120)
