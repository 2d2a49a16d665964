#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""What listing a big host costs selfballoon-dom0 (a benchmark, not a test:
figures, not pass/fail).

    tests/bench/bench-dom0.py [BUILDDIR] [GUESTS] [RUNS]

Starts the real xenstored through tests/integration/xsharness.py (no Xen
needed: BUILDDIR's xsshim and xsbridge), lays out GUESTS (default 500)
domains as libxl does, each with a daemon's full data/selfballoon/ (one in
ten stalled, one in fifty silent, one hostile), and runs
BUILDDIR/src/dom0/selfballoon-dom0 RUNS times (default 5) for the table and
as many for --json, interleaved. Prints each run's wall time and the
median. xenstored runs without its -T trace while timed (the trace costs
more than the listing); the requests per listing are counted in a second
xenstored, traced, with the same fleet.
"""

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
from xsharness import XenstoreHarness  # noqa: E402


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'build')
    guests = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    view = os.path.join(build, 'src', 'dom0', 'selfballoon-dom0')
    os.environ.setdefault('XSSHIM', os.path.join(build, 'tests', 'integration', 'libxsshim.so'))
    os.environ.setdefault('XSBRIDGE', os.path.join(build, 'tests', 'integration', 'xsbridge'))

    def populate(xs):
        now = int(time.time())
        for domid in range(1, guests + 1):
            dom = xs.setup_domain(domid, static_max_kb=1048576, target_kb=524288,
                                  name=f'guest{domid}')
            keys = {'target_kb': '262144', 'goal_kb': '250000', 'floor_kb': '131072',
                    'backend': 'xenstore', 'status': 'running', 'policy': 'seed',
                    'heartbeat': str(now - domid % 60)}
            if domid % 10 == 0:
                keys['status'] = 'stalled'
            if domid % 50 == 0:
                keys['heartbeat'] = str(now - 1000)
            if domid == 13:
                keys['status'] = '\x1b[2J' * 30
            for k, v in keys.items():
                xs.write(f'{dom}/data/selfballoon/{k}', v)

    def run(xs, args):
        t = time.monotonic()
        p = subprocess.run([view, *args], env=xs.env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        wall = time.monotonic() - t
        if p.returncode not in (0, 3, 4, 5):
            sys.exit(f'selfballoon-dom0 failed ({p.returncode}): {p.stderr.decode()}')
        return wall, p.returncode, len(p.stdout)

    with XenstoreHarness(trace=True) as xs:
        populate(xs)
        before = len(xs.trace_requests())
        run(xs, [])
        requests = (len(xs.trace_requests()) - before) // 2  # an IN and an OUT line each

    with XenstoreHarness(trace=False) as xs:
        t0 = time.monotonic()
        populate(xs)
        setup_s = time.monotonic() - t0
        run(xs, [])  # warm-up
        table, js = [], []
        for _ in range(runs):
            table.append(run(xs, []))
            js.append(run(xs, ['--json']))

    print(f'{guests} guests (set up in {setup_s:.1f} s), {runs} runs each, '
          f'{requests} xenstore requests per listing')
    for name, res in (('table', table), ('--json', js)):
        walls = [w for w, _, _ in res]
        print(f'{name:7s} wall ms: ' + ' '.join(f'{w * 1000:.0f}' for w in walls) +
              f'  median {statistics.median(walls) * 1000:.0f} ms'
              f'  (exit {res[0][1]}, {res[0][2]} bytes out)')


if __name__ == '__main__':
    main()
