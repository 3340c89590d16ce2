#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The s2probe command (scripts/s2probe, put in /job/lab/bin) on the test
# VMM's default layout (tests/vmm/s2vmm.c, as in t-20): exact JSON of vms,
# summary and the known slots' ranges, pages and effective records; --range
# through the reader's own window (no state left in the module); the diff of
# two layouts (the default, then
# --no-thp); the Prometheus file's samples; and the errors: without
# CAP_SYS_ADMIN, as a user, the VM gone, debugfs not mounted, the module not
# loaded (each with its exit status and message).
. "$(dirname "$0")/lib/common.sh"

S2=$LAB/bin/s2probe
[ -x "$S2" ] || { not_ok cli-present "no $S2 (scripts/lab/run puts it)"; exit 0; }
dev=$(ivshmem_dev) || { not_ok cli-setup "no ivshmem device"; exit 0; }
bdf=$(basename "$dev")
load_s2probe
phase cli-start

# start_vmm NAME ARGS...: s2vmm in the background; sets vmm and V (its name)
start_vmm() {
	local name=$1
	shift
	vmm_start "$name" /tmp/cli-vmm.out --bar "$dev/resource2" --hold 120 "$@" || return 1
	V=$(vmm_vm /tmp/cli-vmm.out)
}

# run NAME WANT_RC ARGS...: s2probe ARGS; stdout in /tmp/cli.out, stderr in
# /tmp/cli.err; not_ok (and return 1) if the exit status differs.
run() {
	local name=$1 want=$2 rc=0
	shift 2
	"$S2" "$@" >/tmp/cli.out 2>/tmp/cli.err || rc=$?
	if [ "$rc" != "$want" ]; then
		not_ok "$name" "exit $rc, want $want: $(head -n 2 /tmp/cli.err | tr '\n' ' ')"
		return 1
	fi
}

# hva and af vary (ASLR, KVM's page aging): masked
mask() {
	sed 's/"hva":"0x[0-9a-f]*"/"hva":HVA/; s/"af":[a-z]*/"af":AF/'
}

start_vmm cli-vmm-ready || exit 0
pid=${V%-*}
fd=${V#*-}
case "$LAB_CPU" in max) fwb=true; mode=VHE ;; *) fwb=false; mode=nVHE ;; esac
case "$LAB_CPU-$(uname -r)" in max-6.1.*) sh=ISH ;; max-*) sh=VTCR ;; *) sh=ISH ;; esac
H='{"schema":"s2probe/1","record"'

run cli-vms-json 0 vms --json &&
	expect_eq cli-vms-json "$H:\"vm\",\"name\":\"$V\",\"pid\":$pid,\"fd\":$fd,\"comm\":\"s2vmm\",\"ipa_bits\":40,\"start_level\":1,\"granule\":4096,\"fwb\":$fwb,\"mode\":\"$mode\",\"memslots\":3,\"guest\":null,\"uuid\":null,\"domain\":null,\"domain_uuid\":null}" \
		"$(grep "\"name\":\"$V\"" /tmp/cli.out)"

