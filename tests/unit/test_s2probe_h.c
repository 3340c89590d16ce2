// SPDX-License-Identifier: GPL-2.0
/*
 * User-space tests of s2probe.h. The expectations are written out by hand
 * from the Arm ARM (tables of names, the stage-1 x stage-2 grid for every
 * named stage-1 type) or, for the exhaustive sweeps, restated as properties
 * that do not reuse the header's code paths.
 */
#include <stdio.h>
#include <string.h>

#include "s2probe.h"

static unsigned int passed, failed;

static void check(int ok, const char *what, const char *got, const char *want)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: got '%s', want '%s'\n", what, got, want);
}

static void check_str(const char *what, const char *got, const char *want)
{
	check(!strcmp(got, want), what, got, want);
}

static void check_u64(const char *what, unsigned long long got, unsigned long long want)
{
	char g[32], w[32];

	snprintf(g, sizeof(g), "0x%llx", got);
	snprintf(w, sizeof(w), "0x%llx", want);
	check(got == want, what, g, w);
}

/* Stage-2 MemAttr[3:0] names, Arm ARM tables, index = MemAttr. */
static const char * const want_nofwb[16] = {
	"DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE",
	"RESERVED", "NORMAL_NC", "NORMAL_IWT_ONC", "NORMAL_IWB_ONC",
	"RESERVED", "NORMAL_INC_OWT", "NORMAL_WT", "NORMAL_IWB_OWT",
	"RESERVED", "NORMAL_INC_OWB", "NORMAL_IWT_OWB", "NORMAL_WB",
};

static const char * const want_fwb[16] = {
	"DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE",
	"NORMAL_NC", "NORMAL_NC", "NORMAL_WB", "AS_S1",
	"DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE",
	"NORMAL_NC", "NORMAL_NC", "NORMAL_WB", "AS_S1",
};

static void test_memattr_names(void)
{
	char buf[S2P_MT_NAME_MAX], what[64];
	unsigned int m;

	for (m = 0; m < 16; m++) {
		snprintf(what, sizeof(what), "memattr 0x%x fwb=0", m);
		check_str(what, s2p_memattr_name(m, false, buf, sizeof(buf)), want_nofwb[m]);
		snprintf(what, sizeof(what), "memattr 0x%x fwb=1", m);
		check_str(what, s2p_memattr_name(m, true, buf, sizeof(buf)), want_fwb[m]);
	}
}

/*
 * The effective type for every named stage-1 type (columns, in the order of
 * s2p_s1_type()) and a set of stage-2 encodings, written out by hand.
 */
struct grid_row {
	unsigned int memattr;
	bool fwb;
	const char *want[S2P_NR_S1_TYPES];
};

static const char * const s1_names[S2P_NR_S1_TYPES] = {
	"NORMAL_WB", "NORMAL_WT", "NORMAL_NC", "NORMAL_WB_TAGGED",
	"DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE",
};

