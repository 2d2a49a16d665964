#!/usr/bin/env python3
"""Runs the simulator on the shipped traces and checks what must hold because
of the code, not because of the parameters:

(a) every policy's targets within [floor, max]; seed-10% holds at least what
    seed-0% holds (the simulator's --check);
(b) a look never lowers a target, and with watch = no there is no look
    (--check); every look, its period and the schedule of the looks equal
    this script's own statement of the watch (--dump-ticks);
(c) every regular decision of the seed policy equals this script's own
    statement of the seed's arithmetic (selfballoon_process(), pages of 4 KiB)
    on the readings the simulator gave the core;
(d) the period formula's promise: an allocation at most watch_rate_mb_s is
    never short with a balloon well above it (synthetic 90 % and 100 % traces,
    balloon 1024 MB/s); controls that must fail: 300 % of the rate, and the
    90 % trace with every look a whole period late;
(f) the page cache: the cache cushion keeps a hot set under its max resident
    after warm-up where adaptive without it refaults all along (control,
    failing), a hot set above the max refaults even with it (control,
    failing), no file read changes nothing, a cold read on the idle trace is
    given back within 3 minutes;
(e) with no demand change the watch raises nothing (the default holds exactly
    what seed-10% holds); on the idle trace, whose timer job is a demand change,
    the default holds more by at most what the job's raise can add;
plus: the default is never shorter than seed-10%, the same output twice.

Usage: check-sim.py [--report] SIM OUTDIR TRACE.csv...
With --report: also writes OUTDIR/results.md and prints the table."""
import csv
import math
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
here = os.path.dirname(os.path.abspath(__file__))
synthetic = os.path.join(here, "traces", "synthetic")
failed = 0


def ok(cond, what, detail=""):
    global failed
    print("%s %s%s" % ("ok    " if cond else "FAILED", what, "" if cond or not detail else ": " + detail))
    failed += not cond


