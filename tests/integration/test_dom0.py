#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""selfballoon-dom0 against the real xenstored, with a fleet of fake guests.

    test_dom0.py SELFBALLOON-DOM0 [NAME-SUBSTRING...]

Each test gets its own xenstored (xsharness) and lays out domains as libxl
does (setup_domain). A guest's data/selfballoon/ is written by the guest
itself, over its own bridge connection, wherever what is written is the
point (the hostile guest: escape sequences, a 2000-byte value, non-numbers,
missing keys), so that xenstored's permission and quota rules apply to it
as to a real guest; elsewhere dom0 writes it (the bridge costs ~20 ms per
guest). selfballoon-dom0 runs as dom0.

Expected values come from what the test wrote, never from the program's
output. Prints 'N passed, N failed'; exits non-zero on any failure.
"""

import inspect
import json
import os
import re
import subprocess
import sys
import time
import traceback

from xsharness import XenstoreHarness, check

DOM0_VIEW = None  # argv[1]

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
EXIT_SILENT, EXIT_STALLED, EXIT_BAD_DATA = 3, 4, 5

DATA = 'data/selfballoon'
MIB = 1024



def daemon_keys(now, **over):
    """What a healthy daemon publishes; over= changes keys (None: absent)."""
    keys = {'target_kb': '262144', 'goal_kb': '250000', 'floor_kb': '131072',
            'backend': 'xenstore', 'status': 'running',
            'heartbeat': str(now - 10), 'policy': 'seed'}
    keys.update(over)
    return {k: v for k, v in keys.items() if v is not None}


def add_guest(xs, domid, name, keys=None, static_max_kb=786432,
              target_kb=524288):
    """A domain as libxl lays it out; keys: data/selfballoon/ as dom0."""
    dom = xs.setup_domain(domid, static_max_kb=static_max_kb,
                          target_kb=target_kb, name=name)
    if keys is not None:
        xs.write(f'{dom}/{DATA}', '')
        for k, v in keys.items():
            xs.write(f'{dom}/{DATA}/{k}', v)
    return dom


def run_view(xs, *args, env=None):
    p = subprocess.run([DOM0_VIEW, *args], env=env or xs.env(),
                       capture_output=True, timeout=30)
    return p.returncode, p.stdout, p.stderr.decode(errors='replace')


def table_rows(out):
    """{domid: row text} for the table's guest rows."""
    rows = {}
    for line in out.decode('ascii').splitlines()[1:]:
        if re.match(r'^\d+ guests?[,;]', line):
            break  # the summary line
        m = re.match(r'^\s*(\d+) ', line)
        if m:
            rows[int(m.group(1))] = line
    return rows


def check_screen_safe(out):
    bad = [b for b in out if not (b == 0x0a or 0x20 <= b < 0x7f)]
    check(not bad, f'the table holds bytes a terminal acts on: {bytes(bad[:20])!r}')


def fleet(xs, now):
    """The fleet most tests list: one guest of each kind."""
    add_guest(xs, 3, 'web1', daemon_keys(now))
    add_guest(xs, 4, 'plain')  # no daemon
    add_guest(xs, 5, 'db', daemon_keys(now, status='stalled', backend='sysfs',
                                       policy='adaptive', target_kb='524288'),
              static_max_kb=524288, target_kb=524288)
    add_guest(xs, 6, 'gone-quiet', daemon_keys(now, heartbeat=str(now - 1000)))
    add_guest(xs, 8, 'older', daemon_keys(now, heartbeat=None, policy=None))
    add_guest(xs, 9, 'fast-clock', daemon_keys(now, heartbeat=str(now + 1000)))
    hostile_guest(xs, 7)


HOSTILE = {
    'status': 'running\x1b[2J\x1b]0;owned\x07',
    'backend': '\x9b31m\u202e',      # C1 CSI, a right-to-left override
    'target_kb': '12abc',
    'goal_kb': '9' * 25,
    'floor_kb': '-1',
    'heartbeat': '+170000000',
    'policy': 'x' * 2000,            # cut at 128 bytes, reported too long
}


def hostile_guest(xs, domid):
    """Guest domid writes its own data/, as a compromised guest would;
    target_kb's neighbours absent keys: none (all written, all bad)."""
    add_guest(xs, domid, 'evil')
    xs.start_guest(domid)
    g = xs.client(domid)
    for k, v in HOSTILE.items():
        g.write(f'{DATA}/{k}', v.encode())
    # junk the daemon never writes: ignored
    for i in range(20):
        g.write(f'{DATA}/junk{i}', '\x1b[5m')
    g.close()
    xs.stop_guest(domid)


# ---- tests ------------------------------------------------------------------

