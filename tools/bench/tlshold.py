#!/usr/bin/python3
# tlshold.py - open COUNT idle implicit-TLS SMTP sessions to
# 127.0.0.1:PORT (TLS 1.2, handshake done, 220 read), write the count to
# READYFILE, then hold them SECS seconds (or until SIGTERM).
# usage: tlshold.py PORT COUNT SECS READYFILE
import resource, signal, socket, ssl, sys, time

port, n, secs, ready = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64) if hard != resource.RLIM_INFINITY else n + 64, hard))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_2
socks = []
for i in range(n):
    t = c.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=30))
    buf = b''
    while not buf.endswith(b'\n'):
        d = t.recv(512)
        if not d:
            sys.exit('tlshold.py: session %d closed before the greeting' % i)
        buf += d
    socks.append(t)
with open(ready, 'w') as f:
    f.write('%d\n' % len(socks))
time.sleep(secs)