def run(*argv):
    p = subprocess.run([sim, *argv], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def table(out):
    """{(trace, policy): row}: held, short MB*s, OOM phases, looks/s, raises."""
    t = {}
    for line in out.splitlines():
        if not line.startswith("| ") or line.startswith("| trace"):
            continue
        c = [x.strip() for x in line.strip("|").split("|")]
        t[(c[0], c[1])] = dict(held=float(c[2]), mbs=float(c[4]), ooms=int(c[6].split("/")[0]),
                               looks=float(c[8]), raises=int(c[9]))
    return t


dump = os.path.join(outdir, "ticks.csv")
rc1, out1, err1 = run("--check", "--out", outdir, "--dump-ticks", dump, *traces)
rc2, out2, _ = run("--check", "--dump-ticks", dump + ".2", *traces)
sys.stdout.write(out1)
ok(rc1 == 0, "(a, b) invariants: targets within [floor, max]; seed-10% holds >= seed-0%; "
   "no look lowers a target; no look with watch = no", "exit %d: %s" % (rc1, err1.strip()))
ok(out1 == out2 and rc1 == rc2, "reproducible: two runs print the same bytes")
res = table(out1)
ok(len(res) == len(traces) * 6, "table: %d rows for %d traces x 6 policies" % (len(res), len(traces)))


# (c) the seed's arithmetic, restated from the kernel (background.md)
def seed_target_pages(r, first_pages, up=None):
    cur = int(r["mem_total_kb"]) // 4
    reserve = int(r["totalreserve_kb"]) // 4
    max_p = int(r["max_kb"]) // 4
    current = int(r["balloon_current_kb"]) // 4
    down = int(r["down_hysteresis"])
    up = int(r["up_hysteresis"]) if up is None else up
    v = int(r["reserve_value"])
    reserved_mb = (first_pages * v // 100) >> 8 if r["reserve_percent"] == "1" else v
    goal = int(r["committed_as_kb"]) // 4 + reserve + (reserved_mb << 8)
    if cur > goal:
        tgt = cur - (cur - goal) // down
    elif cur < goal:
        tgt = cur + (goal - cur) // up
    else:
        tgt = cur
    mb = 256  # pages per MB
    useful = max_p - reserve
    if int(r["min_usable_mb"]):
        floor = reserve + int(r["min_usable_mb"]) * mb
    elif useful < 16 * mb:
        floor = max_p
    elif useful < 64 * mb:
        floor = reserve + 16 * mb + (useful - 16 * mb) // 2
    elif useful < 512 * mb:
        floor = reserve + 40 * mb + (useful - 40 * mb) // 8
    else:
        floor = reserve + 99 * mb + (useful - 99 * mb) // 32
    tgt = max(tgt, floor)
    return min(tgt + max(current - cur, 0), max_p)


# the watch as its commit message and policy.h state it: the policy's own
# arithmetic without up_hysteresis, or the balloon's target plus what
# MemAvailable lacks of watch_low_mb, whichever is more, never above max,
# never below the target before
def watch_target_kb(r, first_pages):
    t = seed_target_pages(r, first_pages, up=1)
    low = int(r["watch_low_mb"]) * 256
    avail = int(r["mem_available_kb"]) // 4
    before = int(float(r["target_before_kb"]))
    if avail < low:
        t = max(t, before // 4 + low - avail)
    t = min(t, int(r["max_kb"]) // 4) * 4
    return t if t > before else before


def period_ms(r):
    low_kb = int(r["watch_low_mb"]) * 1024
    head = max(int(r["mem_available_kb"]) - low_kb, 0)
    ms = max(head * 1000 // (int(r["watch_rate_mb_s"]) * 1024), int(r["watch_min_ms"]))
    return min(ms, int(r["interval_s"]) * 1000)


with open(dump) as f:
    rows = list(csv.DictReader(f))
first, compared, bad, nowatch = {}, 0, [], 0
looks, bad_looks, periods, bad_periods = 0, [], 0, []
runs = {}
for r in rows:
    key = (r["trace"], r["policy"])
    runs.setdefault(key, []).append(r)
    if r["path"] == "tick":
        first.setdefault(key, int(r["mem_total_kb"]) // 4)
    if r["watch"] == "1":
        periods += 1
        if round(float(r["period_s"]) * 1000) != period_ms(r):
            bad_periods.append("%s/%s t=%s: %s s, formula %d ms" % (*key, r["t_s"], r["period_s"],
                                                                  period_ms(r)))
    if r["kind"] != "seed":
        continue
    if r["path"] == "look":
        looks += 1
        want = watch_target_kb(r, first[key])
        if want != int(float(r["target_kb"])):
            bad_looks.append("%s/%s t=%s: core %s kB, restated %d kB" % (
                *key, r["t_s"], r["target_kb"], want))
        continue
    compared += 1
    nowatch += r["watch"] == "0"
    want = seed_target_pages(r, first[key]) * 4
    if want != int(float(r["target_kb"])):
        bad.append("%s/%s t=%s: core %s kB, seed %d kB" % (*key, r["t_s"], r["target_kb"], want))
ok(compared > 0 and nowatch > 0 and not bad,
   "(c) %d regular decisions of seed policies (%d with watch = no) equal the seed's "
   "arithmetic restated here" % (compared, nowatch), "; ".join(bad[:3]))
ok(looks > 0 and not bad_looks,
   "(b) %d looks of seed policies equal the watch restated here (raise only)" % looks,
   "; ".join(bad_looks[:3]))
ok(periods > 0 and not bad_periods,
   "(b) %d periods to the next look equal (MemAvailable - low) / rate in [min, interval]"
   % periods, "; ".join(bad_periods[:3]))

# the daemon's schedule: after each decision the next look one period on
# (daemon.c arms it a tenth early with a tenth of slack: at the latest on
# time), or none when the next tick comes first
SLACK, STEP = 0.0, 0.01
bad_sched, sched = [], 0
for key, rs in runs.items():
    ticks = [float(r["t_s"]) for r in rs if r["path"] == "tick"]
    for i, r in enumerate(rs[:-1]):
        t, nxt = float(r["t_s"]), rs[i + 1]
        if r["watch"] != "1":
            if nxt["path"] == "look":
                bad_sched.append("%s/%s: a look with watch = no" % key)
            continue
        due = t + float(r["period_s"]) * (1 + SLACK)
        step = math.ceil((due - 1e-9) / STEP) * STEP  # the look's step
        tick = min((x for x in ticks if x > t + 1e-6), default=None)
        sched += 1
        # a look due in the tick's own step is the tick's
        if tick is not None and step >= tick - 1e-6:
            good = nxt["path"] == "tick"
        else:
            good = nxt["path"] == "look" and due - 1e-6 <= float(nxt["t_s"]) < due + STEP + 1e-6
        if not good:
            bad_sched.append("%s/%s t=%.2f: next look due %.3f, next decision %s at %s"
                             % (*key, t, due, nxt["path"], nxt["t_s"]))
ok(sched > 0 and not bad_sched,
   "(b) the schedule: after each of %d decisions the next look one period on, or "
   "none before the tick" % sched, "; ".join(bad_sched[:3]))

# (d) the period formula's promise, and controls that must fail
syn = lambda n: os.path.join(synthetic, n + ".csv")
fast = ["--speed", "1024", "--policies", "default"]
rc, out, err = run(*fast, syn("rate-90pct"), syn("rate-100pct"), syn("rate-300pct"))
d = table(out)
for n in ("rate-90pct", "rate-100pct"):
    r = d.get((n, "default"))
    ok(r is not None and r["mbs"] == 0 and r["ooms"] == 0,
       "(d) %s of watch_rate, balloon 1024 MB/s: default never short" % n[5:], str(r))
r = d.get(("rate-300pct", "default"))
ok(r is not None and r["mbs"] > 0,
   "(d) control, expected short: 300pct of watch_rate (short %s MB*s in %s/10 phases)"
   % (r and r["mbs"], r and r["ooms"]), "the check cannot tell a promised rate from another")
rc, out, err = run(*fast, "--look-slack", "1", syn("rate-90pct"))
r = table(out).get(("rate-90pct", "default"))
ok(r is not None and r["mbs"] > 0,
   "(d) control, expected short: 90pct with every look a period late (short %s MB*s in %s/10 "
   "phases)" % (r and r["mbs"], r and r["ooms"]), "the promise does not rest on the period")
# not promised: the balloon at its measured speed (informational)
rc, out, err = run("--policies", "default", syn("rate-90pct"), syn("rate-100pct"),
                   syn("rate-300pct"))
for (n, _), r in sorted(table(out).items()):
    print("info   %s of watch_rate at the measured balloon speed: default short %g MB*s in %d/10 "
          "phases" % (n[5:], r["mbs"], r["ooms"]))

# (e) no demand change, no raise: the default is seed-10% plus wake-ups
rc, out, err = run(syn("flat-server"), syn("flat-busybox"))
flat = table(out)
for n in ("flat-server", "flat-busybox"):
    de, s10 = flat.get((n, "default")), flat.get((n, "seed-10%"))
    if de is None or s10 is None:
        ok(False, "(e) %s: no rows" % n, err.strip())
        continue
    # with no raise the run is the seed-10% run plus reads: equal to any precision
    ok(de["raises"] == 0 and de["held"] == s10["held"],
       "(e) %s: the watch raises nothing (%d raises; held %.1f vs seed-10%% %.1f); "
       "%.2f looks/s at idle" % (n, de["raises"], de["held"], s10["held"], de["looks"]))
# The idle trace's timer job raises Committed_AS by J MB for 3 s once a
# minute: a look sees it where a 5 s tick may not. A raise of at most J
# decays by 1/down_hysteresis a tick (8): it adds at most J * interval *
# (down_hysteresis + 1) MB*s per job, against seed-10%, which sees some jobs too.
idle = [t for t in traces if os.path.basename(t) == "idle.csv"]
if idle and ("idle", "default") in res:
    with open(idle[0]) as f:
        pts = [list(map(float, l.split(","))) for l in f
               if l[0].isdigit()]
    base = min(p[1] for p in pts)
    j_mb = (max(p[1] for p in pts) - base) / 1024
    jobs = sum(1 for a, b in zip(pts, pts[1:]) if a[1] == base and b[1] > base)
    dur = pts[-1][0] - pts[0][0]
    bound = j_mb * 5 * (8 + 1) * jobs / dur / 1024 * 100
    diff = res[("idle", "default")]["held"] - res[("idle", "seed-10%")]["held"]
    ok(0 <= diff <= bound, "(e) idle: default holds %+.1f %% of max over seed-10%%, within the "
       "%.2f %% its %d timer jobs of %.0f MB can add" % (diff, bound, jobs, j_mb))

# The watch only adds raises to the seed's ticks: the default (seed-10% with
# the watch) is never shorter than seed-10% alone.
for (trace, pol), r in sorted(res.items()):
    if pol != "default":
        continue
    s10 = res.get((trace, "seed-10%"))
    if s10 is None:
        ok(False, "%s: no seed-10%% row" % trace)
        continue
    ok(r["mbs"] <= s10["mbs"], "%s: default short %g MB*s vs seed-10%% %g; held %.1f vs %.1f %% "
       "of max (%+.1f)" % (trace, r["mbs"], s10["mbs"], r["held"], s10["held"],
                           r["held"] - s10["held"]))


# (f) the page cache (README.md, "The page cache"): the cache cushion holds a
# hot set smaller than its max resident after warm-up; without it the same
# hot set refaults all along (the control, asserted failing); a hot set
# larger than the max refaults with it too (asserted failing); without files
# the cushion changes nothing at all; a cold read on the idle trace is given
# back within 3 minutes.
def files_table(spec, paths):
    rc, out, err = run("--files", spec, "--policies", "seed-10%,adaptive,adaptive+cache", *paths)
    t = {}
    for line in out.splitlines():
        c = [x.strip() for x in line.strip("|").split("|")]
        if line.startswith("| ") and not line.startswith("| trace") and len(c) >= 15:
            t[(c[0], c[1])] = dict(held=float(c[2]), disk=float(c[10]), refault=float(c[11]),
                                   pre=float(c[12]), cushion=float(c[13]), back=c[14])
    return rc, out, t


flat = [os.path.join(here, "traces", "idle.csv"), os.path.join(synthetic, "flat-server.csv"),
        os.path.join(synthetic, "flat-busybox.csv")]
max_mb = {"idle": 1024, "flat-server": 1024, "flat-busybox": 1024}
rc, out_f, ft = files_table("20:0:300", flat)
sys.stdout.write("\n" + out_f)
for name in max_mb:
    lim = 0.05 * 0.20 * max_mb[name]
    on, off = ft.get((name, "adaptive+cache")), ft.get((name, "adaptive"))
    ok(rc == 0 and on is not None and on["refault"] <= lim,
       "(f) %s, hot set 20 %% of max (under the cushion's 25 %%): with the cushion, "
       "refaults after 300 s %.1f MB/min <= 5 %% of the hot set a minute (%.1f)"
       % (name, on["refault"] if on else -1, lim))
    ok(off is not None and off["refault"] > 4 * lim,
       "(f) control, expected to fail the criterion: without the cushion %.1f MB/min > %.1f"
       % (off["refault"] if off else -1, 4 * lim))
rc, out_big, fb = files_table("40:0:300", flat)
big = [n for n in max_mb if fb.get((n, "adaptive+cache"), {}).get("refault", 0) > 0.05 * 0.40 * max_mb[n]]
ok(len(big) == len(max_mb),
   "(f) control, expected to fail the criterion: a hot set of 40 %% of max, above the "
   "cushion's 25 %%, refaults with the cushion on every flat trace (%s)" % ", ".join(big))
rc, out_c, fc = files_table("20:37.5:300", flat[:1])
idle_c = fc.get(("idle", "adaptive+cache"), {})
ok(idle_c.get("back", "never") != "never" and float(idle_c["back"]) <= 180,
   "(f) idle: after a cold read of 37.5 %% of max, MemTotal back within 5 %% of max of its "
   "value before in %s s <= 180 (worst phase)" % idle_c.get("back"))
same = [p for (tr, p) in res if p == "adaptive+cache" and
        {k: v for k, v in res[(tr, p)].items()} != res.get((tr, "adaptive"))]
ok(not same, "(f) no file read: adaptive+cache's rows equal adaptive's on every shipped trace")

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
    # the page cache on every shipped trace (README.md, "The page cache")
    rc, out_files, _ = files_table("20:37.5:300", traces)
    with open(os.path.join(outdir, "page-cache.md"), "w") as f:
        f.write(out_files)
    print(out_files)
    print("table: %s/results.md" % outdir)
    # the e2e sudden-demand cases, each at the tick phase the case asks for,
    # with the scenario's down_hysteresis = 2: to set against the real guest
    e2e = os.path.join(here, "traces", "e2e")
    lines = ["| case | next tick s | seed-0% worst MB short | seed-10% | default |",
             "|---|---:|---:|---:|---:|"]
    for name in sorted(os.listdir(e2e)):
        path = os.path.join(e2e, name)
        with open(path) as f:
            tick = float(f.read().split("next tick ", 1)[1].split(" s", 1)[0])
        rc, out, err = run("--down-hysteresis", "2", "--phase", "%.2f" % ((240.3 + tick) % 5),
                           "--policies", "seed-0%,seed-10%,default", path)
        t = {p: r for (_, p), r in table(out).items()}
        worst = {}
        for line in out.splitlines():
            c = [x.strip() for x in line.strip("|").split("|")]
            if len(c) > 5 and c[1] in t:
                worst[c[1]] = c[5]
        lines.append("| %s | %g | %s | %s | %s |" % (name[:-4], tick, worst.get("seed-0%"),
                                                    worst.get("seed-10%"), worst.get("default")))
    with open(os.path.join(outdir, "e2e-cases.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("e2e cases: %s/e2e-cases.md" % outdir)
sys.exit(1 if failed else 0)
