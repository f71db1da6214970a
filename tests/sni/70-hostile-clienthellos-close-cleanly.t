#!/usr/bin/python3
# Proves: hostile ClientHellos end in a clean close (EOF or RST, never a
# byte from the splicer, never a hang) and the splicer stays up: garbage,
# plain HTTP on a tls port, SSLv2, a ServerHello, a zero-length record,
# an oversized record, a huge handshake length, truncated hellos (ended
# by the client, or left hanging: dropped after -t seconds,
# reason=hello-timeout), malformed SNI extensions, one byte every 0.4 s
# (the -t deadline is for the whole hello, not per read), 200 random
# mutations of a real hello at once; a valid hello one byte at a time,
# or split over several TLS records, still routes; a large (10 KB) hello
# routes or closes cleanly; each refusal is logged with its reason.
import os, random, socket, struct, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snilib import *
from dcrtest import *

T = 2   # -t: the hello timeout


def records(hs, sizes):
    """The handshake bytes of one hello record re-cut into records of the given sizes"""
    out, i = b'', 0
    for n in sizes:
        part = hs[i:i + n]
        if not part:
            break
        out += b'\x16\x03\x01' + struct.pack('!H', len(part)) + part
        i += n
    if i < len(hs):
        out += b'\x16\x03\x01' + struct.pack('!H', len(hs) - i) + hs[i:]
    return out


def longer_exts(hello):
    """hello (from client_hello) with its extensions length 50 too large"""
    g = bytearray(hello)
    g[52:54] = struct.pack('!H', struct.unpack('!H', g[52:54])[0] + 50)
    return bytes(g)


def attempt(port, data, shut=True, delay=0, timeout=T + 3, until=None):
    """(how it ended, seconds after the last byte sent)"""
    with connect(port) as s:
        try:
            if delay:
                for i in range(len(data)):
                    s.sendall(data[i:i + 1])
                    time.sleep(delay)
            else:
                s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return end_of(s, timeout, until)


