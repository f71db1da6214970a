#!/usr/bin/python3
# Proves contract 4, rules 1-3, end to end: dcr-tcpd + dcr-smtpd +
# dcr-enqueue take mail from 8 concurrent smtplib clients, and every
# dcrouter process is killed with SIGKILL at a random moment; 5 rounds on
# the same queue, each restarting over what the last kill left. After each
# kill: every message whose DATA got "250 ... queued as ID" is in the
# queue under ID, byte for byte (Received header + the body with LF line
# endings), with an envelope naming its sender and recipients; every
# envelope in new/ is complete and belongs to a message a client sent
# (none half-written, none mixed up); a message refused with a 4xx/5xx
# reply is not there. Left over and allowed (doc/queue.md): messages in
# mess/ without an envelope, files in tmp/, both invisible to the runner.
# Rounds 1, 3 and 5 run the queue writer dcr-queued too (killed with the
# rest: its batches are cut at any step); rounds 2 and 4 run without it,
# over the stale socket the last kill left. Rounds 3 and 4 run the
# sessions pre-started (dcr-tcpd -P 4): a process serving one session
# after another is killed in the middle of one.
import os, random, re, select, shutil, signal, smtplib, socket, subprocess, sys
import tempfile, threading, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, os.path.join(here, '..', 'queue'))
from dcrtest import *
from queuetest import Queue

ROUNDS = 5
THREADS = 8
TOKEN = re.compile(rb'X-Token: (t[0-9]+-[0-9]+-[0-9]+)\r?\n')


class Rig(object):
    """dcr-tcpd + dcr-smtpd + dcr-enqueue in their own session, on a queue
    that outlives them."""

    def __init__(self, top):
        self.top = top
        self.queue = os.path.join(top, 'queue')
        self.conf = os.path.join(top, 'conf')
        os.mkdir(self.conf)
        with open(os.path.join(self.conf, 'routes'), 'w') as f:
            f.write('localhost maildir:/nowhere\nexample.test smtp:[127.0.0.1]:1\n')
        with open(os.path.join(self.conf, 'hostname'), 'w') as f:
            f.write('mx.dcrtest\n')
        os.mkdir(self.queue, 0o750)
        for d in ('tmp', 'mess', 'new', 'env'):
            os.mkdir(os.path.join(self.queue, d), 0o750)
        os.mkfifo(os.path.join(self.queue, 'trigger'), 0o600)
        self.proc = None
        self.log = open(os.path.join(top, 'log'), 'ab')

    def start(self, writer=False, prestart=False):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        self.port = s.getsockname()[1]
        s.close()
        r, w = os.pipe()
        argv = [bin_path('dcr-tcpd'), '-d', str(w)] + (['-v', '-P', '4'] if prestart else []) + ['127.0.0.1', str(self.port),
                bin_path('dcr-smtpd'), '-c', self.conf, '-S', os.path.join(self.queue, 'tmp'),
                bin_path('dcr-enqueue'), self.queue]
        if writer:
            # in the same session, so that the group kill takes it too
            argv = ['/bin/sh', '-c', '"$0" "$1" & shift; exec "$@"', bin_path('dcr-queued'), self.queue] + argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, pass_fds=(w,), start_new_session=True)
        os.close(w)
        ready = b''
        deadline = time.time() + 5
        while time.time() < deadline and b'\n' not in ready:
            if select.select([r], [], [], 0.1)[0]:
                c = os.read(r, 16)
                if not c:
                    break
                ready += c
        os.close(r)
        if b'\n' not in ready:
            raise RuntimeError('dcr-tcpd not ready')
        while writer and time.time() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as u:
                    u.connect(os.path.join(self.queue, 'submit'))
                break
            except OSError:
                time.sleep(0.02)
        else:
            if writer:
                raise RuntimeError('dcr-queued not listening')

    def ours(self):
        """Pids of the rig: its session, and any dcr-* naming our queue."""
        out = []
        sid = self.proc.pid if self.proc else -1
        for d in os.listdir('/proc'):
            if not d.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % d) as f:
                    st = f.read()
                with open('/proc/%s/cmdline' % d, 'rb') as f:
                    cmd = f.read()
            except OSError:
                continue
            fields = st[st.rindex(')') + 2:].split()
            if fields[0] == 'Z':
                continue   # dead already, waiting to be reaped
            if int(fields[3]) == sid or (b'dcr-' in cmd and self.top.encode() in cmd):
                out.append(int(d))
        return out

    def kill9(self):
        """SIGKILL the whole group at once, then anything of ours left.
        Returns how many processes there were."""
        if not self.proc:
            return 0
        n = len(self.ours())
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.time() + 5
        while time.time() < deadline:
            left = [p for p in self.ours() if p != os.getpid()]
            if not left:
                break
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        self.proc.wait()
        self.proc = None
        return n


def client(rig, tid, rnd, stop, records):
    """Send messages until stop; record (token, body, sender, rcpts, code, reply)."""
    seq = 0
    while not stop.is_set():
        try:
            s = smtplib.SMTP('127.0.0.1', rig.port, timeout=10)
            s.ehlo('client%d.dcrtest' % tid)
        except (OSError, smtplib.SMTPException):
            time.sleep(0.01)
            continue
        try:
            # a few messages per session, so that sessions end and begin
            # (and pre-started processes go from one to the next) under the kill
            for _ in range(rnd.randint(1, 5)):
                if stop.is_set():
                    break
                seq += 1
                token = 't%d-%d-%d' % (round_no[0], tid, seq)
                size = rnd.choice((100, 2000, 20000, 150000))
                lines = [b'Subject: durability %s' % token.encode(), b'X-Token: ' + token.encode(), b'']
                total = 0
                while total < size:
                    lines.append(rnd.choice((b'.leading dot', b'..two dots', b'', b'body ' * rnd.randint(1, 40))))
                    total += len(lines[-1]) + 2
                body = b'\r\n'.join(lines) + b'\r\n'
                sender = 's%d@localhost' % tid
                rcpts = ['r%d-%d@localhost' % (tid, i) for i in range(rnd.randint(1, 3))]
                rec = {'token': token, 'body': body, 'sender': sender, 'rcpts': rcpts,
                       'code': None, 'reply': b''}
                records.append(rec)
                s.mail(sender)
                for r in rcpts:
                    s.rcpt(r)
                code, reply = s.data(body)
                rec['code'], rec['reply'] = code, reply
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass


