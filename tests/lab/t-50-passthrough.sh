#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The passthrough scenario: a vfio-pci BAR in an L2 guest. Stage 2 maps it
# Normal-NC from 6.9 on (VM_ALLOW_ANY_UNCACHED), Device-nGnRE before; the
# guest bench reports sane, consistent figures (no timing thresholds).
. "$(dirname "$0")/lib/common.sh"

# The scenario is about the stage-2 type of a vfio BAR, which FWB does not
# change: it runs on -cpu max only (make check's time budget).
[ "$LAB_CPU" = max ] || { echo "t-50: skipped on $LAB_CPU"; exit 0; }

S=/tmp/scenario
if ! $LAB/bin/scenario --out $S --batches 20 --hold 20 >/tmp/scenario.log 2>&1; then
	not_ok scenario-ran "$(tail -n 3 /tmp/scenario.log | tr '\n' ' ')"
	exit 0
fi
ok scenario-ran
kv() {
	sed -n "s/^$2=//p" "$1" | head -n 1
}
bdf=$(kv $S/facts.txt l1_bar_bdf)
rel=$(uname -r)
case "$rel" in
6.1.*) want=DEVICE_nGnRE; wantwc=DEVICE_nGnRE; pol=device; uc=""; cst=9 ;;
6.12.*) want=NORMAL_NC; wantwc=NORMAL_NC; pol=any-uncached; uc=+uc; cst=0 ;;
*) want=NORMAL_NC; wantwc=NORMAL_NC; pol=cacheable-pfnmap; uc=+uc; cst=0 ;;
esac
bar=$(grep " pci=$bdf bar=2" $S/host-ranges.txt)
echo "BAR ranges: $bar"
[ -n "$bar" ] && ok bar-range-found || not_ok bar-range-found "no range with pci=$bdf bar=2"
got=$(echo "$bar" | awk '{ print $5 }' | sort -u | tr '\n' ' ' | sed 's/ $//')
expect_eq bar-stage2-type "$want" "$got"
got=$(echo "$bar" | awk '{ print $4, $3 }' | sort -u | tr '\n' ' ' | sed 's/ $//')
expect_eq bar-page-mapped "L3 map=4K" "$got"
r1=$(echo "$bar" | head -n 1 | cut -d' ' -f1)
eff=$(grep -F "$r1 " $S/host-effective.txt | tr ' ' '\n' | sed -n 's/^NORMAL_NC://p')
expect_eq bar-effective-wc "$wantwc" "$eff"
eff=$(grep -F "$r1 " $S/host-effective.txt | tr ' ' '\n' | sed -n 's/^DEVICE_nGnRE://p')
expect_eq bar-effective-device DEVICE_nGnRE "$eff"
# The command names the VM as libvirt named its QEMU, and finds it by its
# UUID (in capitals: a UUID is matched in either case)
vm=$(kv $S/facts.txt vm)
expect_eq cli-vm-names "guest=s2lab-passthrough uuid=5215c0de-0000-4000-8000-000000000050" \
	"$(awk -v v="$vm" '$1 == v { print $11, $12 }' $S/host-cli-vms.txt)"
expect_eq cli-vm-by-name "vm=$vm" "$(cat $S/host-cli-by-name.txt)"
# s2probe check: vfio-pci maps the BAR Device-nGnRnE (pgprot_noncached),
# with VM_ALLOW_ANY_UNCACHED from 6.9 on; the verdict follows the policy.
# The host device: QEMU's ivshmem, bound to vfio-pci for the guest.
expect_eq cli-check-status "status=$cst" "$(tail -n 1 $S/host-cli-check.txt)"
expect_eq cli-check-bar "$vm guest=s2lab-passthrough uuid=5215c0de-0000-4000-8000-000000000050 pci=$bdf bar=2 id=1af4:1110 driver=vfio-pci stage2=$want expected=$want vma=DEVICE_nGnRnE$uc policy=$pol" \
	"$(sed -n 1p $S/host-cli-check.txt | sed 's/ ipa=0x[^ ]* mapped=[^ ]*//')"
case "$cst" in
0) v="  write-combining possible: Normal-NC at stage 2: a guest's write-combining mapping stays Normal-NC; whether writes combine only the device shows (mlx5's self-test, bench/)" ;;
*) v="  write-combining impossible: Device at stage 2: this kernel's KVM maps all device memory Device (Normal-NC for VMAs with VM_ALLOW_ANY_UNCACHED came with Linux 6.9)" ;;
esac
expect_eq cli-check-verdict "$v" "$(sed -n 2p $S/host-cli-check.txt)"
# the bars view says the same, without the command
expect_eq bars-policy "pci=$bdf bar=2 $want vma=DEVICE_nGnRnE${uc:+ uc} expect=$want" \
	"$(awk -v p="pci=$bdf" '$3 == p { $1 = ""; $2 = ""; print }' $S/host-bars.txt | sort -u | sed 's/^  //')"
expect_eq policy-file "policy=$pol" "$(sed -n 1p $S/host-policy.txt)"
# The guest's RAM is still Normal-WB in the same VM.
awk '$5 == "NORMAL_WB"' $S/host-ranges.txt | grep -q anon && ok guest-ram-wb || not_ok guest-ram-wb "no anon NORMAL_WB range"

# Bench figures, computed by bench/s2stats from the raw samples of the
# guest's s2bench.ko (its last run, whose results are kept) and s2wc on the
# passed-through BAR: every sequence present (ST64B skipped: no FEAT_LS64
# under QEMU), min <= median <= p99, the interval holds the ratio; the tools
# themselves print no figure. No timing thresholds: under emulation the BAR
# is RAM and the ratio means nothing.
B=$S/guest/s2bench.txt
last=$(ls $S/guest/s2bench-samples-*.txt | sort -V | tail -n 1)
$BUILD/s2stats "$last" >/tmp/b-fig.txt 2>&1 || echo "note: s2stats exited $?"
$BUILD/s2stats $S/guest/s2wc-samples.txt >/tmp/wc-fig.txt 2>&1 || echo "note: s2stats exited $?"
run_sane bench-figures-sane $B /tmp/b-fig.txt 20
run_sane s2wc-figures-sane $S/guest/s2wc.txt /tmp/wc-fig.txt 20
no_statistic bench-no-statistic $B
no_statistic s2wc-no-statistic $S/guest/s2wc.txt
expect_eq bench-target "$(kv $S/guest/facts.txt guest_bar_bdf) 2 0x0 0x1000" \
	"$(kv $B target) $(kv $B bar) $(kv $B offset) $(kv $B len)"
# the scenario's files, for scripts/report and tests/bench/check-report
cp -r $S $OUT/scenario
dmesg_clean passthrough-dmesg-clean
