# ISC license.
"""filterlib: run one filter of the message chain (contract 3) by hand,
as dcr-smtpd would: the message as a seekable file on stdin, the
envelope in the environment, and tests/lib/dcr-capture as the next
program, which keeps what the filter passed on.

    r = run_filter(['dcr-header', '-f', rules], msg, env={...})
    r.rc, r.out (the reply line(s)), r.err, r.message (bytes passed on,
    or None when the chain stopped), r.env (SMTP_* / DCR_* / TCP* seen)
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from dcrtest import bin_path, LIB_DIR  # noqa: E402

BASE_ENV = {
    'SMTP_SENDER': 'sender@example.org',
    'SMTP_RECIPIENTS': 'rcpt@example.com',
    'SMTP_HELO': 'client.example.org',
    'DCR_ID': 'test-id-1',
    'TCPREMOTEIP': '192.0.2.1',
}


class Result(object):
    pass


def run_filter(argv, message, env=None, timeout=60, next_argv=None):
    """argv: the filter's command line (argv[0] a program of $DCR_BIN);
    message: bytes; env: added to BASE_ENV (a value None removes it)."""
    if isinstance(message, str):
        message = message.encode()
    with tempfile.TemporaryDirectory(prefix='dcr-filter-') as d:
        cap = os.path.join(d, 'cap')
        os.mkdir(cap)
        e = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'TMPDIR': d}
        e.update(BASE_ENV)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        src = os.path.join(d, 'msg')
        with open(src, 'wb') as f:
            f.write(message)
        nxt = next_argv or ['/bin/echo', 'queued-id']
        cmd = [bin_path(argv[0])] + list(argv[1:]) + [os.path.join(LIB_DIR, 'dcr-capture'), cap] + nxt
        with open(src, 'rb') as stdin:
            p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=e, timeout=timeout)
        r = Result()
        r.rc, r.out, r.err = p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')
        r.message = r.env = None
        for n in sorted(os.listdir(cap)):
            if n.endswith('.json'):
                with open(os.path.join(cap, n)) as f:
                    r.env = json.load(f)['env']
                with open(os.path.join(cap, n[:-5] + '.msg'), 'rb') as f:
                    r.message = f.read()
        return r
