#!/usr/bin/python3
# latency.py - end-of-data -> 250 latency of an SMTP receiver, one TCP
# connection per message, K concurrent clients, M messages in all.
#
# usage: latency.py [-k K] [-m M] [-l BODYBYTES] [-f FROM] [-t TO]
#                   [--json] [--deadline SECS] HOST PORT
#
# One process, non-blocking sockets and selectors (no threads, no asyncio):
# a client costs little CPU here, so the load generator disturbs the
# server as little as it can on a 2-core machine.  Each connection runs
# the plain dialogue without pipelining: 220, EHLO, MAIL, RCPT, DATA, 354,
# then the body and the final ".\r\n" in ONE write (the timer starts just
# before that write), the timer stops as soon as the whole 250 reply has
# been read, then QUIT and 221.  As soon as a connection ends a new one
# starts, until M have been started (closed loop).
#
# Prints p50/p99/mean/max of end-of-data -> 250 in ms, msgs/s (accepted
# messages over the wall time of the whole run), connect-time p99 (a server
# with a short listen backlog shows up there), and the error count.
# --json: one JSON object instead of the human line.
# Exit: 0 if every message got 250, 1 otherwise, 2 on bad usage.
import argparse
import errno
import json
import math
import selectors
import socket
import sys
import time


def body(nbytes, mfrom, rcpt, seq):
    hdr = ('From: <%s>\r\nTo: <%s>\r\nSubject: latency probe %d\r\n'
           'Message-Id: <lat.%d.%d@latency.test>\r\n\r\n'
           % (mfrom, rcpt, seq, seq, int(time.time())))
    out = [hdr]
    left = max(0, nbytes - len(hdr))
    line = 'La la la la la la la la la la la la la la la la la la la la la la la la la.\r\n'
    while left > 0:
        chunk = line if left >= len(line) else (('x' * max(0, left - 2)) + '\r\n')
        out.append(chunk)
        left -= len(chunk)
    return ''.join(out).encode() + b'.\r\n'


def pct(sorted_vals, p):
    """Nearest-rank percentile."""
    if not sorted_vals:
        return float('nan')
    k = max(0, min(len(sorted_vals) - 1, int(math.ceil(p / 100.0 * len(sorted_vals))) - 1))
    return sorted_vals[k]


class Conn:
    __slots__ = ('sock', 'state', 'inbuf', 'outbuf', 't_conn', 't_eod', 'last', 'seq')


