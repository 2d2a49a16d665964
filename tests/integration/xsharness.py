# SPDX-License-Identifier: GPL-2.0-only
"""Run the real xenstored (Xen 4.17) without Xen, for integration tests.

    with XenstoreHarness() as xs:
        xs.setup_domain(3, static_max_kb=524288, target_kb=262144)
        sock = xs.start_guest(3)          # XENSTORED_PATH=sock is guest 3
        xs.cli('xenstore-read', 'memory/target', domid=3)
        xs.grant_target(3)
        proc = xs.spawn([daemon, ...], domid=3)   # killed on exit

xenstored runs with the LD_PRELOAD shim (XSSHIM) standing in for the
hypervisor; a guest's connection is an xsbridge process (XSBRIDGE) copying
bytes between a unix socket and the guest's ring, so xenstored applies
guest rules to it: relative paths under /local/domain/N, permission checks,
quotas. Over the dom0 socket everything is privileged.

A bridge serves one client at a time; the next one waits in the listen
queue until the current one disconnects, and then starts on a fresh guest
connection (no watches or transactions left over).

move_guest(5, 7) is xl save/restore or xl migrate: guest 5's programs keep
their connection (the same socket), which is domain 7 from then on, with
their watches registered there again as the guest kernel does on resume.

Children are killed when the harness closes, and by the kernel
(PR_SET_PDEATHSIG) if this process dies first; create the harness and
spawn from one thread, as that signal follows the thread that forked.
(cli() runs are short-lived and left out of that.)

Environment: XSSHIM and XSBRIDGE (paths of the built shim and bridge, set
by meson), XENSTORED (default /usr/lib/xen-4.17/bin/xenstored),
XSHARNESS_KEEP=1 keeps the temporary directory (trace, logs) for a look.
"""

import contextlib
import ctypes
import errno
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

__all__ = ['XenstoreHarness', 'XsClient', 'XsError', 'LineReader', 'NotifySocket',
           'XS_DEFAULT_XENSTORED']

XS_DEFAULT_XENSTORED = '/usr/lib/xen-4.17/bin/xenstored'

# enum xsd_sockmsg_type from xen/io/xs_wire.h
XS_CONTROL = 0
XS_DIRECTORY = 1
XS_READ = 2
XS_GET_PERMS = 3
XS_WATCH = 4
XS_UNWATCH = 5
XS_TRANSACTION_START = 6
XS_TRANSACTION_END = 7
XS_INTRODUCE = 8
XS_RELEASE = 9
XS_GET_DOMAIN_PATH = 10
XS_WRITE = 11
XS_MKDIR = 12
XS_RM = 13
XS_SET_PERMS = 14
XS_WATCH_EVENT = 15
XS_ERROR = 16
XS_IS_DOMAIN_INTRODUCED = 17

_HDR = struct.Struct('=IIII')  # type, req_id, tx_id, len (host order)
XENSTORE_PAYLOAD_MAX = 4096


class XsError(OSError):
    """xenstored answered XS_ERROR; .errno is the errno, .name e.g. 'EACCES'."""

    def __init__(self, name, what=''):
        self.name = name
        super().__init__(getattr(errno, name, errno.EIO),
                         f'{name} ({what})' if what else name)


