# ISC license.
"""scanlib: the scanners of tests/filter/4x (dcr-scan).

    with Clamd() as c:          real clamd (clamav-daemon), its database a
        c.unix, c.tcp           signature file written here (EICAR), on a
                                unix socket and a loopback port
    with Spamd() as s:          real spamd (spamassassin), local tests only,
        s.unix, s.tcp           no Bayes, no network; GTUBE scores 1000
    with FakeScanner(mode) as f: f.addr (a loopback port) answering
                                 'silent', 'close', or given bytes
    r = scan(['--clamd', c.unix], MESSAGE)
        r.rc, r.out (the reply line), r.err (logs), r.message (what the
        next program got, None when the chain stopped), r.secs, r.peak_kb

Servers are stopped (their process group killed) when the block ends,
even when a test failed.
"""

import email.utils
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import bin_path, RssPeak, diag, free_port  # noqa: E402

EICAR = (b'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')
GTUBE = b'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
SIGNATURE = 'Dcrtest-Eicar'   # clamd reports it as Dcrtest-Eicar.UNOFFICIAL

# dated now: SpamAssassin scores a Date hours off (DATE_IN_PAST_*), and
# the score of the ham must not depend on the hour the tests run
NOW = email.utils.formatdate(usegmt=True).encode()
HEAD = (b'Received: from client.example.org ([192.0.2.1]) by mx.dcrtest with ESMTP id test-id-1;\n'
        b'\t' + NOW + b'\n'
        b'From: Alice <alice@example.org>\n'
        b'To: Bob <bob@example.com>\n'
        b'Date: ' + NOW + b'\n'
        b'Message-ID: <20261203190000.12345@example.org>\n')


def message(body, subject=b'Lunch tomorrow', extra=b''):
    return HEAD + extra + b'Subject: ' + subject + b'\nMIME-Version: 1.0\n' \
        b'Content-Type: text/plain; charset=us-ascii\n\n' + body


HAM = message(b'Hello Bob,\n\nshall we meet for lunch tomorrow at noon, at the usual place?\n\nAlice\n')
SPAM = message(b'This is the GTUBE test string:\n\n' + GTUBE + b'\n', subject=b'Test spam')
VIRUS = message(b'The EICAR test string:\n\n' + EICAR + b'\n', subject=b'Test virus')


def _connects(addr):
    fam = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
    s = socket.socket(fam)
    s.settimeout(1)
    try:
        s.connect(addr)
        return s
    except OSError:
        s.close()
        return None