static const struct grid_row grid[] = {
	/* FWB=0: the weaker cacheability, the stronger Device type */
	{ 0xf, false, { "NORMAL_WB", "NORMAL_WT", "NORMAL_NC", "NORMAL_WB_TAGGED",
			"DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0xa, false, { "NORMAL_WT", "NORMAL_WT", "NORMAL_NC", "NORMAL_WT",
			"DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x5, false, { "NORMAL_NC", "NORMAL_NC", "NORMAL_NC", "NORMAL_NC",
			"DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x7, false, { "NORMAL_IWB_ONC", "NORMAL_IWT_ONC", "NORMAL_NC", "NORMAL_IWB_ONC",
			"DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x1, false, { "DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRE",
			"DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x3, false, { "DEVICE_GRE", "DEVICE_GRE", "DEVICE_GRE", "DEVICE_GRE",
			"DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x0, false, { "DEVICE_nGnRnE", "DEVICE_nGnRnE", "DEVICE_nGnRnE", "DEVICE_nGnRnE",
			"DEVICE_nGnRnE", "DEVICE_nGnRnE", "DEVICE_nGnRnE", "DEVICE_nGnRnE" } },
	/* a reserved stage 2 (Normal, inner 00) makes every access UNPREDICTABLE */
	{ 0x4, false, { "RESERVED", "RESERVED", "RESERVED", "RESERVED",
			"RESERVED", "RESERVED", "RESERVED", "RESERVED" } },
	/* FWB=1: forced WB, NC unless stage 1 is Device, Device, as stage 1 */
	{ 0x6, true, { "NORMAL_WB", "NORMAL_WB", "NORMAL_WB", "NORMAL_WB_TAGGED",
		       "NORMAL_WB", "NORMAL_WB", "NORMAL_WB", "NORMAL_WB" } },
	{ 0x5, true, { "NORMAL_NC", "NORMAL_NC", "NORMAL_NC", "NORMAL_NC",
		       "DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x4, true, { "NORMAL_NC", "NORMAL_NC", "NORMAL_NC", "NORMAL_NC",
		       "DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x1, true, { "DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRE",
		       "DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x2, true, { "DEVICE_nGRE", "DEVICE_nGRE", "DEVICE_nGRE", "DEVICE_nGRE",
		       "DEVICE_nGRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	{ 0x7, true, { "NORMAL_WB", "NORMAL_WT", "NORMAL_NC", "NORMAL_WB_TAGGED",
		       "DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
	/* MemAttr[3] (MTE_PERM NoTagAccess) does not change the type */
	{ 0xd, true, { "NORMAL_NC", "NORMAL_NC", "NORMAL_NC", "NORMAL_NC",
		       "DEVICE_GRE", "DEVICE_nGRE", "DEVICE_nGnRE", "DEVICE_nGnRnE" } },
};

static void test_grid(void)
{
	char buf[S2P_MT_NAME_MAX], what[96];
	struct s2p_mt s1, out;
	unsigned int r, i;

	for (i = 0; i < S2P_NR_S1_TYPES; i++)
		check_str("s1 type name", s2p_s1_type(i)->name, s1_names[i]);
	check(s2p_s1_type(S2P_NR_S1_TYPES) == NULL, "s1 type past the end", "?", "NULL");
	for (r = 0; r < sizeof(grid) / sizeof(grid[0]); r++) {
		for (i = 0; i < S2P_NR_S1_TYPES; i++) {
			check(s2p_s1_mair(s2p_s1_type(i)->mair, &s1), "s1 type decodes",
			      s1_names[i], "valid");
			s2p_combine(&s1, grid[r].memattr, grid[r].fwb, &out);
			snprintf(what, sizeof(what), "combine s1 %s x s2 0x%x fwb=%d",
				 s1_names[i], grid[r].memattr, grid[r].fwb);
			check_str(what, s2p_mt_name(&out, buf, sizeof(buf)), grid[r].want[i]);
		}
	}
}

/* The table of the 2023 KVM patch (seeds/): S2 Normal-NC under FWB and not. */
static void test_lkml_table(void)
{
	static const struct { unsigned char mair; const char *want; } rows[] = {
		{ 0xff, "NORMAL_NC" }, { 0xbb, "NORMAL_NC" }, { 0x44, "NORMAL_NC" },
		{ 0x00, "DEVICE_nGnRnE" }, { 0x04, "DEVICE_nGnRE" }, { 0x08, "DEVICE_nGRE" },
		{ 0x0c, "DEVICE_GRE" },
	};
	char buf[S2P_MT_NAME_MAX];
	struct s2p_mt s1, out;
	unsigned int i, fwb;

	for (fwb = 0; fwb < 2; fwb++) {
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			s2p_s1_mair(rows[i].mair, &s1);
			/* MT_S2_NORMAL_NC 0x5 and MT_S2_FWB_NORMAL_NC 5 */
			s2p_combine(&s1, 5, fwb, &out);
			check_str("LKML table", s2p_mt_name(&out, buf, sizeof(buf)), rows[i].want);
		}
	}
}

static void test_s1_mair(void)
{
	static const unsigned char reserved[] = { 0x02, 0x03, 0x06, 0x0a, 0x0e, 0x10, 0x80,
						  0xc0, 0x30, 0x50, 0x90 };
	static const struct { unsigned char mair; const char *want; } named[] = {
		{ 0xff, "NORMAL_WB" }, { 0xee, "NORMAL_WB" }, { 0x77, "NORMAL_WB" },
		{ 0xaa, "NORMAL_WT" }, { 0x22, "NORMAL_WT" }, { 0x44, "NORMAL_NC" },
		{ 0x4f, "NORMAL_IWB_ONC" }, { 0xf4, "NORMAL_INC_OWB" }, { 0xbf, "NORMAL_IWB_OWT" },
		{ 0xf0, "NORMAL_WB_TAGGED" }, { 0x40, "NORMAL_NC" }, { 0xa0, "NORMAL_WT" },
		{ 0x00, "DEVICE_nGnRnE" }, { 0x04, "DEVICE_nGnRE" }, { 0x08, "DEVICE_nGRE" },
		{ 0x0c, "DEVICE_GRE" }, { 0x05, "DEVICE_nGnRE" },
	};
	char buf[S2P_MT_NAME_MAX], what[48];
	struct s2p_mt mt;
	unsigned int i;

	for (i = 0; i < sizeof(reserved); i++) {
		snprintf(what, sizeof(what), "MAIR 0x%02x is reserved", reserved[i]);
		check(!s2p_s1_mair(reserved[i], &mt), what, "accepted", "rejected");
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		snprintf(what, sizeof(what), "MAIR 0x%02x", named[i].mair);
		check(s2p_s1_mair(named[i].mair, &mt), what, "rejected", "accepted");
		check_str(what, s2p_mt_name(&mt, buf, sizeof(buf)), named[i].want);
	}
	s2p_s1_mair(0xee, &mt);	/* 0b1110: WB non-transient, read-allocate */
	check_u64("MAIR 0xee hints", mt.ihint, 2);
	check(!mt.itrans, "MAIR 0xee non-transient", "transient", "non-transient");
	s2p_s1_mair(0x77, &mt);	/* 0b0111: WB transient RW-allocate */
	check(mt.itrans && mt.otrans, "MAIR 0x77 transient", "non-transient", "transient");
}

/* Properties over all 256 MAIR bytes x 16 MemAttr x FWB off/on. */
static int dev_rank(const struct s2p_mt *m)
{
	return m->kind == S2P_DEVICE ? (int)m->dev : 99;
}

static void test_sweep(void)
{
	unsigned int mair, m, fwb, bad = 0;
	struct s2p_mt s1, s2, out;

	for (mair = 0; mair < 256; mair++) {
		if (!s2p_s1_mair(mair, &s1))
			continue;
		for (m = 0; m < 16; m++) {
			for (fwb = 0; fwb < 2; fwb++) {
				s2p_s2_memattr(m, fwb, &s2);
				s2p_combine(&s1, m, fwb, &out);
				if (!fwb && s2.kind == S2P_RESERVED) {
					bad += out.kind != S2P_RESERVED;
					continue;
				}
				if (s1.kind == S2P_DEVICE || s2.kind == S2P_DEVICE) {
					int want = dev_rank(&s1) < dev_rank(&s2) ?
						   dev_rank(&s1) : dev_rank(&s2);

					/* FWB: forced WB and AS_S1 win over stage 1 */
					if (fwb && (m & 7) == 6)
						bad += out.kind != S2P_NORMAL;
					else if (fwb && (m & 7) == 7)
						bad += memcmp(&out, &s1, sizeof(out)) != 0;
					else
						bad += out.kind != S2P_DEVICE || (int)out.dev != want;
					continue;
				}
				if (fwb) {
					if ((m & 3) == 3)
						bad += memcmp(&out, &s1, sizeof(out)) != 0;
					else if ((m & 3) == 2)
						bad += out.inner != S2P_WB || out.outer != S2P_WB;
					else
						bad += out.inner != S2P_NC || out.outer != S2P_NC;
					continue;
				}
				/* both Normal: never more cacheable than either side */
				bad += out.kind != S2P_NORMAL ||
				       out.inner > s1.inner || out.inner > s2.inner ||
				       out.outer > s1.outer || out.outer > s2.outer ||
				       (out.inner != s1.inner && out.inner != s2.inner) ||
				       (out.outer != s1.outer && out.outer != s2.outer);
			}
		}
	}
	check(bad == 0, "sweep of 256 MAIR x 16 MemAttr x FWB", bad ? "violations" : "",
	      "none");
}

static void test_names(void)
{
	static const char * const ap[] = { "--", "R-", "-W", "RW" };
	static const char * const xn[] = { "x", "pxn", "xn", "uxn" };
	static const char * const sh[] = { "NSH", "RES", "OSH", "ISH", "VTCR" };
	char buf[S2P_SIZE_NAME_MAX];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		check_str("s2ap name", s2p_s2ap_name(i), ap[i]);
		check_str("xn name", s2p_xn_name(i), xn[i]);
	}
	for (i = 0; i < 5; i++)
		check_str("sh name", s2p_sh_name(i), sh[i]);
	check_str("sh out of range", s2p_sh_name(9), "?");
	check_str("size 4K", s2p_size_name(4096, buf, sizeof(buf)), "4K");
	check_str("size 12K", s2p_size_name(12288, buf, sizeof(buf)), "12K");
	check_str("size 2M", s2p_size_name(2 << 20, buf, sizeof(buf)), "2M");
	check_str("size 6M", s2p_size_name(6 << 20, buf, sizeof(buf)), "6M");
	check_str("size 1G", s2p_size_name(1ULL << 30, buf, sizeof(buf)), "1G");
	check_str("size 4T", s2p_size_name(1ULL << 42, buf, sizeof(buf)), "4T");
	check_str("size 100B", s2p_size_name(100, buf, sizeof(buf)), "100B");
}

