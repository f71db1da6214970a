# ISC license.
"""What the benchmark reports (report.py, relay-report.py) share: reading
the files a run leaves in OUT, number format, and the grouping of the
results.csv rows by scenario and session count."""

import collections
import csv
import os
import statistics as st


class Out(object):
    def __init__(self, out):
        self.dir = out

    def path(self, name):
        return os.path.join(self.dir, name)

    def readf(self, name):
        try:
            with open(self.path(name), errors='replace') as f:
                return f.read()
        except OSError:
            return None


    def cpu_rows(self):
        """cpu.csv by (scenario, rep, sessions)"""
        out = {}
        if os.path.exists(self.path('cpu.csv')):
            with open(self.path('cpu.csv')) as f:
                for r in csv.DictReader(f):
                    out[(r['scenario'], r['rep'], r['sessions'])] = r
        return out


def fmt(v):
    return '{:,.0f}'.format(v)


def group_runs(rows, order):
    """(keys, groups, med, per_rep): rows grouped by (scenario, sessions),
    keys in report order (more sessions first, then `order`); the median
    msgs/s of each key; msgs/s by (sessions, rep) then scenario, for the
    paired ratios."""
    groups = collections.OrderedDict()
    for r in rows:
        groups.setdefault((r['scenario'], int(r['sessions'])), []).append(r)
    keys = sorted(groups, key=lambda k: (-k[1], order.index(k[0]) if k[0] in order else 9, k[0]))
    med = {}
    per_rep = collections.defaultdict(dict)
    for k in keys:
        v = [float(r['msgs_per_s']) for r in groups[k] if float(r['msgs_per_s']) > 0]
        for r in groups[k]:
            per_rep[(k[1], int(r['rep']))][k[0]] = float(r['msgs_per_s'])
        if v:
            med[k] = st.median(v)
    return keys, groups, med, per_rep
