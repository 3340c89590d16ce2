#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A Linux guest (L2) under KVM: s2probe's views are consistent with its memory
# map, and s2probe survives concurrent readers, window abuse, the VM exiting
# mid-read and unloading while a file is open.
. "$(dirname "$0")/lib/common.sh"

log=/tmp/l2-guest.log
# start_guest: an L2 Linux whose memory keeps growing, so stage 2 gains
# leaves while the views are read: it allocates 64M of tmpfs (fallocate: the
# kernel zeroes each page, past the free pages its boot already touched)
# before it says it is ready, then 1M more every quarter second, 96M in all.
# Returns 1 if it does not come up.
start_guest() {
	: >$log
	$LAB/bin/l2 --mem 512M --console $log --out /tmp/l2-guest --timeout 420 -- \
		bash -c 'fallocate -l 64M /tmp/grow; echo "S2GUEST: ready" >/dev/console
			i=0; while [ $i -lt 96 ]; do
				fallocate -l 1M /tmp/grow$i; i=$((i + 1)); sleep 0.25
			done; echo "S2GUEST: grown" >/dev/console; sleep 300' >/dev/null 2>&1 &
	l2=$!
	wait_for $log 'S2GUEST: ready' 240 && return 0
	cp $log $OUT/t30-l2-console.log
	pkill -x qemu-system-aar
	kill $l2 2>/dev/null
	wait $l2 2>/dev/null
	return 1
}
# Nested KVM under TCG occasionally loses an L2 boot: one retry, reported.
if ! start_guest; then
	echo "note: first L2 boot failed ($(tail -n 2 $log | tr '\n' ' ')); retrying"
	if ! start_guest; then
		not_ok guest-boot "the L2 guest did not reach its shell: $(tail -n 3 $log | tr '\n' ' ')"
		exit 0
	fi
fi
ok guest-boot
phase guest-up
echo "l2_boot_to_shell_s=$(grep -m1 'S2LAB: l2 shell at' $log | sed 's/.*at \([0-9.]*\)s.*/\1/')"
qpid=$(pgrep -x qemu-system-aar | head -n 1)
load_s2probe
vm=$(awk -v p="$qpid" '$2 == p { print $1 }' $DBG/vms)
if [ -z "$vm" ]; then
	not_ok guest-listed "qemu pid $qpid not in vms: $(cat $DBG/vms | tr '\n' '|')"
	kill $l2
	exit 0
fi
ok guest-listed
V=$DBG/$vm
line=$(awk -v p="$qpid" '$2 == p' $DBG/vms)
echo "vms: $line"
set -- $line
expect_eq vms-fd "${vm#*-}" "$3"
granule_init
expect_eq vms-granule "$PGN" "$7"
expect_eq vms-start-level "$(start_level "$5")" "$6"
case "$LAB_CPU" in
max) expect_eq vms-fwb fwb=on "$8"; expect_eq vms-mode VHE "$9" ;;
a72) expect_eq vms-fwb fwb=off "$8"; expect_eq vms-mode nVHE "$9" ;;
esac
[ "${10}" -ge 1 ] 2>/dev/null && ok vms-memslots || not_ok vms-memslots "memslots '${10}'"

# The views are compared with each other, so they must show one stage 2:
# the guest is stopped while they are read (T30_FREEZE=0 reads them live, to
# see the checks below fail on a growing guest). ranges is read again last:
# if it changed, the host's mm changed stage 2, and all are read again.
hold=${T30_FREEZE:-1}
frozen=0
if [ "$hold" = 1 ]; then
	if freeze "$qpid"; then
		frozen=1
		ok guest-frozen
	else
		not_ok guest-frozen "qemu $qpid did not stop: $(grep -h '^State:' /proc/$qpid/task/*/status | sort | uniq -c | tr '\n' ' ')"
		thaw "$qpid"
	fi
fi
n=0
while :; do
	cat $V/ranges >/tmp/ranges
	cat $V/pages >/tmp/pages
	cat $V/summary >/tmp/summary
	cat $V/effective >/tmp/effective
	cat $V/ranges >/tmp/ranges.again
	cmp -s /tmp/ranges /tmp/ranges.again && break
	n=$((n + 1))
	echo "note: ranges changed while the views were read (frozen=$frozen, try $n)"
	[ $frozen = 1 ] && [ $n -lt 3 ] || break
