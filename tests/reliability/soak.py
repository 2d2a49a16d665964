#!/usr/bin/env python3
"""The daemon's real loop, fast, for leaks and growth.

    soak.py [--ticks N] [--valgrind VALGRIND] [--rss-at A,B] SELFBALLOOND

Runs `selfballoond --root COPY --tick-ms 10 --log=console` against a copy of
tests/fixtures/domU-512 (so it writes target_kb for real), stops it with
SIGTERM after N ticks (default 10,000) and checks that it exits 0.

While it runs, the test plays the guest: the balloon follows every target
(info/current_kb := target_kb) and Committed_AS jumps between a low and a
high demand every 150 ticks, so the daemon keeps deciding, lowering,
raising, logging and writing, not just idling on one answer. xenstore is
unreachable (XENSTORED_PATH points nowhere), so every tick of the auto
backend also tries to connect and falls back to sysfs.

Ticks are counted with inotify: each tick opens proc/meminfo once, and a
tick that lowers the target opens it once more right before it writes
(the manager's re-check); so ticks = opens - lowering writes.

--valgrind: run under valgrind --leak-check=full --error-exitcode=1
  --errors-for-leak-kinds=definite,indirect; any error or such leak fails.
--rss-at A,B: sample VmRSS from /proc/PID/status at ticks A and B (default
  1000,10000) and fail if it grew.
Prints what it measured in a 'RESULT' line.
"""
import argparse
import ctypes
import ctypes.util
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, '..', 'fixtures', 'domU-512')
BALLOON = 'sys/devices/system/xen_memory/xen_memory0'

IN_OPEN = 0x20
IN_CLOSE_WRITE = 0x08

libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)


