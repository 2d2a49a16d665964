#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""selfballoond against the real xenstored, connected as guest 5 (not dom0).

    test_daemon.py SELFBALLOOND [NAME-SUBSTRING...]

Each test gets its own xenstored (xsharness), /local/domain/5 laid out as
libxl does (memory/target read-only for the guest, data/ guest-writable)
and its own copy of the fixture tree tests/fixtures/domU-512, a real PV
domU's /proc and /sys, which the daemon reads through --root. While the
daemon is connected, guest 5's nodes are read as dom0: a bridge serves one
client at a time.

Expected targets are never copied from the daemon's output: expect() computes
them from the fixture's files with the seed's arithmetic in Python and checks
that `selfballoond --replay -` agrees before a test relies on the value.

In a fixture tree nothing moves the balloon: target_kb is a plain file, and
the tests that rely on that say so. The two that need a balloon that
follows its target (xenstore lost while ballooning; a cap raised after a
stall) use MockBalloonDriver, a stand-in for the kernel's driver, as
nothing real can run there.

--tick-ms 150 speeds the daemon's whole clock up (interval 5 s -> 150 ms),
so its once-a-minute waits are MINUTE_TICKS ticks here as in production.

Run by `meson test daemon` (suite integration); needs XSSHIM and XSBRIDGE
in the environment. Prints 'N passed, N failed'; exits non-zero on any
failure.
"""

import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from xsharness import NotifySocket, XenstoreHarness, check, eq, wait_until

DAEMON = None  # argv[1]
FIXTURE = os.environ.get('SB_FIXTURE') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'domU-512')

DOMID = 5
DOM = f'/local/domain/{DOMID}'
NO_XENSTORE = 99  # a guest whose bridge is never started: xs_open fails
STATIC_MAX_KB = 786432  # the fixture's xenstore.txt
XS_TARGET_KB = 524288
TICK_MS = 150
TICK = TICK_MS / 1000.0
INTERVAL_S = 5  # the default interval: --tick-ms scales the daemon's clock
MINUTE_TICKS = 60 // INTERVAL_S  # its once-a-minute waits, in ticks

BALLOON = 'sys/devices/system/xen_memory/xen_memory0'
TARGET_FILE = f'{BALLOON}/target_kb'
CURRENT_FILE = f'{BALLOON}/info/current_kb'
RUNSTATE = 'run/selfballoond'
PUB_KEYS = ['target_kb', 'goal_kb', 'floor_kb', 'backend', 'status', 'policy',
            'heartbeat']
GRANT_HINT = (f'xenstore-chmod /local/domain/{DOMID}/memory/target '
              f'n0 b{DOMID}')
REPLAY_HEADER = 't_s,target_kb,goal_kb,floor_kb,frontswap_target_pages'

# selfballoond: <level>: <text> [FIELD=value ...]
LOG_RE = re.compile(r'^selfballoond: (\w+): (.*?)(?: \[([A-Z_]+=[^\]]*)\])?$')


# ---- the seed's arithmetic, independently -----------------------------------

def totalreserve_kb(zoneinfo):
    """calculate_totalreserve_pages(): per zone the largest lowmem reserve
    (the "protection" array) plus the high watermark, at most the zone's
    managed pages; summed, in kB (4 KiB pages)."""
    total = 0
    zone = None
    for line in zoneinfo.splitlines():
        f = line.split()
        if line.startswith('Node '):
            if zone:
                total += min(zone['max'] + zone['high'], zone['managed'])
            zone = {'max': 0, 'high': 0, 'managed': 0}
        elif zone is not None and len(f) == 2 and f[0] in ('high', 'managed'):
            zone[f[0]] = int(f[1])
        elif zone is not None and f and f[0] == 'protection:':
            zone['max'] = max(int(x) for x in
                              re.findall(r'\d+', line.split(':', 1)[1]))
    if zone:
        total += min(zone['max'] + zone['high'], zone['managed'])
    return total * 4


def seed_decision(mem_total_kb, committed_as_kb, totalreserve_kb_, max_kb,
                  current_kb, reserved_mb=None, first_mem_total_kb=None,
                  down=8, up=1):
    """selfballoon_process() in 4 KiB pages, as the replay prints it.
    reserved_mb None: the default, 10 % of the first MemTotal, in MB."""
    cur = mem_total_kb // 4
    first = (first_mem_total_kb or mem_total_kb) // 4
    if reserved_mb is None:
        reserved_mb = (first * 10 // 100) // 256
    reserve = totalreserve_kb_ // 4
    goal = committed_as_kb // 4 + reserve + reserved_mb * 256
    if cur > goal:
        tgt = cur - (cur - goal) // down
    elif cur < goal:
        tgt = cur + (goal - cur) // up
    else:
        tgt = cur
    max_p = max_kb // 4
    useful = max(max_p - reserve, 0)
    mb = 256  # pages per MB
    if useful < 16 * mb:
        floor = max_p
    elif useful < 64 * mb:
        floor = reserve + 16 * mb + (useful - 16 * mb) // 2
    elif useful < 512 * mb:
        floor = reserve + 40 * mb + (useful - 40 * mb) // 8
    else:
        floor = reserve + 99 * mb + (useful - 99 * mb) // 32
    tgt = max(tgt, floor)
    offset = max(current_kb // 4 - cur, 0)  # balloon scale - MemTotal's
    target = min(tgt + offset, max_p)
    return {'target_kb': target * 4, 'goal_kb': goal * 4,
            'floor_kb': floor * 4, 'reserved_mb': reserved_mb,
            'floor_target_kb': min(floor + offset, max_p) * 4}


def replay(readings, config_text=None):
    """The daemon's own --replay for one row of readings: (header, line)."""
    cols = ['mem_total_kb', 'committed_as_kb', 'totalreserve_kb', 'max_kb',
            'balloon_current_kb']
    text = ','.join(cols) + '\n' + ','.join(str(readings[c])
                                             for c in cols) + '\n'
    argv = [DAEMON, '--replay', '-']
    with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
        if config_text is not None:
            conf.write(config_text)
            conf.flush()
            argv += ['--config', conf.name]
        p = subprocess.run(argv, input=text, capture_output=True, text=True,
                           timeout=10)
    eq(p.returncode, 0, f'--replay exit status ({p.stderr.strip()})')
    lines = p.stdout.splitlines()
    eq(len(lines), 2, 'replay output lines')
    return lines[0], lines[1]


# ---- the fixture tree -------------------------------------------------------

class Tree:
    """A private, writable copy of the fixture root."""

    def __init__(self, base):
        self.root = os.path.join(base, 'root')
        shutil.copytree(FIXTURE, self.root, symlinks=True)
        for d, dirs, files in os.walk(self.root):
            for n in dirs + files:
                p = os.path.join(d, n)
                os.chmod(p, os.stat(p).st_mode | 0o200)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def write(self, rel, text):
        """Atomically (rename), so a reader never sees half a file."""
        tmp = self.path(rel) + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, self.path(rel))

    def read_int(self, rel):
        return int(self.read(rel).strip())

    @property
    def target_kb(self):
        # The daemon writes a fixture's target_kb with O_TRUNC then write():
        # a reader can land in between (sysfs has no such moment).
        for _ in range(200):
            text = self.read(TARGET_FILE)
            if text:
                return int(text)
            time.sleep(0.001)
        raise AssertionError(f'{TARGET_FILE} stays empty')

    @property
    def current_kb(self):
        return self.read_int(CURRENT_FILE)

    def meminfo(self, key):
        m = re.search(rf'^{re.escape(key)}:\s+(\d+) kB$',
                      self.read('proc/meminfo'), re.M)
        return int(m.group(1))

    def set_meminfo(self, key, kb):
        text, n = re.subn(rf'^({re.escape(key)}:\s+)\d+( kB)$',
                          lambda m: f'{m.group(1)}{kb}{m.group(2)}',
                          self.read('proc/meminfo'), flags=re.M)
        eq(n, 1, f'{key} lines in meminfo')
        self.write('proc/meminfo', text)

    def readings(self, max_kb=STATIC_MAX_KB):
        return {'mem_total_kb': self.meminfo('MemTotal'),
                'committed_as_kb': self.meminfo('Committed_AS'),
                'totalreserve_kb': totalreserve_kb(self.read('proc/zoneinfo')),
                'max_kb': max_kb,
                'balloon_current_kb': self.current_kb}

    def record_path(self):
        return self.path(f'{RUNSTATE}/start-target')

    def has_record(self):
        return os.path.exists(self.record_path())


def expect(tree, reserved_mb=None, config_text=None, first_mem_total_kb=None,
           max_kb=STATIC_MAX_KB):
    """The target for the tree's current readings: Python's seed arithmetic,
    checked against the daemon's --replay of the same readings."""
    r = tree.readings(max_kb)
    d = seed_decision(r['mem_total_kb'], r['committed_as_kb'],
                      r['totalreserve_kb'], r['max_kb'],
                      r['balloon_current_kb'], reserved_mb=reserved_mb,
                      first_mem_total_kb=first_mem_total_kb)
    if first_mem_total_kb is None:
        header, line = replay(r, config_text)
        eq(header, REPLAY_HEADER, 'replay header')
        eq(line.split(',')[1:4],
           [str(d['target_kb']), str(d['goal_kb']), str(d['floor_kb'])],
           f'--replay against the Python arithmetic for {r}')
    return d


# ---- the daemon ---------------------------------------------------------------

class Daemon:
    """selfballoond on a tree, as guest DOMID by default; its stderr lines
    are collected by a thread and parsed."""

    def __init__(self, xs, tree, base, *args, config='', domid=DOMID,
                 env=None, tick_ms=TICK_MS, argv0=None, capture_stdout=False):
        self.tree = tree
        self.config_path = os.path.join(base, f'selfballoon-{id(self)}.conf')
        if isinstance(config, str):
            with open(self.config_path, 'w') as f:
                f.write(config)
        argv = [DAEMON, '--root', tree.root, '--config', self.config_path,
                '--log=console']
        if tick_ms:
            argv += ['--tick-ms', str(tick_ms)]
        argv += list(args)
        if argv0:
            argv = argv0 + argv
        self.argv = argv
        self._lines = []
        self._out = []
        self._lock = threading.Lock()
        self.proc = xs.spawn(argv, domid=domid, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stderr,
                                                      self._lines),
                             daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stdout,
                                                      self._out),
                             daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream, into):
        for raw in iter(stream.readline, b''):
            with self._lock:
                into.append((time.monotonic(),
                             raw.decode(errors='replace').rstrip('\n')))

    def lines(self):
        with self._lock:
            return [l for _, l in self._lines]

    def stdout(self):
        with self._lock:
            return [l for _, l in self._out]

    def log(self):
        return '\n'.join(self.lines())

    def matching(self, regex, level=None):
        r = re.compile(regex)
        out = []
        for l in self.lines():
            m = LOG_RE.match(l)
            if m and (level is None or m.group(1) == level) and \
                    r.search(m.group(2)):
                out.append(l)
        return out

    def count(self, regex, level=None):
        return len(self.matching(regex, level))

    def wait_log(self, regex, timeout=5.0, level=None):
        return wait_until(lambda: self.matching(regex, level), timeout,
                          f'log line /{regex}/\n--- daemon log:\n{self.log()}')

    def decisions(self, after=None):
        """Every decision entry: dict of its fields (ints where numeric);
        with after, only those logged after the first line matching it."""
        out = []
        lines = self.lines()
        if after is not None:
            first = self.matching(after)
            check(first, f'no line /{after}/')
            lines = lines[lines.index(first[0]) + 1:]
        for l in lines:
            m = LOG_RE.match(l)
            if not m or not m.group(3) or 'SELFBALLOON_TARGET_KB=' not in \
                    m.group(3):
                continue
            f = dict(kv.split('=', 1) for kv in m.group(3).split(' '))
            out.append({k: int(v) if v.isdigit() else v for k, v in f.items()})
        return out

    def wait_target(self, kb, timeout=5.0):
        """The sysfs target_kb file holds kb."""
        return wait_until(lambda: self.tree.target_kb == kb, timeout,
                          f'sysfs target_kb == {kb} (is '
                          f'{self.tree.target_kb})\n--- daemon log:\n'
                          f'{self.log()}')

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=5.0):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f'daemon did not exit within {timeout}s\n'
                                 f'--- daemon log:\n{self.log()}')
        for t in self._threads:
            t.join(2)
        return rc

    def stop(self, timeout=5.0):
        self.signal(signal.SIGTERM)
        return self.wait(timeout)


