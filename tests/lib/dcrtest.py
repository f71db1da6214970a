# ISC license.
"""dcrtest: the shared harness of the script tests (python3 stdlib only).

A test file is a small program printing TAP:

    #!/usr/bin/python3
    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
    from dcrtest import *

    def main():
        with Gateway() as gw:
            dialogue(gw, '''
                S: 220
                C: EHLO client.test
                S: 250
                C: MAIL FROM:<a@b.test>
                S: 250
            ''', 'mail after ehlo')
    run(main)

What is here:
  TAP         ok(), is_(), like(), diag(), skip(), run(main, timeout)
  Gateway     dcr-tcpd + dcr-smtpd + dcr-enqueue on a free loopback port,
              with its own conf/ and queue/ in a temp dir (context manager)
  RawClient   a socket speaking SMTP by hand: send(), reply(), expect()
  dialogue()  run a script of "C: line" / "S: code" lines on a connection
  smtp()      a connected smtplib.SMTP on a gateway
Programs come from $DCR_BIN (an absolute directory); when it is unset,
the repository's build/bin is used.
"""

import json
import os
import re
import select
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

__all__ = [
    'RssPeak',
    'ok', 'is_', 'like', 'diag', 'note', 'skip', 'plan', 'done', 'run',
    'failures', 'bin_path', 'Gateway', 'RawClient', 'dialogue', 'smtp',
    'qid_bucket', 'queued_id', 'unescape', 'swaks', 'reply_code',
    'DEFAULT_ROUTES', 'LIB_DIR', 'Timeout', 'session', 'children_of',
    'rss_kb', 'smtpd_pids', 'free_port', 'tmpfs_mount', 'tmpfs_umount', 'fill_disk', 'read_all',
    'send_message', 'read_line', 'wait_for',
]

LIB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(LIB_DIR))
DEFAULT_ROUTES = "localhost maildir:/x\nexample.test smtp:[127.0.0.1]:1\n"

# --------------------------------------------------------------------- TAP

_count = 0
_failed = 0
_planned = None


def plan(n):
    """Announce the number of tests up front (optional: done() prints it)."""
    global _planned
    _planned = n
    print('1..%d' % n, flush=True)


def _clean(name):
    return str(name).replace('\n', ' ').replace('#', '\\#')


def ok(cond, name=''):
    """One TAP test point. Returns cond, so `if not ok(...)` reads well."""
    global _count, _failed
    _count += 1
    if cond:
        print('ok %d - %s' % (_count, _clean(name)), flush=True)
    else:
        _failed += 1
        print('not ok %d - %s' % (_count, _clean(name)), flush=True)
        caller = traceback.extract_stack()[-3:-1]
        for fr in caller:
            if not fr.filename.endswith('dcrtest.py'):
                diag('  at %s line %d' % (os.path.basename(fr.filename), fr.lineno))
    return bool(cond)


def is_(got, expected, name=''):
    r = ok(got == expected, name)
    if not r:
        diag('       got: %r' % (got,))
        diag('  expected: %r' % (expected,))
    return r


def like(got, pattern, name=''):
    """got (str or bytes) matches the regular expression pattern."""
    if isinstance(got, bytes) and isinstance(pattern, str):
        pattern = pattern.encode()
    r = ok(got is not None and re.search(pattern, got) is not None, name)
    if not r:
        diag('       got: %r' % (got,))
        diag('  expected to match: %r' % (pattern,))
    return r


def diag(msg):
    for line in str(msg).splitlines() or ['']:
        print('# ' + line, flush=True)


note = diag


def skip(reason, n=1):
    global _count
    for _ in range(n):
        _count += 1
        print('ok %d # skip %s' % (_count, _clean(reason)), flush=True)


def failures():
    return _failed


def done():
    """Print the plan (if not given) and the summary; exit 1 on failure."""
    if _planned is None:
        print('1..%d' % _count, flush=True)
    elif _planned != _count:
        diag('planned %d tests but ran %d' % (_planned, _count))
    diag('%d passed, %d failed' % (_count - _failed, _failed))
    sys.stdout.flush()
    sys.exit(1 if _failed or (_planned is not None and _planned != _count) else 0)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout('test exceeded its time budget')


