# ISC license.
"""tlstest: helpers for the TLS and AUTH script tests (python3 stdlib,
openssl for certificates and s_client).

    with Certs() as c, TlsGateway(c, ['-s']) as gw:   # STARTTLS port
        cl = gw.raw()
        cl.cmd('EHLO client.test')
        starttls(cl, c.ctx())                          # RawClient over TLS
        cl.cmd('EHLO client.test')

Certs        a temp dir with a CA and leaves made by tools/mkcert: rsa
             and ec (mx.example.test, 127.0.0.1); .make() for more
TlsGateway   dcrtest.Gateway with dcr-tlsd between dcr-tcpd and
             dcr-smtpd, and a sink child that keeps the whole
             environment and the message (.sunk())
TlsSock      TLS over a socket through memory BIOs, so that a test can
             send a close_notify and then plaintext on the same socket;
             it stands in for RawClient.sock
tls_client() an implicit-TLS RawClient; starttls(): upgrade a RawClient
s_client()   openssl s_client against a gateway
"""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
from dcrtest import Gateway, RawClient, bin_path, diag, REPO  # noqa: E402

MKCERT = os.path.join(REPO, 'tools', 'mkcert')

# what the tests set themselves; inherited values would change them
for _v in ('AUTH_WITHOUT_TLS', 'CERTFILE', 'KEYFILE', 'SSL_PROTOCOL', 'SSL_CIPHER',
           'SSLCTLFD', 'SSLREADFD', 'SSLWRITEFD', 'SSL_TLS_SNI_SERVERNAME'):
    os.environ.pop(_v, None)