def run_once(xs, tree, base, *args, domid=DOMID, config='', timeout=10,
             env=None):
    """A short-lived selfballoond (--once, --restore, refusals): rc, stdout
    lines, stderr lines."""
    d = Daemon(xs, tree, base, *args, domid=domid, config=config,
               tick_ms=None, env=env)
    rc = d.wait(timeout)
    return rc, d.stdout(), d.lines()


def guest5(xs):
    xs.setup_domain(DOMID, static_max_kb=STATIC_MAX_KB, target_kb=XS_TARGET_KB)
    return xs.start_guest(DOMID)


def data(xs, domid=DOMID):
    """data/selfballoon/ as dom0 sees it: {key: value}, {} when absent."""
    base = f'/local/domain/{domid}/data/selfballoon'
    if not xs.exists(base):
        return {}
    return {k: xs.read(f'{base}/{k}') for k in xs.ls(base)}


def without_heartbeat(got, what):
    """got without its heartbeat, which must be this machine's clock in
    seconds (CLOCK_REALTIME), a few seconds old at most."""
    got = dict(got)
    hb = got.pop('heartbeat', None)
    check(hb is not None and hb.isdigit(), f'{what}: heartbeat {hb!r}')
    check(abs(int(hb) - time.time()) < 10, f'{what}: heartbeat {hb} vs now {time.time()}')
    return got


def xs_target(xs, domid=DOMID):
    return int(xs.read(f'/local/domain/{domid}/memory/target'))


def guest_writes(xs):
    """Writes the guest sent (relative paths; dom0's setup uses absolute)."""
    return [l for l in xs.trace_requests()
            if l.startswith('IN ') and re.search(r' WRITE \((memory|data)/', l)]


class MockBalloonDriver:
    """MOCK of the kernel's balloon driver on the fixture files (nothing real
    can run in a fixture tree): it moves info/current_kb to target_kb, and
    MemTotal in proc/meminfo by the same delta, as if Xen had granted or
    taken the pages at once; cap_kb plays Xen's cap (xl mem-max): the
    balloon grows no further, and reaches on when the cap is raised, as the
    kernel's balloon worker keeps trying."""

    def __init__(self, tree, period=0.01, cap_kb=None):
        self.tree = tree
        self.period = period
        self.cap_kb = cap_kb
        self.seen = []  # (monotonic time, target) for every new target
        self._stop = threading.Event()
        self._last = tree.target_kb
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.period):
            try:
                target = int(self.tree.read(TARGET_FILE))
            except (OSError, ValueError):
                continue  # caught between O_TRUNC and write(): next time
            if target != self._last:
                self._last = target
                self.seen.append((time.monotonic(), target))
            have = self.tree.current_kb
            want = target if self.cap_kb is None else min(target, self.cap_kb)
            if want == have:
                continue
            self.tree.set_meminfo('MemTotal',
                                  self.tree.meminfo('MemTotal') + want - have)
            self.tree.write(CURRENT_FILE, f'{want}\n')

    def stop(self):
        self._stop.set()
        self._thread.join(2)


# ---- 1, 2: EACCES, the sysfs fallback, the grant ---------------------------

