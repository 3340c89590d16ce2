# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the layout tests (t-21, t-22, t-25); sourced after lib/common.sh.
# The model: from the layout spec given to s2vmm (--slot/--touch strings),
# the stage-2 leaves KVM must create, computed here and never copied from
# s2probe's output. Rules (KVM's user_mem_abort/gmem_abort, s2vmm's backing):
#   - a level-2 block (BLK = PG * PG/8: 2M with 4K pages, 32M with 16K,
#     512M with 64K) maps a BLK-aligned part of a thp slot (prefaulted: THPs
#     are BLK) or of a hugetlb/memfd-huge slot (2M huge pages: BLK only with
#     4K pages) that the slot holds whole, unless dirty logging is on; all
#     else is mapped page by page (KVM's kvm_s2_resolve_vma_size: a huge
#     page smaller than the PMD, e.g. 2M contiguous PTEs with 16K or 64K
#     pages, is mapped with PAGE_SIZE, force_pte);
#   - a write maps RW; a read maps RW when the host page exists and is
#     writable (every prefaulted kind, bar, gmem) and R- on an anon4k page
#     the host never touched (the zero page), on a read-only slot or under
#     dirty logging; an exec maps x (s2vmm wrote a RET there: RW unless
#     read-only or logging), every other access xn;
#   - a write to a read-only slot, or any access where no slot is, maps
#     nothing (an MMIO exit);
#   - the code slot (id 99, two pages at CODE) maps its first page RW x;
#   - backing as s2probe names it: anon, anon-thp (2M blocks over THP),
#     file path=/memfd:s2vmm\040(deleted) (the path escaped), hugetlb (also
#     memfd-huge), gmem, pfnmap.

granule_init	# PG, BLK (common.sh)
CODE=0x10000000
VMM_OUT=/tmp/vmm.out

# Stage-2 shareability shown by s2probe (as t-20): VTCR with LPA2 on 6.9+
# (4K and 16K pages; 64K pages have no LPA2).
case "$LAB_CPU-$(uname -r)" in max-6.1.*) SH=ISH ;; max-*) SH=VTCR ;; *) SH=ISH ;; esac
[ "$PG" = 65536 ] && SH=ISH

# start_vmm ARGS...: s2vmm in the background, output in $VMM_OUT; sets vmm,
# pid, fd, V. Returns 1 (after a not_ok NAME-ready) if it does not get ready.
start_vmm() {
	local name=$1
	shift
	: >$VMM_OUT
	# --hold: s2vmm ignores stdin and holds until killed (or 300 s)
	$BUILD/s2vmm --hold 300 "$@" >$VMM_OUT 2>&1 &
	vmm=$!
	# until ready, for 60 s at most, or until s2vmm exits (a skip, an error)
	local end=$(($(date +%s) + 60))
	while ! grep -q '^S2VMM ready' $VMM_OUT && kill -0 $vmm 2>/dev/null &&
		[ "$(date +%s)" -lt $end ]; do
		sleep 0.1
	done
	if ! grep -q '^S2VMM ready' $VMM_OUT; then
		if grep -q '^S2VMM skip' $VMM_OUT; then
			return 3
		fi
		not_ok "$name-ready" "$(tail -n 3 $VMM_OUT | tr '\n' ' ')"
		kill $vmm 2>/dev/null
		wait $vmm 2>/dev/null
		return 1
	fi
	pid=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\1/p' $VMM_OUT | tail -n 1)
	fd=$(sed -n 's/^S2VMM vm pid=\([0-9]*\) vmfd=\([0-9]*\)$/\2/p' $VMM_OUT | tail -n 1)
	V=$DBG/$pid-$fd
	cat $DBG/vms >/dev/null	# rescan: the new VM gets its directory
	return 0
}

stop_vmm() {
	kill "$vmm" 2>/dev/null
	wait "$vmm" 2>/dev/null
}

