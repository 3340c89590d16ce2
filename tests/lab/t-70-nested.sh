#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Nested virtualization (scripts/lab/run --nv: QEMU 10 with FEAT_NV2, L1 with
# kvm-arm.mode=nested). L1 starts a guest hypervisor L2 (Debian's 7.x, KVM at
# virtual EL2, by trixie-backports' QEMU 11 from the s2nv disk), which runs
# s2vmm as L3 (tests/lab/tools/nested-l2). While L3 is held, L1 reads the shadow
# stage 2 L1's KVM built for L3: upstream's nested/nested_mmuN (the perf and
# dbg kernels) and s2probe's <vm>/nested/. Known facts: two nested MMUs (one
# vCPU), one valid with stage 2 enabled, its VTCR what L2's KVM programs for a
# 40-bit 4K VM, its VTTBR's VMID 1 and a root table in L2's RAM, and exactly
# the four 4K pages L3 touched, with the permissions L2 gave them.
. "$(dirname "$0")/lib/common.sh"

if ! grep -qw 'kvm-arm.mode=nested' /proc/cmdline; then
	echo "t-70: skipped: L1 was not booted with kvm-arm.mode=nested (scripts/lab/run --nv)"
	exit 0
fi
# How long L2 holds L3 after saying ready: L1's reads below must end
# within it. They took 3 - 4 s with the reference kernel alone on the
# machine and 11.8 s beside another suite, past a 10 s hold (the cold
# make check-full of 2026-12-01): 60 s, of which L1 and L2 idle most.
HOLD=${NV_HOLD:-60}
N=$OUT/nested
mkdir -p $N/l2
phase nv-start
expect_eq nv-l1-kvm-mode "kvm [1]: VHE+NV2 mode initialized successfully" \
	"$(dmesg | grep -o 'kvm \[1\]: VHE+NV2 mode initialized successfully' | head -n 1)"
# what scripts/lab/vm/init tells every test about this machine
expect_eq nv-machine-file "VHE yes" "$(machine kvm_mode) $(machine kvm_nv)"

nvdev=$(blkid -L s2nv 2>/dev/null) || { not_ok nv-disk "no disk labelled s2nv (scripts/lab/qemu)"; exit 0; }
mkdir -p /tmp/nv
busybox mount -t ext4 -o ro "$nvdev" /tmp/nv || { not_ok nv-disk "cannot mount $nvdev"; exit 0; }
ok nv-disk
echo "L1 runs L2 with $(/tmp/nv/qemu-system-aarch64 --version 2>/dev/null | head -n 1)"

puts=(--put "$BUILD/s2vmm:s2vmm" --put "$LAB/tests/tools/nested-l2:nested-l2")
[ -e $LAB/l2/s2probe.ko ] && puts+=(--put "$LAB/l2/s2probe.ko:s2probe.ko")
$LAB/bin/l2 --el2 --qemu /tmp/nv/qemu-system-aarch64 --timeout 500 --out $N/l2 \
	"${puts[@]}" -- bash /job/nested-l2 --hold "$HOLD" >$N/l2.run 2>&1 &
l2=$!
if ! wait_for $N/l2/console.log '^S2NV: ready' 480; then
	not_ok nv-l2-ready "no 'S2NV: ready' from L2: $(grep -a 'S2NV\|S2LAB' $N/l2/console.log | tail -n 3 | tr '\n' ' ')"
	kill $l2 2>/dev/null
	wait $l2 2>/dev/null
	exit 0
fi
phase nv-l3-ready
ok nv-l2-ready

