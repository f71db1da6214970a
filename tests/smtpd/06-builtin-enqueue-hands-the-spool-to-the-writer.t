#!/usr/bin/python3
# Proves: with dcr-queued on the queue and "dcr-enqueue QUEUE" as the
# whole chain, dcr-smtpd commits each message through the writer without
# running dcr-enqueue (its own event=queued line says spool=writer; no
# dcr-enqueue line), the 250 names the id the queue holds, and the
# message and envelope (sender, each recipient, DSN parameters, BODY)
# are what dcr-enqueue would have written; 20 sessions at once all land;
# -E runs dcr-enqueue, which still hands the message to the writer; with
# a filter in the chain the last exec'd dcr-enqueue does; without a
# writer dcr-enqueue links it itself; an envelope dcr-enqueue refuses
# (a bad DCR_PRIORITY) gets dcr-enqueue's own 550 5.5.0, not a writer's.
import os, re, sys, threading
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
sys.path.insert(0, os.path.join(here, '..', 'queue'))
from dcrtest import *
from queuetest import Queue

MSG = b'From: a@example.org\r\nSubject: built in\r\n\r\nhello\r\n'


def queued(gw):
    return re.findall(r'^(dcr-\w+): event=queued id=(\w+) .*spool=(\w+)', gw.log(), re.M)


def main():
    with Gateway(writer=True) as gw:
        s = gw.smtp()
        s.ehlo('client.example.org')
        s.mail('alice@example.org', ['BODY=8BITMIME', 'RET=HDRS', 'ENVID=env-1'])
        s.rcpt('bob@localhost', ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;bob@example.org'])
        s.rcpt('carol@localhost')
        code, text = s.data(MSG)
        s.quit()
        is_(code, 250, 'the writer took it: 250')
        m = re.search(r'queued as (\w+)', text.decode())
        qid = m.group(1) if m else ''
        is_(queued(gw), [('dcr-smtpd', qid, 'writer')], 'dcr-smtpd logged it queued, spool=writer, and no dcr-enqueue ran')
        q = Queue(gw.queue)
        is_(q.ids(), [qid], 'the queue holds that id')
        is_(q.check(), [], 'message and envelope agree')
        env = q.envelope_bytes(qid).decode()
        like(env, r'(?m)^sender\talice@example\.org$', 'the sender')
        like(env, r'(?m)^rcpt\tpending\t0\t0\tbob@localhost\tSUCCESS,FAILURE\trfc822;bob@example\.org\t', 'bob with NOTIFY and ORCPT')
        like(env, r'(?m)^rcpt\tpending\t0\t0\tcarol@localhost\t', 'carol')
        like(env, r'(?m)^body\t8BITMIME$', 'BODY=8BITMIME')
        like(env, r'(?m)^ret\tHDRS$', 'RET=HDRS')
        like(env, r'(?m)^envid\tenv-1$', 'ENVID')
        like(q.message(qid).decode(), r'^Received: from client\.example\.org .*\n(.*\n)*?\s.*id ' + qid + r'(.*\n)*Subject: built in\n\nhello\n$',
             'the message: the Received header with the id, then the message in internal form')

        results = []
        def one(i):
            results.append(send_message(gw, MSG, rcpts=('u%d@localhost' % i,)))
        ts = [threading.Thread(target=one, args=(i,)) for i in range(20)]
        [t.start() for t in ts]
        [t.join(60) for t in ts]
        is_(sorted(set(c for c, _ in results)), [250], '20 sessions at once: all 250')
        is_(len(q.ids()), 21, 'and all 21 are in the queue')
        is_(q.check(), [], 'whole')
        is_(set(x[2] for x in queued(gw)), {'writer'}, 'all through the writer')

    with Gateway(writer=True, smtpd_opts=['-E']) as gw:
        code, _ = send_message(gw, MSG)
        is_(code, 250, '-E: 250')
        is_([x[0] + ' ' + x[2] for x in queued(gw)], ['dcr-enqueue writer'], '-E: dcr-enqueue ran, and handed it to the writer')

    with Gateway(writer=True, filters=[[bin_path('dcr-header'), '-f', '/dev/null']]) as gw:
        code, _ = send_message(gw, MSG)
        is_(code, 250, 'a filter in the chain: 250')
        is_([x[0] + ' ' + x[2] for x in queued(gw)], ['dcr-enqueue writer'], 'the exec\'d dcr-enqueue handed it to the writer')

    with Gateway() as gw:
        code, _ = send_message(gw, MSG)
        is_(code, 250, 'no writer: 250')
        is_([x[0] + ' ' + x[2] for x in queued(gw)], ['dcr-enqueue link'], 'dcr-enqueue ran and linked it itself')

    with Gateway(writer=True, env={'DCR_PRIORITY': 'high'}) as gw:
        code, text = send_message(gw, MSG)
        is_(code, 550, 'a bad DCR_PRIORITY: 550, as dcr-enqueue says it')
        like(text, r'^5\.5\.0 bad envelope: bad DCR_PRIORITY', 'dcr-enqueue\'s own refusal')
        is_(Queue(gw.queue).ids(), [], 'nothing queued')


run(main, 120)