class Inotify:
    def __init__(self):
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), 'inotify_init1')
        self.names = {}

    def watch(self, path, mask, name):
        wd = libc.inotify_add_watch(self.fd, path.encode(), mask)
        if wd < 0:
            raise OSError(ctypes.get_errno(), 'inotify_add_watch ' + path)
        self.names[wd] = name

    def events(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return []
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        out, i = [], 0
        while i < len(data):
            wd, mask, _cookie, length = struct.unpack_from('iIII', data, i)
            fname = data[i + 16:i + 16 + length].rstrip(b'\0').decode()
            i += 16 + length
            out.append((self.names.get(wd), mask, fname))
        return out


def write_atomic(path, text):
    tmp = path + '.new'
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def read_rss_kb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ticks', type=int, default=10000)
    ap.add_argument('--valgrind')
    ap.add_argument('--rss-at', default=None)
    ap.add_argument('--tick-ms', type=int, default=10)
    ap.add_argument('binary')
    a = ap.parse_args()
    rss_at = [int(x) for x in a.rss_at.split(',')] if a.rss_at else []

    tmp = tempfile.mkdtemp(prefix='sb-soak.')
    root = os.path.join(tmp, 'root')
    shutil.copytree(FIXTURE, root)
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)
    conf = os.path.join(tmp, 'selfballoon.conf')
    with open(conf, 'w') as f:
        # small hysteresis: targets move within a few ticks of a change
        f.write('[selfballoon]\ndown_hysteresis = 2\nup_hysteresis = 1\n')

    with open(os.path.join(root, 'proc/meminfo')) as f:
        meminfo = f.read()
    low = meminfo
    high = re.sub(r'^Committed_AS:\s*\d+ kB$', 'Committed_AS:     420000 kB', meminfo,
                  flags=re.M)
    assert high != low

    ino = Inotify()
    # the directory, not the file: the test replaces meminfo by rename
    ino.watch(os.path.join(root, 'proc'), IN_OPEN, 'proc')
    ino.watch(os.path.join(root, BALLOON, 'target_kb'), IN_CLOSE_WRITE, 'target')

    env = dict(os.environ, XENSTORED_PATH=os.path.join(tmp, 'no-xenstored'))
    env.pop('NOTIFY_SOCKET', None)
    env.pop('WATCHDOG_USEC', None)
    cmd = [a.binary, '-c', conf, '--root', root, '--tick-ms', str(a.tick_ms), '--log=console']
    vglog = os.path.join(tmp, 'valgrind.log')
    if a.valgrind:
        cmd = [a.valgrind, '--leak-check=full', '--show-leak-kinds=definite,indirect',
               '--errors-for-leak-kinds=definite,indirect', '--error-exitcode=1',
               '--track-fds=yes', '--log-file=' + vglog] + cmd
    errlog = open(os.path.join(tmp, 'stderr.log'), 'w+')
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errlog, env=env)

    opens = lowerings = 0
    last_target = int(open(os.path.join(root, BALLOON, 'target_kb')).read())
    demand_high = False
    next_switch = 150
    rss = {}
    # ticks late by more than 5 times the interval on average, or none for
    # 5 s: the loop is broken, no point in waiting for the rest
    deadline = start + a.ticks * a.tick_ms / 1000 * 5 + 60
    last_progress, last_ticks = start, 0
    failed = None
    while True:
        ticks = opens - lowerings
        if ticks >= a.ticks:
            break
        if p.poll() is not None:
            failed = f'the daemon exited early with status {p.returncode}'
            break
        now = time.monotonic()
        if ticks != last_ticks:
            last_progress, last_ticks = now, ticks
        if now > deadline:
            failed = f'only {ticks} ticks before the deadline'
            break
        if now - last_progress > 5:
            failed = f'no tick for 5 s after tick {ticks}: the tick timer stopped'
            break
        if now - start > 5 and ticks > 0 and (now - start) / ticks > 5 * a.tick_ms / 1000:
            failed = (f'{ticks} ticks in {now - start:.1f} s: one every '
                      f'{(now - start) / ticks * 1000:.0f} ms, not every {a.tick_ms} ms')
            break
        for name, _mask, fname in ino.events(0.5):
            if name == 'proc' and fname == 'meminfo':
                opens += 1
            elif name == 'target':
                try:
                    t = int(open(os.path.join(root, BALLOON, 'target_kb')).read())
                except ValueError:
                    continue
                if t < last_target:
                    lowerings += 1
                last_target = t
                # the balloon obeys
                write_atomic(os.path.join(root, BALLOON, 'info/current_kb'), f'{t}\n')
        ticks = opens - lowerings
        for at in rss_at:
            if at not in rss and ticks >= at:
                rss[at] = (ticks, read_rss_kb(p.pid))
        if ticks >= next_switch:
            demand_high = not demand_high
            write_atomic(os.path.join(root, 'proc/meminfo'), high if demand_high else low)
            next_switch += 150

    elapsed = time.monotonic() - start
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=120 if a.valgrind else 20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            failed = failed or 'no exit within the timeout after SIGTERM'
    errlog.seek(0)
    stderr = errlog.read()
    decisions = stderr.count('info: target ')
    print(f'{opens} meminfo readings, {lowerings} lowering writes, '
          f'{opens - lowerings} ticks in {elapsed:.1f} s; {decisions} decisions logged; '
          f'exit status {p.returncode}')

    ok = failed is None
    if failed:
        print('FAILED: ' + failed)
    if p.returncode != 0:
        ok = False
        print(f'FAILED: exit status {p.returncode} after SIGTERM (expected 0)')
    if 'stopping on' not in stderr:
        ok = False
        print('FAILED: no "stopping on" message')
    if decisions < min(10, a.ticks // 100):
        ok = False
        print(f'FAILED: only {decisions} decisions logged: the loop did not work')
    if a.valgrind:
        vg = open(vglog).read()
        summary = {k: re.search(k + r': +([\d,]+) bytes', vg) for k in
                   ('definitely lost', 'indirectly lost', 'possibly lost', 'still reachable')}
        summary = {k: (m.group(1) if m else '0') for k, m in summary.items()}
        errors = re.search(r'ERROR SUMMARY: (\d+) errors', vg)
        # descriptors the daemon opened and did not close (not std, not
        # inherited from this script)
        fd_blocks = re.split(r'==\d+== Open (?:file descriptor|AF_\w+ socket) ', vg)[1:]
        leaked_fds = [b.splitlines()[0] for b in fd_blocks
                      if '<inherited from parent>' not in b.split('Open ', 1)[0]
                      and not re.match(r'[012]:', b)]
        print('valgrind: ' + ', '.join(f'{k} {v} bytes' for k, v in summary.items()) +
              f'; {errors.group(1) if errors else "?"} errors' +
              f'; {len(leaked_fds)} descriptors left open')
        if not errors or errors.group(1) != '0':
            ok = False
            print('FAILED: valgrind reports errors:\n' + vg[-6000:])
        if leaked_fds:
            ok = False
            print('FAILED: descriptors left open at exit: ' + '; '.join(leaked_fds))
    if rss_at:
        if len(rss) != len(rss_at):
            ok = False
            print('FAILED: RSS not sampled at every tick asked for')
        else:
            first, last = rss[rss_at[0]], rss[rss_at[-1]]
            print('RSS: ' + ', '.join(f'{v[1]} kB at tick {v[0]}' for _, v in sorted(rss.items())))
            if last[1] > first[1]:
                ok = False
                print(f'FAILED: RSS grew by {last[1] - first[1]} kB')
    if not ok:
        print('--- daemon stderr (tail) ---\n' + stderr[-4000:])
    print('RESULT ' + ('ok' if ok else 'FAILED'))
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f'kept {tmp}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
