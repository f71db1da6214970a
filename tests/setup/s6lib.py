# ISC license.
"""s6lib: helpers of the tests/setup python tests that run an instance
made by dcr-setup under s6-svscan."""

import os
import signal
import socket
import subprocess
import time

from dcrtest import diag, free_port, is_

__all__ = ['free_port', 'have_ipv6', 'procs_under', 'wait_ready', 'wait_for',
           'kill_under', 'svscan_stops', 'stop_svscan']


def have_ipv6():
    try:
        free_port('::1')
        return True
    except OSError:
        return False


def procs_under(path):
    """Pids of the processes whose command line or cwd is under path:
    everything this test started (the path is its own temp dir)."""
    me, out = os.getpid(), []
    for p in os.listdir('/proc'):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            with open('/proc/%s/stat' % p) as f:
                if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    continue   # a zombie is dead already
            with open('/proc/%s/cmdline' % p, 'rb') as f:
                cmd = f.read()
            cwd = os.readlink('/proc/%s/cwd' % p)
        except OSError:
            continue
        if path.encode() in cmd or cwd.startswith(path):
            out.append(int(p))
    return out


def wait_ready(svc, timeout=15):
    """s6-svwait -U: up and ready (dcr-tcpd wrote to notification-fd).
    Retried while s6-supervise has not made the service's fifodir yet."""
    deadline = time.time() + timeout
    r = None
    while time.time() < deadline:
        r = subprocess.run(['s6-svwait', '-U', '-t', '1000', svc],
                           capture_output=True, text=True, timeout=10)
        if r.returncode == 0:
            return True
        time.sleep(0.1)
    diag('s6-svwait -U %s: %s' % (svc, r.stderr.strip() if r else ''))
    return False


def wait_for(path, text, timeout=5):
    deadline = time.time() + timeout
    got = ''
    while time.time() < deadline:
        try:
            with open(path, errors='replace') as f:
                got = f.read()
        except OSError:
            got = ''
        if text in got:
            return got
        time.sleep(0.05)
    return got


def kill_under(path):
    """SIGTERM, then SIGKILL, every process procs_under(path) finds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in procs_under(path):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        time.sleep(0.2)


def svscan_stops(svscan, inst, tmp):
    """Two checks: s6-svscanctl -t on inst's service/ stops s6-svscan
    with exit 0, and no process of the instance (under tmp) is left."""
    subprocess.run(['s6-svscanctl', '-t', os.path.join(inst, 'service')], timeout=10)
    try:
        rc = svscan.wait(timeout=15)
    except subprocess.TimeoutExpired:
        rc = None
    is_(rc, 0, 's6-svscanctl -t stops s6-svscan')
    deadline = time.time() + 5
    while procs_under(tmp) and time.time() < deadline:
        time.sleep(0.1)
    is_(procs_under(tmp), [], 'no process of the instance is left')


def stop_svscan(svscan, servicedir, tmp):
    """For a finally: whatever happened, s6-svscan (a Popen, or None) and
    every process under tmp are gone."""
    if svscan and svscan.poll() is None:
        subprocess.run(['s6-svscanctl', '-q', servicedir], timeout=10, capture_output=True)
        try:
            svscan.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    kill_under(tmp)
    if svscan and svscan.poll() is None:
        svscan.kill()
        svscan.wait()