def run(main, timeout=60):
    """Run main() under a time budget; an exception is one failed test.
    Context managers still stop their servers: the exception unwinds."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        main()
    except BaseException as e:  # noqa: B902 — report anything, then done()
        if isinstance(e, SystemExit):
            raise
        ok(False, 'test ran to its end without an exception')
        diag(''.join(traceback.format_exception(type(e), e, e.__traceback__)))
    finally:
        signal.alarm(0)
    done()


# --------------------------------------------------------------- programs

def bin_path(name):
    d = os.environ.get('DCR_BIN') or os.path.join(REPO, 'build', 'bin')
    return os.path.join(d, name)


def qid_bucket(qid):
    """Queue bucket of an id: FNV-1a 32-bit of its bytes % 64, as 2 hex
    digits (src/lib/qid.c dcr_qid_bucketname)."""
    h = 2166136261
    for b in qid.encode():
        h ^= b
        h = (h * 16777619) & 0xffffffff
    return '%02x' % (h % 64)


_QUEUED_RE = re.compile(r'queued as ([0-9a-f]+)')


def send_message(gw, msg, sender='alice@example.org', rcpts=('bob@localhost',), timeout=60):
    """One message through gateway gw with smtplib (LF or CRLF line ends,
    sent as CRLF): the (code, text) of the reply to its end of DATA, a
    refusal included."""
    s = gw.smtp(timeout=timeout)
    try:
        s.ehlo('client.example.org')
        s.mail(sender)
        for r in rcpts:
            s.rcpt(r)
        code, text = s.data(msg.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n'))
        return code, text.decode('latin-1')
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode('latin-1')
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def queued_id(text):
    """The id in a "250 2.0.0 Ok: queued as ID" reply (str or bytes)."""
    if isinstance(text, bytes):
        text = text.decode('latin-1')
    m = _QUEUED_RE.search(text or '')
    return m.group(1) if m else None


def read_all(sock):
    """Everything a peer sends until it closes (a reset or a timeout ends
    it too): bytes."""
    out = b''
    while True:
        try:
            d = sock.recv(65536)
        except OSError:
            return out
        if not d:
            return out
        out += d


def wait_for(cond, timeout=5):
    """Polls cond() every 50 ms until it is true or timeout seconds have
    passed: its last value."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def read_line(sock):
    """One line a peer sends, up to its LF, or what came before it
    closed: bytes."""
    out = b''
    while not out.endswith(b'\n'):
        d = sock.recv(1)
        if not d:
            break
        out += d
    return out


def reply_code(r):
    """Code of a (code, text) reply, an smtplib tuple, or an exception."""
    if isinstance(r, tuple):
        return r[0]
    return getattr(r, 'smtp_code', None)


def free_port(host='127.0.0.1'):
    """A TCP port free on host just now (bound, read, closed)."""
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


CAPTURE = os.path.join(LIB_DIR, 'dcr-capture')