def test_table(xs):
    now = int(time.time())
    fleet(xs, now)
    rc, out, err = run_view(xs)
    print(out.decode('ascii', errors='replace'), end='')
    check_screen_safe(out)
    check(rc == EXIT_SILENT, f'exit {rc}, want {EXIT_SILENT} (silent wins): {err}')
    rows = table_rows(out)
    check(sorted(rows) == [3, 4, 5, 6, 7, 8, 9], f'rows {sorted(rows)}')
    cols = rows[3].split()
    # DOMID NAME HEALTH STATUS BACKEND POLICY TARGET GOAL FLOOR XS-TARGET STATIC-MAX HB
    check(cols[:11] == ['3', 'web1', 'ok', 'running', 'xenstore', 'seed',
                        '256', '244', '128', '512', '768'] and
          cols[11] in ('10s', '11s') and cols[12] == 'ago',
          f'healthy row: {rows[3]}')
    check(re.search(r'\bno daemon\b', rows[4]) and rows[4].rstrip().endswith('-'),
          f'no-daemon row: {rows[4]}')
    check(' stalled ' in rows[5] and ' sysfs ' in rows[5] and ' adaptive ' in rows[5],
          f'stalled row: {rows[5]}')
    check(' silent ' in rows[6] and re.search(r'\b10\d\ds ago$', rows[6]),
          f'silent row: {rows[6]}')
    check(' bad data ' in rows[7], f'hostile row: {rows[7]}')
    check(rows[8].split()[2] == 'ok' and rows[8].rstrip().endswith('never'),
          f'older daemon (no heartbeat, no policy): {rows[8]}')
    check(' bad clock ' in rows[9] and re.search(r'\b(999|1000)s ahead$', rows[9]),
          f'clock ahead: {rows[9]}')
    text = out.decode('ascii')
    for want in [
            'domid 7: status: not one of the known words: '
            '"running\\x1b[2J\\x1b]0;owned\\x07" (21 bytes)',
            'domid 7: backend: not one of the known words: "\\xc2\\x9b31m\\xe2\\x80\\xae"',
            'domid 7: target_kb: not a decimal number: "12abc"',
            'domid 7: goal_kb: number too large',
            'domid 7: floor_kb: not a decimal number: "-1"',
            'domid 7: heartbeat: not a decimal number: "+170000000"',
            'domid 7: policy: too long: "xxxxxxxx',
            '(2000 bytes)']:
        check(want in text, f'missing from the problems: {want}')
    check('7 guests, 2 ok, 1 no daemon, 1 stalled, 1 bad clock, 1 bad data, '
          '1 silent; sizes in MiB' in text, 'summary line')


def test_json(xs):
    now = int(time.time())
    fleet(xs, now)
    rc, out, err = run_view(xs, '--json')
    doc = json.loads(out.decode('utf-8'))  # strict: fails on a raw control
    check(rc == EXIT_SILENT and doc['exit_status'] == rc, f'exit {rc}, doc {doc["exit_status"]}')
    check(abs(doc['time'] - now) < 30, f'time {doc["time"]}')
    check(doc['silent_after_s'] == 180 and doc['max_skew_s'] == 30, 'limits')
    g = {x['domid']: x for x in doc['guests']}
    check(sorted(g) == [3, 4, 5, 6, 7, 8, 9], f'guests {sorted(g)}')
    check(g[3]['name'] == 'web1' and g[3]['health'] == 'ok' and g[3]['daemon'] is True and
          g[3]['status'] == 'running' and g[3]['backend'] == 'xenstore' and
          g[3]['policy'] == 'seed' and g[3]['target_kb'] == 262144 and
          g[3]['goal_kb'] == 250000 and g[3]['floor_kb'] == 131072 and
          g[3]['xs_target_kb'] == 524288 and g[3]['static_max_kb'] == 786432 and
          g[3]['heartbeat'] == now - 10 and g[3]['problems'] == [], f'guest 3: {g[3]}')
    check(g[4]['daemon'] is False and g[4]['health'] == 'no daemon' and
          g[4]['status'] is None and g[4]['heartbeat'] is None, f'guest 4: {g[4]}')
    check(g[5]['health'] == 'stalled', f'guest 5: {g[5]}')
    check(g[6]['health'] == 'silent' and g[6]['heartbeat_age_s'] >= 1000, f'guest 6: {g[6]}')
    check(g[8]['heartbeat'] is None and g[8]['heartbeat_age_s'] is None and
          g[8]['policy'] is None and g[8]['health'] == 'ok', f'guest 8: {g[8]}')
    check(g[9]['health'] == 'bad clock' and g[9]['heartbeat_age_s'] <= -999, f'guest 9: {g[9]}')
    # the hostile guest's bytes come back exactly (JSON-escaped on the way)
    h = g[7]
    check(h['health'] == 'bad data', f'guest 7: {h["health"]}')
    check(h['status'] == HOSTILE['status'], f'status {h["status"]!r}')
    check(h['backend'] == HOSTILE['backend'], f'backend {h["backend"]!r}')
    check(h['policy'] == 'x' * 128, 'policy is cut at 128 bytes')
    check(all(h[k] is None for k in ('target_kb', 'goal_kb', 'floor_kb', 'heartbeat')),
          f'malformed numbers must be null: {h}')
    problems = {p['key']: p['problem'] for p in h['problems']}
    check(problems == {'target_kb': 'not a decimal number', 'goal_kb': 'number too large',
                       'floor_kb': 'not a decimal number', 'backend': 'not one of the known words',
                       'status': 'not one of the known words',
                       'heartbeat': 'not a decimal number', 'policy': 'too long'},
          f'problems {problems}')
    raw = out.decode('utf-8')
    check('\x1b' not in raw and '\x9b' not in raw and '\x07' not in raw,
          'the JSON text carries a raw control character')

    rc, out, _ = run_view(xs, '--json', '--daemons-only')
    check(4 not in {x['domid'] for x in json.loads(out)['guests']}, '--daemons-only')