# While L3 is held: L1's one VM (L2), upstream's dumps (kernels with
# CONFIG_PTDUMP_STAGE2_DEBUGFS: <vm>/nested/) and s2probe's views. The
# upstream dumps are read twice around s2probe's.
K=/sys/kernel/debug/kvm
vms=$(for d in $K/[0-9]*-[0-9]*; do [ -d "$d" ] && basename "$d"; done)
vm=$(echo $vms | cut -d' ' -f1)
expect_eq nv-one-vm 1 "$(echo $vms | wc -w)"
upstream=0
[ -n "$vm" ] && [ -e $K/$vm/nested/nested_mmu0 ] && upstream=1
load_s2probe
V=$DBG/$vm
# (opening vms rescans: the VM's directory exists from then on)
cat $DBG/vms >$N/l1-vms
if [ -n "$vm" ]; then
	ls $K/$vm/nested >$N/nested.ls 2>/dev/null
	for f in $K/$vm/nested/nested_mmu*; do
		[ -e "$f" ] && cat "$f" >"$N/up1.${f##*/}"
	done
	for f in ranges pages summary; do
		cat $V/$f >$N/l1-$f 2>/dev/null
	done
	if [ -d $V/nested ]; then
		cat $V/nested/mmus >$N/s2p-mmus
		for d in $V/nested/*/; do
			[ -d "$d" ] || continue
			n=$(basename "$d")
			for f in pages ranges summary effective; do
				cat "$d/$f" >"$N/s2p-$n-$f" 2>/dev/null
			done
		done
	fi
	for f in $K/$vm/nested/nested_mmu*; do
		[ -e "$f" ] && cat "$f" >"$N/up2.${f##*/}"
	done
fi
phase nv-read
# every read above saw L3 held, or the comparisons below mean nothing
if grep -aq '^S2NV: done' $N/l2/console.log; then
	not_ok nv-read-while-held "L3 ended before L1's reads did (hold ${HOLD} s: NV_HOLD too short for this machine's load)"
else
	ok nv-read-while-held
fi
for f in $N/up2.nested_mmu*; do
	[ -e "$f" ] || continue
	echo "--- upstream ${f##*/up2.} (L1, while L3 is held)"
	cat "$f"
done
wait $l2
rc=$?
phase nv-l2-done
expect_eq nv-l2-exit 0 "$rc"
[ "$rc" = 0 ] || tail -n 20 $N/l2.run

# L2: a guest hypervisor, KVM in VHE mode at virtual EL2
grep -a '^S2NV: ' $N/l2/console.log | grep -v '^S2NV: l3: ' | tr -d '\r'
s2nv() { grep -a "^S2NV: $1" $N/l2/stdout | head -n 1 | sed "s/^S2NV: $1//"; }
expect_eq nv-l2-at-el2 "CPU: All CPU(s) started at EL2" "$(s2nv 'l2-el: ' | sed 's/^\[[ 0-9.]*\] //')"
expect_eq nv-l2-kvm-mode "kvm [1]: VHE mode initialized successfully" \
	"$(s2nv 'l2-kvm: ' | sed 's/^\[[ 0-9.]*\] //')"
l3=$N/l2/vmm.out
check nv-l3-ran grep -q '^S2VMM ready' $l3
# L3's IPA size as s2probe in L2 sees it (vms: name pid fd comm ipa_bits ...)
ipa_bits=$(awk '$1 !~ /^#/ { print $5; exit }' $N/l2/l2-vms 2>/dev/null)
l2ipa=$(s2nv 'l2-ipa-limit: ' | sed -n 's/.*IPA Size Limit: \([0-9]*\) bits.*/\1/p')
# With CTR_EL0.DIC (QEMU 10's -cpu max has it, 7.2's not) KVM maps every
# normal page executable; a shadow page is executable only if L2's is too.
dic="Instruction cache invalidation not required for I/D coherence"
x1=xn x2=xn
dmesg | grep -q "$dic" && x1=x
grep -q "$dic" $N/l2/dmesg 2>/dev/null && x2=x
xs=xn
[ "$x1/$x2" = x/x ] && xs=x
echo "note: DIC in L1: $x1, in L2: $x2 (x: data pages executable); L3 IPA bits ${ipa_bits:-?}, L2's IPA limit ${l2ipa:-?}"

