#!/usr/bin/python3
# Proves: under dcr-tcpd -P one dcr-smtpd process serves session after
# session, and a session inherits nothing from the one before it on the
# same process: not the user it authenticated as, nor its count of
# failed AUTH attempts, nor its credentials anywhere in the process's
# memory once it has ended; not the conf/ files it read (a changed
# max-size or hostname, a new greet-delay, is seen by the next session on
# the same process, as a new process would see it); not RELAYCLIENT set by a rule for the previous client,
# not its EHLO, MAIL or RCPT, not input it sent and never had read, not
# an unfinished DATA (its spool is closed: the process's descriptors do
# not grow), and the chain sees each client's own TCPREMOTEIP/PORT.
# Fed directly over its socket (DCR_POOL=0), dcr-smtpd says it is ready
# (one 'R'), serves a connection handed to it, says ready again with
# /dev/null on its fds 0 and 1, exits 0 at EOF, and exits 111 with a
# message for each malformed datagram: no descriptor, two, no final
# NUL, one over 64 KiB.
import os, re, socket, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *

RULES = '127.0.0.2/32 allow RELAYCLIENT=\n'
SECRET = 'Pa55-q7Zr-unlikely-3x'


class From(RawClient):
    """A RawClient from a chosen loopback source address."""
    def __init__(self, gw, src):
        self.timeout = 10
        self.sock = socket.create_connection((gw.host, gw.port), timeout=10, source_address=(src, 0))
        self.buf = b''
        self.eof = False
        self.last_sent = b''
        self.greeting = self.reply()


def served(gw):
    """(pid, client port) of each connection dcr-tcpd handed over, in order"""
    return [(int(p), int(port)) for p, port in
            re.findall(r'event=connect pid=(\d+) ip=\S+ port=(\d+) conns=\d+ prestarted=1', gw.log())]


def fd0(pid):
    try:
        return os.readlink('/proc/%d/fd/0' % pid)
    except OSError:
        return None


def wait_idle(pid):
    """until pid has released its connection (fd 0 is /dev/null), and a
    moment for dcr-tcpd to read its 'ready': then it takes the next one"""
    end = time.time() + 5
    while time.time() < end:
        try:
            if os.readlink('/proc/%d/fd/0' % pid) == '/dev/null':
                break
        except OSError:
            return
        time.sleep(0.02)
    time.sleep(0.1)


def settle(c, pid):
    """the client closes once the server has; then its process is idle"""
    c.closed(3)
    c.close()
    wait_idle(pid)


