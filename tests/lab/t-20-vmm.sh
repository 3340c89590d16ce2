#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test VMM's known layout gives exactly known stage-2 ranges: RAM pages
# as Normal write-back (the type FWB forces, or 0xf without FWB), THP slots
# as level-2 blocks (2M, 32M, 512M), the sysfs resource2 BAR slot as DEVICE_nGnRE on every kernel,
# nothing where the guest did not go. Every expectation follows from the
# host's page size (granule_init): 4K, 16K or 64K.
. "$(dirname "$0")/lib/common.sh"

dev=$(ivshmem_dev) || { not_ok vmm-bar "no ivshmem device"; exit 0; }
bdf=$(basename "$dev")
load_s2probe
$BUILD/s2vmm --bar "$dev/resource2" --hold 120 >/tmp/vmm.out 2>&1 &
vmm=$!
if ! wait_for /tmp/vmm.out 'S2VMM ready' 60; then
	not_ok vmm-ready "$(tail -n 3 /tmp/vmm.out | tr '\n' ' ')"
	kill $vmm 2>/dev/null
	exit 0
fi
ok vmm-ready
pid=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\1/p' /tmp/vmm.out)
fd=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\2/p' /tmp/vmm.out)
V=$DBG/$pid-$fd

case "$LAB_CPU" in max) fwb=on; mode=VHE ;; *) fwb=off; mode=nVHE ;; esac
# Stage-2 shareability: with LPA2 (-cpu max, 6.9+, 4K and 16K pages) it is
# VTCR_EL2's; 64K pages have no LPA2 (52-bit PA is FEAT_LPA there).
case "$LAB_CPU-$(uname -r)" in max-6.1.*) sh=ISH ;; max-*) sh=VTCR ;; *) sh=ISH ;; esac
granule_init
[ "$PG" = 65536 ] && sh=ISH
# KVM's default IPA size is 40 bits; the start level follows from it.
expect_eq vmm-vms-line "$pid-$fd $pid $fd s2vmm 40 $(start_level 40) $PGN fwb=$fwb $mode 3" \
	"$(awk -v n="$pid-$fd" '$1 == n' $DBG/vms)"
check vmm-dir-named-pid-fd test -d "$V"

# The layout (tests/vmm/s2vmm.c, default layout), from the granule: the
# host page holding each RAM touch (exec at +0, writes at +1M and +3M, a
# read at +5M of an untouched page: the zero page, R-); the THP slot at the
# first BLK boundary from 0x40800000 on, 2 x BLK, one write per BLK: two
# level-2 blocks; the BAR touched at +0 and +64K (writes) and +4K (a read):
# the host pages holding them, one leaf each (4K: three, 16K and 64K: two).
thp=$(((0x40800000 + BLK - 1) / BLK * BLK))
bar_leaves=$(for o in 0 0x10000 0x1000; do echo $((o / PG * PG)); done | sort -n -u)
nbar=$(echo "$bar_leaves" | wc -l)
{
	printf '0x%016x L3 map=%s NORMAL_WB RW x %s -\n' 0x40000000 $PGN $sh
	printf '0x%016x L3 map=%s NORMAL_WB RW xn %s -\n' 0x40100000 $PGN $sh 0x40300000 $PGN $sh
	printf '0x%016x L3 map=%s NORMAL_WB R- xn %s -\n' 0x40500000 $PGN $sh
	printf '0x%016x L2 map=%s NORMAL_WB RW xn %s -\n' $thp $BLKN $sh $((thp + BLK)) $BLKN $sh
	for o in $bar_leaves; do
		printf '0x%016x L3 map=%s DEVICE_nGnRE RW xn %s -\n' $((0x100000000 + o)) $PGN $sh
	done
} >/tmp/want.pages
# The views as read, in the log.
for f in ranges summary; do
	echo "--- $f"
	cat $V/$f
done
awk '{ print $1, $2, $3, $6, $7, $8, $9, $11 }' $V/pages >/tmp/got.pages
expect_eq vmm-pages-exact "$(cat /tmp/want.pages)" "$(cat /tmp/got.pages)"
# Upstream's own dump (reference kernel only) agrees leaf by leaf.
peer_check vmm-default "$V" "/sys/kernel/debug/kvm/$pid-$fd"
ptdump_check vmm-default "$V" "/sys/kernel/debug/kvm/$pid-$fd"
ptdump_sane vmm-default "$V"
# The BAR leaves point into the BAR's physical range.
bar_pa=$(sed -n 3p "$dev/resource" | cut -d' ' -f1)
got=$(awk '$6 == "DEVICE_nGnRE" { print $5 }' $V/pages | tr '\n' ' ')
want=$(for o in $bar_leaves; do printf 'pa=0x%x ' $((bar_pa + o)); done)
expect_eq vmm-bar-pa "$want" "$got"

