#!/usr/bin/python3
# Proves: dcr-enqueue commits a message into an empty QUEUEDIR (directories
# made on demand, 0750; files 0640), prints its id, writes an envelope with
# every field of contract 3, names an O_TMPFILE spool without copying it
# (same inode) and copies anything else (named file, pipe), leaves nothing
# in tmp/, honours DCR_ID unless taken, and pokes the trigger fifo with
# "ID\n" (no reader, or no fifo at all, is fine and does not block).
import os, shutil, stat, sys, tempfile, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from queuetest import *

MSG = b'Received: from client (127.0.0.1) by mx id X\nSubject: hi\n\nhello\n'


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def main():
    top = tempfile.mkdtemp(prefix='dcrq-')
    try:
        q = Queue(os.path.join(top, 'q'))
        os.mkdir(q.path, 0o750)

        # 1. an empty queue dir, a named file on stdin: copy path
        rc, out, err = enqueue(q.path, MSG, {
            'SMTP_SENDER': 'alice@example.com',
            'SMTP_RECIPIENTS': 'bob@example.net\n"john doe"@example.org\npostmaster',
            'SMTP_HELO': 'client.example.com', 'SMTP_PROTO': 'ESMTP',
            'TCPREMOTEIP': '::1', 'SMTP_AUTHUSER': 'alice', 'SMTP_BODY': '8bitmime',
            'SMTP_SMTPUTF8': '1', 'SMTP_DSN_RET': 'hdrs', 'SMTP_DSN_ENVID': 'QQ+id=1',
            'SMTP_DSN_NOTIFY': 'success,failure\n\nNEVER',
            'SMTP_DSN_ORCPT': 'rfc822;bob@orig.test\n\n', 'DCR_PRIORITY': '-3'})
        is_(rc, 0, 'exit 0')
        qid = out.strip()
        ok(out.endswith('\n') and len(out) == 24, 'stdout is the id and a newline: %r' % out)
        is_(q.ids(), [qid], 'its envelope is new/ID')
        is_(q.message(qid), MSG, 'mess/NN/ID holds the message byte for byte')
        for d in ('tmp', 'mess', 'new', os.path.join('mess', bucket(qid))):
            is_(mode(q.p(d)), 0o750, '%s/ made on demand, mode 0750' % d)
        is_(mode(q.message_path(qid)), 0o640, 'message mode 0640')
        is_(mode(q.p('new', qid)), 0o640, 'envelope mode 0640')
        is_(q.files('tmp'), [], 'nothing left in tmp/')
        e = q.envelope(qid)
        is_([e[k] for k in ('id', 'size', 'sender', 'helo', 'proto', 'ip', 'authuser', 'priority')],
            [qid, str(len(MSG)), 'alice@example.com', 'client.example.com', 'ESMTP', '::1', 'alice', '-3'],
            'envelope: id size sender helo proto ip authuser priority')
        is_([e.get('body'), e.get('smtputf8'), e.get('ret'), e.get('envid')],
            ['8BITMIME', '1', 'HDRS', 'QQ+id=1'], 'envelope: BODY SMTPUTF8 RET ENVID, upper-cased')
        ok(abs(int(e['arrival']) - time.time()) < 60, 'arrival is now')
        is_([(r['addr'], r['notify'], r['orcpt'], r['state'], r['tries'], r['next'], r['reply']) for r in e['rcpts']],
            [('bob@example.net', 'SUCCESS,FAILURE', 'rfc822;bob@orig.test', 'pending', 0, 0, ''),
             ('"john doe"@example.org', '', '', 'pending', 0, 0, ''),
             ('postmaster', 'NEVER', '', 'pending', 0, 0, '')],
            'recipients in order, NOTIFY and ORCPT aligned, all pending')
        like(err, r'^dcr-enqueue: event=queued id=%s size=%d rcpts=3 sender=alice@example.com spool=copy\n$' % (qid, len(MSG)),
             'one log line on stderr')
        is_(q.check(), [], 'queue invariants hold')

        # 2. an O_TMPFILE spool in tmp/: linked, not copied
        fd = spool(q.p('tmp'), MSG)
        rc, out, err = enqueue(q.path, stdin=fd)
        qid2 = out.strip()
        is_(rc, 0, 'O_TMPFILE spool: exit 0')
        like(err, 'spool=link', 'O_TMPFILE spool: linked')
        is_(os.fstat(fd).st_ino, os.stat(q.message_path(qid2)).st_ino, 'mess/NN/ID is the spool inode itself')
        is_(os.fstat(fd).st_nlink, 1, 'the spool now has one name')
        os.close(fd)
        is_(q.message(qid2), MSG, 'linked message complete')
        ok(qid2 > qid, 'ids sort by time')

        # 4. DCR_ID: used when valid and free; taken -> a new id, logged
        want = '0640a1f2b3c4d00123a0001'
        rc, out, err = enqueue(q.path, MSG, {'DCR_ID': want})
        is_(out.strip(), want, 'DCR_ID used as the queue id')
        rc, out, err = enqueue(q.path, MSG, {'DCR_ID': want})
        ok(rc == 0 and out.strip() != want, 'DCR_ID taken: exit 0 with a fresh id')
        like(err, 'dcrid=' + want, 'the log line names the original DCR_ID')
        rc, out, err = enqueue(q.path, MSG, {'DCR_ID': '../../etc/passwd'})
        ok(rc == 0 and len(out.strip()) == 23, 'invalid DCR_ID: a fresh id')

        # 5. trigger: a reader gets "ID\n"; no reader and no fifo are fine
        os.mkfifo(q.p('trigger'), 0o600)
        r = os.open(q.p('trigger'), os.O_RDONLY | os.O_NONBLOCK)
        rc, out, err = enqueue(q.path, MSG)
        is_(os.read(r, 100).decode(), out, 'trigger fifo got "ID\\n"')
        os.close(r)
        t = time.time()
        rc, out, err = enqueue(q.path, MSG, timeout=5)
        ok(rc == 0 and time.time() - t < 2, 'fifo without a reader: no wait, exit 0')
        os.unlink(q.p('trigger'))
        rc, out, err = enqueue(q.path, MSG)
        is_(rc, 0, 'no trigger fifo at all: exit 0')

        # 3. a pipe on stdin: copied
        rd, wr = os.pipe()
        os.write(wr, MSG)
        os.close(wr)
        rc, out, err = enqueue(q.path, stdin=rd)
        os.close(rd)
        ok(rc == 0 and q.message(out.strip()) == MSG, 'a pipe on stdin is copied')
        is_(q.check(), [], 'queue invariants hold at the end')
        is_(q.orphans(), [], 'no message without an envelope')
        is_(q.files('tmp'), [], 'tmp/ empty at the end')
    finally:
        shutil.rmtree(top, ignore_errors=True)


run(main)