def test_eacces_falls_back_to_sysfs(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    wait_until(lambda: data(xs).get('status') == 'running', 5,
               f'data/selfballoon/status running; log:\n{d.log()}')
    time.sleep(8 * TICK)  # more ticks: the hint must still be there once
    check(d.alive(), f'daemon died:\n{d.log()}')

    hints = [l for l in d.lines() if GRANT_HINT in l]
    eq(len(hints), 1, f'lines with the grant hint "{GRANT_HINT}"')
    check(hints[0].startswith('selfballoond: notice: '),
          f'hint not at notice level: {hints[0]}')
    check(any('ERROR (EACCES' in l for l in xs.trace_requests()),
          'xenstored never answered EACCES')
    eq(tree.target_kb, want['target_kb'], 'sysfs target_kb')
    eq(xs_target(xs), XS_TARGET_KB, 'memory/target (must be untouched)')
    eq(without_heartbeat(data(xs), 'data/selfballoon/'),
       {'target_kb': str(want['target_kb']),
        'goal_kb': str(want['goal_kb']),
        'floor_kb': str(want['floor_kb']),
        'backend': 'sysfs', 'status': 'running', 'policy': 'seed'},
       'data/selfballoon/')
    for k in PUB_KEYS:  # written as the guest, not as dom0
        eq(xs.get_perms(f'{DOM}/data/selfballoon/{k}')[0], f'n{DOMID}',
           f'owner of data/selfballoon/{k}')
    dec = d.decisions()
    eq(len(dec), 1, 'decision entries (one per changed target)')
    eq(dec[0]['SELFBALLOON_BACKEND'], 'sysfs', 'decision backend')
    eq(dec[0]['SELFBALLOON_MAX_KB'], STATIC_MAX_KB, 'max from static-max')
    eq(d.stop(), 0, 'exit status on SIGTERM')
    # a restart in the same boot (the same /run): the command is not said again
    d2 = Daemon(xs, tree, base)
    d2.wait_log(r'^xenstore still refuses memory/target: driving the balloon through sysfs',
                level='info')
    eq([l for l in d2.lines() if GRANT_HINT in l], [], 'grant hint after a restart')
    eq(d2.stop(), 0, 'exit status')


def test_grant_takes_effect_on_reload(xs, base):
    """After the grant, the daemon's writes land in memory/target. The
    automatic retry comes a minute after the refusal; a reload makes it count
    at once (manager_reload), which is what this test uses."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_log(re.escape(GRANT_HINT), level='notice')
    d.wait_target(want['target_kb'])
    eq(xs_target(xs), XS_TARGET_KB, 'memory/target before the grant')

    xs.grant_target(DOMID)
    d.signal(signal.SIGHUP)
    d.wait_log(r'memory/target is writable now: using xenstore',
               level='notice')
    wait_until(lambda: xs_target(xs) == want['target_kb'], 5,
               f'memory/target == {want["target_kb"]}; log:\n{d.log()}')
    wait_until(lambda: data(xs).get('backend') == 'xenstore', 5,
               f'data backend xenstore; log:\n{d.log()}')
    check(any(re.search(rf' WRITE \(memory/target {want["target_kb"]}\)', l)
              for l in guest_writes(xs)),
          'no guest WRITE of memory/target in the trace')
    time.sleep(5 * TICK)
    eq(d.count(r'memory/target is writable now'), 1, 'GRANTED messages')
    eq(len([l for l in d.lines() if GRANT_HINT in l]), 1, 'grant hints')
    eq(data(xs)['target_kb'], str(want['target_kb']), 'data target_kb')
    eq(data(xs)['status'], 'running', 'data status')
    eq(xs_target(xs), want['target_kb'], 'memory/target stays')
    eq(d.stop(), 0, 'exit status')


def test_grant_and_revoke_without_reload(xs, base):
    """xenstored fires the memory/target watch on a permission change: the
    grant (xenstore-chmod in dom0) counts at once, no SIGHUP, no minute's
    wait; a revoke sends the next write back to sysfs with one notice."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_log(re.escape(GRANT_HINT), level='notice')
    d.wait_target(want['target_kb'])
    t0 = time.monotonic()
    xs.grant_target(DOMID)
    d.wait_log(r'memory/target is writable now: using xenstore', level='notice',
               timeout=3 * TICK + 1)
    check(time.monotonic() - t0 < 12 * TICK, 'the grant waited for the minute-long retry')
    wait_until(lambda: xs_target(xs) == want['target_kb'], 2,
               f'memory/target == {want["target_kb"]}; log:\n{d.log()}')
    wait_until(lambda: data(xs).get('backend') == 'xenstore', 5, 'data backend xenstore')
    eq(d.count(r'^reloaded'), 0, 'reloads')

    # revoked: the next target cannot go to xenstore: sysfs, one notice
    xs.chmod(f'/local/domain/{DOMID}/memory/target', 'n0', f'r{DOMID}')
    tree.set_meminfo('Committed_AS', 300000)
    d.wait_log(r'xenstore refuses memory/target again \(the grant was revoked\)',
               level='notice')
    wait_until(lambda: tree.target_kb != want['target_kb'], 5,
               f'sysfs target moved; log:\n{d.log()}')
    wait_until(lambda: data(xs).get('backend') == 'sysfs', 5, 'data backend sysfs')
    time.sleep(4 * TICK)
    eq(d.count(r'xenstore refuses memory/target again'), 1, 'revoke notices')
    eq(len([l for l in d.lines() if GRANT_HINT in l]), 1, 'grant hints')
    eq(d.stop(), 0, 'exit status')


def test_grant_takes_effect_on_restart(xs, base):
    """Granted before the daemon starts: xenstore from the first tick, no
    hint; and the sysfs file is left alone."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    eq(d.stop(), 0, 'first daemon exit status')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs restored by the first daemon')

    xs.grant_target(DOMID)
    d2 = Daemon(xs, tree, base)
    wait_until(lambda: xs_target(xs) == want['target_kb'], 5,
               f'memory/target == {want["target_kb"]}; log:\n{d2.log()}')
    wait_until(lambda: data(xs).get('backend') == 'xenstore', 5,
               f'data backend xenstore; log:\n{d2.log()}')
    time.sleep(4 * TICK)
    eq([l for l in d2.lines() if GRANT_HINT in l], [], 'hint after a grant')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target_kb (xenstore used)')
    dec = d2.decisions()
    eq([x['SELFBALLOON_BACKEND'] for x in dec], ['xenstore'],
       'decision backends')
    eq(d2.stop(), 0, 'exit status')
    # the restore goes through the backend in use: memory/target
    eq(xs_target(xs), XS_TARGET_KB, 'memory/target restored at stop')
    eq(data(xs).get('status'), 'stopped', 'data status')


def test_refused_xenstore_retried_once_a_minute(xs, base):
    """Refused and never granted: xenstore is asked again a minute after the
    refusal (MINUTE_TICKS ticks: --tick-ms speeds the daemon's clock up), not
    in between, even with the target unchanged. (A grant itself is seen at
    once through the watch: test_grant_and_revoke_without_reload.)"""
    guest5(xs)
    tree = Tree(base)
    d = Daemon(xs, tree, base)
    d.wait_log(re.escape(GRANT_HINT), level='notice')
    time.sleep((MINUTE_TICKS - 4) * TICK)
    tries = [l for l in guest_writes(xs) if 'WRITE (memory/target' in l]
    eq(len(tries), 1, f'xenstore tries in {MINUTE_TICKS - 4} ticks after '
       f'the refusal: {tries}')
    wait_until(lambda: len([l for l in guest_writes(xs) if 'WRITE (memory/target' in l]) == 2,
               10 * TICK + 2, 'the retry a minute on')
    time.sleep(4 * TICK)
    eq(len([l for l in guest_writes(xs) if 'WRITE (memory/target' in l]), 2,
       'xenstore tries after the retry')
    eq(len([l for l in d.lines() if GRANT_HINT in l]), 1, 'grant hints')
    d.stop()


# ---- 3: the toolstack's target is a ceiling ---------------------------------

def test_external_target_is_ceiling(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    ceiling = want['target_kb'] - 23756  # below the decision, above floor
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    wait_until(lambda: data(xs).get('target_kb') == str(want['target_kb']),
               5, 'data target_kb')

    xs.write(f'{DOM}/memory/target', str(ceiling))  # = xl mem-set
    line = d.wait_log(rf'the toolstack set memory/target to {ceiling} kB',
                      level='notice')[0]
    check(f'SELFBALLOON_CEILING_KB={ceiling}' in line,
          f'ceiling field: {line}')
    d.wait_target(ceiling)
    time.sleep(6 * TICK)
    later = d.decisions(after=r'the toolstack set memory/target')
    eq([x['SELFBALLOON_TARGET_KB'] for x in later], [ceiling],
       'decisions after the ceiling')
    for x in later:
        check(x['SELFBALLOON_TARGET_KB'] <= ceiling,
              f'target {x["SELFBALLOON_TARGET_KB"]} above the ceiling')
    eq(tree.target_kb, ceiling, 'sysfs target under the ceiling')
    eq(data(xs)['target_kb'], str(ceiling), 'data target_kb')
    eq(xs_target(xs), ceiling, "the toolstack's memory/target is kept")
    eq(d.count(r'the toolstack set memory/target'), 1, 'ceiling messages')

    # The next toolstack value replaces it: above the decision, it no
    # longer holds the target down.
    xs.write(f'{DOM}/memory/target', str(STATIC_MAX_KB))
    d.wait_log(rf'the toolstack set memory/target to {STATIC_MAX_KB} kB')
    d.wait_target(want['target_kb'])
    eq(d.stop(), 0, 'exit status')


def test_ceiling_with_xenstore_backend(xs, base):
    """Granted: the daemon writes memory/target itself; its own writes must
    not count as the toolstack's, an xl mem-set must."""
    guest5(xs)
    xs.grant_target(DOMID)
    tree = Tree(base)
    want = expect(tree)
    ceiling = want['target_kb'] - 10000
    d = Daemon(xs, tree, base)
    wait_until(lambda: xs_target(xs) == want['target_kb'], 5,
               f'memory/target == {want["target_kb"]}; log:\n{d.log()}')
    time.sleep(4 * TICK)  # it writes every tick: target_kb does not follow
    eq(d.count(r'the toolstack set memory/target'), 0,
       "ceiling messages for the daemon's own writes")
    # play the kernel's xenbus watch once, so that the daemon stops writing
    # and the toolstack's write below does not race one of its writes (that
    # race is test_toolstack_write_racing_daemon_write)
    tree.write(TARGET_FILE, f'{want["target_kb"]}\n')
    time.sleep(2 * TICK)
    n = len(guest_writes(xs))
    time.sleep(3 * TICK)
    eq(guest_writes(xs)[n:], [], 'writes once the balloon has the target')

    xs.write(f'{DOM}/memory/target', str(ceiling))
    d.wait_log(rf'the toolstack set memory/target to {ceiling} kB')
    time.sleep(6 * TICK)
    eq(xs_target(xs), ceiling, 'memory/target under the ceiling')
    later = d.decisions(after=r'the toolstack set memory/target')
    eq([x['SELFBALLOON_TARGET_KB'] for x in later], [ceiling],
       'decisions after the ceiling')
    for x in later:
        check(x['SELFBALLOON_TARGET_KB'] <= ceiling,
              f'target {x["SELFBALLOON_TARGET_KB"]} above the ceiling')
    eq(d.count(r'the toolstack set memory/target'), 1, 'ceiling messages')
    eq(data(xs)['target_kb'], str(ceiling), 'data target_kb')
    eq(d.stop(), 0, 'exit status')


def test_toolstack_write_racing_daemon_write(xs, base):
    """An xl mem-set that lands just before one of the daemon's own writes of
    memory/target must not be overwritten and forgotten. Made deterministic
    by freezing guest 5's bridge (SIGSTOP): the toolstack writes, the daemon's
    next write waits in the bridge, then both go on."""
    guest5(xs)
    xs.grant_target(DOMID)
    tree = Tree(base)
    want = expect(tree)
    ceiling = want['target_kb'] - 10000
    d = Daemon(xs, tree, base)  # target_kb does not follow: writes each tick
    wait_until(lambda: xs_target(xs) == want['target_kb'], 5,
               f'memory/target == {want["target_kb"]}; log:\n{d.log()}')
    bridge = xs._bridges[DOMID].pid  # the harness has no API for this
    os.kill(bridge, signal.SIGSTOP)
    try:
        xs.write(f'{DOM}/memory/target', str(ceiling))  # = xl mem-set
        time.sleep(3 * TICK)  # the daemon's next write is under way
    finally:
        os.kill(bridge, signal.SIGCONT)
    time.sleep(6 * TICK)
    check(d.matching(rf'the toolstack set memory/target to {ceiling} kB'),
          f'the toolstack\'s {ceiling} kB was lost: memory/target is '
          f'{xs_target(xs)}\n--- daemon log:\n{d.log()}')
    check(xs_target(xs) <= ceiling,
          f'memory/target {xs_target(xs)} above the toolstack\'s {ceiling}')
    eq(d.stop(), 0, 'exit status')


def test_ceiling_below_floor(xs, base):
    """A toolstack target below the floor: the daemon steps aside (writes
    nothing) and says so once."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    low = want['floor_target_kb'] - 91412
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    xs.write(f'{DOM}/memory/target', str(low))
    d.wait_log(rf"^the toolstack's target {low} kB is below the floor "
               rf"{want['floor_target_kb']} kB: leaving the balloon to the "
               r"toolstack$", level='warning')
    time.sleep(6 * TICK)
    eq(d.count(r'is below the floor'), 1, 'below-floor warnings')
    eq(d.decisions(after=r'the toolstack set memory/target'), [],
       'decisions under a ceiling below the floor')
    eq(tree.target_kb, want['target_kb'], 'sysfs target_kb (not written)')
    eq(xs_target(xs), low, 'memory/target')
    eq(d.stop(), 0, 'exit status')


# ---- backends forced by the configuration ---------------------------------------

def test_backend_sysfs_never_writes_memory_target(xs, base):
    guest5(xs)
    xs.grant_target(DOMID)  # even when it could
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base, config='[selfballoon]\nbackend = sysfs\n')
    d.wait_target(want['target_kb'])
    wait_until(lambda: data(xs).get('status') == 'running', 5, 'data/')
    time.sleep(4 * TICK)
    eq(data(xs)['backend'], 'sysfs', 'data backend')
    eq(xs_target(xs), XS_TARGET_KB, 'memory/target')
    eq(d.stop(), 0, 'exit status')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs restored')
    eq([l for l in guest_writes(xs) if 'memory/target' in l], [],
       'memory/target writes with backend = sysfs')
    eq([l for l in d.lines() if GRANT_HINT in l], [], 'grant hint')


def test_backend_xenstore_denied(xs, base):
    """backend = xenstore without the grant: no sysfs fallback, one error
    per target, not one per tick."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base, config='[selfballoon]\nbackend = xenstore\n')
    d.wait_log(rf'^cannot set the balloon target to {want["target_kb"]} kB '
               r'through xenstore: Permission denied$', level='error')
    time.sleep(6 * TICK)
    eq(d.count(r'cannot set the balloon target'), 1, 'write-failure errors')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target_kb (no fallback)')
    eq(xs_target(xs), XS_TARGET_KB, 'memory/target')
    check(d.alive(), 'daemon died')
    d.stop()


# ---- 4: xenstore lost and back -------------------------------------------------

def test_xenstore_lost_and_back(xs, base):
    """The connection drops while the balloon moves (MockBalloonDriver):
    the daemon keeps ballooning through sysfs, then reconnects, republishes
    data/ and watches memory/target again."""
    guest5(xs)
    tree = Tree(base)
    first = tree.readings()
    mock = MockBalloonDriver(tree)
    try:
        d = Daemon(xs, tree, base)
        wait_until(lambda: len(mock.seen) >= 2, 5,
                   f'the balloon moving; log:\n{d.log()}')
        wait_until(lambda: data(xs).get('status') == 'running', 5, 'data/')

        xs.stop_guest(DOMID)
        t_lost = time.monotonic()
        d.wait_log(r'xenstore connection lost', level='warning')
        time.sleep(6 * TICK)
        moved = [t for when, t in mock.seen if when > t_lost]
        check(len(moved) >= 3, f'only {len(moved)} sysfs targets while '
              f'xenstore was away:\n{d.log()}')
        xs.rm(f'{DOM}/data/selfballoon')  # to see it republished

        mock.stop()  # let the decision settle before checking data/
        time.sleep(3 * TICK)
        settled = tree.target_kb
        xs.start_guest(DOMID)
        d.wait_log(rf'xenstore connection back \(domid {DOMID}\)',
                   level='notice')
        wait_until(lambda: set(data(xs)) == set(PUB_KEYS), 5,
                   f'data/selfballoon/ republished; log:\n{d.log()}')
        got = data(xs)
        eq(got['target_kb'], str(settled), 'republished target_kb')
        eq((got['backend'], got['status']), ('sysfs', 'running'),
           'republished backend, status')
        eq(d.count(r'xenstore connection lost'), 1, 'lost messages')

        # every decision is the seed's arithmetic of its own logged readings
        for x in d.decisions():
            want = seed_decision(x['SELFBALLOON_MEMTOTAL_KB'],
                                 x['SELFBALLOON_COMMITTED_AS_KB'],
                                 x['SELFBALLOON_TOTALRESERVE_KB'],
                                 x['SELFBALLOON_MAX_KB'],
                                 x['SELFBALLOON_CURRENT_KB'],
                                 first_mem_total_kb=first['mem_total_kb'])
            eq(x['SELFBALLOON_TARGET_KB'], want['target_kb'],
               f'decision {x}')

        # watching again: a toolstack write is a ceiling
        ceiling = settled - 4096
        xs.write(f'{DOM}/memory/target', str(ceiling))
        d.wait_log(rf'the toolstack set memory/target to {ceiling} kB')
        d.wait_target(ceiling)
        eq(d.stop(), 0, 'exit status')
    finally:
        mock.stop()


def test_xenstore_lost_while_steady(xs, base):
    """The same with nothing changing (the common case: an idle guest): the
    loss must still be noticed, and data/ and the watch come back."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    wait_until(lambda: data(xs).get('status') == 'running', 5, 'data/')

    xs.stop_guest(DOMID)
    time.sleep(4 * TICK)
    xs.rm(f'{DOM}/data/selfballoon')
    xs.start_guest(DOMID)
    wait_until(lambda: set(data(xs)) == set(PUB_KEYS), 4,
               f'data/selfballoon/ republished after the bridge came back; '
               f'log:\n{d.log()}')
    d.wait_log(rf'xenstore connection back \(domid {DOMID}\)', timeout=1)
    eq(data(xs)['target_kb'], str(want['target_kb']), 'data target_kb')
    ceiling = want['target_kb'] - 4096
    xs.write(f'{DOM}/memory/target', str(ceiling))
    d.wait_log(rf'the toolstack set memory/target to {ceiling} kB')
    d.wait_target(ceiling)
    eq(d.stop(), 0, 'exit status')


def test_toolstack_write_while_disconnected(xs, base):
    """xl mem-set while the guest's xenstore connection is down: once it is
    back, the changed memory/target (not written by the daemon) is the
    toolstack's and must become the ceiling, as it would have connected."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    ceiling = want['target_kb'] - 23756
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    xs.stop_guest(DOMID)
    d.wait_log(r'xenstore connection lost', level='warning')
    xs.write(f'{DOM}/memory/target', str(ceiling))
    xs.start_guest(DOMID)
    d.wait_log(rf'xenstore connection back \(domid {DOMID}\)')
    d.wait_log(rf'the toolstack set memory/target to {ceiling} kB', timeout=3)
    d.wait_target(ceiling)
    eq(d.stop(), 0, 'exit status')


def test_reconnect_as_another_domain(xs, base):
    """After a migration the guest is another domain: when xenstore comes
    back the daemon re-reads its domain (domid, static-max) and publishes
    and watches there."""
    guest5(xs)
    other, other_max = 7, 1048576
    xs.setup_domain(other, static_max_kb=other_max, target_kb=XS_TARGET_KB)
    tree = Tree(base)
    want = expect(tree)
    moved = expect(tree, max_kb=other_max)
    check(moved['floor_kb'] != want['floor_kb'], 'test needs another floor')
    d = Daemon(xs, tree, base)
    wait_until(lambda: data(xs).get('status') == 'running', 5, 'data/')
    xs.stop_guest(DOMID)
    d.wait_log(r'xenstore connection lost', level='warning')
    xs.start_guest(other)
    # the daemon's XENSTORED_PATH now leads to domain 7
    os.symlink(xs.guest_socket(other), xs.guest_socket(DOMID))
    d.wait_log(rf'xenstore connection back \(domid {other}\)')
    base7 = f'/local/domain/{other}/data/selfballoon'
    wait_until(lambda: xs.exists(f'{base7}/status'), 5,
               f'{base7}/ published; log:\n{d.log()}')
    got = {k: xs.read(f'{base7}/{k}') for k in xs.ls(base7)}
    eq(without_heartbeat(got, base7),
       {'target_kb': str(moved['target_kb']),
        'goal_kb': str(moved['goal_kb']),
        'floor_kb': str(moved['floor_kb']),
        'backend': 'sysfs', 'status': 'running', 'policy': 'seed'},
       f'{base7}/ (static-max {other_max})')
    ceiling = moved['target_kb'] - 23756
    xs.write(f'/local/domain/{other}/memory/target', str(ceiling))
    d.wait_log(rf'the toolstack set memory/target to {ceiling} kB')
    d.wait_target(ceiling)
    eq(d.stop(), 0, 'exit status')


# ---- 4b: restored or migrated: the same connection, another domain ----------------
#
# xl save/restore and xl migrate rebuild the guest as another domain; its
# kernel's xenbus carries on under the new domid (relative paths resolve
# there) and registers every watch again, which fires each once. The
# harness plays that with move_guest(): the daemon keeps its connection.

MOVED_TO = 8  # the domain the guest runs as after the move


def granted_daemon(xs, base):
    """Guest 5 granted memory/target, the daemon running and writing it:
    (tree, expected decision, daemon)."""
    guest5(xs)
    xs.grant_target(DOMID)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    wait_until(lambda: xs_target(xs) == want['target_kb'], 5,
               f'memory/target == {want["target_kb"]}; log:\n{d.log()}')
    return tree, want, d


def wait_regular_tick(n, tick):
    """Returns right after the daemon's next regular tick (its STATUS=)."""
    def ticks():
        return len([m for m in n.messages()
                    if any(x.startswith('STATUS=') for x in m)])
    seen = ticks()
    wait_until(lambda: ticks() > seen, 2 * tick + 1, 'a regular tick')


def moved_re(new, old=DOMID):
    return (rf'^the guest runs as domain {new} now \(was {old}: restored or '
            r'migrated\): ')


def move_grant_lost_re(new):
    return (rf'^xenstore refuses memory/target on domain {new} \(a restore '
            r'or migration does not carry the grant over\): driving the '
            r'balloon through sysfs; ')


def test_move_republishes(xs, base):
    """Not granted (sysfs): the move is said at once with both domids, and
    data/selfballoon/ appears under the new domain, written by the daemon
    after the move (empty before: the harness copies nothing), while the
    balloon keeps the daemon's target and the grant hint is not said
    again. The toolstack's writes to the new memory/target count."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_log(re.escape(GRANT_HINT), level='notice')
    d.wait_target(want['target_kb'])
    wait_until(lambda: set(data(xs)) == set(PUB_KEYS), 5,
               f'data/selfballoon/ on domain {DOMID}; log:\n{d.log()}')
    xs.setup_domain(MOVED_TO, static_max_kb=STATIC_MAX_KB,
                    target_kb=xs_target(xs), name=f'guest{DOMID}')
    # the control: whatever appears there below is the daemon's doing
    eq(data(xs, MOVED_TO), {}, f'data/selfballoon/ of domain {MOVED_TO} '
       'before the move')
    n_decisions = len(d.decisions())
    xs.move_guest(DOMID, MOVED_TO, setup=False)
    t_moved = time.monotonic()
    line = d.wait_log(moved_re(MOVED_TO), level='notice', timeout=5)[0]
    # the watch brings it, not the heartbeat's minute (MINUTE_TICKS ticks)
    check(time.monotonic() - t_moved < 5 * TICK,
          f'the move said {time.monotonic() - t_moved:.2f} s after it')
    for field in (f'SELFBALLOON_DOMID={MOVED_TO}',
                  f'SELFBALLOON_OLD_DOMID={DOMID}'):
        check(field in line, f'{field} not in {line}')
    wait_until(lambda: set(data(xs, MOVED_TO)) == set(PUB_KEYS), 5 * TICK,
               f'data/selfballoon/ on domain {MOVED_TO} within 5 ticks: '
               f'{data(xs, MOVED_TO)}; log:\n{d.log()}')
    pub = f'/local/domain/{MOVED_TO}/data/selfballoon'
    eq(without_heartbeat(data(xs, MOVED_TO), pub),
       {'target_kb': str(want['target_kb']),
        'goal_kb': str(want['goal_kb']),
        'floor_kb': str(want['floor_kb']),
        'backend': 'sysfs', 'status': 'running', 'policy': 'seed'}, pub)
    for k in PUB_KEYS:
        eq(xs.get_perms(f'{pub}/{k}')[0], f'n{MOVED_TO}', f'owner of {pub}/{k}')
    time.sleep(4 * TICK)
    eq(tree.target_kb, want['target_kb'], 'sysfs target_kb after the move')
    eq([x['SELFBALLOON_TARGET_KB'] for x in d.decisions()[n_decisions:]],
       [want['target_kb']], 'decisions after the move (logged again once)')
    eq(d.count(r'^the guest runs as domain '), 1, 'move notices')
    eq(len([l for l in d.lines() if GRANT_HINT in l]), 1, 'grant hints')
    eq(d.count(r'does not carry the grant over|the grant was revoked'), 0,
       'grant-lost notices (there was no grant)')
    eq(d.count(r'xenstore connection lost'), 0, 'the move taken for a loss')
    eq(xs_target(xs, MOVED_TO), XS_TARGET_KB, 'memory/target (untouched)')
    # the watch is domain 8's now: the toolstack's target there is a ceiling
    ceiling = want['target_kb'] - 23756
    xs.write(f'/local/domain/{MOVED_TO}/memory/target', str(ceiling))
    d.wait_log(rf'the toolstack set memory/target to {ceiling} kB',
               level='notice')
    d.wait_target(ceiling)
    eq(d.stop(), 0, 'exit status')
    eq(data(xs, MOVED_TO).get('status'), 'stopped', 'data status at stop')


def test_move_to_another_static_max(xs, base):
    """The new domain may be given another static-max (xl restore with a
    changed configuration): the move makes the daemon read it, and its
    floor and target follow, published under the new domain."""
    guest5(xs)
    other_max = 1048576
    tree = Tree(base)
    want = expect(tree)
    moved = expect(tree, max_kb=other_max)
    check(moved['floor_kb'] != want['floor_kb'], 'test needs another floor')
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    wait_until(lambda: data(xs).get('floor_kb') == str(want['floor_kb']), 5,
               'data floor_kb')
    xs.move_guest(DOMID, MOVED_TO, static_max_kb=other_max)
    d.wait_log(moved_re(MOVED_TO), level='notice')
    pub = f'/local/domain/{MOVED_TO}/data/selfballoon'
    wait_until(lambda: data(xs, MOVED_TO).get('floor_kb') ==
               str(moved['floor_kb']), 5 * TICK,
               f'{pub}/floor_kb for static-max {other_max}: '
               f'{data(xs, MOVED_TO)}; log:\n{d.log()}')
    eq(without_heartbeat(data(xs, MOVED_TO), pub),
       {'target_kb': str(moved['target_kb']),
        'goal_kb': str(moved['goal_kb']),
        'floor_kb': str(moved['floor_kb']),
        'backend': 'sysfs', 'status': 'running', 'policy': 'seed'}, pub)
    d.wait_target(moved['target_kb'])
    eq(d.decisions()[-1]['SELFBALLOON_MAX_KB'], other_max, 'max in the decision')
    eq(d.stop(), 0, 'exit status')


def test_move_loses_grant(xs, base):
    """Granted, the daemon writes memory/target; the new domain's is
    read-only (libxl lays it out so) and holds what the daemon last wrote
    (libxl carries it over): one notice naming the new domain, the balloon
    through sysfs, and neither a revoke nor a toolstack ceiling seen in it.
    (The fixture's balloon does not follow memory/target, so the daemon
    writes it at every tick: its next write meets the refusal.)"""
    tree, want, d = granted_daemon(xs, base)
    wait_until(lambda: data(xs).get('backend') == 'xenstore', 5,
               'data backend xenstore')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target_kb (xenstore in use)')
    last = xs_target(xs)
    xs.move_guest(DOMID, MOVED_TO, target_kb=last)
    eq(xs.get_perms(f'/local/domain/{MOVED_TO}/memory/target'),
       ['n0', f'r{MOVED_TO}'], 'the new memory/target is read-only')
    d.wait_log(moved_re(MOVED_TO), level='notice', timeout=5)
    line = d.wait_log(move_grant_lost_re(MOVED_TO), level='notice',
                      timeout=5)[0]
    hint = (f'xenstore-chmod /local/domain/{MOVED_TO}/memory/target '
            f'n0 b{MOVED_TO}')
    check(hint in line, f'"{hint}" not in {line}')
    d.wait_target(want['target_kb'], timeout=3)
    wait_until(lambda: data(xs, MOVED_TO).get('backend') == 'sysfs', 5,
               f'data backend sysfs on domain {MOVED_TO}: '
               f'{data(xs, MOVED_TO)}; log:\n{d.log()}')
    time.sleep(4 * TICK)
    got = data(xs, MOVED_TO)
    eq((got.get('target_kb'), got.get('status')),
       (str(want['target_kb']), 'running'), 'data target_kb, status')
    eq(d.count(r'does not carry the grant over'), 1, 'grant-lost notices')
    eq(d.count(r'the grant was revoked'), 0, 'revoke notices')
    eq(d.count(r'the toolstack set memory/target'), 0, 'ceiling notices')
    eq([l for l in d.lines() if GRANT_HINT in l], [], f'hints for domain {DOMID}')
    eq(d.count(r'xenstore connection lost'), 0, 'the move taken for a loss')
    eq(xs_target(xs, MOVED_TO), last, 'memory/target (the refused write)')
    eq(tree.target_kb, want['target_kb'], 'sysfs target_kb')
    eq(d.stop(), 0, 'exit status')
    # the restore at stop meets the refusal as well: sysfs
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target_kb restored at stop')


def test_move_with_an_older_target(xs, base):
    """xl save and xl migrate read memory/target at their start and the
    guest runs on until it is suspended: the new domain's memory/target may
    be older than the daemon's last write (measured in the e2e
    save-restore scenario). It is the value libxl rebuilt the domain from,
    not a toolstack decision: no ceiling from it; the lost grant is said
    and the daemon's own target goes to sysfs."""
    tree, want, d = granted_daemon(xs, base)
    older = want['target_kb'] + 8192
    xs.move_guest(DOMID, MOVED_TO, target_kb=older)
    d.wait_log(moved_re(MOVED_TO), level='notice', timeout=5)
    d.wait_log(move_grant_lost_re(MOVED_TO), level='notice', timeout=5 * TICK)
    d.wait_target(want['target_kb'], timeout=3)
    time.sleep(3 * TICK)
    eq(d.count(r'the toolstack set memory/target'), 0,
       'ceiling notices from the carried-over memory/target')
    eq(tree.target_kb, want['target_kb'], 'sysfs target_kb')
    # a toolstack write after the move is one, and counts
    ceiling = want['target_kb'] - 20000
    xs.write(f'/local/domain/{MOVED_TO}/memory/target', str(ceiling))
    d.wait_log(rf'the toolstack set memory/target to {ceiling} kB',
               level='notice')
    d.wait_target(ceiling)
    eq(d.stop(), 0, 'exit status')


def test_move_while_disconnected_loses_grant(xs, base):
    """A suspend can end the daemon's request in flight with EIO (the e2e
    save-restore run saw it: "xenstore connection lost (Input/output
    error)"), so the move is found when xenstore comes back as another
    domain: said as a move, the new domain's memory/target (what the daemon
    last wrote, read-only now) is no ceiling, and the lost grant is said
    once, naming the new domain."""
    tree, want, d = granted_daemon(xs, base)
    last = xs_target(xs)
    xs.setup_domain(MOVED_TO, static_max_kb=STATIC_MAX_KB, target_kb=last,
                    name=f'guest{DOMID}')
    xs.stop_guest(DOMID)
    d.wait_log(r'xenstore connection lost', level='warning')
    xs.start_guest(MOVED_TO)
    # the daemon's XENSTORED_PATH now leads to the new domain
    os.symlink(xs.guest_socket(MOVED_TO), xs.guest_socket(DOMID))
    d.wait_log(moved_re(MOVED_TO), level='notice', timeout=10 * TICK)
    d.wait_log(move_grant_lost_re(MOVED_TO), level='notice', timeout=5 * TICK)
    d.wait_target(want['target_kb'], timeout=3)
    wait_until(lambda: data(xs, MOVED_TO).get('backend') == 'sysfs', 5 * TICK,
               f'data backend sysfs on domain {MOVED_TO}: {data(xs, MOVED_TO)}')
    eq(d.count(r'the toolstack set memory/target|the grant was revoked'), 0,
       'ceiling or revoke notices')
    eq(d.count(r'does not carry the grant over'), 1, 'grant-lost notices')
    eq(d.stop(), 0, 'exit status')


def test_move_ticks_at_once(xs, base):
    """The balloon driver's own watch fires on the move too and hands the
    balloon the toolstack's memory/target: the daemon ticks at once and puts
    its target back, not a whole interval later. A long tick (2 s) makes
    the difference visible; the move comes right after a tick (STATUS=)."""
    tick = 2.0
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    check(want['target_kb'] != XS_TARGET_KB, 'test needs a target to restore')
    n = NotifySocket(base)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=n.path)
        d = Daemon(xs, tree, base, env=env, tick_ms=int(tick * 1000))
        d.wait_target(want['target_kb'])
        wait_until(lambda: data(xs).get('status') == 'running', 5, 'data/')
        wait_regular_tick(n, tick)
        t_tick = time.monotonic()
        # the kernel: its balloon watch sets the toolstack's target
        tree.write(TARGET_FILE, f'{XS_TARGET_KB}\n')
        xs.move_guest(DOMID, MOVED_TO)
        t_moved = time.monotonic()
        d.wait_target(want['target_kb'], timeout=2 * tick)
        took = time.monotonic() - t_moved
        check(took < tick / 3, f'the target came back {took:.2f} s after the '
              f'move ({t_moved - t_tick:.2f} s after a tick; ticks every '
              f'{tick} s)\n--- daemon log:\n{d.log()}')
        d.wait_log(moved_re(MOVED_TO), level='notice', timeout=1)
        eq(d.stop(), 0, 'exit status')
    finally:
        n.close()