# ranges: the same leaves coalesced, with slot and backing (hva and AF
# left out): BAR pages adjacent in IPA are one range (also in PA and hva:
# one BAR, one mmap). The two THP blocks are one range unless aging split
# their AF.
{
	for o in 0x40000000 0x40100000 0x40300000 0x40500000; do
		a="RW x"
		[ $o = 0x40000000 ] || a="RW xn"
		[ $o = 0x40500000 ] && a="R- xn"
		printf '0x%016x-0x%016x %s map=%s L3 NORMAL_WB %s %s - slot=0 anon\n' \
			$o $((o + PG)) $PGN $PGN "$a" $sh
	done
	# BAR pages adjacent in IPA: one range
	bs="" be=""
	for o in $bar_leaves ""; do
		if [ -n "$o" ] && [ -n "$bs" ] && [ "$o" = "$be" ]; then
			be=$((be + PG))
			continue
		fi
		[ -z "$bs" ] || printf '0x%016x-0x%016x %s map=%s L3 DEVICE_nGnRE RW xn %s - slot=3 pfnmap pci=%s bar=2 vma=DEVICE_nGnRE expect=DEVICE_nGnRE\n' \
			$((0x100000000 + bs)) $((0x100000000 + be)) "$(size_name $((be - bs)))" $PGN $sh "$bdf"
		[ -z "$o" ] || { bs=$o; be=$((o + PG)); }
	done
} >/tmp/want.ranges
awk '{ $9 = ""; $12 = ""; print }' $V/ranges | tr -s ' ' | sed 's/ $//' >/tmp/got.ranges
expect_eq vmm-ranges-exact "$(cat /tmp/want.ranges)" "$(grep -v anon-thp /tmp/got.ranges)"
thp_got=$(grep anon-thp /tmp/got.ranges | awk '{ print $3, $4, $5, $6, $7, $10 }' | sort -u)
span=$(grep anon-thp /tmp/got.ranges | awk '{ split($1, r, "-"); print r[1] } END { print r[2] }' |
	sed -n '1p;$p' | tr '\n' ' ')
expect_eq vmm-thp-blocks "map=$BLKN L2 NORMAL_WB RW xn slot=1" "$thp_got"
expect_eq vmm-thp-span "$(printf '0x%016x 0x%016x ' $thp $((thp + 2 * BLK)))" "$span"
# effective: Device at stage 2 wins over every stage-1 type on the BAR
# (the range holding the page at +64K: at 64K pages it starts at the BAR)
last_bar=$(grep pfnmap /tmp/want.ranges | tail -n 1 | cut -d- -f1)
e=$(awk -v r="$last_bar" 'index($1, r "-") == 1' $V/effective)
expect_eq vmm-bar-effective-wc "NORMAL_NC:DEVICE_nGnRE" "$(echo "$e" | tr ' ' '\n' | grep '^NORMAL_NC:')"
expect_eq vmm-bar-effective-strongest "DEVICE_nGnRnE:DEVICE_nGnRnE" \
	"$(echo "$e" | tr ' ' '\n' | grep '^DEVICE_nGnRnE:')"
# summary matches the layout
expect_eq vmm-summary-leaves $((4 + 2 + nbar)) "$(sed -n 's/^leaves=//p' $V/summary)"
expect_eq vmm-summary-device-bytes $((nbar * PG)) "$(sed -n 's/^bytes.DEVICE_nGnRE=//p' $V/summary)"
expect_eq vmm-summary-blocks "2 $((2 * BLK))" \
	"$(sed -n "s/^leaves.map.$BLKN=//p" $V/summary) $(sed -n "s/^bytes.map.$BLKN=//p" $V/summary)"
# a window on the BAR slot shows only it
expect_eq vmm-window-bar "$(grep -c pfnmap /tmp/want.ranges)" "$(win $V/ranges 0x100000000 0x100000 | wc -l)"
cp /tmp/vmm.out $OUT/ 2>/dev/null
kill $vmm
wait $vmm 2>/dev/null
unload_s2probe
dmesg_clean vmm-dmesg-clean
