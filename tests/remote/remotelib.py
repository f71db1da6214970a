# ISC license.
"""remotelib: peers and helpers for the dcr-remote tests (stdlib, plus
python3-aiosmtpd for AioSink).

  FakeSMTP     a scripted SMTP server in threads on 127.0.0.1, one thread
               per connection; behaviour set by keyword options (replies,
               extensions, misbehaviour hooks); records commands, messages
               and connections. Context manager, always stopped.
  AioSink      aiosmtpd's Controller on a free port, recording envelopes.
  remote()     run dcr-remote with job lines; returns a Run (rc, verdicts).
  fake_mx()    a fake dcr-mx (shell script) put first on PATH.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import bin_path, diag, free_port  # noqa: E402

VERDICT_RE = re.compile(r'^([^\t]+)\t([^\t]+)\t([DTP])\t(\d{3} [245]\.\d{1,3}\.\d{1,3}( [^\t]*)?)$')


class Conn(object):
    """One accepted connection of a FakeSMTP."""

    def __init__(self, sock, server):
        self.sock = sock
        self.server = server
        self.buf = b''
        self.sock.settimeout(server.io_timeout)
        self.commands = []

    def send(self, data):
        if isinstance(data, str):
            data = data.encode('utf-8')
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def reply(self, line):
        return self.send(line + '\r\n')

    def readline(self):
        """One line without CRLF (bytes), or None at EOF / timeout."""
        while b'\n' not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line[:-1] if line.endswith(b'\r') else line

    def readdata(self):
        """The message after 354, dot-unstuffed, CRLF kept, or None."""
        out = []
        while True:
            line = self.readline()
            if line is None:
                return None
            if line == b'.':
                return b''.join(out)
            if line.startswith(b'.'):
                line = line[1:]
            out.append(line + b'\r\n')

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class FakeSMTP(object):
    """A scripted SMTP server. Options (all optional):
      greeting   '220 fake.test ESMTP' (None: say nothing)
      ext        EHLO keywords, e.g. ['PIPELINING', 'SIZE 1000', '8BITMIME']
      ehlo       reply to EHLO instead of 250 + ext (e.g. '502 5.5.1 no')
      helo       reply to HELO ('250 fake.test')
      mail       reply to MAIL, or a function(line) -> reply
      rcpt       reply to RCPT, or a function(addr, line) -> reply; default:
                 magic local parts: tempfail@ -> 451, permfail@ -> 550,
                 bye@ -> 421 and close, else 250
      data       reply to DATA ('354 go ahead'), or function(conn) -> reply
      dot        reply after the message, or function(msg) -> reply
      rset       reply to RSET
      on_data    function(conn) called after 354 instead of reading the
                 message (misbehaviour); return True to go on serving
      handler    function(conn) replacing the whole dialogue
    Recorded: .connections (count), .messages (dicts: mail, rcpts,
    data), .log (every command line, bytes, over all connections)."""

    def __init__(self, io_timeout=20, **opts):
        self.opts = opts
        self.io_timeout = io_timeout
        self.connections = 0
        self.messages = []
        self.log = []
        self.quits = 0
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.threads = []
        self.conns = []

    def start(self):
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(('127.0.0.1', 0))
        self.lsock.listen(50)
        self.lsock.settimeout(0.1)
        self.port = self.lsock.getsockname()[1]
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    @property
    def target(self):
        return 'smtp:[127.0.0.1]:%d' % self.port

    def _accept(self):
        while not self.stop_ev.is_set():
            try:
                s, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            c = Conn(s, self)
            self.conns.append(c)
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            t.start()
            self.threads.append(t)

    def _opt(self, name, default):
        return self.opts.get(name, default)

    def _serve(self, c):
        try:
            h = self.opts.get('handler')
            if h:
                h(c)
            else:
                self._dialogue(c)
        except OSError:
            pass
        finally:
            c.close()

    @staticmethod
    def default_rcpt(addr, line):
        local = addr.split('@')[0].lower()
        if local == 'tempfail':
            return '451 4.2.0 <%s>: try again later' % addr
        if local == 'permfail':
            return '550 5.1.1 <%s>: no such user' % addr
        if local == 'bye':
            return '421 4.3.2 closing now'
        return '250 2.1.5 <%s> ok' % addr

    def _dialogue(self, c):
        o = self.opts
        g = o.get('greeting', '220 fake.test ESMTP')
        if g is not None and not c.reply(g):
            return
        if g is not None and not g.startswith('220'):
            if g.startswith('421'):
                return
        cur = None
        while True:
            line = c.readline()
            if line is None:
                return
            with self.lock:
                self.log.append(line)
            c.commands.append(line)
            verb = line.split(b' ', 1)[0].upper()
            text = line.decode('utf-8', 'replace')
            r = None
            if verb == b'EHLO':
                if 'ehlo' in o:
                    r = o['ehlo']
                else:
                    ext = o.get('ext', ['PIPELINING', '8BITMIME'])
                    lines = ['fake.test hello'] + list(ext)
                    r = '\r\n'.join(('250-' if i < len(lines) - 1 else '250 ') + l
                                    for i, l in enumerate(lines))
            elif verb == b'HELO':
                r = o.get('helo', '250 fake.test')
            elif verb == b'MAIL':
                m = o.get('mail', '250 2.1.0 ok')
                r = m(text) if callable(m) else m
                if r.startswith('2'):
                    cur = {'mail': text, 'rcpts': [], 'data': None}
            elif verb == b'RCPT':
                mm = re.match(r'RCPT TO:<([^>]*)>', text, re.I)
                addr = mm.group(1) if mm else ''
                f = o.get('rcpt', self.default_rcpt)
                r = f(addr, text) if callable(f) else f
                if r.startswith('2') and cur is not None:
                    cur['rcpts'].append(text)
            elif verb == b'DATA':
                if cur is None or not cur['rcpts']:
                    r = o.get('data_norcpt', '554 5.5.1 no valid recipients')
                else:
                    d = o.get('data', '354 go ahead')
                    r = d(c) if callable(d) else d
                if r.startswith('354'):
                    c.reply(r)
                    if o.get('on_data'):
                        if not o['on_data'](c):
                            return
                        continue
                    body = c.readdata()
                    if body is None:
                        return
                    if cur is None:
                        cur = {'mail': None, 'rcpts': [], 'data': None}
                    cur['data'] = body
                    with self.lock:
                        self.messages.append(cur)
                    dot = o.get('dot', '250 2.0.0 Ok: queued as F1')
                    r = dot(cur) if callable(dot) else dot
                    cur = None
            elif verb == b'RSET':
                cur = None
                r = o.get('rset', '250 2.0.0 ok')
            elif verb == b'QUIT':
                with self.lock:
                    self.quits += 1
                c.reply('221 2.0.0 bye')
                return
            elif verb == b'NOOP':
                r = '250 2.0.0 ok'
            else:
                r = '502 5.5.2 what'
            if r is None:
                continue
            if not c.reply(r):
                return
            if r.startswith('421'):
                return

    def stop(self):
        self.stop_ev.set()
        try:
            self.lsock.close()
        except OSError:
            pass
        for c in self.conns:
            c.close()
        for t in self.threads:
            t.join(2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def commands(self, verb):
        v = verb.upper().encode()
        return [l for l in self.log if l.upper().startswith(v)]


class AioSink(object):
    """aiosmtpd on a free loopback port; .envelopes: dicts with mail_from,
    mail_options, rcpt_tos, rcpt_options, content (bytes, CRLF), tls
    (the session was encrypted), cipher, user (who authenticated, or
    None); .connections counts sessions; .auths lists (mechanism, user,
    success) of every AUTH attempt.
      tls        an ssl.SSLContext: STARTTLS offered with it
      require    aiosmtpd's require_starttls (530 before STARTTLS)
      users      {'user': 'password'}: AUTH offered (over TLS only)
      exclude    AUTH mechanisms not offered (e.g. ['PLAIN'])
      implicit   an ssl.SSLContext: TLS from the first byte (port 465 style)"""

    def __init__(self, reply='250 2.0.0 Ok: queued as AIO1', tls=None, require=False,
                 users=None, exclude=(), implicit=None):
        self.reply = reply
        self.envelopes = []
        self.connections = 0
        self.tls = tls
        self.require = require
        self.users = users
        self.exclude = list(exclude)
        self.auths = []
        self.peers = set()
        self.implicit = implicit

    def start(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP
        outer = self

        from aiosmtpd.smtp import AuthResult

        class Handler(object):
            async def handle_DATA(self, server, session, envelope):
                ssl_obj = session.ssl or server.transport.get_extra_info('ssl_object')
                outer.envelopes.append({
                    'mail_from': envelope.mail_from,
                    'mail_options': list(envelope.mail_options),
                    'rcpt_tos': list(envelope.rcpt_tos),
                    'rcpt_options': list(envelope.rcpt_options),
                    'content': envelope.original_content or envelope.content,
                    'tls': ssl_obj is not None,
                    'cipher': server.transport.get_extra_info('cipher') if ssl_obj is not None else None,
                    'user': session.auth_data.login.decode() if session.authenticated and session.auth_data is not None else None})
                return outer.reply

        def authenticator(server, session, envelope, mechanism, data):
            user = data.login.decode('utf-8', 'replace')
            good = outer.users.get(user) == data.password.decode('utf-8', 'replace')
            outer.auths.append((mechanism, user, good))
            # handled=False: aiosmtpd itself answers 235 or 535
            return AuthResult(success=good, handled=False, auth_data=data)

        class CountingSMTP(SMTP):
            def connection_made(self, transport):
                # STARTTLS calls this again for the same connection
                peer = transport.get_extra_info('peername')
                if peer not in outer.peers:
                    outer.peers.add(peer)
                    outer.connections += 1
                super().connection_made(transport)

        class Ctl(Controller):
            def factory(self):
                kw = {}
                if outer.tls:
                    kw.update(tls_context=outer.tls, require_starttls=outer.require)
                if outer.users is not None:
                    # aiosmtpd knows only STARTTLS as TLS: under implicit
                    # TLS it would not offer AUTH at all
                    kw.update(authenticator=authenticator, auth_require_tls=not outer.implicit,
                              auth_exclude_mechanism=outer.exclude)
                return CountingSMTP(self.handler, decode_data=False,
                                    enable_SMTPUTF8=True, hostname='aio.test', **kw)

        if self.tls or self.implicit:
            # failed handshakes are what some tests are about: no tracebacks
            import logging
            logging.getLogger('mail.log').setLevel(logging.CRITICAL)
        self.port = free_port()
        self.ctl = Ctl(Handler(), hostname='127.0.0.1', port=self.port, ssl_context=self.implicit)
        self.ctl.start()
        self.connections = 0   # the Controller's own readiness probe
        return self

    @property
    def target(self):
        return 'smtp:[127.0.0.1]:%d' % self.port

    def stop(self):
        try:
            self.ctl.stop()
        except Exception as e:  # noqa: B902
            diag('aiosmtpd stop: %s' % e)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class Run(object):
    def __init__(self, rc, out, err, secs):
        self.rc = rc
        self.out = out
        self.err = err
        self.secs = secs
        self.lines = out.decode('utf-8', 'replace').splitlines()

    def verdicts(self, qid=None):
        """[(id, rcpt, status, reply)] in order"""
        out = []
        for l in self.lines:
            f = l.split('\t')
            if len(f) == 4 and (qid is None or f[0] == qid):
                out.append(tuple(f))
        return out

    def done(self):
        return [l.split('\t')[0] for l in self.lines if l.endswith('\tdone')]

    def wellformed(self):
        """every stdout line is a verdict or a done line"""
        return all(VERDICT_RE.match(l) or re.match(r'^[^\t]+\tdone$', l) for l in self.lines)


def job(qid, path, sender, *rcpts):
    return '\t'.join([qid, path, sender] + list(rcpts)) + '\n'


def remote(target, jobs, args=(), timeout=60, env=None, path_first=None, stdin_hold=0):
    """Run dcr-remote TARGET with jobs (str or bytes) on stdin. stdin_hold:
    seconds to keep stdin open after the jobs (idle tests)."""
    argv = [bin_path('dcr-remote')] + list(args) + ['-h', 'client.test', target]
    e = dict(os.environ)
    if path_first:
        e['PATH'] = path_first + ':' + e.get('PATH', '')
    if env:
        e.update(env)
    if isinstance(jobs, str):
        jobs = jobs.encode('utf-8')
    t0 = time.time()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e)
    if stdin_hold:
        p.stdin.write(jobs)
        p.stdin.flush()
        try:
            out, err = p.communicate(timeout=stdin_hold)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            return Run(None, out, err, time.time() - t0)
        return Run(p.returncode, out, err, time.time() - t0)
    try:
        out, err = p.communicate(jobs, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return Run(None, out, err, time.time() - t0)
    return Run(p.returncode, out, err, time.time() - t0)


class TempDir(object):
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix='dcrremote-')
        return self

    def __exit__(self, *exc):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def write(self, name, data, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'wb' if isinstance(data, bytes) else 'w') as f:
            f.write(data)
        os.chmod(p, mode)
        return p

    def fake_mx(self, output='', code=0, stderr='', sleep=0, crash=False):
        """bin/dcr-mx: records its arguments in mx.args, prints output
        (lines PREF TAB HOST TAB IP), says stderr, exits code (or
        kills itself with SIGSEGV). Returns the bin directory."""
        script = '#!/bin/sh\n'
        script += 'echo "$@" >> %s\n' % self.path('mx.args')
        if sleep:
            script += 'sleep %s\n' % sleep
        script += "printf '%%s' '%s'\n" % output.replace("'", "'\\''")
        if stderr:
            script += "echo '%s' >&2\n" % stderr.replace("'", "'\\''")
        if crash:
            script += 'kill -SEGV $$\n'
        script += 'exit %d\n' % code
        self.write('bin/dcr-mx', script, 0o755)
        return self.path('bin')

    def mx_args(self):
        try:
            with open(self.path('mx.args')) as f:
                return f.read().splitlines()
        except OSError:
            return []


def tls_dialogue(c, ctx, ehlo, on_data, seen=None):
    """For a FakeSMTP handler, after its 220 to STARTTLS: TLS on c's
    socket (server side), then an honest dialogue: EHLO -> ehlo,
    MAIL/RCPT -> 250, DATA -> 354 then on_data(c) (which answers, and
    returns False to end), QUIT -> 221. Lines go to seen (a list)."""
    c.sock = ctx.wrap_socket(c.sock, server_side=True)
    c.buf = b''
    while True:
        line = c.readline()
        if line is None:
            return
        if seen is not None:
            seen.append(line)
        v = line.split(b' ', 1)[0].upper()
        if v == b'EHLO':
            c.reply(ehlo)
        elif v in (b'MAIL', b'RCPT'):
            c.reply('250 2.1.0 ok')
        elif v == b'DATA':
            c.reply('354 go')
            if not on_data(c):
                return
        elif v == b'QUIT':
            c.reply('221 bye')
            return
        else:
            c.reply('502 5.5.2 what')


def closed_port():
    """a loopback port nobody listens on"""
    return free_port()
