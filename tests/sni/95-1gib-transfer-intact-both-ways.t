#!/usr/bin/python3
# Proves: bulk data goes through intact: 1 GiB each way at the same time
# through a forward listener (sha256 of what each end sent and got
# compared), and 64 MiB each way over real TLS through a tls listener;
# the splicer's memory stays flat meanwhile (it streams, it does not
# keep), and event=close counts the bytes exactly (up=, down=).
import hashlib, os, struct, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *

BIG = 1 << 30
TLS_SIZE = 64 << 20
BLOCK = 1 << 20
BASE = os.urandom(BLOCK)


def blocks(size):
    """size bytes of data in 1 MiB blocks, each starting with its number"""
    i = 0
    while size > 0:
        b = struct.pack('!Q', i) + BASE[8:]
        yield b[:size]
        size -= len(b)
        i += 1


def send_all(sock, size):
    h = hashlib.sha256()
    for b in blocks(size):
        h.update(b)
        sock.sendall(b)
    return h.hexdigest()


def recv_all(sock, size):
    h = hashlib.sha256()
    buf = bytearray(BLOCK)
    mv = memoryview(buf)
    got = 0
    while got < size:
        n = sock.recv_into(mv, min(BLOCK, size - got))
        if not n:
            break
        h.update(mv[:n])
        got += n
    return got, h.hexdigest()


def read_exact(sock, n):
    out = b''
    while len(out) < n:
        d = sock.recv(n - len(out))
        if not d:
            raise EOFError('eof in the header')
        out += d
    return out


def bulk_serve(s, rec, duplex=True):
    """16 bytes: (down, up) sizes; then up bytes are read (hashed) while
    (or, duplex=False, after which) down bytes are sent (hashed)"""
    down, up = struct.unpack('!QQ', read_exact(s, 16))
    if duplex:
        t = threading.Thread(target=lambda: rec.__setitem__('sent', send_all(s, down)))
        t.start()
        rec['got'] = recv_all(s, up)
        t.join()
    else:
        rec['got'] = recv_all(s, up)
        rec['sent'] = send_all(s, down)
    s.recv(1)   # the client's EOF


class BulkBackend(TcpServer):
    def serve(self, c, rec):
        c.settimeout(60)
        bulk_serve(c, rec)


def record_of(server, keys=('got', 'sent'), timeout=10):
    """The back end's record of its last connection, once it has keys
    (its reader may finish after the client's)"""
    deadline = time.time() + timeout
    while time.time() < deadline:
        rec = server.conns[-1] if server.conns else {}
        if all(k in rec for k in keys) or 'error' in rec:
            return rec
        time.sleep(0.05)
    return server.conns[-1] if server.conns else {}


def main():
    with Certs('bulk.test') as certs, BulkBackend('bulk') as plain, \
            TlsBackend(certs, 'bulk.test', handler=lambda s, rec: bulk_serve(s, rec, duplex=False)) as tlsb:
        rules = 'forward:bulk %s\nbulk.test %s\n' % (plain.addr, tlsb.addr)
        with Sniproxy(rules, ['forward:bulk', 'tls']) as sp:
            # 1 GiB each way at once, plain, through the forward listener
            c = connect(sp.port('forward:bulk'), timeout=60)
            res = {}
            t0 = time.time()
            with RssPeak(sp.pid) as mem:
                def up():
                    c.sendall(struct.pack('!QQ', BIG, BIG))
                    res['up'] = send_all(c, BIG)
                t = threading.Thread(target=up)
                t.start()
                got, down = recv_all(c, BIG)
                t.join()
            secs = time.time() - t0
            c.shutdown(socket.SHUT_WR)
            c.close()
            rec = record_of(plain)
            is_(got, BIG, '1 GiB down arrived (%.1f s, %.0f MB/s each way)' % (secs, BIG / secs / 1e6))
            is_(down, rec.get('sent'), 'sha256 of the 1 GiB down: the same at both ends')
            is_(rec.get('got'), (BIG, res.get('up')), '1 GiB up arrived, the same sha256 at both ends')
            ok(mem.base is None or mem.grew() < 16 * 1024,
               'the splicer\'s RSS grew by %s KiB at most (< 16 MiB)' % (mem.grew() if mem.base else '?'))
            lines = sp.wait_log(r'event=close .*listener=forward:', timeout=5)
            like(lines[0] if lines else '', r' up=%d down=%d ' % (BIG + 16, BIG), 'event=close up=1 GiB+16 down=1 GiB')

            # 64 MiB each way over TLS
            raw = connect(sp.port('tls'), timeout=60)
            s = certs.client_ctx().wrap_socket(raw, server_hostname='bulk.test')
            s.sendall(struct.pack('!QQ', TLS_SIZE, TLS_SIZE))
            upsum = send_all(s, TLS_SIZE)
            got, down = recv_all(s, TLS_SIZE)
            raw.close()
            rec = record_of(tlsb)
            is_(rec.get('sni'), 'bulk.test', 'TLS: the back end of bulk.test')
            is_(rec.get('got'), (TLS_SIZE, upsum), 'TLS: 64 MiB up intact (sha256)')
            is_((got, down), (TLS_SIZE, rec.get('sent')), 'TLS: 64 MiB down intact (sha256)')


run(main, 120)