# model_input: the spec as lines for the model's awk program:
# "slot ID KIND IPA SIZE FLAGS" and "touch IPA OP COUNT", from the
# arrays SLOTS and TOUCHES (the exact strings given to s2vmm).
model_input() {
	echo "page $PG"
	echo "blk $BLK"
	echo "code $CODE"
	echo "sh $SH"
	echo "bdf ${BDF:-?}"
	for s in ${WP_SLOTS:-}; do echo "wp $s"; done
	# one awk for all: ID:KIND:IPA:SIZE[:FLAGS] (KIND may be bar:PATH, PATH
	# with ':') and IPA:OP[:COUNT]
	{
		[ ${#SLOTS[@]} -gt 0 ] && printf 'S:%s\n' "${SLOTS[@]}"
		[ ${#TOUCHES[@]} -gt 0 ] && printf 'T:%s\n' "${TOUCHES[@]}"
	} | awk -F: '
	$1 == "S" {
		flags = "-"; n = NF
		if ($n !~ /^[0-9]/) { flags = $n; n-- }
		kind = $3; for (i = 4; i <= n - 2; i++) kind = kind ":" $i
		if (kind ~ /^bar:/) kind = "bar"
		print "slot", $2, kind, $(n - 1), $n, flags
	}
	$1 == "T" { print "touch", $2, $3, (NF > 3 ? $4 : 1) }'
}

# The model program. mode=pages: expected pages lines (ipa L map MEMATTR ap
# xn sh C). mode=leaves: "ipa size level memattr ap xn sh slot backing" lines.
MODEL_AWK='
function num(s,  m) {
	m = 1
	if (s ~ /K$/) { m = 1024; sub(/K$/, "", s) }
	else if (s ~ /M$/) { m = 1048576; sub(/M$/, "", s) }
	else if (s ~ /G$/) { m = 1073741824; sub(/G$/, "", s) }
	return strtonum(s) * m
}
function sz(v,  u, i) {
	split("B K M G T P E", u, " "); i = 1
	while (v > 0 && v % 1024 == 0 && i < 7) { v /= 1024; i++ }
	return sprintf("%d%s", v, u[i])
}
function leaf(l, size, lvl, mt, w, x, sl, bk) {
	if (!(l in L)) { L[l] = 1; LS[l] = size; LV[l] = lvl; LM[l] = mt; LSL[l] = sl; LB[l] = bk }
	if (w) LW[l] = 1
	if (x) LX[l] = 1
}
$1 == "page" { pg = strtonum($2) }
$1 == "blk" { blk = strtonum($2) }
$1 == "code" { code = strtonum($2) }
$1 == "sh" { sh = $2 }
$1 == "bdf" { bdf = $2 }
$1 == "wp" { wp[$2] = 1 }
$1 == "slot" { n++; id[n] = $2; kind[n] = $3; base[n] = num($4); len[n] = num($5)
	ro[n] = ($6 ~ /ro/); dirty[n] = ($6 ~ /dirty/) }
$1 == "touch" { t++; ta[t] = num($2); top[t] = $3; tc[t] = num($4) }
END {
	M2 = 2097152
	leaf(code, pg, 3, "NORMAL_WB", 1, 1, 99, "anon")
	for (i = 1; i <= t; i++) {
		a0 = ta[i] - ta[i] % pg
		for (k = 0; k < tc[i]; k++) {
			p = a0 + k * pg; s = 0
			for (j = 1; j <= n; j++) if (p >= base[j] && p < base[j] + len[j]) s = j
			if (!s) continue
			if (ro[s] && top[i] == "write") continue
			kd = kind[s]
			# the host page size behind the slot: THP = BLK, hugetlb 2M
			hp = kd == "thp" ? blk : (kd == "hugetlb" || kd == "memfd-huge") ? M2 : pg
			b0 = p - p % blk
			big = hp == blk && !dirty[s] && b0 >= base[s] && b0 + blk <= base[s] + len[s]
			l = big ? b0 : p
			w = (top[i] == "write") ||
			    (top[i] == "read" && kd != "anon4k" && !dirty[s] && !ro[s]) ||
			    (top[i] == "exec" && !dirty[s] && !ro[s]) || kd == "gmem"
			if (kd == "thp") bk = big ? "anon-thp" : "anon"
			else if (kd == "anon4k") bk = "anon"
			else if (kd == "memfd") bk = "file path=/memfd:s2vmm\\040(deleted)"
			else if (kd == "gmem") bk = "gmem"
			else if (kd == "bar") bk = "pfnmap pci=" bdf " bar=2 vma=DEVICE_nGnRE expect=DEVICE_nGnRE"
			else bk = "hugetlb"
			leaf(l, big ? blk : pg, big ? 2 : 3, kd == "bar" ? "DEVICE_nGnRE" : "NORMAL_WB",
			     w, top[i] == "exec", id[s], bk)
		}
	}
	for (l in L) {
		if (LSL[l] in wp) delete LW[l]
		if (mode == "pages")
			printf "0x%016x L%d map=%s %s %s %s %s -\n", l, LV[l], sz(LS[l]), LM[l],
				(l in LW) ? "RW" : "R-", (l in LX) ? "x" : "xn", sh
		else
			printf "0x%016x %d %d %s %s %s %s %d %s\n", l, LS[l], LV[l], LM[l],
				(l in LW) ? "RW" : "R-", (l in LX) ? "x" : "xn", sh, LSL[l], LB[l]
	}
}'

model_pages() {
	model_input | awk -v mode=pages "$MODEL_AWK" | sort
}

model_leaves() {
	model_input | awk -v mode=leaves "$MODEL_AWK" | sort
}

# got_pages FILE: the pages view as the model writes it (no desc, pa, AF, sw).
got_pages() {
	awk '{ print $1, $2, $3, $6, $7, $8, $9, $11 }' "$1"
}

# model_ranges PAGES: the expected ranges lines, maximally merged: the
# model's leaves with the PA and AF read from PAGES (a pages view), merged
# when contiguous in IPA and PA with equal attributes, slot and backing
# (hva left out). Slots in WP_SLOTS are expected write-protected (R-).
MERGE_AWK='
function sz(v,  u, i) {
	split("B K M G T P E", u, " "); i = 1
	while (v > 0 && v % 1024 == 0 && i < 7) { v /= 1024; i++ }
	return sprintf("%d%s", v, u[i])
}
function flush() {
	if (have) printf "0x%016x-0x%016x %s map=%s L%d %s %s - slot=%d %s\n", s, e, sz(e - s),
		sz(ls), lv, attrs, af, sl, bk
	have = 0
}
FNR == NR { pa[$1] = strtonum(substr($5, 4)); afs[$1] = $10; next }
{
	ipa = strtonum($1); size = $2
	a = $4 " " $5 " " $6 " " $7
	if (!($1 in pa)) { print "MISSING-LEAF " $1; next }
	key = size " " $3 " " a " " afs[$1] " " $8 " " $9
	if (have && ipa == e && pa[$1] == pe && key == k) { e += size; pe += size; next }
	flush()
	have = 1; s = ipa; e = ipa + size; pe = pa[$1] + size; k = key
	ls = size; lv = $3; attrs = a; af = afs[$1]; sl = $8
	bk = $9; for (i = 10; i <= NF; i++) bk = bk " " $i
}
END { flush() }'

model_ranges() {
	model_leaves >/tmp/model.leaves
	awk "$MERGE_AWK" "$1" /tmp/model.leaves
}

# got_ranges FILE: the ranges view without hva.
got_ranges() {
	awk '{ $12 = ""; print }' "$1" | tr -s ' ' | sed 's/ $//'
}

# merge_violations RANGES PAGES: adjacent ranges lines that should have been
# one: equal in every field but the span, size and hva, contiguous in IPA,
# and (from PAGES) in PA. hva is contiguous whenever IPA is, within a slot.
merge_violations() {
	awk 'FNR == NR { pa[strtonum($1)] = strtonum(substr($5, 4)); next }
	{
		split($1, r, "-"); s = strtonum(r[1]); e = strtonum(r[2])
		m = $3; sub(/^map=/, "", m)
		u = substr(m, length(m)); v = substr(m, 1, length(m) - 1) + 0
		if (u == "K") v *= 1024; else if (u == "M") v *= 1048576; else if (u == "G") v *= 1073741824
		key = $0; sub(/^[^ ]+ [^ ]+ /, "", key); sub(/ hva=[^ ]+/, "", key)
		first = s; last = e - v
		if (have && s == pe && key == pk && (pl in pa) && (first in pa) &&
		    pa[pl] + pv == pa[first])
			print "should merge: " prev " | " $0
		have = 1; pe = e; pk = key; pl = last; pv = v; prev = $0
	}' "$2" "$1"
}

# view_sane FILE IPA_BITS: ranges/pages/effective invariants on one read:
# starts strictly increase, no overlap, everything inside [0, 2^IPA_BITS).
# A pages line covers from its IPA to the end of its (aligned) leaf.
view_sane() {
	awk -v bits="$2" 'BEGIN { lim = 2 ^ bits; last = -1; lend = 0 }
	/^0x/ {
		split($1, r, "-"); s = strtonum(r[1])
		if (r[2] != "") e = strtonum(r[2])
		else { m = $3; sub(/^map=/, "", m); u = substr(m, length(m)); v = substr(m, 1, length(m) - 1) + 0
			if (u == "K") v *= 1024; else if (u == "M") v *= 1048576; else if (u == "G") v *= 1073741824
			# a pages line of a leaf cut at the window or at the walk
			# cursor starts inside the leaf: it ends where the leaf does
			e = s - s % v + v }
		if (s <= last) { print "not increasing at " $1; exit }
		if (s < lend) { print "overlap at " $1; exit }
		if (e <= s || e > lim) { print "outside [0, 2^" bits ") at " $1; exit }
		last = s; lend = e
	}' "$1"
}

# clip_ranges START END: expected ranges lines (as model_ranges prints them)
# cut to the filter window [START, END).
clip_ranges() {
	gawk -v ws="$(($1))" -v we="$(($2))" '
	function sz(v,  u, i) {
		split("B K M G T P E", u, " "); i = 1
		while (v > 0 && v % 1024 == 0 && i < 7) { v /= 1024; i++ }
		return sprintf("%d%s", v, u[i])
	}
	{
		split($1, r, "-"); s = strtonum(r[1]); e = strtonum(r[2])
		if (s < ws) s = ws
		if (e > we) e = we
		if (e <= s) next
		$1 = sprintf("0x%016x-0x%016x", s, e); $2 = sz(e - s); print
	}'
}

# same_text NAME WANT_FILE GOT_FILE: ok if equal, else the first difference.
same_text() {
	if [ "$(md5sum <"$2")" = "$(md5sum <"$3")" ]; then
		ok "$1"
	else
		not_ok "$1" "$(wc -l <"$2") lines vs $(wc -l <"$3"); first difference: $(awk 'NR == FNR { a[FNR] = $0; n = FNR; next }
			a[FNR] != $0 { print "line " FNR ": want \"" a[FNR] "\" got \"" $0 "\""; d = 1; exit }
			END { if (!d && FNR != n) print "lengths differ" }' "$2" "$3")"
	fi
}

# read_check NAME PATH CMD...: CMD reads PATH its own way (small reads, a
# slice at an offset) and prints what it got; CMD's output must equal
# the same part of a full read. KVM's page aging may clear AF at any time,
# even on a quiescent VM, so the full read is taken before and after CMD and
# the check retried (3 times) until both agree. CMD may use $FULL, the file
# holding the full read, to cut its part (printed to fd 3 as "want").
read_check() {
	local name=$1 path=$2 i
	shift 2
	for i in 1 2 3; do
		cat "$path" >/tmp/rc.a
		FULL=/tmp/rc.a "$@" >/tmp/rc.got 3>/tmp/rc.want
		cat "$path" >/tmp/rc.b
		if [ "$(md5sum </tmp/rc.a)" = "$(md5sum </tmp/rc.b)" ]; then
			same_text "$name" /tmp/rc.want /tmp/rc.got
			return
		fi
	done
	echo "note: $name: the view changed under every attempt (AF aging?); compared anyway"
	same_text "$name" /tmp/rc.want /tmp/rc.got
}

# For read_check: the whole file one byte per read() (dd bs=1); in small
# reads; a slice at an offset.
read_bs1() {
	cat "$FULL" >&3
	dd if="$1" bs=1 2>/dev/null
}

# seq_file fills its buffer only until it holds what read() asked for, so
# small reads restart the view (->start at the next position) at nearly
# every record: one byte per read() for the first 8 KiB (a restart at every
# record), then 61 bytes (one or two records a time, cut at varying offsets)
# at a 60th of the system calls, which a debug kernel under emulation pays.
read_small() {
	cat "$FULL" >&3
	{
		dd bs=1 count=8192 2>/dev/null
		dd bs=61 2>/dev/null
	} <"$1"
}
read_slice() {
	tail -c +$(($2 + 1)) "$FULL" | head -c "$3" >&3
	dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null
}

# snapshot PREFIX: $V/pages and $V/ranges into PREFIX.pages/.ranges, taken
# while pages holds still (a pages read before and after the ranges read
# agree; AF aging may clear access flags at any time), 3 attempts.
snapshot() {
	local i
	for i in 1 2 3; do
		cat $V/pages >"$1.pages"
		cat $V/ranges >"$1.ranges"
		cat $V/pages >"$1.pages2"
		[ "$(md5sum <"$1.pages")" = "$(md5sum <"$1.pages2")" ] && return 0
	done
	echo "note: $1: the tables kept changing (AF aging?) across 3 snapshots"
}

# ab_views PREFIX: every view of $V into PREFIX.VIEW, whole and through
# windows that cut leaves (a page's middle, a 2M block's middle).
ab_views() {
	local v
	for v in pages ranges effective bars summary ptdump; do
		cat $V/$v >"$1.$v"
		win $V/$v 0x40000800 0x1f00000 >"$1.$v.win" 2>&1
	done
}

# ab_check NAME: with S2_AB=PATH, another build of s2probe.ko (the commit
# before a change of the walk, say), every view of the VM read through
# that module equals this one's, whole and through windows. A development
# check for old-versus-new: the suites run it only when S2_AB is set.
ab_check() {
	[ -n "${S2_AB:-}" ] || return 0
	local name=$1 v i
	for i in 1 2 3; do
		ab_views /tmp/$name.ab-new
		unload_s2probe
		insmod "$S2_AB" || return 1
		cat $DBG/vms >/dev/null	# the VMs' directories, made at a rescan
		ab_views /tmp/$name.ab-old
		rmmod s2probe
		load_s2probe
		cat $DBG/vms >/dev/null
		ab_views /tmp/$name.ab-new2
		# AF aging may change the tables: both reads of the new module agree
		cat /tmp/$name.ab-new.* | md5sum >/tmp/ab.a
		cat /tmp/$name.ab-new2.* | md5sum >/tmp/ab.b
		cmp -s /tmp/ab.a /tmp/ab.b && break
	done
	for v in pages ranges effective bars summary ptdump; do
		same_text "$name-ab-$v" /tmp/$name.ab-old.$v /tmp/$name.ab-new.$v
		same_text "$name-ab-$v-win" /tmp/$name.ab-old.$v.win /tmp/$name.ab-new.$v.win
	done
}