def test_exit_statuses(xs):
    now = int(time.time())
    add_guest(xs, 3, 'web1', daemon_keys(now))
    add_guest(xs, 4, 'plain')
    rc, out, err = run_view(xs)
    check(rc == EXIT_OK, f'healthy + no daemon: exit {rc} {err}')
    add_guest(xs, 5, 'db', daemon_keys(now, status='stalled'))
    check(run_view(xs)[0] == EXIT_STALLED, 'a stalled guest: 4')
    add_guest(xs, 7, 'evil', daemon_keys(now, goal_kb='\x1b[31m'))
    check(run_view(xs)[0] == EXIT_BAD_DATA, 'bad data wins over stalled: 5')
    add_guest(xs, 6, 'quiet', daemon_keys(now, heartbeat=str(now - 181 - 5)))
    check(run_view(xs)[0] == EXIT_SILENT, 'silent wins: 3')
    # the limit is the operator's
    check(run_view(xs, '--silent-after=600')[0] == EXIT_BAD_DATA, '--silent-after=600')
    # a stopped daemon does not beat and is not silent
    xs.write(f'/local/domain/6/{DATA}/status', 'stopped')
    rc, out, _ = run_view(xs, '--json')
    check(rc == EXIT_BAD_DATA and
          {x['domid']: x['health'] for x in json.loads(out)['guests']}[6] == 'stopped',
          'a stopped daemon with an old heartbeat is stopped, not silent')
    # a heartbeat ahead within the skew is fine; beyond it, a bad clock
    xs.rm(f'/local/domain/7/{DATA}')
    xs.rm(f'/local/domain/5/{DATA}')
    xs.write(f'/local/domain/3/{DATA}/heartbeat', str(now + 20))
    check(run_view(xs)[0] == EXIT_OK, 'heartbeat 20 s ahead, skew 30: fine')
    check(run_view(xs, '--max-skew=5')[0] == EXIT_BAD_DATA, '--max-skew=5: bad clock')


def test_odd_domain_list(xs):
    """dom0 itself, entries that are no domain id, a domain with nothing in
    it: skipped, and the others still listed."""
    now = int(time.time())
    xs.write('/local/domain/0/name', 'Domain-0')
    xs.write('/local/domain/0/' + DATA + '/status', 'running')
    xs.write('/local/domain/notadomid/name', 'x')
    xs.write('/local/domain/99999/name', 'reserved')
    add_guest(xs, 3, 'web1', daemon_keys(now))
    rc, out, err = run_view(xs)
    check(rc == EXIT_OK, f'exit {rc}: {err}')
    check(sorted(table_rows(out)) == [3], f'rows {sorted(table_rows(out))}')
    check('2 entries of /local/domain are no domain id' in err, f'stderr: {err!r}')


def test_errors(xs):
    rc, out, err = run_view(xs, env=dict(xs.env(), XENSTORED_PATH=xs.workdir + '/nothing'))
    check(rc == EXIT_RUNTIME and 'cannot connect to xenstore' in err, f'{rc} {err!r}')
    for bad in (['--silent-after=abc'], ['--silent-after=-1'], ['--max-skew='],
                ['--silent-after=99999999999'], ['extra'], ['--bogus']):
        rc, _, err = run_view(xs, *bad)
        check(rc == EXIT_USAGE and err, f'{bad}: exit {rc} {err!r}')
    rc, out, _ = run_view(xs, '--help')
    check(rc == 0 and b'Exit status' in out, '--help')


def test_no_guests(xs):
    rc, out, err = run_view(xs)
    check(rc == EXIT_OK and b'0 guests' in out, f'{rc} {out!r} {err}')
    rc, out, _ = run_view(xs, '--json')
    check(json.loads(out)['guests'] == [], 'empty JSON list')


def main():
    global DOM0_VIEW
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    DOM0_VIEW = os.path.abspath(sys.argv[1])
    only = sys.argv[2:]
    tests = [(n, f) for n, f in globals().items()
             if n.startswith('test_') and inspect.isfunction(f)]
    passed = failed = 0
    t_all = time.monotonic()
    for name, fn in tests:
        if only and not any(o in name for o in only):
            continue
        t0 = time.monotonic()
        try:
            with XenstoreHarness() as xs:
                fn(xs)
            passed += 1
            print(f'ok   {name} ({(time.monotonic() - t0) * 1000:.0f} ms)')
        except Exception:
            failed += 1
            print(f'FAIL {name}')
            traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
    print(f'{passed} passed, {failed} failed '
          f'({time.monotonic() - t_all:.1f} s)')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
