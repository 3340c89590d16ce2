#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What s2probe prints cannot be forged by a VM's owner, and its readers do
# not disturb each other:
# - a hostile VMM (a process name with a newline and spaces; guest RAM from
#   memfds named with spaces, a newline, "pci=... bar=2" and bytes that are
#   not UTF-8; a deleted file) gets exactly one escaped vms line and one
#   escaped ranges line per range, the path last; only the real BAR is a BAR
#   to the s2probe command and in the bars view;
# - windows are per open file: two readers with different windows, their
#   reads interleaved byte by byte, each get exactly their own window; a
#   reader killed mid-read leaves nothing behind; bad windows are EINVAL;
# - effective tells nothing of the host: two guests that differ only in
#   host physical contiguity have byte-identical effective views;
# - bars needs no CAP_SYS_ADMIN and equals what root reads.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/layout.sh"

phase t27-start
load_s2probe
dev=$(ivshmem_dev) || { not_ok abi-setup "no ivshmem device"; exit 0; }
bdf=${dev##*/}

# hexname STRING: the bytes of STRING (printf escapes) as s2vmm's memfd=HEX
hexname() {
	printf "$1" | od -An -v -tx1 | tr -d ' \n'
}

# --- (1) the hostile VMM: its name and its memfds' names are its owner's
hostile="/tmp/q x
forged 1"
ln -sf $BUILD/s2vmm "$hostile"
SLOTS=("1:memfd=$(hexname 'ram pci=0000:00:03.0 bar=2'):0x40000000:1M"
	"2:memfd=$(hexname 'a\nb c'):0x40100000:1M"
	"3:memfd=$(hexname 'x\377\376\\y'):0x40200000:1M"
	"4:delfile:0x40300000:1M" "5:bar:$dev/resource2:0x100000000:1M")
args=()
for s in "${SLOTS[@]}"; do args+=(--slot "$s"); done
for t in 0x40000000 0x40100000 0x40200000 0x40300000 0x100000000; do args+=(--touch "$t:write"); done
: >$VMM_OUT
"$hostile" --hold 300 "${args[@]}" >$VMM_OUT 2>&1 &
vmm=$!
if ! wait_for $VMM_OUT '^S2VMM ready' 60; then
	not_ok abi-hostile-ready "$(tail -n 3 $VMM_OUT | tr '\n' ' ')"
	kill $vmm 2>/dev/null
	exit 0
fi
pid=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\1/p' $VMM_OUT)
fd=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\2/p' $VMM_OUT)
V=$DBG/$pid-$fd
cat $DBG/vms >/tmp/abi.vms
cat $V/ranges >/tmp/abi.ranges
echo "hostile vms and ranges:"
sed 's/^/  /' /tmp/abi.vms /tmp/abi.ranges
# one header and one line for this VM, ten fields each, comm escaped
expect_eq abi-vms-one-line "1" "$(grep -c "^$pid-$fd " /tmp/abi.vms)"
expect_eq abi-vms-fields "" "$(awk 'NR > 1 && NF != 10' /tmp/abi.vms)"
expect_eq abi-vms-comm 'q\040x\012forged\0401' "$(awk -v n="$pid-$fd" '$1 == n { print $4 }' /tmp/abi.vms)"
# each slot's range ends with what backs it, the path escaped and last
tail_of() {
	awk -v a="$(printf '0x%016x' "$1")" 'index($0, a "-") == 1 { sub(/.* hva=[^ ]* /, ""); print }' \
		/tmp/abi.ranges
}
expect_eq abi-ranges-forged-pci 'file path=/memfd:ram\040pci=0000:00:03.0\040bar=2\040(deleted)' \
	"$(tail_of 0x40000000)"
expect_eq abi-ranges-newline 'file path=/memfd:a\012b\040c\040(deleted)' "$(tail_of 0x40100000)"
expect_eq abi-ranges-not-utf8 'file path=/memfd:x\377\376\134y\040(deleted)' "$(tail_of 0x40200000)"
expect_eq abi-ranges-deleted-file 'file path=/tmp/s2vmm-delfile.' \
	"$(tail_of 0x40300000 | sed 's/\.[A-Za-z0-9]\{6\}\\040(deleted)$/./')"
# a sysfs resource file: pgprot_device(), no VM_ALLOW_ANY_UNCACHED
expect_eq abi-ranges-bar "pfnmap pci=$bdf bar=2 vma=DEVICE_nGnRE expect=DEVICE_nGnRE" "$(tail_of 0x100000000)"
# every line: no byte outside printable ASCII but the line's own spaces
expect_eq abi-ranges-printable "" "$(LC_ALL=C grep -n '[^ -~]' /tmp/abi.ranges | head -n 1)"
expect_eq abi-ranges-one-bar "1" "$(grep -c ' pci=' /tmp/abi.ranges)"
# the bars view: the one real BAR, no host address, the same without
# CAP_SYS_ADMIN
nocap() {
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$@"
}
expect_eq abi-bars "$(printf '0x%016x-0x%016x %s pci=%s bar=2 DEVICE_nGnRE vma=DEVICE_nGnRE expect=DEVICE_nGnRE' 0x100000000 $((0x100000000 + PG)) "$PGN" "$bdf")" \
	"$(cat $V/bars)"
expect_eq abi-bars-nocap "$(cat $V/bars)" "$(nocap cat $V/bars 2>&1)"
# the s2probe command sees one VM and one BAR
expect_eq abi-cmd-vms "1" "$($LAB/bin/s2probe vms | grep -c "^$pid-$fd ")"
expect_eq abi-cmd-bar-ranges "1" "$($LAB/bin/s2probe show "$pid-$fd" --json | grep -c '"pci":"')"
kill $vmm
wait $vmm 2>/dev/null
rm -f "$hostile"
phase hostile-done

# same_after NAME FN: ranges of VM $V read before and after FN are equal.
# An idle VM's stage 2 may still change under the host's own memory
# management (compaction or aging through the MMU notifiers), so a
# difference is noted and the pair taken again, up to three times: what a
# reader's window or a killed reader did would differ every time.
same_after() {
	local name=$1 fn=$2 n=0
	while :; do
		cat $V/ranges >/tmp/abi.before
		$fn
		cat $V/ranges >/tmp/abi.after
		if cmp -s /tmp/abi.before /tmp/abi.after && [ -s /tmp/abi.after ]; then
			ok "$name"
			return
		fi
		n=$((n + 1))
		local d
		d=$(diff /tmp/abi.before /tmp/abi.after | head -n 4 | tr '\n' ' ')
		if [ $n -ge 3 ]; then
			not_ok "$name" "ranges differ across it three times: $d"
			return
		fi
		echo "note: $name: ranges changed across it ($n): $d"
	done
}

killed_reader() {
	local r
	$BUILD/s2win --start 0x40401000 --len 0x1000 --chunk 1 $V/pages >/dev/null &
	r=$!
	kill -9 $r 2>/dev/null
	wait $r 2>/dev/null
}

# bad windows: each refused with EINVAL (sets bad to what was not)
bad_windows() {
	local w
	bad=""
	for w in "--start 0x40000000 --len 0" "--start 0x40001000 --end 0x40000000" \
		"--start 0 --end $((1 << 62))" "--start $((1 << 62))"; do
		# shellcheck disable=SC2086 # w: s2win's words
		if $BUILD/s2win $w $V/ranges >/dev/null 2>/tmp/abi.err; then
			bad="$bad [$w accepted]"
		elif ! grep -q 'Invalid argument' /tmp/abi.err; then
			bad="$bad [$w: $(cat /tmp/abi.err)]"
		fi
	done
}

# --- (2) windows are per open file
SLOTS=("1:thp:0x40000000:4M" "2:anon4k:0x40400000:2M")
TOUCHES=("0x40000000:write" "0x40400000:write:8")
if start_vmm abi-windows --slot "${SLOTS[0]}" --slot "${SLOTS[1]}" \
	--touch "${TOUCHES[0]}" --touch "${TOUCHES[1]}"; then
	for v in ranges pages effective summary; do
		win $V/$v 0x40000000 0x400000 >/tmp/abi.$v.a
		win $V/$v 0x40401000 0x5000 >/tmp/abi.$v.b
		if $BUILD/s2win --pair $V/$v 0x40000000 0x40400000 /tmp/abi.$v.pa \
			0x40401000 0x40406000 /tmp/abi.$v.pb 2>/tmp/abi.err; then
			if cmp -s /tmp/abi.$v.a /tmp/abi.$v.pa && cmp -s /tmp/abi.$v.b /tmp/abi.$v.pb &&
				[ -s /tmp/abi.$v.a ] && [ -s /tmp/abi.$v.b ]; then
				ok "abi-window-pair-$v"
			else
				not_ok "abi-window-pair-$v" "interleaved: $(wc -c </tmp/abi.$v.pa)+$(wc -c </tmp/abi.$v.pb) bytes, alone: $(wc -c </tmp/abi.$v.a)+$(wc -c </tmp/abi.$v.b)"
			fi
		else
			not_ok "abi-window-pair-$v" "$(cat /tmp/abi.err)"
		fi
	done
	expect_eq abi-window-summary-line "window=0x0000000040401000-0x0000000040406000" \
		"$(grep '^window=' /tmp/abi.summary.b)"
	# a reader killed mid-read leaves every other reader as it was
	same_after abi-window-killed-reader killed_reader
	# bad windows: EINVAL, the view unchanged for the next reader
	same_after abi-window-then-whole bad_windows
	expect_eq abi-window-einval "" "$bad"
	stop_vmm
fi

# --- (3) effective: the same guest memory, physically contiguous on the
# host (one 2M hugetlb page) or not (2M of 4K pages): the same text
echo 8 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
eff=()
for kind in memfd-huge anon4k; do
	if start_vmm "abi-effective-$kind" --slot "1:$kind:0x40000000:2M" \
		--touch "0x40000000:write:$((0x200000 / PG))"; then
		cat $V/effective >"/tmp/abi.eff.$kind"
		eff+=("/tmp/abi.eff.$kind")
		stop_vmm
	fi
done
if [ ${#eff[@]} = 2 ]; then
	if cmp -s "${eff[0]}" "${eff[1]}"; then
		ok abi-effective-host-blind
	else
		not_ok abi-effective-host-blind "$(diff "${eff[@]}" | head -n 4 | tr '\n' ' ')"
	fi
fi
unload_s2probe
dmesg_clean abi-dmesg
phase t27-end