class XsClient:
    """Minimal xenstore wire-protocol client over a unix socket.

    Connected to the dom0 socket it is privileged; connected to a bridge
    socket it is that guest. Watch events arriving while a reply is awaited
    are queued for read_watch().
    """

    def __init__(self, path, timeout=5.0):
        self.path = path
        self.timeout = timeout
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
        except OSError:
            self._sock.close()
            raise
        self._req_id = 0
        self._events = []
        self._buf = b''

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fileno(self):
        return self._sock.fileno()

    def send_raw(self, data):
        """Send arbitrary bytes (for protocol-abuse tests)."""
        self._sock.sendall(data)

    def _recv_exact(self, n, deadline):
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f'xenstore: no reply on {self.path}')
            self._sock.settimeout(left)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError(
                    errno.ECONNRESET, f'xenstore connection {self.path} closed')
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def _recv_msg(self, deadline):
        mtype, req_id, tx_id, length = _HDR.unpack(
            self._recv_exact(_HDR.size, deadline))
        return mtype, req_id, tx_id, self._recv_exact(length, deadline)

    def request(self, mtype, payload=b'', tx=0):
        """Send one request, return the reply payload; XsError on XS_ERROR."""
        if isinstance(payload, str):
            payload = payload.encode()
        self._req_id = (self._req_id + 1) & 0xffffffff
        self._sock.sendall(
            _HDR.pack(mtype, self._req_id, tx, len(payload)) + payload)
        deadline = time.monotonic() + self.timeout
        while True:
            rtype, req_id, _, body = self._recv_msg(deadline)
            if rtype == XS_WATCH_EVENT:
                self._events.append(_split_event(body))
                continue
            if req_id != self._req_id:
                continue  # a late reply to an abandoned request
            if rtype == XS_ERROR:
                raise XsError(body.rstrip(b'\0').decode(), _describe(payload))
            return body

    # Operations, named after the xenstore-* tools.
    def read(self, path, tx=0):
        return self.request(XS_READ, _z(path), tx).decode()

    def write(self, path, value, tx=0):
        if isinstance(value, str):
            value = value.encode()
        self.request(XS_WRITE, _z(path) + value, tx)

    def mkdir(self, path, tx=0):
        self.request(XS_MKDIR, _z(path), tx)

    def rm(self, path, tx=0):
        self.request(XS_RM, _z(path), tx)

    def exists(self, path, tx=0):
        try:
            self.request(XS_READ, _z(path), tx)
            return True
        except XsError as e:
            if e.name == 'ENOENT':
                return False
            raise

    def ls(self, path, tx=0):
        body = self.request(XS_DIRECTORY, _z(path), tx)
        return [n.decode() for n in body.split(b'\0') if n]

    def get_perms(self, path, tx=0):
        """['n0', 'r3'] style: owner (with others' access) first."""
        body = self.request(XS_GET_PERMS, _z(path), tx)
        return [p.decode() for p in body.split(b'\0') if p]

    def chmod(self, path, *perms, tx=0):
        """chmod('/a', 'n0', 'r3') as `xenstore-chmod /a n0 r3`."""
        if len(perms) == 1 and not isinstance(perms[0], str):
            perms = tuple(perms[0])
        self.request(XS_SET_PERMS,
                     _z(path) + b''.join(_z(p) for p in perms), tx)

    def watch(self, path, token):
        """Note: xenstored fires every new watch once, at once."""
        self.request(XS_WATCH, _z(path) + _z(token))

    def unwatch(self, path, token):
        self.request(XS_UNWATCH, _z(path) + _z(token))

    def read_watch(self, timeout=None):
        """Next watch event as (path, token); TimeoutError if none comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        while not self._events:
            rtype, _, _, body = self._recv_msg(deadline)
            if rtype == XS_WATCH_EVENT:
                self._events.append(_split_event(body))
        return self._events.pop(0)

    def pending_watch(self, timeout=0.2):
        """The next event if one arrives within timeout, else None."""
        try:
            return self.read_watch(timeout)
        except TimeoutError:
            return None

    def transaction_start(self):
        return int(self.request(XS_TRANSACTION_START, b'\0').rstrip(b'\0'))

    def transaction_end(self, tx, commit=True):
        """Raises XsError('EAGAIN') when a conflicting write won."""
        self.request(XS_TRANSACTION_END, b'T\0' if commit else b'F\0', tx)

    def get_domain_path(self, domid):
        return self.request(XS_GET_DOMAIN_PATH,
                            _z(str(domid))).rstrip(b'\0').decode()

    def is_domain_introduced(self, domid):
        return self.request(XS_IS_DOMAIN_INTRODUCED,
                            _z(str(domid))).rstrip(b'\0') == b'T'


def _z(s):
    return (s.encode() if isinstance(s, str) else s) + b'\0'


def _split_event(body):
    parts = body.split(b'\0')
    return parts[0].decode(), parts[1].decode() if len(parts) > 1 else ''


def _describe(payload):
    return payload.split(b'\0', 1)[0].decode(errors='replace')


_libc = None


def _parent_death_signal():
    """preexec_fn: the kernel kills the child if the harness dies. (It makes
    Popen fork the slow way; xenstored and the bridges do it themselves.)"""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    libc = _libc
    parent = os.getpid()  # the harness, i.e. the child's parent-to-be

    def hook():
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # parent already gone before prctl
            os._exit(1)
    return hook


def _tail(path, n=2000):
    try:
        with open(path, 'rb') as f:
            return f.read()[-n:].decode(errors='replace').strip()
    except OSError:
        return ''


def _lines(path):
    """The whole lines of a child's stdout file so far."""
    with open(path, 'rb') as f:
        data = f.read()
    return data.decode(errors='replace').split('\n')[:-1]


