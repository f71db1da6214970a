#!/usr/bin/python3
# dcr-mimecheck reads the central directory of zip attachments (decoded
# while streaming into a temporary file): an .exe inside a .zip is
# refused, also when the zip has an innocent name (found by its first
# octets), deflated or stored, in a folder, after prepended data (a
# self-extractor), encrypted (Info-ZIP zip -P). A zip of harmless files passes; "tag ext zip" tags the
# zip itself. A zip that cannot be read (not a zip, over zip-max) is
# logged, and follows the badzip rules: none (accepted), tag, reject.
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from mimelib import new, attach, check, zipped, raw, parse

RULES = "reject ext exe,scr\n"


def main():
    m = attach(new(), zipped(['readme.txt', 'setup.exe']), 'files.zip', 'application', 'zip')
    r = check(RULES, m)
    is_(r.rc, 100, '.exe inside files.zip: refused')
    is_(r.out, '5.7.1 attachment "files.zip" refused: it holds "setup.exe", files of type .exe are not accepted\n', '  the reply names the zip and the file')
    like(r.err, r'event=mime-reject id=test-id-1 reason=ext detail=exe name=files\.zip:setup\.exe', '  logged')

    m = attach(new(), zipped(['docs/a.txt', 'docs/Invoice.pdf.SCR'], zipfile.ZIP_STORED), 'report.pdf')
    r = check(RULES, m)
    is_(r.rc, 100, 'a stored zip named report.pdf holding docs/Invoice.pdf.SCR: refused')
    like(r.out, r'it holds "docs/Invoice\.pdf\.SCR", files of type \.scr', '  found by its first octets, not its name')

    r = check(RULES, attach(new(), zipped(['a.txt', 'b.exe'], comment=b'PK\x05\x06 not the end ' * 50), 'c.zip'))
    like(r.out, r'it holds "b\.exe"', 'a zip with a 1,200-octet comment holding a false signature: refused')

    sfx = b'MZ-stub' * 100 + zipped(['x.exe'])
    m = attach(new(), sfx, 'archive.zip')
    r = check(RULES, m)
    is_(r.rc, 100, 'a zip after 700 octets of prepended data, named .zip: refused')

    if shutil.which('zip'):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'payload.exe'), 'wb') as f:
                f.write(b'MZ' * 50)
            subprocess.run(['zip', '-q', '-j', '-P', 'secret', os.path.join(d, 'enc.zip'), os.path.join(d, 'payload.exe')], check=True)
            with open(os.path.join(d, 'enc.zip'), 'rb') as f:
                enc = f.read()
        ok(enc[6] & 1, 'an encrypted zip built by Info-ZIP zip -P')
        r = check(RULES, attach(new(), enc, 'locked.zip'))
        like(r.out, r'^5\.7\.1 attachment "locked\.zip" refused: it holds "payload\.exe"', '  its names are read all the same: refused')
    else:
        skip('zip(1) not installed', 2)

    m = attach(new(), zipped(['a.txt', 'b/c.pdf', 'b/']), 'ok.zip')
    r = check(RULES, m)
    is_(r.rc, 0, 'a zip of harmless files: accepted')
    is_(r.message, raw(m), '  unchanged')

    r = check(RULES + "tag ext zip\n", m)
    is_(r.rc, 0, 'tag ext zip: accepted')
    ok(r.message is not None and r.message.startswith(b'X-DCR-MIME: file type .zip: ok.zip\n'), '  with X-DCR-MIME: file type .zip: ok.zip on top')
    ok(r.message is not None and r.message.split(b'\n', 1)[1] == raw(m), '  then the message unchanged')
    like(r.err, r'event=mime-tag id=test-id-1 reason=ext detail=zip name=ok\.zip rule=2', '  logged as mime-tag')

    bad = attach(new(), b'PK\x03\x04 this is not really a zip archive' * 10, 'broken.zip')
    r = check(RULES, bad)
    is_(r.rc, 0, 'an unreadable zip without a badzip rule: accepted')
    like(r.err, r'event=mime-badzip id=test-id-1 name=broken\.zip detail="no end of central directory record"', '  logged as mime-badzip')
    r = check(RULES + "tag badzip\n", bad)
    ok(r.rc == 0 and r.message.startswith(b'X-DCR-MIME: unreadable zip archive broken.zip (no end of central directory record)\n'), 'tag badzip: tagged')
    r = check(RULES + 'reject badzip "archives we cannot read are not accepted"\n', bad)
    is_((r.rc, r.out), (100, '5.7.1 archives we cannot read are not accepted\n'), 'reject badzip with its own message')

    big = attach(new(), zipped(['a.txt', 'z.exe']), 'z.zip')
    r = check(RULES + "set zip-max 100\n", big)
    is_(r.rc, 0, 'a zip over zip-max is not read (accepted without a badzip rule)')
    like(r.err, r'event=mime-badzip .*detail="larger than zip-max"', '  logged')
    r = check(RULES + "set zip-max 100\nreject badzip\n", big)
    like(r.out, r'^5\.7\.1 attachment "z\.zip" refused: a zip archive that cannot be read \(larger than zip-max\)', '  refused with reject badzip')

    r = check("remove ext exe\n", attach(attach(new(), zipped(['x.exe']), 'x.zip'), b'%PDF', 'keep.pdf'))
    is_(r.rc, 0, 'remove ext exe: an .exe in a zip removes the zip')
    p = parse(r.message) if r.message else None
    names = [q.get_filename() for q in p.iter_attachments()] if p else []
    is_(names, [None, 'keep.pdf'], '  the zip replaced by a text part, keep.pdf kept')


run(main)
