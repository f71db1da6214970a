#!/usr/bin/python3
# Proves: when the service is stopped (SIGTERM to dcr-tcpd, as s6-svc -d
# does), an idle session gets "421 4.3.2" at once, a message being sent
# is finished and queued (250), then its session gets 421; dcr-tcpd then
# exits 0 and nothing waits for a client's command timeout.
import os, signal, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from dcrtest import *


def main():
    with Gateway() as gw:
        idle = gw.raw()
        idle.cmd('EHLO idle.dcrtest')
        busy = gw.raw()
        busy.cmd('EHLO busy.dcrtest')
        busy.cmd('MAIL FROM:<a@localhost>')
        busy.cmd('RCPT TO:<b@localhost>')
        is_(busy.cmd('DATA')[0], 354, 'busy session is in DATA')
        busy.send(b'Subject: half\r\n\r\nfirst half\r\n')
        time.sleep(0.2)
        t0 = time.time()
        os.kill(gw.proc.pid, signal.SIGTERM)
        code, text = idle.reply(5)
        is_(code, 421, 'idle session: 421 at once')
        like(text, r'4\.3\.2', 'with 4.3.2')
        ok(idle.closed(), 'and closed')
        busy.send(b'second half\r\n.\r\n')
        code, text = busy.reply(5)
        is_(code, 250, 'the message in progress is finished and queued')
        qid = queued_id(text)
        ok(qid in gw.queued(), 'it is in the queue')
        is_(busy.reply(5)[0], 421, 'then that session gets 421 too')
        try:
            rc = gw.proc.wait(timeout=5)
        except Exception:
            rc = None
        is_(rc, 0, 'dcr-tcpd exits 0')
        ok(time.time() - t0 < 5, 'all within seconds, not a command timeout')
        idle.close(); busy.close()

    # a client that never waits idle (BDAT chunk after chunk, pipelined)
    # cannot hold the stop: its next command after SIGTERM gets 421
    with Gateway() as gw:
        c = gw.raw()
        c.cmd('EHLO flood.dcrtest')
        c.cmd('MAIL FROM:<a@localhost>')
        c.cmd('RCPT TO:<b@localhost>')
        c.send(b'BDAT 10\r\n12345')
        time.sleep(0.2)
        t0 = time.time()
        os.kill(gw.proc.pid, signal.SIGTERM)
        codes = []
        try:
            for i in range(50):
                c.send(b'67890BDAT 10\r\n12345')
                codes.append(c.reply(2)[0])
                if codes[-1] == 421:
                    break
                time.sleep(0.05)
        except Exception:
            pass
        ok(421 in codes, 'a BDAT flood gets 421 after SIGTERM (%r)' % codes[-3:])
        try:
            rc = gw.proc.wait(timeout=5)
        except Exception:
            rc = None
        is_(rc, 0, 'and dcr-tcpd exits 0 within seconds')
        c.close()


run(main, timeout=30)
