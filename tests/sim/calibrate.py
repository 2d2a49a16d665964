#!/usr/bin/env python3
"""Reads the guest-model parameters off a real-guest run of the e2e
sudden-demand scenario (tests/e2e/README.md), so that the simulator's numbers
can be checked against, and redone from, a measurement.

Usage: calibrate.py E2E_OUT/sudden-demand

Uses timeline.csv (one row a second from dom0: what the guest published),
guest-daemon.log (the daemon's decisions with their readings),
guest-sudden-variants.csv and guest-sudden-demand.md. Prints one line per
parameter with how it was derived. Nothing here is fitted: each figure is a
difference or a ratio of two readings."""
import csv
import os
import re
import statistics
import sys

d = sys.argv[1]


def ints(r, *keys):
    return [int(r[k]) for k in keys]


# the daemon's readings, one dict per logged decision (ticks and looks)
dec = []
with open(os.path.join(d, "guest-daemon.log")) as f:
    for line in f:
        if "SELFBALLOON_TARGET_KB=" in line:
            dec.append(dict(re.findall(r"SELFBALLOON_(\w+)=(\w+)", line)))

offsets = sorted({int(r["CURRENT_KB"]) - int(r["MEMTOTAL_KB"]) for r in dec
                  if r["PATH"] == "tick" and int(r["CURRENT_KB"]) == int(r["MAX_KB"])})
print("kernel offset: balloon current - MemTotal at boot size (daemon log, first ticks): %s kB"
      % ", ".join(map(str, offsets)))
print("totalreserve: daemon log TOTALRESERVE_KB: %s kB"
      % ", ".join(sorted({r["TOTALRESERVE_KB"] for r in dec})))

with open(os.path.join(d, "timeline.csv")) as f:
    tl = [r for r in csv.DictReader(f) if r["guest_uptime_s"]]
with open(os.path.join(d, "guest-sudden-variants.csv")) as f:
    var = list(csv.DictReader(f))
tr = int(dec[0]["TOTALRESERVE_KB"])
for v in var:
    idle_cur = int(v["idle_current_kb"])
    print("idle at the floor (%s): MemTotal %s kB, MemFree %s kB (variants csv), balloon %s kB"
          % (v["variant"], v["idle_memtotal_kb"], v["idle_memfree_kb"], idle_cur))
    # the timeline at rest at the floor (the daemon logs no unchanged tick)
    idle = [r for r in tl if int(r["guest_current_kb"]) == idle_cur
            and int(r["guest_target_kb"]) == idle_cur and int(r["guest_committed_as_kb"]) < 20000]
    if idle:
        c = [int(r["guest_committed_as_kb"]) for r in idle]
        a = [int(r["guest_memavailable_kb"]) for r in idle]
        print("  timeline at rest there (%d rows): Committed_AS %d-%d kB (median %d), "
              "MemAvailable %d-%d kB (median %d)" % (len(idle), min(c), max(c),
                                                     statistics.median(c), min(a), max(a),
                                                     statistics.median(a)))
        print("  median MemAvailable - MemFree + totalreserve = %d kB: what si_mem_available() "
              "adds for reclaimable memory, rec - min(rec/2, low watermark)"
              % (statistics.median(a) - int(v["idle_memfree_kb"]) + tr))
    su = [int(r["SUNRECLAIM_KB"]) + int(r["KERNEL_STACK_KB"]) + int(r["PAGE_TABLES_KB"])
          for r in dec if int(r["COMMITTED_AS_KB"]) < 20000]
    print("  SUnreclaim+KernelStack+PageTables at ticks without a workload: %d-%d kB"
          % (min(su), max(su)))

# the balloon's speed: consecutive guest samples (distinct uptime) while the
# balloon moves toward an unchanged target and has not reached it at either
# end: the change over the time between is its speed then
samples, last = [], None
for r in tl:
    if last is None or r["guest_uptime_s"] != last:
        samples.append(r)
    last = r["guest_uptime_s"]
for a, b in zip(samples, samples[1:]):
    ca, ta = ints(a, "guest_current_kb", "guest_target_kb")
    cb, tb = ints(b, "guest_current_kb", "guest_target_kb")
    dt = float(b["guest_uptime_s"]) - float(a["guest_uptime_s"])
    if ca == cb or dt <= 0:
        continue
    moving = ta == tb and ca != ta and cb != tb
    print("balloon %s %.2f-%.2f s (guest uptime): %d -> %d kB (target %d -> %d): %.0f MB/s%s"
          % ("raise" if cb > ca else "release", float(a["guest_uptime_s"]),
             float(b["guest_uptime_s"]), ca, cb, ta, tb, abs(cb - ca) / 1024 / dt,
             ", moving at both ends: its speed" if moving
             else (", target reached: a lower bound" if cb == tb else ", target changed")))

with open(os.path.join(d, "guest-sudden-demand.md")) as f:
    for line in f:
        if line.startswith("Total:") or line.startswith("| default |") and "survived" in line:
            print("touch: " + line.strip())
