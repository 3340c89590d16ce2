#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test VMM's known layout gives exactly known stage-2 ranges: RAM pages
# as Normal write-back (the type FWB forces, or 0xf without FWB), THP slots
# as 2M blocks, the sysfs resource2 BAR slot as DEVICE_nGnRE on every kernel,
# nothing where the guest did not go.
. "$(dirname "$0")/lib.sh"

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
# Stage-2 shareability: with LPA2 (-cpu max, 6.9+) it is VTCR_EL2's.
case "$LAB_CPU-$(uname -r)" in max-6.1.*) sh=ISH ;; max-*) sh=VTCR ;; *) sh=ISH ;; esac
expect_eq vmm-vms-line "$pid-$fd $pid $fd s2vmm 40 1 4K fwb=$fwb $mode 3" \
	"$(awk -v n="$pid-$fd" '$1 == n' $DBG/vms)"
check vmm-dir-named-pid-fd test -d "$V"

# Every leaf, exactly (pages view without desc, pa, AF and sw: AF may be
# cleared by KVM's page aging at any time).
cat >/tmp/want.pages <<EOW
0x0000000040000000 L3 map=4K NORMAL_WB RW x $sh -
0x0000000040100000 L3 map=4K NORMAL_WB RW xn $sh -
0x0000000040300000 L3 map=4K NORMAL_WB RW xn $sh -
0x0000000040500000 L3 map=4K NORMAL_WB R- xn $sh -
0x0000000040800000 L2 map=2M NORMAL_WB RW xn $sh -
0x0000000040a00000 L2 map=2M NORMAL_WB RW xn $sh -
0x0000000100000000 L3 map=4K DEVICE_nGnRE RW xn $sh -
0x0000000100001000 L3 map=4K DEVICE_nGnRE RW xn $sh -
0x0000000100010000 L3 map=4K DEVICE_nGnRE RW xn $sh -
EOW
# The views as read, in the log.
for f in ranges summary; do
	echo "--- $f"
	cat $V/$f
done
awk '{ print $1, $2, $3, $6, $7, $8, $9, $11 }' $V/pages >/tmp/got.pages
expect_eq vmm-pages-exact "$(cat /tmp/want.pages)" "$(cat /tmp/got.pages)"
# Upstream's own dump (reference kernel only) agrees leaf by leaf.
peer_check vmm-default "$V" "/sys/kernel/debug/kvm/$pid-$fd"
# The BAR leaves point into the BAR's physical range.
bar_pa=$(sed -n 3p "$dev/resource" | cut -d' ' -f1)
got=$(awk '$6 == "DEVICE_nGnRE" { print $5 }' $V/pages | tr '\n' ' ')
want=$(printf 'pa=0x%x pa=0x%x pa=0x%x ' "$bar_pa" $((bar_pa + 0x1000)) $((bar_pa + 0x10000)))
expect_eq vmm-bar-pa "$want" "$got"

# ranges: the same leaves coalesced, with slot and backing (hva and AF
# left out). The two THP blocks are one range unless aging split their AF.
cat >/tmp/want.ranges <<EOW
0x0000000040000000-0x0000000040001000 4K map=4K L3 NORMAL_WB RW x $sh - slot=0 anon
0x0000000040100000-0x0000000040101000 4K map=4K L3 NORMAL_WB RW xn $sh - slot=0 anon
0x0000000040300000-0x0000000040301000 4K map=4K L3 NORMAL_WB RW xn $sh - slot=0 anon
0x0000000040500000-0x0000000040501000 4K map=4K L3 NORMAL_WB R- xn $sh - slot=0 anon
0x0000000100000000-0x0000000100002000 8K map=4K L3 DEVICE_nGnRE RW xn $sh - slot=3 pfnmap pci=$bdf bar=2
0x0000000100010000-0x0000000100011000 4K map=4K L3 DEVICE_nGnRE RW xn $sh - slot=3 pfnmap pci=$bdf bar=2
EOW
awk '{ $9 = ""; $12 = ""; print }' $V/ranges | tr -s ' ' | sed 's/ $//' >/tmp/got.ranges
expect_eq vmm-ranges-exact "$(cat /tmp/want.ranges)" "$(grep -v anon-thp /tmp/got.ranges)"
thp=$(grep anon-thp /tmp/got.ranges | awk '{ print $3, $4, $5, $6, $7, $10 }' | sort -u)
span=$(grep anon-thp /tmp/got.ranges | awk '{ split($1, r, "-"); print r[1] } END { print r[2] }' |
	sed -n '1p;$p' | tr '\n' ' ')
expect_eq vmm-thp-blocks "map=2M L2 NORMAL_WB RW xn slot=1" "$thp"
expect_eq vmm-thp-span "0x0000000040800000 0x0000000040c00000 " "$span"
# effective: Device at stage 2 wins over every stage-1 type on the BAR
e=$(awk '$1 ~ /^0x0000000100010000-/' $V/effective)
expect_eq vmm-bar-effective-wc "NORMAL_NC:DEVICE_nGnRE" "$(echo "$e" | tr ' ' '\n' | grep '^NORMAL_NC:')"
expect_eq vmm-bar-effective-strongest "DEVICE_nGnRnE:DEVICE_nGnRnE" \
	"$(echo "$e" | tr ' ' '\n' | grep '^DEVICE_nGnRnE:')"
# summary matches the layout
expect_eq vmm-summary-leaves 9 "$(sed -n 's/^leaves=//p' $V/summary)"
expect_eq vmm-summary-device-bytes 12288 "$(sed -n 's/^bytes.DEVICE_nGnRE=//p' $V/summary)"
expect_eq vmm-summary-2m 2 "$(sed -n 's/^leaves.map.2M=//p' $V/summary)"
# a filter on the BAR slot shows only it
echo "0x100000000 0x100000" >$V/filter
expect_eq vmm-filter-bar 2 "$(wc -l <$V/ranges)"
echo all >$V/filter
cp /tmp/vmm.out $OUT/ 2>/dev/null
kill $vmm
wait $vmm 2>/dev/null
unload_s2probe
dmesg_clean vmm-dmesg-clean
