#!/usr/bin/python3
# dcr-mimecheck streams: a 50 MB base64 attachment goes through with the
# peak memory of the whole step (GNU time's %M over dcr-mimecheck and
# the cat it execs) far under the message size: passed on unchanged,
# tagged (a new file: header + copy), and a 49 MB zip (under zip-max) whose last entry
# is an .exe (decoded into a temporary file, its central directory read
# at the end) refused.
import base64
import hashlib
import io
import os
import shutil
import sys
import tempfile
import zipfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from rwlib import run_file

MB = 1024 * 1024
LIMIT_KB = 8 * 1024


def write_message(path, name, ctype, payload_writer):
    """a multipart/mixed: a text part, then one base64 attachment whose
    raw octets payload_writer(feed) produces"""
    with open(path, 'wb') as f:
        f.write(b'From: a@example.org\nTo: b@example.com\nSubject: big\nMIME-Version: 1.0\n'
                b'Content-Type: multipart/mixed; boundary="BIG"\n\n--BIG\nContent-Type: text/plain\n\nthe file is attached\n'
                b'--BIG\nContent-Type: ' + ctype + b'\nContent-Transfer-Encoding: base64\n'
                b'Content-Disposition: attachment; filename="' + name + b'"\n\n')
        pending = [b'']

        def feed(b):
            b = pending[0] + b
            cut = len(b) - len(b) % 57
            for i in range(0, cut, 57 * 1000):
                chunk = b[i:min(cut, i + 57 * 1000)]
                f.write(b''.join(base64.b64encode(chunk[j:j + 57]) + b'\n' for j in range(0, len(chunk), 57)))
            pending[0] = b[cut:]
        payload_writer(feed)
        if pending[0]:
            f.write(base64.b64encode(pending[0]) + b'\n')
        f.write(b'--BIG--\n')


def sha(path, skip=0):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        f.seek(skip)
        while True:
            b = f.read(MB)
            if not b:
                return h.hexdigest()
            h.update(b)


def main():
    d = tempfile.mkdtemp(prefix='dcr-mime-big-')
    try:
        rules = os.path.join(d, 'rules')
        with open(rules, 'w') as f:
            f.write('reject ext exe\nreject word "click here to win"\n')
        src, out = os.path.join(d, 'msg'), os.path.join(d, 'out')
        block = bytes(range(256)) * 4096

        def pdf(feed):
            for _ in range(50):
                feed(block)
        write_message(src, b'big.pdf', b'application/pdf', pdf)
        size = os.path.getsize(src)
        ok(size > 50 * MB, 'a message of %d MB with a 50 MB attachment' % (size // MB))
        r = run_file(['dcr-mimecheck', '-f', rules], src, out)
        is_(r.rc, 0, '  accepted')
        is_(sha(out), sha(src), '  passed on byte-identical')
        diag('peak RSS %d KiB, %.2f s (%.0f MB/s)' % (r.maxrss_kb, r.secs, size / MB / r.secs))
        ok(r.maxrss_kb < LIMIT_KB, '  peak memory %d KiB < 8 MiB' % r.maxrss_kb)

        with open(rules, 'a') as f:
            f.write('tag ext pdf\n')
        r = run_file(['dcr-mimecheck', '-f', rules], src, out)
        with open(out, 'rb') as f:
            first = f.readline()
        ok(r.rc == 0 and first == b'X-DCR-MIME: file type .pdf: big.pdf\n', 'tag ext pdf: tagged')
        is_(sha(out, len(first)), sha(src), '  the 50 MB message copied unchanged under the header')
        diag('peak RSS %d KiB, %.2f s' % (r.maxrss_kb, r.secs))
        ok(r.maxrss_kb < LIMIT_KB, '  peak memory %d KiB < 8 MiB' % r.maxrss_kb)

        def bigzip(feed):
            b = io.BytesIO()
            with zipfile.ZipFile(b, 'w', zipfile.ZIP_STORED) as z:
                z.writestr('data.bin', os.urandom(49 * MB))
                z.writestr('run.exe', b'MZ')
            feed(b.getvalue())
        write_message(src, b'data.zip', b'application/zip', bigzip)
        r = run_file(['dcr-mimecheck', '-f', rules], src, out)
        is_(r.rc, 100, 'a 49 MB zip with an .exe after 49 MB of data: refused')
        like(r.err, r'event=mime-reject id=test-id-1 reason=ext detail=exe name=data\.zip:run\.exe', '  logged')
        diag('peak RSS %d KiB, %.2f s' % (r.maxrss_kb, r.secs))
        ok(r.maxrss_kb < LIMIT_KB, '  peak memory %d KiB < 8 MiB (the zip is in a temporary file)' % r.maxrss_kb)
        ok(os.listdir(d) and not [n for n in os.listdir(d) if n.startswith('dcr-filter')], '  no temporary file left in TMPDIR')
    finally:
        shutil.rmtree(d, ignore_errors=True)


run(main, timeout=300)
