#!/usr/bin/env python3
"""The replay command end to end: rows computed by hand from the seed's
formulas (the real check), the sample trace against its golden file (a
regression record only: the binary wrote it), the closed loop that made
the trace, and what bad input gets. Prints 'N passed, N failed'."""
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok     " if ok else "FAILED ") + name + ("" if ok else ": " + detail))


def replay(text, *args):
    p = subprocess.run([BIN, "--replay", "-", *args], input=text, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def with_config(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    f.write(text)
    f.close()
    return f.name


# 1. The sample trace's first two ticks, by hand from the seed's formulas
# (selfballoon_process()), 4 KiB pages (kB / 4, truncated), default settings
# (down_hysteresis 8, reserve 10 % of the first MemTotal):
#
# t=0: MemTotal 2007040 kB = 501760 pages; Committed_AS 180483 kB = 45120;
#   totalreserve 11480 kB = 2870; max 2097152 kB = 524288; current 524288.
#   reserve: 501760 / 10 = 50176 pages = 196 MB (PAGES2MB: >> 8) = 50176 pages
#   goal  = 45120 + 2870 + 50176 = 98166 pages                  = 392664 kB
#   tgt   = 501760 - (501760 - 98166) / 8 = 501760 - 50449 = 451311
#   floor: useful = 524288 - 2870 = 521418 >= MB2PAGES(512) = 131072, so
#          2870 + 25344 + (521418 - 25344) / 32 = 2870 + 25344 + 15502
#        = 43716 pages                                           = 174864 kB
#   target = tgt + current - MemTotal = 451311 + 524288 - 501760
#        = 473839 pages                                          = 1895356 kB
# t=5: MemTotal 1805244 kB = 451311; Committed_AS 177425 kB = 44356;
#   current 1895356 kB = 473839; the reserve stays 196 MB (first MemTotal)
#   goal  = 44356 + 2870 + 50176 = 97402 pages                  = 389608 kB
#   tgt   = 451311 - (451311 - 97402) / 8 = 451311 - 44238 = 407073
#   floor = 43716 pages (max and totalreserve unchanged)         = 174864 kB
#   target = 407073 + 473839 - 451311 = 429601 pages            = 1718404 kB
with open(os.path.join(DATA, "sample-trace.csv")) as f:
    first_ticks = "".join(f.readline() for _ in range(3))
rc, out, err = replay(first_ticks)
check("sample trace's first ticks by hand", rc == 0 and out.splitlines() == [
    "t_s,target_kb,goal_kb,floor_kb,frontswap_target_pages",
    "0,%d,%d,%d,-1" % (473839 * 4, 98166 * 4, 43716 * 4),
    "5,%d,%d,%d,-1" % (429601 * 4, 97402 * 4, 43716 * 4)], out + err)

# 2. The golden file is a regression record only: the binary itself wrote
# it. It says that nothing changed, not that anything is right (the rows
# by hand above and below say that).
with open(os.path.join(DATA, "sample-trace.golden")) as f:
    golden = f.read()
p = subprocess.run([BIN, "--replay", os.path.join(DATA, "sample-trace.csv")],
                   capture_output=True, text=True)
check("sample trace replays to the golden file (regression record)",
      p.returncode == 0 and p.stdout == golden,
      p.stderr or "output differs from sample-trace.golden")

# 3. the trace itself is what the closed loop through the replay produces
p = subprocess.run([sys.executable, os.path.join(DATA, "make-sample-trace.py"), BIN],
                   capture_output=True, text=True)
with open(os.path.join(DATA, "sample-trace.csv")) as f:
    check("closed-loop generator reproduces sample-trace.csv", p.stdout == f.read(), p.stderr)

H = "mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb"
ROW = "461172,5128,5692,786432,524288"

# 4. the fixture guest, by hand: cur 115293 pages, goal 1282 + 1423 + 45 MB
# (11520) = 14225, tgt = 115293 - (115293-14225)/8 = 102660; useful =
# 196608 - 1423 = 195185 (>= 512 MiB): floor = 1423 + 25344 + (195185-25344)/32
# = 32074; target = 102660 + 131072 - 115293 = 118439 pages
rc, out, err = replay(H + "\n" + ROW + "\n")
check("fixture guest by hand", rc == 0 and out.splitlines() == [
    "t_s,target_kb,goal_kb,floor_kb,frontswap_target_pages",
    ",%d,%d,%d,-1" % (118439 * 4, 14225 * 4, 32074 * 4)], out + err)

# The MB settings' cap, by hand: reserved_mb = 16777215 (2^24 - 1) is
# MB2PAGES = 16777215 * 256 = 4294967040 pages, still below 2^32 where the
# seed's unsigned int wraps; goal = 1282 + 1423 + 4294967040 = 4294969745
# pages; the target stops at max (196608 pages); floor as above. 2^24 MB
# would be 2^32 pages, 0 to the seed: refused.
conf = with_config("[selfballoon]\nreserved_mb = 16777215\n")
rc, out, err = replay(H + "\n" + ROW + "\n", "--config", conf)
check("reserved_mb at the cap, by hand", rc == 0 and out.splitlines()[1] ==
      ",%d,%d,%d,-1" % (196608 * 4, 4294969745 * 4, 32074 * 4), out + err)
os.unlink(conf)
conf = with_config("[selfballoon]\nreserved_mb = 16777216\n")
rc, out, err = replay(H + "\n" + ROW + "\n", "--config", conf)
check("reserved_mb past the cap: exit 2", rc == 2 and (conf + ":2:") in err, err)
os.unlink(conf)

# columns in any order, t_s copied through as given
rc, out, err = replay("t_s,balloon_current_kb,max_kb,totalreserve_kb,committed_as_kb,mem_total_kb\n"
                      "12.50,524288,786432,5692,5128,461172\n")
check("columns matched by name, t_s copied", rc == 0 and out.splitlines()[1].startswith("12.50,473756,"),
      out + err)

# enabled = no: empty target, goal, floor; frontswap still decided
conf = with_config("[selfballoon]\nenabled = no\n")
rc, out, err = replay(H + ",frontswap_pages\n" + ROW + ",100\n" + ROW + ",100\n", "--config", conf)
check("enabled = no leaves target/goal/floor empty",
      rc == 0 and out.splitlines()[1:] == [",,,,-1", ",,,,-1"], out + err)
os.unlink(conf)

# policy = adaptive: the kernel memory columns count, the seed ignores them
K = ",sunreclaim_kb,kernel_stack_kb,page_tables_kb"
rc, seed_out, err = replay(H + K + "\n" + ROW + ",20000,3000,2000\n")
rc2, plain_out, _ = replay(H + "\n" + ROW + "\n")
check("seed ignores the kernel memory columns", rc == 0 and seed_out == plain_out, seed_out + err)
conf = with_config("[selfballoon]\npolicy = adaptive\n")
rc, out, err = replay(H + K + "\n" + ROW + ",20000,3000,2000\n", "--config", conf)
# goal = (5128 + 20000 + 3000 + 2000) kB -> 7532 pages + 1423 + 12 MB (3072) = 12027 pages;
# tgt = 115293 - (115293 - 12027) / 8 = 102385; target = 102385 + 131072 - 115293 = 118164
check("adaptive: goal counts SUnreclaim + KernelStack + PageTables, 12 MB cushion",
      rc == 0 and out.splitlines()[1] == ",%d,%d,%d,-1" % (118164 * 4, 12027 * 4, 32074 * 4),
      out + err)

# the watch: a line less than `interval` (5 s) after the last regular tick is
# a look of the watch (policy_decide_watch()): the policy's arithmetic without
# up_hysteresis, or the last target + what MemAvailable lacks of watch_low_mb
# (16 MB = 4096 pages), whichever is larger; never lower than the last target
A = "t_s," + H + K + ",mem_available_kb\n"
rows = ["0,%s,20000,3000,2000,90000" % ROW,
        "1.5,461172,136200,5692,786432,524288,20000,3000,2000,4000",  # a malloc, little left
        "4.999999,%s,20000,3000,2000,90000" % ROW,                       # calm again: no lowering
        "5.0,%s,20000,3000,2000,90000" % ROW]                            # a regular tick


def targets(out):
    return [int(l.split(",")[1]) for l in out.splitlines()[1:]]


rc, out, err = replay(A + "\n".join(rows) + "\n", "--config", conf)
# adaptive at 1.5: goal = (136200 + 25000) kB = 40300 pages + 1423 + 3072 = 44795 pages, below
# MemTotal (115293): tgt = 115293 - (115293 - 44795) / 8 = 106481, target = 106481 + 15779 =
# 122260 pages; the level: 118164 + (4096 - 1000) = 121260 pages; the larger wins
check("adaptive: lines between ticks are the watch's (raise only); t_s >= tick + interval is a "
      "regular tick", rc == 0 and targets(out) == [118164 * 4, 122260 * 4, 122260 * 4, 118164 * 4]
      and out.splitlines()[2].split(",")[4] == "-1", out + err)
rc, out2, err = replay(A + "\n".join(rows) + "\n")
# seed at 1.5: goal = 34050 + 1423 + 45 MB (11520) = 46993 pages; tgt = 115293 - 68300 / 8 =
# 106756, target 106756 + 15779 = 122535 pages; the level: 118439 + 3096 = 121535 pages
check("seed: the watch evaluates the seed's arithmetic between ticks",
      rc == 0 and targets(out2) == [118439 * 4, 122535 * 4, 122535 * 4, 118439 * 4], out2 + err)
os.unlink(conf)
conf = with_config("[selfballoon]\nwatch = no\n")
rc, out3, err = replay(A + "\n".join(rows) + "\n", "--config", conf)
# 1.5 as a tick: tgt as above (down hysteresis alike), but a regular tick: 4.999 lowers again
check("watch = no: every line is a regular tick",
      rc == 0 and targets(out3) == [118439 * 4, 122535 * 4, 118439 * 4, 118439 * 4], out3 + err)
os.unlink(conf)

# a config named but missing is an error; a bad one names file and line
rc, out, err = replay(H + "\n" + ROW + "\n", "--config", "/nonexistent/selfballoon.conf")
check("missing --config file: exit 2", rc == 2 and "/nonexistent/selfballoon.conf" in err, err)
conf = with_config("[selfballoon]\ninterval = 0\n")
rc, out, err = replay(H + "\n" + ROW + "\n", "--config", conf)
check("bad --config: exit 2, file:line", rc == 2 and (conf + ":2:") in err, err)
os.unlink(conf)

# bad input: exit 2, the line number, nothing guessed
BAD = [
    ("unknown column", H + ",bogus\n" + ROW + ",1\n", ":1:"),
    ("missing column", "mem_total_kb,committed_as_kb\n1,2\n", ":1:"),
    ("duplicate column", H + ",max_kb\n" + ROW + ",1\n", ":1:"),
    ("too few fields", H + "\n" + ROW + "\n461172,5128\n", ":3:"),
    ("too many fields", H + "\n" + ROW + ",7\n", ":2:"),
    ("negative number", H + "\n-461172,5128,5692,786432,524288\n", ":2:"),
    ("hex number", H + "\n0x10,5128,5692,786432,524288\n", ":2:"),
    ("overflow", H + "\n99999999999999999999,5128,5692,786432,524288\n", ":2:"),
    ("empty required field", H + "\n" + ROW + "\n,5128,5692,786432,524288\n", ":3:"),
    ("space in a number", H + "\n461172 ,5128,5692,786432,524288\n", ":2:"),
    ("bad t_s", "t_s," + H + "\n1e3," + ROW + "\n", ":2:"),
    ("blank line", H + "\n" + ROW + "\n\n" + ROW + "\n", ":3:"),
    ("empty input", "", ":1:"),
]
for name, text, where in BAD:
    rc, out, err = replay(text)
    check("bad input: " + name, rc == 2 and where in err and "<stdin>" in err, "rc %d: %s" % (rc, err))

# output is flushed line by line: a reader sees each decision before the next input
p = subprocess.Popen([BIN, "--replay", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
p.stdin.write(H + "\n")
p.stdin.flush()
first = p.stdout.readline()
p.stdin.write(ROW + "\n")
p.stdin.flush()
second = p.stdout.readline()
p.stdin.close()
check("header and each line flushed at once", first.startswith("t_s,") and second.startswith(",473756,")
      and p.wait() == 0, first + second)

# The cache cushion through the command line: the configuration's keys reach
# the core, the output gains cache_cushion_kb with the counter's column, and
# policy = seed never has a cushion. 25000 pages refaulted in 5 s: 100000 kB.
H = "t_s,mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb,active_file_kb,inactive_file_kb,workingset_refault_file\n"
rows = H + "0,1000000,200000,9548,1048576,1048576,0,0,0\n5,1000000,200000,9548,1048576,1048576,500000,0,25000\n"
rc, out, err = replay(rows, "--config", with_config("[selfballoon]\npolicy = adaptive\ncache_cushion = yes\n"))
check("cache cushion in a replay: 0, then the 100000 kB refaulted",
      rc == 0 and out.splitlines()[0].endswith(",cache_cushion_kb") and
      [l.split(",")[-1] for l in out.splitlines()[1:]] == ["0", "100000"], out + err)
rc, out, err = replay(rows, "--config", with_config("[selfballoon]\ncache_cushion = yes\n"))
check("cache cushion with policy = seed: none",
      rc == 0 and [l.split(",")[-1] for l in out.splitlines()[1:]] == ["0", "0"], out + err)

print("%d passed, %d failed" % (results.count(True), results.count(False)))
sys.exit(0 if all(results) else 1)
