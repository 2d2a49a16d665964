#!/usr/bin/env python3
"""Runs the simulator on the shipped traces and checks what must hold:
every policy's targets within [floor, max] and seed-10% holding at least
what seed-0% holds (both checked by the simulator's --check), and the same
output twice. Renders the plots with gnuplot when it is installed.

Usage: check-sim.py [--report] SIM OUTDIR TRACE.csv...
With --report: also writes OUTDIR/results.md and prints the table."""
import os
import shutil
import subprocess
import sys

args = sys.argv[1:]
report = args and args[0] == "--report"
if report:
    args = args[1:]
sim, outdir, traces = args[0], args[1], args[2:]
os.makedirs(outdir, exist_ok=True)
failed = 0


def run():
    p = subprocess.run([sim, "--check", "--out", outdir, *traces], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


rc1, out1, err1 = run()
rc2, out2, _ = run()
sys.stdout.write(out1)
if rc1 != 0:
    sys.stdout.write(err1)
    print("FAILED invariants (exit %d)" % rc1)
    failed += 1
else:
    print("ok     invariants: targets within [floor, max]; seed-10% holds >= seed-0%")
if out1 != out2 or rc1 != rc2:
    print("FAILED reproducible: two runs printed different tables")
    failed += 1
else:
    print("ok     reproducible: two runs print the same bytes")
expected = len(traces) * 5
rows = [l for l in out1.splitlines() if l.startswith("| ") and not l.startswith("| trace")]
if len(rows) != expected:
    print("FAILED table: %d rows, expected %d" % (len(rows), expected))
    failed += 1

# The watch only adds raises to the seed's ticks: the default (seed-10% with
# the watch) is never shorter than seed-10% alone.
table = {}
for l in rows:
    c = [x.strip() for x in l.strip("|").split("|")]
    table[(c[0], c[1])] = (float(c[2]), float(c[4]))
for (trace, pol), (held, mbs) in sorted(table.items()):
    if pol != "default":
        continue
    seed_held, seed_mbs = table[(trace, "seed-10%")]
    ok = mbs <= seed_mbs
    print("%s %s: default short %g MB*s vs seed-10%% %g; held %.1f vs %.1f %% of max (%+.1f)"
          % ("ok    " if ok else "FAILED", trace, mbs, seed_mbs, held, seed_held, held - seed_held))
    failed += not ok

gnuplot = shutil.which("gnuplot")
if gnuplot:
    for t in traces:
        name = os.path.splitext(os.path.basename(t))[0]
        p = subprocess.run([gnuplot, os.path.join(outdir, name + ".gp")], capture_output=True,
                           text=True)
        if p.returncode != 0:
            print("FAILED plot %s: %s" % (name, p.stderr.strip()))
            failed += 1
    print("plots: %s/*.png" % outdir)
else:
    print("gnuplot not found: plot scripts left in %s/*.gp" % outdir)
if report:
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(out1)
    print("table: %s/results.md" % outdir)
sys.exit(1 if failed else 0)