done
head -n 5 /tmp/ranges
cat /tmp/summary
[ -s /tmp/ranges ] && ok ranges-nonempty || not_ok ranges-nonempty "empty"
# QEMU's virt machine: RAM (512 MiB here) at IPA 0x40000000, anonymous memory.
bad=$(awk '{
	split($1, r, "-"); s = strtonum(r[1]); e = strtonum(r[2])
	ram = (s >= 0x40000000 && e <= 0x60000000)
	if (ram && $5 != "NORMAL_WB") print "RAM range not NORMAL_WB: " $0
	if (ram && $0 !~ / (anon|anon-thp)( |$)/) print "RAM range not anonymous: " $0
	# outside RAM only QEMU'"'"'s pvtime region (0x090a0000) is anonymous memory
	if (!ram && $5 == "NORMAL_WB" && $0 ~ / anon/ && s != 0x090a0000) print "anon outside RAM: " $0
}' /tmp/ranges | head -n 2)
[ -z "$bad" ] && ok ranges-ram-normal-wb || not_ok ranges-ram-normal-wb "$bad"
# Every leaf is a page of the granule at level 3 or a level-2 block of it
# (no level-1 blocks: 512M of RAM hold no 1G one, and KVM makes none with
# 16K or 64K pages).
expect_eq pages-granule-levels "" "$(awk -v p="L3 map=$PGN" -v b="L2 map=$BLKN" \
	'$2 " " $3 != p && $2 " " $3 != b { print; exit }' /tmp/pages)"
# The guest kernel's text and data are mapped: some RAM is there.
awk '$5 == "NORMAL_WB"' /tmp/ranges | grep -q . && ok ranges-has-ram || not_ok ranges-has-ram "no NORMAL_WB range"
# Ranges are sorted, disjoint and their sizes add up to the summary.
chk=$(awk 'BEGIN { last = 0 } {
	split($1, r, "-"); s = strtonum(r[1]); e = strtonum(r[2])
	if (s < last || e <= s) print "overlap/order at " $1
	last = e; total += e - s
} END { print "total=" total }' /tmp/ranges)
expect_eq ranges-ordered "" "$(echo "$chk" | grep -v '^total=')"
expect_eq summary-bytes "$(echo "$chk" | sed -n 's/^total=//p')" "$(sed -n 's/^bytes=//p' /tmp/summary)"
expect_eq summary-leaves "$(wc -l </tmp/pages)" "$(sed -n 's/^leaves=//p' /tmp/summary)"
expect_eq summary-vm "$vm" "$(sed -n 's/^vm=//p' /tmp/summary)"
# Every RAM page descriptor carries the stage-2 Normal-WB encoding:
# FWB: MemAttr 0b0110 (bits [5:2] = 0x18), no FWB: 0b1111 (0x3c).
case "$LAB_CPU" in max) want=0x18 ;; *) want=0x3c ;; esac
bad=$(awk -v w="$want" '$0 ~ / NORMAL_WB / {
	d = "0x" substr($4, length($4) - 3); if (and(strtonum(d), 0x3c) != strtonum(w)) print $0 }' /tmp/pages | head -n 1)
[ -z "$bad" ] && ok pages-memattr-bits || not_ok pages-memattr-bits "$bad"
# effective: a Normal-WB stage 2 leaves every stage-1 type as it is (FWB forces WB).
e=$(awk '$2 == "s2=NORMAL_WB"' /tmp/effective | head -n 1)
case "$LAB_CPU" in
max) expect_eq effective-fwb-forces-wb "NORMAL_NC:NORMAL_WB DEVICE_nGnRE:NORMAL_WB" \
	"$(echo "$e" | tr ' ' '\n' | grep -E '^(NORMAL_NC|DEVICE_nGnRE):' | tr '\n' ' ' | sed 's/ $//')" ;;
a72) expect_eq effective-s1-wins "NORMAL_NC:NORMAL_NC DEVICE_nGnRE:DEVICE_nGnRE" \
	"$(echo "$e" | tr ' ' '\n' | grep -E '^(NORMAL_NC|DEVICE_nGnRE):' | tr '\n' ' ' | sed 's/ $//')" ;;
esac
# Upstream's own dump (reference kernel only) agrees leaf by leaf.
peer_check l2-guest "$V" "/sys/kernel/debug/kvm/$vm"
ptdump_check l2-guest "$V" "/sys/kernel/debug/kvm/$vm"
# head -1 returns at once and equals the first line of a full read.
expect_eq ranges-head "$(head -n 1 /tmp/ranges)" "$(head -n 1 $V/ranges)"
[ $frozen = 0 ] || thaw "$qpid"

phase views-checked
# --- windows: strict validation, 200 random ones, each reader its own.
# lim: the VM's IPA space
lim=$((1 << $(awk -v n="$vm" '$1 == n { print $5 }' $DBG/vms)))
bad=""
for w in "0x40000000 0x40000000" "0x40001000 0x40000000" "0 $lim" "0 $((lim + 1))" \
	"$lim $((lim + 0x1000))" "0x7fffffffffffffff 0x7fffffffffffffff"; do
	set -- $w
	out=$($BUILD/s2win --start "$1" --end "$2" $V/ranges 2>&1 >/dev/null)
	if [ "$(($2))" -gt "$(($1))" ] && [ "$(($2))" -le "$lim" ]; then
		[ -z "$out" ] || bad="$bad [$w refused: $out]"
	else
		case "$out" in *"Invalid argument"*) ;; *) bad="$bad [$w: '$out']" ;; esac
	fi