def test_toolstack_write_ticks_at_once(xs, base):
    """xl mem-set above the daemon's target: the balloon driver's watch
    takes the guest to the toolstack's value at once; the daemon ticks at
    once too and puts its own target (within the new ceiling) back, not an
    interval later (the e2e mem-set scenario measured 110 MB re-inflated in
    the 0.8 s before the next 1 s tick). A long tick (2 s) shows it."""
    tick = 2.0
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    n = NotifySocket(base)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=n.path)
        d = Daemon(xs, tree, base, env=env, tick_ms=int(tick * 1000))
        d.wait_target(want['target_kb'])
        wait_regular_tick(n, tick)
        above = want['target_kb'] + 65536
        tree.write(TARGET_FILE, f'{above}\n')  # the kernel's balloon watch
        xs.write(f'/local/domain/{DOMID}/memory/target', str(above))
        t0 = time.monotonic()
        d.wait_target(want['target_kb'], timeout=2 * tick)
        took = time.monotonic() - t0
        check(took < tick / 3, f'the target came back {took:.2f} s after the '
              f'toolstack\'s write (ticks every {tick} s)\n--- daemon log:\n'
              f'{d.log()}')
        d.wait_log(rf'the toolstack set memory/target to {above} kB',
                   level='notice', timeout=1)
        eq(d.stop(), 0, 'exit status')
    finally:
        n.close()


