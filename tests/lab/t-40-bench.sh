#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The bench's arm64 write sequences, in L1 on the ivshmem BAR (RAM behind
# QEMU, so what is written reads back): bench/s2wr.h's unit test built for
# arm64; s2wc and s2bench.ko "verify" (each sequence writes exactly its WQE
# at the two BlueFlame buffers, through both mappings); a short timed run of
# each, its raw samples and every figure bench/s2stats computes of them
# present and ordered (the tools print none themselves); the kernel
# module's refusals with their errors and dmesg lines. Timings under
# emulation mean nothing; only their presence and order are checked. On
# QEMU's pci-testdev, a known test device: accepted without an offset, its
# verify allowed; on a virtio device: refused without one, and its verify
# refused, each with its exact dmesg line.
. "$(dirname "$0")/lib/common.sh"

phase t40-start
# the headers' unit test, arm64 build
if $BUILD/test_bench_h >/tmp/tbh.out 2>&1; then
	ok bench-h-unit-arm64
else
	not_ok bench-h-unit-arm64 "$(grep -E '^FAIL|passed' /tmp/tbh.out | head -n 3 | tr '\n' ' ')"
fi
echo "test_bench_h (arm64): $(tail -n 1 /tmp/tbh.out)"

if ! dev=$(ivshmem_dev); then
	not_ok bench-ivshmem "no ivshmem device in L1"
	exit 0
fi
bdf=$(basename "$dev")

phase s2wc
# s2bench.ko, with no target, reads s2wc's stage 1 (debugfs s2bench/s1)
insmod $BUILD/s2bench.ko
B=/sys/kernel/debug/s2bench
echo 1 >"$dev/enable"
if $BUILD/s2wc --dev "$dev" --bar 2 --verify >/tmp/wc-verify.txt 2>&1; then :; fi
cp /tmp/wc-verify.txt $OUT/s2wc-verify.txt
verify_sane s2wc-verify /tmp/wc-verify.txt
if $BUILD/s2wc --dev "$dev" --bar 2 --verify --bytes 256 >/tmp/wc-verify256.txt 2>&1; then :; fi
cp /tmp/wc-verify256.txt $OUT/s2wc-verify-256.txt
verify_sane s2wc-verify-256 /tmp/wc-verify256.txt
phase s2wc-run
$BUILD/s2wc --dev "$dev" --bar 2 --pairs 5 --samples $OUT/s2wc-samples.txt >/tmp/wc-run.txt 2>&1 ||
	echo "note: s2wc exited $?: $(tail -n 2 /tmp/wc-run.txt | tr '\n' ' ')"
cp /tmp/wc-run.txt $OUT/s2wc-run.txt
$BUILD/s2stats $OUT/s2wc-samples.txt >$OUT/s2wc-figures.txt 2>&1 || echo "note: s2stats exited $?"
run_sane s2wc-run /tmp/wc-run.txt $OUT/s2wc-figures.txt 5
no_statistic s2wc-no-statistic /tmp/wc-run.txt
# s1_type FILE MAP: the type the stage-1 read found
s1_type() {
	sed -n "s/^s1\.$2=.* type=\([A-Za-z_]*\)\$/\1/p" "$1"
}
# resourceN_wc is pgprot_writecombine, resourceN pgprot_device
expect_eq s2wc-s1-read "NORMAL_NC DEVICE_nGnRE" \
	"$(s1_type /tmp/wc-run.txt wc) $(s1_type /tmp/wc-run.txt dev)"
expect_eq s2wc-pinned "0" "$(sed -n 's/^migrations=//p' /tmp/wc-run.txt)"
echo 0 >"$dev/enable"

phase s2bench
# target ERR NAME LINE DMESG: writing LINE fails with ERR, dmesg says DMESG
target_refused() {
	local out
	dmesg -C
	out=$(echo "$3" 2>&1 >$B/target)
	if echo "$out" | grep -q "$1" && dmesg | grep -qF -- "$4"; then
		ok "$2"
	else
		not_ok "$2" "write '$3': '$out'; dmesg: $(dmesg | tail -n 2 | tr '\n' ' ')"
	fi
}
target_refused "Invalid argument" bench-refuse-unaligned "$bdf 2 0x800" \
	"the window must start on a 4 KiB page boundary"
target_refused "Invalid argument" bench-refuse-short "$bdf 2 0 2048" \
	"the window must be one 4 KiB page or more"
target_refused "Invalid argument" bench-refuse-outside "$bdf 2 0xff000 0x2000" \
	"the window is not inside the BAR"
# a device with a driver bound: the root disk's virtio-pci function
vblk=$(basename "$(readlink -f /sys/block/vda/device/..)")
target_refused "Device or resource busy" bench-refuse-bound "$vblk 4 0" \
	"a driver is bound: unbind it, or add 'force'"
expect_eq bench-refused-no-target none "$(cat $B/target)"
rmmod s2bench