# The nested MMUs: two per vCPU (L2 has one), files from the vCPU's init on.
if [ "$upstream" = 1 ]; then
	expect_eq nv-nested-files "nested_mmu0 nested_mmu1" "$(tr '\n' ' ' <$N/nested.ls | sed 's/ $//')"
	# valid ones print a VTCR line first; one is L3's, with stage 2 on
	valid=$(grep -l '^VTCR: ' $N/up2.nested_mmu* 2>/dev/null | sed 's/.*up2\.nested_mmu//' | tr '\n' ' ')
	en=$(grep -l '^VTCR: .* s2: enabled$' $N/up2.nested_mmu* 2>/dev/null | sed 's/.*up2\.nested_mmu//')
	echo "note: valid nested MMUs: ${valid:-none}; stage 2 enabled: ${en:-none}"
	# mmu0: L2's kernel at vEL1 with HCR_EL2.VM clear, early in its boot (it
	# drops from EL2 to EL1 and back for VHE): VTTBR and VTCR at reset, its
	# table L2's own memory 1:1. mmu1: L3, the next slot (round robin).
	expect_eq nv-mmus-state "0:VTTBR: 0x0000000000000000 s2: disabled 1:s2: enabled" \
		"$(for f in $N/up2.nested_mmu*; do
			printf '%s:%s ' "${f##*nested_mmu}" "$(sed -n '1s/^VTCR: 0x[0-9a-f]* \(VTTBR: 0x0*\) /\1 /p; 1s/^VTCR: .* VTTBR: .*[1-9a-f][0-9a-f]* \(s2: .*\)/\1/p' "$f" | head -n 1)"
		done | sed 's/ $//')"
	expect_eq nv-one-enabled-mmu 1 "$(echo $en | wc -w)"
	# With stage 2 off, L2's IPA is its PA: each leaf of that shadow is the
	# leaf L1's KVM has at the same IPA for L2 (s2probe's canonical pages,
	# read right after it), the same size and permissions. The canonical
	# table has more (what L2 touched later): only those may differ.
	if grep -q '^VTCR: .* s2: disabled$' $N/up2.nested_mmu0 && [ -s $N/l1-pages ]; then
		sed '1d' $N/up2.nested_mmu0 >$N/up.mmu0
		$LAB/tests/tools/peer-compare --granule 4K --max 3 $N/up.mmu0 $N/l1-pages >$N/mmu0.cmp 2>&1
		sed -n 's/^peer: \([0-9]*\) leaves equal, \([0-9]*\) differ, \([0-9]*\) upstream-only, .*/\1 \2 \3/p; s/^peer: \([0-9]*\) leaves equal (.*/\1 0 0/p' \
			$N/mmu0.cmp >$N/mmu0.counts
		read -r eq df uo <$N/mmu0.counts || true
		echo "note: mmu0 (stage 2 off): ${eq:-?} leaves, each also L1's canonical leaf"
		if [ "${df:-x}/${uo:-x}" = 0/0 ] && [ "${eq:-0}" -gt 0 ]; then
			ok nv-mmu0-identity
		else
			grep -v '^peer: ' $N/mmu0.cmp | head -n 6
			not_ok nv-mmu0-identity "equal/differ/upstream-only: ${eq:-?}/${df:-?}/${uo:-?}"
		fi
	fi
	n=$(echo $en | cut -d' ' -f1)
	up=$N/up2.nested_mmu$n
	if [ -n "$n" ]; then
		vtcr=$(sed -n '1s/^VTCR: \(0x[0-9a-f]*\) .*/\1/p' $up)
		vttbr=$(sed -n '1s/.* VTTBR: \(0x[0-9a-f]*\) .*/\1/p' $up)
		# VTCR_EL2 as L2's KVM (kvm_get_vtcr) sets it for L3's VM: T0SZ =
		# 64 - IPA bits, SL0 1 (start level 1 at 4K for 40 bits), IRGN0 and
		# ORGN0 write-back (1), SH0 inner shareable (3), TG0 4K (0), PS L2's
		# PARange (its "IPA Size Limit"), RES1 bit 31.
		# VS (16-bit VMIDs) and HA (hardware Access flag) as L2's CPU has
		# them (QEMU's max has both); no other bit (DS: L2 has no LPA2 at
		# stage 2, its IPA limit is 48).
		ps=""
		case "$l2ipa" in 32) ps=0 ;; 36) ps=1 ;; 40) ps=2 ;; 42) ps=3 ;; 44) ps=4 ;; 48) ps=5 ;; 52) ps=6 ;; esac
		want="t0sz=$((64 - ${ipa_bits:-0})) sl0=1 irgn0=1 orgn0=1 sh0=3 tg0=0 ps=$ps vs=1 ha=1 res1=1 other=0"
		got=$(gawk -v v="$vtcr" 'BEGIN { x = strtonum(v)
			printf "t0sz=%d sl0=%d irgn0=%d orgn0=%d sh0=%d tg0=%d ps=%d vs=%d ha=%d res1=%d other=%d",
				and(x, 0x3f), and(rshift(x, 6), 3), and(rshift(x, 8), 3), and(rshift(x, 10), 3),
				and(rshift(x, 12), 3), and(rshift(x, 14), 3), and(rshift(x, 16), 7),
				and(rshift(x, 19), 1), and(rshift(x, 21), 1), and(rshift(x, 31), 1),
				and(x, compl(or(0xfffff, or(lshift(1, 21), lshift(1, 31))))) != 0 }')
		expect_eq nv-vtcr-fields "$want" "$got"
		# VTTBR_EL2: VMID 1 (L2's first VM), CnP clear, the root table
		# (two concatenated level-1 tables for 40 bits: 8K aligned) in
		# L2's RAM (scripts/lab/boot-vm: 512M at 0x40000000).
		got=$(gawk -v v="$vttbr" 'BEGIN { x = strtonum(v); b = and(x, 0xfffffffffffe)
			printf "vmid=%d cnp=%d align8k=%d in-ram=%d", rshift(x, 48), and(x, 1),
				b % 8192 == 0, b >= 0x40000000 && b < 0x60000000 }')
		expect_eq nv-vttbr-fields "vmid=1 cnp=0 align8k=1 in-ram=1" "$got"
		# The shadow maps exactly what L3 touched, as L2 mapped it (IPA,
		# level, size, R, W, XN, AF, block): compared leaf by leaf with
		# peer-compare against the expected leaves written as pages lines.
		cat >$N/want.pages <<EOW
