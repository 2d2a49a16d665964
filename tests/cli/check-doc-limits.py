#!/usr/bin/env python3
"""The limits the docs state are the code's: one number each.

  check-doc-limits.py SELFBALLOOND MAN-PAGE SAMPLE-CONFIG

--print-config prints what the key table accepts (conf-keys.c builds the
text from CONF_HELPER_DIR_LEN_MAX and SB_MB_MAX). selfballoon.conf(5) and
the sample configuration must state the same helper_dir length and MB
range, and no other. Prints 'N passed, N failed'."""
import re
import subprocess
import sys
import tempfile

BIN, MAN, SAMPLE = sys.argv[1:4]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok     " if ok else "FAILED ") + name + ("" if ok else ": " + detail))


with tempfile.NamedTemporaryFile("w", suffix=".conf") as empty:
    out = subprocess.run([BIN, "--print-config", "--config", empty.name],
                         capture_output=True, text=True, check=True).stdout
path_max = re.findall(r"an absolute path of at most (\d+) bytes", out)
mb_max = re.findall(r"an integer from 0 to (\d+) \(MB", out)
check("--print-config states helper_dir's limit once", len(path_max) == 1, out)
# min_usable_mb, reserved_mb and watch_low_mb: one range
check("--print-config states one MB range for the MB keys", len(mb_max) >= 2
      and len(set(mb_max)) == 1, out)
path_max, mb_max = path_max[0], mb_max[0]

with open(MAN) as f:
    man = f.read()
with open(SAMPLE) as f:
    sample = f.read()

found = re.findall(r"At most (\d+) bytes", man)
check("man page: helper_dir at most %s bytes" % path_max, found == [path_max], str(found))
found = re.findall(r'\.BR \w+_mb " \(0(?:\\\(en| to )(\d+) MB', man)
check("man page: MB keys 0-%s" % mb_max, len(found) >= 2 and set(found) == {mb_max}, str(found))
found = re.findall(r"# an absolute path of at most (\d+) bytes", sample)
check("sample config: helper_dir at most %s bytes" % path_max, found == [path_max], str(found))
found = re.findall(r"# 0-(\d+) MB", sample)
check("sample config: MB keys 0-%s" % mb_max, len(found) >= 2 and set(found) == {mb_max},
      str(found))
# the numbers of earlier wordings must not come back anywhere
for text, name in ((man, "man page"), (sample, "sample config")):
    stale = re.findall(r"\b(?:184|197|256) bytes|\b16777216\b", text)
    check(name + ": no stale limit", not stale, str(stale))

print("%d passed, %d failed" % (results.count(True), results.count(False)))
sys.exit(0 if all(results) else 1)
