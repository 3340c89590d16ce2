# SPDX-License-Identifier: GPL-2.0
# Helpers for the lab tests; sourced by tests/lab/t-*.sh inside L1.
# A test reports with `ok NAME` / `not_ok NAME REASON`; lines start with S2TEST:.

LAB=/job/lab
BUILD=$LAB/build
DBG=/sys/kernel/debug/s2probe
OUT=/job/out

ok() {
	echo "S2TEST: PASS $1"
}

not_ok() {
	echo "S2TEST: FAIL $1: $2"
}

# check NAME CMD...: ok if CMD succeeds.
check() {
	local name=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		ok "$name"
	else
		not_ok "$name" "$(tail -n 3 /tmp/check.out | tr '\n' ' ')"
	fi
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "want '$2', got '$3'"
	fi
}

# phase NAME: a time stamp in the log, to see where a test spends its time.
phase() {
	echo "--- $1 at $(cut -d' ' -f1 /proc/uptime)s"
}

machine() {
	sed -n "s/^$1=//p" $OUT/machine
}

# The ivshmem device QEMU gives L1 (1 MiB BAR2), as a sysfs directory.
ivshmem_dev() {
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

load_s2probe() {
	lsmod | grep -q '^s2probe ' || insmod $BUILD/s2probe.ko "$@"
}

unload_s2probe() {
	if lsmod | grep -q '^s2probe '; then rmmod s2probe; fi
}

# dmesg_clean NAME: no oops or BUG, and no WARNING whose call trace runs through
# s2probe (s2p_*) or s2bench (s2b_*). Other warnings are printed, not failed:
# KVM under QEMU's emulation warns on its own (seen: kvm_vcpu_load_debug).
dmesg_clean() {
	local bad ours
	dmesg >/tmp/dmesg.now
	bad=$(grep -E 'Oops|BUG:|KASAN|UBSAN|possible circular locking|general protection' \
		/tmp/dmesg.now | head -n 3)
	ours=$(awk '/cut here/ { w = 1; hit = 0; first = "" }
		w && first == "" && /WARNING:/ { first = $0 }
		w && /(^|[ \t])s2[pb]_[a-z0-9_]+\+0x/ { hit = 1 }
		/end trace/ { if (w && hit) print first; w = 0 }' /tmp/dmesg.now | head -n 3)
	grep -E 'WARNING:' /tmp/dmesg.now | sed 's/^/note: kernel warning: /' | head -n 3
	if [ -z "$bad$ours" ]; then
		ok "$1"
	else
		not_ok "$1" "$(echo "$bad $ours" | tr '\n' ' ')"
	fi
}

# wait_for FILE PATTERN SECONDS: wait until FILE has a line matching PATTERN.
wait_for() {
	local n=0
	while [ $n -lt $(($3 * 10)) ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