# ranges: every range but the THP slot's (which KVM's aging of AF may cut
# in two), exactly
r() { # START END SIZE MAP LEVEL MEMATTR ACCESS XN SLOT BACKING PCI BAR
	# a BAR mapped through its sysfs resource file: pgprot_device()
	f='"vma":null,"uc":null,"expect":null'
	[ "${10}" != pfnmap ] || f='"vma":"DEVICE_nGnRE","uc":false,"expect":"DEVICE_nGnRE"'
	printf '%s:"range","vm":"%s","start":"%s","end":"%s","size":%s,"map":%s,"level":%s,"memattr":"%s","access":"%s","xn":"%s","sh":"%s","af":AF,"contig":false,"slot":%s,"hva":HVA,"backing":"%s","path":null,"pci":%s,"bar":%s,"wc":false,%s}\n' \
		"$H" "$V" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$sh" "$9" "${10}" "${11}" "${12}" "$f"
}
{
	r 0x0000000040000000 0x0000000040001000 4096 4096 3 NORMAL_WB RW x 0 anon null null
	r 0x0000000040100000 0x0000000040101000 4096 4096 3 NORMAL_WB RW xn 0 anon null null
	r 0x0000000040300000 0x0000000040301000 4096 4096 3 NORMAL_WB RW xn 0 anon null null
	r 0x0000000040500000 0x0000000040501000 4096 4096 3 NORMAL_WB R- xn 0 anon null null
	r 0x0000000100000000 0x0000000100002000 8192 4096 3 DEVICE_nGnRE RW xn 3 pfnmap "\"$bdf\"" 2
	r 0x0000000100010000 0x0000000100011000 4096 4096 3 DEVICE_nGnRE RW xn 3 pfnmap "\"$bdf\"" 2
} >/tmp/cli.want
# jf FIELD: that field of each JSON line on stdin (strings unquoted)
jf() {
	sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
if run cli-show-json 0 show "$V" --json; then
	echo "--- s2probe show $V --json"
	cat /tmp/cli.out
	cp /tmp/cli.out /tmp/cli-a.json
	mask </tmp/cli.out | grep -v '"backing":"anon-thp"' >/tmp/cli.got
	expect_eq cli-show-json "$(cat /tmp/cli.want)" "$(cat /tmp/cli.got)"
	# the THP slot: 2M blocks covering exactly 0x40800000-0x40c00000
	grep '"backing":"anon-thp"' /tmp/cli.out >/tmp/cli.thp
	got=$(for f in start end size map level memattr slot; do jf $f </tmp/cli.thp | tr '\n' ' '; echo; done |
		awk 'NR == 1 { s = $1 } NR == 2 { e = $NF } NR == 3 { for (i = 1; i <= NF; i++) t += $i }
			NR > 3 { u = $1; for (i = 2; i <= NF; i++) if ($i != u) u = "mixed"; k = k " " u }
			END { print s, e, t k }')
	expect_eq cli-show-json-thp "0x0000000040800000 0x0000000040c00000 4194304 2097152 2 NORMAL_WB 1" "$got"
fi
run cli-pages-slot 0 show "$V" --view pages --slot 3 --json &&
	expect_eq cli-pages-slot "0x0000000100000000 0x0000000100001000 0x0000000100010000 DEVICE_nGnRE:3" \
		"$(sed 's/.*"ipa":"\([^"]*\)".*/\1/' /tmp/cli.out | tr '\n' ' ')$(grep -o '"memattr":"[^"]*"' /tmp/cli.out | sort | uniq -c | awk '{ sub(/"memattr":/, ""); gsub(/"/, ""); print $2 ":" $1 }')"
run cli-effective-type 0 show "$V" --view effective --type DEVICE_nGnRE --json &&
	expect_eq cli-effective-type "2 2" \
		"$(wc -l </tmp/cli.out) $(grep -c '"NORMAL_NC":"DEVICE_nGnRE"' /tmp/cli.out)"
run cli-summary-json 0 summary "$V" --json &&
	expect_eq cli-summary-json "$H:\"summary\",\"vm\":\"$V\",\"window\":{\"start\":\"0x0000000000000000\",\"end\":\"0x0000010000000000\"},\"fwb\":$fwb,\"granule\":4096,\"ipa_bits\":40,\"leaves\":9,\"bytes\":4222976,\"bytes_by_memattr\":{\"DEVICE_nGnRE\":12288,\"NORMAL_WB\":4210688},\"leaves_by_memattr\":{\"DEVICE_nGnRE\":3,\"NORMAL_WB\":6},\"leaves_by_map\":{\"2M\":2,\"4K\":7},\"bytes_by_map\":{\"2M\":4194304,\"4K\":28672}}" \
		"$(cat /tmp/cli.out)"

# --range: the window's ranges, on the command's own open file: nothing
# stays behind for the next reader, and no filter file exists any more
cat $DBG/$V/ranges >/tmp/cli.whole
run cli-range 0 show "$V" --range 0x100000000 0x100000 &&
	expect_eq cli-range "2" "$(wc -l </tmp/cli.out)"
run cli-range-json 0 show "$V" --range 0x40100000 0x1000 --json &&
	expect_eq cli-range-json "0x0000000040100000" "$(sed 's/.*"start":"\([^"]*\)".*/\1/' /tmp/cli.out)"
run cli-range-einval 2 show "$V" --range 0x100000000 0x10000000000
# (the next reader sees the whole VM again: its first and last ranges as
# before the command, not the window's; the host's mm may have changed
# ranges in between, as it may merge or split pages at any time)
ends() { sed -n '1s/-.*//p; $s/^[^-]*-\([^ ]*\) .*/\1/p' | tr '\n' ' '; }
expect_eq cli-range-leaves-no-state "$(ends </tmp/cli.whole)no-filter" \
	"$(ends <$DBG/$V/ranges)$([ -e $DBG/$V/filter ] && echo filter || echo no-filter)"
run cli-summary-range 0 summary "$V" --range 0x100000000 0x100000 &&
	expect_eq cli-summary-range "window=0x0000000100000000-0x0000000100100000 bytes=12288" \
		"$(grep -E '^(window|bytes)=' /tmp/cli.out | tr '\n' ' ' | sed 's/ $//')"

# prom: this VM's samples (DEVICE_nGnRE BAR: no write-combining)
mkdir -p /tmp/cli-tf
if run cli-prom 0 prom --out /tmp/cli-tf/s2probe.prom; then
	echo "--- s2probe prom"
	cat /tmp/cli-tf/s2probe.prom
	cp /tmp/cli-tf/s2probe.prom $OUT/cli.prom 2>/dev/null
	# (the BAR: two runs, 8K and 4K, Device: no combining possible)
	expect_eq cli-prom "s2probe_stage2_mapped_bytes{vm=\"$V\",memattr=\"DEVICE_nGnRE\"} 12288
s2probe_stage2_mapped_bytes{vm=\"$V\",memattr=\"NORMAL_WB\"} 4210688
s2probe_stage2_leaf_entries{vm=\"$V\",map=\"2M\"} 2
s2probe_stage2_leaf_entries{vm=\"$V\",map=\"4K\"} 7
s2probe_bar_mapped_bytes{vm=\"$V\",pci=\"${dev##*/}\",bar=\"2\",memattr=\"DEVICE_nGnRE\"} 12288
s2probe_bar_write_combining_possible{vm=\"$V\",pci=\"${dev##*/}\",bar=\"2\"} 0
s2probe_vm_info{vm=\"$V\",pid=\"$pid\",comm=\"s2vmm\",guest=\"\",uuid=\"\",domain=\"\",domain_uuid=\"\"} 1" \
		"$(grep -F "{vm=\"$V\"" /tmp/cli-tf/s2probe.prom)"
	expect_eq cli-prom-help-type "6 6" \
		"$(grep -c '^# HELP s2probe_' /tmp/cli-tf/s2probe.prom) $(grep -c '^# TYPE s2probe_[a-z0-9_]* gauge$' /tmp/cli-tf/s2probe.prom)"
fi

# the metrics timer's service (the s2probe package's unit), run the way
# systemd runs it: its ExecStart, with no capability (an empty
# CapabilityBoundingSet=, NoNewPrivileges=), into node_exporter's
# textfile directory; the file equals the root run's but for the time.
# The host checks both files with promtool (tests/cli/lab-prom).
U=$LAB/pkg/s2probe-prom.service
ucmd=$(sed -n 's|^ExecStart=/usr/sbin/s2probe ||p' $U)
tf=/var/lib/prometheus/node-exporter
# (L1's root is read-only: a tmpfs on /var/lib in a mount namespace of
# its own, as systemd gives a unit one)
cat >/tmp/cli-unit.sh <<EOS
mount -t tmpfs tmpfs /var/lib 2>/dev/null || busybox mount -t tmpfs tmpfs /var/lib || exit 125
mkdir -p $tf
rc=0
setpriv --no-new-privs --inh-caps=-all --bounding-set=-all "$S2" $ucmd || rc=\$?
cp $tf/s2probe.prom /tmp/cli.unit.prom 2>/dev/null
exit \$rc
EOS
rm -f /tmp/cli.unit.prom
rc=0
unshare -m sh /tmp/cli-unit.sh >/tmp/cli.unit 2>&1 || rc=$?
grep -v '^s2probe_last_success_timestamp_seconds ' /tmp/cli-tf/s2probe.prom >/tmp/cli.prom.want
grep -v '^s2probe_last_success_timestamp_seconds ' /tmp/cli.unit.prom >/tmp/cli.prom.unit 2>&1
expect_eq cli-unit-prom "0 prom --out $tf/s2probe.prom same" \
	"$rc $ucmd $(cmp -s /tmp/cli.prom.want /tmp/cli.prom.unit && echo same || echo differs)$(head -n 2 /tmp/cli.unit | sed 's/^/ /')"
cp /tmp/cli.unit.prom $OUT/unit.prom 2>/dev/null

# errors: no CAP_SYS_ADMIN (ranges refused, effective allowed), a user
nocap() {
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$@"
}
rc=0
nocap "$S2" show "$V" >/tmp/cli.out 2>/tmp/cli.err || rc=$?
expect_eq cli-eperm-ranges "5 s2probe: error: $DBG/$V/ranges: operation not permitted: pages and ranges show host addresses and need CAP_SYS_ADMIN (summary and effective do not)" \
	"$rc $(cat /tmp/cli.err)"
rc=0
nocap "$S2" show "$V" --view effective --type DEVICE_nGnRE >/tmp/cli.out 2>/tmp/cli.err || rc=$?
expect_eq cli-nocap-effective "0 2" "$rc $(wc -l </tmp/cli.out)"
# prom reads summary, bars and effective: the same file without CAP_SYS_ADMIN
rc=0
nocap "$S2" prom >/tmp/cli.prom.nocap 2>/tmp/cli.err || rc=$?
"$S2" prom >/tmp/cli.prom.root 2>&1
expect_eq cli-nocap-prom "0 $(grep -F "{vm=\"$V\"" /tmp/cli.prom.root | md5sum)" \
	"$rc $(grep -F "{vm=\"$V\"" /tmp/cli.prom.nocap | md5sum)"
expect_eq cli-nocap-prom-bars "s2probe_bar_write_combining_possible{vm=\"$V\",pci=\"${dev##*/}\",bar=\"2\"} 0" \
	"$(grep -F "s2probe_bar_write_combining_possible{vm=\"$V\"" /tmp/cli.prom.nocap)"
# (as a user: a copy outside /job, which only root may enter)
mkdir -p /tmp/cli-bin
install -m 755 "$S2" /tmp/cli-bin/s2probe
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups /tmp/cli-bin/s2probe vms >/tmp/cli.out 2>/tmp/cli.err || rc=$?
expect_eq cli-user-eacces "5 s2probe: error: cannot read /sys/kernel/debug: permission denied (debugfs is for root only)" \
	"$rc $(cat /tmp/cli.err)"

# the VM gone; then a second layout (no THP slot) and the diff of the two
kill $vmm
wait $vmm 2>/dev/null
run cli-vm-gone 6 show "$V" &&
	expect_eq cli-vm-gone "s2probe: error: no VM '$V' in $DBG (see 's2probe vms')" "$(cat /tmp/cli.err)"
if start_vmm cli-vmm2-ready --no-thp; then
	run cli-show-json-2 0 show "$V" --json && cp /tmp/cli.out /tmp/cli-b.json
	if run cli-diff 1 diff /tmp/cli-a.json /tmp/cli-b.json; then
		echo "--- s2probe diff (default layout, then --no-thp)"
		cat /tmp/cli.out
		expect_eq cli-diff "disappeared 0x0000000040800000-0x0000000040c00000 4M memattr=NORMAL_WB access=RW xn=xn backing=anon-thp
diff: 0 changed, 0 appeared, 1 disappeared" "$(cat /tmp/cli.out)"
	fi
	run cli-diff-json 1 diff --json /tmp/cli-a.json /tmp/cli-b.json &&
		expect_eq cli-diff-json "$H:\"diff\",\"change\":\"disappeared\",\"start\":\"0x0000000040800000\",\"end\":\"0x0000000040c00000\",\"size\":4194304,\"fields\":[],\"before\":{\"memattr\":\"NORMAL_WB\",\"access\":\"RW\",\"xn\":\"xn\",\"backing\":\"anon-thp\"},\"after\":null}" \
			"$(cat /tmp/cli.out)"
	cp /tmp/cli-a.json /tmp/cli-b.json $OUT/ 2>/dev/null
	kill $vmm
	wait $vmm 2>/dev/null
fi

# debugfs not mounted (in a private mount namespace), module not loaded
# (the root image has busybox's umount, not util-linux's)
umnt=$(command -v umount || echo "busybox umount")
rc=0
unshare -m sh -c '$2 -l /sys/kernel/debug && "$1" vms' sh "$S2" "$umnt" >/tmp/cli.out 2>/tmp/cli.err ||
	rc=$?
expect_eq cli-no-debugfs "3 s2probe: error: debugfs is not mounted on /sys/kernel/debug (mount -t debugfs debugfs /sys/kernel/debug)" \
	"$rc $(cat /tmp/cli.err)"
unload_s2probe
run cli-not-loaded 4 vms &&
	expect_eq cli-not-loaded "s2probe: error: no $DBG: the s2probe module is not loaded (modprobe s2probe)" \
		"$(cat /tmp/cli.err)"
phase cli-end
dmesg_clean cli-dmesg-clean
