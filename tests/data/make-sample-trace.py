#!/usr/bin/env python3
"""Generates tests/data/sample-trace.csv: a 2 GiB PV domU that idles, builds
software for ten minutes, then idles again, with the balloon following the
daemon's decisions.

The loop is closed through the real program: it drives
`selfballoond --replay -` one line at a time (the replay flushes each
decision), and lets the next observation depend on the last target, as a
balloon that reaches its target within one 5 s tick would.

Usage: make-sample-trace.py SELFBALLOOND > sample-trace.csv
"""
import random
import subprocess
import sys

MAX_KB = 2097152            # memory/static-max: 2 GiB
KERNEL_KB = 90112           # what the guest kernel keeps out of MemTotal
TOTALRESERVE_KB = 11480     # from a 2 GiB guest's zoneinfo: high watermarks + lowmem_reserve
INTERVAL = 5
HEADER = "t_s,mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb"


def committed_as_kb(t, rnd):
    """Idle ~180 MB; a build from t=300 s to t=900 s: compilers come and go,
    a link step peaks near 1.4 GB; then idle again."""
    idle = 180000 + rnd.randint(-3000, 3000)
    if t < 300 or t >= 900:
        return idle
    ramp = min(1.0, (t - 300) / 60.0)
    jobs = 700000 * ramp + rnd.randint(-150000, 150000)
    link = 500000 if 780 <= t < 840 else 0
    return int(idle + max(0, jobs) + link)


def main():
    rnd = random.Random(2013)
    daemon = subprocess.Popen([sys.argv[1], "--replay", "-"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, bufsize=1)
    daemon.stdin.write(HEADER + "\n")
    daemon.stdin.flush()
    assert daemon.stdout.readline().startswith("t_s,target_kb")
    print(HEADER)
    current = MAX_KB
    for t in range(0, 1500 + 1, INTERVAL):
        line = "%d,%d,%d,%d,%d,%d" % (t, current - KERNEL_KB, committed_as_kb(t, rnd),
                                      TOTALRESERVE_KB, MAX_KB, current)
        print(line)
        daemon.stdin.write(line + "\n")
        daemon.stdin.flush()
        target = int(daemon.stdout.readline().split(",")[1])
        current = target    # the balloon gets there before the next tick
    daemon.stdin.close()
    sys.exit(daemon.wait())


if __name__ == "__main__":
    main()
