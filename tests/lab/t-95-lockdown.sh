#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Under kernel lockdown, raised at run time, debugfs refuses every file that
# is writable or opened for writing: s2probe's views are read-only and its
# windows are set by seeking (SEEK_DATA, SEEK_HOLE), so they still work.
# Lockdown cannot be lowered again: this runs last in its suite.
. "$(dirname "$0")/lib/common.sh"

LD=/sys/kernel/security/lockdown
# (the root image has busybox's mount only)
[ -e $LD ] || busybox mount -t securityfs securityfs /sys/kernel/security 2>/tmp/ld.mount
if [ ! -w $LD ]; then
	# the reference kernel is built without the lockdown LSM; Debian's
	# start it (securityfs' lsm file lists the active ones)
	if grep -q lockdown /sys/kernel/security/lsm 2>/dev/null; then
		not_ok lockdown-available "no $LD: $(cat /tmp/ld.mount) $(ls /sys/kernel/security 2>&1 | tr '\n' ' ')"
	else
		echo "note: this kernel has no lockdown LSM: t-95 does not apply"
	fi
	exit 0
fi
load_s2probe
vmm_start lockdown-setup /tmp/ld-vmm.out --hold 120 || exit 0
V=$DBG/$(vmm_vm /tmp/ld-vmm.out)
cat $DBG/vms >/dev/null
for v in vms stats; do cat $DBG/$v >/tmp/ld.$v.before; done
for v in summary ranges pages effective bars ptdump; do
	win $V/$v 0x40000000 0x200000 >/tmp/ld.$v.before
done
echo integrity >$LD
echo "lockdown: $(cat $LD)"
expect_eq lockdown-raised integrity "$(sed -n 's/.*\[\(.*\)\].*/\1/p' $LD)"
# debugfs now refuses what it must: a file opened for writing
if : >>$DBG/vms 2>/dev/null; then
	not_ok lockdown-refuses-write "vms opened for writing under lockdown"
else
	ok lockdown-refuses-write
fi
expect_eq lockdown-vms "$(md5sum </tmp/ld.vms.before)" "$(cat $DBG/vms | md5sum)"
for v in summary ranges pages effective bars ptdump; do
	if win $V/$v 0x40000000 0x200000 >/tmp/ld.$v.after 2>/tmp/ld.err; then
		expect_eq "lockdown-window-$v" "$(md5sum </tmp/ld.$v.before)" "$(md5sum </tmp/ld.$v.after)"
	else
		not_ok "lockdown-window-$v" "$(cat /tmp/ld.err)"
	fi
done
kill $vmm
wait $vmm 2>/dev/null
dmesg_clean lockdown-dmesg
