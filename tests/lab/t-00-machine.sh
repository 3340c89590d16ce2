#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The emulated host is what the test expects: KVM up, VHE/nVHE, S2FWB.
. "$(dirname "$0")/lib/common.sh"

expect_eq kvm-present yes "$(machine kvm)"
# kvm-arm.mode=protected on the command line: pKVM whatever the CPU
case " $(cat /proc/cmdline) " in
*" kvm-arm.mode=protected "*) pkvm=1 ;;
*) pkvm=0 ;;
esac
case "$pkvm/$LAB_CPU" in
1/*) expect_eq kvm-mode pKVM "$(machine kvm_mode)" ;;
*/max) expect_eq kvm-mode VHE "$(machine kvm_mode)" ;;
*/a72) expect_eq kvm-mode nVHE "$(machine kvm_mode)" ;;
esac
case "$LAB_CPU" in
max) expect_eq s2fwb yes "$(machine s2fwb)" ;;
a72) expect_eq s2fwb no "$(machine s2fwb)" ;;
esac
check ivshmem-bar ivshmem_dev
echo "boot_to_shell_s=$(machine boot_to_shell_s)"
# The reference kernel is recognised as such, or its strict splat rules
# (refkernel_splats) would silently be off; Debian's kernels are not.
series=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^s2lab\.series=//p')
if [ "$series" = dbg ]; then
	refkernel && ok refkernel-detected ||
		not_ok refkernel-detected "series dbg, but refkernel() says no (KASAN not seen in /proc/config.gz)"
else
	refkernel && not_ok refkernel-detected "series '$series' taken for the reference kernel" ||
		ok refkernel-detected
fi
dmesg_boot_clean boot-dmesg