def _wait_for_line(path, proc, timeout, what, log):
    """Poll a child's stdout file for its first full line (its 'ready')."""
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while True:
        with open(path, 'rb') as f:
            data = f.read()
        if b'\n' in data:
            return data.split(b'\n', 1)[0].decode()
        if proc.poll() is not None:
            raise RuntimeError(f'{what} exited with {proc.returncode} '
                               f'before it was ready: {_tail(log)}')
        if time.monotonic() > deadline:
            raise TimeoutError(f'{what} not ready after {timeout}s: '
                               f'{_tail(log)}')
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def _stop_process(proc, grace=3.0):
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f:
            f.close()


class XenstoreHarness:
    """A private xenstored plus guest bridges in a temporary directory."""

    def __init__(self, *, trace=True, xenstored=None, shim=None, bridge=None,
                 start_timeout=10.0, keep=None):
        self.xenstored = xenstored or os.environ.get('XENSTORED',
                                                     XS_DEFAULT_XENSTORED)
        self.shim = shim or os.environ.get('XSSHIM')
        self.bridge = bridge or os.environ.get('XSBRIDGE')
        self.trace_enabled = trace
        self.start_timeout = start_timeout
        self.keep = (os.environ.get('XSHARNESS_KEEP') == '1'
                     if keep is None else keep)
        self.workdir = None
        self._xenstored = None
        self._bridges = {}      # domid -> Popen
        self._sockets = {}      # domid -> socket path, for moved guests
        self._procs = []        # spawned by tests
        self._clients = []
        self._dom0 = None
        self._old_sigterm = None

    # ---- life cycle ----------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        for what, path in (('XSSHIM', self.shim), ('XSBRIDGE', self.bridge)):
            if not path or not os.path.exists(path):
                raise RuntimeError(f'{what} must name the built file '
                                   f'(got {path!r}); run through meson test')
        if not os.access(self.xenstored, os.X_OK):
            raise RuntimeError(f'no xenstored at {self.xenstored}: install '
                               'xen-utils-4.17 (or set XENSTORED)')
        # Short: unix socket paths are limited to 107 bytes.
        self.workdir = tempfile.mkdtemp(prefix='xsh-')
        self.rundir = os.path.join(self.workdir, 'run')
        self.shim_dir = os.path.join(self.workdir, 'shim')
        os.mkdir(self.rundir)
        os.mkdir(self.shim_dir)
        self.dom0_socket = os.path.join(self.rundir, 'socket')
        self.trace_path = os.path.join(self.workdir, 'trace')
        self.log_path = os.path.join(self.workdir, 'xenstored.log')
        self._install_sigterm()
        try:
            self._start_xenstored()
        except BaseException:
            self.close()
            raise

    def _start_xenstored(self):
        env = dict(os.environ,
                   XENSTORED_RUNDIR=self.rundir,
                   XSSHIM_DIR=self.shim_dir,
                   XSHARNESS_PARENT=str(os.getpid()),  # shim: die with us
                   LD_PRELOAD=self.shim)
        argv = [self.xenstored, '-N', '-P']
        if self.trace_enabled:
            argv += ['-T', self.trace_path]
        out = os.path.join(self.workdir, 'xenstored.out')
        with open(out, 'wb') as o, open(self.log_path, 'ab') as log:
            self._xenstored = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=o, stderr=log,
                cwd=self.workdir)
        # -P prints the pid once the socket and the (shimmed) hypervisor
        # connection are set up.
        _wait_for_line(out, self._xenstored, self.start_timeout, 'xenstored',
                       self.log_path)

    def _install_sigterm(self):
        # Turn a test runner's SIGTERM (e.g. a timeout) into SystemExit so
        # that close() still runs; only where nobody else handles it.
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                self._old_sigterm = signal.signal(
                    signal.SIGTERM, lambda s, f: sys.exit(128 + s))
        except ValueError:  # not the main thread
            pass

    def close(self):
        """Kill every child (spawned, bridges, xenstored); drop the tmpdir.
        Safe to call twice; one failing stop does not spare the others."""
        for c in self._clients:
            with contextlib.suppress(OSError):
                c.close()
        self._clients.clear()
        self._dom0 = None
        # The programs under test first, xenstored last.
        procs = self._procs + list(self._bridges.values())
        self._procs = []
        self._bridges = {}
        if self._xenstored is not None:
            procs.append(self._xenstored)
        errors = []
        for p in procs:
            try:
                _stop_process(p)
            except Exception as e:  # keep going: kill the rest
                errors.append(e)
        if self._old_sigterm is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None
        if self.workdir and os.path.isdir(self.workdir):
            if self.keep:
                print(f'xsharness: kept {self.workdir}', file=sys.stderr)
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            raise errors[0]

    @property
    def xenstored_pid(self):
        return self._xenstored.pid

    def xenstored_alive(self):
        return self._xenstored is not None and self._xenstored.poll() is None

    def pids(self):
        """Every live child pid (for leak checks)."""
        procs = [self._xenstored, *self._bridges.values(), *self._procs]
        return [p.pid for p in procs if p is not None and p.poll() is None]

    def trace(self):
        """xenstored's -T trace so far (every request and reply)."""
        with open(self.trace_path, 'r', errors='replace') as f:
            return f.read()

    def trace_requests(self):
        """Trace lines of requests and replies only (no rate-limit noise)."""
        return [l for l in self.trace().splitlines()
                if l.startswith(('IN ', 'OUT '))]

    def wait_trace(self, text, timeout=2.0):
        """First request/reply trace line containing text, waiting for it:
        xenstored logs a reply only after the client could have read it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.trace_requests():
                if text in line:
                    return line
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)

    def logs(self):
        """xenstored's and the bridges' stderr, for failure reports."""
        out = []
        for name in sorted(os.listdir(self.workdir)):
            if name.endswith('.log'):
                with open(os.path.join(self.workdir, name), 'r',
                          errors='replace') as f:
                    out.append(f'--- {name}\n{f.read()}')
        return '\n'.join(out)

    # ---- dom0 ------------------------------------------------------------

    @property
    def dom0(self):
        """A privileged XsClient on xenstored's socket (lazily opened)."""
        if self._dom0 is None:
            self._dom0 = self.client()
        return self._dom0

    def client(self, domid=None, timeout=5.0):
        """A new XsClient: dom0 if domid is None, else guest domid."""
        path = self.dom0_socket if domid is None else self.guest_socket(domid)
        c = XsClient(path, timeout)
        self._clients.append(c)
        return c

    def read(self, path):
        return self.dom0.read(path)

    def write(self, path, value):
        self.dom0.write(path, value)

    def mkdir(self, path):
        self.dom0.mkdir(path)

    def rm(self, path):
        self.dom0.rm(path)

    def ls(self, path):
        return self.dom0.ls(path)

    def exists(self, path):
        return self.dom0.exists(path)

    def get_perms(self, path):
        return self.dom0.get_perms(path)

    def chmod(self, path, *perms):
        self.dom0.chmod(path, *perms)

    def watch(self, path, token):
        """Watch on a dedicated dom0 client, returned for read_watch()."""
        c = self.client()
        c.watch(path, token)
        return c

    def setup_domain(self, domid, static_max_kb, target_kb, name=None):
        """Lay out /local/domain/N as libxl does for a new guest."""
        dom = f'/local/domain/{domid}'
        ro = ('n0', f'r{domid}')
        c = self.dom0
        c.write(dom, '')
        c.chmod(dom, *ro)
        c.write(f'{dom}/domid', str(domid))
        c.write(f'{dom}/name', name or f'guest{domid}')
        c.write(f'{dom}/memory', '')
        c.write(f'{dom}/memory/static-max', str(static_max_kb))
        c.write(f'{dom}/memory/target', str(target_kb))
        for node in ('domid', 'name', 'memory', 'memory/static-max',
                     'memory/target'):
            c.chmod(f'{dom}/{node}', *ro)
        c.write(f'{dom}/data', '')
        c.chmod(f'{dom}/data', f'n{domid}')
        return dom

    def grant_target(self, domid):
        """= xenstore-chmod /local/domain/N/memory/target n0 bN"""
        self.chmod(f'/local/domain/{domid}/memory/target', 'n0', f'b{domid}')

    # ---- guests ----------------------------------------------------------

    def guest_socket(self, domid):
        """Guest domid's socket; after move_guest(old, domid), old's."""
        return self._sockets.get(domid) or os.path.join(
            self.workdir, f'guest-{domid}.sock')

    def start_guest(self, domid):
        """Start guest domid's bridge; return the socket to connect to."""
        if domid in self._bridges:
            raise RuntimeError(f'guest {domid} is already running')
        sock = self.guest_socket(domid)
        for other, p in self._bridges.items():
            if self.guest_socket(other) == sock and p.poll() is None:
                raise RuntimeError(f'{sock} serves guest {other} (moved '
                                   f'there): it cannot be guest {domid} too')
        # A domid reused after kill_domain() is a new domain.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.shim_dir, f'dying-{domid}'))
        out = os.path.join(self.workdir, f'xsbridge-{domid}.out')
        log = os.path.join(self.workdir, f'xsbridge-{domid}.log')
        move = os.path.join(self.workdir, f'xsbridge-{domid}.move')
        with open(out, 'wb') as o, open(log, 'ab') as e:
            proc = subprocess.Popen(
                [self.bridge, '-d', str(domid), '-l', sock,
                 '-x', self.dom0_socket, '-s', self.shim_dir, '-m', move],
                env=dict(os.environ, XSHARNESS_PARENT=str(os.getpid())),
                stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        proc.xs_out, proc.xs_log, proc.xs_move = out, log, move
        self._bridges[domid] = proc
        try:
            _wait_for_line(out, proc, self.start_timeout, f'xsbridge {domid}',
                           log)
        except BaseException:
            self.stop_guest(domid)
            raise
        return sock

    def stop_guest(self, domid):
        """Drop guest domid's xenstore connection: its client sees EOF and
        nothing listens on the socket until restart_guest()."""
        proc = self._bridges.pop(domid, None)
        if proc is not None:
            _stop_process(proc)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.guest_socket(domid))

    def restart_guest(self, domid):
        """Connection lost and back: a new bridge on the same socket path
        and ring; xenstored starts the guest on a fresh connection."""
        self.stop_guest(domid)
        return self.start_guest(domid)

    def guest_running(self, domid):
        p = self._bridges.get(domid)
        return p is not None and p.poll() is None

    def kill_domain(self, domid):
        """Destroy guest domid as Xen would: xenstored sees it dying,
        releases it (deleting the nodes it owns) and fires @releaseDomain."""
        self.stop_guest(domid)
        self._release(domid)

    def _release(self, domid):
        open(os.path.join(self.shim_dir, f'dying-{domid}'), 'w').close()
        fd = os.open(os.path.join(self.shim_dir, 'evtchn'),
                     os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b'V')  # VIRQ_DOM_EXC
        finally:
            os.close(fd)

    def move_guest(self, old, new, target_kb=None, static_max_kb=None,
                   setup=True, watches=True, destroy_old=True, timeout=5.0):
        """xl save + xl restore, or xl migrate: guest old runs as domain
        new from now on. Its bridge keeps the client's connection (the same
        socket: guest_socket(new) is guest_socket(old) now), finishes what
        xenstored was answering, connects as domain new and registers the
        client's watches there again, as the guest kernel's xenbus does on
        resume: xenstored fires each once, the client gets the events but
        not the replies. Returns once that is done.

        setup: lay /local/domain/new out first as libxl does (setup_domain,
        memory/target read-only for the guest: a grant does not come
        along), with old's static-max and name, and memory/target =
        target_kb (default: old's memory/target, which libxl carries over).
        Nothing of old's data/ is copied. watches=False: a kernel that would
        not register the watches again. destroy_old: then domain old is
        destroyed, as xl does once the guest runs on the other side
        (xenstored releases it, libxl removes /local/domain/old)."""
        proc = self._bridges.get(old)
        if proc is None or proc.poll() is not None:
            raise RuntimeError(f'guest {old} is not running')
        if new in self._bridges:
            raise RuntimeError(f'guest {new} is already running')
        src = f'/local/domain/{old}'
        if setup:
            self.setup_domain(
                new,
                static_max_kb=(static_max_kb if static_max_kb is not None
                               else int(self.read(f'{src}/memory/static-max'))),
                target_kb=(target_kb if target_kb is not None
                           else int(self.read(f'{src}/memory/target'))),
                name=self.read(f'{src}/name'))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.shim_dir, f'dying-{new}'))
        with open(proc.xs_move, 'w') as f:
            f.write(f'{new}\n' if watches else f'{new} nowatch\n')
        done = len(_lines(proc.xs_out))
        proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while True:
            said = _lines(proc.xs_out)[done:]
            if said:
                break
            if proc.poll() is not None:
                raise RuntimeError(f'xsbridge {old} exited with '
                                   f'{proc.returncode} moving to {new}: '
                                   f'{_tail(proc.xs_log)}')
            if time.monotonic() > deadline:
                raise TimeoutError(f'xsbridge {old} not moved to {new} '
                                   f'after {timeout}s: {_tail(proc.xs_log)}')
            time.sleep(0.002)
        if said[0] != f'moved {new}':
            raise RuntimeError(f'xsbridge {old}: {said[0]}: '
                               f'{_tail(proc.xs_log)}')
        sock = self.guest_socket(old)
        self._bridges[new] = self._bridges.pop(old)
        self._sockets.pop(old, None)
        self._sockets[new] = sock
        if destroy_old:
            self._release(old)
            with contextlib.suppress(XsError):
                self.rm(src)
        return sock

    # ---- processes -------------------------------------------------------

    def env(self, domid=None, base=None):
        """Environment for a libxenstore program: dom0, or guest domid."""
        env = dict(os.environ if base is None else base)
        env.pop('LD_PRELOAD', None)
        env['XENSTORED_PATH'] = (self.dom0_socket if domid is None
                                 else self.guest_socket(domid))
        return env

    def cli(self, tool, *args, domid=None, timeout=10, input=None):
        """Run a xenstore-* tool as dom0 or guest domid; CompletedProcess
        with text stdout/stderr (never raises on a non-zero exit)."""
        # No death signal: costs ~20 ms a spawn, and a short-lived tool
        # gets EOF and exits when the harness's xenstored goes.
        return subprocess.run([tool, *map(str, args)], env=self.env(domid),
                              input=input, capture_output=True, text=True,
                              timeout=timeout)

    def spawn(self, argv, domid=None, env=None, **popen_kw):
        """Popen a program as dom0 or guest domid; killed on close()."""
        popen_kw.setdefault('stdin', subprocess.DEVNULL)
        proc = subprocess.Popen(argv, env=self.env(domid, env),
                                preexec_fn=_parent_death_signal(), **popen_kw)
        self._procs.append(proc)
        return proc


