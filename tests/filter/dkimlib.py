# ISC license.
"""dkimlib: the DKIM tests' keys, signer and two real verifiers.

    keys = Keys(tmpdir)                      a keys directory (dcr-dkimsign -d)
    keys.add('example.com', 'sel', 2048)     openssl genrsa (PKCS#1 PEM), mode 0600
    keys.add(..., how='pkcs8')               openssl genpkey (PKCS#8 "PRIVATE KEY")
    keys.add(..., how='dcr')                 dcr-dkimkey -g
    r = sign(keys, msg, args=[...])          filterlib.run_filter of dcr-dkimsign
    dkimpy(r.message, keys)                  dkim.verify (python3-dkim), in process
    opendkim(r.message, keys)                opendkim -t with TestPublicKeys

Both verifiers get the DNS records from dcr-dkimkey's output (the TXT
record an administrator would publish), never from openssl: so every
pass also proves dcr-dkimkey's record. opendkim-testmsg has no way to
be given a public key offline (it queries DNS), so opendkim's own test
mode is used: `opendkim -x CONF -t FILE`, CONF naming a TestPublicKeys
file of "NAME record" lines.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import bin_path  # noqa: E402
from filterlib import run_filter, BASE_ENV  # noqa: E402,F401

import dkim  # noqa: E402  python3-dkim


def txt_strings(text):
    """The TXT record's character strings joined: what DNS hands a
    verifier for dcr-dkimkey's output."""
    return ''.join(re.findall(r'"([^"]*)"', text))


class Keys(object):
    def __init__(self, top):
        self.dir = os.path.join(top, 'keys')
        os.makedirs(self.dir, exist_ok=True)
        self.records = {}

    def path(self, domain, sel):
        return os.path.join(self.dir, domain, sel + '.key')

    def add(self, domain, sel, bits=2048, how='openssl', mode=0o600):
        d = os.path.join(self.dir, domain)
        os.makedirs(d, exist_ok=True)
        p = self.path(domain, sel)
        if how == 'dcr':
            out = subprocess.run([bin_path('dcr-dkimkey'), '-g', str(bits), '-d', self.dir,
                                  '-D', domain, '-S', sel], capture_output=True, check=True).stdout
        elif how == 'pkcs8':
            subprocess.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt',
                            'rsa_keygen_bits:%d' % bits, '-out', p], capture_output=True, check=True)
        else:
            subprocess.run(['openssl', 'genrsa', '-traditional', '-out', p, str(bits)],
                           capture_output=True, check=True)
        os.chmod(p, 0o600)
        if how != 'dcr':
            out = subprocess.run([bin_path('dcr-dkimkey'), p], capture_output=True, check=True).stdout
        self.records['%s._domainkey.%s' % (sel, domain)] = txt_strings(out.decode())
        os.chmod(p, mode)
        return p


def sign(keys, message, args=(), env=None):
    return run_filter(['dcr-dkimsign'] + list(args) + ['-d', keys.dir], message, env=env)


def wire(msg):
    """internal form to what dcr-remote sends: CRLF line ends, a CR
    before an LF not doubled, a last line ended"""
    msg = msg.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    if msg and not msg.endswith(b'\r\n'):
        msg += b'\r\n'
    return msg


def dkimpy(msg, keys, as_wire=True):
    def dns(name, timeout=5):
        n = name.decode().rstrip('.')
        r = keys.records.get(n)
        return r.encode() if r else None
    try:
        return bool(dkim.verify(wire(msg) if as_wire else msg, dnsfunc=dns))
    except Exception:  # a verifier that raises has not verified
        return False


def opendkim(msg, keys, as_wire=True):
    """(verified, opendkim's verdict line)"""
    with tempfile.TemporaryDirectory(prefix='dcr-opendkim-') as d:
        pk = os.path.join(d, 'testkeys')
        with open(pk, 'w') as f:
            for n, r in keys.records.items():
                f.write('%s %s\n' % (n, r))
        conf = os.path.join(d, 'opendkim.conf')
        with open(conf, 'w') as f:
            f.write('Mode v\nSyslog no\nTestPublicKeys %s\nTemporaryDirectory %s\n' % (pk, d))
        m = os.path.join(d, 'msg')
        with open(m, 'wb') as f:
            f.write(wire(msg) if as_wire else msg)
        p = subprocess.run(['opendkim', '-x', conf, '-t', m], capture_output=True, timeout=30)
        err = (p.stdout + p.stderr).decode(errors='replace')
        line = [x for x in err.splitlines() if 'verification' in x or 'no signature' in x]
        return (bool(re.search(r'verification \(.*\) succeeded', err)), line[0] if line else err[-300:])


def signature(msg):
    """the DKIM-Signature field at the top of a signed message (bytes),
    unfolded, as a dict of tags"""
    m = re.match(rb'DKIM-Signature:((?:.*\n)(?:[ \t].*\n)*)', msg)
    if not m:
        return None
    v = re.sub(rb'\s+', b'', m.group(1)).decode()
    return dict(t.split('=', 1) for t in v.split(';') if t)
