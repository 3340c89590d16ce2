#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# s2probe.ko and s2bench.ko load and unload cleanly; s2probe's top level.
. "$(dirname "$0")/lib/common.sh"

check s2probe-insmod insmod $BUILD/s2probe.ko
check s2probe-debugfs test -r $DBG/vms
hdr=$(head -n 1 $DBG/vms)
expect_eq s2probe-vms-header "# name pid fd comm ipa_bits start_level granule fwb mode memslots" "$hdr"
expect_eq s2probe-no-vms 1 "$(wc -l <$DBG/vms)"
check s2probe-rmmod rmmod s2probe
check s2probe-gone test ! -e $DBG
# Load and unload again: nothing is left behind by the first round.
check s2probe-reload sh -c "insmod $BUILD/s2probe.ko && rmmod s2probe"
# The guest bench module loads without a target and does nothing until told.
check s2bench-insmod insmod $BUILD/s2bench.ko
check s2bench-debugfs test -e /sys/kernel/debug/s2bench/run
check s2bench-rmmod rmmod s2bench
dmesg_clean module-dmesg-clean
