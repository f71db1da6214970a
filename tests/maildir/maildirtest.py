# ISC license.
"""maildirtest: run dcr-maildir on job lines, look at what it wrote."""

import os
import re
import subprocess
import time

from dcrtest import bin_path

# SECONDS.M<usec>P<pid>Q<n>.HOST,S=<size>
NAME_RE = re.compile(r'^(\d+)\.M(\d+)P(\d+)Q(\d+)\.([^/:,]+),S=(\d+)$')


def agent(args, jobs, timeout=30, cwd=None):
    """Run dcr-maildir ARGS with JOBS (bytes, or str) on stdin:
    (exit code, stdout as str, stderr as str, seconds)."""
    if isinstance(jobs, str):
        jobs = jobs.encode()
    t = time.monotonic()
    p = subprocess.run([bin_path('dcr-maildir')] + list(args), input=jobs, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout.decode('latin-1'), p.stderr.decode('latin-1'), time.monotonic() - t


def job(id, file, sender, *rcpts):
    return '\t'.join((id, file, sender) + rcpts) + '\n'


def verdicts(out):
    """stdout as a list of tuples: (id, rcpt, D|T|P, reply) or (id, 'done')."""
    return [tuple(l.split('\t')) for l in out.splitlines()]


def files(d, sub='new'):
    p = os.path.join(d, sub)
    return sorted(os.listdir(p)) if os.path.isdir(p) else []


def read(d, name, sub='new'):
    with open(os.path.join(d, sub, name), 'rb') as f:
        return f.read()


def all_files(top):
    """Every file under top, as paths relative to it."""
    r = []
    for dp, dn, fn in os.walk(top):
        r += [os.path.relpath(os.path.join(dp, f), top) for f in fn]
    return sorted(r)