def test_move_missed_watch_found_by_heartbeat(xs, base):
    """A move without the watch event (a kernel that would not register the
    watches again): nothing is said or published under the new domain
    until the heartbeat's minute (MINUTE_TICKS ticks) looks at the domid;
    then both happen. The first half is the control of
    test_move_republishes: there, the watch is what republishes at once."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    wait_until(lambda: 'heartbeat' in data(xs), 5, 'the first heartbeat')
    t_beat = time.monotonic()  # the heartbeat's minute runs from here
    d.wait_target(want['target_kb'])
    xs.move_guest(DOMID, MOVED_TO, watches=False)
    t_moved = time.monotonic()
    quiet_until = min(t_moved + 5 * TICK, t_beat + (MINUTE_TICKS - 2) * TICK)
    check(quiet_until - t_moved >= 2 * TICK,
          f'the move came {t_moved - t_beat:.2f} s after the heartbeat: too '
          'late to tell the watch from the minute')
    while time.monotonic() < quiet_until:
        eq(data(xs, MOVED_TO), {}, f'data/selfballoon/ of domain {MOVED_TO} '
           'without the watch event')
        time.sleep(0.02)
    eq(d.count(r'^the guest runs as domain '), 0, 'move notices without the '
       'watch event, before the minute')
    d.wait_log(moved_re(MOVED_TO), level='notice',
               timeout=t_beat + (MINUTE_TICKS + 3) * TICK - time.monotonic())
    wait_until(lambda: set(data(xs, MOVED_TO)) == set(PUB_KEYS), 3 * TICK,
               f'data/selfballoon/ on domain {MOVED_TO}: {data(xs, MOVED_TO)}')
    eq(data(xs, MOVED_TO)['target_kb'], str(want['target_kb']), 'target_kb')
    eq(d.stop(), 0, 'exit status')


def test_move_loses_grant_when_settled(xs, base):
    """As test_move_loses_grant, with the balloon following memory/target as
    the kernel's does (so the daemon has stopped writing: its target
    stands) and nothing changing after the move: the lost grant must still
    be found and said at once, and data/ must not claim xenstore on a
    domain where the guest cannot write memory/target."""
    tree, want, d = granted_daemon(xs, base)
    tree.write(TARGET_FILE, f'{want["target_kb"]}\n')  # the kernel's watch
    time.sleep(2 * TICK)
    n = len(guest_writes(xs))
    time.sleep(3 * TICK)
    eq(guest_writes(xs)[n:], [], 'writes once the balloon has the target')
    eq(data(xs).get('backend'), 'xenstore', 'data backend before the move')
    xs.move_guest(DOMID, MOVED_TO, target_kb=xs_target(xs))
    # the kernel's balloon watch fires too: memory/target, unchanged
    d.wait_log(moved_re(MOVED_TO), level='notice', timeout=5)
    d.wait_log(move_grant_lost_re(MOVED_TO), level='notice', timeout=5 * TICK)
    wait_until(lambda: data(xs, MOVED_TO).get('backend') == 'sysfs', 5 * TICK,
               f'data backend sysfs on domain {MOVED_TO}: '
               f'{data(xs, MOVED_TO)}; log:\n{d.log()}')
    eq(d.count(r'the grant was revoked|the toolstack set memory/target'), 0,
       'revoke or ceiling notices')
    eq(tree.target_kb, want['target_kb'], 'sysfs target_kb')
    eq(d.stop(), 0, 'exit status')


# ---- 5: sd_notify ------------------------------------------------------------------

def test_notify_socket(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    n = NotifySocket(base)
    at_ready = []
    n.on_message(lambda items: at_ready.append(tree.target_kb)
                 if 'READY=1' in items and not at_ready else None)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=n.path, WATCHDOG_USEC='2000000')
        env.pop('WATCHDOG_PID', None)
        d = Daemon(xs, tree, base, env=env)
        wait_until(lambda: 'READY=1' in n.items(), 5,
                   f'READY=1; got {n.messages()}; log:\n{d.log()}')
        eq(at_ready, [want['target_kb']],
           'sysfs target when READY=1 arrived (the first tick came first)')
        status = (f'STATUS=target {want["target_kb"]} kB, goal '
                  f'{want["goal_kb"]} kB, floor {want["floor_kb"]} kB, '
                  'backend sysfs, running')
        wait_until(lambda: n.items().count(status) >= 3, 5,
                   f'three "{status}"; got {n.messages()[-3:]}')
        # tick 150 ms <= WatchdogSec/2: the ping rides on every tick
        wait_until(lambda: n.items().count('WATCHDOG=1') >= 3, 5,
                   f'repeated WATCHDOG=1; got {n.messages()}')
        msgs = n.messages()
        first_ready = next(i for i, m in enumerate(msgs) if 'READY=1' in m)
        check(any(i.startswith('STATUS=') for m in msgs[first_ready:]
                  for i in m), 'no STATUS= after READY=1')

        before = len(n.messages())
        d.signal(signal.SIGHUP)
        d.wait_log(r'^reloaded ', level='info')
        wait_until(lambda: any('READY=1' in m
                               for m in n.messages()[before:]), 5,
                   'READY=1 after the reload')
        after = n.messages()[before:]
        i_rel = next((i for i, m in enumerate(after) if 'RELOADING=1' in m),
                     None)
        check(i_rel is not None, f'no RELOADING=1 on SIGHUP: {after}')
        check(any(x.startswith('MONOTONIC_USEC=') for x in after[i_rel]),
              f'RELOADING=1 without MONOTONIC_USEC: {after[i_rel]}')
        check(any('READY=1' in m for m in after[i_rel + 1:]),
              f'no READY=1 after RELOADING=1: {after}')

        before = len(n.messages())
        eq(d.stop(), 0, 'exit status')
        time.sleep(0.2)
        check(any('STOPPING=1' in m for m in n.messages()[before:]),
              f'no STOPPING=1 on SIGTERM: {n.messages()[before:]}')
    finally:
        n.close()


def test_notify_ready_failure_said_once(xs, base):
    """A READY=1 that cannot be sent (nobody at $NOTIFY_SOCKET) is said once,
    at warning level, not dropped in silence, and not again at the reload's
    READY=1; the daemon goes on."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(base, 'nobody-here'))
    d = Daemon(xs, tree, base, env=env)
    d.wait_target(want['target_kb'])
    d.wait_log(r"^cannot tell the service manager 'READY=1' at \$NOTIFY_SOCKET: ",
               level='warning')
    d.signal(signal.SIGHUP)
    d.wait_log(r'^reloaded ', level='info')
    time.sleep(3 * TICK)
    eq(d.count(r"cannot tell the service manager 'READY=1'"), 1, 'READY=1 failure messages')
    check(d.alive(), f'daemon died:\n{d.log()}')
    eq(d.stop(), 0, 'exit status')