class Certs(object):
    """A CA and leaf certificates in a temp dir (context manager)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='dcrtls-')
        self.make('rsa', 'mx.example.test', '127.0.0.1', type='rsa')
        self.make('ec', 'mx.example.test', '127.0.0.1', type='ec')
        self.ca = self.path('ca.pem')

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def make(self, name, *sans, type='ec', inkey=False, cn=None, dir=None):
        """DIR/NAME.pem (leaf + CA) and NAME.key (or the key in the .pem
        with inkey); DIR is a subdirectory of the certs dir, or the dir
        itself. Returns the .pem path."""
        argv = [MKCERT, '-t', type] + (['-i'] if inkey else []) + (['-n', cn] if cn else [])
        d = self.dir
        if dir:
            d = self.path(dir)
            os.makedirs(d, exist_ok=True)
            # one CA for all: the subdirectory gets its files
            for f in ('ca.pem', 'ca.key'):
                if not os.path.exists(os.path.join(d, f)):
                    shutil.copy(self.path(f), os.path.join(d, f))
        subprocess.run(argv + [d, name] + list(sans), check=True, timeout=60,
                       stdin=subprocess.DEVNULL)
        if dir:
            for f in ('ca.pem', 'ca.key'):
                os.unlink(os.path.join(d, f))
        return os.path.join(d, name + '.pem')

    def tlsd(self, kind='ec'):
        """dcr-tlsd options for the rsa or ec certificate"""
        return ['-c', self.path(kind + '.pem'), '-k', self.path(kind + '.key')]

    def ctx(self, verify=True, hostname=False):
        """A client context trusting the CA (verify), TLS 1.2 and up."""
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = bool(verify and hostname)
        if verify:
            c.load_verify_locations(self.ca)
            c.verify_mode = ssl.CERT_REQUIRED
        else:
            c.verify_mode = ssl.CERT_NONE
        return c

    def close(self):
        if os.environ.get('DCR_KEEP'):
            diag('kept ' + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# the child of dcr-smtpd: keeps its environment and the message, then
# gives an id (the name of its files)
SINK_SH = ('n=$(date +%s%N)-$$; cat > "$1/$n.msg" && env > "$1/$n.tmp" && '
           'mv "$1/$n.tmp" "$1/$n.env" && echo "$n"')


class TlsGateway(Gateway):
    """dcr-tcpd -v, dcr-tlsd TLSD_OPTS, dcr-smtpd (-a CHECKER, -r with
    required), and the sink (child=None) or the given child.
    tlsd_opts  e.g. ['-s'] + certs.tlsd('rsa'); certs.tlsd() is added
               when the options name no certificate (-c or -d)"""

    def __init__(self, certs=None, tlsd_opts=('-s',), checker=None, required=False,
                 smtpd_opts=(), tcpd_opts=('-v',), **kw):
        self.tlsd_opts = list(tlsd_opts)
        if certs and '-c' not in self.tlsd_opts and '-d' not in self.tlsd_opts:
            self.tlsd_opts += certs.tlsd()
        opts = list(smtpd_opts)
        if checker:
            opts += ['-a', checker]
        if required:
            opts.append('-r')
        self.use_sink = kw.get('child') is None and not kw.get('capture')
        Gateway.__init__(self, smtpd_opts=opts, tcpd_opts=tcpd_opts, **kw)

    def _argv(self, notify_fd):
        if self.use_sink:
            os.makedirs(self.path('sink'), exist_ok=True)
            self.child = ['/bin/sh', '-c', SINK_SH, 'sink', self.path('sink')]
        argv = Gateway._argv(self, notify_fd)
        i = argv.index(bin_path('dcr-smtpd'))
        return argv[:i] + [bin_path('dcr-tlsd')] + self.tlsd_opts + argv[i:]

    def sunk(self):
        """What the sink kept, in order: [{'env': {...}, 'message': bytes}]"""
        out = []
        d = self.path('sink')
        for n in sorted(os.listdir(d)):
            if not n.endswith('.env'):
                continue
            env = {}
            with open(os.path.join(d, n), 'rb') as f:
                for line in f.read().decode('latin-1').split('\n'):
                    k, eq, v = line.partition('=')
                    if eq:
                        env[k] = v
            with open(os.path.join(d, n[:-4] + '.msg'), 'rb') as f:
                out.append({'env': env, 'message': f.read()})
        return out

    def sessions(self):
        """Live processes of the gateway other than dcr-tcpd itself: its
        session processes, and any they left behind (same group)."""
        out = []
        for d in os.listdir('/proc'):
            if not d.isdigit() or int(d) == self.proc.pid:
                continue
            try:
                with open('/proc/%s/stat' % d) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(')') + 2:].split()
            if fields[0] != 'Z' and int(fields[2]) == self.proc.pid:
                out.append(int(d))
        return out

    def wait_idle(self, timeout=5):
        """True once no session process is left (within timeout)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.sessions():
                return True
            time.sleep(0.05)
        return not self.sessions()

    def crashes(self):
        """Log lines that tell of a crash: a session ended by a signal,
        a sanitizer report, a fatal error."""
        bad = ('status=signal', 'AddressSanitizer', 'runtime error', 'Segmentation', ': fatal:')
        return [l for l in self.log().splitlines() if any(b in l for b in bad)]


