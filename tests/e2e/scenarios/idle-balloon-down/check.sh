#!/usr/bin/env bash
# Host side: Xen's own view (xl list) must show the domain shrank by >= 1/4.
set -eu
awk -F, 'NR>1 && $2!="" { if (!first) first=$2; if (!min || $2<min) min=$2 }
	END { printf "xl list: first %d kB, min %d kB\n", first, min;
	      if (!(min <= first*3/4)) { print "xl list never went below 3/4 of the start size"; exit 1 } }' timeline.csv

# The core's arithmetic on the guest's own readings: every decision the
# daemon logged carries its inputs (SELFBALLOON_* fields); the host's
# `selfballoond --replay` of those inputs must give the same target, goal and
# floor, and the idle guest must settle at the larger of goal and floor.
case "${SELFBALLOOND_HOST:-standin}" in
standin) echo "stand-in daemon: no decision fields to check"; exit 0 ;;
esac
python3 - "$SELFBALLOOND_HOST" guest-daemon.log <<'PY'
import re, subprocess, sys
binary, log = sys.argv[1], sys.argv[2]
runs, cur = [], None
for line in open(log, errors='replace'):
    if ': info: started' in line:
        cur = []
        runs.append(cur)
    m = re.search(r'\[(SELFBALLOON_TARGET_KB=.*)\]\s*$', line)
    if m and cur is not None:
        cur.append(dict(kv.split('=', 1) for kv in m.group(1).split()))
cols = ['MEMTOTAL', 'COMMITTED_AS', 'TOTALRESERVE', 'MAX', 'CURRENT',
        'SUNRECLAIM', 'KERNEL_STACK', 'PAGE_TABLES']
names = 'mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb,' \
        'sunreclaim_kb,kernel_stack_kb,page_tables_kb'
n = 0
# regular decisions only: a fast-path one (policy adaptive, on memory
# pressure) depends on the target before it, not on its inputs alone
runs = [[f for f in run if f.get('SELFBALLOON_PATH', 'tick') == 'tick'] for run in runs]
for run in runs:
    if not run:
        continue
    text = names + '\n' + ''.join(
        ','.join(f['SELFBALLOON_%s_KB' % c] for c in cols) + '\n' for f in run)
    out = subprocess.run([binary, '--replay', '-'], input=text, capture_output=True, text=True,
                         check=True).stdout.splitlines()[1:]
    for f, o in zip(run, out):
        _, target, goal, floor, _ = o.split(',')
        got = (f['SELFBALLOON_TARGET_KB'], f['SELFBALLOON_GOAL_KB'], f['SELFBALLOON_FLOOR_KB'])
        if got != (target, goal, floor):
            print('decision %s differs from the core on its own inputs: %s' % (got, (target, goal, floor)))
            sys.exit(1)
        n += 1
last = runs[-1][-1]
settle = max(int(last['SELFBALLOON_GOAL_KB']), int(last['SELFBALLOON_FLOOR_KB']))
memtotal = int(last['SELFBALLOON_MEMTOTAL_KB'])
print('%d decisions equal the core on their inputs; last MemTotal %d kB, max(goal, floor) %d kB'
      % (n, memtotal, settle))
if n == 0:
    print('no decision logged'); sys.exit(1)
if abs(memtotal - settle) > 16384:
    print('the guest did not settle at the larger of goal and floor'); sys.exit(1)
PY
