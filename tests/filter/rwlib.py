# ISC license.
"""rwlib: run dcr-rewrite or dcr-footer on a large message file, as
dcr-smtpd would, and measure it: the peak resident memory of the whole
process (GNU time's %M, the ru_maxrss of the filter and what it execs,
here a plain cat into a file; under time(1), not a fork of python, whose
copied pages would count) and the time taken."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from dcrtest import bin_path  # noqa: E402
from filterlib import BASE_ENV  # noqa: E402


class Run(object):
    pass


def run_file(argv, src, out, env=None, timeout=300):
    """argv[0] a program of $DCR_BIN; src: the message file; out: where
    the next program writes what it got. Returns rc, maxrss_kb, secs,
    err (stderr text)."""
    e = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'TMPDIR': os.path.dirname(out)}
    e.update(BASE_ENV)
    e.update(env or {})
    rss = out + '.rss'
    cmd = ['/usr/bin/time', '-f', '%M', '-o', rss, bin_path(argv[0])] + list(argv[1:]) + ['/bin/sh', '-c', 'exec cat > "$0"', out]
    r = Run()
    t = time.monotonic()
    with open(src, 'rb') as stdin:
        p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
        deadline = t + timeout
        err = b''
        # stderr is small (log lines): read it to the end, then reap with wait4
        while True:
            b = p.stderr.read(65536)
            if not b:
                break
            err += b
            if time.monotonic() > deadline:
                p.kill()
                break
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    r.secs = time.monotonic() - t
    r.rc = p.returncode
    with open(rss) as f:
        r.maxrss_kb = int(f.read().split()[-1])
    r.err = err.decode('utf-8', 'replace')
    return r
