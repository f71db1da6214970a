# ISC license.
"""snilib: the harness of the dcr-sniproxy script tests (python3 stdlib,
openssl through tools/mkcert; aiosmtpd through tests/remote/remotelib).

    with Certs('a.test', 'b.test') as certs, \\
         TlsBackend(certs, 'a.test') as a, \\
         Sniproxy('a.test 127.0.0.1:%d\\n' % a.port, ['tls']) as sp:
        r = tls_fetch(sp.port('tls'), 'a.test', certs)
        is_(r['cn'], 'a.test')

Certs        a test CA and one ECDSA leaf per name (tools/mkcert)
TlsBackend   a python ssl server with its own certificate; answers every
             request (HTTP or one line) with "backend=NAME sni=SNI ...";
             reads a PROXY v1/v2 header first when told to (proxy=True)
HttpBackend  plain HTTP (http.server) answering "backend=NAME host=HOST"
RawBackend   one thread, selectors, no TLS: reads a PROXY header (if any)
             and one TLS record or one line, answers "backend=NAME n=LEN
             sni=SNI\\n" and holds the connection until the client closes;
             .open / .max_open count connections held at once; 2,000+
Sniproxy     dcr-sniproxy with a rules file and listeners on free ports,
             started with -d (readiness), stopped by pid / process group
client_hello()  a ClientHello built by hand (bytes), with or without SNI
real_hello()    the ClientHello python's ssl module sends (memory BIOs)
parse_sni()     the SNI of a ClientHello (for RawBackend)
tls_fetch() / s_client() / curl()   real TLS and HTTP clients
end_of()     how a connection ended: 'eof', 'reset', 'timeout' or data
"""

import os
import re
import select
import selectors
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
from dcrtest import bin_path, diag, failures, free_port, REPO  # noqa: E402

MKCERT = os.path.join(REPO, 'tools', 'mkcert')
CLK_TCK = os.sysconf('SC_CLK_TCK')