def test_notify_watchdog_between_ticks(xs, base):
    """A tick longer than WatchdogSec/2: separate WATCHDOG=1 pings, about
    every WatchdogSec/2 and never WatchdogSec apart (sd-event may fire a
    timer up to its accuracy late, 250 ms by default); WATCHDOG_PID naming
    the daemon itself is honoured."""
    guest5(xs)
    tree = Tree(base)
    n = NotifySocket(base)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=n.path, WATCHDOG_USEC='1000000')
        # exec keeps the pid: WATCHDOG_PID=$$ is the daemon's own pid
        d = Daemon(xs, tree, base, env=env, tick_ms=10000,
                   argv0=['sh', '-c', 'WATCHDOG_PID=$$ exec "$@"', 'sh'])
        wait_until(lambda: 'READY=1' in n.items(), 5,
                   f'READY=1; got {n.messages()}; log:\n{d.log()}')
        t0 = n.msgs[0][0]
        time.sleep(2.6)
        pings = [t for t, m in n.msgs if m == ['WATCHDOG=1']]
        check(len(pings) >= 3, f'{len(pings)} WATCHDOG=1 pings in 2.6 s '
              f'with WatchdogSec=1s (want one per 0.5 s): {n.messages()}')
        gaps = [b - a for a, b in zip([t0] + pings, pings)]
        check(max(gaps) < 1.0, f'pings {max(gaps):.3f} s apart, beyond '
              f'WatchdogSec=1s: gaps {gaps}')
        eq(len([m for m in n.messages() if any(x.startswith('STATUS=')
                                               for x in m)]), 1,
           'STATUS= lines (one tick in 10 s)')
        d.stop()
    finally:
        n.close()


def test_notify_watchdog_other_pid(xs, base):
    """WATCHDOG_PID of another process: this one must not ping."""
    guest5(xs)
    tree = Tree(base)
    n = NotifySocket(base)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=n.path, WATCHDOG_USEC='400000',
                   WATCHDOG_PID='1')
        d = Daemon(xs, tree, base, env=env)
        wait_until(lambda: 'READY=1' in n.items(), 5,
                   f'READY=1; got {n.messages()}; log:\n{d.log()}')
        time.sleep(1.0)
        eq([m for m in n.messages() if 'WATCHDOG=1' in m], [],
           'pings for another pid')
        d.stop()
    finally:
        n.close()


# ---- 6: restoring the start target ------------------------------------------------

