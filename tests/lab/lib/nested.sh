# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # N, V_NESTED, upstream, n, xs: set by the caller
# Sourced by t-70-nested.sh (and by tests/peer/nested-run): the
# checks of s2probe's nested views, from the files t-70 saved while L3 ran.
# In: N (the saved files: s2p-mmus, s2p-<n>-{pages,ranges},
# up1/up2.nested_mmu<n>),
# V_NESTED (s2probe's <vm>/nested, only tested for existence), upstream (1 if
# upstream's dumps were read), n (the MMU with stage 2 on, if known), xs (x
# or xn: the data pages' XN in the shadow), LAB, ok/not_ok/expect_eq (common.sh).
# s2probe's nested views (the module side): each nested MMU listed as
# upstream sees it, and the valid one's pages equal upstream's leaf by leaf.
if [ ! -e $V_NESTED/mmus ]; then
	echo "note: s2probe has no $V_NESTED (module without nested MMU support): nv-s2probe-* not run"
else
	expect_eq nv-s2probe-mmus-header "# n valid vttbr vtcr s2 ia_bits start_level pending_unmap" \
		"$(head -n 1 $N/s2p-mmus)"
	[ -n "${n:-}" ] || n=$(awk '$2 == "valid" && $5 == "enabled" { print $1; exit }' $N/s2p-mmus)
fi
if [ -e $V_NESTED/mmus ] && [ "$upstream" = 0 ]; then
	echo "note: no upstream dump to hold s2probe's nested/mmus against: nv-s2probe-mmus and peer-nested not run"
elif [ -e $V_NESTED/mmus ]; then
	# upstream's files say the same per MMU: valid (VTCR line) or not; the
	# shadow tables span the PARange L1's KVM shows L2 (kvm_get_pa_bits():
	# init_nested_s2_mmu), which the end of upstream's last line gives
	e=$(tail -n 1 "$N/up2.nested_mmu$n" | sed -n 's/^0x[0-9a-f]*-0x\([0-9a-f]*\) .*/\1/p')
	sbits=""
	if [ -n "$e" ]; then
		sbits=0
		e=$((16#$e))
		while [ "$e" -gt 1 ]; do
			e=$((e >> 1))
			sbits=$((sbits + 1))
		done
	fi
	want=""
	for f in $N/up2.nested_mmu*; do
		i=${f##*nested_mmu}
		l=$(sed -n '1s/^VTCR: \(0x[0-9a-f]*\) VTTBR: \(0x[0-9a-f]*\) s2: \([a-z]*\)$/\2 \1 \3/p' "$f")
		if [ -n "$l" ]; then
			# KVM's stage-2 start level at 4K: 4 - (IPA bits - 8) / 9;
			# no MMU is recycled in this scenario (2 slots, 2 contexts):
			# none holds an old context's leaves
			want="$want$i valid $l ${sbits:-?} $((4 - (${sbits:-8} - 8) / 9)) no
"
		else
			want="$want$i invalid - - - - - -
"
		fi
	done
	expect_eq nv-s2probe-mmus "$(printf '%s' "$want" | sort -n)" "$(sed '1d' $N/s2p-mmus | sort -n)"
fi
if [ -e $V_NESTED/mmus ]; then
	if [ -n "${n:-}" ] && [ -s "$N/s2p-$n-pages" ]; then
		# sw: KVM keeps the level of L2's translation in the shadow leaf's
		# software bits 56:55 (KVM_NV_GUEST_MAP_SZ): 3, L2 maps 4K pages
		awk '{ print $1, $2, $3, $6, $7, $8, $10, $12 }' $N/s2p-$n-pages >$N/s2p-got
		expect_eq nv-s2probe-shadow-pages "0x0000000040000000 L3 map=4K NORMAL_WB RW x AF sw=0x3
0x0000000040100000 L3 map=4K NORMAL_WB RW $xs AF sw=0x3
0x0000000040300000 L3 map=4K NORMAL_WB RW $xs AF sw=0x3
0x0000000040500000 L3 map=4K NORMAL_WB R- $xs AF sw=0x3" "$(cat $N/s2p-got)"
		# ranges: a shadow IPA has no memslot: backing nested, slot=- hva=-
		expect_eq nv-s2probe-shadow-backing "slot=- hva=- nested" \
			"$(awk '{ print $(NF - 2), $(NF - 1), $NF }' $N/s2p-$n-ranges | sort -u | tr '\n' ' ' | sed 's/ $//')"
	else
		not_ok nv-s2probe-shadow-pages "no nested/${n:-?}/pages from s2probe"
	fi
	# every valid MMU (L3's and L2's own, stage 2 off), leaf by leaf:
	# upstream's dump (read before and after s2probe's) without its VTCR line
	for f in $N/up2.nested_mmu*; do
		[ "$upstream" = 1 ] && grep -q '^VTCR: ' "$f" || continue
		i=${f##*nested_mmu}
		sed '1d' "$f" >$N/up.peer$i
		if ! cmp -s $N/up1.nested_mmu$i "$f"; then
			not_ok peer-nested-$i "upstream nested_mmu$i changed while s2probe's was read"
		elif $LAB/tests/tools/peer-compare --granule 4K $N/up.peer$i $N/s2p-$i-pages >$N/peer$i.cmp 2>&1; then
			grep '^peer: ' $N/peer$i.cmp
			ok peer-nested-$i
		else
			head -n 20 $N/peer$i.cmp
			not_ok peer-nested-$i "$(grep -m1 '^peer: first: ' $N/peer$i.cmp || head -n 1 $N/peer$i.cmp)"
		fi
	done
	# (nested/<i>/ptdump, upstream's nested_mmu<i> byte for byte, is
	# withheld: the one lab run that read it ended in an RCU stall; the
	# format is checked against a real nested_mmu1 in tests/unit)
fi