round_no = [0]


def verify(q, records, label):
    ids = q.ids()
    ok(q.check() == [], '%s: every envelope in new/ is complete with its message' % label)
    for p in q.check():
        diag(p)
    by_token = {r['token']: r for r in records}
    acked = [r for r in records if r['code'] == 250]
    missing = broken = 0
    for r in acked:
        m = re.search(rb'queued as ([0-9a-f]{23})', r['reply'])
        qid = m.group(1).decode() if m else None
        if qid not in ids:
            missing += 1
            diag('acked but missing: %s %r' % (r['token'], r['reply']))
            continue
        e = q.envelope(qid)
        mess = q.message(qid)
        want = r['body'].replace(b'\r\n', b'\n')
        head = mess[:len(mess) - len(want)]
        if (not mess.endswith(want) or not head.startswith(b'Received: ')
                or any(l and not l.startswith((b'Received: ', b' ', b'\t')) for l in head.split(b'\n'))
                or e['sender'] != r['sender'] or [x['addr'] for x in e['rcpts']] != r['rcpts']
                or any(x['state'] != 'pending' for x in e['rcpts'])):
            broken += 1
            diag('acked but wrong: %s' % qid)
    ok(acked and not missing and not broken,
       '%s: all %d acknowledged messages queued whole with their envelope (%d missing, %d wrong)'
       % (label, len(acked), missing, broken))
    strangers = refused_kept = 0
    queued_tokens = set()
    for qid in ids:
        m = TOKEN.search(q.message(qid))
        if m:
            queued_tokens.add(m.group(1).decode())
        r = by_token.get(m.group(1).decode()) if m else None
        if r is None:
            if not m or not m.group(1).startswith(b't%d-' % round_no[0]):
                continue   # an earlier round's message: checked then
            strangers += 1
        elif r['code'] is not None and r['code'] != 250:
            refused_kept += 1
    ok(not strangers and not refused_kept,
       '%s: every envelope belongs to a sent message; none refused with 4xx/5xx is queued' % label)
    unacked_kept = sum(1 for r in records if r['code'] is None and r['token'] in queued_tokens)
    note('%s: %d sent, %d acknowledged, %d in flight at the kill (%d of those committed anyway), '
         '%d orphan messages, %d tmp files' % (label, len(records), len(acked),
         sum(1 for r in records if r['code'] is None), unacked_kept, len(q.orphans()), len(q.files('tmp'))))


def main():
    top = tempfile.mkdtemp(prefix='dcr-kill9-')
    rig = Rig(top)
    rnd = random.Random(os.environ.get('DCR_SEED') or time.time())
    try:
        q = Queue(rig.queue)
        all_records = []
        for n in range(1, ROUNDS + 1):
            round_no[0] = n
            rig.start(writer=n % 2 == 1, prestart=n in (3, 4))
            stop = threading.Event()
            records = []
            threads = [threading.Thread(target=client, args=(rig, t, random.Random(rnd.random()), stop, records))
                       for t in range(THREADS)]
            for t in threads:
                t.start()
            deadline = time.time() + 20
            while time.time() < deadline and not any(r['code'] == 250 for r in list(records)):
                time.sleep(0.01)
            time.sleep(rnd.uniform(0.05, 1.2))
            killed = rig.kill9()
            stop.set()
            for t in threads:
                t.join(15)
            ok(not rig.ours(), 'round %d (%s%s): %d dcrouter processes killed with SIGKILL, none left'
               % (n, 'with dcr-queued' if n % 2 == 1 else 'without dcr-queued',
                  ', pre-started' if n in (3, 4) else '', killed))
            t0 = time.time()
            verify(q, records, 'round %d' % n)
            note('round %d: verified in %.1fs' % (n, time.time() - t0))
            all_records += records
        ok(sum(1 for r in all_records if r['code'] == 250) >= ROUNDS,
           'messages were acknowledged in the rounds (%d)' % sum(1 for r in all_records if r['code'] == 250))
        rig.start()
        s = smtplib.SMTP('127.0.0.1', rig.port, timeout=10)
        s.sendmail('after@localhost', ['x@localhost'], b'Subject: after\r\n\r\nstill works\r\n')
        s.quit()
        ok(q.check() == [], 'after the kills the gateway queues again on the same queue')
        rig.log.flush()
        with open(os.path.join(top, 'log'), 'rb') as f:
            log = f.read()
        ok(b'spool=writer' in log and b'spool=link' in log,
           'both ways were under the kills: messages committed by dcr-queued and by dcr-enqueue alone')
        ok(len(re.findall(rb'event=connect pid=(\d+) .*prestarted=1', log)) > len(set(re.findall(rb'event=connect pid=(\d+) .*prestarted=1', log))),
           'pre-started processes served more than one session each under the kills')
    finally:
        rig.kill9()
        rig.log.close()
        if os.environ.get('DCR_KEEP'):
            diag('kept ' + top)
        else:
            shutil.rmtree(top, ignore_errors=True)


run(main, timeout=240)
