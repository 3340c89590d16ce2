#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regression tests for defects found reading s2probe against the kernel
# sources, on the test VMM's default layout (see tests/vmm/s2vmm.c):
# - summary honours the window (it counted whole leaves, ignoring it), and
#   says which window it counted;
# - a window that does not start on a page boundary shows every page it
#   touches (kvm_pgtable_walk aligns the start down and drops the last page);
# - a window inside a block shows the part of the block inside it, with the
#   output address of its first byte;
# - pages and ranges (host addresses) need CAP_SYS_ADMIN, summary does not;
# - vms is one snapshot per open: a byte-by-byte read equals a whole read.
. "$(dirname "$0")/lib/common.sh"

dev=$(ivshmem_dev) || { not_ok regress-setup "no ivshmem device"; exit 0; }
load_s2probe
vmm_start regress-setup /tmp/regress-vmm.out --bar "$dev/resource2" --hold 120 || exit 0
VM=$(vmm_vm /tmp/regress-vmm.out)
V=$DBG/$VM
cat $DBG/vms >/dev/null
cat $V/pages >/tmp/regress.pages
# the first THP block (IPA 0x40800000) and the first BAR page
thp_pa=$(awk '$1 == "0x0000000040800000" { sub("pa=", "", $5); print $5 }' /tmp/regress.pages)
bar_pa=$(awk '$1 == "0x0000000100000000" { sub("pa=", "", $5); print $5 }' /tmp/regress.pages)

# key NAME [START LEN]: a summary value, of the window when given
key() {
	if [ $# -gt 1 ]; then win $V/summary "$2" "$3"; else cat $V/summary; fi | sed -n "s/^$1=//p"
}

# --- summary inside one 2M block: 4K of it, one (partial) leaf.
W="0x40900000 0x1000"
# shellcheck disable=SC2086 # W: START LEN
expect_eq regress-summary-window-bytes 4096 "$(key bytes $W)"
# shellcheck disable=SC2086
expect_eq regress-summary-window-leaves 1 "$(key leaves $W)"
# shellcheck disable=SC2086
expect_eq regress-summary-window-map2m "1 4096" "$(key leaves.map.2M $W) $(key bytes.map.2M $W)"
# summary says which window it counted; without one, the whole IPA space
# shellcheck disable=SC2086
expect_eq regress-summary-window-line "0x0000000040900000-0x0000000040901000" "$(key window $W)"
expect_eq regress-summary-no-window "0x0000000000000000-$(printf '0x%016x' $((1 << $(awk '$1 == "'"$VM"'" { print $5 }' $DBG/vms))))" \
	"$(key window)"
# ranges and pages show that part of the block, at its own output address
want=$(printf '0x0000000040900000-0x0000000040901000 4K map=2M L2 pa=0x%x' \
	$((thp_pa + 0x100000)))
# shellcheck disable=SC2086
got=$(win $V/ranges $W | awk '{ print $1, $2, $3, $4 }')
# shellcheck disable=SC2086
got="$got $(win $V/pages $W | awk '{ print $5 }')"
expect_eq regress-window-inside-block "$want" "$got"

# --- a window that starts mid-page: BAR pages 0 and 1 are both mapped.
W="0x100000800 0x1000"
# shellcheck disable=SC2086
expect_eq regress-unaligned-pages "0x0000000100000800 0x0000000100001000" \
	"$(win $V/pages $W | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
# shellcheck disable=SC2086
expect_eq regress-unaligned-pages-pa \
	"$(printf 'pa=0x%x pa=0x%x' $((bar_pa + 0x800)) $((bar_pa + 0x1000)))" \
	"$(win $V/pages $W | awk '{ print $5 }' | tr '\n' ' ' | sed 's/ $//')"
# shellcheck disable=SC2086
expect_eq regress-unaligned-ranges "0x0000000100000800-0x0000000100001800 4K" \
	"$(win $V/ranges $W | awk '{ print $1, $2 }')"
# shellcheck disable=SC2086
expect_eq regress-unaligned-summary "4096 2" "$(key bytes $W) $(key leaves $W)"
# a window inside one page: that page's part only
W="0x100000010 0x20"
# shellcheck disable=SC2086
expect_eq regress-subpage-window "0x0000000100000010-0x0000000100000030 32B 32 1" \
	"$(win $V/ranges $W | awk '{ print $1, $2 }') $(key bytes $W) $(key leaves $W)"

# --- host addresses need CAP_SYS_ADMIN; summary and effective do not.
nocap() {
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$@"
}
# (dmesg is not cleared: dmesg_clean must still see anything said before)
refusals=$(dmesg | grep -c 'need CAP_SYS_ADMIN')
if nocap cat $V/pages >/dev/null 2>/tmp/regress.err; then
	not_ok regress-pages-needs-cap "read without CAP_SYS_ADMIN"
else
	expect_eq regress-pages-needs-cap "Operation not permitted" \
		"$(sed 's/.*: //' /tmp/regress.err)"
fi
nocap cat $V/ranges >/dev/null 2>&1 && not_ok regress-ranges-needs-cap "read without CAP_SYS_ADMIN" ||
	ok regress-ranges-needs-cap
check regress-summary-without-cap nocap grep -q '^leaves=9$' $V/summary
check regress-effective-without-cap nocap grep -q 's2=DEVICE_nGnRE' $V/effective
[ "$(dmesg | grep -c 'need CAP_SYS_ADMIN')" -gt "$refusals" ] && ok regress-refusal-in-dmesg ||
	not_ok regress-refusal-in-dmesg "no new 'need CAP_SYS_ADMIN' line in dmesg"

# --- work per range, not per leaf (stats: counters since load).
stat() {
	sed -n "s/^$1=//p" $DBG/stats
}
# cost KEY FILE: how much KEY grows while FILE is read
cost() {
	local a
	a=$(stat "$1")
	cat "$2" >/dev/null
	echo $(($(stat "$1") - a))
}
# The 3 BAR leaves (2 ranges, one BAR): the PCI devices are scanned once.
expect_eq regress-pci-scan-per-bar 1 "$(cost pci_scans $V/ranges)"
# pages and summary print no backing: no VMA or PCI look-ups at all.
expect_eq regress-pages-no-backing "0 0" "$(cost pci_scans $V/pages) $(cost vma_descriptions $V/pages)"
expect_eq regress-summary-no-backing "0 0" \
	"$(cost pci_scans $V/summary) $(cost vma_descriptions $V/summary)"
# ranges: one VMA description per run of same-size leaves in one VMA:
# slot 0 (4 pages), slot 1 (2 blocks), slot 3 (3 BAR pages).
expect_eq regress-vma-per-run 3 "$(cost vma_descriptions $V/ranges)"
# max_hold_ns: the longest mmu_lock hold since the last read of stats.
stat max_hold_ns >/dev/null
cat $V/pages >/dev/null
hold=$(stat max_hold_ns)
[ "${hold:-0}" -gt 0 ] && ok regress-max-hold-measured ||
	not_ok regress-max-hold-measured "max_hold_ns '$hold' after a read of pages"
expect_eq regress-max-hold-taken 0 "$(stat max_hold_ns)"

# --- vms: one snapshot per open, whatever the read size.
expect_eq regress-vms-bytewise "$(cat $DBG/vms)" "$(dd if=$DBG/vms bs=1 2>/dev/null)"
kill $vmm
wait $vmm 2>/dev/null
unload_s2probe
dmesg_clean regress-dmesg-clean
