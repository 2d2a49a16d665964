#!/usr/bin/env python3
"""The policy core stays pure: no I/O, no clock, no libraries.

  check-policy-purity.py NM LIBSBPOLICY.A SOURCE-OR-HEADER...

An #include <xenstore.h> or <systemd/...> in src/policy.c builds (system
headers are on the default include path), so the build alone cannot keep
the core pure. Two checks can:

1. every #include in the given files is on the allow-list below;
2. the static library leaves no symbol undefined but the few libc
   functions below (the library is built with
   -Werror=implicit-function-declaration, so a call without a header
   cannot slip through as an implicit declaration either).

Prints what it found; exits 1 on anything outside the lists."""
import re
import subprocess
import sys

ALLOWED_INCLUDES = {"errno.h", "stdbool.h", "stddef.h", "stdint.h", "string.h", "policy.h"}
# what the core may call: string comparison, and what compilers emit for
# struct copies and initialisers (with _FORTIFY_SOURCE, their _chk forms)
ALLOWED_UNDEFINED = {"strcmp", "memcpy", "memset", "memmove",
                     "__memcpy_chk", "__memset_chk", "__memmove_chk"}
# what the toolchain adds, not the code: sanitizer and coverage runtimes
# (tests/sanitize.sh), the stack protector, profiling hooks, the GOT
TOOLCHAIN_PREFIXES = ("__asan_", "__ubsan_", "__lsan_", "__msan_", "__tsan_", "__sanitizer_",
                      "__sancov_", "__gcov_", "__llvm_")
TOOLCHAIN_SYMBOLS = {"_GLOBAL_OFFSET_TABLE_", "__stack_chk_fail", "__stack_chk_guard",
                     "mcount", "__fentry__"}

nm, lib, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = []

for path in sources:
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            m = re.match(r'\s*#\s*include\s*[<"]([^>"]+)[>"]', line)
            if m and m.group(1) not in ALLOWED_INCLUDES:
                bad.append("%s:%d: #include of %s: the core may include only %s"
                           % (path, lineno, m.group(1), ", ".join(sorted(ALLOWED_INCLUDES))))

out = subprocess.run([nm, "--undefined-only", "--format=posix", lib],
                     capture_output=True, text=True, check=True).stdout
undefined = set()
for line in out.splitlines():
    fields = line.split()
    # "NAME U" lines; member headers end in ':'
    if len(fields) >= 2 and fields[1] == "U":
        undefined.add(fields[0])
toolchain = {u for u in undefined if u.startswith(TOOLCHAIN_PREFIXES) or u in TOOLCHAIN_SYMBOLS}
undefined -= toolchain
for sym in sorted(undefined - ALLOWED_UNDEFINED):
    bad.append("%s: references %s: the core may use only %s"
               % (lib, sym, ", ".join(sorted(ALLOWED_UNDEFINED))))

print("includes checked in %d file(s); undefined symbols: %s (and %d the toolchain adds)"
      % (len(sources), ", ".join(sorted(undefined)) or "none", len(toolchain)))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