def main():
    ap = argparse.ArgumentParser(description='SMTP end-of-data -> 250 latency')
    ap.add_argument('-k', type=int, default=20, help='concurrent clients (default 20)')
    ap.add_argument('-m', type=int, default=2000, help='messages in all (default 2000)')
    ap.add_argument('-l', type=int, default=2000, help='body bytes (default 2000)')
    ap.add_argument('-f', default='a@sender.test', help='envelope sender')
    ap.add_argument('-t', default='user@relay.test', help='envelope recipient')
    ap.add_argument('--helo', default='latency.test')
    ap.add_argument('--timeout', type=float, default=60.0, help='idle seconds before a connection counts as failed')
    ap.add_argument('--deadline', type=float, default=600.0, help='give up after this many seconds')
    ap.add_argument('--json', action='store_true')
    ap.add_argument('host')
    ap.add_argument('port', type=int)
    a = ap.parse_args()
    if a.k < 1 or a.m < 1:
        ap.error('-k and -m must be positive')

    msg = body(a.l, a.f, a.t, 0)
    script = {  # state: (expected code, next command or None, next state)
        'banner': (b'220', b'EHLO ' + a.helo.encode() + b'\r\n', 'ehlo'),
        'ehlo': (b'250', b'MAIL FROM:<' + a.f.encode() + b'>\r\n', 'mail'),
        'mail': (b'250', b'RCPT TO:<' + a.t.encode() + b'>\r\n', 'rcpt'),
        'rcpt': (b'250', b'DATA\r\n', 'data'),
        'data': (b'354', None, 'eod'),            # body + "." sent specially
        'eod': (b'250', b'QUIT\r\n', 'quit'),
        'quit': (b'221', None, None),
    }
    sel = selectors.DefaultSelector()
    lat, conn_t, errors = [], [], {}
    started = done = 0
    conns = set()

    def err(c, why):
        errors[why] = errors.get(why, 0) + 1
        close(c)

    def close(c):
        nonlocal done
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        conns.discard(c)
        done += 1

    def start():
        nonlocal started
        c = Conn()
        c.seq = started
        started += 1
        c.sock = socket.socket(socket.AF_INET6 if ':' in a.host else socket.AF_INET, socket.SOCK_STREAM)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sock.setblocking(False)
        c.state, c.inbuf, c.outbuf = 'connect', b'', b''
        c.t_conn = c.last = time.perf_counter()
        conns.add(c)
        rc = c.sock.connect_ex((a.host, a.port))
        if rc not in (0, errno.EINPROGRESS):
            return err(c, 'connect: ' + errno.errorcode.get(rc, str(rc)))
        sel.register(c.sock, selectors.EVENT_WRITE, c)

    def send(c, data):
        c.outbuf += data
        flush(c)

    def flush(c):
        try:
            n = c.sock.send(c.outbuf)
        except BlockingIOError:
            n = 0
        except OSError as e:
            return err(c, 'send: ' + e.strerror)
        c.outbuf = c.outbuf[n:]
        sel.modify(c.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if c.outbuf else 0), c)

    def reply(c, now):
        # one complete reply = lines up to one whose 4th byte is a space
        while True:
            i = c.inbuf.find(b'\n')
            if i < 0:
                return
            line, c.inbuf = c.inbuf[:i + 1], c.inbuf[i + 1:]
            if len(line) >= 4 and line[3:4] == b'-':
                continue
            code = line[:3]
            want, cmd, nxt = script[c.state]
            if code != want:
                return err(c, '%s: %s' % (c.state, line.decode('latin-1').strip()[:60]))
            if c.state == 'eod':
                lat.append(now - c.t_eod)
            if nxt is None:
                return close(c)
            c.state = nxt
            if c.state == 'eod':
                c.t_eod = time.perf_counter()
                send(c, msg)
            else:
                send(c, cmd)
            if c not in conns:
                return

    t0 = time.perf_counter()
    limit = t0 + a.deadline
    while done < a.m:
        while started < a.m and len(conns) < a.k:
            start()
        now = time.perf_counter()
        if now > limit:
            errors['deadline'] = errors.get('deadline', 0) + (a.m - done)
            break
        for key, ev in sel.select(timeout=0.5):
            c = key.data
            now = time.perf_counter()
            c.last = now
            if c.state == 'connect':
                e = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e:
                    err(c, 'connect: ' + errno.errorcode.get(e, str(e)))
                    continue
                conn_t.append(now - c.t_conn)
                c.state = 'banner'
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            if ev & selectors.EVENT_WRITE and c.outbuf:
                flush(c)
                if c not in conns:
                    continue
            if ev & selectors.EVENT_READ:
                try:
                    d = c.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    err(c, 'recv: ' + e.strerror)
                    continue
                if not d:
                    err(c, 'closed in ' + c.state)
                    continue
                c.inbuf += d
                reply(c, now)
        now = time.perf_counter()
        for c in [c for c in conns if now - c.last > a.timeout]:
            err(c, 'timeout in ' + c.state)
    elapsed = time.perf_counter() - t0
    for c in list(conns):
        close(c)

    lat.sort()
    conn_t.sort()
    ms = lambda v: round(v * 1000.0, 3)
    res = {
        'clients': a.k, 'messages': a.m, 'ok': len(lat),
        'errors': sum(errors.values()), 'error_kinds': errors,
        'p50_ms': ms(pct(lat, 50)), 'p99_ms': ms(pct(lat, 99)),
        'mean_ms': ms(sum(lat) / len(lat)) if lat else float('nan'),
        'max_ms': ms(lat[-1]) if lat else float('nan'),
        'msgs_per_s': round(len(lat) / elapsed, 1) if elapsed > 0 else 0.0,
        'connect_p99_ms': ms(pct(conn_t, 99)),
        'connect_max_ms': ms(conn_t[-1]) if conn_t else float('nan'),
        'seconds': round(elapsed, 3),
    }
    if a.json:
        print(json.dumps(res, sort_keys=True))
    else:
        print('%d clients, %d/%d messages accepted in %.2f s: end-of-data->250 p50 %.2f ms, '
              'p99 %.2f ms, mean %.2f ms, max %.2f ms; %.0f msgs/s; connect p99 %.2f ms; errors %d %s'
              % (a.k, len(lat), a.m, elapsed, res['p50_ms'], res['p99_ms'], res['mean_ms'],
                 res['max_ms'], res['msgs_per_s'], res['connect_p99_ms'], res['errors'],
                 json.dumps(errors) if errors else ''))
    return 0 if len(lat) == a.m else 1


if __name__ == '__main__':
    sys.exit(main())
