# SPDX-License-Identifier: GPL-2.0
# Helpers for the lab tests; sourced by tests/lab/t-*.sh inside L1.
# A test reports with `ok NAME` / `not_ok NAME REASON`; lines start with S2TEST:.

LAB=/job/lab
BUILD=$LAB/build
DBG=/sys/kernel/debug/s2probe
OUT=/job/out

ok() {
	echo "S2TEST: PASS $1"
}

not_ok() {
	echo "S2TEST: FAIL $1: $2"
}

# check NAME CMD...: ok if CMD succeeds.
check() {
	local name=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		ok "$name"
	else
		not_ok "$name" "$(tail -n 3 /tmp/check.out | tr '\n' ' ')"
	fi
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "want '$2', got '$3'"
	fi
}

# phase NAME: a time stamp in the log, to see where a test spends its time.
phase() {
	echo "--- $1 at $(cut -d' ' -f1 /proc/uptime)s"
}

machine() {
	sed -n "s/^$1=//p" $OUT/machine
}

# size_name BYTES: a size as s2probe names it (4K, 16K, 2M, 32M, 512M, ...).
size_name() {
	awk -v v="$1" 'BEGIN { split("B K M G T P E", u, " "); i = 1
		while (v > 0 && v % 1024 == 0 && i < 7) { v /= 1024; i++ }
		printf "%d%s\n", v, u[i] }'
}

# granule_init: the host's page size, which is KVM's stage-2 granule, and
# what follows from it (Arm ARM D8.2, VMSAv8-64 translation granules: a
# table holds PG/8 descriptors, so an entry at level L maps
# PG * (PG/8)^(3-L) bytes). Sets PG (bytes), PG_SHIFT, PGN (its name), BLK
# (the level-2 block: 2M, 32M, 512M, also the host's PMD and THP size),
# BLKN. The root image has no getconf: s2vmm --caps reports the page size.
granule_init() {
	PG=$(($($BUILD/s2vmm --caps | sed -n 's/.* page=\(0x[0-9a-f]*\).*/\1/p')))
	case "$PG" in
	4096) PG_SHIFT=12 ;;
	16384) PG_SHIFT=14 ;;
	65536) PG_SHIFT=16 ;;
	*) echo "note: granule_init: page size '$PG' from s2vmm --caps is not 4K, 16K or 64K"
		PG_SHIFT=12 ;;
	esac
	BLK=$((PG * (PG / 8)))
	PGN=$(size_name $PG)
	BLKN=$(size_name $BLK)
}

# start_level IPA_BITS: the first lookup level of KVM's stage 2 for that IPA
# size at this granule: up to 16 tables are concatenated at the first level
# (Arm ARM D8.2.6), so KVM uses ARM64_HW_PGTABLE_LEVELS(IPA_BITS - 4) =
# (IPA_BITS - 8) / (PG_SHIFT - 3) levels (stage2_pgtable_levels()), and
# starts at 4 - levels (40 bits: 1 at 4K, 2 at 16K and 64K; 52 bits: 0 at
# 4K and 16K, with LPA2, 1 at 64K, with FEAT_LPA).
start_level() {
	local lv=$((($1 - 8) / (PG_SHIFT - 3)))
	[ $lv -ge 2 ] || lv=2	# kvm_get_vtcr: at least 2 levels
	echo $((4 - lv))
}

