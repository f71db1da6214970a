#!/usr/bin/python3
# hold.py - open COUNT idle SMTP sessions to 127.0.0.1:PORT, each read up to
# its 220 greeting (like peers.sh hold_sessions), write the count to
# READYFILE, then hold them SECS seconds (or until SIGTERM). With "tls" as
# a fifth argument the sessions are implicit TLS 1.2 (handshake first,
# certificate not checked), for tools/bench/tls.
# usage: hold.py PORT COUNT SECS READYFILE [tls]
import resource, signal, socket, ssl, sys, time

port, n, secs, ready = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
tls = len(sys.argv) > 5 and sys.argv[5] == 'tls'
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    want = n + 64 if hard == resource.RLIM_INFINITY else min(hard, max(soft, n + 64))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
ctx = None
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
socks = []
for i in range(n):
    s = socket.create_connection(('127.0.0.1', port), timeout=30)
    if ctx:
        s = ctx.wrap_socket(s)
    buf = b''
    while not buf.endswith(b'\n'):
        d = s.recv(512)
        if not d:
            sys.exit('hold.py: connection %d closed before the greeting' % i)
        buf += d
    if not buf.startswith(b'220'):
        sys.exit('hold.py: connection %d: bad greeting %r' % (i, buf[:80]))
    socks.append(s)
with open(ready, 'w') as f:
    f.write('%d\n' % len(socks))
time.sleep(secs)
