#!/usr/bin/python3
# Proves: the key is KEYSDIR/DOMAIN/SELECTOR.key for the From: domain
# (lowercased, first address, display names, comments, groups and
# quoted local parts understood); with -s the sender's domain when
# From's has none or no key; no parent-domain look-up. No key, no From,
# a From domain that is not a plain host name (a path, a literal), or a
# header section over 1 MiB pass the message on unsigned, byte for
# byte, with a dkim-skip log line. A key readable by group or others,
# unparsable, not RSA, under 1024 bits, several keys without -S, or a
# missing keys directory are configuration errors: "4.3.5" and exit
# 111, the file named on stderr (a PEM file with CR LF lines or a
# certificate beside the key is fine). Bad usage is 4.3.5 and exit 111 (a typo in the chain never bounces mail).
import os, sys, tempfile, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dkimlib import *
from dcrtest import *


def msg(frm, extra=b''):
    return b'From: ' + frm + b'\nTo: x@example.net\nSubject: s\n' + extra + b'\nbody\n'


def main():
    with tempfile.TemporaryDirectory(prefix='dcr-dkim-') as td:
        keys = Keys(td)
        keys.add('example.com', 'sel', 1024)
        keys.add('sender.test', 'snd', 1024)
        keys.add('multi.test', 'one', 1024)
        keys.add('multi.test', 'two', 1024)

        for frm, dom in ((b'Alice <alice@EXAMPLE.Com>', 'example.com'),
                         (b'"bob@evil.test" <bob@example.com>', 'example.com'),
                         (b'alice@example.com (Alice, at evil.test@x)', 'example.com'),
                         (b'Friends: alice@example.com, mallory@evil.test;', 'example.com'),
                         (b'"a@b"@example.com', 'example.com'),
                         (b'<@relay.test,@r2.test:alice@example.com>', 'example.com'),
                         (b'alice@example.com, mallory@evil.test', 'example.com'),
                         (b'Alice\n <alice@example.com>', 'example.com')):
            r = sign(keys, msg(frm))
            s = signature(r.message or b'') or {}
            is_((r.rc, s.get('d')), (0, dom), 'From: %r signs as d=%s' % (frm, dom))
            ok(dkimpy(r.message or b'', keys), 'From: %r: verifies' % frm)

        for frm, reason in ((b'alice@other.test', 'no-key'),
                            (b'alice@sub.example.com', 'no-key'),
                            (b'alice@../example.com', 'no-domain'),
                            (b'alice@example.com/../x', 'no-domain'),
                            (b'alice@[127.0.0.1]', 'no-domain'),
                            (b'undisclosed-recipients:;', 'no-domain'),
                            (b'alice', 'no-domain'),
                            (b'alice@exa\xc3\xa9mple.com', 'no-domain')):
            m = msg(frm)
            r = sign(keys, m)
            is_(r.rc, 0, 'From: %r: exit 0' % frm)
            is_(r.message, m, 'From: %r: passed on unsigned, byte for byte' % frm)
            like(r.err, r'event=dkim-skip id=test-id-1 reason=%s' % reason, 'From: %r: logged reason=%s' % (frm, reason))
        m = b'To: x@example.net\nSubject: no from\n\nbody\n'
        r = sign(keys, m)
        is_((r.rc, r.message), (0, m), 'no From: passed on unsigned')
        like(r.err, r'reason=no-domain', 'no From: reason=no-domain')

        m = msg(b'alice@example.com', b''.join(b'X-Filler-%07d: %s\n' % (i, b'f' * 60) for i in range(16000)))
        r = sign(keys, m)
        is_((r.rc, r.message == m), (0, True), 'a header section over 1 MiB: passed on unsigned')
        like(r.err, r'reason=header-too-large', 'a header section over 1 MiB: logged')

        # -s: the sender's domain
        r = sign(keys, msg(b'alice@other.test'), ['-s'], env={'SMTP_SENDER': 'bounce@Sender.test'})
        is_((signature(r.message) or {}).get('d'), 'sender.test', '-s: From without a key, signed for the sender')
        ok(dkimpy(r.message, keys), '-s: verifies')
        r = sign(keys, msg(b'undisclosed-recipients:;'), ['-s'], env={'SMTP_SENDER': 'bounce@sender.test'})
        is_((signature(r.message) or {}).get('d'), 'sender.test', '-s: From without an address, signed for the sender')
        r = sign(keys, msg(b'alice@example.com'), ['-s'], env={'SMTP_SENDER': 'bounce@sender.test'})
        is_((signature(r.message) or {}).get('d'), 'example.com', '-s: From with a key wins')
        m = msg(b'alice@other.test')
        r = sign(keys, m, ['-s'], env={'SMTP_SENDER': ''})
        is_((r.rc, r.message), (0, m), '-s, null sender: unsigned')
        r = sign(keys, m, env={'SMTP_SENDER': 'bounce@sender.test'})
        is_((r.rc, r.message), (0, m), 'without -s the sender is not used')

        # selectors
        r = sign(keys, msg(b'a@multi.test'))
        is_(r.rc, 111, 'several keys, no -S: exit 111')
        like(r.out, r'^4\.3\.5 ', 'several keys: 4.3.5')
        like(r.err, r'multi\.test: several \.key files: choose one with -S', 'several keys: said on stderr')
        is_(r.message, None, 'several keys: nothing passed on')
        r = sign(keys, msg(b'a@multi.test'), ['-S', 'two'])
        is_((signature(r.message or b'') or {}).get('s'), 'two', '-S two: s=two')
        ok(dkimpy(r.message or b'', keys), '-S two: verifies')
        r = sign(keys, msg(b'a@example.com'), ['-S', 'two'])
        is_((signature(r.message or b'') or {}).get('s'), 'sel', '-S: a domain with one other key uses it')

        # PEM laid out otherwise: CR LF lines, a certificate beside the key
        for dom, how in (('crlf.test', 'crlf'), ('withcert.test', 'cert')):
            p = keys.add(dom, 'sel', 1024)
            with open(p, 'rb') as f:
                pem = f.read()
            if how == 'crlf':
                pem = pem.replace(b'\n', b'\r\n')
            else:
                cert = subprocess.run(['openssl', 'req', '-x509', '-key', p, '-subj', '/CN=x', '-days', '1'],
                                      capture_output=True).stdout
                pem = cert + pem
            with open(p, 'wb') as f:
                f.write(pem)
            r = sign(keys, msg(b'a@' + dom.encode()))
            is_((r.rc, (signature(r.message or b'') or {}).get('d')), (0, dom), '%s PEM: signed' % how)
            ok(dkimpy(r.message or b'', keys), '%s PEM: verifies' % how)

        # configuration errors
        bad = os.path.join(keys.dir, 'bad.test')
        os.mkdir(bad)
        cases = []
        for mode in (0o640, 0o604, 0o660):
            p = keys.add('perm%o.test' % mode, 'sel', 1024, mode=mode)
            cases.append(('perm%o.test' % mode, p, 'readable or writable by group or others'))
        p = os.path.join(bad, 'sel.key')
        with open(p, 'w') as f:
            f.write('-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all\n-----END RSA PRIVATE KEY-----\n')
        os.chmod(p, 0o600)
        cases.append(('bad.test', p, 'PEM|unreadable'))
        for dom, cmd, why in (('short.test', ['openssl', 'genrsa', '-traditional', '-out', '{}', '512'], 'shorter than 1024 bits'),
                              ('ec.test', ['openssl', 'ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', '{}'], 'not an RSA key'),
                              ('cert.test', ['openssl', 'req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-subj', '/CN=x',
                                             '-keyout', '/dev/null', '-out', '{}'], 'no RSA PRIVATE KEY')):
            os.mkdir(os.path.join(keys.dir, dom))
            p = os.path.join(keys.dir, dom, 'sel.key')
            subprocess.run([w.replace('{}', p) for w in cmd], capture_output=True)
            os.chmod(p, 0o600)
            cases.append((dom, p, why))
        for dom, p, why in cases:
            r = sign(keys, msg(b'a@' + dom.encode()))
            is_(r.rc, 111, '%s: exit 111' % dom)
            like(r.out, r'^4\.3\.5 dcr-dkimsign: configuration error\n$', '%s: one 4.3.5 line' % dom)
            like(r.err, re.escape(p) + r': .*(' + why + ')', '%s: stderr names the file and says why' % dom)
            is_(r.message, None, '%s: nothing passed on' % dom)

        for what, d in (('missing', os.path.join(td, 'nokeys')), ('a file', keys.path('example.com', 'sel'))):
            r = run_filter(['dcr-dkimsign', '-d', d], msg(b'a@example.com'))
            is_((r.rc, r.out[:6], r.message), (111, '4.3.5 ', None), 'the keys directory %s: 4.3.5, nothing passed on' % what)
            like(r.err, re.escape(d), 'the keys directory %s: named on stderr' % what)

        # usage
        for args in (['-c', 'loose/loose', '-d', keys.dir], ['-h', 'Subject:To', '-d', keys.dir],
                     ['-x', 'soon', '-d', keys.dir], ['-d', keys.dir], ['-S', '../x', '-d', keys.dir]):
            p = subprocess.run([bin_path('dcr-dkimsign')] + args + (['/bin/true'] if len(args) > 2 else []),
                               stdin=subprocess.DEVNULL, capture_output=True)
            ok(p.returncode == 111 and p.stdout.startswith(b'4.3.5 '), 'usage %r: 4.3.5, exit 111' % (args,))
        p = subprocess.run([bin_path('dcr-dkimsign'), '/bin/true'], stdin=subprocess.DEVNULL, capture_output=True)
        ok(p.returncode == 111 and p.stdout.startswith(b'4.3.5 '), 'no -d: 4.3.5, exit 111')
        p = subprocess.run([bin_path('dcr-dkimsign'), '--frob', '-d', keys.dir, '/bin/true'], stdin=subprocess.DEVNULL, capture_output=True)
        ok(p.returncode == 111 and p.stdout.startswith(b'4.3.5 '), 'an unknown long option: 4.3.5, exit 111')


run(main, timeout=180)
