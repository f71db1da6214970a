#!/usr/bin/python3
# dcr-footer on big messages: a 50 MB attachment beside a short text
# body (the body gets the footer, the attachment comes out
# byte-identical) and a 20 MB base64 text body (decoded, appended and
# encoded again on the fly), each with a flat peak memory.
import base64
import email
import email.policy
import hashlib
import os
import shutil
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from rwlib import run_file

MB = 1024 * 1024
FOOT = "-- \nACME Corp. - confidential.\n"


def main():
    d = tempfile.mkdtemp(prefix='dcr-footer-big-')
    try:
        t = os.path.join(d, 'footer')
        with open(t, 'w') as f:
            f.write(FOOT)
        src, out = os.path.join(d, 'msg'), os.path.join(d, 'out')

        # 50 MB of base64 attachment after a text body
        chunk = base64.encodebytes(os.urandom(57 * 18000))   # ~1.3 MB of 76-column lines
        h = hashlib.sha256()
        with open(src, 'wb') as f:
            f.write(b"From: a@example.com\nTo: b@example.net\nSubject: big\nMIME-Version: 1.0\n"
                    b"Content-Type: multipart/mixed; boundary=\"BIG\"\n\n--BIG\nContent-Type: text/plain\n\nsee attached\n"
                    b"--BIG\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
                    b"Content-Disposition: attachment; filename=big.bin\n\n")
            n = 0
            while n < 50 * MB:
                f.write(chunk)
                h.update(chunk)
                n += len(chunk)
            f.write(b"--BIG--\n")
        r = run_file(['dcr-footer', '-t', t], src, out)
        is_(r.rc, 0, '50 MB attachment: went through')
        diag('50 MB attachment: peak RSS %d KiB, %.2f s' % (r.maxrss_kb, r.secs))
        ok(r.maxrss_kb < 8 * 1024, 'peak memory %d KiB < 8 MiB' % r.maxrss_kb)
        with open(out, 'rb') as f:
            head = f.read(4096)
        ok(b"see attached\n" + FOOT.encode() + b"\n--BIG\n" in head, 'the text body got the footer')
        with open(out, 'rb') as f:
            data = f.read()
        s = data.index(b"filename=big.bin\n\n") + len(b"filename=big.bin\n\n")
        e = data.rindex(b"--BIG--")
        is_(hashlib.sha256(data[s:e]).hexdigest(), h.hexdigest(), 'the 50 MB attachment byte-identical')
        del data

        # 20 MB base64 text body: re-encoded as it streams
        line = b"The quick brown fox jumps over the lazy dog, 0123456789.\n"
        text = line * (20 * MB // len(line))
        with open(src, 'wb') as f:
            f.write(b"From: a@example.com\nSubject: b64\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                    b"Content-Transfer-Encoding: base64\n\n")
            f.write(base64.encodebytes(text))
        r = run_file(['dcr-footer', '-t', t], src, out)
        is_(r.rc, 0, '20 MB base64 body: went through')
        diag('20 MB base64 body: peak RSS %d KiB, %.2f s' % (r.maxrss_kb, r.secs))
        ok(r.maxrss_kb < 8 * 1024, 'peak memory %d KiB < 8 MiB' % r.maxrss_kb)
        with open(out, 'rb') as f:
            body = f.read().split(b'\n\n', 1)[1]
        ok(base64.b64decode(body) == text + FOOT.encode(), 'decoded: the 20 MB text then the footer')
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(main, timeout=300)