static void test_geometry(void)
{
	static const struct {
		unsigned int shift;
		int level;
		unsigned long long size;
		unsigned int cont;
		bool block, block_lpa2;
	} g[] = {
		{ 12, -1, 1ULL << 48, 0, false, false },
		{ 12, 0, 1ULL << 39, 0, false, true },
		{ 12, 1, 1ULL << 30, 16, true, true },
		{ 12, 2, 1ULL << 21, 16, true, true },
		{ 12, 3, 1ULL << 12, 16, false, false },
		{ 14, 0, 1ULL << 47, 0, false, false },
		{ 14, 1, 1ULL << 36, 0, false, true },
		{ 14, 2, 1ULL << 25, 32, true, true },
		{ 14, 3, 1ULL << 14, 128, false, false },
		{ 16, 1, 1ULL << 42, 0, false, true },
		{ 16, 2, 1ULL << 29, 32, true, true },
		{ 16, 3, 1ULL << 16, 32, false, false },
	};
	char what[64];
	unsigned int i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		snprintf(what, sizeof(what), "%uK L%d size", 1U << (g[i].shift - 10), g[i].level);
		check_u64(what, s2p_level_size(g[i].shift, g[i].level), g[i].size);
		snprintf(what, sizeof(what), "%uK L%d contiguous", 1U << (g[i].shift - 10),
			 g[i].level);
		check_u64(what, s2p_cont_entries(g[i].shift, g[i].level), g[i].cont);
		snprintf(what, sizeof(what), "%uK L%d block", 1U << (g[i].shift - 10), g[i].level);
		check(s2p_block_allowed(g[i].shift, g[i].level, false) == g[i].block, what,
		      "differs", "as Arm ARM");
		check(s2p_block_allowed(g[i].shift, g[i].level, true) == g[i].block_lpa2, what,
		      "differs (LPA2)", "as Arm ARM");
	}
}