phase s2bench-testdev
# The rules for devices that are not known test devices, in dmesg exactly as
# the module words them, and QEMU's pci-testdev (1b36:0005, scripts/lab/boot-vm
# --testdev) as a known one.
# dmesg_count LINE: how many dmesg lines are LINE exactly (timestamp aside)
dmesg_count() {
	dmesg | sed 's/^\[[ 0-9.]*\] //' | grep -cxF -- "$1"
}
# win_desc DEV BAR: how a refusal names the window 0x0+0x1000 of DEV's BAR
win_desc() {
	local s e
	read -r s e _ <<<"$(sed -n "$(($2 + 1))p" "$1/resource")"
	printf '%s [%s:%s] BAR %u window 0x0+0x1000 (BAR size 0x%x)' "$(basename "$1")" \
		"$(sed 's/^0x//' "$1/vendor")" "$(sed 's/^0x//' "$1/device")" "$2" $((e - s + 1))
}
vdev=/sys/bus/pci/devices/$vblk
# a device that is not a test device (virtio), no offset named: insmod
# refused with EPERM and the rule's line
dmesg -C
if insmod $BUILD/s2bench.ko bdf="$vblk" bar=4 2>/tmp/insmod.err; then
	not_ok bench-refuse-no-offset "insmod with bdf=$vblk and no offset loaded"
	rmmod s2bench
else
	want="s2bench: $(win_desc "$vdev" 4): refused: not a known test device: name the offset (of a page you know +0x800-0x9ff of is safe to write (bench/README))"
	echo "expected: $want"
	expect_eq bench-refuse-no-offset "Operation not permitted | 1" \
		"$(grep -o 'Operation not permitted' /tmp/insmod.err | head -n 1) | $(dmesg_count "$want")"
fi
# verify (fills the whole page) on that device, its offset named and
# forced past its driver: refused with EPERM and the rule's line, before
# anything is written
insmod $BUILD/s2bench.ko
if echo "$vblk 4 0 4096 force" >$B/target; then
	dmesg -C
	out=$(echo verify 2>&1 >$B/run) && out="accepted"
	want="s2bench: $(win_desc "$vdev" 4), verify: refused: verify fills and reads back the whole page: test devices only (ivshmem 1af4:1110 or QEMU pci-testdev 1b36:0005)"
	echo "expected: $want"
	expect_eq bench-refuse-verify-not-test "Operation not permitted | 1" \
		"$(echo "$out" | grep -o 'Operation not permitted\|accepted' | head -n 1) | $(dmesg_count "$want")"
	echo none >$B/target
else
	not_ok bench-refuse-verify-not-test "target '$vblk 4 0 4096 force' refused: $(dmesg | tail -n 2 | tr '\n' ' ')"
fi
rmmod s2bench
# pci-testdev, no offset named: accepted at load (default offset 0), and
# verify allowed. Its BAR 0 is MMIO that keeps nothing: filling the page
# writes 0xa5 to its test register (+0x0), which only stops any test, and
# every read returns 0, so each sequence's verify fails exactly at +0x0.
if ! tdev=$(testdev_dev); then
	not_ok bench-testdev "no pci-testdev (1b36:0005) in L1"
