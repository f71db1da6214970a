# ISC license.
"""authtest: run dcr-checkpass with bytes on its descriptor 3."""

import os
import re
import subprocess
import time

from dcrtest import bin_path


def checkpass(args, fd3=None, mech=None, env=None, timeout=20):
    """Run dcr-checkpass ARGS with FD3 (bytes; None: no descriptor 3)
    and AUTH_MECH=MECH (None: unset): (exit code, stdout, stderr, seconds)."""
    e = dict(os.environ)
    e.pop('AUTH_MECH', None)
    e.pop('AUTHUSER', None)
    e['TCPREMOTEIP'] = '192.0.2.7'
    if mech is not None:
        e['AUTH_MECH'] = mech
    e.update(env or {})
    r = None
    if fd3 is not None:
        r, w = os.pipe()
        os.write(w, fd3)   # at most a few KiB: the pipe holds it
        os.close(w)

    def child():
        if r == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(r, 3)

    t = time.monotonic()
    try:
        p = subprocess.run([bin_path('dcr-checkpass')] + list(args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=timeout,
                           preexec_fn=child if r is not None else None, close_fds=r is None)
    finally:
        if r is not None:
            os.close(r)
    return p.returncode, p.stdout.decode('latin-1'), p.stderr.decode('latin-1'), time.monotonic() - t


def mkpasswd(method, password, rounds=None):
    """A crypt(3) hash made by mkpasswd (package whois)."""
    cmd = ['mkpasswd', '-m', method, '--stdin']
    if rounds:
        cmd[3:3] = ['-R', str(rounds)]
    p = subprocess.run(cmd, input=password.encode(), stdout=subprocess.PIPE, check=True, timeout=20)
    return p.stdout.decode().strip()


def write(path, text, mode=0o600):
    with open(path, 'w' if isinstance(text, str) else 'wb') as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def recorder(top):
    """A prog that writes $AUTHUSER, and whether it has a descriptor 3,
    to a file under top: returns (argv, function returning what it wrote
    since the last call, None if it did not run)."""
    out = os.path.join(top, 'prog.out')
    if os.path.exists(out):
        os.unlink(out)
    argv = ['sh', '-c', 'printf "%s|" "$AUTHUSER" > "$1"; [ -e /dev/fd/3 ] && printf fd3 >> "$1"; exit 0',
            'sh', out]

    def ran():
        if not os.path.exists(out):
            return None
        with open(out, 'rb') as f:
            got = f.read().decode('latin-1')
        os.unlink(out)
        return got
    return argv, ran


# an auth log line's fields: key=value or key="quoted \"value\""
KV_RE = re.compile(r'([a-z]+)=("(?:[^"\\]|\\.)*"|[^ "]*)(?: |$)')


def auth_lines(err):
    return [l for l in err.splitlines() if l.startswith('dcr-checkpass: event=auth ')]


def fields(line):
    """The key=value fields of a log line, or None if the line is not
    exactly such fields after "dcr-checkpass: "."""
    body = line[len('dcr-checkpass: '):]
    pos, kv = 0, []
    while pos < len(body):
        m = KV_RE.match(body, pos)
        if not m:
            return None
        kv.append((m.group(1), m.group(2)))
        pos = m.end()
    return kv
