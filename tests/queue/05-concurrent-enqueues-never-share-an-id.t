#!/usr/bin/python3
# Proves: many dcr-enqueue processes at once, half of them claiming the
# same DCR_ID, into an empty queue (all racing to make the directories):
# exactly one gets that id, every other one a fresh id, each message lands
# whole beside its own envelope, nothing is overwritten, tmp/ ends empty.
import os, shutil, subprocess, sys, tempfile
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *

N = 40
SAME = '0640a1f2b3c4d00123a0001'


def main():
    top = tempfile.mkdtemp(prefix='dcrq-')
    try:
        q = Queue(os.path.join(top, 'q'))
        os.mkdir(q.path, 0o750)
        procs = []
        for i in range(N):
            env = dict(BASE_ENV, SMTP_RECIPIENTS='rcpt%d@example.net' % i)
            if i % 2 == 0:
                env['DCR_ID'] = SAME
            body = ('Subject: %d\n\n' % i).encode() + (b'%d ' % i) * (1000 + 97 * i)
            f = tempfile.NamedTemporaryFile(dir=top)
            f.write(body)
            f.flush()
            f.seek(0)
            p = subprocess.Popen([ENQUEUE, q.path], stdin=f, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            procs.append((i, body, f, p))
        got = {}
        for i, body, f, p in procs:
            out, err = p.communicate(timeout=30)
            f.close()
            got[i] = (p.returncode, out.decode().strip(), body)
        is_(sorted(set(rc for rc, _, _ in got.values())), [0], 'all %d exit 0' % N)
        ids = [qid for _, qid, _ in got.values()]
        is_(len(set(ids)), N, '%d distinct ids' % N)
        is_(ids.count(SAME), 1, 'exactly one got the shared DCR_ID')
        is_(q.ids(), sorted(ids), 'new/ holds exactly those envelopes')
        good = 0
        for i, (rc, qid, body) in got.items():
            e = q.envelope(qid)
            if e['rcpts'][0]['addr'] == 'rcpt%d@example.net' % i and q.message(qid) == body:
                good += 1
        is_(good, N, 'each envelope beside its own message, whole')
        is_(q.check(), [], 'queue invariants hold')
        is_((q.orphans(), q.files('tmp')), ([], []), 'no orphan, tmp/ empty')
    finally:
        shutil.rmtree(top, ignore_errors=True)


run(main)
