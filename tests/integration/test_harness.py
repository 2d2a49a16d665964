#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tests of the xenstore harness itself: real xenstored, real libxenstore
clients (the xenstore-* tools) acting as dom0 and as guest 3.

Run by `meson test xs-harness`; needs XSSHIM and XSBRIDGE in the
environment. Prints 'N passed, N failed'; exits non-zero on any failure.
"""

import ctypes
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
import traceback

from xsharness import (LineReader, XenstoreHarness, XsError, XS_WATCH_EVENT,
                       XS_WRITE, _HDR, check, eq)

DOM = '/local/domain/3'
STATIC_MAX = 524288
TARGET = 262144


def guest3(xs):
    xs.setup_domain(3, static_max_kb=STATIC_MAX, target_kb=TARGET)
    return xs.start_guest(3)




def cli_ok(xs, tool, *args, domid=None):
    r = xs.cli(tool, *args, domid=domid)
    check(r.returncode == 0, f'{tool} {args} as '
          f'{"dom0" if domid is None else f"guest {domid}"} failed: '
          f'{r.returncode} {r.stderr.strip()}')
    return r.stdout.strip()


def expect_xs_error(name, fn, *args):
    try:
        fn(*args)
    except XsError as e:
        eq(e.name, name, f'error of {fn.__name__}{args}')
        return
    raise AssertionError(f'{fn.__name__}{args} succeeded, expected {name}')


# ---- dom0 ---------------------------------------------------------------

def test_dom0_write_read(xs):
    xs.write('/test/a', 'hello')
    eq(xs.read('/test/a'), 'hello', 'wire read')
    eq(cli_ok(xs, 'xenstore-read', '/test/a'), 'hello', 'xenstore-read')
    cli_ok(xs, 'xenstore-write', '/test/b', 'world')
    eq(xs.read('/test/b'), 'world', 'read of xenstore-write')
    eq(sorted(xs.ls('/test')), ['a', 'b'], 'ls')
    xs.rm('/test/a')
    check(not xs.exists('/test/a'), 'rm left the node')


def test_setup_domain_layout(xs):
    xs.setup_domain(3, static_max_kb=STATIC_MAX, target_kb=TARGET)
    eq(xs.get_perms(DOM), ['n0', 'r3'], 'domain dir perms')
    eq(xs.get_perms(f'{DOM}/memory'), ['n0', 'r3'], 'memory/ perms')
    eq(xs.get_perms(f'{DOM}/memory/target'), ['n0', 'r3'], 'target perms')
    eq(xs.get_perms(f'{DOM}/data'), ['n3'], 'data/ perms')
    eq(xs.read(f'{DOM}/memory/static-max'), str(STATIC_MAX), 'static-max')
    eq(xs.read(f'{DOM}/memory/target'), str(TARGET), 'target')
    eq(xs.read(f'{DOM}/domid'), '3', 'domid')
    eq(xs.read(f'{DOM}/name'), 'guest3', 'name')
    xs.grant_target(3)
    eq(xs.get_perms(f'{DOM}/memory/target'), ['n0', 'b3'], 'granted perms')


# ---- guest 3 through the bridge -----------------------------------------

def test_guest_relative_read(xs):
    guest3(xs)
    eq(cli_ok(xs, 'xenstore-read', 'memory/target', domid=3), str(TARGET),
       'guest relative read')
    eq(cli_ok(xs, 'xenstore-read', 'domid', domid=3), '3', 'guest domid')
    # xenstored got the relative path itself (the trace shows requests as
    # sent) and resolved it under /local/domain/3, not 0.
    line = xs.wait_trace('READ (memory/target )')
    check(line is not None and line.startswith('IN '),
          'trace lacks the relative guest read')
    with xs.client() as d:
        d.write('/local/domain/0/memory/target', '1')
        eq(d.read('memory/target'), '1', 'dom0 relative path (control)')


def test_guest_target_denied_then_granted(xs):
    guest3(xs)
    r = xs.cli('xenstore-write', 'memory/target', '100000', domid=3)
    check(r.returncode != 0, 'guest wrote memory/target without the grant')
    check(xs.wait_trace('ERROR (EACCES') is not None,
          'xenstored did not answer EACCES')
    with xs.client(3) as g:
        expect_xs_error('EACCES', g.write, 'memory/target', '100000')
    eq(xs.read(f'{DOM}/memory/target'), str(TARGET), 'target after denial')

    xs.grant_target(3)
    cli_ok(xs, 'xenstore-write', 'memory/target', '300000', domid=3)
    eq(xs.read(f'{DOM}/memory/target'), '300000', 'dom0 sees guest write')
    # The grant is for target only.
    r = xs.cli('xenstore-write', 'memory/static-max', '1', domid=3)
    check(r.returncode != 0, 'guest wrote memory/static-max')


def test_guest_writes_data(xs):
    guest3(xs)
    xs.setup_domain(4, static_max_kb=STATIC_MAX, target_kb=TARGET)
    cli_ok(xs, 'xenstore-write', 'data/foo', 'bar', domid=3)
    eq(xs.read(f'{DOM}/data/foo'), 'bar', 'dom0 reads guest data')
    eq(xs.get_perms(f'{DOM}/data/foo')[0], 'n3', 'owner of guest node')
    with xs.client(3) as g:
        eq(g.read(f'{DOM}/data/foo'), 'bar', 'guest absolute read')
        expect_xs_error('EACCES', g.read, '/local/domain/4/memory/target')
        expect_xs_error('EACCES', g.write, '/local/domain/4/data/x', '1')
        expect_xs_error('EACCES', g.write, '/tool/x', '1')


def test_guest_watch_fires(xs):
    guest3(xs)
    # Through libxenstore (xenstore-watch), as the daemon will use it.
    w = xs.spawn(['xenstore-watch', '-n', '2', 'memory/target'], domid=3,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = LineReader(w.stdout)
    # A new watch fires once at once: that is also our "registered" signal.
    eq(lines.readline(5), 'memory/target', 'initial watch event')
    xs.write(f'{DOM}/memory/target', '123456')
    eq(lines.readline(5), 'memory/target', 'event after dom0 write')
    eq(w.wait(5), 0, 'xenstore-watch exit status')

    # And on the wire: token and path as the guest registered them.
    with xs.client(3) as g:
        g.watch('memory/target', 'tok')
        eq(g.read_watch(), ('memory/target', 'tok'), 'initial event')
        xs.write(f'{DOM}/memory/target', '654321')
        eq(g.read_watch(), ('memory/target', 'tok'), 'event')
        eq(g.read('memory/target'), '654321', 'read after event')


def test_guest_transaction_conflict(xs):
    guest3(xs)
    with xs.client(3) as g:
        g.write('data/x', '1')
        tx = g.transaction_start()
        eq(g.read('data/x', tx), '1', 'read in transaction')
        xs.write(f'{DOM}/data/x', '2')
        g.write('data/x', '3', tx)
        expect_xs_error('EAGAIN', g.transaction_end, tx)
        eq(xs.read(f'{DOM}/data/x'), '2', 'value after failed transaction')


def test_restart_guest(xs):
    guest3(xs)
    eq(cli_ok(xs, 'xenstore-read', 'memory/target', domid=3), str(TARGET),
       'read before stop')
    g = xs.client(3)
    eq(g.read('domid'), '3', 'client read before stop')
    xs.stop_guest(3)
    try:
        g.read('domid')
        raise AssertionError('a client kept working after stop_guest')
    except (ConnectionResetError, BrokenPipeError):
        pass  # EOF: connection lost, as it should be
    r = xs.cli('xenstore-read', 'memory/target', domid=3)
    check(r.returncode != 0, 'xenstore-read worked with the guest stopped')
    xs.write(f'{DOM}/memory/target', '111111')  # while the guest is away
    xs.restart_guest(3)
    eq(cli_ok(xs, 'xenstore-read', 'memory/target', domid=3), '111111',
       'read after restart')
    with xs.client(3) as g2:
        g2.watch('memory/target', 'after')
        eq(g2.read_watch(), ('memory/target', 'after'), 'watch after restart')
    # restart_guest on a running guest works too.
    xs.restart_guest(3)
    eq(cli_ok(xs, 'xenstore-read', 'domid', domid=3), '3', 'second restart')


def test_bridge_client_switch_is_clean(xs):
    guest3(xs)
    # Client 1: a watch, then dies in the middle of a request.
    c1 = xs.client(3)
    c1.watch('memory/target', 'stale')
    eq(c1.read_watch(), ('memory/target', 'stale'), 'c1 initial event')
    payload = b'data/partial\0' + b'x' * 37
    c1.send_raw(_HDR.pack(11, 99, 0, len(payload)) + payload[:20])
    c1.close()

    # Client 2 gets a fresh connection: no stale watch, no half request.
    with xs.client(3) as c2:
        eq(c2.read('memory/target'), str(TARGET), 'c2 read')
        xs.write(f'{DOM}/memory/target', '222222')
        eq(c2.pending_watch(0.3), None, 'stale watch event reached c2')
        check(not xs.exists(f'{DOM}/data/partial'), 'half request applied')

    # Client 3 dies halfway through a header.
    with xs.client(3) as c3:
        c3.send_raw(b'\x02\0\0\0\x01')
    # Client 4 breaks the protocol (payload over 4096): dropped by the
    # bridge, or xenstored would ignore guest 3 for good.
    with xs.client(3) as c4:
        c4.send_raw(_HDR.pack(2, 1, 0, 5000))
        try:
            c4.read('domid')
            raise AssertionError('oversized request was not refused')
        except (ConnectionResetError, BrokenPipeError):
            pass

    # Client 5: messages bigger than the 1 KiB ring, both ways. A guest's
    # node is limited to 2048 bytes by xenstored's quota; dom0's is not.
    big = ''.join(chr(ord('a') + i % 26) for i in range(4000))
    with xs.client(3) as c5:
        c5.write('data/mid', big[:1900])
        eq(xs.read(f'{DOM}/data/mid'), big[:1900], 'guest write > ring')
        expect_xs_error('ENOSPC', c5.write, 'data/big', big)
        xs.write(f'{DOM}/data/big', big)
        eq(c5.read('data/big'), big, 'guest read of a 4000-byte value')

    # Client 6 sends a whole big request and leaves without the reply.
    c6 = xs.client(3)
    c6.send_raw(_HDR.pack(11, 7, 0, len(b'data/big2\0') + 1900) +
                b'data/big2\0' + big[:1900].encode())
    c6.close()
    with xs.client(3) as c7:
        eq(c7.read('domid'), '3', 'client after an abandoned request')
        if c7.exists('data/big2'):
            eq(c7.read('data/big2'), big[:1900], 'abandoned request mangled')
    check(xs.guest_running(3), 'bridge died')


def test_kill_domain_releases(xs):
    guest3(xs)
    w = xs.watch('@releaseDomain', 'rel')
    eq(w.read_watch(), ('@releaseDomain', 'rel'), 'initial event')
    cli_ok(xs, 'xenstore-write', 'data/owned', '1', domid=3)
    with xs.client() as d:
        check(d.is_domain_introduced(3), 'guest 3 not introduced')
    xs.kill_domain(3)
    eq(w.read_watch(), ('@releaseDomain', 'rel'), '@releaseDomain event')
    check(not xs.dom0.is_domain_introduced(3), 'guest 3 still introduced')
    # Nodes the guest owned go with it; dom0's stay.
    check(not xs.exists(f'{DOM}/data'), 'guest-owned data/ survived')
    eq(xs.read(f'{DOM}/memory/target'), str(TARGET), 'dom0 node')
    # A new domain 3 does not inherit the old one's permissions: xenstored
    # ignores perms naming a domid on nodes older than that domain...
    xs.start_guest(3)
    r = xs.cli('xenstore-read', 'memory/target', domid=3)
    check(r.returncode != 0, 'new domain 3 inherited stale permissions')
    # ...so, as libxl does, the toolstack lays the domain out again.
    xs.rm(DOM)
    xs.setup_domain(3, static_max_kb=STATIC_MAX, target_kb=TARGET)
    eq(cli_ok(xs, 'xenstore-read', 'memory/target', domid=3), str(TARGET),
       'read by the new domain 3')


def test_two_guests_are_separate(xs):
    guest3(xs)
    xs.setup_domain(5, static_max_kb=STATIC_MAX, target_kb=TARGET)
    xs.start_guest(5)
    with xs.client(3) as g3, xs.client(5) as g5:
        eq(g3.read('domid'), '3', 'guest 3 relative read')
        eq(g5.read('domid'), '5', 'guest 5 relative read')
        g3.watch('memory/target', 'three')
        g5.watch('memory/target', 'five')
        eq(g3.read_watch(), ('memory/target', 'three'), 'g3 initial')
        eq(g5.read_watch(), ('memory/target', 'five'), 'g5 initial')
        xs.write('/local/domain/5/memory/target', '1234')
        eq(g5.read_watch(), ('memory/target', 'five'), 'g5 event')
        eq(g3.pending_watch(0.3), None, 'guest 3 saw guest 5\'s event')
        expect_xs_error('EACCES', g5.read, f'{DOM}/memory/target')


def _raw_messages(c, quiet=0.3):
    """Every message that reaches client c until none comes for quiet
    seconds, as (type, path, token) for events and (type, payload) else."""
    out = []
    while True:
        try:
            mtype, _, _, body = c._recv_msg(time.monotonic() + quiet)
        except TimeoutError:
            return out
        if mtype == XS_WATCH_EVENT:
            path, token = body.split(b'\0')[:2]
            out.append((mtype, path.decode(), token.decode()))
        else:
            out.append((mtype, body))


def test_move_guest(xs):
    """xl save/restore, xl migrate: the client's connection is guest 4's
    from then on. Its watches come along (each fires once, only the events
    reach it, no reply to the re-registration); one it dropped does not;
    a request it was half-way through sending lands on the new domain."""
    guest3(xs)
    old_sock = xs.guest_socket(3)
    g = xs.client(3)
    g.watch('memory/target', 'tok')
    g.watch('data', 'd')
    g.watch('domid', 'gone')
    eq([g.read_watch() for _ in range(3)],
       [('memory/target', 'tok'), ('data', 'd'), ('domid', 'gone')],
       'initial events')
    g.unwatch('domid', 'gone')
    g.write('data/x', '1')
    eq(g.read_watch(), ('data/x', 'd'), 'event for the write')
    payload = b'data/late\0' + b'here'
    msg = _HDR.pack(XS_WRITE, 42, 0, len(payload)) + payload
    g.send_raw(msg[:20])  # half a request, then the move
    time.sleep(0.05)
    eq(xs.move_guest(3, 4), old_sock, 'socket of the moved guest')
    eq(xs.guest_socket(4), old_sock, 'guest_socket(4) after the move')
    check(xs.guest_running(4) and not xs.guest_running(3),
          'bridge not known as guest 4\'s')
    eq(sorted(_raw_messages(g)),
       [(XS_WATCH_EVENT, 'data', 'd'), (XS_WATCH_EVENT, 'memory/target', 'tok')],
       'what reaches the client on the move (events only, no dropped watch)')
    g.send_raw(msg[20:])
    eq(_raw_messages(g), [(XS_WATCH_EVENT, 'data/late', 'd'),
                          (XS_WRITE, b'OK\0')],
       'reply to the held request (and the data/ watch\'s event)')
    eq(xs.read('/local/domain/4/data/late'), 'here', 'held request on domain 4')
    eq(g.read('domid'), '4', 'relative read after the move')
    eq(g.read('name'), 'guest3', 'the name comes along')
    eq(g.read('memory/target'), str(TARGET), 'memory/target carried over')
    expect_xs_error('EACCES', g.write, 'memory/target', '1')
    check(not xs.exists(DOM), 'domain 3 left behind (destroy_old)')
    check(not xs.dom0.is_domain_introduced(3), 'domain 3 still introduced')
    xs.write('/local/domain/4/memory/target', '7777')
    eq(_raw_messages(g), [(XS_WATCH_EVENT, 'memory/target', 'tok')],
       'the watch on domain 4')
    g.write('data/y', '2')
    eq(g.read_watch(), ('data/y', 'd'), 'the data/ watch on domain 4')
    eq(xs.get_perms('/local/domain/4/data/y')[0], 'n4', 'owner of a new node')

    # again, and a libxenstore client (xenstore-watch) along
    g.close()
    w = xs.spawn(['xenstore-watch', '-n', '3', 'memory/target'], domid=4,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = LineReader(w.stdout)
    eq(lines.readline(5), 'memory/target', 'xenstore-watch initial event')
    xs.move_guest(4, 6, target_kb=4321)
    eq(lines.readline(5), 'memory/target', 'xenstore-watch event on the move')
    xs.write('/local/domain/6/memory/target', '1234')
    eq(lines.readline(5), 'memory/target', 'xenstore-watch event on domain 6')
    eq(w.wait(5), 0, 'xenstore-watch exit status')
    eq(cli_ok(xs, 'xenstore-read', 'memory/target', domid=6), '1234',
       'a new client on the moved socket is domain 6')
    # a move with no client connected, and one without the watches
    xs.move_guest(6, 8)
    eq(cli_ok(xs, 'xenstore-read', 'domid', domid=8), '8', 'moved idle')
    with xs.client(8) as c:
        c.watch('memory/target', 'x')
        eq(c.read_watch(), ('memory/target', 'x'), 'initial event')
        xs.move_guest(8, 9, watches=False)
        eq(_raw_messages(c), [], 'events of a move without the watches')
        xs.write('/local/domain/9/memory/target', '1')
        eq(c.pending_watch(0.3), None, 'a watch the kernel did not bring')
        eq(c.read('domid'), '9', 'relative read')
    try:
        xs.start_guest(3)
        raise AssertionError('guest 3 started on the socket guest 9 uses')
    except RuntimeError as e:
        check('serves guest 9' in str(e), f'refusal: {e}')
    xs.kill_domain(9)
    check(not os.path.exists(old_sock), 'socket left after kill_domain')


def test_move_guest_finishes_request_in_flight(xs):
    """A request xenstored has when the move starts is answered by the old
    domain, before the move (xs_suspend() waits for it): made certain by
    stopping xenstored while it holds one."""
    guest3(xs)
    xs.setup_domain(4, static_max_kb=STATIC_MAX, target_kb=TARGET)
    g = xs.client(3)
    eq(g.read('domid'), '3', 'before')
    payload = b'data/inflight\0' + b'3'
    os.kill(xs.xenstored_pid, signal.SIGSTOP)
    try:
        g.send_raw(_HDR.pack(XS_WRITE, 7, 0, len(payload)) + payload)
        time.sleep(0.1)  # in the ring: the bridge has it
        moved = []
        t = threading.Thread(target=lambda: moved.append(
            xs.move_guest(3, 4, setup=False, destroy_old=False)))
        t.start()
        time.sleep(0.3)
        check(not moved, 'moved with a request unanswered')
    finally:
        os.kill(xs.xenstored_pid, signal.SIGCONT)
    t.join(10)
    check(moved, 'no move')
    eq(_raw_messages(g), [(XS_WRITE, b'OK\0')], 'reply on the old ring')
    eq(xs.read(f'{DOM}/data/inflight'), '3', 'written by domain 3')
    check(not xs.exists('/local/domain/4/data/inflight'), 'domain 4 wrote it')
    eq(g.read('domid'), '4', 'after')


# ---- harness properties -------------------------------------------------

def test_cleanup_leaves_nothing(_):
    xs = XenstoreHarness()
    t0 = time.monotonic()
    xs.start()
    started = time.monotonic() - t0
    try:
        guest3(xs)
        xs.spawn(['xenstore-watch', 'memory/target'], domid=3,
                 stdout=subprocess.DEVNULL)
        xs.spawn(['sleep', '60'])
        pids = xs.pids()
        workdir = xs.workdir
        eq(len(pids), 4, 'children (xenstored, bridge, watch, sleep)')
    finally:
        xs.close()
    for pid in pids:
        check(not os.path.exists(f'/proc/{pid}'), f'child {pid} survived')
    check(not os.path.exists(workdir), 'workdir left behind')
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/cmdline', 'rb') as f:
                    cmd = f.read()
            except OSError:
                continue
            check(workdir.encode() not in cmd, f'process {entry} left: {cmd}')
    check(started < 5, f'start-up took {started:.3f}s')
    print(f'    (xenstored up in {started * 1000:.1f} ms)')


def test_children_die_with_harness(_):
    """Even a SIGKILLed test leaves no xenstored or bridge behind."""
    code = ('import sys, subprocess\n'
            'from xsharness import XenstoreHarness\n'
            'xs = XenstoreHarness(keep=True)\n'
            'xs.start()\n'
            'xs.start_guest(3)\n'
            'xs.spawn(["sleep", "60"])\n'
            'print(xs.workdir, *xs.pids(), flush=True)\n'
            'sys.stdin.read()\n')
    # Orphans come to us, not to an init that may never reap them.
    libc = ctypes.CDLL(None)
    libc.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    child = subprocess.Popen([sys.executable, '-c', code],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = LineReader(child.stdout).readline(10)
        check(line is not None, 'harness child did not start')
        workdir, *pids = line.split()
        eq(len(pids), 3, 'children of the harness child')
        child.kill()
        child.wait()
        deadline = time.monotonic() + 5
        while any([_alive(int(p)) for p in pids]):
            check(time.monotonic() < deadline,
                  f'children outlived a killed harness: {pids}')
            time.sleep(0.01)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdin.close()
        child.stdout.close()
        libc.prctl(36, 0)
        if 'workdir' in locals():
            subprocess.run(['rm', '-rf', workdir], check=False)


def _alive(pid):
    """True while pid runs; reaps it if it is our (adopted) zombie."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not (yet) ours
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def test_guard_shim_covers_xenstored_imports(_):
    """A Debian update changing xenstored's imports must fail here, loudly,
    not as a mysterious hang."""
    xenstored = os.environ.get('XENSTORED',
                               '/usr/lib/xen-4.17/bin/xenstored')
    shim = os.environ['XSSHIM']
    imports = subprocess.run(['nm', '-D', '--undefined-only', xenstored],
                             capture_output=True, text=True, check=True).stdout
    defined = subprocess.run(['nm', '-D', '--defined-only', shim],
                             capture_output=True, text=True,
                             check=True).stdout
    shim_syms = {l.split()[-1] for l in defined.splitlines() if l.strip()}
    hyp = set()
    opens = set()
    for line in imports.splitlines():
        fields = line.split()
        if len(fields) != 2 or fields[0] != 'U':
            continue  # weak toolchain hooks (__gmon_start__ ...)
        name, _, version = fields[1].partition('@')
        if not version.startswith('GLIBC_'):
            hyp.add(f'{name}@{version}')  # libxenctrl, libxenevtchn, ...
        elif name in ('open', 'open64', 'openat', 'openat64', '__open_2',
                      '__open64_2', '__openat_2'):
            opens.add(name)
    check(len(hyp) >= 17, f'implausible import list: {sorted(hyp)}')
    missing = sorted(s for s in hyp if s.split('@')[0] not in shim_syms)
    check(not missing, f'xenstored imports hypervisor calls the shim lacks: '
          f'{missing}')
    # xsd_kva/xsd_port are redirected by interposing the open() variant
    # xenstored uses.
    check(opens and opens <= shim_syms,
          f'xenstored opens files via {sorted(opens)}; shim defines '
          f'{sorted(shim_syms & {"open", "open64"})}')
    with open(xenstored, 'rb') as f:
        blob = f.read()
    import re
    paths = set(m.decode() for m in
                re.findall(rb'/(?:proc|dev)/xen/[A-Za-z0-9_/]+', blob))
    # xenbus paths come from the client library code linked in
    # (xs_domain_dev), which the daemon never opens.
    known = {'/proc/xen/xsd_kva', '/proc/xen/xsd_port', '/proc/xen/xenbus',
             '/dev/xen/xenbus'}
    check(paths <= known, f'new hypervisor paths: {sorted(paths - known)}')


def main():
    tests = [(n, f) for n, f in globals().items()
             if n.startswith('test_') and inspect.isfunction(f)]
    only = sys.argv[1:]
    passed = failed = 0
    for name, fn in tests:
        if only and not any(o in name for o in only):
            continue
        params = inspect.signature(fn).parameters
        xs = None
        t0 = time.monotonic()
        try:
            if list(params)[0] == 'xs':
                with XenstoreHarness() as xs:
                    try:
                        fn(xs)
                    except BaseException:
                        sys.stdout.write(_failure_context(xs))
                        raise
            else:
                fn(None)
            passed += 1
            print(f'ok   {name} ({(time.monotonic() - t0) * 1000:.0f} ms)')
        except Exception:
            failed += 1
            print(f'FAIL {name}')
            traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
    print(f'{passed} passed, {failed} failed')
    return 1 if failed or not passed else 0


def _failure_context(xs):
    try:
        lines = [l[:300] for l in xs.trace_requests()[-25:]]
        return ('--- last trace lines\n' + '\n'.join(lines) + '\n' +
                xs.logs() + '\n')
    except OSError:
        return ''


if __name__ == '__main__':
    sys.exit(main())
