#!/usr/bin/env python3
"""Any input, however broken, ends with a documented exit status and a
message; never a signal, a hang or a sanitizer report.

    broken_inputs.py SELFBALLOOND

Runs the binary on broken configuration files, broken replay CSVs, broken
--root trees (a copy of tests/fixtures/domU-512 with /proc and /sys files
missing, empty, cut short, garbage, too large or of the wrong type), bad
options, and a few hundred random mutations of the tree. Every run must
exit with 0, 1, 2, 3 or 4 (selfballoond(8)) within 20 s; a non-zero exit
must say why on stderr ("selfballoond: ..."); and stderr must hold no
sanitizer report. Where the documentation fixes the status (2 for bad
configuration or replay input, 3 in dom0, 4 outside a Xen guest with a
balloon), that status is checked too. Prints 'N passed, N failed'.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, '..', 'fixtures', 'domU-512')
BALLOON = 'sys/devices/system/xen_memory/xen_memory0'
DOCUMENTED = {0, 1, 2, 3, 4}
SANITIZER_MARKS = ('Sanitizer', 'runtime error:', 'LeakSanitizer', '==ERROR')
TIMEOUT = 20

BIN = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix='sb-broken.')
ENV = dict(os.environ, XENSTORED_PATH=os.path.join(TMP, 'no-xenstored'))
for k in ('NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'):
    ENV.pop(k, None)
results = []
counter = [0]


def check(name, ok, detail=''):
    results.append(ok)
    print(('ok     ' if ok else 'FAILED ') + name + ('' if ok else ': ' + detail))


def fresh_root():
    counter[0] += 1
    root = os.path.join(TMP, f'root{counter[0]}')
    shutil.copytree(FIXTURE, root)
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)
    return root


def write(path, data):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def tmpfile(name, data):
    return write(os.path.join(TMP, name), data)


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def run(name, args, expect=DOCUMENTED, stdin=b'', daemon_seconds=None):
    """Runs the binary; with daemon_seconds, stops it with SIGTERM then."""
    try:
        p = subprocess.Popen([BIN] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=ENV)
        if daemon_seconds is None:
            out, err = p.communicate(stdin, timeout=TIMEOUT)
        else:
            try:
                out, err = p.communicate(stdin, timeout=daemon_seconds)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGTERM)
                out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        check(name, False, f'no exit within {TIMEOUT} s (a hang)')
        return None
    rc = p.returncode
    err_text = err.decode(errors='replace')
    problems = []
    if rc < 0:
        problems.append(f'killed by signal {-rc} ({signal.Signals(-rc).name})')
    elif rc not in DOCUMENTED:
        problems.append(f'undocumented exit status {rc}')
    elif rc not in expect:
        problems.append(f'exit status {rc}, documented: {sorted(expect)}')
    if rc != 0 and 'selfballoond' not in err_text and 'Usage' not in err_text \
            and "Try 'selfballoond" not in err_text:
        problems.append('no message on stderr')
    marks = [m for m in SANITIZER_MARKS if m in err_text]
    if marks:
        problems.append('sanitizer report')
    if problems:
        check(name, False, '; '.join(problems) + '\n  stderr: ' + err_text[-1500:])
    else:
        check(name, True)
    return rc, out, err_text


def garbage(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def root_case(name, mutate, expect=DOCUMENTED, extra=(), dry_run=True, root=None):
    root = root or fresh_root()
    mutate(root)
    args = ['--root', root, '--once', '--log=console'] + (['--dry-run'] if dry_run else [])
    return run(name, args + list(extra), expect)


def main():
    rng = random.Random(6)
    good_conf = tmpfile('good.conf', '[selfballoon]\ninterval = 5\n')

    # ---- options ----
    for name, args in [('--tick-ms 0', ['--tick-ms', '0']),
                       ('--tick-ms garbage', ['--tick-ms', '12x']),
                       ('--tick-ms too large', ['--tick-ms', '99999999999999999999999']),
                       ('--log=nowhere', ['--log=nowhere']),
                       ('unknown option', ['--bogus']),
                       ('stray argument', ['stray']),
                       ('--once with --replay', ['--once', '--replay', '-']),
                       ('--dry-run with --restore', ['--dry-run', '--restore'])]:
        run('options: ' + name, args, {2})

    # ---- configuration files ----
    fixture_args = ['--root', fresh_root(), '--once', '--dry-run', '--log=console']
    confs = {
        'garbage text': b'this is not an ini file\n\x01\x02 = = =\n[[[\n',
        'random bytes': garbage(rng, 4096),
        'NUL bytes': b'[selfballoon]\ninterval = 5\0\n',
        'unknown key': b'[selfballoon]\nfoo = 1\n',
        'out of range': b'[selfballoon]\ninterval = 99999999999999999999999\n',
        # lines of any length are read whole (src/conf.c): the error after
        # a 5000-byte line is still found, on its own line
        'bad value after a long line': b'[selfballoon]\n; ' + b'x' * 5000 + b'\ninterval = 0\n',
        'larger than 1 MiB': b'; comment\n' * 120000,
        'unclosed section': b'[selfballoon\ninterval = 5\n',
    }
    for name, data in confs.items():
        path = tmpfile('bad.conf', data)
        run('config: ' + name, ['-c', path] + fixture_args, {2})
        run('config: ' + name + ' (--print-config)', ['-c', path, '--print-config'], {2})
        run('config: ' + name + ' (--replay)', ['-c', path, '--replay', '-'], {2},
            stdin=b't_s,mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb\n')
    run('config: missing but named', ['-c', os.path.join(TMP, 'nope.conf')] + fixture_args, {2})
    os.makedirs(os.path.join(TMP, 'conf-dir'), exist_ok=True)
    run('config: a directory', ['-c', os.path.join(TMP, 'conf-dir')] + fixture_args, {1, 2})

    # ---- replay input ----
    header = b't_s,mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb\n'
    csvs = {
        'garbage text': b'hello, world\nthis,is,not,csv\n',
        'random bytes': garbage(rng, 4096),
        'empty': b'',
        'NUL byte': header + b'0,1\0,2,3,4,5\n',
        'too many fields': header + b'0,1,2,3,4,5,6\n',
        'overflow': header + b'0,18446744073709551616,1,1,1,1\n',
        'negative': header + b'0,-1,1,1,1,1\n',
        'header only': header,
        'huge line': header + b'0,' + b'9' * 100000 + b',1,1,1,1\n',
        '33 columns': b','.join([b'x'] * 33) + b'\n',
    }
    for name, data in csvs.items():
        expect = {0} if name == 'header only' else {2}
        path = tmpfile('bad.csv', data)
        run('replay: ' + name, ['--replay', path], expect)
        run('replay: ' + name + ' (stdin)', ['--replay', '-'], expect, stdin=data)
    run('replay: missing file', ['--replay', os.path.join(TMP, 'nope.csv')], {2})
    run('replay: a directory', ['--replay', os.path.join(TMP, 'conf-dir')], {1, 2})

    # ---- --root trees ----
    run('root: missing', ['--root', os.path.join(TMP, 'nope'), '--once', '--log=console'], {1})
    run('root: a file', ['--root', good_conf, '--once', '--log=console'], {1})
    mi, zi = 'proc/meminfo', 'proc/zoneinfo'
    cur, tgt = BALLOON + '/info/current_kb', BALLOON + '/target_kb'
    with open(os.path.join(FIXTURE, mi), 'rb') as f:
        meminfo = f.read()
    with open(os.path.join(FIXTURE, zi), 'rb') as f:
        zoneinfo = f.read()
    broken_files = {
        'missing': None,
        'empty': b'',
        'a directory': 'dir',
        'random bytes': garbage(rng, 2000),
    }
    for path in (mi, zi, cur, tgt):
        for how, data in broken_files.items():
            def mutate(root, path=path, data=data):
                p = os.path.join(root, path)
                if data is None:
                    remove(p)
                elif data == 'dir':
                    remove(p)
                    os.makedirs(p)
                else:
                    write(p, data)
            root_case(f'root: {path} {how}', mutate, {1})
    for name, path, data in [
            ('meminfo cut mid-line', mi, meminfo[:meminfo.index(b'Committed_AS') + 17]),
            ('meminfo without its last newline', mi, meminfo[:-1]),
            ('meminfo larger than 16 KiB', mi, meminfo + b'Foo:  1 kB\n' * 2000),
            ('meminfo MemTotal 0', mi, meminfo.replace(b'MemTotal:         461172 kB',
                                                       b'MemTotal:              0 kB')),
            ('zoneinfo cut mid-line', zi, zoneinfo[:len(zoneinfo) // 2]),
            ('zoneinfo a 10 KiB line', zi, zoneinfo + b'  ' + b'x' * 10240 + b'\n'),
            ('zoneinfo nodes backwards', zi, zoneinfo.replace(b'Node 0', b'Node 7', 1)),
            ('current_kb overflows', cur, b'99999999999999999999999\n'),
            ('current_kb negative', cur, b'-5\n'),
            ('target_kb 0x10', tgt, b'0x10\n')]:
        root_case('root: ' + name, lambda root, p=path, d=data: write(os.path.join(root, p), d),
                  {1})
    root_case('root: dom0 (capabilities control_d)',
              lambda root: write(os.path.join(root, 'proc/xen/capabilities'), 'control_d\n'), {3})
    root_case('root: dom0, not a dry run',
              lambda root: write(os.path.join(root, 'proc/xen/capabilities'), 'control_d\n'), {3},
              dry_run=False)

    def not_xen(root):
        for p in ('sys/hypervisor', 'proc/xen', 'sys/devices/system/xen_memory'):
            remove(os.path.join(root, p))
    root_case('root: not Xen at all', not_xen, {4})
    root_case('root: Xen without a balloon',
              lambda root: remove(os.path.join(root, 'sys/devices/system/xen_memory')), {4})

    def balloon_is_file(root):
        remove(os.path.join(root, BALLOON))
        write(os.path.join(root, BALLOON), '1\n')
    root_case('root: balloon directory is a file', balloon_is_file, {4})
    root_case('root: hypervisor type garbage',
              lambda root: write(os.path.join(root, 'sys/hypervisor/type'), garbage(rng, 300)))
    root_case('root: run/ is a file (no lock)',
              lambda root: write(os.path.join(root, 'run'), 'x'), {1}, dry_run=False)
    root_case('root: start record garbage, not a dry run',
              lambda root: write(os.path.join(root, 'run/selfballoond/start-target'),
                                 garbage(rng, 100)), dry_run=False)

    # the daemon itself on broken readings keeps running and stops on SIGTERM
    for how, data in (('garbage', garbage(rng, 500)), ('empty', b'')):
        root = fresh_root()
        write(os.path.join(root, mi), data)
        r = run(f'daemon: meminfo {how}, then SIGTERM',
                ['--root', root, '--tick-ms', '10', '--log=console', '-c', good_conf], {0},
                daemon_seconds=1.0)
        if r:
            check(f'daemon: meminfo {how}: says it cannot read', 'cannot read' in r[2], r[2][-500:])

    # ---- random trees: every file of the fixture cut, emptied, replaced ----
    files = []
    for d, _, fs in os.walk(FIXTURE):
        files += [os.path.relpath(os.path.join(d, f), FIXTURE) for f in fs]
    files.sort()
    failures_before = results.count(False)
    statuses = {}
    for i in range(int(os.environ.get('SB_RANDOM_TREES', '200'))):
        root = fresh_root()
        changes = []
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(files)
            p = os.path.join(root, path)
            kind = rng.choice(['cut', 'flip', 'garbage', 'empty', 'remove', 'dup', 'digits'])
            if not os.path.isfile(p):
                continue
            with open(p, 'rb') as f:
                data = f.read()
            if kind == 'cut':
                data = data[:rng.randrange(len(data) + 1)]
            elif kind == 'flip' and data:
                b = bytearray(data)
                for _ in range(rng.randint(1, 8)):
                    b[rng.randrange(len(b))] = rng.randrange(256)
                data = bytes(b)
            elif kind == 'garbage':
                data = garbage(rng, rng.randint(1, 600))
            elif kind == 'empty':
                data = b''
            elif kind == 'dup':
                data = data * rng.randint(2, 5)
            elif kind == 'digits':
                data = str(rng.choice([0, 1, 2**32, 2**64 - 1, 2**64])).encode() + b'\n'
            if kind == 'remove':
                os.unlink(p)
            else:
                write(p, data)
            changes.append(f'{kind} {path}')
        r = root_case(f'random tree {i}: ' + ', '.join(changes), lambda _: None,
                      dry_run=bool(i % 2), root=root)
        if r:
            statuses[r[0]] = statuses.get(r[0], 0) + 1
        shutil.rmtree(root, ignore_errors=True)
    print(f'random trees: {results.count(False) - failures_before} failed; exit statuses: ' +
          ', '.join(f'{k}: {v}' for k, v in sorted(statuses.items())))

    passed, failed = results.count(True), results.count(False)
    print(f'{passed} passed, {failed} failed')
    if failed == 0:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print(f'kept {TMP}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
