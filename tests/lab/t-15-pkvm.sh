#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Protected mode (kvm-arm.mode=protected): the guests' stage-2 tables are the
# hypervisor's. s2probe lists every VM as pKVM, with the IPA size KVM gave it
# (pKVM always uses the IPA limit), every per-VM view refuses with EOPNOTSUPP,
# dmesg says so once per load (not per open), and nothing crashes. On 7.x the
# host keeps a record of what it asked the hypervisor to map: the pkvm view
# shows exactly the test VMM's touched pages. A BAR cannot be given to a
# guest there: 7.3's pKVM fails the guest's first access to it (KVM_RUN
# EINVAL), 6.12's maps it; the last check records which.
# Only on a pKVM machine (scripts/lab/vm/init's kvm_mode); elsewhere nothing to do.
. "$(dirname "$0")/lib/common.sh"

[ "$(machine kvm_mode)" = pKVM ] || exit 0
dev=$(ivshmem_dev) || { not_ok pkvm-bar "no ivshmem device"; exit 0; }
# pKVM gives every VM KVM's IPA limit: "kvm [1]: IPA Size Limit: 52 bits"
# (-cpu max: LPA2)
limit=$(dmesg | sed -n 's/.*IPA Size Limit: \([0-9]*\) bits.*/\1/p' | head -n 1)
unload_s2probe
dmesg -C
check pkvm-insmod load_s2probe
$BUILD/s2vmm --hold 120 >/tmp/vmm.out 2>&1 &
vmm=$!
if ! wait_for /tmp/vmm.out 'S2VMM ready' 60; then
	not_ok pkvm-vmm-ready "$(tail -n 3 /tmp/vmm.out | tr '\n' ' ')"
	kill $vmm 2>/dev/null
	exit 0
fi
ok pkvm-vmm-ready
pid=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\1/p' /tmp/vmm.out)
fd=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\2/p' /tmp/vmm.out)
V=$DBG/$pid-$fd

case "$(machine s2fwb)" in yes) fwb=on ;; *) fwb=off ;; esac
expect_eq pkvm-vms-line "$pid-$fd $pid $fd s2vmm $limit - 4K fwb=$fwb pKVM 2" \
	"$(awk -v n="$pid-$fd" '$1 == n' $DBG/vms)"
for v in ranges pages summary effective bars ptdump; do
	expect_eq "pkvm-$v-eopnotsupp" "cat: $V/$v: Operation not supported" \
		"$(cat $V/$v 2>&1 >/dev/null)"
done
expect_eq pkvm-dmesg-once 1 "$(dmesg | grep -c 's2probe: KVM runs in protected mode')"

# The s2probe command: vms lists the VM, show exits 8 (not supported).
S2P=/job/lab/bin/s2probe
expect_eq pkvm-cli-vms "$pid-$fd" "$($S2P vms | awk -v n="$pid-$fd" '$1 == n { print $1 }')"
$S2P show "$pid-$fd" >/dev/null 2>&1
expect_eq pkvm-cli-show-exit 8 "$?"

case "$(uname -r)" in
7.*)
	# The test VMM's guest touches 4 pages of slot 0 and two 2M blocks of
	# its THP slot 1 (t-20-vmm.sh); the host PAs are the allocator's, but
	# each is where the VMM's memory is: checked against its pagemap below.
	want="0x0000000040000000-0x0000000040001000 4K cacheable
0x0000000040100000-0x0000000040101000 4K cacheable
0x0000000040300000-0x0000000040301000 4K cacheable
0x0000000040500000-0x0000000040501000 4K cacheable
0x0000000040800000-0x0000000040a00000 2M cacheable
0x0000000040a00000-0x0000000040c00000 2M cacheable"
	expect_eq pkvm-mappings "$want" "$(awk '{ print $1, $2, $4 }' $V/pkvm)"
	# each mapping's pa is the host page behind the VMM's address for that
	# IPA (/proc/PID/pagemap: PFN in bits 0-54)
	pagemap_pa() {
		local v
		v=$(dd if=/proc/$pid/pagemap bs=8 skip=$(($1 / 4096)) count=1 2>/dev/null |
			od -An -tx8 | tr -d ' ')
		printf 'pa=0x%016x' $(((0x$v & 0x7fffffffffffff) * 4096))
	}
	bad=""
	while read -r range _ pa _; do
		ipa=$((${range%%-*}))
		hva=$(gawk -v ipa=$ipa '/^S2VMM slot / {
			split($5, a, "="); split($6, s, "="); split($7, h, "=")
			b = strtonum(a[2]); if (ipa >= b && ipa < b + strtonum(s[2]))
				printf "%d\n", strtonum(h[2]) + ipa - b }' /tmp/vmm.out)
		[ -n "$hva" ] && [ "$(pagemap_pa "$hva")" = "$pa" ] || bad="$bad ${range%%-*}:$pa"
	done <$V/pkvm
	expect_eq pkvm-pa-is-vmm-page "" "$bad"
	# host addresses: without CAP_SYS_ADMIN, EPERM and the dmesg line
	# that names this view
	refusals=$(dmesg | grep -c 'pages, ranges and pkvm show host addresses')
	expect_eq pkvm-needs-cap "cat: $V/pkvm: Operation not permitted" \
		"$(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin cat $V/pkvm 2>&1 >/dev/null)"
	expect_eq pkvm-refusal-in-dmesg $((refusals + 1)) \
		"$(dmesg | grep -c 'pages, ranges and pkvm show host addresses')"
	;;
*)
	check pkvm-no-mappings-view test ! -e $V/pkvm ;;
esac

kill $vmm 2>/dev/null
wait $vmm 2>/dev/null

# a PCI BAR slot: what this kernel's pKVM does at the guest's first access
$BUILD/s2vmm --bar "$dev/resource2" --hold 5 >/tmp/vmm-bar.out 2>&1
case "$(uname -r)" in
7.*) expect_eq pkvm-bar-refused "s2vmm: KVM_RUN: Invalid argument" \
	"$(grep -m 1 KVM_RUN /tmp/vmm-bar.out)" ;;
*) expect_eq pkvm-bar-mapped "S2VMM ready" "$(grep -m 1 'S2VMM ready' /tmp/vmm-bar.out)" ;;
esac
check pkvm-rmmod rmmod s2probe
dmesg_clean pkvm-dmesg-clean
