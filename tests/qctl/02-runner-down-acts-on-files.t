#!/usr/bin/python3
# Proves: with dcr-qrun down (the lock free), dcr-qctl does the command on
# the queue files itself: retry sets next to 0 for pending recipients only
# (one id, @domain, all), hold and release set and clear "hold 1",
# delete removes the envelope then the message, pause and resume rewrite
# QUEUEDIR/paused ("*" for the whole queue); each rewrite is atomic, keeps
# every other field, leaves mode 0640 and nothing in tmp/; bounce is
# refused (exit 111: the runner writes DSNs); reload says there is
# nothing to reload (exit 0). dcr-qctl takes the lock while it works: a
# runner starting meanwhile waits.
import fcntl, os, stat, subprocess, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, here)
from dcrtest import *
from qctltest import *

DOWN = ' (dcr-qrun is not running: done on the queue files)\n'


def env_of(q, qid, new=False):
    with open(env_path(q, qid, new), 'rb') as f:
        return parse_envelope(f.read())


def main():
    q = QueueDir()
    try:
        now = int(time.time())
        a = make_id(now - 100, 1)
        b = make_id(now - 90, 2)
        later = now + 3600
        write_envelope(q, a, [('pending', 2, later, 'bob@example.net', '451 4.7.1 later'),
                              ('delivered', 1, 0, 'carol@example.org', '250 ok'),
                              ('pending', 1, later, 'dan@Example.ORG', '421 busy')],
                       extra=(('helo', 'h.example'), ('envid', 'E1')), priority=-7)
        write_envelope(q, b, [('pending', 1, later, 'eve@example.org'),
                              ('failed', 1, 0, 'f@example.net', '550 no')])
        rc, out, err = enqueue(q.path, b'Subject: n\n\nx\n', {'SMTP_RECIPIENTS': 'new@example.com'})
        c = out.strip()
        before_a = env_of(q, a)

        # retry ID
        rc, out, err = qctl(q, 'retry', a)
        is_((rc, out, err), (0, 'dcr-qctl: set to retry at once %s%s' % (a, DOWN), ''), 'retry ID: exit 0, says what it did')
        e = env_of(q, a)
        is_([r['next'] for r in e['rcpts']], [0, 0, 0], 'retry ID: next 0 for the pending recipients')
        is_([(r['state'], r['tries'], r['reply']) for r in e['rcpts']],
            [(r['state'], r['tries'], r['reply']) for r in before_a['rcpts']], 'retry ID: states, tries and replies kept')
        is_({k: v for k, v in e.items() if k != 'rcpts'}, {k: v for k, v in before_a.items() if k != 'rcpts'},
            'retry ID: every other field kept')
        is_(stat.S_IMODE(os.stat(env_path(q, a)).st_mode), 0o640, 'rewritten envelope is mode 0640')
        is_(os.listdir(q.p('tmp')), [], 'nothing left in tmp/')
        ok(os.path.exists(q.p('lock')), 'the lock file was made')

        # retry @DOMAIN, then all
        rc, out, err = qctl(q, 'retry', '@EXAMPLE.org')
        is_(out, 'dcr-qctl: 2 pending recipient(s) at example.org in 2 message(s) set to retry at once' + DOWN,
            'retry @DOMAIN: counts what matched')
        e = env_of(q, b)
        is_([(r['state'], r['next']) for r in e['rcpts']], [('pending', 0), ('failed', 0)],
            'retry @DOMAIN: the pending recipient at that domain, not the failed one')
        write_envelope(q, b, [('pending', 1, later, 'eve@example.org'), ('pending', 1, later, 'g@example.net')])
        rc, out, err = qctl(q, 'retry', '@example.net')
        is_([r['next'] for r in env_of(q, b)['rcpts']], [later, 0], 'retry @DOMAIN: other domains untouched')
        rc, out, err = qctl(q, 'retry', 'all')
        is_(rc, 0, 'retry all: exit 0')
        like(out, r'^dcr-qctl: 5 pending recipient\(s\) in 3 message\(s\) set to retry at once', 'retry all: every pending recipient')
        is_([r['next'] for r in env_of(q, b)['rcpts']], [0, 0], 'retry all: done')
        rc, out, err = qctl(q, 'retry', '*')
        is_(rc, 0, 'retry "*" is retry all')
        write_envelope(q, b, [('delivered', 1, 0, 'eve@example.org'), ('failed', 1, 0, 'g@example.net')])
        rc, out, err = qctl(q, 'retry', b)
        is_((rc, out), (0, 'dcr-qctl: %s has no pending recipient: nothing to retry\n' % b), 'retry of a message with nothing pending')

        # hold, release
        env_of_before_hold = env_of(q, a)['rcpts']
        rc, out, err = qctl(q, 'hold', a)
        is_((rc, out), (0, 'dcr-qctl: held %s%s' % (a, DOWN)), 'hold: exit 0')
        e = env_of(q, a)
        is_(e.get('hold'), '1', 'hold: "hold 1" in the envelope')
        is_(e['rcpts'], env_of_before_hold, 'hold: recipients kept')
        rc, out, err = qctl(q, 'list', '--ids', '--state', 'held')
        is_(out, a + '\n', 'hold: list --state held shows it')
        rc, out, err = qctl(q, 'hold', a)
        is_((rc, out), (0, 'dcr-qctl: %s is already held\n' % a), 'hold twice: said, exit 0')
        rc, out, err = qctl(q, 'release', a)
        is_((rc, out), (0, 'dcr-qctl: released %s%s' % (a, DOWN)), 'release: exit 0')
        is_(env_of(q, a).get('hold'), None, 'release: no hold line any more')
        rc, out, err = qctl(q, 'release', a)
        is_((rc, out), (0, 'dcr-qctl: %s is not held\n' % a), 'release of a message not held: said, exit 0')
        rc, out, err = qctl(q, 'hold', c)
        with open(env_path(q, c, new=True), 'rb') as f:
            ok(rc == 0 and b'\nhold\t1\n' in f.read(), 'hold works on a message still in new/')

        # pause, resume
        rc, out, err = qctl(q, 'pause', 'Example.NET')
        is_((rc, out), (0, 'dcr-qctl: paused example.net' + DOWN), 'pause DOMAIN: exit 0, lower-cased')
        rc, out, err = qctl(q, 'pause')
        is_(out, 'dcr-qctl: paused the whole queue' + DOWN, 'pause: the whole queue')
        rc, out, err = qctl(q, 'pause', 'example.net')
        is_(out, 'dcr-qctl: example.net is already paused\n', 'pause twice: said')
        is_(q.read('paused'), b'example.net\n*\n', 'paused: one line per domain, * for the whole queue')
        is_(stat.S_IMODE(os.stat(q.p('paused')).st_mode), 0o640, 'paused is mode 0640')
        rc, out, err = qctl(q, 'resume')
        is_(out, 'dcr-qctl: resumed the whole queue' + DOWN, 'resume: the whole queue')
        is_(q.read('paused'), b'example.net\n', 'resume: * removed, the domain stays')
        rc, out, err = qctl(q, 'resume', 'example.org')
        is_((rc, out), (0, 'dcr-qctl: example.org is not paused\n'), 'resume of a domain not paused: said, exit 0')
        rc, out, err = qctl(q, 'resume', 'example.net')
        is_(q.read('paused'), b'', 'resume DOMAIN: removed')
        with open(q.p('paused'), 'w') as f:
            f.write('# by hand\nexample.com\n  bad domain!\n')
        rc, out, err = qctl(q, 'pause', 'example.org')
        ok(rc == 0 and 'not domains' in err, 'a hand-edited paused file: bad lines warned about')
        is_(q.read('paused'), b'example.com\nexample.org\n', 'and dropped when it is rewritten')
        for bad in ('a b', 'x/y', 'a@b', ''):
            rc, out, err = qctl(q, 'pause', bad)
            ok(rc == 100 and 'not a domain' in err, 'pause %r: not a domain, exit 100' % bad)
        is_(os.listdir(q.p('tmp')), [], 'nothing left in tmp/')

        # bounce: needs the runner
        rc, out, err = qctl(q, 'bounce', a)
        ok(rc == 111 and 'bounce needs dcr-qrun' in err and out == '', 'bounce with the runner down: refused, exit 111')
        ok(os.path.exists(env_path(q, a)), 'bounce refused: the message stays')

        # reload: nothing to do
        rc, out, err = qctl(q, 'reload')
        is_((rc, out), (0, 'dcr-qctl: dcr-qrun is not running: nothing to reload (it reads its configuration when it starts)\n'),
            'reload with the runner down: exit 0, says so')

        # delete: the envelope, then the message
        mess = q.p('mess', bucket(a), a)
        rc, out, err = subprocess.run(['strace', '-f', '-e', 'trace=unlink,unlinkat,fsync', '-o', q.p('..', 'trace'),
                                       QCTL, '-q', q.path, 'delete', a], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE).returncode, None, None
        is_(rc, 0, 'delete: exit 0')
        ok(not os.path.exists(env_path(q, a)) and not os.path.exists(mess), 'delete: envelope and message gone')
        with open(q.p('..', 'trace')) as f:
            calls = [l.split('(')[0].split()[-1] + ' ' + (l.split('"')[1] if '"' in l else '')
                     for l in f if 'unlink' in l or 'fsync' in l]
        calls = [x.strip() for x in calls]
        env_rel = 'env/%s/%s' % (bucket(a), a)
        mess_rel = 'mess/%s/%s' % (bucket(a), a)
        ie = next((i for i, x in enumerate(calls) if x.endswith(env_rel)), None)
        im = next((i for i, x in enumerate(calls) if x.endswith(mess_rel)), None)
        ok(ie is not None and im is not None and ie < im and any(x.startswith('fsync') for x in calls[ie:im]),
           'delete: unlink of the envelope, an fsync, then unlink of the message: %r' % calls)
        rc, out, err = qctl(q, 'delete', c)
        ok(rc == 0 and not os.path.exists(env_path(q, c, new=True)), 'delete works on a message in new/')
        rc, out, err = qctl(q, 'delete', a)
        is_((rc, err), (100, 'dcr-qctl: unknown queue id: %s\n' % a), 'delete twice: unknown queue id, exit 100')

        # while dcr-qctl works, it holds the lock: a runner would wait
        fd = os.open(q.p('lock'), os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            ok(True, 'the lock is free again once dcr-qctl has exited')
        except OSError as e:
            ok(False, 'the lock is free again once dcr-qctl has exited (%s)' % e)
        os.close(fd)
        p = subprocess.Popen(['strace', '-f', '-e', 'inject=rename:delay_enter=1500000', '-o', '/dev/null',
                              QCTL, '-q', q.path, 'hold', b], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.8)
        fd = os.open(q.p('lock'), os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = False
        except OSError:
            held = True
        os.close(fd)
        p.wait(timeout=10)
        ok(held, 'while it rewrites an envelope, dcr-qctl holds the lock (a runner starting waits)')
    finally:
        q.cleanup()


run(main)