class LineReader:
    """Lines from a child's stdout pipe with a timeout (unbuffered, so no
    line hides in a Python buffer where select() cannot see it)."""

    def __init__(self, stream):
        self._fd = stream.fileno()
        self._buf = b''
        self.eof = False

    def readline(self, timeout):
        """Next line without its newline, or None on timeout/EOF."""
        deadline = time.monotonic() + timeout
        while b'\n' not in self._buf and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self._fd], [], [], left)
            if r:
                chunk = os.read(self._fd, 4096)
                self._buf += chunk
                self.eof = not chunk
        if b'\n' not in self._buf:
            return None
        line, self._buf = self._buf.split(b'\n', 1)
        return line.decode()


class NotifySocket:
    """A NOTIFY_SOCKET of our own, as systemd's: a datagram socket at
    BASE/notify that records every sd_notify() message as it arrives.
    Shared here so that every integration test binds it the same way."""

    def __init__(self, base):
        self.path = os.path.join(base, 'notify')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.msgs = []  # (monotonic, [assignments])
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._hook = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def on_message(self, hook):
        """hook(assignments) runs in the receiving thread, at arrival."""
        self._hook = hook

    def _run(self):
        while not self._stop.is_set():
            try:
                m = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            items = m.decode().split('\n')
            if self._hook:
                self._hook(items)
            with self._lock:
                self.msgs.append((time.monotonic(), items))

    def items(self):
        with self._lock:
            return [i for _, m in self.msgs for i in m]

    def messages(self):
        with self._lock:
            return [m for _, m in self.msgs]

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _main(argv):
    """Manual use: python3 xsharness.py [DOMID...] starts xenstored and the
    guests' bridges, prints how to reach them, and waits for Ctrl-C."""
    domids = [int(a) for a in argv]
    with XenstoreHarness(keep=True) as xs:
        print(f'dom0:    XENSTORED_PATH={xs.dom0_socket}')
        for domid in domids:
            xs.setup_domain(domid, static_max_kb=524288, target_kb=262144)
            print(f'guest {domid}: XENSTORED_PATH={xs.start_guest(domid)}')
        print(f'trace:   {xs.trace_path}\n(Ctrl-C to stop)', flush=True)
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            signal.pause()


if __name__ == '__main__':
    _main(sys.argv[1:])


# ---- assertions shared by the tests -------------------------------------------

def check(cond, msg):
    """AssertionError(msg) unless cond."""
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what):
    if got != want:
        raise AssertionError(f'{what}: got {got!r}, want {want!r}')


def wait_until(pred, timeout, what):
    """pred() truthy within timeout, else AssertionError(what)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout}s: {what}')
        time.sleep(0.02)
