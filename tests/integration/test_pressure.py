#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The fast path's event source against the real kernel: a PSI trigger.

    test_pressure.py SELFBALLOOND FIXTURES

The daemon runs on a copy of the fixture tree tests/fixtures/domU-512
(--root, sysfs backend, no xenstore) whose proc/pressure/memory is a symlink
to this machine's real /proc/pressure/memory, so the trigger it arms is a
real one. After its first decision the fixture's meminfo is changed to show
a sudden allocation (Committed_AS 400000 kB, MemAvailable 3000 kB); then a
reader thrashes the page cache inside a small memory cgroup, which makes the
kernel stall on reclaim: real memory pressure, system-wide. With policy =
adaptive the kernel's event must reach the fast path, which writes static-max
(524288 kB) at once; with policy = seed (the control) nothing may be written.

Skips (exit 77) where the machine has no PSI or no memory cgroup to make
pressure in. Prints 'N passed, N failed'.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

BIN, FIXTURES = sys.argv[1], sys.argv[2]
BALLOON = "sys/devices/system/xen_memory/xen_memory0"
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok     " if ok else "FAILED ") + name + ("" if ok else ": " + detail))


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def make_cgroup():
    """A memory cgroup with a 24 MiB limit: (procs file, cleanup)."""
    v1 = "/sys/fs/cgroup/memory"
    if os.path.exists(os.path.join(v1, "memory.limit_in_bytes")):
        d = os.path.join(v1, "sb-psi-%d" % os.getpid())
        os.mkdir(d)
        with open(os.path.join(d, "memory.limit_in_bytes"), "w") as f:
            f.write(str(24 << 20))
        return os.path.join(d, "cgroup.procs"), lambda: os.rmdir(d)
    for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        ctl = os.path.join(root, "cgroup.subtree_control")
        try:
            with open(os.path.join(root, "cgroup.controllers")) as f:
                if "memory" not in f.read().split():
                    continue
            with open(ctl, "w") as f:
                f.write("+memory")
        except OSError:
            continue
        d = os.path.join(root, "sb-psi-%d" % os.getpid())
        os.mkdir(d)
        with open(os.path.join(d, "memory.max"), "w") as f:
            f.write(str(24 << 20))
        return os.path.join(d, "cgroup.procs"), lambda: os.rmdir(d)
    return None, None


def thrash(procs, path, seconds):
    """Reads `path` over and over inside the cgroup: page-cache reclaim."""
    pid = os.fork()
    if pid == 0:
        try:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
            end = time.time() + seconds
            while time.time() < end:
                fd = os.open(path, os.O_RDONLY)
                while os.read(fd, 1 << 20):
                    pass
                os.close(fd)
        finally:
            os._exit(0)
    return pid


def set_meminfo(root, **fields):
    p = os.path.join(root, "proc/meminfo")
    out = []
    for line in open(p):
        key = line.split(":")[0]
        if key in fields:
            line = "%s:%s%d kB\n" % (key, " " * max(1, 15 - len(key)), fields[key])
        out.append(line)
    with open(p + ".new", "w") as f:
        f.write("".join(out))
    os.rename(p + ".new", p)


def read_target(root):
    with open(os.path.join(root, BALLOON, "target_kb")) as f:
        return int(f.read())


def run(policy, procs, bigfile):
    """Returns (log text, target_kb after the pressure)."""
    tmp = tempfile.mkdtemp(prefix="sb-psi-tree-")
    root = os.path.join(tmp, "root")
    shutil.copytree(os.path.join(FIXTURES, "domU-512"), root, symlinks=True)
    os.makedirs(os.path.join(root, "proc/pressure"), exist_ok=True)
    os.unlink(os.path.join(root, "proc/pressure/memory"))  # the captured copy
    os.symlink("/proc/pressure/memory", os.path.join(root, "proc/pressure/memory"))
    conf = os.path.join(tmp, "sb.conf")
    with open(conf, "w") as f:
        f.write("[selfballoon]\npolicy = %s\ninterval = 3600\nbackend = sysfs\n" % policy)
    log = os.path.join(tmp, "daemon.log")
    env = dict(os.environ, XENSTORED_PATH="/nonexistent/xenstored")
    env.pop("NOTIFY_SOCKET", None)
    with open(log, "w") as lf:
        d = subprocess.Popen([BIN, "--root", root, "-c", conf, "--log=console"], stderr=lf,
                             stdout=subprocess.DEVNULL, env=env)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and "SELFBALLOON_PATH=tick" not in open(log).read():
            time.sleep(0.05)
        first = read_target(root)
        set_meminfo(root, Committed_AS=400000, MemAvailable=3000)
        hog = thrash(procs, bigfile, 8)
        deadline = time.time() + 12
        while time.time() < deadline and "SELFBALLOON_PATH=fast" not in open(log).read():
            time.sleep(0.05)
        os.kill(hog, 9)
        os.waitpid(hog, 0)
        after = read_target(root)
    finally:
        d.terminate()
        d.wait(10)
    text = open(log).read()
    shutil.rmtree(tmp)
    return text, first, after


def main():
    if not os.path.exists("/proc/pressure/memory"):
        skip("no /proc/pressure/memory (kernel without PSI)")
    procs, cleanup = make_cgroup()
    if not procs:
        skip("no memory cgroup to make pressure in")
    bigfile = os.path.join("/var/tmp", "sb-psi-%d" % os.getpid())
    try:
        with open(bigfile, "wb") as f:
            for _ in range(96):
                f.write(os.urandom(1 << 20))
        # drop it from the cache so that the cgroup's reader brings it in
        fd = os.open(bigfile, os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)

        text, first, after = run("adaptive", procs, bigfile)
        armed = "fast path: " in text and "no fast path" not in text
        check("adaptive arms a trigger on the real /proc/pressure/memory", armed, text)
        check("first decision is the adaptive tick's (470316 kB)", first == 470316,
              "target_kb %d" % first)
        fast = [l for l in text.splitlines() if "SELFBALLOON_PATH=fast" in l]
        check("the kernel's pressure event reaches the fast path",
              len(fast) >= 1 and "memory pressure: target 524288 kB at once" in fast[0], text)
        check("the fast path wrote static-max into target_kb", after == 524288,
              "target_kb %d" % after)

        text, first, after = run("seed", procs, bigfile)
        check("control: policy seed arms nothing and writes nothing between ticks",
              "fast path" not in text and "SELFBALLOON_PATH=fast" not in text and
              after == first == 473756, "first %d after %d\n%s" % (first, after, text))
    finally:
        if os.path.exists(bigfile):
            os.unlink(bigfile)
        cleanup()
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    sys.exit(0 if all(results) else 1)


main()