0x0000000040000000 L3 map=4K desc=- pa=- NORMAL_WB RW x - AF - sw=-
0x0000000040100000 L3 map=4K desc=- pa=- NORMAL_WB RW $xs - AF - sw=-
0x0000000040300000 L3 map=4K desc=- pa=- NORMAL_WB RW $xs - AF - sw=-
0x0000000040500000 L3 map=4K desc=- pa=- NORMAL_WB R- $xs - AF - sw=-
EOW
		sed '1d' $up >$N/up.shadow
		if $LAB/tests/tools/peer-compare --granule 4K $N/up.shadow $N/want.pages >$N/shadow.cmp 2>&1; then
			ok nv-shadow-leaves
		else
			cat $N/shadow.cmp
			not_ok nv-shadow-leaves "$(grep -m1 '^peer: first: ' $N/shadow.cmp || head -n 1 $N/shadow.cmp)"
		fi
		cmp -s $N/up1.nested_mmu$n $up || echo "note: nested_mmu$n changed while it was read"
	fi
else
	echo "note: no upstream nested_mmuN (kernel without CONFIG_PTDUMP_STAGE2_DEBUGFS): use --kernel dbg or perf"
fi

# L2's own view of L3 (s2probe in L2): the same four pages. FWB and the
# shareability column follow L2's CPU as L1's KVM presents it.
if [ -s $N/l2/l2-pages ]; then
	awk '{ print $1, $2, $3, $7, $8 }' $N/l2/l2-pages >$N/l2-got
	expect_eq nv-l2-table "0x0000000040000000 L3 map=4K RW x
0x0000000040100000 L3 map=4K RW $x2
0x0000000040300000 L3 map=4K RW $x2
0x0000000040500000 L3 map=4K R- $x2" "$(cat $N/l2-got)"
else
	not_ok nv-l2-table "no s2probe pages from L2 (s2probe.ko for L2's kernel not built?)"
fi

# s2probe's nested views (the module side): tests/lab/lib/nested.sh
V_NESTED=$V/nested
. "$(dirname "$0")/lib/nested.sh"
unload_s2probe
busybox umount /tmp/nv 2>/dev/null
dmesg_clean nv-dmesg-clean