class Gateway(object):
    """dcr-tcpd + dcr-smtpd + dcr-enqueue, on a free port of host.

    routes      text of conf/routes
    tcprules    text of a dcr-tcpd rules file (-r), or None
    smtpd_opts  extra dcr-smtpd options (list), e.g. ['-t', '2']
    tcpd_opts   extra dcr-tcpd options (list), e.g. ['-C', '5']
    max_size    conf/max-size
    conf        {filename: text} more conf/ files (greet-delay, max-rcpt..)
    env         {VAR: value} added to dcr-tcpd's environment
    relayclient True: a rules file giving RELAYCLIENT= to loopback peers
    child       argv replacing "dcr-enqueue QUEUEDIR" (None: dcr-enqueue)
    filters     argv lists run in order before dcr-enqueue QUEUEDIR (the
                message chain); '{dir}' in a word is the gateway's temp dir
    capture     True: run tests/lib/dcr-capture in front of the child; it
                keeps the SMTP_* environment and the message the child
                saw (see .captures())
    host        '127.0.0.1' or '::1'
    hostname    conf/hostname (banner, Received)
    server      'dcr-tcpd' (default), or 'tcpserver' to run dcr-smtpd under
                ucspi-tcp's tcpserver instead (no rules, no tcpd options)
    writer      True: dcr-queued runs on the queue (started first, ready,
                its log in the gateway's log), as dcr-setup's services do
    """

    def __init__(self, routes=DEFAULT_ROUTES, tcprules=None, smtpd_opts=(),
                 tcpd_opts=(), max_size=None, conf=None, env=None,
                 relayclient=False, child=None, capture=False,
                 host='127.0.0.1', hostname='mx.dcrtest', ready_timeout=5,
                 server='dcr-tcpd', filters=None, writer=False):
        self.server = server
        self.writer = writer
        self.writer_proc = None
        self.filters = [list(f) for f in (filters or [])]
        self.routes = routes
        self.tcprules = tcprules
        self.smtpd_opts = list(smtpd_opts)
        self.tcpd_opts = list(tcpd_opts)
        self.max_size = max_size
        self.conf = dict(conf or {})
        self.env = dict(env or {})
        self.relayclient = relayclient
        self.child = child
        self.capture = capture
        self.host = host
        self.hostname = hostname
        self.ready_timeout = ready_timeout
        self.proc = None
        self.dir = None
        self.port = None
        self._failed_at_start = 0

    # paths
    def path(self, *p):
        return os.path.join(self.dir, *p)

    @property
    def queue(self):
        return self.path('queue')

    @property
    def confdir(self):
        return self.path('conf')

    def _write(self, rel, text, mode=0o644):
        p = self.path(rel)
        with open(p, 'w') as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def _setup(self):
        self.dir = tempfile.mkdtemp(prefix='dcrtest-')
        os.chmod(self.dir, 0o755)
        os.mkdir(self.path('conf'))
        q = self.queue
        os.mkdir(q, 0o750)
        for d in ('tmp', 'mess', 'new', 'env'):
            os.mkdir(os.path.join(q, d), 0o750)
        os.mkfifo(os.path.join(q, 'trigger'), 0o600)
        os.mkdir(self.path('capture'))
        self._write('conf/hostname', self.hostname + '\n')
        if self.routes is not None:
            self._write('conf/routes', self.routes)
        if self.max_size is not None:
            self._write('conf/max-size', '%d\n' % self.max_size)
        for name, text in self.conf.items():
            self._write('conf/' + name, text if text.endswith('\n') else text + '\n')
        rules = self.tcprules or ''
        if self.relayclient:
            rules = ('127.0.0.0/8 allow RELAYCLIENT=\n'
                     '::1/128 allow RELAYCLIENT=\n') + rules
        self.rulesfile = self._write('conf/tcprules', rules) if rules else None

    def _argv(self, notify_fd):
        child = self.child
        if child is None:
            child = [bin_path('dcr-enqueue'), self.queue]
            for f in reversed(self.filters):
                child = [w.replace('{dir}', self.dir) for w in f] + child
        if self.capture:
            child = ['/usr/bin/python3', '-S', CAPTURE, self.path('capture')] + list(child)
        if self.server == 'tcpserver':
            # -1: print the port once bound; -RHl0: no DNS/ident look-ups
            argv = ['tcpserver', '-1', '-R', '-H', '-l', '0', '-c', '400',
                    self.host, '0']
        else:
            argv = [bin_path('dcr-tcpd'), '-d', str(notify_fd)]
            if self.rulesfile:
                argv += ['-r', self.rulesfile]
            argv += self.tcpd_opts + [self.host, str(self.port)]
        argv += [bin_path('dcr-smtpd'), '-c', self.confdir,
                 '-S', os.path.join(self.queue, 'tmp')] + self.smtpd_opts
        return argv + list(child)

    def start(self):
        self._failed_at_start = _failed
        self._setup()
        env = dict(os.environ)
        for v in ('RELAYCLIENT', 'TCPREMOTEIP', 'TCPREMOTEHOST', 'TCPLOCALIP'):
            env.pop(v, None)
        env.update(self.env)
        if self.writer:
            self._start_writer(env)
        last = None
        for attempt in range(3):
            self.port = free_port(self.host)
            r, w = os.pipe()
            self.logf = open(self.path('log'), 'ab')
            try:
                self.argv = self._prestarted(self._argv(w))
                tcpserver = self.server == 'tcpserver'
                self.proc = subprocess.Popen(
                    self.argv, stdin=subprocess.DEVNULL,
                    stdout=w if tcpserver else self.logf,
                    stderr=self.logf, pass_fds=() if tcpserver else (w,),
                    env=env, start_new_session=True, cwd=self.dir)
            finally:
                os.close(w)
            try:
                got = b''
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
                if self.server == 'tcpserver':
                    self.port = int(got.split(b'\n')[0])
                return self
            last = 'dcr-tcpd not ready (exit %r): %s' % (self.proc.poll(), self.log()[-2000:])
            self._kill()
            self.logf.close()
        raise RuntimeError(last)

    def _prestarted(self, argv):
        # DCR_TEST_PRESTART=N: sessions pre-started (dcr-tcpd -P N) where
        # dcr-tcpd runs dcr-smtpd itself, to run the suites in both modes
        n = os.environ.get('DCR_TEST_PRESTART')
        if not n or self.server != 'dcr-tcpd' or '-P' in self.tcpd_opts:
            return argv
        i = argv.index(str(self.port))
        if argv[i + 1] != bin_path('dcr-smtpd'):
            return argv
        return argv[:1] + ['-P', n] + argv[1:]

    def _start_writer(self, env):
        r, w = os.pipe()
        with open(self.path('log'), 'ab') as logf:
            try:
                self.writer_proc = subprocess.Popen(
                    [bin_path('dcr-queued'), '-d', str(w), self.queue], stdin=subprocess.DEVNULL,
                    stdout=logf, stderr=logf, pass_fds=(w,), env=env, start_new_session=True)
            finally:
                os.close(w)
        rl, _, _ = select.select([r], [], [], self.ready_timeout)
        ready = rl and os.read(r, 1) == b'\n'
        os.close(r)
        if not ready:
            raise RuntimeError('dcr-queued not ready: %s' % self.log()[-2000:])

    def _kill(self):
        if self.writer_proc:
            self.writer_proc.terminate()
            try:
                self.writer_proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.writer_proc.kill()
                self.writer_proc.wait()
            self.writer_proc = None
        if not self.proc:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
        try:   # whatever is left in the group: sessions, children
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass

    def stop(self):
        try:
            self._kill()
        finally:
            try:
                if _failed > self._failed_at_start and self.dir:
                    diag('--- gateway log (last lines) ---')
                    diag('\n'.join(self.log().splitlines()[-25:]))
            except OSError:
                pass
            if getattr(self, 'logf', None):
                self.logf.close()
            if self.dir and not os.environ.get('DCR_KEEP'):
                shutil.rmtree(self.dir, ignore_errors=True)
            elif self.dir:
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

    # what the gateway did
    def log(self):
        try:
            with open(self.path('log'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def queued(self):
        """Ids in queue/new (committed, not yet taken by a runner)."""
        try:
            return sorted(n for n in os.listdir(os.path.join(self.queue, 'new'))
                          if not n.startswith('.'))
        except FileNotFoundError:
            return []

    def messages(self):
        """Every file under queue/mess, as relative paths (NN/ID)."""
        out = []
        for root, _, files in os.walk(os.path.join(self.queue, 'mess')):
            for f in files:
                out.append(os.path.relpath(os.path.join(root, f),
                                           os.path.join(self.queue, 'mess')))
        return sorted(out)

    def tmp_files(self):
        try:
            return sorted(os.listdir(os.path.join(self.queue, 'tmp')))
        except FileNotFoundError:
            return []

    def message_path(self, qid):
        return os.path.join(self.queue, 'mess', qid_bucket(qid), qid)

    def message(self, qid):
        with open(self.message_path(qid), 'rb') as f:
            return f.read()

    def envelope(self, qid):
        with open(os.path.join(self.queue, 'new', qid), 'rb') as f:
            return f.read()

    def wait_queued(self, n, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            q = self.queued()
            if len(q) >= n:
                return q
            time.sleep(0.05)
        return self.queued()

    def captures(self):
        """What dcr-capture saw, one dict per message, in order:
        {'env': {SMTP_*, DCR_ID}, 'message': bytes}."""
        out = []
        d = self.path('capture')
        for n in sorted(os.listdir(d)):
            if n.endswith('.json'):
                with open(os.path.join(d, n)) as f:
                    rec = json.load(f)
                with open(os.path.join(d, n[:-5] + '.msg'), 'rb') as f:
                    rec['message'] = f.read()
                out.append(rec)
        return out

    # clients
    def raw(self, banner=True, timeout=10):
        """A RawClient; banner=True reads the greeting first."""
        c = RawClient(self.host, self.port, timeout=timeout)
        if banner:
            c.greeting = c.reply()
        return c

    def smtp(self, timeout=10):
        return smtp(self, timeout)


def smtp(gw, timeout=10):
    s = smtplib.SMTP(timeout=timeout)
    s.connect(gw.host, gw.port)
    return s


# --------------------------------------------------------------- RawClient

class RawClient(object):
    """A socket speaking SMTP by hand."""

    def __init__(self, host, port, timeout=10):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b''
        self.eof = False
        self.last_sent = b''

    def send(self, data):
        if isinstance(data, str):
            data = data.encode('latin-1')
        self.last_sent = data
        self.sock.sendall(data)

    def cmd(self, line):
        """Send line + CRLF and read the reply."""
        self.send(line + ('\r\n' if isinstance(line, str) else b'\r\n'))
        return self.reply()

    def _fill(self, timeout):
        if self.eof:
            return False
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b''
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def readline(self, timeout=None):
        """One line without CRLF (bytes), or None on timeout/EOF."""
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while b'\n' not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not self._fill(left):
                return None
        line, self.buf = self.buf.split(b'\n', 1)
        return line.rstrip(b'\r')

    def reply(self, timeout=None):
        """A complete (multi-line) reply: (code, text). code is an int, or
        None when the peer closed or said nothing in time; text is every
        line joined by "\n" (str)."""
        lines = []
        while True:
            line = self.readline(timeout)
            if line is None:
                return (None, '\n'.join(lines))
            s = line.decode('latin-1')
            lines.append(s)
            if len(s) < 4 or s[3] != '-':
                break
        first = lines[0]
        code = int(first[:3]) if first[:3].isdigit() else None
        return (code, '\n'.join(lines))

    def expect(self, code, name=None, timeout=None):
        """Read a reply and ok() that it starts with code ("250", 5, "5.7",
        "554 5.7.1"...). Returns the (code, text) reply."""
        r = self.reply(timeout)
        want = str(code)
        if name is None:
            name = '%s -> %s' % (self.last_sent[:60].decode('latin-1').strip(), want)
        if not ok(r[1].startswith(want) if r[0] is not None else False, name):
            diag('  got: %r' % (r[1] if r[0] is not None else
                                 ('<closed>' if self.eof else '<no reply>'),))
        return r

    def pending(self, wait=0.5):
        """Bytes that arrive within wait seconds (to prove silence)."""
        deadline = time.time() + wait
        while time.time() < deadline and self._fill(max(0.01, deadline - time.time())):
            pass
        out, self.buf = self.buf, b''
        return out

    def closed(self, timeout=3):
        """True when the peer closes within timeout (data is discarded)."""
        deadline = time.time() + timeout
        while not self.eof and time.time() < deadline:
            self._fill(max(0.01, deadline - time.time()))
            self.buf = b''
        return self.eof

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# --------------------------------------------------------------- dialogue

_ESC = re.compile(rb'\\(x[0-9a-fA-F]{2}|[rnt0\\])')


def unescape(s):
    """\\r \\n \\t \\0 \\xNN \\\\ in a script line -> bytes."""
    if isinstance(s, str):
        s = s.encode('utf-8')

    def rep(m):
        e = m.group(1)
        if e[:1] == b'x':
            return bytes([int(e[1:], 16)])
        return {b'r': b'\r', b'n': b'\n', b't': b'\t', b'0': b'\0', b'\\': b'\\'}[e]
    return _ESC.sub(rep, s)


def dialogue(target, script, name='dialogue', timeout=5):
    """Run a script on a new connection to a Gateway (or on a RawClient).

    Lines (leading blanks ignored, '#' comments and blank lines skipped):
      C: TEXT      send TEXT + CRLF (escapes \\r \\n \\t \\0 \\xNN \\\\)
      C! TEXT      send TEXT as is, no CRLF added
      S: PREFIX    read one reply; it must start with PREFIX ("250",
                   "5", "554 5.7.1"); a lone digit checks the class
      S: closed    the server closes the connection
      S: silent    no reply arrives within 0.5 s
      W: SECONDS   sleep
    Each S: line is one TAP test named "NAME: <last C line> -> PREFIX".
    Returns the list of (code, text) replies read."""
    own = not isinstance(target, RawClient)
    c = RawClient(target.host, target.port) if own else target
    replies = []
    last = '<connect>'
    try:
        for raw in script.splitlines():
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            kind, _, arg = line.partition(' ')
            arg = raw.split(kind, 1)[1][1:] if kind in ('C:', 'C!') else arg.strip()
            if kind == 'C:':
                data = unescape(arg) + b'\r\n'
                last = arg
            elif kind == 'C!':
                data = unescape(arg)
                last = arg
            if kind in ('C:', 'C!'):
                try:
                    c.send(data)
                except OSError as e:
                    ok(False, '%s: send %s' % (name, last[:50]))
                    diag('  %s' % e)
                    break
            elif kind == 'S:':
                tname = '%s: %s -> %s' % (name, last[:50], arg)
                if arg == 'closed':
                    ok(c.closed(timeout), tname)
                elif arg == 'silent':
                    got = c.pending(0.5)
                    if not ok(got == b'', tname):
                        diag('  got: %r' % got)
                else:
                    r = c.reply(timeout)
                    replies.append(r)
                    if not ok(r[0] is not None and r[1].startswith(arg), tname):
                        diag('  got: %r' % (r[1] if r[0] is not None else
                                            ('<closed>' if c.eof else '<no reply>'),))
            elif kind == 'W:':
                time.sleep(float(arg))
            else:
                raise ValueError('dialogue %s: bad line %r' % (name, raw))
    finally:
        if own:
            c.close()
    return replies


def session(gw, *cmds, ehlo='EHLO client.dcrtest', timeout=10):
    """A fresh connection: banner, ehlo (None: none), then each command
    (str or bytes, CRLF added) with its reply. Returns the list of
    (code, text) replies of cmds, in order; (None, '') once the peer has
    closed or gone silent."""
    out = []
    with RawClient(gw.host, gw.port, timeout=timeout) as c:
        c.reply()
        if ehlo:
            c.cmd(ehlo)
        for cmd in cmds:
            try:
                out.append(c.cmd(cmd))
            except OSError:
                out.append((None, ''))
    return out


# --------------------------------------------------------------- processes

def children_of(pid):
    """Pids whose parent is pid (from /proc)."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(')') + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def _tcp_inodes():
    inodes = set()
    for name in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    inodes.add(line.split()[9])
        except OSError:
            pass
    return inodes


def smtpd_pids(gw):
    """The session processes of a gateway: children of dcr-tcpd that hold
    a TCP connection on fd 0 (an idle pre-started one, dcr-tcpd -P, has
    /dev/null there)."""
    tcp = _tcp_inodes()
    out = []
    for pid in children_of(gw.proc.pid):
        try:
            link = os.readlink('/proc/%d/fd/0' % pid)
        except OSError:
            continue
        if link.startswith('socket:[') and link[8:-1] in tcp:
            out.append(pid)
    return out


def rss_kb(pid):
    """VmRSS of pid in KiB, or None."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class RssPeak(object):
    """with RssPeak(pid) as m: ... -> m.base, m.peak (KiB), m.grew(): the
    process's VmRSS sampled every 20 ms by a thread while the block runs.
    base is None when the process could not be read (no assertion then)."""

    def __init__(self, pid):
        self.pid = pid
        self.base = rss_kb(pid) if pid else None
        self.peak = self.base or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            v = rss_kb(self.pid)
            if v:
                self.peak = max(self.peak, v)
            time.sleep(0.02)

    def __enter__(self):
        if self.base:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1)

    def grew(self):
        return self.peak - self.base


# --------------------------------------------------------------- swaks

def swaks(gw, *args, timeout=30):
    """Run swaks against the gateway; returns (exit code, output text)."""
    argv = ['swaks', '--server', gw.host, '--port', str(gw.port)]
    argv += list(args)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode('utf-8', 'replace')


# ------------------------------------------------------------ full disks

def tmpfs_mount(d, opts):
    """Mount a tmpfs (opts: 'size=64k,mode=0755') on d; False if not allowed (not root)."""
    return subprocess.run(['mount', '-t', 'tmpfs', '-o', opts, 'tmpfs', d],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def tmpfs_umount(d):
    subprocess.run(['umount', d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fill_disk(path):
    """Write zeros to path until ENOSPC."""
    import errno
    with open(path, 'wb', buffering=0) as f:
        try:
            while True:
                f.write(b'\0' * 4096)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
