#!/usr/bin/python3
# spawn.py - mean wall time to start a program and reap it: posix_spawn
# (vfork+exec in glibc), the program runs (here: to its usage error), waitpid.
# Stdin/stdout/stderr on /dev/null.  Prints "PROG mean_ms median_ms".
# usage: spawn.py COUNT PROG [ARG...]
import os, statistics, sys, time

n, argv = int(sys.argv[1]), sys.argv[2:]
null = os.open(os.devnull, os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
t = []
for _ in range(n):
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, {}, file_actions=acts)
    os.waitpid(pid, 0)
    t.append(time.perf_counter() - t0)
print('%s %.3f %.3f' % (os.path.basename(argv[0]), 1000 * sum(t) / n, 1000 * statistics.median(t)))
