#!/usr/bin/env bash
# Host side: Xen's own view (xl list) must show the domain shrank by >= 1/4.
set -eu
awk -F, 'NR>1 && $2!="" { if (!first) first=$2; if (!min || $2<min) min=$2 }
	END { printf "xl list: first %d kB, min %d kB\n", first, min;
	      if (!(min <= first*3/4)) { print "xl list never went below 3/4 of the start size"; exit 1 } }' timeline.csv
