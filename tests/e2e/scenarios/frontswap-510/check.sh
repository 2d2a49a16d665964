#!/usr/bin/env bash
# Host side: the daemon's frontswap decisions against the core, tick by tick.
# guest-frontswap-ticks.txt has "N UPTIME PAGES": line 0 is the count before the
# daemon started, line N the count tick N left behind (fsticks reads it on the
# tick's STATUS datagram). With the workload frozen, tick N observes line N-1.
# Checked: (1) the seed's rule, written out here (re-arm when the count rises
# or is 0, `inertia` ticks of a stable or falling count, then every tick
# X -> X - X/hysteresis, X <= hysteresis -> 0) gives exactly the logged
# "shrinking frontswap from X to Y" lines, in order, with X the count the tick
# observed; (2) the host's `selfballoond --replay` (the core itself) on the same
# per-tick counts gives the same decisions; (3) the count really fell.
set -eu
case "${SELFBALLOOND_HOST:-standin}" in
standin) echo "stand-in daemon: it has no frontswap path"; exit 1 ;;
esac
python3 - "$SELFBALLOOND_HOST" <<'PY'
import re, subprocess, sys, tempfile
binary = sys.argv[1]
log = open('guest-daemon.log', errors='replace').read()
ticks = [l.split() for l in open('guest-frontswap-ticks.txt') if l.strip()]
assert [int(t[0]) for t in ticks] == list(range(len(ticks))), 'tick numbers are not 0..N'
pages = [int(t[2]) for t in ticks]
up = [float(t[1]) for t in ticks]
m = re.search(r'\[frontswap\] selfshrink = (\w+) hysteresis = (\d+) inertia = (\d+)', log)
if not m or m.group(1) != 'yes':
    sys.exit('no "[frontswap] selfshrink = yes" in the daemon\'s start line')
hyst, inertia = int(m.group(2)), int(m.group(3))
if 'frontswap self-shrinking active through the helper' not in log:
    sys.exit('the daemon did not find the helper')
logged = [(int(a), int(b)) for a, b in re.findall(r'shrinking frontswap from (\d+) to (\d+) pages', log)]

# (1) the seed's rule on the per-tick observations
obs = pages[:-1]            # tick k (1-based) observes what tick k-1 left
last, counter, model, rows = 0, 0, [], []
for k, cur in enumerate(obs, 1):
    prev, last = last, cur
    if cur == 0 or cur > prev:
        counter, what = inertia, 're-arm'
    elif counter != 0 and counter - 1 != 0:
        counter -= 1
        what = 'inertia %d' % counter
    else:
        counter = 0
        y = 0 if cur <= hyst else cur - cur // hyst
        model.append((cur, y))
        what = 'shrink to %d' % y
    rows.append((k, up[k], cur, what, pages[k]))
print('tick  uptime_s  observed  core decision        left')
for r in rows[:8] + rows[max(8, len(rows) - 4):]:
    print('%4d %9.2f %9d  %-18s %9d' % (r[0], r[1], r[2], r[3], r[4]))
bad = [(i, a, b) for i, (a, b) in enumerate(zip(model, logged)) if a != b]
if len(model) != len(logged) or bad:
    print('logged shrinks: %d, the core on the observed counts: %d' % (len(logged), len(model)))
    for i, a, b in bad[:5]:
        print('shrink %d: core %s, logged %s' % (i + 1, a, b))
    sys.exit('the logged shrink sequence differs from the core\'s')
first = next((i for i, r in enumerate(rows) if r[3].startswith('shrink')), None)
if first != inertia or rows[0][3] != 're-arm':
    sys.exit('want a re-arm on tick 1 and the first shrink on tick %d (inertia %d); got %s'
             % (inertia + 1, inertia, [r[3] for r in rows[:inertia + 2]]))
print('tick 1 re-armed, ticks 2-%d counted down, first shrink on tick %d: as the core says for inertia %d'
      % (inertia, inertia + 1, inertia))

# (2) the core itself (the host's build) on the same counts
with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
    conf.write('[selfballoon]\nenabled = no\ninterval = 1\n[frontswap]\nselfshrink = yes\n'
               'hysteresis = %d\ninertia = %d\n' % (hyst, inertia))
    conf.flush()
    csv = 'mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb,frontswap_pages\n' + \
        ''.join('240000,40000,5000,262144,262144,%d\n' % p for p in obs)
    out = subprocess.run([binary, '--config', conf.name, '--replay', '-'], input=csv,
                         capture_output=True, text=True, check=True).stdout.splitlines()[1:]
replayed = [(c, int(o.split(',')[4])) for c, o in zip(obs, out) if int(o.split(',')[4]) >= 0]
if replayed != logged:
    sys.exit('selfballoond --replay of the observed counts differs from the logged shrinks')

# (3) the count fell, and figures
before, after = pages[0], pages[-1]
if not logged or after >= before // 2:
    sys.exit('frontswap went from %d to %d pages only' % (before, after))
empty = next((k for k, p in enumerate(pages) if p == 0), None)
lefts = [(y, pages[r[0]]) for (x, y), r in zip(model, [r for r in rows if r[3].startswith('shrink')])]
cmp = (sum(l > y for y, l in lefts), sum(l == y for y, l in lefts), sum(l < y for y, l in lefts))
summary = ['frontswap pages before %d, after %d' % (before, after),
           'ticks %d, shrinks %d (all equal to the core: seed rule and --replay)' % (len(pages) - 1, len(logged)),
           'first shrink on tick %d: %d -> %d; last: %d -> %d' % (first + 1, logged[0][0], logged[0][1],
                                                                   logged[-1][0], logged[-1][1]),
           'after a shrink to Y the kernel left more than Y %d times, exactly Y %d, fewer %d' % cmp,
           ('empty on tick %d, %.1f s after the daemon started (%.2f s a tick)'
            % (empty, up[empty] - up[0], (up[empty] - up[1]) / max(1, empty - 1))) if empty else 'never empty']
open('frontswap-summary.txt', 'w').write('\n'.join(summary) + '\n')
print('\n'.join(summary))
PY
echo "== guest figures"
cat guest-frontswap-figures.txt