def _killgroup(proc):
    if not proc:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            # children of the group (spamd's) may outlive the leader
            time.sleep(0.1)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class _Daemon(object):
    name = 'daemon'

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='dcrscan-%s-' % self.name)
        os.chmod(self.dir, 0o755)
        self.proc = None
        self.port = free_port()
        self.sock = os.path.join(self.dir, self.name + '.sock')

    @property
    def tcp(self):
        return '127.0.0.1:%d' % self.port

    @property
    def unix(self):
        return 'unix:' + self.sock

    def log(self):
        try:
            with open(os.path.join(self.dir, 'out'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _spawn(self, argv):
        self.out = open(os.path.join(self.dir, 'out'), 'wb')
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True, cwd=self.dir)

    def _wait_ready(self, probe, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if probe():
                self.ready_secs = timeout - (deadline - time.time())
                return
            time.sleep(0.1)
        raise RuntimeError('%s not ready (exit %r): %s' % (self.name, self.proc.poll(), self.log()[-1500:]))

    def stop(self):
        _killgroup(self.proc)
        if getattr(self, 'out', None):
            self.out.close()
        if os.environ.get('DCR_KEEP'):
            diag('kept ' + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Clamd(_Daemon):
    """clamd with one signature: the EICAR string (an .ndb hex body
    signature, so it matches inside a message); stream_max: its
    StreamMaxLength (clamd's own default is 100M)."""
    name = 'clamd'

    def __init__(self, stream_max='100M'):
        _Daemon.__init__(self)
        self.stream_max = stream_max

    def start(self):
        db = os.path.join(self.dir, 'db')
        os.mkdir(db)
        with open(os.path.join(db, 'dcrtest.ndb'), 'w') as f:
            f.write('%s:0:*:%s\n' % (SIGNATURE, EICAR.hex()))
        conf = os.path.join(self.dir, 'clamd.conf')
        with open(conf, 'w') as f:
            f.write('Foreground yes\nLocalSocket %s\nTCPSocket %d\nTCPAddr 127.0.0.1\n'
                    'DatabaseDirectory %s\nLogFile %s\nLogTime yes\nStreamMaxLength %s\n'
                    'MaxThreads 4\nReadTimeout 20\nCommandReadTimeout 20\n'
                    % (self.sock, self.port, db, os.path.join(self.dir, 'clamd.log'), self.stream_max))
            if os.getuid() == 0:
                f.write('User root\n')   # clamd would switch to clamav, who cannot read the temp dir
        self._spawn(['clamd', '-c', conf])

        def probe():
            s = _connects(self.sock)
            if not s:
                return False
            s.close()
            s = _connects(('127.0.0.1', self.port))
            if not s:
                return False
            s.close()
            return True
        self._wait_ready(probe, 60)


class Spamd(_Daemon):
    """spamd with the Debian rules (/usr/share/spamassassin), local tests
    only (-L), no user config (-x), no Bayes; children
    run as nobody when started as root."""
    name = 'spamd'

    def start(self):
        site = os.path.join(self.dir, 'site')
        os.mkdir(site)
        for n in os.listdir('/etc/spamassassin'):
            if n.endswith('.pre'):   # the plugins; without v320.pre nothing is checked
                shutil.copy(os.path.join('/etc/spamassassin', n), site)
        with open(os.path.join(site, 'local.cf'), 'w') as f:
            f.write('required_score 5.0\nuse_bayes 0\nbayes_auto_learn 0\nskip_rbl_checks 1\n'
                    'use_razor2 0\nuse_pyzor 0\n')
        argv = ['spamd', '-L', '-x', '-H', self.dir, '--siteconfigpath=' + site,
                '--listen=127.0.0.1:%d' % self.port, '--listen=' + self.sock,
                '--allowed-ips=127.0.0.1', '--pidfile=' + os.path.join(self.dir, 'pid'),
                '--max-children=3', '--min-children=1', '-s', 'stderr']
        if os.getuid() == 0:
            argv += ['-u', 'nobody']
        self._spawn(argv)

        def probe():
            # PING answers once a child is up
            s = _connects(('127.0.0.1', self.port))
            if not s:
                return False
            try:
                s.sendall(b'PING SPAMC/1.5\r\n\r\n')
                s.settimeout(20)
                return s.recv(100).startswith(b'SPAMD/1.5 0 PONG')
            except OSError:
                return False
            finally:
                s.close()
        self._wait_ready(probe, 90)


class FakeScanner(object):
    """A hostile or broken scanner on a loopback port: mode 'silent'
    (reads what comes and never answers), 'noread' (accepts, reads
    nothing, never answers), 'close' (hangs up at once), or bytes (read
    a little, answer them, hang up). Mode 'spamc' checks a SPAMC request
    (Content-length octets exactly, every LF after a CR) and answers
    "Spam: False ; 0.0 / 5.0" with the symbols GOT_<octets> and CRLF_OK
    (or CRLF_BAD, SHORT)."""

    def __init__(self, mode, host='127.0.0.1'):
        self.mode = mode
        self.srv = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((host, 0))
        self.srv.listen(8)
        self.addr = ('[%s]:%d' if ':' in host else '%s:%d') % (host, self.srv.getsockname()[1])
        self.stopping = False
        self.conns = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _serve(self, c):
        try:
            if self.mode == 'close':
                c.close()
                return
            c.settimeout(0.2)
            if self.mode == 'noread':
                while not self.stopping:
                    time.sleep(0.1)
                return
            if self.mode == 'spamc':
                self._spamc(c)
                return
            if self.mode == 'silent':
                while not self.stopping:
                    try:
                        if not c.recv(65536):
                            while not self.stopping:
                                time.sleep(0.1)
                    except socket.timeout:
                        pass
                return
            try:
                c.recv(65536)
            except socket.timeout:
                pass
            c.sendall(self.mode)
            c.shutdown(socket.SHUT_WR)
            try:
                while c.recv(65536):
                    pass
            except OSError:
                pass
        except OSError:
            pass
        finally:
            c.close()

    def _spamc(self, c):
        c.settimeout(30)
        buf = b''
        while b'\r\n\r\n' not in buf:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        head, rest = buf.split(b'\r\n\r\n', 1)
        n = int([l for l in head.split(b'\r\n') if l.lower().startswith(b'content-length:')][0].split(b':')[1])
        got, crlf, prev = 0, True, b''
        data = rest
        while True:
            if data:
                got += len(data)
                t = prev + data
                if b'\n' in t.replace(b'\r\n', b''):
                    crlf = False
                prev = b'\r' if data.endswith(b'\r') else b''
            if got >= n:
                break
            data = c.recv(1 << 20)
            if not data:
                break
        sym = b'GOT_%d,%s' % (got, b'CRLF_OK' if crlf else b'CRLF_BAD')
        if got != n:
            sym += b',SHORT'
        c.sendall(b'SPAMD/1.1 0 EX_OK\r\nContent-length: %d\r\nSpam: False ; 0.0 / 5.0\r\n\r\n%s' % (len(sym), sym))

    def _loop(self):
        self.srv.settimeout(0.2)
        while not self.stopping:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            t.start()
            self.conns.append(t)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.thread.join(2)
        for t in self.conns:
            t.join(2)
        self.srv.close()
        return False


class Unanswered(object):
    """A loopback port where a connect hangs: a listening socket that
    never accepts, its backlog filled by connections of our own (Linux
    then drops the SYNs of the next one)."""

    def __enter__(self):
        self.srv = socket.socket()
        self.srv.bind(('127.0.0.1', 0))
        self.srv.listen(0)
        self.addr = '127.0.0.1:%d' % self.srv.getsockname()[1]
        self.fill = []
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(self.srv.getsockname())
            except BlockingIOError:
                pass
            self.fill.append(c)
        time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        for c in self.fill:
            c.close()
        self.srv.close()
        return False


class BusyUnix(object):
    """A unix socket whose backlog is full (Linux: a new connect says
    EAGAIN at once). With release=SECONDS, it starts accepting after that
    long, and answers each connection as clamd does: "stream: OK"."""

    def __init__(self, release=None):
        self.release = release
        self.dir = tempfile.mkdtemp(prefix='dcrscan-busy-')
        self.path = os.path.join(self.dir, 'busy.sock')
        self.addr = 'unix:' + self.path
        self.stopping = False

    def __enter__(self):
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(self.path)
        self.srv.listen(0)
        self.fill = []
        for _ in range(3):
            c = socket.socket(socket.AF_UNIX)
            c.setblocking(False)
            try:
                c.connect(self.path)
            except BlockingIOError:
                pass
            self.fill.append(c)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        if self.release is not None:
            self.thread.start()
        return self

    def _loop(self):
        time.sleep(self.release)
        self.srv.settimeout(0.2)
        while not self.stopping:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(0.3)
            try:
                while not c.recv(65536).endswith(b'\0\0\0\0'):
                    pass
            except OSError:
                pass
            try:
                c.sendall(b'stream: OK\0')
            except OSError:
                pass
            c.close()

    def __exit__(self, *exc):
        self.stopping = True
        if self.thread.is_alive():
            self.thread.join(2)
        for c in self.fill:
            c.close()
        self.srv.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


class Result(object):
    pass


def scan(args, msg, env=None, timeout=120, rss=False):
    """Run dcr-scan ARGS... NEXT with msg (bytes) on a seekable stdin;
    NEXT writes what it got to a file (r.message) and prints an id."""
    with tempfile.TemporaryDirectory(prefix='dcrscan-run-') as d:
        src = os.path.join(d, 'msg')
        got = os.path.join(d, 'got')
        with open(src, 'wb') as f:
            f.write(msg)
        e = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'TMPDIR': d,
             'DCR_ID': 'test-id-1', 'SMTP_SENDER': 'alice@example.org',
             'SMTP_RECIPIENTS': 'bob@example.com', 'TCPREMOTEIP': '192.0.2.1'}
        e.update(env or {})
        nxt = ['/bin/sh', '-c', 'cat > "$0" && echo next-ran', got]
        r = Result()
        t = time.monotonic()
        with open(src, 'rb') as stdin:
            p = subprocess.Popen([bin_path('dcr-scan')] + list(args) + nxt, stdin=stdin,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
            with RssPeak(p.pid if rss else None) as m:
                try:
                    out, err = p.communicate(timeout=timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    out, err = p.communicate()
        r.secs = time.monotonic() - t
        r.rc = p.returncode
        r.out = out.decode('utf-8', 'replace')
        r.err = err.decode('utf-8', 'replace')
        r.base_kb, r.peak_kb = m.base, m.peak
        r.message = None
        if os.path.exists(got):
            with open(got, 'rb') as f:
                r.message = f.read()
        return r


def header(msg, name):
    """The values of field name in the header section of msg (bytes),
    unfolded, as str."""
    head = msg.split(b'\n\n', 1)[0].decode('latin-1')
    out = []
    cur = None
    for line in head.split('\n'):
        if line[:1] in (' ', '\t') and cur is not None:
            cur[1] += ' ' + line.strip()
            continue
        k, _, v = line.partition(':')
        cur = [k.strip(), v.strip()]
        out.append(cur)
    return [v for k, v in out if k.lower() == name.lower()]