class TlsSock(object):
    """TLS on a connected socket through memory BIOs. Has what RawClient
    uses of a socket (settimeout, recv, sendall, close), plus
    handshake(), close_notify() (sends it, and leaves the socket open
    for plaintext: .raw), and the session's facts (.obj)."""

    def __init__(self, sock, ctx, server_hostname=None, timeout=10):
        self.raw = sock
        self.timeout = timeout
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=False,
                                server_hostname=server_hostname)

    def _flush(self):
        data = self.out.read()
        if data:
            self.raw.sendall(data)

    def _feed(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise socket.timeout('timed out')
        self.raw.settimeout(left)
        data = self.raw.recv(65536)
        if data:
            self.inc.write(data)
        else:
            self.inc.write_eof()

    def _do(self, fn):
        deadline = time.time() + (self.timeout if self.timeout is not None else 3600)
        while True:
            try:
                r = fn()
                self._flush()
                return r
            except ssl.SSLWantReadError:
                self._flush()
                self._feed(deadline)

    def handshake(self):
        self._do(self.obj.do_handshake)

    def settimeout(self, t):
        self.timeout = t

    def recv(self, n):
        try:
            return self._do(lambda: self.obj.read(n))
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b''   # close_notify, or the TCP end without one

    def sendall(self, data):
        self.obj.write(data)
        self._flush()

    def close_notify(self):
        """Our close_notify, without waiting for the peer's."""
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        self._flush()

    def close(self):
        self.raw.close()


def tls_client(gw, ctx, sni=None, banner=True, timeout=10):
    """A RawClient over implicit TLS (handshake done, banner read)."""
    c = RawClient(gw.host, gw.port, timeout=timeout)
    try:
        c.sock = TlsSock(c.sock, ctx, sni, timeout)
        c.sock.handshake()
    except BaseException:
        c.close()
        raise
    if banner:
        c.greeting = c.reply()
    return c


def starttls(c, ctx, sni=None):
    """STARTTLS on a RawClient; on 220 the handshake, and c speaks TLS.
    Returns the STARTTLS reply."""
    r = c.cmd('STARTTLS')
    if r[0] == 220:
        c.sock = TlsSock(c.sock, ctx, sni, c.timeout)
        c.sock.handshake()
    return r


def ehlo_keywords(reply):
    """The keywords of an EHLO reply (code, text): ['PIPELINING', ...]"""
    return [l[4:].split(' ')[0].upper() for l in reply[1].split('\n')[1:]]


def s_client(gw, *args, input=b'QUIT\n', timeout=20):
    """openssl s_client -connect the gateway -crlf -ign_eof ARGS, INPUT
    on its stdin once the server has greeted (a client that talks before
    the 220 is refused, and s_client would send at once): (exit code,
    output)."""
    import select
    argv = ['openssl', 's_client', '-connect', '%s:%d' % (gw.host, gw.port),
            '-crlf', '-ign_eof'] + list(args)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b''
    # with -starttls, s_client reads the 220 itself: the handshake's end is the cue
    cue = (b'Cipher', b'CONNECTED') if '-starttls' in args else (b'220 ',)
    deadline = time.time() + min(timeout, 10)
    try:
        while time.time() < deadline and not any(c in out for c in cue):
            r, _, _ = select.select([p.stdout], [], [], 0.1)
            if r:
                d = os.read(p.stdout.fileno(), 65536)
                if not d:
                    break
                out += d
        try:
            p.stdin.write(input)
            p.stdin.close()
        except OSError:
            pass
        p.stdin = None   # closed: communicate() must not touch it
        rest = p.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        rest = p.communicate()[0]
    return p.returncode, (out + (rest or b'')).decode('utf-8', 'replace')


def client_hello(sni='mx.example.test'):
    """The bytes of a TLS ClientHello, as python's ssl would send it."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    o = c.wrap_bio(inc, out, server_hostname=sni)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def write_script(path, text, mode=0o700):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)
    return path


PASSWORDS = {'alice': 'correct horse', 'bob@example.test': 'b0b secret'}
GOOD_TOKEN = 'good-token'

VERIFIER_SH = '''#!/bin/sh
# accepts one token, for any user
tok=$(tr '\\0' '\\n' <&3 | sed -n 2p)
[ "$tok" = "%s" ] && exit 0
exit 1
'''


def checker(certs, passwords=PASSWORDS):
    """A users file (sha-512 hashes), a verifier accepting GOOD_TOKEN,
    and a checker script running dcr-checkpass -u USERS -o VERIFIER, in
    certs' dir: returns the checker's path."""
    sys.path.insert(0, os.path.join(HERE, '..', 'auth'))
    from authtest import mkpasswd, write
    d = certs.path('auth')
    os.makedirs(d, exist_ok=True)
    users = write(os.path.join(d, 'users'),
                  ''.join('%s:%s\n' % (u, mkpasswd('sha-512', p)) for u, p in passwords.items()))
    ver = write_script(os.path.join(d, 'verifier'), VERIFIER_SH % GOOD_TOKEN)
    return write_script(os.path.join(d, 'checker'), '#!/bin/sh\nexec %s -u %s -o %s "$@"\n'
                        % (bin_path('dcr-checkpass'), users, ver))


def b64(s):
    import base64
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()
