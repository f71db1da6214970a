#!/usr/bin/python3
# A broken rules file at start: dcr-tcpd dies 100 naming file:line and
# what is wrong, before it listens. A file it cannot read: 111.
import os, re, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, like, run

# (file content, line, expected error)
BROKEN = [
    ('garbage allow\n', 1, 'bad address or prefix'),
    ('# ok\n\n1.2.3.4/33 allow\n', 3, 'bad address or prefix'),
    ('::/129 allow\n', 1, 'bad address or prefix'),
    ('01.2.3.4 allow\n', 1, 'bad address or prefix'),
    ('192.0.2.1/24 allow\n', 1, 'bits set after the prefix length'),
    ('192.0.2.0/24\n', 1, r'missing action \(allow or deny\)'),
    ('192.0.2.0/24 permit\n', 1, 'action is neither allow nor deny'),
    ('192.0.2.0/24 allow msg="x"\n', 1, 'msg= on an allow rule'),
    ('192.0.2.0/24 deny RELAYCLIENT=\n', 1, 'variables on a deny rule'),
    ('192.0.2.0/24 deny msg="a" msg="b"\n', 1, 'two msg='),
    ('192.0.2.0/24 deny msg=""\n', 1, 'msg must be 1 to 510 printable ASCII characters'),
    ('192.0.2.0/24 deny msg="%s"\n' % ('x' * 511), 1, 'msg must be'),
    ('192.0.2.0/24 deny msg="caf\xe9"\n', 1, 'msg must be'),
    ('192.0.2.0/24 allow 1VAR=x\n', 1, r'expected VAR=value, -VAR or msg='),
    ('192.0.2.0/24 allow VAR\n', 1, r'expected VAR=value'),
    ('192.0.2.0/24 allow -\n', 1, r'expected VAR=value'),
    ('192.0.2.0/24 allow A-B=x\n', 1, r'expected VAR=value'),
    ('192.0.2.0/24 allow V="unterminated\n', 1, 'unterminated quote'),
    ('192.0.2.0/24 allow V=a\x01b\n', 1, 'control character'),
    ('10.0.0.0/8 allow\n192.0.2.0/24 deny\n10.0.0.0/8 deny\n', 3, 'same prefix as line 1'),
    ('::ffff:10.0.0.0/104 allow\n10.0.0.0/8 deny\n', 2, 'same prefix as line 1'),
    ('192.0.2.0/24 allow V=%s\n' % ('x' * 5000), 1, 'line too long'),
]


def start(rules):
    p = subprocess.run([TCPD, '-r', rules, '127.0.0.1', '0', 'true'],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=5)
    return p.returncode, p.stderr.decode('latin-1')


def main():
    with TempDir() as d:
        for text, line, why in BROKEN:
            path = d.path('rules')
            with open(path, 'w', encoding='latin-1') as f:
                f.write(text)
            code, err = start(path)
            name = repr(text if len(text) < 50 else text[:47] + '...')
            is_(code, 100, name + ': exit 100')
            like(err, r'^dcr-tcpd: fatal: %s:%d: %s' % (re.escape(path), line, why), name + ': file:line and why')
        code, err = start(d.path('missing'))
        is_(code, 111, 'missing file: exit 111')
        like(err, r'dcr-tcpd: fatal: unable to read .*missing', 'missing file: named')
        path = d.write('rules', '127.0.0.1 allow\n')
        with open(path, 'a') as f:
            f.write('# x\n' * ((4 << 20) // 4 + 1))
        code, err = start(path)
        is_(code, 100, 'file over 4 MiB: exit 100')
        like(err, r'file larger than 4 MiB', 'file over 4 MiB: why')
        path = d.write('rules', '127.0.0.1 allow\r\n# crlf file\r\n\t192.0.2.0/24\tdeny\tmsg="554 no" # comment\r\n')
        with Tcpd(['-r', path], ENVPROG) as t:
            ok(t.proc.poll() is None, 'CRLF line ends, tabs and trailing comments are accepted')


run(main, timeout=60)