# pci_dev VENDOR DEVICE: the first PCI function with those IDs, as a sysfs
# directory
pci_dev() {
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# The ivshmem device QEMU gives L1 (1 MiB BAR2), as a sysfs directory.
ivshmem_dev() {
	pci_dev 0x1af4 0x1110
}

# QEMU's pci-testdev that scripts/lab/run gives L1 (scripts/lab/boot-vm --testdev, 0000:00:1f.0)
testdev_dev() {
	pci_dev 0x1b36 0x0005
}

# win FILE START LEN: FILE (a view) read through a window of its own,
# [START, START+LEN): s2win sets it on its open file (SEEK_DATA, SEEK_HOLE)
win() {
	$BUILD/s2win --start "$2" --len "$3" "$1"
}

load_s2probe() {
	lsmod | grep -q '^s2probe ' || insmod $BUILD/s2probe.ko "$@"
}

unload_s2probe() {
	if lsmod | grep -q '^s2probe '; then rmmod s2probe; fi
}

# dmesg_clean NAME: no oops or BUG, and no WARNING whose call trace runs through
# s2probe (s2p_*) or s2bench (s2b_*). Other warnings are printed, not failed:
# KVM under QEMU's emulation warns on its own (seen: kvm_vcpu_load_debug).
# On the reference kernel (lockdep, KASAN: see refkernel_splats) any splat
# fails unless REFKERNEL_ALLOWED lists it.
dmesg_clean() {
	local bad ours
	dmesg >/tmp/dmesg.now
	bad=$(grep -E 'Oops|BUG:|KASAN|UBSAN|possible circular locking|general protection' \
		/tmp/dmesg.now | head -n 3)
	if refkernel; then
		bad=$(refkernel_splats /tmp/dmesg.now | head -n 3)
	fi
	ours=$(awk '/cut here/ { w = 1; hit = 0; first = "" }
		w && first == "" && /WARNING:/ { first = $0 }
		w && /(^|[ \t])s2[pb]_[a-z0-9_]+\+0x/ { hit = 1 }
		/end trace/ { if (w && hit) print first; w = 0 }' /tmp/dmesg.now | head -n 3)
	grep -E 'WARNING:' /tmp/dmesg.now | sed 's/^/note: kernel warning: /' | head -n 3
	if [ -z "$bad$ours" ]; then
		ok "$1"
	else
		# the first splat, to see what it was from the suite's log
		grep -n -m1 -F -- "$(printf '%s\n' "$bad" "$ours" | grep -v '^$' | head -n 1)" \
			/tmp/dmesg.now | cut -d: -f1 | while read -r n; do
			sed -n "$n,$((n + 40))p" /tmp/dmesg.now | sed 's/^/note: splat: /'
		done
		not_ok "$1" "$(echo "$bad $ours" | tr '\n' ' ')"
	fi
}

# wait_for FILE PATTERN SECONDS: wait until FILE has a line matching PATTERN.
wait_for() {
	local n=0
	while [ $n -lt $(($3 * 10)) ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# vmm_start NAME OUT ARGS...: start the test VMM ($BUILD/s2vmm ARGS, its
# pid in $vmm, its output in OUT) and wait until its guest is ready; else
# not_ok NAME with the VMM's last words, stop it and return 1.
vmm_start() {
	local name=$1 out=$2
	shift 2
	$BUILD/s2vmm "$@" >"$out" 2>&1 &
	vmm=$!
	wait_for "$out" 'S2VMM ready' 60 && return 0
	not_ok "$name" "$(tail -n 3 "$out" | tr '\n' ' ')"
	kill $vmm 2>/dev/null
	return 1
}

# vmm_vm OUT: the VM (<pid>-<fd>) of the last "S2VMM vm" line in OUT
vmm_vm() {
	sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\1-\2/p' "$1" | tail -n 1
}

# freeze PID: stop every thread of a VMM (SIGSTOP) and wait until each one
# is stopped. KVM maps guest memory in stage 2 only when a running vCPU
# faults, so the guest's stage 2 then holds still (only the host's own mm
# work, reclaim or khugepaged, could still unmap). Returns 1 if a thread
# has not stopped within 10 s. thaw PID lets it run again.
freeze() {
	local n=0
	kill -STOP "$1" || return 1
	while grep -h '^State:' /proc/"$1"/task/*/status 2>/dev/null | grep -qv 'T (stopped)'; do
		[ $n -lt 100 ] || return 1
		sleep 0.1
		n=$((n + 1))
	done
}

thaw() {
	kill -CONT "$1"
}

# read_still NAME WHAT REF OTHER REF_OUT OTHER_OUT: REF, OTHER and REF again
# (REF_OUT.1, OTHER_OUT, REF_OUT) until the two reads of REF agree, so the
# VM held still while OTHER was read; up to 3 more times. A failed read or
# a VM that never holds still is not_ok NAME (WHAT names REF), and 1.
read_still() {
	local name=$1 what=$2 ref=$3 other=$4 rout=$5 oout=$6 n=0
	while :; do
		if ! { cat "$ref" >"$rout.1" && cat "$other" >"$oout" && cat "$ref" >"$rout"; } \
			2>"$rout.err"; then
			not_ok "$name" "read failed: $(head -n 2 "$rout.err" | tr '\n' ' ')"
			return 1
		fi
		cmp -s "$rout.1" "$rout" && return 0
		n=$((n + 1))
		if [ $n -gt 3 ]; then
			not_ok "$name" "$what changed across every read ($n tries)"
			return 1
		fi
		echo "note: $name: $what changed during the read, again ($n)"
	done
}

# peer_check NAME S2PROBE_VMDIR KVM_VMDIR: s2probe's pages against upstream's
# stage-2 ptdump (CONFIG_PTDUMP_STAGE2_DEBUGFS), leaf by leaf, with
# peer-compare. Silent when the kernel has no KVM_VMDIR/stage2_page_tables.
# The upstream file is read before and after s2probe's: if the two differ
# the VM was changing, and all three are read again (up to 3 more times).
peer_check() {
	local name=$1 up=$3/stage2_page_tables pg=$2/pages t=/tmp/peer-$1 g rc=0
	local gran=()
	[ -e "$up" ] || return 0
	read_still "peer-$name" "upstream stage2_page_tables" "$up" "$pg" "$t.up2" "$t.pages" ||
		return 0
	# KVM's stage-2 granule is the host's page size (the root image has no
	# getconf: s2vmm --caps says it).
	g=$($BUILD/s2vmm --caps | sed -n 's/.* page=\(0x[0-9a-f]*\).*/\1/p')
	case "$((g))" in 4096 | 16384 | 65536) gran=(--granule "$((g))") ;; esac
	"$LAB/tests/tools/peer-compare" "${gran[@]}" "$t.up2" "$t.pages" >"$t.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		grep '^peer: ' "$t.out"
		ok "peer-$name"
		return 0
	fi
	head -n 30 "$t.out"
	cp "$t.up2" "$OUT/peer-$name.upstream" 2>/dev/null
	cp "$t.pages" "$OUT/peer-$name.pages" 2>/dev/null
	if [ "$rc" = 1 ]; then
		not_ok "peer-$name" "$(sed -n 's/^peer: first: //p' "$t.out" | head -n 1)"
	else
		not_ok "peer-$name" "peer-compare exit $rc: $(head -n 2 "$t.out" | tr '\n' ' ')"
	fi
}

# ptdump_check NAME S2PROBE_VMDIR KVM_VMDIR: s2probe's ptdump against
# upstream's stage2_page_tables (CONFIG_PTDUMP_STAGE2_DEBUGFS) byte for byte,
# with cmp. Upstream's file is read before and after s2probe's: if the two
# differ the VM was changing, and all three are read again (up to 3 more
# times). Silent when the kernel has no KVM_VMDIR/stage2_page_tables.
ptdump_check() {
	local name=$1 up=$3/stage2_page_tables pd=$2/ptdump t=/tmp/ptdump-$1
	[ -e "$up" ] || return 0
	read_still "ptdump-$name" "upstream stage2_page_tables" "$up" "$pd" "$t.up2" "$t.s2p" ||
		return 0
	if cmp "$t.up2" "$t.s2p" >"$t.cmp" 2>&1; then
		echo "ptdump-$name: cmp equal: $(wc -l <"$t.s2p") lines, $(wc -c <"$t.s2p") bytes"
		ok "ptdump-$name"
		return 0
	fi
	diff "$t.up2" "$t.s2p" 2>&1 | head -n 12
	cp "$t.up2" "$OUT/ptdump-$name.upstream" 2>/dev/null
	cp "$t.s2p" "$OUT/ptdump-$name.s2probe" 2>/dev/null
	not_ok "ptdump-$name" "cmp: $(head -n 1 "$t.cmp")"
}

# ptdump_tiles FILE IPA_BITS: the first thing wrong with FILE as a ptdump
# of a whole IPA space of IPA_BITS (nothing if it is right): the header,
# then lines of upstream's format, each starting where the previous one
# ended, from 0 to 2^IPA_BITS. POSIX awk (mawk has no {n} intervals).
ptdump_tiles() {
	awk -v end="$(printf '0x%016x' $((1 << $2)))" '
	BEGIN { for (i = 0; i < 16; i++) h = h "[0-9a-f]"
		re = "^0x" h "-0x" h "   [ 0-9][ 0-9][ 0-9][ 0-9][ 0-9][ 0-9][ 0-9][ 0-9][0-9]+[KMGTPE] [0-3]" \
			"((  | F) [R ] [W ] (px ux |PXNux |PXNUXN|px UXN) (AF|  ) (BLK|   ))?$"
		prev = "0x0000000000000000" }
	NR == 1 { if ($0 != "---[ Guest IPA ]---") { print "line 1: " $0; bad = 1; exit }; next }
	$0 !~ re { print "line " NR ", format: " $0; bad = 1; exit }
	{ split($1, r, "-"); if (r[1] != prev) { print "line " NR ", not at " prev ": " $0; bad = 1; exit }
	  prev = r[2] }
	END { if (!bad && prev != end) print "last line ends at " prev ", not " end }' "$1" | head -n 1
}

# ptdump_clip START END <FILE: a whole-space ptdump as s2probe shows it
# through the window [START, END): the header, then the lines that overlap
# the window, cut at its edges, their sizes as note_page() computes them
# ((end - start) >> 10, then K..E while it divides). gawk: hex arithmetic.
ptdump_clip() {
	gawk -v S="$1" -v E="$2" '
	BEGIN { S = strtonum(S); E = strtonum(E) }
	NR == 1 { print; next }
	{ split($1, r, "-"); s = strtonum(r[1]); e = strtonum(r[2])
	  if (e <= S || s >= E) next
	  if (s < S) s = S
	  if (e > E) e = E
	  d = int((e - s) / 1024); u = 1
	  while (d % 1024 == 0 && u < 6) { d = d / 1024; u++ }
	  rest = substr($0, index($0, $2) + length($2))
	  printf "0x%016x-0x%016x   %9d%s%s\n", s, e, d, substr("KMGTPE", u, 1), rest }'
}

# ptdump_sane NAME S2PROBE_VMDIR: on every kernel, s2probe's ptdump of a VM
# that holds still: the header, then lines of upstream's format that tile
# [0, 2^ipa_bits) in order, standing for exactly the leaves of pages (leaf
# by leaf, with peer-compare, which reads upstream's format).
ptdump_sane() {
	local name=$1 v=$2 t=/tmp/ptdsane-$1 bits g bad ws we rc=0
	local gran=()
	# pages before and after ptdump: the comparison needs tables that held
	# still. The host may still change an idle VM's (the MMU notifier's
	# aging clears AF where the CPU has no hardware AF): read again.
	read_still "ptdump-sane-$name" pages "$v/pages" "$v/ptdump" "$t.pages" "$t.ptd" || return 0
	if ! cat "$v/summary" >"$t.sum" 2>"$t.err"; then
		not_ok "ptdump-sane-$name" "read failed: $(head -n 2 "$t.err" | tr '\n' ' ')"
		return 0
	fi
	bits=$(sed -n 's/^ipa_bits=//p' "$t.sum")
	bad=$(ptdump_tiles "$t.ptd" "$bits")
	g=$($BUILD/s2vmm --caps | sed -n 's/.* page=\(0x[0-9a-f]*\).*/\1/p')
	case "$((g))" in 4096 | 16384 | 65536) gran=(--granule "$((g))") ;; esac
	"$LAB/tests/tools/peer-compare" "${gran[@]}" "$t.ptd" "$t.pages" >"$t.out" 2>&1 || rc=$?
	# a window from half a page into the first leaf to 100 bytes past
	# three more pages: the whole dump's lines cut at its edges
	ws=$(awk 'NR == 1 { print $1 }' "$t.pages")
	if [ -z "$bad" ] && [ -n "$ws" ]; then
		ws=$((ws + g / 2))
		we=$((ws + 3 * g + 100))
		win "$v/ptdump" "$ws" $((we - ws)) >"$t.win" 2>&1
		ptdump_clip "$ws" "$we" <"$t.ptd" >"$t.winwant"
		cmp -s "$t.winwant" "$t.win" ||
			bad="window [$(printf '0x%x' $ws), $(printf '0x%x' $we)): $(diff "$t.winwant" "$t.win" 2>&1 | grep '^[-+<>]' | head -n 2 | tr '\n' ' ')"
	fi
	if [ -z "$bad" ] && [ "$rc" = 0 ]; then
		echo "ptdump-sane-$name: $(wc -l <"$t.ptd") lines; $(grep '^peer: ' "$t.out"); window: $(($(wc -l <"$t.win") - 1)) lines"
		ok "ptdump-sane-$name"
		return 0
	fi
	head -n 20 "$t.ptd"
	head -n 10 "$t.out"
	cp "$t.ptd" "$OUT/ptdump-sane-$name.ptdump" 2>/dev/null
	cp "$t.pages" "$OUT/ptdump-sane-$name.pages" 2>/dev/null
	not_ok "ptdump-sane-$name" "${bad:-peer-compare exit $rc: $(grep -m1 '^peer: first: ' "$t.out" || head -n 1 "$t.out")}"
}

# refkernel: the running kernel is the lab's reference kernel (series dbg,
# scripts/lab/refkernel): built with KASAN, which Debian's kernels are not.
# The root image has no gzip package: busybox's zcat reads the config.
refkernel() {
	[ -r /proc/config.gz ] && busybox zcat /proc/config.gz | grep -q '^CONFIG_KASAN=y$'
}

# Splats the reference kernel may print, by exact text: a fixed string that
# must occur in the report's first line. One per line: TEXT|WHY.
# Empty: none has been seen. The warning Debian's kernels were seen to print
# under nested KVM, in kvm_vcpu_load_debug, is arch/arm64/kvm/debug.c:157 in
# 7.3, KVM_BUG_ON(vcpu_get_flag(vcpu, SYSREGS_ON_CPU)): it also marks the VM
# bugged, so it is no emulation-only noise to allow unseen; it did not appear
# in the dbg suites on either CPU (2026-11-25).
REFKERNEL_ALLOWED=''

# refkernel_splats FILE: the first lines of the debug reports in a kernel log
# (lockdep, RCU, might_sleep, KASAN "BUG: KASAN", any WARNING or BUG) that REFKERNEL_ALLOWED
# does not list; the allowed ones are printed as notes on stderr.
refkernel_splats() {
	local line text why allowed
	grep -E 'WARNING:|BUG:|Oops|kernel BUG|UBSAN:|general protection|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|Invalid wait context|DEBUG_LOCKS_WARN_ON' \
		"$1" | while IFS= read -r line; do
		allowed=""
		while IFS='|' read -r text why; do
			[ -n "$text" ] || continue
			case "$line" in *"$text"*) allowed=$why; break ;; esac
		done <<EOT
$REFKERNEL_ALLOWED
EOT
		if [ -n "$allowed" ]; then
			echo "note: allowed on the reference kernel ($allowed): $line" >&2
		else
			printf '%s\n' "$line"
		fi
	done
}

# dmesg_boot_clean NAME: the whole boot's kernel log, once per suite (t-00),
# with dmesg_clean's rules (strict ones on the reference kernel).
dmesg_boot_clean() {
	if refkernel; then
		echo "kernel $(uname -r) is the reference kernel: any debug splat fails"
	fi
	dmesg_clean "$1"
}

# ---- the bench (t-40, t-50) ----
# bench/s2wr.h's arm64 sequences, in output order
SEQS="db-kernel db-rdma bf-str-loop bf-str-block bf-stp-x bf-stp-q bf-st1 bf-st4 bf-st64b"
# QEMU (bookworm's 7.2) has no FEAT_LS64: ST64B must be skipped, and say so
ST64B_SKIP="skipped (no FEAT_LS64"


# verify_sane NAME FILE: every sequence and mapping ok, ST64B skipped
verify_sane() {
	expect_eq "$1" "" "$(gawk -v seqs="$SEQS" -v skip="$ST64B_SKIP" '
		/^verify\./ { i = index($0, "="); v[substr($0, 1, i - 1)] = substr($0, i + 1) }
		END {
			n = split(seqs, S, " ")
			for (i = 1; i <= n; i++)
				for (m = 0; m < 2; m++) {
					k = "verify." S[i] "." (m ? "dev" : "wc")
					if (v[k] == "ok" || (S[i] == "bf-st64b" && index(v[k], skip) == 1))
						continue
					bad = bad " " substr(k, 8) "=" v[k]
				}
			print substr(bad, 2)
		}' "$2")"
}

# run_sane NAME RESULTS STATS PAIRS: every figure of every sequence that ran
# (RESULTS: the tool's keys; STATS: bench/s2stats on the run's samples, run
# 0), in one awk (a process per key costs seconds under emulation): each
# side's min <= median <= p99, the interval holds the ratio, PAIRS pairs,
# the batch size the tool used
run_sane() {
	expect_eq "$1" "" "$(gawk -v seqs="$SEQS" -v pairs="$4" -F= '
		/^[a-z0-9_.-]+=/ { v[FILENAME == ARGV[1] ? "r" : "s", $1] = substr($0, length($1) + 2) }
		END {
			n = split(seqs, S, " ")
			for (i = 1; i <= n; i++) {
				s = S[i]
				if ((("r", "seq." s ".skipped") in v)) {
					if (s != "bf-st64b")
						bad = bad " " s "(skipped)"
					continue
				}
				for (c = 0; c < 2; c++) {
					k = s "." (c ? "readback" : "serialized")
					kr = k ".run.0"
					for (m = 0; m < 2; m++) {
						km = kr "." (m ? "dev" : "wc")
						a = v["s", km ".ns_min"]; b = v["s", km ".ns_median"]; p = v["s", km ".ns_p99"]
						if (a == "" || b == "" || p == "" || !(a + 0 > 0 && a + 0 <= b + 0 && b + 0 <= p + 0))
							bad = bad " " km "(" a "/" b "/" p ")"
					}
					r = v["s", kr ".ratio"]; lo = v["s", kr ".ci_lo"]; hi = v["s", kr ".ci_hi"]
					if (r == "" || lo == "" || hi == "" || !(r + 0 > 0 && lo + 0 <= r + 0 && r + 0 <= hi + 0) ||
					    v["s", kr ".pairs"] + 0 != pairs + 0 || v["r", k ".pairs"] + 0 != pairs + 0)
						bad = bad " " k ".ratio(" r " [" lo ", " hi "] pairs " v["s", kr ".pairs"] ")"
					if (v["r", k ".batch"] == "" || v["s", kr ".batch"] != v["r", k ".batch"])
						bad = bad " " k ".batch(" v["r", k ".batch"] "/" v["s", kr ".batch"] ")"
				}
			}
			print substr(bad, 2)
		}' "$2" "$3")"
}

# no_statistic NAME FILE: the tool printed no figure (bench/s2stats computes
# every one)
no_statistic() {
	expect_eq "$1" 0 "$(grep -cE '[.](ratio|ratio_ci_lo|ratio_ci_hi|ns_min|ns_median|ns_p99|cycles_per_op|instructions_per_op|posts_per_s)=|^bootstrap=' "$2")"
}