done
expect_eq window-validation "" "$bad"
# 200 random windows over the guest's RAM: EINVAL exactly when empty or
# past the IPA space, else only lines inside the window
gawk -v lim="$lim" 'BEGIN {
	srand()
	for (i = 0; i < 200; i++) {
		s = 0x40000000 + int(rand() * 0x20000000)
		if (rand() < 0.1) s = int(rand() * lim)
		e = s + int(rand() * (rand() < 0.5 ? 0x1000 : 0x4000000)) - (rand() < 0.05 ? 1 : 0)
		if (rand() < 0.05) e = lim + 1
		printf "%.0f %.0f\n", s, e
	}
}' >/tmp/windows
phase windows-random-start
wbad=0 wref=0
first=""
while read -r s e; do
	if $BUILD/s2win --start "$s" --end "$e" $V/ranges >/tmp/win.out 2>/tmp/win.err; then
		if [ "$e" -le "$s" ] || [ "$e" -gt "$lim" ]; then
			wbad=$((wbad + 1)); [ -n "$first" ] || first="[$s, $e) accepted"
			continue
		fi
		o=$(gawk -v s="$s" -v e="$e" '{ split($1, r, "-")
			if (strtonum(r[1]) < s || strtonum(r[2]) > e) { print; exit } }' /tmp/win.out)
		[ -z "$o" ] || { wbad=$((wbad + 1)); [ -n "$first" ] || first="[$s, $e): $o"; }
	else
		wref=$((wref + 1))
		if [ "$e" -gt "$s" ] && [ "$e" -le "$lim" ] || ! grep -q 'Invalid argument' /tmp/win.err; then
			wbad=$((wbad + 1)); [ -n "$first" ] || first="[$s, $e): $(cat /tmp/win.err)"
		fi
	fi
done </tmp/windows
echo "windows: 200 random, $wref refused"
expect_eq windows-random-200 "0" "$wbad${first:+ ($first)}"

phase windows-done
# --- two readers at once, each a full read of the stopped guest: both get
# exactly what one reader alone gets.
if [ "$hold" = 1 ]; then
	freeze "$qpid" || echo "note: qemu $qpid did not stop: two-readers may see it change"
fi
cat $V/pages >/tmp/p0
cat $V/pages >/tmp/p1 &
r1=$!
cat $V/pages >/tmp/p2 &
r2=$!
wait $r1 $r2
[ "$hold" = 0 ] || thaw "$qpid"
if [ ! -s /tmp/p0 ]; then
	not_ok two-readers "a single reader got nothing"
elif ! cmp -s /tmp/p0 /tmp/p1 || ! cmp -s /tmp/p0 /tmp/p2; then
	not_ok two-readers "$(wc -l </tmp/p0) lines alone, $(wc -l </tmp/p1) and $(wc -l </tmp/p2) together: $(diff /tmp/p0 /tmp/p1 | sed -n 2p)"
else
	ok two-readers
fi

# --- unload while a file is open: refused or safe, never a crash.
exec 3<$V/ranges
read -r first <&3
if rmmod s2probe 2>/dev/null; then
	not_ok unload-while-open "rmmod succeeded with a file open"
	exec 3<&-
	load_s2probe
else
	ok unload-while-open
	exec 3<&-
fi
check unload-after-close sh -c 'rmmod s2probe && insmod /job/lab/build/s2probe.ko'

phase unload-done
# --- the VM exits mid-read: the open file keeps working or fails cleanly.
vm=$(awk -v p="$qpid" '$2 == p { print $1 }' $DBG/vms)
V=$DBG/$vm
# QEMU's exit releases its mm and KVM frees stage 2 (kvm_arch_flush_shadow_all)
# while this file still holds the VM: the rest of the read must end in
# ENOENT, after only whole, well-formed lines, never look like a short list.
exec 3<$V/ranges
read -r first <&3
kill $qpid
wait $l2 2>/dev/null
rc=0
cat <&3 >/tmp/rest 2>/tmp/rest.err || rc=$?
exec 3<&-
echo "read $(wc -l </tmp/rest) more lines after the VM was killed (cat exit $rc: $(head -n 1 /tmp/rest.err))"
bad=$(printf '%s\n' "$first" | cat - /tmp/rest |
	grep -Ev '^0x[0-9a-f]{16}-0x[0-9a-f]{16} [0-9]+[KMGT]? map=[0-9]+[KMG] L[0-3] [A-Za-z_]+ ' | head -n 1)
if [ -n "$bad" ]; then
	not_ok read-while-vm-exits "a line that is not a range: '$bad'"
elif [ "$rc" = 0 ] || ! grep -q 'No such file or directory' /tmp/rest.err; then
	not_ok read-while-vm-exits "want ENOENT, got exit $rc '$(head -n 1 /tmp/rest.err)'"
else
	ok read-while-vm-exits
fi
cat $DBG/vms >/dev/null
[ ! -e "$V" ] && ok vm-dir-removed || not_ok vm-dir-removed "$V still there after rescan"
if cat $V/ranges >/dev/null 2>&1; then
	not_ok gone-vm-enoent "reading a destroyed VM succeeded"
else
	ok gone-vm-enoent
fi
phase vm-exit-done
unload_s2probe
dmesg_clean guest-dmesg-clean
