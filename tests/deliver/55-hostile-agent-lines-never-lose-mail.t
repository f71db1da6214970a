#!/usr/bin/python3
# Proves: whatever an agent writes or does, the runner stays up and loses
# nothing: garbage lines, a verdict for another id, a bad code, a reply
# without its digits, a line of 1 MB, "done" before the verdicts, a crash
# in the middle of a job, silence past job-timeout: each recipient left
# without a proper verdict is deferred (T), never marked delivered, and
# delivered later when the agent behaves. The agent here is a script
# (dcr-qrun --remote), chosen by the recipient's local part.
import os, re, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

AGENT = r'''#!/usr/bin/python3
import sys, os, time
good = os.path.exists(sys.argv[-2] if len(sys.argv) > 2 else '/nonexistent')
flag = os.environ['AGENT_FLAG']
for line in sys.stdin:
    f = line.rstrip('\n').split('\t')
    qid, rcpts = f[0], f[3:]
    out = sys.stdout
    for r in rcpts:
        local = r.split('@')[0]
        if os.path.exists(flag):
            out.write('%s\t%s\tD\t250 2.0.0 fine now\n' % (qid, r))
        elif local == 'garbage':
            out.write('hello world\n\x01\x02\n%s\n' % ('x' * 10))
        elif local == 'otherid':
            out.write('00000000000000000000000\t%s\tD\t250 2.0.0 not yours\n' % r)
        elif local == 'badcode':
            out.write('%s\t%s\tX\t250 2.0.0 what\n' % (qid, r))
        elif local == 'nodigits':
            out.write('%s\t%s\tD\tok then\n' % (qid, r))
        elif local == 'huge':
            out.write('%s\t%s\tD\t250 %s\n' % (qid, r, 'y' * (1 << 20)))
            out.flush()
            sys.exit(0)
        elif local == 'early':
            pass
        elif local == 'crash':
            out.flush()
            os._exit(3)
        elif local == 'silent':
            out.flush()
            time.sleep(60)
    out.write('%s\tdone\n' % qid)
    out.flush()
'''

CASES = ['garbage', 'otherid', 'badcode', 'nodigits', 'huge', 'early', 'crash', 'silent']


def main():
    with Relay('h.test smtp:[127.0.0.1]:9\n', qrun=False, conf={'job-timeout': '3', 'retry-base': '2', 'retry-max': '2'}) as gw:
        agent = gw.path('agent.py')
        with open(agent, 'w') as f:
            f.write(AGENT)
        os.chmod(agent, 0o755)
        flag = gw.path('behave')
        gw.qrun_env = {'AGENT_FLAG': flag}
        gw.qrun_args = ['--remote', agent]
        gw.start_qrun()
        ids = {c: gw.send('a@src.test', ['%s@h.test' % c], b'Subject: h\r\n\r\nx\r\n') for c in CASES}
        for c in CASES:
            ok(wait(lambda: 'rcpt\tpending\t1\t' in (gw.envelope(ids[c]) or ''), 15), '%s: deferred, one try counted' % c)
        log = gw.qlog()
        for c in CASES:
            ok(not re.search(r'event=delivered id=%s' % ids[c], log), '%s: never taken as delivered' % c)
        ok(gw.qproc.poll() is None, 'the runner is still up')
        like(log, r'event=agent-protocol .*error="(malformed verdict line|verdict for another id)"', 'protocol errors logged')
        open(flag, 'w').close()
        ok(wait(lambda: not gw.queued(), 20), 'all delivered once the agent behaves')
        for c in CASES:
            like(gw.qlog(), r'event=delivered id=%s rcpt=%s@h.test tries=[1-9]\d* reply="250 2.0.0 fine now"' % (ids[c], c), '%s: delivered on a retry' % c)


run(main, timeout=120)