static void test_leaf(void)
{
	struct s2p_leaf l;
	u64 d;

	/* 4K page: MemAttr 6, RW, ISH, AF, contiguous, XN=2, SW 0x5, OA 0x12345000 */
	d = 0x12345000ULL | 3 | (6 << 2) | (3 << 6) | (3 << 8) | S2P_BIT(10) |
	    S2P_BIT(52) | (2ULL << 53) | (5ULL << 55);
	check(!s2p_leaf_decode(d, 3, 12, false, &l), "4K page decodes", "error", "ok");
	check_u64("page oa", l.oa, 0x12345000);
	check_u64("page size", l.size, 4096);
	check_u64("page memattr", l.memattr, 6);
	check_u64("page s2ap", l.s2ap, 3);
	check_u64("page sh", l.sh, S2P_SH_ISH);
	check_u64("page xn", l.xn, 2);
	check_u64("page sw", l.sw, 5);
	check(l.af && l.contig && !l.dbm && !l.fnxs, "page flags", "wrong", "AF C");
	/* 2M block at L2 */
	d = 0x40200000ULL | 1 | (0xf << 2) | (1 << 6) | S2P_BIT(51);
	check(!s2p_leaf_decode(d, 2, 12, false, &l), "2M block decodes", "error", "ok");
	check_u64("block oa", l.oa, 0x40200000);
	check_u64("block size", l.size, 2 << 20);
	check(l.dbm && !l.af, "block flags", "wrong", "DBM");
	check(s2p_leaf_decode(d | 2, 2, 12, false, &l) == -1, "table is not a leaf", "leaf",
	      "rejected");
	check(s2p_leaf_decode(d & ~1ULL, 2, 12, false, &l) == -1, "invalid entry", "leaf",
	      "rejected");
	check(s2p_leaf_decode(0x1000 | 1, 3, 12, false, &l) == -1, "L3 type 01 reserved",
	      "leaf", "rejected");
	check(s2p_leaf_decode(0x1 | (1ULL << 39), 0, 12, false, &l) == -1,
	      "no 512G block without LPA2", "leaf", "rejected");
	/* LPA2, 4K: OA[51:50] in [9:8], OA[49:48] in place, SH from VTCR */
	d = 0x3000000001000ULL | 3 | (3 << 8);
	check(!s2p_leaf_decode(d, 3, 12, true, &l), "LPA2 page decodes", "error", "ok");
	check_u64("LPA2 oa", l.oa, 0xf000000001000ULL);
	check_u64("LPA2 sh", l.sh, S2P_SH_VTCR);
	/* 64K with FEAT_LPA: OA[51:48] in [15:12] */
	d = 0x10000ULL | 0xa000 | 3 | (2 << 8);
	check(!s2p_leaf_decode(d, 3, 16, true, &l), "64K LPA page decodes", "error", "ok");
	check_u64("64K LPA oa", l.oa, 0xa000000010000ULL);
	check_u64("64K LPA sh", l.sh, S2P_SH_OSH);
	/* 16K: 32M block at L2, address bits below 32M are not address */
	d = 0x82000000ULL | 0x1ff0000 | 1;
	check(!s2p_leaf_decode(d, 2, 14, false, &l), "16K 32M block decodes", "error", "ok");
	check_u64("16K block oa", l.oa, 0x82000000ULL);
}

