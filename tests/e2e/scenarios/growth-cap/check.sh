#!/usr/bin/env bash
# Host side: Xen's view (xl list) passed 512 MiB after xl mem-max.
set -eu
awk -F, 'NR>1 && $2!="" && $2>max {max=$2}
	END { printf "xl list max %d kB\n", max; if (max <= 524288 + 8192) { print "xl list never went above 520 MiB"; exit 1 } }' timeline.csv
