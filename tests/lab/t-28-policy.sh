#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KVM's memory-type policy, demonstrated: a PCI BAR (the lab's ivshmem)
# mapped into the test VMM with each page protection and VMA flag a VMM can
# hand KVM (tests/kmod/s2map.c: /dev/s2map-KIND), a memslot of each, a read,
# a write or an instruction fetch by the guest; what KVM did: the stage-2
# type s2probe shows, or the errno that refused it (the memslot ioctl's or
# KVM_RUN's). Every cell must be what the kernel's own rules give
# (arch/arm64/kvm/mmu.c of its series; the policy file, the FWB and DIC it
# reports) and what s2probe's expect= says. The cells are printed as
# "S2POLICY <kernel> <cpu> <kind> <op> <result>" lines for the README's
# table (scripts/dev/gen-policy-table).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/layout.sh"

phase t28-start
load_s2probe
dev=$(ivshmem_dev) || { not_ok policy-ivshmem "no ivshmem device in L1"; exit 0; }
bdf=${dev##*/}
if ! insmod $BUILD/s2map.ko bdf="$bdf" bar=2 2>/tmp/s2map.err; then
	not_ok policy-s2map "insmod s2map.ko: $(cat /tmp/s2map.err)"
	exit 0
fi
pol=$(sed -n 's/^policy=//p' $DBG/policy)
cpf=$(sed -n 's/^cacheable_pfnmap=//p' $DBG/policy)
echo "policy: $(tr '\n' ' ' <$DBG/policy)"
case "$(uname -r)" in
6.1.*) wantpol=device ;;
6.12.*) wantpol=any-uncached ;;
*) wantpol=cacheable-pfnmap ;;
esac
expect_eq policy-of-kernel "$wantpol" "$pol"

# want KIND OP: the cell, by the rules of each series
#   device (6.1): any page outside the linear map is Device-nGnRE, and an
#     instruction fetch from it gets an abort injected into the guest
#     (user_mem_abort()'s ENOEXEC, which kvm_handle_guest_abort() turns
#     into an instruction abort: EC 0x21);
#   any-uncached (6.9): Normal-NC with VM_ALLOW_ANY_UNCACHED (the -uc
#     kinds), else Device; a fetch the same abort;
#   cacheable-pfnmap (6.17): a cacheable VMA (cached) Normal-WB, fetches
#     allowed, with FWB and DIC, else its memslot refused (EINVAL); the
#     others as any-uncached.
want() {
	case "$pol/$1/$2" in
	cacheable-pfnmap/cached/*) [ "$cpf" = yes ] && echo NORMAL_WB || echo "memslot-EINVAL" ;;
	*/*/exec) echo guest-IABT ;;
	device/*) echo DEVICE_nGnRE ;;
	*/*-uc/*) echo NORMAL_NC ;;
	*) echo DEVICE_nGnRE ;;
	esac
}
# the VMA's type as s2probe reads it, and whether it has the flag
vma_of() {
	case "$1" in
	dev) echo DEVICE_nGnRE ;;
	nocache*) echo DEVICE_nGnRnE ;;
	wc*) echo NORMAL_NC ;;
	cached) echo NORMAL ;;
	esac
}

# try_vmm ARGS...: s2vmm until ready (0, V set) or until it ends (1):
# here a refusal is a result, not a failure
try_vmm() {
	: >$VMM_OUT
	$BUILD/s2vmm --hold 300 "$@" >$VMM_OUT 2>&1 &
	vmm=$!
	local end=$(($(date +%s) + 60))
	while ! grep -q '^S2VMM ready' $VMM_OUT && kill -0 $vmm 2>/dev/null &&
		[ "$(date +%s)" -lt $end ]; do
		sleep 0.1
	done
	if ! grep -q '^S2VMM ready' $VMM_OUT; then
		kill $vmm 2>/dev/null
		wait $vmm 2>/dev/null
		return 1
	fi
	pid=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\1/p' $VMM_OUT | tail -n 1)
	fd=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\2/p' $VMM_OUT | tail -n 1)
	V=$DBG/$pid-$fd
	cat $DBG/vms >/dev/null
}

for kind in dev nocache nocache-uc wc wc-uc cached; do
	for op in read write exec; do
		name=policy-$kind-$op
		rc=0
		try_vmm --slot "4:bar:/dev/s2map-$kind:0x100000000:$PG" \
			--touch "0x100000000:$op" || rc=$?
		if [ "$rc" = 0 ]; then
			line=$(awk -v p="pci=$bdf" '$3 == p' $V/bars)
			got=$(echo "$line" | awk '{ print $5 }')
			# s2probe's own reading of the VMA and the policy's type
			uc=""
			case "$kind/$pol" in *-uc/device) ;; *-uc/*) uc=" uc" ;; esac
			expect_eq "$name-facts" "vma=$(vma_of $kind)$uc expect=$got" \
				"$(echo "$line" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; print }' | sed 's/^ *//')"
			stop_vmm
		else
			# why s2vmm ended: the ioctl and its errno
			case "$(tail -n 1 $VMM_OUT)" in
			*"KVM_SET_USER_MEMORY_REGION"*"Invalid argument") got=memslot-EINVAL ;;
			*"KVM_RUN: Exec format error") got=KVM_RUN-ENOEXEC ;;
			# an abort injected into the guest: EC 0x21, an instruction
			# abort taken without a change in exception level
			*"guest exception esr="*"(EC 0x21)") got=guest-IABT ;;
			*"KVM_RUN: Bad address") got=KVM_RUN-EFAULT ;;
			*) got="failed: $(tail -n 1 $VMM_OUT)" ;;
			esac
		fi
		echo "S2POLICY $(uname -r) $LAB_CPU $kind $op $got"
		expect_eq "$name" "$(want $kind $op)" "$got"
	done
done
rmmod s2map
unload_s2probe
phase t28-end
dmesg_clean policy-dmesg-clean