def test_sigterm_restores_start_target(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    eq(tree.read(f'{RUNSTATE}/start-target'),
       f'sysfs_target_kb={XS_TARGET_KB}\nxenstore_target_kb={XS_TARGET_KB}\n',
       'start record')
    wait_until(lambda: data(xs).get('status') == 'running', 5, 'data/')
    eq(d.stop(), 0, 'exit status on SIGTERM')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target_kb after SIGTERM')
    check(not tree.has_record(), 'start record left after the restore')
    eq(data(xs).get('status'), 'stopped', 'data status')
    eq(d.count(rf'^restored the start target {XS_TARGET_KB} kB$',
               level='notice'), 1, 'restored messages')
    eq(xs_target(xs), XS_TARGET_KB, 'memory/target')


def test_sigint_restores_start_target(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    d.signal(signal.SIGINT)
    eq(d.wait(), 0, 'exit status on SIGINT')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target_kb after SIGINT')
    check(not tree.has_record(), 'start record left')


def test_sigkill_then_restore(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    d.signal(signal.SIGKILL)
    d.wait()
    eq(tree.target_kb, want['target_kb'], 'target after SIGKILL (no restore)')

    # a restart keeps the record of the real start, not what it finds now
    d2 = Daemon(xs, tree, base)
    d2.wait_log(r'^started')
    time.sleep(3 * TICK)
    eq(tree.read(f'{RUNSTATE}/start-target').splitlines()[0],
       f'sysfs_target_kb={XS_TARGET_KB}', 'record after a restart')
    d2.signal(signal.SIGKILL)
    d2.wait()

    rc, out, err = run_once(xs, tree, base, '--restore')
    eq(rc, 0, f'--restore exit status ({err})')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target_kb after --restore')
    check(not tree.has_record(), 'record left after --restore')
    check(any(re.search(rf'restored the start target {XS_TARGET_KB} kB', l)
              for l in err), f'restore message: {err}')
    eq(data(xs).get('status'), 'stopped', 'data status after --restore')

    tree.write(TARGET_FILE, '400000\n')  # nothing to restore: left alone
    rc, out, err = run_once(xs, tree, base, '--restore')
    eq(rc, 0, f'--restore without a record ({err})')
    check(any(re.search(r'no start target recorded', l) for l in err),
          f'--restore does not say there is nothing: {err}')
    eq(tree.target_kb, 400000, 'target touched without a record')


def test_read_failure_gives_back_start_target(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    os.rename(tree.path('proc/meminfo'), tree.path('proc/meminfo.away'))
    d.wait_log(r'^cannot read /proc/meminfo: No such file or directory; '
               r'holding the balloon where it is$', level='error')
    d.wait_log(r'^still cannot read /proc/meminfo: giving the guest back its '
               rf'start target {XS_TARGET_KB} kB$', level='warning')
    d.wait_target(XS_TARGET_KB)
    time.sleep(5 * TICK)
    eq(d.count(r'cannot read /proc/meminfo'), 2,
       'read-failure messages (one error, one warning, then quiet)')
    eq(tree.target_kb, XS_TARGET_KB, 'sysfs target while blind')
    check(tree.has_record(), 'the start record is kept while running')
    os.rename(tree.path('proc/meminfo.away'), tree.path('proc/meminfo'))
    d.wait_log(r'^/proc/meminfo readable again', level='notice')
    d.wait_target(want['target_kb'])
    eq(d.stop(), 0, 'exit status')


def test_read_failure_keeps_xenstore_backoff(xs, base):
    """The read-failure path hands the start target through the backend
    with the real clock: a refusal there starts the minute-long wait for a
    grant like any other (it once passed a clock of 0, so the next tick
    asked xenstore again at once)."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    os.rename(tree.path('proc/meminfo'), tree.path('proc/meminfo.away'))
    d = Daemon(xs, tree, base)
    d.wait_log(r'^still cannot read /proc/meminfo: giving the guest back its '
               rf'start target {XS_TARGET_KB} kB$', level='warning')
    d.wait_log(re.escape(GRANT_HINT), level='notice')
    os.rename(tree.path('proc/meminfo.away'), tree.path('proc/meminfo'))
    d.wait_target(want['target_kb'])
    time.sleep(4 * TICK)  # well within the minute (12 ticks)
    writes = [l for l in guest_writes(xs) if 'WRITE (memory/target' in l]
    eq(len(writes), 1, 'memory/target write attempts before the minute is up')
    eq(d.stop(), 0, 'exit status')


# ---- 7: one instance; --dry-run -------------------------------------------------

def test_second_instance_refused(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    rc, out, err = run_once(xs, tree, base, domid=NO_XENSTORE)
    eq(rc, 1, f'second instance exit status ({err})')
    errors = [l for l in err if l.startswith('selfballoond: error: ')]
    eq(len(errors), 1, f'error lines: {err}')
    check(f'(pid {d.pid})' in errors[0], f'message names pid {d.pid}: '
          f'{errors[0]}')
    check(d.alive(), 'the first instance died')
    eq(tree.read(f'{RUNSTATE}/lock').strip(), str(d.pid), 'lock holder')
    eq(d.stop(), 0, 'first instance exit status')
    eq(tree.target_kb, XS_TARGET_KB, 'restored by the first instance')


def test_dry_run_writes_nothing(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    before = {rel: tree.read(rel) for rel in (TARGET_FILE, CURRENT_FILE,
                                              'proc/meminfo')}
    d = Daemon(xs, tree, base, '--dry-run')
    line = d.wait_log(rf'^dry run: target {want["target_kb"]} kB',
                      level='info')[0]
    check('SELFBALLOON_BACKEND=none' in line, f'backend field: {line}')
    # it did reach xenstore as guest 5 (static-max read), it only wrote nothing
    d.wait_log(rf'^started \(dry run: nothing will be written\): PV guest, '
               rf'domid {DOMID}, .* max {STATIC_MAX_KB} kB')
    time.sleep(6 * TICK)
    eq(d.count(r'^dry run: target '), 1, 'dry-run decision entries')
    for rel, text in before.items():
        eq(tree.read(rel), text, rel)
    check(not os.path.exists(tree.path('run')), 'dry run created run/')
    eq(data(xs), {}, 'data/selfballoon/ after a dry run')
    eq(xs_target(xs), XS_TARGET_KB, 'memory/target')
    eq(guest_writes(xs), [], 'xenstore writes by a dry run')
    eq(d.stop(), 0, 'exit status')
    for rel, text in before.items():
        eq(tree.read(rel), text, f'{rel} after the dry run stopped')
    check(not os.path.exists(tree.path('run')), 'run/ after stop')
    eq(guest_writes(xs), [], 'xenstore writes at stop')


# ---- 8: refusals ----------------------------------------------------------------

def _refusal(xs, base, tree, status, regex, target=True):
    rc, out, err = run_once(xs, tree, base, domid=NO_XENSTORE)
    eq(rc, status, f'exit status ({err})')
    errors = [l for l in err if l.startswith('selfballoond: error: ')]
    eq(len(errors), 1, f'error lines: {err}')
    check(re.search(regex, errors[0]), f'message /{regex}/: {errors[0]}')
    eq(len(err), 1, f'one clear message, not {len(err)} lines: {err}')
    eq(out, [], 'stdout')
    if target:
        eq(tree.target_kb, XS_TARGET_KB, 'target_kb after a refusal')
    check(not tree.has_record(), 'a start record after a refusal')


def test_refuses_dom0(xs, base):
    tree = Tree(base)
    tree.write('proc/xen/capabilities', 'control_d\n')
    _refusal(xs, base, tree, 3, r'dom0')


def test_refuses_without_balloon(xs, base):
    tree = Tree(base)
    shutil.rmtree(tree.path('sys/devices/system/xen_memory'))
    _refusal(xs, base, tree, 4, r'a Xen guest without the balloon driver: no /sys/devices/system/xen_memory/xen_memory0 ', target=False)


def test_refuses_outside_xen(xs, base):
    tree = Tree(base)
    for rel in ('sys/devices/system/xen_memory', 'sys/hypervisor',
                'proc/xen'):
        shutil.rmtree(tree.path(rel))
    _refusal(xs, base, tree, 4, r'no trace of Xen: /sys/hypervisor/type does not say xen', target=False)


def test_static_max_garbage(xs, base):
    """memory/static-max unreadable as a number: one warning, and the guest
    is never asked to grow above what it had at start."""
    guest5(xs)
    xs.write(f'{DOM}/memory/static-max', 'lots\n')
    tree = Tree(base)
    current = tree.current_kb
    want = expect(tree, max_kb=current)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    time.sleep(4 * TICK)
    warn = [l for l in d.lines() if 'memory/static-max is not readable' in l]
    eq(len(warn), 1, 'static-max warnings')
    dec = d.decisions()
    check(dec, f'no decision logged:\n{d.log()}')
    eq(dec[0]['SELFBALLOON_MAX_KB'], current, 'max stands at what the guest had')
    check(all(int(x['SELFBALLOON_TARGET_KB']) <= current for x in dec),
          'a target above what the guest had')
    eq(d.stop(), 0, 'exit status on SIGTERM')


# ---- 9: reload ----------------------------------------------------------------------

def test_reload(xs, base):
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    zero = expect(tree, reserved_mb=0,
                  config_text='[selfballoon]\nreserved_mb = 0\n')
    check(zero['target_kb'] != want['target_kb'], 'test needs a change')
    d = Daemon(xs, tree, base, config='[selfballoon]\nreserved_mb = 10%\n')
    d.wait_target(want['target_kb'])

    with open(d.config_path, 'w') as f:
        f.write('[selfballoon]\nreserved_mb = 0\n')
    d.signal(signal.SIGHUP)
    d.wait_log(rf'^reloaded {re.escape(d.config_path)}$', level='info')
    d.wait_target(zero['target_kb'])
    wait_until(lambda: data(xs).get('goal_kb') == str(zero['goal_kb']), 5,
               'data goal_kb after the reload')

    # garbage: refused as a whole, with file:line; line 3 is the bad one,
    # line 2 alone would change the target back
    with open(d.config_path, 'w') as f:
        f.write('[selfballoon]\nreserved_mb = 10%\ninterval = soon\n')
    d.signal(signal.SIGHUP)
    line = d.wait_log(r'reload refused, keeping the old settings',
                      level='error')[0]
    check(f'{d.config_path}:3:' in line, f'file:line in {line}')
    time.sleep(5 * TICK)
    check(d.alive(), 'daemon died on a bad reload')
    eq(tree.target_kb, zero['target_kb'], 'target after a refused reload')
    eq(d.decisions(after=r'reload refused'), [],
       'decisions after a refused reload')
    eq([x['SELFBALLOON_TARGET_KB'] for x in d.decisions(after=r'^reloaded ')],
       [zero['target_kb']], 'decisions after the good reload')
    eq(data(xs)['goal_kb'], str(zero['goal_kb']), 'data goal_kb')
    eq(d.stop(), 0, 'exit status')


# ---- 10: a balloon that cannot grow --------------------------------------------

def test_stall(xs, base):
    guest5(xs)
    tree = Tree(base)
    tree.set_meminfo('Committed_AS', 600000)  # goal above what the guest has
    want = expect(tree)
    current = tree.current_kb
    check(want['target_kb'] > current, 'test needs a target above current')
    d = Daemon(xs, tree, base)
    line = d.wait_log(r'the balloon cannot grow', level='warning',
                      timeout=10 * TICK + 3)[0]
    for piece in (f'target {want["target_kb"]} kB',
                  f'has held {current} kB for 3 ticks',
                  f'xl mem-max guest{DOMID} {STATIC_MAX_KB // 1024}m'):
        check(piece in line, f'"{piece}" not in {line}')
    wait_until(lambda: data(xs).get('status') == 'stalled', 3,
               f'data status stalled: {data(xs)}')
    d.wait_target(current, timeout=2)
    t_stall = time.monotonic()
    seen = set()
    while time.monotonic() - t_stall < 8 * TICK:  # the probe: MINUTE_TICKS
        seen.add(tree.target_kb)
        time.sleep(0.01)
    eq(seen, {current}, 'sysfs targets after the stall')
    eq(d.count(r'the balloon cannot grow'), 1, 'stall warnings')
    decs = [x['SELFBALLOON_TARGET_KB'] for x in d.decisions()]
    eq(decs, [want['target_kb'], current], 'decisions')
    eq(data(xs)['target_kb'], str(current), 'data target_kb')
    d.stop()


def test_stall_probe_on_reload_after_cap_raised(xs, base):
    """Capped by Xen (MockBalloonDriver with cap_kb), stalled; the admin
    raises the cap and reloads: the next tick probes with the full target,
    the balloon grows, and the daemon says so."""
    guest5(xs)
    tree = Tree(base)
    tree.set_meminfo('Committed_AS', 600000)
    want = expect(tree)
    current = tree.current_kb
    mock = MockBalloonDriver(tree, cap_kb=current)
    try:
        d = Daemon(xs, tree, base)
        d.wait_log(r'the balloon cannot grow', level='warning',
                   timeout=10 * TICK + 3)
        d.wait_target(current, timeout=2)
        wait_until(lambda: data(xs).get('status') == 'stalled', 3,
                   'data status stalled')
        mock.cap_kb = None  # xl mem-max
        time.sleep(4 * TICK)
        eq(tree.current_kb, current, 'no probe before the minute is up')
        d.signal(signal.SIGHUP)
        d.wait_log(rf'^the balloon grows again \(now {want["target_kb"]} '
                   r'kB\)$', level='notice')
        wait_until(lambda: data(xs).get('status') == 'running', 3,
                   f'data status running: {data(xs)}')
        check(want['target_kb'] in [t for _, t in mock.seen],
              f'probe target {want["target_kb"]} never written: '
              f'{mock.seen}')
        eq(d.count(r'the balloon cannot grow'), 1, 'stall warnings')
        d.stop()
    finally:
        mock.stop()


def test_stall_probe_timed(xs, base):
    """Stalled on the plain fixture: once a minute (MINUTE_TICKS ticks) one
    probe asks for the full target, the next tick goes back to what the
    guest has; the warning is not repeated."""
    guest5(xs)
    tree = Tree(base)
    tree.set_meminfo('Committed_AS', 600000)
    want = expect(tree)
    current = tree.current_kb
    d = Daemon(xs, tree, base)
    d.wait_log(r'the balloon cannot grow', level='warning',
               timeout=10 * TICK + 3)
    d.wait_target(current, timeout=2)
    seen = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < (2 * MINUTE_TICKS + 6) * TICK:
        t = tree.target_kb
        if not seen or seen[-1] != t:
            seen.append(t)
        time.sleep(0.005)
    eq(seen, [current, want['target_kb']] * 2 + [current],
       f'sysfs targets in {2 * MINUTE_TICKS + 6} ticks after the stall')
    eq(d.count(r'the balloon cannot grow'), 1, 'stall warnings')
    eq(data(xs)['status'], 'stalled', 'data status')
    d.stop()


# ---- 11: --once ---------------------------------------------------------------------

def test_once_matches_replay(xs, base):
    guest5(xs)
    tree = Tree(base)
    header, line = replay(tree.readings())
    want = expect(tree)
    rc, out, err = run_once(xs, tree, base, '--once')
    eq(rc, 0, f'--once exit status ({err})')
    # t_s: when the readings were taken, CLOCK_MONOTONIC seconds
    check(len(out) == 2 and re.fullmatch(r'\d+\.\d{3},.*', out[1]) is not None,
          f'--once t_s: {out!r}')
    eq([out[0], out[1].split(',', 1)[1]], [header, line.split(',', 1)[1]],
       '--once stdout against --replay')
    eq(line.split(',', 1)[0], '', '--replay t_s of input without t_s')
    eq(header, REPLAY_HEADER, 'header')
    eq(tree.target_kb, want['target_kb'], '--once writes the target')
    check(tree.has_record(), '--once is no daemon stop: the record stays')
    eq(data(xs).get('target_kb'), str(want['target_kb']), 'data target_kb')


# ---- the arithmetic the tests rely on ----------------------------------------------

def test_fixture_arithmetic(_xs, base):
    """The brief's numbers for the fixture, from the files themselves."""
    tree = Tree(base)
    r = tree.readings()
    eq(r, {'mem_total_kb': 461172, 'committed_as_kb': 5128,
           'totalreserve_kb': 5692, 'max_kb': 786432,
           'balloon_current_kb': 524288}, 'fixture readings')
    eq(int(tree.read('xenstore.txt').split()[0]), STATIC_MAX_KB,
       'static-max in xenstore.txt')
    d = expect(tree)
    eq(d['reserved_mb'], 45, 'default reserve (10 % of MemTotal)')
    eq(tree.target_kb, XS_TARGET_KB, 'fixture target_kb')


# ---- runner -------------------------------------------------------------------------

def test_brake_without_cgroup2(xs, base):
    """brake = yes where it cannot run (the fixture has no cgroup2): said
    once over many ticks, and the daemon balloons as ever."""
    guest5(xs)
    tree = Tree(base)
    check(not os.path.exists(tree.path('sys/fs/cgroup/cgroup.controllers')),
          'the fixture has cgroup2: this test needs one without')
    want = expect(tree)
    d = Daemon(xs, tree, base, config='[selfballoon]\nbrake = yes\n')
    d.wait_target(want['target_kb'])
    time.sleep(10 * TICK)
    eq(d.count(r'^brake: no unified cgroup hierarchy', level='warning'), 1,
       'why the brake cannot run, said')
    check(d.alive(), 'the daemon ran on')
    check(not os.path.exists(tree.path(f'{RUNSTATE}/brake')),
          'a brake record without a brake')
    eq(d.stop(), 0, 'exit status on SIGTERM')
    eq(tree.target_kb, XS_TARGET_KB, 'start target restored')


def test_restore_with_bad_brake_record(xs, base):
    """--restore after a crash: a record of the brake it cannot read is an
    error naming the file and line, kept for the operator, and the start
    target is restored all the same."""
    guest5(xs)
    tree = Tree(base)
    want = expect(tree)
    d = Daemon(xs, tree, base)
    d.wait_target(want['target_kb'])
    d.signal(signal.SIGKILL)
    d.wait()
    tree.write(f'{RUNSTATE}/brake', 'system.slice infinity\nuser.slice lots\n')
    rc, out, err = run_once(xs, tree, base, '--restore')
    eq(rc, 1, f'--restore exit status with a bad brake record ({err})')
    where = f'{tree.root}/{RUNSTATE}/brake:2: not a saved limit'
    check(any(where in l for l in err), f'no error naming {where}: {err}')
    eq(tree.target_kb, XS_TARGET_KB, 'start target restored all the same')
    check(os.path.exists(tree.path(f'{RUNSTATE}/brake')), 'bad record removed')


class MockSystemdBus:
    """A private dbus-daemon with MOCK systemd (tests/integration/
    mock-systemd1.c) on it: answers the brake's calls and logs them."""

    def __init__(self, base, *initial):
        check(shutil.which('dbus-daemon'),
              'dbus-daemon is needed for the MOCK bus (Debian: dbus-daemon)')
        self.log_path = os.path.join(base, 'mock-systemd1.log')
        open(self.log_path, 'w').close()
        self.bus = subprocess.Popen(
            ['dbus-daemon', '--session', '--nofork', '--print-address=1',
             f'--address=unix:path={base}/bus'],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.address = self.bus.stdout.readline().decode().strip()
        self.mock = subprocess.Popen(
            [os.environ['MOCK_SYSTEMD1'], self.address, self.log_path, *initial],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        eq(self.mock.stdout.readline().decode().strip(), 'ready', 'MOCK systemd1')

    def calls(self):
        with open(self.log_path) as f:
            return f.read().splitlines()

    def close(self):
        for p in (self.mock, self.bus):
            p.kill()
            p.wait()


def brake_tree(tree):
    """cgroup2 with the daemon in selfballoon.slice and two slices to brake;
    returns {slice: the limit the brake must set with brake_margin_mb = 0}."""
    cg = 'sys/fs/cgroup'
    usage = {'system.slice': 300 << 20, 'user.slice': 900 << 20,
             'selfballoon.slice': 4 << 20}
    os.makedirs(tree.path('proc/self'), exist_ok=True)
    tree.write('proc/self/cgroup', '0::/selfballoon.slice/selfballoond.service\n')
    os.makedirs(tree.path(cg), exist_ok=True)
    tree.write(f'{cg}/cgroup.controllers', 'cpu io memory pids\n')
    for name, b in usage.items():
        os.makedirs(tree.path(f'{cg}/{name}'), exist_ok=True)
        tree.write(f'{cg}/{name}/memory.current', f'{b}\n')
        tree.write(f'{cg}/{name}/memory.events',
                   'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n')
    room = (tree.meminfo('MemFree') - totalreserve_kb(
        tree.read('proc/zoneinfo'))) * 1024
    check(room > 0, 'the fixture has no free memory above its reserve')
    return {n: usage[n] + room for n in ('system.slice', 'user.slice')}


def test_brake_MOCK_systemd_bus(xs, base):
    """The brake's bus half against MOCK systemd: limits at usage + free -
    reserve, an administrator's own MemoryHigh= kept as the ceiling and put
    back (not infinity) on SIGTERM, and after SIGKILL by --restore."""
    guest5(xs)
    tree = Tree(base)
    want = brake_tree(tree)
    admin = 1 << 30  # user.slice's own MemoryHigh=, below its brake limit
    check(want['user.slice'] > admin, 'the admin limit must be the lower one')
    bus = MockSystemdBus(base, f'user.slice={admin}')
    env = {'DBUS_SYSTEM_BUS_ADDRESS': bus.address}
    conf = '[selfballoon]\nbrake = yes\nbrake_margin_mb = 0\n'
    try:
        d = Daemon(xs, tree, base, config=conf, env=env)
        d.wait_log(r'^brake on: MemoryHigh= on system\.slice, user\.slice ')
        wait_until(lambda: len(bus.calls()) >= 2, 5, f'limits set: {bus.calls()}')
        eq(sorted(bus.calls()[:2]),
           [f'system.slice runtime=1 MemoryHigh={want["system.slice"]}',
            f'user.slice runtime=1 MemoryHigh={admin}'], 'the limits set')
        eq(tree.read(f'{RUNSTATE}/brake'),
           f'system.slice infinity\nuser.slice {admin}\n', 'the saved limits')
        time.sleep(5 * TICK)
        eq(len(bus.calls()), 2, f'limits set again without a change: {bus.calls()}')
        # a slice that grows by less than a step keeps its limit; by more, a new one
        tree.write('sys/fs/cgroup/system.slice/memory.current', f'{(300 << 20) + (8 << 20)}\n')
        wait_until(lambda: len(bus.calls()) >= 3, 5, f'a new limit: {bus.calls()}')
        eq(bus.calls()[2],
           f'system.slice runtime=1 MemoryHigh={want["system.slice"] + (8 << 20)}',
           'the limit follows the usage')
        eq(d.stop(), 0, 'exit status on SIGTERM')
        eq(sorted(bus.calls()[3:]),
           ['system.slice runtime=1 MemoryHigh=18446744073709551615',
            f'user.slice runtime=1 MemoryHigh={admin}'], 'limits put back on SIGTERM')
        check(not os.path.exists(tree.path(f'{RUNSTATE}/brake')), 'record left after SIGTERM')

        # SIGKILL: the limits stay until --restore (the unit's ExecStopPost=)
        n = len(bus.calls())
        d = Daemon(xs, tree, base, config=conf, env=env)
        wait_until(lambda: len(bus.calls()) >= n + 2, 5, f'limits set: {bus.calls()}')
        d.signal(signal.SIGKILL)
        d.wait()
        eq(tree.read(f'{RUNSTATE}/brake'),
           f'system.slice infinity\nuser.slice {admin}\n',
           'the administrator\'s limits, not the brake\'s, saved by the second daemon')
        # a restart without --restore in between (a daemon started by hand):
        # systemd now says the brake's limits; the record's are the ones kept
        n = len(bus.calls())
        d = Daemon(xs, tree, base, config=conf, env=env)
        wait_until(lambda: len(bus.calls()) >= n + 2, 5, f'limits set: {bus.calls()}')
        d.signal(signal.SIGKILL)
        d.wait()
        eq(tree.read(f'{RUNSTATE}/brake'),
           f'system.slice infinity\nuser.slice {admin}\n',
           'the saved limits after a restart over a killed daemon\'s')
        n = len(bus.calls())
        rc, out, err = run_once(xs, tree, base, '--restore', env=env)
        eq(rc, 0, f'--restore exit status ({err})')
        eq(sorted(bus.calls()[n:]),
           ['system.slice runtime=1 MemoryHigh=18446744073709551615',
            f'user.slice runtime=1 MemoryHigh={admin}'], 'limits put back by --restore')
        check(not os.path.exists(tree.path(f'{RUNSTATE}/brake')), 'record left after --restore')
    finally:
        bus.close()


def main():
    global DAEMON
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    DAEMON = os.path.abspath(sys.argv[1])
    only = sys.argv[2:]
    tests = [(n, f) for n, f in globals().items()
             if n.startswith('test_') and inspect.isfunction(f)]
    passed = failed = 0
    t_all = time.monotonic()
    for name, fn in tests:
        if only and not any(o in name for o in only):
            continue
        t0 = time.monotonic()
        base = tempfile.mkdtemp(prefix='sbd-')
        try:
            with XenstoreHarness() as xs:
                try:
                    fn(xs, base)
                except BaseException:
                    sys.stdout.write(_failure_context(xs))
                    raise
            passed += 1
            print(f'ok   {name} ({(time.monotonic() - t0) * 1000:.0f} ms)')
        except Exception:
            failed += 1
            print(f'FAIL {name}')
            traceback.print_exc(file=sys.stdout)
        finally:
            shutil.rmtree(base, ignore_errors=True)
        sys.stdout.flush()
    print(f'{passed} passed, {failed} failed '
          f'({time.monotonic() - t_all:.1f} s)')
    return 1 if failed or not passed else 0


def _failure_context(xs):
    """The guest's side of the xenstore trace (connections that sent a
    relative path), without the test's own dom0 polling."""
    try:
        trace = xs.trace_requests()
        guest = {l.split()[1] for l in trace
                 if l.startswith('IN ') and re.search(r' \((?!/)\S', l)}
        lines = [l[:300] for l in trace if l.split()[1] in guest][-25:]
        return ('--- last guest lines of the xenstore trace\n' +
                '\n'.join(lines) + '\n')
    except (OSError, IndexError):
        return ''


if __name__ == '__main__':
    sys.exit(main())
