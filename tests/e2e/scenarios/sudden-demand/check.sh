#!/usr/bin/env bash
# Host side: print the table the guest made, and check it: one run per variant
# and case (at least), none that could not run, and every variant the guest was
# told must survive (SUDDEN_MUST_SURVIVE) survived every run.
set -eu
[ -s guest-sudden-demand.csv ] || { echo "no guest-sudden-demand.csv"; exit 1; }
cat guest-sudden-demand.md
echo
awk -F, -v must="$(cat guest-sudden-must-survive.txt 2>/dev/null)" '
	NR == 1 { next }
	{ n[$1]++; if ($7 == "survived") s[$1]++; if ($7 == "failed-to-run") bad++ }
	END {
		for (v in n) printf "%s: %d/%d survived\n", v, s[v], n[v]
		if (bad) { print bad " run(s) could not be made"; exit 1 }
		k = split(must, m, " ")
		for (i = 1; i <= k; i++)
			if (n[m[i]] == 0 || s[m[i]] != n[m[i]]) { printf "%s must survive every case: %d/%d\n", m[i], s[m[i]], n[m[i]]; exit 1 }
	}' guest-sudden-demand.csv
