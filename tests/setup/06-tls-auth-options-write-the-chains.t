#!/usr/bin/python3
# ISC license.
"""What the TLS and AUTH options of dcr-setup write, read back from the
run scripts: each script is parsed into the argv of every program of its
chain. --cert/--key (and --certdir) put dcr-tlsd -s on the --smtp
listeners; --smtps gets dcr-tlsd without -s; --submission gets dcr-tlsd
-s and dcr-smtpd -r -a; --users writes conf/checkpassword (an execline
script running dcr-checkpass -u FILE, which really checks a password)
and puts -a on every listener. Relative paths become absolute. --force
without --users removes conf/checkpassword, and removes the services of
dropped smtps and submission listeners (their logs stay)."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import ok, is_, diag, skip, run, bin_path  # noqa: E402

SETUP = bin_path('dcr-setup')
BIN = os.path.dirname(SETUP)


def setup(*args, cwd=None):
    r = subprocess.run([SETUP] + list(args), capture_output=True, text=True,
                       timeout=30, cwd=cwd)
    if r.returncode != 0:
        diag('dcr-setup %s: exit %d\n%s' % (' '.join(args), r.returncode, r.stderr))
    return r


def script(path):
    """(shebang, [argv of each line]): comments and blank lines left out;
    the words of these scripts are never quoted (dcr-setup checks them)."""
    with open(path) as f:
        lines = f.read().splitlines()
    body = [ln.split() for ln in lines[1:] if ln.strip() and not ln.lstrip().startswith('#')]
    return lines[0], body


def chain(path):
    """The programs of a listener's run script, by name: {name: argv},
    and their order; fdmove (stderr to the logger) must come first."""
    shebang, body = script(path)
    if body[:1] != [['fdmove', '-c', '2', '1']]:
        diag('%s: does not start with fdmove -c 2 1: %r' % (path, body[:1]))
        return None, None
    order = [os.path.basename(argv[0]) for argv in body[1:]]
    for argv in body[1:]:
        if os.path.dirname(argv[0]) != BIN:
            diag('%s: %s is not in %s' % (path, argv[0], BIN))
            return None, None
    return order, {os.path.basename(a[0]): a[1:] for a in body[1:]}


def main():
    tmp = tempfile.mkdtemp(prefix='dcr-setup-tls-')
    try:
        certs = os.path.join(tmp, 'certs')
        os.mkdir(certs)
        cert, key, users = (os.path.join(tmp, n) for n in ('c.pem', 'k.pem', 'users'))
        for f in (cert, key, users):
            with open(f, 'w'):
                pass
            os.chmod(f, 0o600)
        inst = os.path.join(tmp, 'inst')
        conf = os.path.join(inst, 'conf')
        tcpd = ['-d', '3', '-c', '1000', '-C', '50', '-r', conf + '/tcprules']
        smtpd = ['-c', conf, '-S', inst + '/queue/tmp']
        enq = [inst + '/queue']
        tls = ['-c', cert, '-k', key]
        auth = ['-a', conf + '/checkpassword']
        relay = ['--relay-net', '192.0.2.0/24']

        def svc(name):
            return os.path.join(inst, 'service', name)

        # --smtp with a certificate: STARTTLS through dcr-tlsd -s, no AUTH
        r = setup(inst, '--smtp', '127.0.0.1:25', '--cert', cert, '--key', key, *relay)
        is_(r.returncode, 0, '--smtp --cert --key')
        order, argv = chain(svc('smtpd-127.0.0.1-25') + '/run')
        is_(order, ['dcr-tcpd', 'dcr-tlsd', 'dcr-smtpd', 'dcr-enqueue'],
            '--smtp with --cert: dcr-tcpd, dcr-tlsd, dcr-smtpd, dcr-enqueue')
        is_(argv and argv['dcr-tcpd'], tcpd + ['127.0.0.1', '25'], 'dcr-tcpd without -P: dcr-tlsd does not take pre-started connections')
        is_(argv and argv['dcr-tlsd'], ['-s'] + tls, 'dcr-tlsd -s -c CERT -k KEY: STARTTLS')
        is_(argv and argv['dcr-smtpd'], smtpd, 'dcr-smtpd without -a: no --users')
        is_(argv and argv['dcr-enqueue'], enq, 'dcr-enqueue on the queue')
        ok(not os.path.exists(conf + '/checkpassword'), 'no --users: no conf/checkpassword')

        # --smtps: implicit TLS, dcr-tlsd without -s
        r = setup(inst, '--force', '--smtps', '127.0.0.1:465', '--cert', cert, '--key', key, *relay)
        is_(r.returncode, 0, '--smtps --cert --key')
        order, argv = chain(svc('smtps-127.0.0.1-465') + '/run')
        is_(order, ['dcr-tcpd', 'dcr-tlsd', 'dcr-smtpd', 'dcr-enqueue'], '--smtps: the same four')
        is_(argv and argv['dcr-tlsd'], tls, '--smtps: dcr-tlsd without -s (a handshake first)')
        is_(argv and argv['dcr-smtpd'], smtpd, '--smtps without --users: no AUTH')
        is_(argv and argv['dcr-tcpd'][-2:], ['127.0.0.1', '465'], '--smtps: dcr-tcpd on its address')
        ok(not os.path.exists(svc('smtpd-127.0.0.1-25')), '--force: the dropped --smtp service is gone')
        ok(os.path.isdir(os.path.join(inst, 'log', 'smtpd-127.0.0.1-25')), '... its log is kept')
        is_(open(svc('smtps-127.0.0.1-465') + '/notification-fd').read(), '3\n',
            'smtps: readiness on fd 3')
        is_(script(svc('smtps-127.0.0.1-465') + '/log/run')[1],
            [['s6-log', '-b', 'n20', 's1000000', 't', inst + '/log/smtps-127.0.0.1-465']],
            'smtps: its own logger, into log/smtps-127.0.0.1-465')
        ok(os.path.isdir(os.path.join(inst, 'log', 'smtps-127.0.0.1-465')), 'log/smtps-127.0.0.1-465 is made')

        # everything: --smtp, --smtps, --submission, --users, --certdir
        r = setup(inst, '--force', '--smtp', '0.0.0.0:25', '--smtps', '0.0.0.0:465',
                  '--submission', '[::]:587', '--submission', '0.0.0.0:587',
                  '--cert', cert, '--key', key, '--certdir', certs + '/', '--users', users, *relay)
        is_(r.returncode, 0, 'every TLS and AUTH option at once')
        is_(sorted(os.listdir(os.path.join(inst, 'service'))),
            ['qrun', 'queued', 'smtpd-0.0.0.0-25', 'smtps-0.0.0.0-465', 'submission-0.0.0.0-587',
             'submission-ipv6-__-587'],
            'one service per listener: smtpd-, smtps-, submission-ADDR-PORT')
        tlsd = tls + ['-d', certs]
        _, argv = chain(svc('smtpd-0.0.0.0-25') + '/run')
        is_(argv and argv['dcr-tlsd'], ['-s'] + tlsd, 'smtp: dcr-tlsd -s, with -d CERTDIR (no trailing /)')
        is_(argv and argv['dcr-smtpd'], smtpd + auth, 'smtp with --users: dcr-smtpd -a conf/checkpassword')
        _, argv = chain(svc('smtps-0.0.0.0-465') + '/run')
        is_(argv and argv['dcr-tlsd'], tlsd, 'smtps: dcr-tlsd without -s')
        is_(argv and argv['dcr-smtpd'], smtpd + auth, 'smtps with --users: -a')
        for name, host in (('submission-0.0.0.0-587', '0.0.0.0'), ('submission-ipv6-__-587', '::')):
            order, argv = chain(svc(name) + '/run')
            is_(order, ['dcr-tcpd', 'dcr-tlsd', 'dcr-smtpd', 'dcr-enqueue'], '%s: the four' % name)
            is_(argv and argv['dcr-tcpd'][-2:], [host, '587'], '%s: dcr-tcpd on %s 587' % (name, host))
            is_(argv and argv['dcr-tlsd'], ['-s'] + tlsd, '%s: dcr-tlsd -s (STARTTLS)' % name)
            is_(argv and argv['dcr-smtpd'], smtpd + ['-r'] + auth,
                '%s: dcr-smtpd -r -a (AUTH required before MAIL)' % name)

        cp = conf + '/checkpassword'
        st = os.stat(cp)
        is_(stat.S_IMODE(st.st_mode), 0o755, 'conf/checkpassword is an executable, 0755')
        shebang, body = script(cp)
        is_(shebang, '#!/usr/bin/execlineb -S0', 'conf/checkpassword is execline, passing its arguments')
        is_(body, [[BIN + '/dcr-checkpass', '-u', users, '$@']],
            'conf/checkpassword runs dcr-checkpass -u USERS $@')

        # the checker works: a real yescrypt hash in the users file
        if shutil.which('mkpasswd'):
            h = subprocess.run(['mkpasswd', '-m', 'yescrypt', '--stdin'], input='s3cret',
                               capture_output=True, text=True).stdout.strip()
            with open(users, 'w') as f:
                f.write('alice:%s\n' % h)

            def check(user, pw):
                rd, wr = os.pipe()
                os.write(wr, user.encode() + b'\0' + pw.encode() + b'\0')
                os.close(wr)
                p = subprocess.run([cp, 'true'], pass_fds=(rd,), capture_output=True,
                                   env=dict(os.environ, AUTH_MECH='PLAIN'),
                                   preexec_fn=lambda: os.dup2(rd, 3), timeout=30)
                os.close(rd)
                return p.returncode
            is_(check('alice', 's3cret'), 0, 'conf/checkpassword true: the right password, exit 0')
            is_(check('alice', 'wrong'), 1, 'conf/checkpassword true: a wrong one, exit 1')
        else:
            skip('mkpasswd (package whois) is not installed', 2)

        # --certdir alone, --cert without --key, a relative path
        r = setup(inst, '--force', '--smtps', '127.0.0.1:465', '--certdir', certs, *relay)
        _, argv = chain(svc('smtps-127.0.0.1-465') + '/run')
        is_(argv and argv['dcr-tlsd'], ['-d', certs], '--certdir alone: dcr-tlsd -d DIR')
        ok(not os.path.exists(cp), '--force without --users removes conf/checkpassword')
        for n in ('smtpd-0.0.0.0-25', 'smtps-0.0.0.0-465', 'submission-0.0.0.0-587', 'submission-ipv6-__-587'):
            ok(not os.path.exists(svc(n)), '--force: the dropped %s service is gone' % n)
        with open(cert, 'w') as f:
            f.write('-----BEGIN PRIVATE KEY-----\n')
        r = setup(inst, '--force', '--smtps', '127.0.0.1:465', '--cert', 'c.pem', *relay, cwd=tmp)
        _, argv = chain(svc('smtps-127.0.0.1-465') + '/run')
        is_(argv and argv['dcr-tlsd'], ['-c', cert],
            '--cert alone, relative: dcr-tlsd -c with the absolute path, no -k (the key is in the PEM)')
        ok('warning' not in r.stderr, 'a PEM holding its key: no warning (%s)' % r.stderr.strip())

        # --users without a certificate: AUTH for AUTH_WITHOUT_TLS clients only
        r = setup(inst, '--force', '--smtp', '127.0.0.1:25', '--users', users, *relay)
        order, argv = chain(svc('smtpd-127.0.0.1-25') + '/run')
        is_(order, ['dcr-tcpd', 'dcr-smtpd', 'dcr-enqueue'], '--users without --cert: no dcr-tlsd')
        is_(argv and argv['dcr-smtpd'], smtpd + auth, '... but dcr-smtpd -a')
        ok(os.access(cp, os.X_OK), '... and conf/checkpassword')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


run(main, timeout=120)
