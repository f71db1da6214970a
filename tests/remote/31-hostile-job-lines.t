#!/usr/bin/python3
# Proves: job lines that cannot be parsed are answered "ID<TAB>done" when
# they have an id, skipped otherwise, logged, and never disturb the next
# job: an empty line, a line without TABs, fewer than four fields, an
# empty id (a line without TAB is all id), a 2 MiB line, a NUL, a bracket left open, a last line
# without LF (ignored: it may be cut). A missing message file is T
# 4.3.0; a bad address is P 553 5.1.3 / 5.1.7 without being sent.
# stdout holds nothing but verdicts and done lines.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from remotelib import *
from dcrtest import *


def main():
    with TempDir() as td, FakeSMTP() as srv:
        m = td.write('m', b'Subject: t\n\nhello\n')
        jobs = (b'\n'
                + b'no tabs at all\n'
                + b'F1\tonly\ttwo\n'
                + b'\t' + m.encode() + b'\ta@x.test\tb@y.test\n'
                + b'BIG\t' + b'x' * (2 << 20) + b'\ta@x.test\tb@y.test\n'
                + b'NUL\t' + m.encode() + b'\ta@x.test\tb\x00@y.test\n'
                + b'BR\t' + m.encode() + b'\t<a@x.test\tb@y.test\n'
                + b'MISSING\t' + td.path('nope').encode() + b'\ta@x.test\tb@y.test\n'
                + b'BADADDR\t' + m.encode() + b'\ta@x.test\tnot an address\tok@y.test\t<@route:x@y.test>\n'
                + b'BADSENDER\t' + m.encode() + b'\tx@@y\tok@y.test\n'
                + b'GOOD\t' + m.encode() + b'\ta@x.test\tok@y.test\n'
                + b'CUT\t' + m.encode() + b'\ta@x.test\tcut@y.te')
        r = remote(srv.target, jobs, ['-T', '10'])
        is_(r.rc, 0, 'exit 0')
        ok(r.wellformed(), 'stdout: only verdict and done lines')
        is_(r.done(), ['no tabs at all', 'F1', 'BIG', 'NUL', 'BR', 'MISSING', 'BADADDR', 'BADSENDER', 'GOOD'],
            'a done line for each line with an id (the first field), in order')
        is_(r.verdicts('F1') + r.verdicts('BIG') + r.verdicts('NUL') + r.verdicts('BR'), [], 'no verdict for unparsable lines')
        v = r.verdicts('MISSING')
        like(v[0][3] if v else '', r'^451 4\.3\.0 cannot open the message file: No such file', 'missing file: T 4.3.0')
        is_([(x[1], x[2], x[3]) for x in r.verdicts('BADADDR')],
            [('not an address', 'P', '553 5.1.3 bad recipient address syntax'), ('ok@y.test', 'D', '250 2.0.0 Ok: queued as F1'),
             ('@route:x@y.test', 'P', '553 5.1.3 bad recipient address syntax')], 'bad recipients P, the good one delivered')
        is_([(x[2], x[3]) for x in r.verdicts('BADSENDER')], [('P', '553 5.1.7 bad sender address syntax')], 'bad sender: P 5.1.7')
        is_([x[2] for x in r.verdicts('GOOD')], ['D'], 'a good job after all that is delivered')
        ok(b'cut@' not in r.out, 'an unfinished last line is not a job')
        like(r.err, rb'event=bad-job why="job line too long"', 'a long line logged')
        like(r.err, rb'id=F1 event=bad-job why="fewer than four fields"', 'a short line logged with its id')
        is_(len(srv.messages), 2, 'two messages sent in all')
        is_([l for l in srv.commands('RCPT') if b'not an' in l or b'@route' in l], [], 'bad addresses never sent')


run(main, timeout=120)