static void test_sh(void)
{
	struct s2p_mt wb, nc, dev;

	s2p_s1_mair(0xff, &wb);
	s2p_s1_mair(0x44, &nc);
	s2p_s1_mair(0x04, &dev);
	check_u64("sh ISH+NSH", s2p_combine_sh(S2P_SH_ISH, S2P_SH_NSH, &wb), S2P_SH_ISH);
	check_u64("sh NSH+OSH", s2p_combine_sh(S2P_SH_NSH, S2P_SH_OSH, &wb), S2P_SH_OSH);
	check_u64("sh OSH+ISH", s2p_combine_sh(S2P_SH_OSH, S2P_SH_ISH, &wb), S2P_SH_OSH);
	check_u64("sh NSH+NSH", s2p_combine_sh(S2P_SH_NSH, S2P_SH_NSH, &wb), S2P_SH_NSH);
	check_u64("sh NC is OSH", s2p_combine_sh(S2P_SH_NSH, S2P_SH_NSH, &nc), S2P_SH_OSH);
	check_u64("sh Device is OSH", s2p_combine_sh(S2P_SH_ISH, S2P_SH_NSH, &dev), S2P_SH_OSH);
	check_u64("sh VTCR side", s2p_combine_sh(S2P_SH_ISH, S2P_SH_VTCR, &wb), S2P_SH_ISH);
}

int main(void)
{
	test_memattr_names();
	test_grid();
	test_lkml_table();
	test_s1_mair();
	test_sweep();
	test_names();
	test_geometry();
	test_leaf();
	test_sh();
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