def main():
    random.seed(7)
    with RawBackend('a') as a:
        with Sniproxy('a.test %s\n' % a.addr, ['tls'], opts=['-t', str(T)]) as sp:
            port = sp.port('tls')
            good = client_hello('a.test')
            hs = good[5:]
            sni_bad = lambda ext: client_hello(extensions=ext)
            cases = [
                ('garbage', os.urandom(300).replace(b'\x16', b'\x17'), True),
                ('plain HTTP', b'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n', True),
                ('SSLv2 hello', b'\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10' + os.urandom(37), True),
                ('a ServerHello', b'\x16\x03\x01' + good[3:5] + b'\x02' + good[6:], True),
                ('an alert record', b'\x15\x03\x01\x00\x02\x02\x28', True),
                ('a zero-length record', b'\x16\x03\x01\x00\x00', True),
                ('an oversized record (65535)', b'\x16\x03\x01\xff\xff' + b'\x01' + b'\x00' * 2000, True),
                ('a 16 MB handshake length', b'\x16\x03\x01\x01\x00\x01\xff\xff\xff' + b'\x03\x03' + b'\x00' * 250, True),
                ('handshake longer than its record, then EOF', good[:5] + b'\x01\x00\x10\x00' + good[9:], True),
                ('truncated record, then EOF', good[:40], True),
                ('5 header bytes, then EOF', good[:5], True),
                ('SNI name longer than its extension', sni_bad(b'\x00\x00\x00\x0b\x00\x09\x00\x00\xf0a.test'), True),
                ('a hello cut 20 bytes short, then EOF', good[:-20], True),
                ('extensions longer than the hello', longer_exts(good), True),
                ('an empty SNI name', sni_bad(sni_ext('')), True),
                ('an SNI name with a NUL', sni_bad(sni_ext(b'a.test\x00.evil')), True),
                ('a 300-byte SNI name', sni_bad(sni_ext('a' * 300 + '.test')), True),
                ('an SNI name "*"', sni_bad(sni_ext('*')), True),
                ('a 40 KB hello over 3 full records', records(b'\x01\x00\x9c\x40' + b'\x03\x03' + b'\x00' * 40000,
                                                           (16384, 16384)), True),
            ]
            for what, data, _ in cases:
                how, secs = attempt(port, data)
                ok(how in ('eof', 'reset') and secs < 1.5, '%s: closed cleanly at once (%s, %.2f s)' % (what, how, secs))
            is_(a.accepted, 0, 'none of them reached the back end')
            lines = sp.wait_log(r'event=close ', count=len(cases))
            reasons = [re.search(r'reason=(\S*)', l).group(1) if 'reason=' in l else '' for l in lines]
            is_(len(lines), len(cases), 'one event=close line each')
            ok(set(reasons) <= {'bad-hello', 'eof', 'no-rule'}, 'with reason bad-hello, eof or no-rule: %s' % reasons)
            ok(reasons.count('bad-hello') >= 8, '%d of them reason=bad-hello' % reasons.count('bad-hello'))

            for what, data in (('a truncated hello left hanging', good[:40]),
                               ('a record header alone, hanging', good[:5]),
                               ('nothing at all', b'')):
                how, secs = attempt(port, data, shut=False)
                ok(how in ('eof', 'reset') and T - 0.5 < secs < T + 2,
                   '%s: dropped after -t %d (%s, %.2f s)' % (what, T, how, secs))
            t0 = time.time()
            with connect(port) as s:
                how = None
                for i in range(len(good)):
                    try:
                        s.sendall(good[i:i + 1])
                    except OSError:
                        break
                    if time.time() - t0 > T + 3:
                        break
                    time.sleep(0.4)
                how, _ = end_of(s, 1)
            secs = time.time() - t0
            ok(how in ('eof', 'reset') and secs < T + 2.5,
               'one byte every 0.4 s: dropped about -t %d after the first byte (%s, %.1f s)' % (T, how, secs))
            ok(len(sp.wait_log(r'event=close .*reason=hello-timeout', count=4)) >= 4,
               'the four slow ones are logged reason=hello-timeout')

            how, secs = attempt(port, good, shut=False, delay=0.003, timeout=3, until=b'\n')
            like(how, r'^data:.*backend=a n=%d sni=a\.test' % len(good), 'a good hello one byte at a time routes')
            for sizes in ((20,), (1,) * 60, (40, 3)):
                data = records(hs, sizes)
                k = data.count(b'\x16\x03\x01')
                how, secs = attempt(port, data, shut=False, timeout=3, 
                                    until=b'n=%d ' % (5 + len(hs) - sum(sizes)))   # the last record's answer
                routed = how.startswith("data:b'backend=a ")
                ok((routed and b''.join(a.records[-k:]) == data) or how in ('eof', 'reset'),
                   'a hello split into %d records: routed with its bytes unchanged, or closed cleanly (%s)'
                   % (k, 'routed' if routed else how[:40]))
            big = client_hello('a.test', pad=10000)
            how, secs = attempt(port, big, shut=False, timeout=3, until=b'\n')
            ok(re.match(r"^data:b'backend=a n=%d sni=a\.test" % len(big), how) or how in ('eof', 'reset'),
               'a 10 KB hello: routed whole, or closed cleanly (%s)' % how[:40])

            real = real_hello('a.test')
            socks = []
            for i in range(200):
                m = bytearray(real)
                for _ in range(random.randint(1, 4)):
                    m[random.randrange(len(m))] = random.randrange(256)
                m = bytes(m)[:random.choice((len(m), random.randrange(1, len(m))))]
                try:
                    s = connect(port)
                    s.sendall(m)
                    s.shutdown(socket.SHUT_WR)
                    socks.append(s)
                except OSError:
                    pass
            deadline = time.time() + T + 4
            ends = {}
            for s in socks:
                how, _ = end_of(s, max(0.1, deadline - time.time()))
                how = 'served' if how.startswith("data:b'backend=a") else how
                ends[how] = ends.get(how, 0) + 1
                s.close()
            ok(set(ends) <= {'eof', 'reset', 'served'} and len(socks) == 200,
               '200 mutated hellos at once: each closed or served, none hung: %s' % ends)
            ok(sp.proc.poll() is None, 'the splicer is still running')
            is_(routed_to(port, client_hello('a.test')), 'a', 'and serves a normal hello')


run(main, 60)