def nfds(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def through_tcpd():
    with Gateway(tcprules=RULES, tcpd_opts=['-v', '-P', '1'], capture=True) as gw:
        # the spare is started after dcr-tcpd is ready: wait for it, or
        # the first connection is spawned the usual way
        wait_spare(gw)
        # 1: a relay client by the rule, leaves mid-transaction with input unread
        c = From(gw, '127.0.0.2')
        like(c.greeting[1], r'^220 ', 'first session: banner')
        c.cmd('EHLO relay.client')
        c.send('MAIL FROM:<a@b.test>\r\n')
        c.expect('250', 'MAIL')
        c.send('RCPT TO:<someone@elsewhere.test>\r\n')
        c.expect('250', 'the relay client may relay (RELAYCLIENT from its rule)')
        pid = (smtpd_pids(gw) or [0])[0]
        c.send('NOOP\r\nNOOP\r\nNOOP\r\n')   # never read: must not reach the next client
        c.close()
        wait_idle(pid)
        # 2: another client, same process
        c = From(gw, '127.0.0.1')
        is_(c.greeting[0], 220, 'second session: its own banner first')
        is_(c.pending(0.3), b'', 'no reply left over from the first session')
        c.send('MAIL FROM:<a@b.test>\r\n')
        c.expect('503', 'MAIL before EHLO: 503 (the EHLO was the other client\'s)')
        c.cmd('EHLO plain.client')
        c.send('DATA\r\n')
        c.expect('503', 'DATA: 503, no recipients inherited')
        c.cmd('MAIL FROM:<a@b.test>')
        c.send('RCPT TO:<someone@elsewhere.test>\r\n')
        c.expect('554 5.7.1', 'no RELAYCLIENT inherited: relaying refused')
        c.send('RCPT TO:<u@localhost>\r\n')
        c.expect('250', 'a local recipient')
        c.cmd('DATA')
        c.send('Subject: two\r\n\r\nbody\r\n.\r\n')
        c.expect('250', 'message of the second session queued')
        port2 = c.sock.getsockname()[1]
        c.cmd('QUIT')
        settle(c, pid)
        # 3: a relay client's message: the chain sees its variables
        c = From(gw, '127.0.0.2')
        c.cmd('EHLO relay.client')
        c.cmd('MAIL FROM:<a@b.test>')
        c.send('RCPT TO:<someone@elsewhere.test>\r\n')
        c.expect('250', 'third session from the relay client: relaying allowed again')
        c.cmd('DATA')
        c.send('Subject: three\r\n\r\nbody\r\n.\r\n')
        c.expect('250', 'message of the third session queued')
        port3 = c.sock.getsockname()[1]
        c.cmd('QUIT')
        settle(c, pid)
        s = served(gw)
        is_(len(s), 3, 'dcr-tcpd handed over all three connections')
        ok(len(s) == 3 and s[0][0] == s[1][0] == s[2][0], 'one process served the three sessions')
        caps = gw.captures()
        envs = [x['env'] for x in caps]
        is_(len(caps), 2, 'two messages reached the chain')
        if len(envs) == 2:
            is_((envs[0].get('TCPREMOTEIP'), envs[0].get('TCPREMOTEPORT'), 'RELAYCLIENT' in envs[0]),
                ('127.0.0.1', str(port2), False), 'the second message: its client\'s address and port, no RELAYCLIENT')
            is_((envs[1].get('TCPREMOTEIP'), envs[1].get('TCPREMOTEPORT'), 'RELAYCLIENT' in envs[1]),
                ('127.0.0.2', str(port3), True), 'the third message: its client\'s address and port, RELAYCLIENT')
        # unfinished DATA, ten times: the process keeps no descriptor of them
        pid = s[0][0] if s else None
        before = nfds(pid) if pid else -1
        for i in range(10):
            c = gw.raw()
            c.cmd('EHLO x')
            c.cmd('MAIL FROM:<a@b.test>')
            c.cmd('RCPT TO:<u@localhost>')
            c.cmd('DATA')
            c.send('Subject: cut\r\n\r\n' + 'x' * 5000)
            time.sleep(0.05)
            c.close()
            time.sleep(0.1)
        time.sleep(0.3)
        ok(pid and os.path.exists('/proc/%d' % pid), 'the same process is still serving')
        is_(nfds(pid) if pid else -2, before, 'its descriptors did not grow over ten cut-off messages (%d)' % before)
        is_(gw.tmp_files(), [], 'queue/tmp is clean')
        is_(len(gw.queued()), 2, 'only the two whole messages are queued')


def b64(x):
    import base64
    return base64.b64encode(x).decode()


def wait_spare(gw):
    end = time.time() + 5
    while time.time() < end and not [p for p in children_of(gw.proc.pid) if fd0(p) == '/dev/null']:
        time.sleep(0.02)
    time.sleep(0.1)


def memory_has(pid, needles):
    """which of needles (bytes) are in pid's writable memory"""
    found = set()
    with open('/proc/%d/maps' % pid) as maps, open('/proc/%d/mem' % pid, 'rb', 0) as mem:
        for line in maps:
            f = line.split()
            if len(f) < 2 or 'w' not in f[1]:
                continue
            lo, hi = (int(x, 16) for x in f[0].split('-'))
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            for n in needles:
                if n in data:
                    found.add(n)
    return sorted(found)


def auth_state():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'auth'))
    from authtest import mkpasswd
    d = tempfile.mkdtemp(prefix='dcr-pool-auth-')
    users = os.path.join(d, 'users')
    with open(users, 'w') as f:
        f.write('alice:%s\n' % mkpasswd('sha-512', SECRET))
    checker = os.path.join(d, 'checker')
    with open(checker, 'w') as f:
        f.write('#!/bin/sh\nexec %s -u %s "$@"\n' % (bin_path('dcr-checkpass'), users))
    os.chmod(checker, 0o755)
    good, bad = b64(b'\0alice\0' + SECRET.encode()), b64(b'\0alice\0wrong')
    with Gateway(tcprules='127.0.0.0/8 allow AUTH_WITHOUT_TLS=\n', tcpd_opts=['-v', '-P', '1'],
                 smtpd_opts=['-a', checker, '-r']) as gw:
        wait_spare(gw)
        c = gw.raw()
        pid = (smtpd_pids(gw) or [0])[0]
        c.cmd('EHLO a.test')
        c.send('AUTH PLAIN %s\r\n' % good)
        c.expect('235', 'AUTH as alice: 235')
        c.send('MAIL FROM:<alice@a.test>\r\n')
        c.expect('250', 'authenticated: MAIL 250')
        c.close()
        wait_idle(pid)
        is_(memory_has(pid, [SECRET.encode(), good.encode()]), [],
            'once the session has ended, neither the password nor its base64 is anywhere in the process\'s memory')
        c = gw.raw()
        is_((smtpd_pids(gw) or [0])[0], pid, 'the next session is on the same process')
        c.cmd('EHLO b.test')
        c.send('MAIL FROM:<alice@a.test>\r\n')
        c.expect('530', 'the next client is not alice: MAIL needs AUTH (530)')
        for i in range(2):
            c.send('AUTH PLAIN %s\r\n' % bad)
            c.expect('535', 'a wrong password: 535 (%d)' % (i + 1))
        c.close()
        wait_idle(pid)
        c = gw.raw()
        c.cmd('EHLO c.test')
        c.send('AUTH PLAIN %s\r\n' % bad)
        c.expect('535', 'the next client\'s first failure is its first: 535, not 421 for the third')
        c.send('AUTH PLAIN %s\r\n' % good)
        c.expect('235', 'and it may authenticate')
        c.close()
        is_(len(set(int(x) for x in re.findall(r'event=connect pid=(\d+) .*prestarted=1', gw.log()))), 1,
            'one process served the three')
    import shutil
    shutil.rmtree(d, ignore_errors=True)


