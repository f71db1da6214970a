#!/usr/bin/python3
# tlsload.py - the TLS load client of tools/bench/tls, the same for every
# server (smtp-source cannot do TLS). PROCS processes of THREADS threads
# each open COUNT connections in all to 127.0.0.1:PORT, one at a time per
# thread, and do MODE on each:
#   hs      implicit TLS handshake, read the 220, QUIT
#   starttls  220, EHLO, STARTTLS, handshake, EHLO, QUIT
#   mail    implicit TLS, EHLO, MAIL, RCPT, DATA, a SIZE-byte body, QUIT
#           (one message per connection, like smtp-source's default)
# TLS 1.2 only (BearSSL's ceiling, so both servers do the same work),
# certificates not verified. Prints one JSON line: done, failed, secs,
# rate, client CPU seconds (user+sys of all processes), cipher seen.
# usage: tlsload.py PORT MODE COUNT PROCS THREADS [SIZE]
import json, multiprocessing, os, resource, socket, ssl, sys, threading, time

port, mode, count, procs, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
size = int(sys.argv[6]) if len(sys.argv) > 6 else 2000
BODY = (b'Subject: tls bench\r\nFrom: <a@sender.test>\r\nTo: <user@relay.test>\r\n\r\n'
        + (b'x' * 76 + b'\r\n') * max(1, size // 78))


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_2
    return c


class Conn(object):
    def __init__(self, s):
        self.s, self.buf = s, b''

    def reply(self):
        while True:
            i = self.buf.find(b'\r\n')
            while i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                if len(line) < 4 or line[3:4] != b'-':
                    return int(line[:3])
                i = self.buf.find(b'\r\n')
            d = self.s.recv(65536)
            if not d:
                raise EOFError('closed')
            self.buf += d

    def cmd(self, line, want):
        self.s.sendall(line)
        code = self.reply()
        if code != want:
            raise ValueError('%r: %d' % (line, code))


def one(c):
    raw = socket.create_connection(('127.0.0.1', port), timeout=30)
    try:
        if mode == 'starttls':
            k = Conn(raw)
            if k.reply() != 220:
                raise ValueError('greeting')
            k.cmd(b'EHLO load.test\r\n', 250)
            k.cmd(b'STARTTLS\r\n', 220)
            t = c.wrap_socket(raw)
            k = Conn(t)
            k.cmd(b'EHLO load.test\r\n', 250)
        else:
            t = c.wrap_socket(raw)
            k = Conn(t)
            if k.reply() != 220:
                raise ValueError('greeting')
            if mode == 'mail':
                k.cmd(b'EHLO load.test\r\n', 250)
                k.cmd(b'MAIL FROM:<a@sender.test>\r\n', 250)
                k.cmd(b'RCPT TO:<user@relay.test>\r\n', 250)
                k.cmd(b'DATA\r\n', 354)
                k.cmd(BODY + b'.\r\n', 250)
        k.s.sendall(b'QUIT\r\n')
        try:
            k.reply()
        except (EOFError, OSError, ssl.SSLError):
            pass
        return t.cipher()[0]
    finally:
        raw.close()


def worker(n, out):
    c = ctx()
    stats = {'done': 0, 'failed': 0, 'cipher': None, 'err': None}
    lock = threading.Lock()
    per = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]

    def run(k):
        for _ in range(k):
            try:
                ciph = one(c)
                with lock:
                    stats['done'] += 1
                    stats['cipher'] = ciph
            except Exception as e:  # noqa: B902 - counted, reported
                with lock:
                    stats['failed'] += 1
                    stats['err'] = repr(e)[:200]
    ts = [threading.Thread(target=run, args=(k,)) for k in per]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(stats)


if __name__ == '__main__':
    q = multiprocessing.Queue()
    share = [count // procs + (1 if i < count % procs else 0) for i in range(procs)]
    t0 = time.time()
    ps = [multiprocessing.Process(target=worker, args=(k, q)) for k in share]
    for p in ps:
        p.start()
    res = [q.get() for _ in ps]
    for p in ps:
        p.join()
    secs = time.time() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = sum(r['done'] for r in res)
    print(json.dumps({'mode': mode, 'done': done, 'failed': sum(r['failed'] for r in res),
                      'secs': round(secs, 3), 'rate': round(done / secs, 1) if secs else 0,
                      'client_cpu': round(ru.ru_utime + ru.ru_stime, 2),
                      'cipher': next((r['cipher'] for r in res if r['cipher']), None),
                      'error': next((r['err'] for r in res if r['err']), None)}))
