#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside L1: run every tests/lab/t-*.sh, in order. Results: S2TEST: lines;
# "=== NAME at Ns" before each test and "=== end at Ns" after the last
# (L1's uptime: scripts/dev/check prints each test's time from them).
set -u
cpu=max
only=""
skip=""
while [ $# -gt 0 ]; do
	case "$1" in
	--cpu) cpu=$2; shift ;;
	--only) only="$only $2"; shift ;;
	--skip) skip="$skip $2"; shift ;;
	-h | --help)
		echo "usage: suite.sh [--cpu max|a72] [--only PATTERN]... [--skip t-NN]...: run the lab tests in L1 (those matching any --only, less the --skip ones)"
		exit 0 ;;
	*) echo "suite.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
export LAB_CPU=$cpu
here=$(dirname "$0")
for t in "$here"/t-*.sh; do
	n=$(basename "$t")
	if [ -n "$only" ]; then
		want=0
		for o in $only; do
			case "$n" in *"$o"*) want=1 ;; esac
		done
		[ "$want" = 1 ] || continue
	fi
	case " $skip " in *" ${n%%-[a-z]*} "*) echo "=== $n skipped"; continue ;; esac
	echo "=== $(basename "$t") at $(cut -d' ' -f1 /proc/uptime)s"
	bash "$t" || echo "S2TEST: FAIL $(basename "$t" .sh): script exited with $?"
done
# the host (scripts/dev/check) fails a suite whose output lacks this line: one
# that was cut short must not pass on the tests it had run
echo "=== end at $(cut -d' ' -f1 /proc/uptime)s"
