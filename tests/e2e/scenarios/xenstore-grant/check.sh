#!/usr/bin/env bash
# Host side: dom0 saw memory/target go down after the grant.
set -eu
awk -F, 'NR>1 && $3!="" { if (!first) first=$3; if (!min || $3<min) min=$3 }
	END { printf "memory/target: first %d kB, min %d kB\n", first, min;
	      if (!(min < first*3/4)) { print "dom0 never saw memory/target go down"; exit 1 } }' timeline.csv
