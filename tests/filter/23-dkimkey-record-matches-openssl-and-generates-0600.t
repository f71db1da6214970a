#!/usr/bin/python3
# Proves: dcr-dkimkey prints the DNS TXT record of a key, in the zone
# file form an administrator pastes ("SEL._domainkey.DOMAIN. IN TXT (
# "v=DKIM1; k=rsa; " "p=..." )", strings of 255 octets at most), and p=
# is the SubjectPublicKeyInfo openssl derives from the same key (1024,
# 2048, 3072, 4096 bits; PKCS#1 and PKCS#8); the selector and domain
# come from the path unless given. -g makes a new key: mode 0600 in a
# 0700 domain directory, a valid PEM RSA key of the size asked for that
# openssl accepts, never replacing an existing key, no temporary file
# left; bad sizes, names (a record name over 253 octets too) and a
# group-readable key exit 100.
import base64, os, re, stat, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dkimlib import *
from dcrtest import *


def dkimkey(*args):
    return subprocess.run([bin_path('dcr-dkimkey')] + list(args), capture_output=True)


def openssl_p(path):
    der = subprocess.run(['openssl', 'pkey', '-in', path, '-pubout', '-outform', 'DER'],
                         capture_output=True, check=True).stdout
    return base64.b64encode(der).decode()


RECORD = re.compile(r'^(\S+)\._domainkey\.(\S+)\. IN TXT \( "v=DKIM1; k=rsa; "((?:\n\t"[^"\n]*")+) \)\n$')


def main():
    with tempfile.TemporaryDirectory(prefix='dcr-dkim-') as td:
        kd = os.path.join(td, 'keys')
        os.makedirs(os.path.join(kd, 'example.com'))
        for bits, how in ((1024, 'genrsa'), (2048, 'genrsa'), (3072, 'pkcs8'), (4096, 'genrsa'), (4096, 'pkcs8')):
            p = os.path.join(kd, 'example.com', 's%d%s.key' % (bits, how))
            if how == 'genrsa':
                subprocess.run(['openssl', 'genrsa', '-traditional', '-out', p, str(bits)], capture_output=True, check=True)
            else:
                subprocess.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:%d' % bits,
                                '-out', p], capture_output=True, check=True)
            os.chmod(p, 0o600)
            r = dkimkey(p)
            out = r.stdout.decode()
            is_(r.returncode, 0, '%d %s: exit 0' % (bits, how))
            m = RECORD.match(out)
            if not ok(m, '%d %s: the zone file form' % (bits, how)):
                diag(out)
                continue
            is_((m.group(1), m.group(2)), ('s%d%s' % (bits, how), 'example.com'), '%d %s: selector and domain from the path' % (bits, how))
            strings = re.findall(r'"([^"]*)"', m.group(3))
            ok(all(len(s) <= 255 for s in strings), '%d %s: strings of 255 octets at most' % (bits, how))
            is_(''.join(strings), 'p=' + openssl_p(p), '%d %s: p= is the public key openssl derives' % (bits, how))
        r = dkimkey(os.path.join(kd, 'example.com', 's2048genrsa.key'), 'mail2026', 'Example.ORG')
        like(r.stdout.decode(), r'^mail2026\._domainkey\.example\.org\. IN TXT', 'selector and domain given, lowercased')

        # -g
        r = dkimkey('-g', '2048', '-d', kd, '-D', 'new.test', '-S', 'gen')
        is_(r.returncode, 0, '-g 2048: exit 0')
        p = os.path.join(kd, 'new.test', 'gen.key')
        st = os.stat(p)
        is_(stat.S_IMODE(st.st_mode), 0o600, '-g: the key is mode 0600')
        is_(stat.S_IMODE(os.stat(os.path.dirname(p)).st_mode), 0o700, '-g: the domain directory is made 0700')
        is_(sorted(os.listdir(os.path.dirname(p))), ['gen.key'], '-g: no temporary file left')
        fresh = os.path.join(kd, 'fresh-keys')
        r2 = dkimkey('-g', '1024', '-d', fresh, '-D', 'a.test', '-S', 's1')
        ok(r2.returncode == 0 and os.path.exists(os.path.join(fresh, 'a.test', 's1.key')), '-g: a keys directory not there yet is made')
        is_(stat.S_IMODE(os.stat(fresh).st_mode), 0o700, '-g: ... mode 0700')
        with open(p) as f:
            pem = f.read()
        like(pem, r'^-----BEGIN RSA PRIVATE KEY-----\n', '-g: a PKCS#1 PEM key')
        c = subprocess.run(['openssl', 'rsa', '-in', p, '-check', '-noout'], capture_output=True)
        like(c.stdout.decode() + c.stderr.decode(), r'RSA key ok', '-g: openssl rsa -check accepts it')
        t = subprocess.run(['openssl', 'rsa', '-in', p, '-text', '-noout'], capture_output=True).stdout.decode()
        like(t, r'Private-Key: \(2048 bit', '-g: 2048 bits')
        like(t, r'publicExponent: 65537', '-g: e = 65537')
        m = RECORD.match(r.stdout.decode())
        ok(m and ''.join(re.findall(r'"([^"]*)"', m.group(3))) == 'p=' + openssl_p(p), '-g: the record printed is the new key\'s')
        r2 = dkimkey('-g', '1024', '-d', kd, '-D', 'new.test', '-S', 'gen')
        is_(r2.returncode, 100, '-g over an existing key: exit 100')
        like(r2.stderr.decode(), r'gen\.key: exists', '-g over an existing key: said so')
        with open(p) as f:
            is_(f.read(), pem, '-g over an existing key: the key is unchanged')
        r = dkimkey('-g', '4096', '-d', kd, '-D', 'new.test', '-S', 'big')
        t = subprocess.run(['openssl', 'rsa', '-in', os.path.join(kd, 'new.test', 'big.key'), '-text', '-noout'],
                           capture_output=True).stdout.decode()
        like(t, r'Private-Key: \(4096 bit', '-g 4096: 4096 bits')

        for args, what in ((['-g', '512', '-d', kd, '-D', 'x.test', '-S', 's'], '512 bits'),
                           (['-g', '8192', '-d', kd, '-D', 'x.test', '-S', 's'], '8192 bits'),
                           (['-g', '2048', '-d', kd, '-D', '../etc', '-S', 's'], 'a domain with ..'),
                           (['-g', '2048', '-d', kd, '-D', 'x.test', '-S', 'a/b'], 'a selector with /'),
                           (['-g', '2048', '-d', kd, '-D', 'x.test'], 'no selector'),
                           (['-g', '2048', '-d', kd, '-D', '.'.join(['a' * 63] * 3 + ['b' * 57]), '-S', 's' * 60],
                            'a record name over 253 octets'),
                           ([], 'no argument')):
            r = dkimkey(*args)
            is_(r.returncode, 100, '%s: exit 100' % what)
        ok(not os.path.exists(os.path.join(kd, 'x.test')), 'refused -g made no directory')
        os.chmod(p, 0o644)
        r = dkimkey(p)
        is_(r.returncode, 100, 'a key readable by others: exit 100')
        like(r.stderr.decode(), r'gen\.key: readable or writable by group or others', 'a key readable by others: said so')


run(main, timeout=180)