def raise_nofile(n):
    """Raise this process's RLIMIT_NOFILE soft limit to n (or the hard one)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(n, hard) if hard != resource.RLIM_INFINITY else n
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ------------------------------------------------------------ certificates

class Certs(object):
    """DIR/ca.pem and, per name, DIR/NAME.pem (leaf + CA) and NAME.key."""

    def __init__(self, *names):
        self.dir = tempfile.mkdtemp(prefix='dcrsni-')
        self.ca = os.path.join(self.dir, 'ca.pem')
        for n in names:
            self.make(n)

    def make(self, name, *sans):
        subprocess.run([MKCERT, '-t', 'ec', self.dir, name] + list(sans or [name]),
                       check=True, timeout=60, stdin=subprocess.DEVNULL)
        return self.pem(name)

    def pem(self, name):
        return os.path.join(self.dir, name + '.pem')

    def key(self, name):
        return os.path.join(self.dir, name + '.key')

    def server_ctx(self, name):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        c.load_cert_chain(self.pem(name), self.key(name))
        return c

    def client_ctx(self):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.load_verify_locations(self.ca)
        c.verify_mode = ssl.CERT_REQUIRED
        return c

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ------------------------------------------------------------ PROXY header

PROXY_V2_SIG = b'\r\n\r\n\x00\r\nQUIT\n'


def proxy_header_len(buf):
    """Length of the PROXY v1/v2 header at the start of buf: 0 when
    there is none, None when more bytes are needed to tell."""
    if buf.startswith(b'PROXY'):
        i = buf.find(b'\r\n')
        return i + 2 if i >= 0 else (None if len(buf) < 108 else 0)
    if len(buf) < 12:
        return None if (PROXY_V2_SIG.startswith(buf) or b'PROXY'.startswith(buf)) else 0
    if buf[:12] != PROXY_V2_SIG:
        return 0
    if len(buf) < 16:
        return None
    return 16 + struct.unpack('!H', buf[14:16])[0]


def parse_proxy_header(raw):
    """A PROXY header (bytes) as a dict: version, src, sport, dst, dport,
    raw; v1 also proto, v2 also vercmd and fam."""
    if raw.startswith(b'PROXY'):
        f = raw[:-2].decode('latin-1').split(' ')
        h = {'version': 1, 'raw': raw, 'proto': f[1] if len(f) > 1 else None}
        if len(f) == 6 and f[1] in ('TCP4', 'TCP6'):
            h.update(src=f[2], dst=f[3], sport=int(f[4]), dport=int(f[5]))
        return h
    vercmd, fam, ln = struct.unpack('!BBH', raw[12:16])
    h = {'version': 2, 'raw': raw, 'vercmd': vercmd, 'fam': fam}
    body = raw[16:]
    if fam == 0x11 and ln >= 12:
        h.update(src=socket.inet_ntop(socket.AF_INET, body[0:4]),
                 dst=socket.inet_ntop(socket.AF_INET, body[4:8]),
                 sport=struct.unpack('!H', body[8:10])[0],
                 dport=struct.unpack('!H', body[10:12])[0])
    elif fam == 0x21 and ln >= 36:
        h.update(src=socket.inet_ntop(socket.AF_INET6, body[0:16]),
                 dst=socket.inet_ntop(socket.AF_INET6, body[16:32]),
                 sport=struct.unpack('!H', body[32:34])[0],
                 dport=struct.unpack('!H', body[34:36])[0])
    return h


def read_proxy_header(sock, timeout=5):
    """Take exactly the PROXY header off a blocking socket (MSG_PEEK
    first, so the TLS bytes behind it stay for ssl): its dict, or None
    when the stream does not start with one."""
    deadline = time.time() + timeout
    while True:
        buf = sock.recv(600, socket.MSG_PEEK)
        if not buf:
            raise EOFError('eof before or in the PROXY header')
        n = proxy_header_len(buf)
        if n == 0:
            return None
        if n is not None and len(buf) >= n:
            break
        if time.time() > deadline:
            raise ValueError('incomplete PROXY header: %r' % buf[:120])
        time.sleep(0.01)
    raw = b''
    while len(raw) < n:
        raw += sock.recv(n - len(raw))
    return parse_proxy_header(raw)


# ---------------------------------------------------------------- backends

class TcpServer(object):
    """A listening socket on a free port of host and an accept thread."""

    def __init__(self, name, host='127.0.0.1'):
        self.name = name
        self.host = host
        self.conns = []          # one dict per accepted connection
        self.lock = threading.Lock()
        self._stop = False
        self.threads = []

    def start(self):
        fam = socket.AF_INET6 if ':' in self.host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(1024)
        self.sock.settimeout(0.2)
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    @property
    def addr(self):
        return ('[%s]:%d' if ':' in self.host else '%s:%d') % (self.host, self.port)

    def _accept(self):
        while not self._stop:
            try:
                c, peer = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            rec = {'peer': peer, 't': time.time()}
            with self.lock:
                self.conns.append(rec)
            t = threading.Thread(target=self._serve_safe, args=(c, rec), daemon=True)
            t.start()

    def _serve_safe(self, c, rec):
        c.settimeout(30)
        try:
            self.serve(c, rec)
        except Exception as e:  # noqa: B902 - hostile peers end here
            rec['error'] = repr(e)
        finally:
            try:
                c.close()
            except OSError:
                pass

    def stop(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def _read_request(s, limit=65536):
    """An HTTP request head (to its blank line), or else one line."""
    buf = b''
    while len(buf) <= limit:
        if b'\r\n\r\n' in buf or (b'\n' in buf and not buf.startswith((b'GET ', b'HEAD '))):
            break
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf


def answer(name, extra=''):
    body = ('backend=%s%s\n' % (name, extra)).encode()
    return (b'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n'
            b'Connection: close\r\n\r\n' % len(body)) + body


class TlsBackend(TcpServer):
    """TLS server with the certificate of certs NAME. proxy=True: read a
    PROXY header first (recorded as rec['proxy']). Each request (HTTP head
    or one line) gets answer(name, ' sni=SNI'). handler(ssl_sock, rec):
    replaces the request/answer step."""

    def __init__(self, certs, name, proxy=False, handler=None, host='127.0.0.1'):
        TcpServer.__init__(self, name, host)
        self.ctx = certs.server_ctx(name)
        self.proxy = proxy
        self.handler = handler

        def sni_cb(sslobj, servername, ctx):
            sslobj.sni = servername
        self.ctx.sni_callback = sni_cb

    def serve(self, c, rec):
        if self.proxy:
            rec['proxy'] = read_proxy_header(c)
        s = self.ctx.wrap_socket(c, server_side=True)
        rec['sni'] = getattr(s, 'sni', None)
        rec['tls'] = s.version()
        if self.handler:
            self.handler(s, rec)
            return
        req = _read_request(s)
        rec['request'] = req
        if req:
            s.sendall(answer(self.name, ' sni=%s' % rec['sni']))
        try:
            s.unwrap()
        except (OSError, ValueError):
            pass


class HttpBackend(TcpServer):
    """Plain HTTP: answers answer(name, ' host=HOST path=PATH'); records
    the request head."""

    def serve(self, c, rec):
        req = _read_request(c)
        rec['request'] = req
        m = re.search(rb'\r\nhost:[ \t]*([^\r\n]*)', req, re.I)
        path = req.split(b' ')[1] if req.count(b' ') >= 2 else b''
        host = m.group(1).decode('latin-1') if m else ''
        c.sendall(answer(self.name, ' host=%s path=%s' % (host, path.decode('latin-1'))))


class RawBackend(object):
    """Selectors, one thread, no TLS. Per connection: an optional PROXY
    header (recorded), then one TLS record (5-byte header + length) or one
    line; answers b'backend=NAME n=LEN sni=SNI\\n' and holds the
    connection open until the client closes it (or answers once per
    record/line when more come). .open: connections held now; .max_open;
    .served: answers sent; .records: the first records/lines (bytes, the
    first 100 kept); .proxies: PROXY headers seen."""

    def __init__(self, name, host='127.0.0.1'):
        self.name = name
        self.host = host
        self.open = 0
        self.max_open = 0
        self.served = 0
        self.accepted = 0
        self.records = []
        self.proxies = []
        self._stop = False

    def start(self):
        self.sock = socket.socket(socket.AF_INET6 if ':' in self.host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(4096)
        self.sock.setblocking(False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.sock, selectors.EVENT_READ, None)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    @property
    def addr(self):
        return ('[%s]:%d' if ':' in self.host else '%s:%d') % (self.host, self.port)

    def _loop(self):
        while not self._stop:
            for key, _ in self.sel.select(0.1):
                if key.data is None:
                    self._accept()
                else:
                    self._read(key.fileobj, key.data)

    def _accept(self):
        for _ in range(64):
            try:
                c, _ = self.sock.accept()
            except (BlockingIOError, OSError):
                return
            c.setblocking(False)
            self.accepted += 1
            self.open += 1
            self.max_open = max(self.max_open, self.open)
            self.sel.register(c, selectors.EVENT_READ, {'buf': b'', 'proxy_done': False})

    def _close(self, c):
        self.sel.unregister(c)
        c.close()
        self.open -= 1

    def _read(self, c, st):
        try:
            d = c.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            d = b''
        if not d:
            self._close(c)
            return
        st['buf'] += d
        self._consume(c, st)

    def _consume(self, c, st):
        buf = st['buf']
        if not st['proxy_done']:
            n = proxy_header_len(buf)
            if n is None or len(buf) < n:
                return
            if n:
                self.proxies.append(parse_proxy_header(buf[:n]))
                buf = buf[n:]
            st['proxy_done'] = True
        while buf:
            if buf[0] == 0x16:
                if len(buf) < 5:
                    break
                n = 5 + struct.unpack('!H', buf[3:5])[0]
                if len(buf) < n:
                    break
            elif b'\n' in buf:
                n = buf.index(b'\n') + 1
            else:
                break
            rec, buf = buf[:n], buf[n:]
            if len(self.records) < 100:
                self.records.append(rec)
            sni = parse_sni(rec) if rec[0] == 0x16 else None
            try:
                c.sendall(b'backend=%s n=%d sni=%s\n' % (self.name.encode(), len(rec),
                                                         (sni or '-').encode()))
                self.served += 1
            except OSError:
                pass
        st['buf'] = buf

    def stop(self):
        self._stop = True
        self.thread.join(3)
        for key in list(self.sel.get_map().values()):
            try:
                key.fileobj.close()
            except OSError:
                pass
        self.sel.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# ------------------------------------------------------------ ClientHellos

def _ext(typ, body):
    return struct.pack('!HH', typ, len(body)) + body


def sni_ext(name):
    n = name.encode() if isinstance(name, str) else name
    entry = b'\x00' + struct.pack('!H', len(n)) + n
    return _ext(0, struct.pack('!H', len(entry)) + entry)


def client_hello(sni=None, extensions=None, record_version=b'\x03\x01', pad=0):
    """A TLS 1.2 ClientHello record built by hand: random, no session,
    two suites, null compression, SNI (if given), supported groups and
    signature algorithms, and pad bytes of a padding extension."""
    exts = b''
    if sni is not None:
        exts += sni_ext(sni)
    exts += _ext(10, b'\x00\x04\x00\x17\x00\x1d')           # groups
    exts += _ext(13, b'\x00\x04\x04\x03\x08\x04')           # sig algs
    if pad:
        exts += _ext(21, b'\x00' * pad)
    if extensions is not None:
        exts = extensions
    body = (b'\x03\x03' + os.urandom(32) + b'\x00' + b'\x00\x04\xc0\x2b\xc0\x2f' +
            b'\x01\x00' + struct.pack('!H', len(exts)) + exts)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16' + record_version + struct.pack('!H', len(hs)) + hs


def real_hello(sni):
    """The first flight of python's ssl client for server_hostname=sni."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def parse_sni(rec):
    """The server_name of a ClientHello record (str), or None."""
    try:
        if rec[0] != 0x16 or rec[5] != 1:
            return None
        p = 9 + 2 + 32
        p += 1 + rec[p]                                          # session id
        p += 2 + struct.unpack('!H', rec[p:p + 2])[0]            # suites
        p += 1 + rec[p]                                          # compression
        end = p + 2 + struct.unpack('!H', rec[p:p + 2])[0]
        p += 2
        while p + 4 <= end:
            typ, ln = struct.unpack('!HH', rec[p:p + 4])
            if typ == 0:
                n = struct.unpack('!H', rec[p + 7:p + 9])[0]
                return rec[p + 9:p + 9 + n].decode('latin-1')
            p += 4 + ln
    except (IndexError, struct.error):
        return None
    return None


