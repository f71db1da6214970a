# ISC license.
"""mxtest: dnsmasq on a free loopback address as the DNS server of dcr-mx.

    with Dnsmasq('--mx-host=a.test,mx1.a.test,10', ...) as dns:
        rc, out, err, secs = dns.mx('a.test')

Dnsmasq runs in the foreground (-k) with no upstream, no /etc/hosts and
no config file, answering only for what the test gives it; `--local=/test/`
makes it authoritative for .test, so a name it lacks is NXDOMAIN and a
type it lacks is NODATA. libowfat always asks port 53, so the server
listens on 127.0.0.X:53 with X free; that needs root (skip otherwise).
It is always stopped on exit from the with block.
"""

import os
import random
import socket
import struct
import subprocess
import time

from dcrtest import bin_path

DNSMASQ = '/usr/sbin/dnsmasq'


def usable():
    """None if dnsmasq can run here, else why not (a skip reason)."""
    if not os.path.exists(DNSMASQ):
        return 'no %s (apt-get install dnsmasq-base)' % DNSMASQ
    if os.geteuid() != 0:
        return 'port 53 needs root'
    return None


def free_loopback():
    """A 127.0.0.X whose UDP and TCP port 53 are free."""
    xs = list(range(2, 250))
    random.shuffle(xs)
    for x in xs:
        ip = '127.0.0.%d' % x
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((ip, 53))
                finally:
                    s.close()
            return ip
        except OSError:
            continue
    raise RuntimeError('no free 127.0.0.X:53')


def query(ip, name, qtype=1, timeout=0.5):
    """One raw DNS query; the reply's rcode, or None without an answer."""
    pkt = struct.pack('>HHHHHH', random.randrange(65536), 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        pkt += bytes([len(label)]) + label.encode()
    pkt += b'\0' + struct.pack('>HH', qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(pkt, (ip, 53))
        return s.recv(4096)[3] & 15
    except OSError:
        return None
    finally:
        s.close()


def run_mx(args, dnsip, timeout=60):
    """Run dcr-mx with DNSCACHEIP=dnsip: (exit code, stdout, stderr, seconds)."""
    env = dict(os.environ, DNSCACHEIP=dnsip)
    t = time.monotonic()
    p = subprocess.run([bin_path('dcr-mx')] + list(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode('latin-1'), p.stderr.decode('latin-1'), time.monotonic() - t


class Dnsmasq(object):
    def __init__(self, *records, local='test'):
        self.records = list(records)
        self.local = local
        self.ip = None
        self.proc = None
        self.log = b''

    def start(self):
        self.ip = free_loopback()
        argv = [DNSMASQ, '-k', '--no-resolv', '--no-hosts', '--conf-file=/dev/null',
                '--port=53', '--listen-address=' + self.ip, '--bind-interfaces',
                '-u', 'root', '--pid-file=', '--log-queries', '--log-facility=-']
        if self.local:
            argv.append('--local=/%s/' % self.local)
        argv += self.records
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('dnsmasq exited: %r' % self.proc.stderr.read())
            if query(self.ip, 'ready.invalid', timeout=0.2) is not None:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('dnsmasq did not answer on %s' % self.ip)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self.log = self.proc.stderr.read() or b''
            self.proc.stderr.close()
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def mx(self, *args, timeout=60):
        return run_mx(args, self.ip, timeout)