def spawn_direct(d, sock):
    conf = os.path.join(d, 'conf')
    os.makedirs(conf, exist_ok=True)
    with open(os.path.join(conf, 'hostname'), 'w') as f:
        f.write('mx.pool.test\n')
    err = open(os.path.join(d, 'err'), 'wb')
    env = dict(os.environ, DCR_POOL='0')
    p = subprocess.Popen([bin_path('dcr-smtpd'), '-c', conf, '-S', d, '/bin/true'],
                         stdin=sock.fileno(), stdout=subprocess.DEVNULL, stderr=err, env=env)
    err.close()
    return p


def read_ready(a, what):
    a.settimeout(5)
    try:
        is_(a.recv(16), b'R', what)
    except socket.timeout:
        ok(False, what + ' (nothing in 5 s)')


def errtext(d):
    with open(os.path.join(d, 'err'), 'rb') as f:
        return f.read().decode('latin-1')


def direct():
    d = tempfile.mkdtemp(prefix='dcr-pool-')
    # a good connection, then EOF
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    p = spawn_direct(d, b)
    b.close()
    try:
        read_ready(a, 'started: one R')
        c1, c2 = socket.socketpair()
        socket.send_fds(a, [b'PROTO=TCP\0TCPREMOTEIP=192.0.2.7\0TCPREMOTEPORT=4242\0'], [c2.fileno()])
        c2.close()
        c1.settimeout(5)
        like(c1.recv(512), rb'^220 mx\.pool\.test ', 'the handed connection gets the banner')
        c1.sendall(b'QUIT\r\n')
        like(c1.recv(512), rb'^221 ', 'QUIT: 221')
        is_(c1.recv(512), b'', 'then the connection is closed')
        read_ready(a, 'ready again after the session')
        is_([os.readlink('/proc/%d/fd/%d' % (p.pid, n)) for n in (0, 1)], ['/dev/null', '/dev/null'],
            'between sessions fds 0 and 1 are /dev/null')
        like(errtext(d), r'event=connect ip=192\.0\.2\.7 port=4242 ', 'the session used the variables it was handed')
        a.close()
        is_(p.wait(5), 0, 'EOF on its socket: exit 0')
    finally:
        if p.poll() is None:
            p.kill()
    bad = [
        ('no descriptor', lambda a: a.send(b'PROTO=TCP\0')),
        ('two descriptors', lambda a: socket.send_fds(a, [b'PROTO=TCP\0'], [0, 1])),
        ('no final NUL', lambda a: socket.send_fds(a, [b'PROTO=TCP'], [0])),
        ('over 64 KiB', lambda a: socket.send_fds(a, [b'X=' + b'y' * 70000 + b'\0'], [0])),
    ]
    for name, send in bad:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        p = spawn_direct(d, b)
        b.close()
        try:
            read_ready(a, '%s: ready first' % name)
            send(a)
            try:
                code = p.wait(5)
            except subprocess.TimeoutExpired:
                code = 'still running'
            is_(code, 111, '%s: exit 111' % name)
            like(errtext(d), r'dcr-smtpd: fatal: unable to read the next connection from dcr-tcpd', '%s: says why' % name)
        finally:
            if p.poll() is None:
                p.kill()
            a.close()


def conf_changes():
    with Gateway(tcpd_opts=['-v', '-P', '1'], max_size=10000) as gw:
        wait_spare(gw)
        c = gw.raw(banner=True)
        like(c.greeting[1], r'^220 mx\.dcrtest ', 'conf/hostname in the banner')
        like(c.cmd('EHLO a.test')[1], r'SIZE 10000\b', 'conf/max-size in EHLO: SIZE 10000')
        pid = (smtpd_pids(gw) or [0])[0]
        c.cmd('QUIT')
        settle(c, pid)
        with open(gw.path('conf/max-size'), 'w') as f:
            f.write('20000\n')
        with open(gw.path('conf/hostname'), 'w') as f:
            f.write('mx2.dcrtest\n')
        c = gw.raw(banner=True)
        like(c.greeting[1], r'^220 mx2\.dcrtest ', 'the next session: the new conf/hostname')
        like(c.cmd('EHLO a.test')[1], r'SIZE 20000\b', 'and the new max-size: SIZE 20000')
        is_(smtpd_pids(gw), [pid], 'on the same process')
        c.cmd('QUIT')
        settle(c, pid)
        with open(gw.path('conf/greet-delay'), 'w') as f:
            f.write('700\n')
        c = gw.raw(banner=False)
        time.sleep(0.3)   # without the delay, the banner is out by now
        c.send('EHLO early.talker\r\n')
        is_(c.reply()[0], 554, 'a greet-delay file made since: the next session refuses an early talker (554)')
        c.close()
        is_(len(set(p for p, _ in served(gw))), 1, 'one process served the three')


def main():
    through_tcpd()
    conf_changes()
    auth_state()
    direct()


run(main)