# ----------------------------------------------------------------- clients

def end_of(sock, timeout, until=None):
    """How a connection ends: 'eof', 'reset', 'timeout', or 'data:...'
    (bytes came first; the rest is drained, or reading stops once the
    bytes until are in). Returns (how, seconds)."""
    t0 = time.time()
    deadline = t0 + timeout
    got = b''
    while True:
        if until is not None and until in got:
            return 'data:%r' % got[:400], time.time() - t0
        left = deadline - time.time()
        if left <= 0:
            return ('data:%r' % got[:400] if got else 'timeout'), time.time() - t0
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return ('data:%r' % got[:400] if got else 'reset'), time.time() - t0
        except OSError as e:
            return 'error:%s' % e, time.time() - t0
        if not d:
            return ('data:%r' % got[:400] if got else 'eof'), time.time() - t0
        got += d


def connect(port, host='127.0.0.1', timeout=5, source=None):
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    return s


def raw_exchange(port, data, host='127.0.0.1', timeout=5):
    """Send data, read to the end: bytes ('' when closed without bytes);
    None when nothing came and the peer did not close in time."""
    with connect(port, host, timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        out = b''
        s.settimeout(timeout)
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    return out
                out += d
        except ConnectionResetError:
            return out
        except socket.timeout:
            return out if out else None


def tls_fetch(port, sni, certs, host='127.0.0.1', timeout=5, request=None):
    """A TLS client (python ssl, server_hostname=sni) sending one request:
    {'cn', 'body', 'error'}. cn: the CN of the certificate served."""
    out = {'cn': None, 'body': None, 'error': None}
    try:
        raw = connect(port, host, timeout)
    except OSError as e:
        out['error'] = 'connect: %s' % e
        return out
    try:
        s = certs.client_ctx().wrap_socket(raw, server_hostname=sni)
        cert = s.getpeercert()
        out['cn'] = dict(x[0] for x in cert['subject']).get('commonName')
        s.sendall(request or b'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' % (sni or 'x').encode())
        data = b''
        while True:
            try:
                d = s.recv(65536)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
            if not d:
                break
            data += d
        out['body'] = data.split(b'\r\n\r\n', 1)[-1].decode('latin-1')
    except (OSError, ssl.SSLError, ValueError) as e:
        out['error'] = '%s: %s' % (type(e).__name__, e)
    finally:
        raw.close()
    return out


def s_client(port, sni, certs, host='127.0.0.1', timeout=10):
    """openssl s_client -servername sni: (subject CN, body, output)."""
    argv = ['openssl', 's_client', '-connect', '%s:%d' % (host, port),
            '-CAfile', certs.ca, '-verify_return_error', '-ign_eof']
    if sni:
        argv += ['-servername', sni]
    else:
        argv += ['-noservername']
    p = subprocess.run(argv, input=b'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' % (sni or 'x').encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    text = p.stdout.decode('latin-1')
    m = re.search(r'subject=.*?CN ?= ?([^,\n/]+)', text)
    b = re.search(r'^(backend=[^\n]*)$', text, re.M)
    return (m.group(1).strip() if m else None), (b.group(1) if b else None), text


def curl(*args, timeout=15):
    """curl -sS ARGS: (exit code, stdout text, stderr text)."""
    p = subprocess.run(['curl', '-sS', '--max-time', '10'] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode('latin-1'), p.stderr.decode('latin-1')


# ---------------------------------------------------------------- Sniproxy

class Sniproxy(object):
    """dcr-sniproxy OPTS RULES LISTENERS on free loopback ports.

    rules      text of the rules file
    listeners  specs: 'tls', 'http', 'forward:NAME' (127.0.0.1, a free
               port), 'tls6' / 'http6' (on [::1]), or a full spec with
               PORT in place of the number ('tls:127.0.0.1:PORT')
    opts       options (list); -w 1 unless opts has -w
    wrap       argv put in front (e.g. ['prlimit', '--nofile=64', '--'])
    .port(spec): the port of the listener given as spec (or its mode)"""

    def __init__(self, rules, listeners=('tls',), opts=(), wrap=(), ready_timeout=10,
                 expect_fail=False):
        self.rules = rules
        self.specs = list(listeners)
        self.opts = list(opts)
        if '-w' not in self.opts:
            self.opts = ['-w', '1'] + self.opts
        self.wrap = list(wrap)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.ports = {}
        self.listeners = []
        self._failed_at_start = failures()

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def _listener(self, spec):
        if spec in ('tls', 'http'):
            return '%s:127.0.0.1:%d' % (spec, free_port())
        if spec in ('tls6', 'http6'):
            return '%s:[::1]:%d' % (spec[:-1], free_port('::1'))
        if spec.startswith('forward:') and spec.count(':') == 1:
            return 'forward:127.0.0.1:%d:%s' % (free_port(), spec.split(':')[1])
        if 'PORT' in spec:
            host = spec.split(':')[1]
            return spec.replace('PORT', str(free_port(host.strip('[]'))))
        return spec

    def write_rules(self, text):
        """Replace the rules file (atomically)."""
        tmp = self.path('rules.tmp')
        with open(tmp, 'w') as f:
            f.write(text)
        os.rename(tmp, self.path('rules'))

    def argv(self, notify_fd):
        return self.wrap + [bin_path('dcr-sniproxy'), '-d', str(notify_fd)] + self.opts + \
            [self.path('rules')] + self.listeners

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='dcrsniproxy-')
        self.write_rules(self.rules)
        last = None
        for attempt in range(3):
            self.listeners = [self._listener(s) for s in self.specs]
            self.ports = {}
            for spec, l in zip(self.specs, self.listeners):
                port = int(re.search(r':(\d+)(:[^:\]]*)?$', l).group(1))
                self.ports[spec] = port
                self.ports.setdefault(l.split(':')[0], port)
            r, w = os.pipe()
            self.logf = open(self.path('log'), 'ab')
            try:
                self.proc = subprocess.Popen(self.argv(w), stdin=subprocess.DEVNULL,
                                             stdout=self.logf, stderr=self.logf,
                                             pass_fds=(w,), start_new_session=True,
                                             cwd=self.dir)
            finally:
                os.close(w)
            got = b''
            try:
                deadline = time.time() + self.ready_timeout
                while time.time() < deadline and b'\n' not in got:
                    rl, _, _ = select.select([r], [], [], 0.1)
                    if rl:
                        chunk = os.read(r, 64)
                        if not chunk:
                            break
                        got += chunk
            finally:
                os.close(r)
            if b'\n' in got:
                return self
            last = 'dcr-sniproxy not ready (exit %r): %s' % (self.proc.poll(), self.log()[-2000:])
            self._kill()
            self.logf.close()
        raise RuntimeError(last)

    def port(self, spec='tls'):
        return self.ports[spec]

    @property
    def pid(self):
        return self.proc.pid

    def pids(self):
        """The master and its workers (children), from /proc."""
        from dcrtest import children_of
        return [self.proc.pid] + children_of(self.proc.pid)

    def cpu_seconds(self):
        """utime + stime of the master and its workers (seconds)."""
        tot = 0
        for p in self.pids():
            try:
                with open('/proc/%d/stat' % p) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(')') + 2:].split()
            tot += int(fields[11]) + int(fields[12])
        return tot / CLK_TCK

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def log(self):
        try:
            with open(self.path('log'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def lines(self, pattern):
        return [l for l in self.log().splitlines() if re.search(pattern, l)]

    def wait_log(self, pattern, timeout=5, count=1):
        """The log lines matching pattern, once there are count of them
        (or whatever there is after timeout)."""
        deadline = time.time() + timeout
        while True:
            got = self.lines(pattern)
            if len(got) >= count or time.time() > deadline:
                return got
            time.sleep(0.05)

    def _kill(self):
        if not self.proc:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 3)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        try:   # workers left after the master
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self):
        try:
            self._kill()
        finally:
            if failures() > self._failed_at_start and getattr(self, 'dir', None):
                diag('--- dcr-sniproxy log (last lines) ---')
                diag('\n'.join(self.log().splitlines()[-30:]))
            if getattr(self, 'logf', None):
                self.logf.close()
            if getattr(self, 'dir', None) and not os.environ.get('DCR_KEEP'):
                shutil.rmtree(self.dir, ignore_errors=True)
            elif getattr(self, 'dir', None):
                diag('kept ' + self.dir)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


def run_bad_rules(text, listeners=('tls:127.0.0.1:PORT',), timeout=10):
    """dcr-sniproxy with a rules file that should not load: (exit code,
    stderr, rules path). Never left running."""
    d = tempfile.mkdtemp(prefix='dcrsnibad-')
    try:
        rules = os.path.join(d, 'rules')
        with open(rules, 'w') as f:
            f.write(text)
        ls = []
        for l in listeners:
            if 'PORT' in l:
                l = l.replace('PORT', str(free_port()))
            ls.append(l)
        p = subprocess.Popen([bin_path('dcr-sniproxy'), '-w', '1', rules] + ls,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            return None, err.decode('utf-8', 'replace'), rules
        return p.returncode, err.decode('utf-8', 'replace'), rules
    finally:
        shutil.rmtree(d, ignore_errors=True)


def routed_to(port, data, host='127.0.0.1', timeout=3, source=None):
    """Send data (a ClientHello, a request line...) and read one line of
    a RawBackend's answer: the backend's name, or None when the splicer
    closed (or said nothing) instead."""
    try:
        s = connect(port, host, timeout, source)
    except OSError:
        return None
    with s:
        try:
            s.sendall(data)
            got = b''
            while b'\n' not in got:
                d = s.recv(4096)
                if not d:
                    break
                got += d
        except OSError:
            pass
    m = re.match(rb'backend=(\S+)', got)
    return m.group(1).decode() if m else None


def backends(*names):
    """{name: RawBackend} started (stop them with stop_all)."""
    return dict((n, RawBackend(n).start()) for n in names)


def stop_all(bes):
    for b in bes.values():
        b.stop()


class Blackhole(object):
    """A loopback port where connects time out: a listener with backlog 0
    whose one queue slot is taken (later SYNs are dropped)."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.addr = '127.0.0.1:%d' % self.port
        self.filler = socket.create_connection(('127.0.0.1', self.port), timeout=2)
        return self

    def __exit__(self, *exc):
        self.filler.close()
        self.sock.close()
        return False


def dead_port(host='127.0.0.1'):
    """A loopback port where connects are refused."""
    return free_port(host)
