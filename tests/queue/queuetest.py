# ISC license.
"""queuetest: helpers of the dcr-enqueue tests (tests/queue, tests/e2e).

  Queue(dir)        a queue directory: ids(), envelope(id), message(id),
                    files() of every subdirectory, check() of the invariants
  parse_envelope()  the grammar of doc/queue.md, strictly
  spool(dir, data)  an O_TMPFILE spool file as dcr-smtpd makes it
  enqueue(q, data, env, stdin=None)  run dcr-enqueue, return (rc, out, err)
"""

import os
import re
import subprocess

__all__ = ['Queue', 'make_queue', 'parse_envelope', 'spool', 'enqueue', 'bucket', 'ENQUEUE',
           'BASE_ENV']

ENQUEUE = os.path.join(os.environ.get('DCR_BIN') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'bin'),
    'dcr-enqueue')

BASE_ENV = {
    'PATH': '/usr/bin:/bin',
    'SMTP_SENDER': 'alice@example.com',
    'SMTP_RECIPIENTS': 'bob@example.net',
}

QID = re.compile(r'^[0-9a-f]{23}$')
CTL = re.compile(r'[\x00-\x1f\x7f]')


def bucket(qid):
    h = 2166136261
    for b in qid.encode():
        h ^= b
        h = (h * 16777619) & 0xffffffff
    return '%02x' % (h % 64)


def parse_envelope(data):
    """bytes -> dict, or raise ValueError. Mirrors src/lib/envelope.c."""
    text = data.decode('utf-8', 'surrogateescape')
    if not text.endswith('\n'):
        raise ValueError('no final newline')
    lines = text[:-1].split('\n')
    if lines[0] != 'dcr-envelope\t1':
        raise ValueError('bad version line %r' % lines[0])
    env = {'rcpts': []}
    single = ('id', 'arrival', 'size', 'priority', 'sender', 'helo', 'proto',
              'ip', 'authuser', 'body', 'smtputf8', 'ret', 'envid', 'hold', 'warned')
    for n, line in enumerate(lines[1:], 2):
        f = line.split('\t')
        if f[0] == 'rcpt':
            if len(f) != 8:
                raise ValueError('line %d: rcpt has %d fields' % (n, len(f)))
            if f[1] not in ('pending', 'delivered', 'failed'):
                raise ValueError('line %d: state %r' % (n, f[1]))
            if not f[2].isdigit() or not f[3].isdigit() or not f[4]:
                raise ValueError('line %d: bad rcpt' % n)
            env['rcpts'].append({'state': f[1], 'tries': int(f[2]), 'next': int(f[3]),
                                 'addr': f[4], 'notify': f[5], 'orcpt': f[6], 'reply': f[7]})
        elif f[0] in single and len(f) == 2:
            if f[0] in env:
                raise ValueError('line %d: duplicate %s' % (n, f[0]))
            env[f[0]] = f[1]
        else:
            raise ValueError('line %d: bad line %r' % (n, line))
        if any(CTL.search(x) for x in f):
            raise ValueError('line %d: control character' % n)
    for k in ('id', 'arrival', 'size', 'sender'):
        if k not in env:
            raise ValueError('no %s' % k)
    if not QID.match(env['id']) or not env['rcpts']:
        raise ValueError('bad id or no recipient')
    return env


def make_queue(path):
    """an empty queue at path with its hash buckets, as dcr-setup makes
    one (no trigger fifo): a Queue"""
    q = Queue(path)
    for d in ('', 'tmp', 'new', 'mess'):
        os.mkdir(q.p(d), 0o750)
    for i in range(64):
        os.mkdir(q.p('mess', '%02x' % i), 0o750)
    return q


class Queue(object):
    def __init__(self, path):
        self.path = path

    def p(self, *x):
        return os.path.join(self.path, *x)

    def ids(self):
        try:
            return sorted(os.listdir(self.p('new')))
        except FileNotFoundError:
            return []

    def envelope_bytes(self, qid):
        with open(self.p('new', qid), 'rb') as f:
            return f.read()

    def envelope(self, qid):
        return parse_envelope(self.envelope_bytes(qid))

    def message_path(self, qid):
        return self.p('mess', bucket(qid), qid)

    def message(self, qid):
        with open(self.message_path(qid), 'rb') as f:
            return f.read()

    def files(self, sub):
        """Every file under sub/, as paths relative to sub/."""
        out = []
        top = self.p(sub)
        for root, _, names in os.walk(top):
            out += [os.path.relpath(os.path.join(root, n), top) for n in names]
        return sorted(out)

    def messages(self):
        return [os.path.basename(x) for x in self.files('mess')]

    def check(self):
        """The invariants of doc/queue.md. Returns a list of problems:
        every envelope in new/ parses, names its own id, has its message
        in mess/NN/ID with the size it records. (A message without an
        envelope is an allowed orphan: see orphans().)"""
        bad = []
        for qid in self.ids():
            if not QID.match(qid):
                bad.append('new/%s: not an id' % qid)
                continue
            try:
                e = self.envelope(qid)
            except (OSError, ValueError) as x:
                bad.append('new/%s: %s' % (qid, x))
                continue
            if e['id'] != qid:
                bad.append('new/%s: names id %s' % (qid, e['id']))
            try:
                st = os.stat(self.message_path(qid))
                if st.st_size != int(e['size']):
                    bad.append('mess of %s: %d bytes, envelope says %s' % (qid, st.st_size, e['size']))
            except OSError as x:
                bad.append('new/%s without its message: %s' % (qid, x))
        return bad

    def orphans(self):
        ids = set(self.ids())
        return [m for m in self.messages() if m not in ids]


def spool(tmpdir, data):
    """An O_TMPFILE file in tmpdir holding data, rewound: dcr-smtpd's spool."""
    fd = os.open(tmpdir, os.O_TMPFILE | os.O_RDWR, 0o640)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def enqueue(qdir, data=None, env=None, stdin=None, argv=None, prefix=(), timeout=30):
    """Run dcr-enqueue on qdir; stdin is fd `stdin`, else a named temp file
    holding data. Returns (exit code, stdout str, stderr str)."""
    e = dict(BASE_ENV)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    close = None
    if stdin is None:
        import tempfile
        f = tempfile.NamedTemporaryFile()   # named: dcr-enqueue copies it
        f.write(data if data is not None else b'Subject: t\n\nbody\n')
        f.seek(0)
        stdin = close = f
    try:
        p = subprocess.run(list(prefix) + (argv or [ENQUEUE, qdir]), stdin=stdin, env=e,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    finally:
        if close:
            close.close()
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))