else
	tbdf=$(basename "$tdev")
	dmesg -C
	if insmod $BUILD/s2bench.ko bdf="$tbdf" bar=0 2>/tmp/insmod.err; then
		start=$(sed -n 1p "$tdev/resource" | cut -d' ' -f1)
		expect_eq bench-testdev-default-offset "$tbdf 0 0x0 0x1000 | 1" \
			"$(cat $B/target) | $(dmesg_count "s2bench: target $tbdf BAR 0 window 0x0+0x1000 (phys $start)")"
		if echo verify >$B/run; then
			cp $B/results $OUT/s2bench-testdev-verify.txt
			expect_eq bench-testdev-verify "16 FAIL at +0x0: 0x00, want 0xa5 | 2 skipped" \
				"$(grep -c '^verify\.[a-z0-9-]*\.\(wc\|dev\)=FAIL at +0x0: 0x00, want 0xa5$' $B/results) FAIL at +0x0: 0x00, want 0xa5 | $(grep -c "^verify\.bf-st64b\.\(wc\|dev\)=skipped (no FEAT_LS64" $B/results) skipped"
		else
			not_ok bench-testdev-verify "echo verify > run failed: $(dmesg | tail -n 2 | tr '\n' ' ')"
		fi
		echo none >$B/target
		rmmod s2bench
	else
		not_ok bench-testdev-default-offset "$(cat /tmp/insmod.err); dmesg: $(dmesg | tail -n 2 | tr '\n' ' ')"
	fi
fi
insmod $BUILD/s2bench.ko

if echo "$bdf 2 0" >$B/target; then
	ok bench-target
	if echo verify >$B/run; then
		cp $B/results /tmp/b-verify.txt
		cp /tmp/b-verify.txt $OUT/s2bench-verify.txt
		verify_sane s2bench-verify /tmp/b-verify.txt
	else
		not_ok s2bench-verify "echo verify > run failed: $(dmesg | tail -n 2 | tr '\n' ' ')"
	fi
	if echo "verify bytes=256" >$B/run; then
		cp $B/results $OUT/s2bench-verify-256.txt
		verify_sane s2bench-verify-256 $OUT/s2bench-verify-256.txt
	else
		not_ok s2bench-verify-256 "echo 'verify bytes=256' > run failed: $(dmesg | tail -n 2 | tr '\n' ' ')"
	fi
	phase s2bench-run
	if echo "run 5" >$B/run; then
		cp $B/results /tmp/b-run.txt
		cp /tmp/b-run.txt $OUT/s2bench-run.txt
		cp $B/samples $OUT/s2bench-samples.txt
		$BUILD/s2stats $OUT/s2bench-samples.txt >$OUT/s2bench-figures.txt 2>&1 ||
			echo "note: s2stats exited $?"
		run_sane s2bench-run /tmp/b-run.txt $OUT/s2bench-figures.txt 5
		no_statistic s2bench-no-statistic /tmp/b-run.txt
		# the raw samples: a line per pair, case by case (bench/s2stats)
		n=$(grep -c '^[a-z0-9-]* [a-z]* [0-9]* [0-9]* [0-9]*$' $OUT/s2bench-samples.txt)
		want=$(($(grep -c '^[a-z0-9-]*\.serialized\.batch=' /tmp/b-run.txt) * 2 * 5))
		expect_eq s2bench-samples "$want $(sed -n 's/^target=//p' /tmp/b-run.txt)" \
			"$n $(sed -n 's/^target=//p' $OUT/s2bench-samples.txt)"
		expect_eq s2bench-irqs-off off "$(sed -n 's/^irqs=//p' /tmp/b-run.txt)"
		# as the code mirrored: the self-test's SIMD section per post (IRQs
		# on), rdma-core's Device side nGnRnE (pgprot_noncached)
		expect_eq s2bench-st1-irqs "on (preemption off)" \
			"$(sed -n 's/^seq\.bf-st1\.irqs=//p' /tmp/b-run.txt)"
		# the module's own mappings, read: ioremap_wc, ioremap, ioremap_np
		expect_eq s2bench-s1-read "NORMAL_NC DEVICE_nGnRE DEVICE_nGnRnE" \
			"$(s1_type /tmp/b-run.txt wc) $(s1_type /tmp/b-run.txt dev) $(s1_type /tmp/b-run.txt dev_np)"
		expect_eq s2bench-st4-device \
			"ioremap_np: Device-nGnRnE (rdma-core's non-WC UAR, pgprot_noncached)" \
			"$(sed -n 's/^seq\.bf-st4\.dev_mapping=//p' /tmp/b-run.txt)"
	else
		not_ok s2bench-run "echo 'run 5' > run failed: $(dmesg | tail -n 2 | tr '\n' ' ')"
	fi
	# pinned where asked, for the whole run
	last=$(($(nproc) - 1))
	echo "run 2 only=db-kernel cpu=$last" >$B/run
	expect_eq s2bench-pinned "$last 0" \
		"$(sed -n 's/^pinned_cpu=//p' $B/results) $(sed -n 's/^migrations=//p' $B/results)"
	# throughput: a kernel thread per CPU, each on its own page
	if echo "run 2 only=db-kernel threads=2" >$B/run 2>/dev/null; then
		not_ok s2bench-threads-need-pages "threads=2 ran on a one-page window"
	else
		dmesg | grep -qF "threads=2 posts to a page each: set a window of 2 pages" &&
			ok s2bench-threads-need-pages ||
			not_ok s2bench-threads-need-pages "$(dmesg | tail -n 1)"
	fi
	echo "$bdf 2 0 0x2000" >$B/target
	echo "run 2 only=db-kernel,bf-st1 threads=2" >$B/run
	cp $B/results $OUT/s2bench-throughput.txt
	cp $B/samples $OUT/s2bench-throughput-samples.txt
	$BUILD/s2stats $OUT/s2bench-throughput-samples.txt >/tmp/tput-fig.txt 2>&1
	# posts/s of both sides of both sequences, from s2stats
	tp=$(gawk -F= '/^(threads|db-kernel\.throughput\.threads|bf-st1\.throughput\.pairs)=/ { printf "%s ", $2 }
		/throughput\.run\.0\.(wc|dev)\.posts_per_s=/ { if ($2 + 0 > 0) n++ }
		END { printf "%d", n }' $B/results /tmp/tput-fig.txt)
	expect_eq s2bench-throughput "2 2 2 4" "$tp"
	echo "$bdf 2 0" >$B/target
	echo "run 2 only=bf-st1,db-rdma" >$B/run
	expect_eq s2bench-only "db-rdma bf-st1 " \
		"$(sed -n 's/^\([a-z0-9-]*\)\.serialized\.batch=.*/\1/p' $B/results | tr '\n' ' ')"
	echo none >$B/target
else
	not_ok bench-target "$(dmesg | tail -n 2 | tr '\n' ' ')"
fi
rmmod s2bench
phase t40-end
dmesg_clean bench-dmesg-clean
