#!/usr/bin/python3
# filters-cpu.py - CPU (user+sys) of one filter run, measured directly:
# posix_spawn "FILTER ARGS /bin/true" with the message on stdin, wait4 ->
# the child's rusage (the filter and the /bin/true it execs: one process),
# minus the same for "/bin/true" alone. Cases run interleaved, ROUNDS
# rounds of RUNS/ROUNDS each; the per-round means give the median.
#
# usage: filters-cpu.py MSGFILE RUNS ROUNDS TMPDIR NAME=CMD [NAME=CMD...]
#   CMD is a command line (split on blanks), run with /bin/true appended;
#   NAME "true" must be one of them: the baseline (its CMD is empty).
# Prints one JSON line per case: name, size, runs, cpu_ms (median of
# rounds, per run), mean_ms, min/max round, net_ms (cpu_ms - true's).
import json, os, statistics, sys

msg, runs, rounds, tmpdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cases = []
for a in sys.argv[5:]:
    name, _, cmd = a.partition('=')
    cases.append((name, cmd.split() + ['/bin/true']))
env = {'PATH': '/usr/bin:/bin', 'TMPDIR': tmpdir, 'DCR_ID': '0123456789abcdef0123456',
       'SMTP_SENDER': 'a@bench.test', 'SMTP_RECIPIENTS': 'user@relay.test', 'SMTP_HELO': 'bench',
       'SMTP_AUTHUSER': '', 'TCPREMOTEIP': '127.0.0.1', 'SMTP_PROTO': 'ESMTP'}
null = os.open(os.devnull, os.O_RDWR)
per = max(1, runs // rounds)
acc = {name: [] for name, _ in cases}


def one(argv):
    acts = [(os.POSIX_SPAWN_OPEN, 0, msg, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=acts)
    _, status, ru = os.wait4(pid, 0)
    if status:
        sys.exit('filters-cpu: %s exited with status %d' % (' '.join(argv), status))
    return ru.ru_utime + ru.ru_stime


for name, argv in cases:     # warm the page cache and check each case runs
    one(argv)
for _ in range(rounds):
    for name, argv in cases:
        acc[name].append(sum(one(argv) for _ in range(per)) * 1000 / per)
base = statistics.median(acc['true'])
size = os.path.getsize(msg)
for name, _ in cases:
    r = acc[name]
    med = statistics.median(r)
    print(json.dumps({'kind': 'micro', 'name': name, 'size': size, 'runs': per * rounds,
                      'cpu_ms': round(med, 4), 'mean_ms': round(statistics.mean(r), 4),
                      'min_round_ms': round(min(r), 4), 'max_round_ms': round(max(r), 4),
                      'net_ms': round(med - base, 4)}))
