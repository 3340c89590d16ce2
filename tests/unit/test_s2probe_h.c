// SPDX-License-Identifier: GPL-2.0
/*
 * User-space tests of s2probe.h against an independent model.
 *
 * The expectations are not computed with the header's code: they are written
 * out by hand from the Arm ARM (DDI 0487 D8.3, D8.6, D8.7) as explicit tables
 * (every MemAttr under both FWB settings, the effective type of 25 stage-1
 * MAIR bytes against all 16 MemAttr values under both FWB settings, geometry,
 * shareability), and, for the exhaustive sweep of 256 MAIR bytes x 16 MemAttr
 * x FWB off/on, restated as properties computed from the test's own decoding
 * of the MAIR byte and of MemAttr.
 *
 * One line per failed check; the last line is "N passed, N failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2probe.h"

static unsigned long passed, failed;

static void check_v(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* check(condition, printf format, ...): the dead printf() checks the format */
#define check(ok, ...)								\
	do {									\
		if (0)								\
			printf(__VA_ARGS__);					\
		check_v((ok), __VA_ARGS__);					\
	} while (0)

#define check_str(got, want, fmt, ...)						\
	do {									\
		const char *g_ = (got), *w_ = (want);				\
		check(!strcmp(g_, w_), fmt ": got '%s', want '%s'",		\
		      ##__VA_ARGS__, g_, w_);					\
	} while (0)

#define check_u64(got, want, fmt, ...)						\
	do {									\
		unsigned long long g_ = (got), w_ = (want);			\
		check(g_ == w_, fmt ": got 0x%llx, want 0x%llx",		\
		      ##__VA_ARGS__, g_, w_);					\
	} while (0)

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Stage-2 MemAttr alone: Arm ARM tables, index = MemAttr[3:0]. */

static const char * const want_memattr[2][16] = {
	{	/* FWB=0: Table "Stage 2 MemAttr[3:0] encoding" (no FEAT_MTE_PERM) */
		"DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE",
		"RESERVED", "NORMAL_NC", "NORMAL_IWT_ONC", "NORMAL_IWB_ONC",
		"RESERVED", "NORMAL_INC_OWT", "NORMAL_WT", "NORMAL_IWB_OWT",
		"RESERVED", "NORMAL_INC_OWB", "NORMAL_IWT_OWB", "NORMAL_WB",
	},
	{	/* FWB=1: MemAttr[3] RES0 (ignored), 0b?100 Reserved */
		"DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE",
		"RESERVED", "NORMAL_NC", "NORMAL_WB", "AS_S1",
		"DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE",
		"RESERVED", "NORMAL_NC", "NORMAL_WB", "AS_S1",
	},
};

static void test_memattr_names(void)
{
	char buf[S2P_MT_NAME_MAX];
	struct s2p_mt mt;
	unsigned int m, fwb;

	for (fwb = 0; fwb < 2; fwb++) {
		for (m = 0; m < 16; m++) {
			check_str(s2p_memattr_name(m, fwb, buf, sizeof(buf)), want_memattr[fwb][m],
				  "memattr 0x%x fwb=%u name", m, fwb);
			s2p_s2_memattr(m, fwb, &mt);
			check_str(s2p_mt_name(&mt, buf, sizeof(buf)), want_memattr[fwb][m],
				  "s2p_s2_memattr 0x%x fwb=%u", m, fwb);
		}
	}
}

/* ------------------------------------------------------------------------ */
/*
 * The effective type: for each stage-1 MAIR byte, 16 tokens per FWB setting,
 * MemAttr 0x0 first. Tokens: D0..D3 Device by MemAttr[1:0] code (nGnRnE,
 * nGnRE, nGRE, GRE), NC WT WB, TG (Normal WB Tagged), RS (RESERVED),
 * I<x>O<y> inner/outer with N(C) T(WT) B(WB).
 */
struct grid_row {
	unsigned char mair;
	const char *s1;		/* the stage-1 type alone */
	const char *fwb0, *fwb1;
};

#define ROW_WB		"D0 D1 D2 D3 RS NC ITON IBON RS INOT WT IBOT RS INOB ITOB WB"
#define ROW_WB_F	"D0 D1 D2 D3 RS NC WB WB D0 D1 D2 D3 RS NC WB WB"
#define ROW_WT		"D0 D1 D2 D3 RS NC ITON ITON RS INOT WT WT RS INOT WT WT"
#define ROW_WT_F	"D0 D1 D2 D3 RS NC WB WT D0 D1 D2 D3 RS NC WB WT"
#define ROW_NC		"D0 D1 D2 D3 RS NC NC NC RS NC NC NC RS NC NC NC"
#define ROW_NC_F	"D0 D1 D2 D3 RS NC WB NC D0 D1 D2 D3 RS NC WB NC"
#define ROW_D3		"D0 D1 D2 D3 RS D3 D3 D3 RS D3 D3 D3 RS D3 D3 D3"
#define ROW_D3_F	"D0 D1 D2 D3 RS D3 WB D3 D0 D1 D2 D3 RS D3 WB D3"
#define ROW_D2		"D0 D1 D2 D2 RS D2 D2 D2 RS D2 D2 D2 RS D2 D2 D2"
#define ROW_D2_F	"D0 D1 D2 D2 RS D2 WB D2 D0 D1 D2 D2 RS D2 WB D2"
#define ROW_D1		"D0 D1 D1 D1 RS D1 D1 D1 RS D1 D1 D1 RS D1 D1 D1"
#define ROW_D1_F	"D0 D1 D1 D1 RS D1 WB D1 D0 D1 D1 D1 RS D1 WB D1"
#define ROW_D0		"D0 D0 D0 D0 RS D0 D0 D0 RS D0 D0 D0 RS D0 D0 D0"
#define ROW_D0_F	"D0 D0 D0 D0 RS D0 WB D0 D0 D0 D0 D0 RS D0 WB D0"

static const struct grid_row grid[] = {
	/* the named stage-1 types of the effective view */
	{ 0xff, "NORMAL_WB", ROW_WB, ROW_WB_F },
	{ 0xbb, "NORMAL_WT", ROW_WT, ROW_WT_F },
	{ 0x44, "NORMAL_NC", ROW_NC, ROW_NC_F },
	{ 0xf0, "NORMAL_WB_TAGGED",
		"D0 D1 D2 D3 RS NC ITON IBON RS INOT WT IBOT RS INOB ITOB TG",
		"D0 D1 D2 D3 RS NC TG TG D0 D1 D2 D3 RS NC TG TG" },
	{ 0x0c, "DEVICE_GRE", ROW_D3, ROW_D3_F },
	{ 0x08, "DEVICE_nGRE", ROW_D2, ROW_D2_F },
	{ 0x04, "DEVICE_nGnRE", ROW_D1, ROW_D1_F },
	{ 0x00, "DEVICE_nGnRnE", ROW_D0, ROW_D0_F },
	/* other hints and transience: same types, never tagged */
	{ 0xee, "NORMAL_WB", ROW_WB, ROW_WB_F },
	{ 0x77, "NORMAL_WB", ROW_WB, ROW_WB_F },
	{ 0xcc, "NORMAL_WB", ROW_WB, ROW_WB_F },
	{ 0xfe, "NORMAL_WB", ROW_WB, ROW_WB_F },
	{ 0x7f, "NORMAL_WB", ROW_WB, ROW_WB_F },
	{ 0x33, "NORMAL_WT", ROW_WT, ROW_WT_F },
	{ 0x88, "NORMAL_WT", ROW_WT, ROW_WT_F },
	/* inner != outer */
	{ 0xbf, "NORMAL_IWB_OWT",
		"D0 D1 D2 D3 RS NC ITON IBON RS INOT WT IBOT RS INOT WT IBOT",
		"D0 D1 D2 D3 RS NC WB IBOT D0 D1 D2 D3 RS NC WB IBOT" },
	{ 0xfb, "NORMAL_IWT_OWB",
		"D0 D1 D2 D3 RS NC ITON ITON RS INOT WT WT RS INOB ITOB ITOB",
		"D0 D1 D2 D3 RS NC WB ITOB D0 D1 D2 D3 RS NC WB ITOB" },
	{ 0x4f, "NORMAL_IWB_ONC",
		"D0 D1 D2 D3 RS NC ITON IBON RS NC ITON IBON RS NC ITON IBON",
		"D0 D1 D2 D3 RS NC WB IBON D0 D1 D2 D3 RS NC WB IBON" },
	{ 0xf4, "NORMAL_INC_OWB",
		"D0 D1 D2 D3 RS NC NC NC RS INOT INOT INOT RS INOB INOB INOB",
		"D0 D1 D2 D3 RS NC WB INOB D0 D1 D2 D3 RS NC WB INOB" },
	{ 0x4b, "NORMAL_IWT_ONC",
		"D0 D1 D2 D3 RS NC ITON ITON RS NC ITON ITON RS NC ITON ITON",
		"D0 D1 D2 D3 RS NC WB ITON D0 D1 D2 D3 RS NC WB ITON" },
	{ 0xb4, "NORMAL_INC_OWT",
		"D0 D1 D2 D3 RS NC NC NC RS INOT INOT INOT RS INOT INOT INOT",
		"D0 D1 D2 D3 RS NC WB INOT D0 D1 D2 D3 RS NC WB INOT" },
	/* FEAT_XS encodings */
	{ 0x40, "NORMAL_NC", ROW_NC, ROW_NC_F },
	{ 0xa0, "NORMAL_WT", ROW_WT, ROW_WT_F },
	{ 0x01, "DEVICE_nGnRnE", ROW_D0, ROW_D0_F },
	{ 0x05, "DEVICE_nGnRE", ROW_D1, ROW_D1_F },
	{ 0x09, "DEVICE_nGRE", ROW_D2, ROW_D2_F },
	{ 0x0d, "DEVICE_GRE", ROW_D3, ROW_D3_F },
};

/* Expand a grid token into the vocabulary. */
static const char *token_name(const char *tok, char *buf, size_t len)
{
	static const char * const dev[] = { "nGnRnE", "nGnRE", "nGRE", "GRE" };
	static const struct { char c; const char *name; } cache[] = {
		{ 'N', "NC" }, { 'T', "WT" }, { 'B', "WB" },
	};
	const char *in = NULL, *out = NULL;
	unsigned int i;

	if (tok[0] == 'D' && tok[1] >= '0' && tok[1] <= '3') {
		snprintf(buf, len, "DEVICE_%s", dev[tok[1] - '0']);
		return buf;
	}
	if (!strcmp(tok, "NC") || !strcmp(tok, "WT") || !strcmp(tok, "WB")) {
		snprintf(buf, len, "NORMAL_%s", tok);
		return buf;
	}
	if (!strcmp(tok, "TG") || !strcmp(tok, "RS")) {
		snprintf(buf, len, "%s", tok[0] == 'T' ? "NORMAL_WB_TAGGED" : "RESERVED");
		return buf;
	}
	if (strlen(tok) != 4 || tok[0] != 'I' || tok[2] != 'O') {
		snprintf(buf, len, "bad token %s", tok);
		return buf;
	}
	for (i = 0; i < N(cache); i++) {
		if (cache[i].c == tok[1])
			in = cache[i].name;
		if (cache[i].c == tok[3])
			out = cache[i].name;
	}
	snprintf(buf, len, "NORMAL_I%s_O%s", in ? in : "?", out ? out : "?");
	return buf;
}

static void test_grid(void)
{
	char name[S2P_MT_NAME_MAX], want[64], toks[128], *tok, *save;
	struct s2p_mt s1, out;
	unsigned int r, fwb, m;

	for (r = 0; r < N(grid); r++) {
		check(s2p_s1_mair(grid[r].mair, &s1), "MAIR 0x%02x accepted", grid[r].mair);
		check_str(s2p_mt_name(&s1, name, sizeof(name)), grid[r].s1,
			  "MAIR 0x%02x alone", grid[r].mair);
		for (fwb = 0; fwb < 2; fwb++) {
			snprintf(toks, sizeof(toks), "%s", fwb ? grid[r].fwb1 : grid[r].fwb0);
			m = 0;
			for (tok = strtok_r(toks, " ", &save); tok;
			     tok = strtok_r(NULL, " ", &save), m++) {
				if (m > 15)
					break;
				s2p_combine(&s1, m, fwb, &out);
				check_str(s2p_mt_name(&out, name, sizeof(name)),
					  token_name(tok, want, sizeof(want)),
					  "s1 0x%02x x s2 0x%x fwb=%u", grid[r].mair, m, fwb);
			}
			check(m == 16, "grid row 0x%02x fwb=%u has %u tokens", grid[r].mair, fwb,
			      m);
		}
	}
}

/*
 * Allocation hints of the result (rules RTHYXB, RTBQKG and
 * S2CombineS1AttrHints): stage-1 hints where the result side is cacheable
 * and stage 1 was, RWA non-transient where FWB forces WB over a stage 1 that
 * was not cacheable on that side, nothing for Non-cacheable.
 */
static void test_hints(void)
{
	static const struct {
		unsigned char mair, memattr, fwb;
		unsigned char ihint, ohint, ti, to;
	} h[] = {
		{ 0xff, 0xf, 0, 3, 3, 0, 0 },
		{ 0xee, 0xf, 0, 2, 2, 0, 0 },
		{ 0xee, 0xa, 0, 2, 2, 0, 0 },	/* WT keeps the RA hint */
		{ 0x77, 0xf, 0, 3, 3, 1, 1 },
		{ 0x7f, 0xf, 0, 3, 3, 0, 1 },
		{ 0x33, 0xb, 0, 3, 3, 1, 1 },
		{ 0x4f, 0xf, 0, 3, 0, 0, 0 },	/* outer NC: no hint */
		{ 0xff, 0x7, 0, 3, 0, 0, 0 },
		{ 0xff, 0x5, 0, 0, 0, 0, 0 },
		{ 0x88, 0xf, 0, 0, 0, 0, 0 },	/* WT no-allocate */
		{ 0x44, 0x6, 1, 3, 3, 0, 0 },	/* FWB WB over NC: RWA */
		{ 0x04, 0x6, 1, 3, 3, 0, 0 },	/* FWB WB over Device: RWA */
		{ 0x88, 0x6, 1, 0, 0, 0, 0 },	/* FWB WB over WT no-allocate */
		{ 0x33, 0x6, 1, 3, 3, 1, 1 },	/* keeps transience */
		{ 0xee, 0xe, 1, 2, 2, 0, 0 },
		{ 0x4e, 0x6, 1, 2, 3, 0, 0 },	/* inner from stage 1, outer RWA */
		{ 0xe4, 0x6, 1, 3, 2, 0, 0 },
		{ 0x7e, 0x7, 1, 2, 3, 0, 1 },	/* AS_S1: stage 1 as is */
		{ 0xff, 0x5, 1, 0, 0, 0, 0 },
	};
	struct s2p_mt s1, out;
	unsigned int i;

	for (i = 0; i < N(h); i++) {
		s2p_s1_mair(h[i].mair, &s1);
		s2p_combine(&s1, h[i].memattr, h[i].fwb, &out);
		check(out.ihint == h[i].ihint && out.ohint == h[i].ohint &&
		      out.transient_i == h[i].ti && out.transient_o == h[i].to,
		      "hints s1 0x%02x x s2 0x%x fwb=%u: got i%u o%u t%u%u, want i%u o%u t%u%u",
		      h[i].mair, h[i].memattr, h[i].fwb, out.ihint, out.ohint, out.transient_i,
		      out.transient_o, h[i].ihint, h[i].ohint, h[i].ti, h[i].to);
	}
}

/* The table of the 2023 KVM patch (shared/seeds): stage 2 Normal-NC (MemAttr 5). */
static void test_lkml_table(void)
{
	static const struct { unsigned char mair; const char *want; } rows[] = {
		{ 0xff, "NORMAL_NC" },		/* NORMAL-WB x NORMAL-NC */
		{ 0xbb, "NORMAL_NC" },		/* NORMAL-WT x NORMAL-NC */
		{ 0x44, "NORMAL_NC" },		/* NORMAL-NC x NORMAL-NC */
		{ 0x00, "DEVICE_nGnRnE" },	/* DEVICE<attr> x NORMAL-NC */
		{ 0x04, "DEVICE_nGnRE" },
		{ 0x08, "DEVICE_nGRE" },
		{ 0x0c, "DEVICE_GRE" },
	};
	char buf[S2P_MT_NAME_MAX];
	struct s2p_mt s1, out;
	unsigned int i, fwb;

	for (fwb = 0; fwb < 2; fwb++) {
		for (i = 0; i < N(rows); i++) {
			s2p_s1_mair(rows[i].mair, &s1);
			s2p_combine(&s1, 5, fwb, &out);	/* MT_S2_NORMAL_NC, MT_S2_FWB_NORMAL_NC */
			check_str(s2p_mt_name(&out, buf, sizeof(buf)), rows[i].want,
				  "LKML table s1 0x%02x fwb=%u", rows[i].mair, fwb);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Stage-1 MAIR decoding. */

static void test_s1_mair(void)
{
	/* UNPREDICTABLE: 0b0000xx1x and 0bxxxx0000 other than 0x40, 0xa0, 0xf0 */
	static const unsigned char reserved[] = {
		0x02, 0x03, 0x06, 0x07, 0x0a, 0x0b, 0x0e, 0x0f, 0x10, 0x20, 0x30, 0x50,
		0x60, 0x70, 0x80, 0x90, 0xb0, 0xc0, 0xd0, 0xe0,
	};
	static const struct {
		unsigned char mair;
		const char *name;
		unsigned char ihint, ohint, ti, to, tagged;
	} named[] = {
		{ 0xff, "NORMAL_WB", 3, 3, 0, 0, 0 },
		{ 0xf0, "NORMAL_WB_TAGGED", 3, 3, 0, 0, 1 },
		{ 0xee, "NORMAL_WB", 2, 2, 0, 0, 0 },
		{ 0xdd, "NORMAL_WB", 1, 1, 0, 0, 0 },
		{ 0xcc, "NORMAL_WB", 0, 0, 0, 0, 0 },
		{ 0x77, "NORMAL_WB", 3, 3, 1, 1, 0 },
		{ 0x55, "NORMAL_WB", 1, 1, 1, 1, 0 },
		{ 0xbb, "NORMAL_WT", 3, 3, 0, 0, 0 },
		{ 0xaa, "NORMAL_WT", 2, 2, 0, 0, 0 },
		{ 0xa0, "NORMAL_WT", 2, 2, 0, 0, 0 },	/* XS=0: WT RA non-transient */
		{ 0x88, "NORMAL_WT", 0, 0, 0, 0, 0 },
		{ 0x33, "NORMAL_WT", 3, 3, 1, 1, 0 },
		{ 0x11, "NORMAL_WT", 1, 1, 1, 1, 0 },
		{ 0x44, "NORMAL_NC", 0, 0, 0, 0, 0 },
		{ 0x40, "NORMAL_NC", 0, 0, 0, 0, 0 },	/* XS=0 */
		{ 0x4f, "NORMAL_IWB_ONC", 3, 0, 0, 0, 0 },
		{ 0xf4, "NORMAL_INC_OWB", 0, 3, 0, 0, 0 },
		{ 0xbf, "NORMAL_IWB_OWT", 3, 3, 0, 0, 0 },
		{ 0x7b, "NORMAL_IWT_OWB", 3, 3, 0, 1, 0 },
		{ 0x1c, "NORMAL_IWB_OWT", 0, 1, 0, 1, 0 },
		{ 0x00, "DEVICE_nGnRnE", 0, 0, 0, 0, 0 },
		{ 0x01, "DEVICE_nGnRnE", 0, 0, 0, 0, 0 },	/* XS=0 */
		{ 0x04, "DEVICE_nGnRE", 0, 0, 0, 0, 0 },
		{ 0x05, "DEVICE_nGnRE", 0, 0, 0, 0, 0 },
		{ 0x08, "DEVICE_nGRE", 0, 0, 0, 0, 0 },
		{ 0x09, "DEVICE_nGRE", 0, 0, 0, 0, 0 },
		{ 0x0c, "DEVICE_GRE", 0, 0, 0, 0, 0 },
		{ 0x0d, "DEVICE_GRE", 0, 0, 0, 0, 0 },
	};
	char buf[S2P_MT_NAME_MAX];
	struct s2p_mt mt, out;
	unsigned int i;

	for (i = 0; i < N(reserved); i++) {
		check(!s2p_s1_mair(reserved[i], &mt), "MAIR 0x%02x is reserved", reserved[i]);
		check_str(s2p_mt_name(&mt, buf, sizeof(buf)), "RESERVED",
			  "reserved MAIR 0x%02x type", reserved[i]);
		s2p_combine(&mt, 0xf, false, &out);
		check_str(s2p_mt_name(&out, buf, sizeof(buf)), "RESERVED",
			  "reserved MAIR 0x%02x combined", reserved[i]);
	}
	for (i = 0; i < N(named); i++) {
		check(s2p_s1_mair(named[i].mair, &mt), "MAIR 0x%02x accepted", named[i].mair);
		check_str(s2p_mt_name(&mt, buf, sizeof(buf)), named[i].name,
			  "MAIR 0x%02x", named[i].mair);
		check(mt.ihint == named[i].ihint && mt.ohint == named[i].ohint &&
		      mt.transient_i == named[i].ti && mt.transient_o == named[i].to &&
		      mt.tagged == named[i].tagged,
		      "MAIR 0x%02x hints/transient/tagged: got i%u o%u t%u%u g%u", named[i].mair,
		      mt.ihint, mt.ohint, mt.transient_i, mt.transient_o, mt.tagged);
	}
}

/* The stage-1 types of the effective view. */
static void test_s1_types(void)
{
	static const struct { const char *name; unsigned char mair; } want[] = {
		{ "NORMAL_WB", 0xff }, { "NORMAL_WT", 0xbb }, { "NORMAL_NC", 0x44 },
		{ "NORMAL_WB_TAGGED", 0xf0 }, { "DEVICE_GRE", 0x0c }, { "DEVICE_nGRE", 0x08 },
		{ "DEVICE_nGnRE", 0x04 }, { "DEVICE_nGnRnE", 0x00 },
	};
	char buf[S2P_MT_NAME_MAX];
	struct s2p_mt mt;
	unsigned int i;

	check_u64(S2P_NR_S1_TYPES, N(want), "S2P_NR_S1_TYPES");
	for (i = 0; i < N(want) && i < S2P_NR_S1_TYPES; i++) {
		check_str(s2p_s1_types[i].name, want[i].name, "s1 type %u name", i);
		check_u64(s2p_s1_types[i].mair, want[i].mair, "s1 type %u MAIR", i);
		check(s2p_s1_type(i) == &s2p_s1_types[i], "s2p_s1_type(%u)", i);
		check(s2p_s1_mair(want[i].mair, &mt), "s1 type %u decodes", i);
		check_str(s2p_mt_name(&mt, buf, sizeof(buf)), want[i].name,
			  "s1 type %u name matches its MAIR", i);
	}
	check(!s2p_s1_type(S2P_NR_S1_TYPES), "s2p_s1_type() past the end is NULL");
}

/* ------------------------------------------------------------------------ */
/*
 * Exhaustive sweep with the test's own decoding of the MAIR byte (the MAIR
 * tables: high nibble outer, low inner; 0b0100 NC, 0bx0RW WT, 0bx1RW WB,
 * 0b00RW/0b01RW transient) and of MemAttr.
 */
struct model {
	bool valid, device, tagged;
	int dev;			/* 0 nGnRnE .. 3 GRE */
	int in, out;			/* 0 NC, 1 WT, 2 WB */
	int ihint, ohint;
	bool ti, to;
};

static void model_nibble(int n, int *cache, int *hint, bool *trans)
{
	if (n == 4) {
		*cache = 0;
		*hint = 0;
		*trans = false;
		return;
	}
	*cache = (n >> 2) & 1 ? 2 : 1;
	*hint = n & 3;
	*trans = n < 8;
}

static struct model model_mair(int b)
{
	struct model m = { 0 };
	int hi = b >> 4, lo = b & 15;

	if (hi == 0) {
		m.valid = !(lo & 2);
		m.device = true;
		m.dev = lo >> 2;
		return m;
	}
	if (lo == 0 && b != 0x40 && b != 0xa0 && b != 0xf0)
		return m;
	m.valid = true;
	if (b == 0x40)
		b = 0x44;
	if (b == 0xa0)
		b = 0xaa;
	if (b == 0xf0) {
		b = 0xff;
		m.tagged = true;
	}
	model_nibble(b >> 4, &m.out, &m.ohint, &m.to);
	model_nibble(b & 15, &m.in, &m.ihint, &m.ti);
	return m;
}

static int imin(int a, int b)
{
	return a < b ? a : b;
}

static const char * const vocabulary[] = {
	"DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE",
	"NORMAL_NC", "NORMAL_WT", "NORMAL_WB", "NORMAL_WB_TAGGED",
	"NORMAL_INC_OWT", "NORMAL_INC_OWB", "NORMAL_IWT_ONC", "NORMAL_IWT_OWB",
	"NORMAL_IWB_ONC", "NORMAL_IWB_OWT", "AS_S1", "RESERVED",
};

static bool in_vocabulary(const char *name)
{
	unsigned int i;

	for (i = 0; i < N(vocabulary); i++)
		if (!strcmp(name, vocabulary[i]))
			return true;
	return false;
}

/* Side hints as the rules say: from stage 1 where cacheable, RWA when forced. */
static bool hints_ok(const struct s2p_mt *o, const struct model *s, bool forced_wb)
{
	int c[2] = { o->inner, o->outer };
	int h[2] = { o->ihint, o->ohint };
	bool t[2] = { o->transient_i, o->transient_o };
	int sc[2] = { s->in, s->out }, sh[2] = { s->ihint, s->ohint };
	bool st[2] = { s->ti, s->to };
	int k;

	for (k = 0; k < 2; k++) {
		if (c[k] == S2P_NC) {
			if (h[k] || t[k])
				return false;
		} else if (forced_wb && (s->device || sc[k] == 0)) {
			if (h[k] != S2P_HINT_RWA || t[k])
				return false;
		} else if (h[k] != sh[k] || t[k] != st[k]) {
			return false;
		}
	}
	return true;
}

static void sweep_one(int b, const struct model *s, const struct s2p_mt *s1, int m, bool fwb)
{
	char name[S2P_MT_NAME_MAX];
	struct s2p_mt o;
	bool reserved = fwb ? (m & 7) == 4 : (m == 4 || m == 8 || m == 12);
	bool s2dev = fwb ? !(m & 4) : !(m & 12);
	unsigned int sh;

	s2p_combine(s1, m, fwb, &o);
	s2p_mt_name(&o, name, sizeof(name));
	check(in_vocabulary(name) && strcmp(name, "AS_S1") && strlen(name) < S2P_MT_NAME_MAX,
	      "sweep s1 0x%02x s2 0x%x fwb=%d: '%s' not a result name", b, m, fwb, name);
	check((o.kind == S2P_RESERVED) == reserved,
	      "sweep s1 0x%02x s2 0x%x fwb=%d: reserved iff the encoding is", b, m, fwb);
	if (reserved)
		return;
	if (s2dev) {
		/* Device has precedence; the stronger of two Device types */
		int want = s->device ? imin(s->dev, m & 3) : (m & 3);

		check(o.kind == S2P_DEVICE && o.dev == want,
		      "sweep s1 0x%02x s2 0x%x fwb=%d: want Device %d, got %s", b, m, fwb,
		      want, name);
	} else if (fwb && (m & 7) == 7) {
		check(!memcmp(&o, s1, sizeof(o)),
		      "sweep s1 0x%02x s2 0x%x fwb=1: AS_S1 is stage 1 unchanged", b, m);
	} else if (fwb && (m & 7) == 6) {
		check(o.kind == S2P_NORMAL && o.inner == S2P_WB && o.outer == S2P_WB,
		      "sweep s1 0x%02x s2 0x%x fwb=1: forced WB, got %s", b, m, name);
		check(hints_ok(&o, s, true),
		      "sweep s1 0x%02x s2 0x%x fwb=1: forced WB hints", b, m);
	} else if (s->device) {
		check(o.kind == S2P_DEVICE && o.dev == s->dev,
		      "sweep s1 0x%02x s2 0x%x fwb=%d: stage-1 Device stays, got %s", b, m,
		      fwb, name);
	} else if (fwb) {
		check(o.kind == S2P_NORMAL && o.inner == S2P_NC && o.outer == S2P_NC,
		      "sweep s1 0x%02x s2 0x%x fwb=1: NC, got %s", b, m, name);
	} else {
		int s2in = (m & 3) - 1, s2out = (m >> 2) - 1;

		/* the weaker per side: never more cacheable than either stage */
		check(o.kind == S2P_NORMAL && o.inner <= s->in && o.inner <= s2in &&
		      o.outer <= s->out && o.outer <= s2out,
		      "sweep s1 0x%02x s2 0x%x fwb=0: more cacheable than a stage (%s)", b,
		      m, name);
		check(o.inner == imin(s->in, s2in) && o.outer == imin(s->out, s2out),
		      "sweep s1 0x%02x s2 0x%x fwb=0: not the weaker of the two (%s)", b, m,
		      name);
		check(hints_ok(&o, s, false),
		      "sweep s1 0x%02x s2 0x%x fwb=0: hints not from stage 1", b, m);
	}
	/* Tagged only for a Tagged stage 1 that stays Normal WB (RWA, non-transient) */
	check(o.tagged == (s->tagged && o.kind == S2P_NORMAL && o.inner == S2P_WB &&
			   o.outer == S2P_WB),
	      "sweep s1 0x%02x s2 0x%x fwb=%d: tagged %d", b, m, fwb, o.tagged);
	/* Device and Normal NC/NC are Outer Shareable, else the more shareable */
	sh = s2p_combine_sh(S2P_SH_NSH, S2P_SH_ISH, &o);
	check(sh == ((o.kind == S2P_DEVICE || (o.inner == S2P_NC && o.outer == S2P_NC)) ?
		     S2P_SH_OSH : S2P_SH_ISH),
	      "sweep s1 0x%02x s2 0x%x fwb=%d: shareability %u for %s", b, m, fwb, sh, name);
}

static void test_sweep(void)
{
	struct s2p_mt s1;
	int b, m, fwb;

	for (b = 0; b < 256; b++) {
		struct model s = model_mair(b);
		bool ok = s2p_s1_mair(b, &s1);

		check(ok == s.valid, "sweep MAIR 0x%02x: accepted %d, want %d", b, ok, s.valid);
		if (!s.valid) {
			check(s1.kind == S2P_RESERVED, "sweep MAIR 0x%02x: reserved type", b);
			continue;
		}
		check(s1.kind == (s.device ? S2P_DEVICE : S2P_NORMAL) &&
		      (s.device ? s1.dev == s.dev :
		       s1.inner == s.in && s1.outer == s.out && s1.ihint == s.ihint &&
		       s1.ohint == s.ohint && s1.transient_i == s.ti && s1.transient_o == s.to) &&
		      s1.tagged == s.tagged,
		      "sweep MAIR 0x%02x: decoded type", b);
		for (m = 0; m < 16; m++)
			for (fwb = 0; fwb < 2; fwb++)
				sweep_one(b, &s, &s1, m, fwb);
	}
}

/* A stage-1 type that is not a stage-1 type (AS_S1, RESERVED) gives RESERVED. */
static void test_bad_s1(void)
{
	char buf[S2P_MT_NAME_MAX];
	struct s2p_mt s1 = { .kind = S2P_AS_S1 }, out;
	unsigned int m, fwb;

	for (fwb = 0; fwb < 2; fwb++)
		for (m = 0; m < 16; m++) {
			s2p_combine(&s1, m, fwb, &out);
			check_str(s2p_mt_name(&out, buf, sizeof(buf)), "RESERVED",
				  "AS_S1 as stage 1, s2 0x%x fwb=%u", m, fwb);
		}
}

/* ------------------------------------------------------------------------ */
/* Shareability: Table "Combining stage 1 and stage 2 Shareability attributes". */

static void test_sh(void)
{
	enum { NSH = S2P_SH_NSH, RES = S2P_SH_RES, OSH = S2P_SH_OSH, ISH = S2P_SH_ISH,
	       VTC = S2P_SH_VTCR };
	/* [s1][s2] for a Normal cacheable result; RES and VTCR stay unknown */
	static const unsigned char normal[5][5] = {
		/* s2:  NSH  RES  OSH  ISH  VTCR */
		[NSH] = { NSH, RES, OSH, ISH, VTC },
		[RES] = { RES, RES, OSH, RES, RES },
		[OSH] = { OSH, OSH, OSH, OSH, OSH },
		[ISH] = { ISH, RES, OSH, ISH, VTC },
		[VTC] = { VTC, RES, OSH, VTC, VTC },
	};
	static const unsigned char mairs[] = { 0xff, 0xbb, 0x4f, 0xf4, 0xf0 };
	struct s2p_mt wb, nc, dev, iwbonc, rsv = { .kind = S2P_RESERVED }, mt;
	unsigned int a, b, i;

	s2p_s1_mair(0xff, &wb);
	s2p_s1_mair(0x44, &nc);
	s2p_s1_mair(0x04, &dev);
	s2p_s1_mair(0x4f, &iwbonc);
	for (a = 0; a < 5; a++) {
		for (b = 0; b < 5; b++) {
			check_u64(s2p_combine_sh(a, b, &wb), normal[a][b], "sh %s+%s Normal WB",
				  s2p_sh_name(a), s2p_sh_name(b));
			check_u64(s2p_combine_sh(a, b, &iwbonc), normal[a][b],
				  "sh %s+%s Normal IWB_ONC", s2p_sh_name(a), s2p_sh_name(b));
			check_u64(s2p_combine_sh(a, b, &nc), OSH, "sh %s+%s Normal NC is OSH",
				  s2p_sh_name(a), s2p_sh_name(b));
			check_u64(s2p_combine_sh(a, b, &dev), OSH, "sh %s+%s Device is OSH",
				  s2p_sh_name(a), s2p_sh_name(b));
			check_u64(s2p_combine_sh(a, b, &rsv), RES, "sh %s+%s reserved type",
				  s2p_sh_name(a), s2p_sh_name(b));
		}
	}
	check_u64(s2p_combine_sh(9, ISH, &wb), RES, "sh out of range stage 1");
	check_u64(s2p_combine_sh(ISH, 7, &wb), RES, "sh out of range stage 2");
	check_u64(s2p_combine_sh(9, OSH, &wb), OSH, "sh out of range + OSH");
	for (i = 0; i < N(mairs); i++) {
		s2p_s1_mair(mairs[i], &mt);
		check_u64(s2p_combine_sh(NSH, NSH, &mt), NSH, "sh NSH+NSH MAIR 0x%02x",
			  mairs[i]);
	}
}

/* ------------------------------------------------------------------------ */
/* Names of the small fields and sizes. */

/*
 * A buffer length the compiler cannot see through (truncation is tested on
 * purpose): scaled by a global another unit could change.
 */
size_t test_len_scale = 1;

static size_t short_len(size_t n)
{
	return n * test_len_scale;
}

static void test_names(void)
{
	static const char * const ap[] = { "--", "R-", "-W", "RW" };
	static const char * const xn[] = { "x", "pxn", "xn", "uxn" };
	static const char * const sh[] = { "NSH", "RES", "OSH", "ISH", "VTCR", "?", "?" };
	static const struct { unsigned long long size; const char *name; } sizes[] = {
		{ 0, "0B" }, { 1, "1B" }, { 100, "100B" }, { 1023, "1023B" }, { 1024, "1K" },
		{ 4096, "4K" }, { 12288, "12K" }, { 16384, "16K" }, { 65536, "64K" },
		{ 1ULL << 21, "2M" }, { 6ULL << 20, "6M" }, { 32ULL << 20, "32M" },
		{ 512ULL << 20, "512M" }, { 1ULL << 30, "1G" }, { 64ULL << 30, "64G" },
		{ 1ULL << 39, "512G" }, { 1ULL << 42, "4T" }, { 1ULL << 48, "256T" },
		{ 1ULL << 50, "1P" }, { 1ULL << 60, "1E" }, { 1ULL << 63, "8E" },
		{ (1ULL << 30) + 4096, "1048580K" }, { ~0ULL, "18446744073709551615B" },
	};
	char buf[S2P_SIZE_NAME_MAX];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		check_str(s2p_s2ap_name(i), ap[i], "S2AP %u", i);
		check_str(s2p_xn_name(i), xn[i], "XN %u", i);
	}
	for (i = 0; i < N(sh); i++)
		check_str(s2p_sh_name(i), sh[i], "SH %u", i);
	for (i = 0; i < N(sizes); i++)
		check_str(s2p_size_name(sizes[i].size, buf, sizeof(buf)), sizes[i].name,
			  "size %llu", sizes[i].size);
	check_str(s2p_size_name(1ULL << 30, buf, short_len(2)), "1", "size name truncated");
}

/* ------------------------------------------------------------------------ */
/* Geometry: Arm ARM D8.3 (block levels) and D8.7.1 Table D8-104 (contiguous). */

static void test_geometry(void)
{
	static const struct {
		unsigned int shift;
		int level;
		unsigned long long size;
		unsigned int cont;
		bool block, block52;
		unsigned long long cont_range;	/* alignment of the contiguous range */
	} g[] = {
		{ 12, -2, 0, 0, false, false, 0 },
		{ 12, -1, 1ULL << 48, 0, false, false, 0 },
		{ 12, 0, 1ULL << 39, 0, false, true, 0 },
		{ 12, 1, 1ULL << 30, 16, true, true, 16ULL << 30 },
		{ 12, 2, 1ULL << 21, 16, true, true, 32ULL << 20 },
		{ 12, 3, 1ULL << 12, 16, false, false, 64ULL << 10 },
		{ 12, 4, 0, 0, false, false, 0 },
		{ 14, -1, 0, 0, false, false, 0 },
		{ 14, 0, 1ULL << 47, 0, false, false, 0 },
		{ 14, 1, 1ULL << 36, 0, false, true, 0 },
		{ 14, 2, 1ULL << 25, 32, true, true, 1ULL << 30 },
		{ 14, 3, 1ULL << 14, 128, false, false, 2ULL << 20 },
		{ 14, 4, 0, 0, false, false, 0 },
		{ 16, -1, 0, 0, false, false, 0 },
		{ 16, 0, 0, 0, false, false, 0 },
		{ 16, 1, 1ULL << 42, 0, false, true, 0 },
		{ 16, 2, 1ULL << 29, 32, true, true, 16ULL << 30 },
		{ 16, 3, 1ULL << 16, 32, false, false, 2ULL << 20 },
		{ 16, 4, 0, 0, false, false, 0 },
		/* not a granule */
		{ 0, 3, 0, 0, false, false, 0 },
		{ 13, 3, 0, 0, false, false, 0 },
		{ 15, 2, 0, 0, false, false, 0 },
		{ 21, 2, 0, 0, false, false, 0 },
	};
	unsigned int i, k;

	for (i = 0; i < N(g); i++) {
		unsigned long long size = s2p_level_size(g[i].shift, g[i].level);
		unsigned int cont = s2p_cont_entries(g[i].shift, g[i].level);

		check_u64(size, g[i].size, "shift %u L%d size", g[i].shift, g[i].level);
		check_u64(cont, g[i].cont, "shift %u L%d contiguous entries", g[i].shift,
			  g[i].level);
		check_u64(size * cont, g[i].cont_range, "shift %u L%d contiguous range",
			  g[i].shift, g[i].level);
		check(s2p_block_allowed(g[i].shift, g[i].level, false) == g[i].block,
		      "shift %u L%d block allowed (48-bit)", g[i].shift, g[i].level);
		check(s2p_block_allowed(g[i].shift, g[i].level, true) == g[i].block52,
		      "shift %u L%d block allowed (52-bit)", g[i].shift, g[i].level);
		for (k = 0; k < 2; k++) {
			/* a block or page decodes exactly where allowed */
			unsigned long long d = 1 | (g[i].level == 3 ? 2 : 0);
			struct s2p_leaf l;
			bool want = g[i].size && (g[i].level == 3 ||
						  (k ? g[i].block52 : g[i].block));

			check((s2p_leaf_decode(d, g[i].level, g[i].shift, k, &l) == 0) == want &&
			      l.valid == want,
			      "shift %u L%d lpa2=%u leaf accepted %d", g[i].shift, g[i].level, k,
			      want);
			if (want)
				check_u64(l.size, g[i].size, "shift %u L%d lpa2=%u leaf size",
					  g[i].shift, g[i].level, k);
		}
	}
}

/* ------------------------------------------------------------------------ */
/*
 * Descriptor fields, walking one bit over a valid page/block: which field
 * each bit belongs to, written per the stage-2 descriptor layout (D8.3).
 */
enum fld { F_NONE, F_MEMATTR, F_S2AP, F_SH, F_AF, F_FNXS, F_OA, F_DBM, F_CONTIG,
	   F_XN, F_SW, F_PBHA };

struct layout {
	const char *what;
	unsigned int shift;
	int level;
	bool lpa2;
	int oa_lo;		/* first OA bit in place */
	int oa_hi;		/* last OA bit in place */
	bool sh_is_oa;		/* [9:8] = OA[51:50] */
	bool oa_15_12;		/* [15:12] = OA[51:48] (64K) */
	bool contig_res0;
};

static enum fld bit_field(const struct layout *t, int b, unsigned long long *oa)
{
	*oa = 0;
	if (b >= 2 && b <= 5)
		return F_MEMATTR;
	if (b == 6 || b == 7)
		return F_S2AP;
	if (b == 8 || b == 9) {
		if (!t->sh_is_oa)
			return F_SH;
		*oa = 1ULL << (b + 42);
		return F_OA;
	}
	if (b == 10)
		return F_AF;
	if (b == 11)
		return F_FNXS;
	if (t->oa_15_12 && b >= 12 && b <= 15) {
		*oa = 1ULL << (b + 36);
		return F_OA;
	}
	if (b >= t->oa_lo && b <= t->oa_hi) {
		*oa = 1ULL << b;
		return F_OA;
	}
	if (b == 51)
		return F_DBM;
	if (b == 52)
		return t->contig_res0 ? F_NONE : F_CONTIG;
	if (b == 53 || b == 54)
		return F_XN;
	if (b >= 55 && b <= 58)
		return F_SW;
	if (b >= 59 && b <= 62)
		return F_PBHA;
	return F_NONE;
}

static void test_walking_bits(void)
{
	static const struct layout t[] = {
		{ "4K page", 12, 3, false, 12, 47, false, false, false },
		{ "4K 2M block", 12, 2, false, 21, 47, false, false, false },
		{ "4K 1G block", 12, 1, false, 30, 47, false, false, false },
		{ "4K LPA2 page", 12, 3, true, 12, 49, true, false, false },
		{ "4K LPA2 512G block", 12, 0, true, 39, 49, true, false, true },
		{ "16K page", 14, 3, false, 14, 47, false, false, false },
		{ "16K 32M block", 14, 2, false, 25, 47, false, false, false },
		{ "16K LPA2 page", 14, 3, true, 14, 49, true, false, false },
		{ "16K LPA2 64G block", 14, 1, true, 36, 49, true, false, true },
		{ "64K page", 16, 3, false, 16, 47, false, true, false },
		{ "64K 512M block", 16, 2, false, 29, 47, false, true, false },
		{ "64K LPA 4T block", 16, 1, true, 42, 47, false, true, true },
		{ "64K page lpa2", 16, 3, true, 16, 47, false, true, false },
	};
	unsigned int i;
	int b;

	for (i = 0; i < N(t); i++) {
		unsigned long long base = 1 | (t[i].level == 3 ? 2 : 0);

		for (b = 2; b < 64; b++) {
			unsigned long long oa, d = base | (1ULL << b);
			enum fld f = bit_field(&t[i], b, &oa);
			unsigned int shv = t[i].sh_is_oa ? S2P_SH_VTCR :
					   (f == F_SH ? 1U << (b - 8) : 0);
			struct s2p_leaf l;

			if (s2p_leaf_decode(d, t[i].level, t[i].shift, t[i].lpa2, &l)) {
				check(false, "%s bit %d: not decoded", t[i].what, b);
				continue;
			}
			check(l.valid && l.raw == d && l.level == t[i].level,
			      "%s bit %d: valid/raw/level", t[i].what, b);
			check_u64(l.oa, oa, "%s bit %d: oa", t[i].what, b);
			check_u64(l.memattr, f == F_MEMATTR ? 1U << (b - 2) : 0,
				  "%s bit %d: memattr", t[i].what, b);
			check_u64(l.s2ap, f == F_S2AP ? 1U << (b - 6) : 0, "%s bit %d: s2ap",
				  t[i].what, b);
			check_u64(l.sh, shv, "%s bit %d: sh", t[i].what, b);
			check(l.af == (f == F_AF) && l.contig == (f == F_CONTIG),
			      "%s bit %d: af %d contig %d", t[i].what, b, l.af, l.contig);
			check_u64(l.xn, f == F_XN ? 1U << (b - 53) : 0, "%s bit %d: xn",
				  t[i].what, b);
			check_u64(l.sw, f == F_SW ? 1U << (b - 55) : 0, "%s bit %d: sw",
				  t[i].what, b);
			check_u64(s2p_field(d, S2P_F_CONTIG), b == 52, "%s bit %d: raw contig",
				  t[i].what, b);
		}
	}
}

static void test_leaf_values(void)
{
	char buf[S2P_MT_NAME_MAX];
	struct s2p_leaf l;
	unsigned long long d;

	/* 4K page: MemAttr 6, RW, ISH, AF, contiguous, XN=2, SW 5, OA 0x12345000 */
	d = 0x12345000ULL | 3 | (6 << 2) | (3 << 6) | (3 << 8) | (1 << 10) |
	    (1ULL << 52) | (2ULL << 53) | (5ULL << 55);
	check(!s2p_leaf_decode(d, 3, 12, false, &l), "4K page decodes");
	check_u64(l.oa, 0x12345000, "4K page oa");
	check_u64(l.size, 4096, "4K page size");
	check_u64(l.memattr, 6, "4K page memattr");
	check_str(s2p_s2ap_name(l.s2ap), "RW", "4K page s2ap");
	check_str(s2p_sh_name(l.sh), "ISH", "4K page sh");
	check_str(s2p_xn_name(l.xn), "xn", "4K page xn");
	check_u64(l.sw, 5, "4K page sw");
	check(l.af && l.contig, "4K page flags");
	/* the README's guest-RAM block under FWB and LPA2 (-cpu max) */
	d = 0x4ec004d9ULL;
	check(!s2p_leaf_decode(d, 2, 12, true, &l), "KVM 2M block decodes");
	check_u64(l.oa, 0x4ec00000, "KVM 2M block oa");
	check_u64(l.memattr, 6, "KVM 2M block memattr");
	check_str(s2p_memattr_name(l.memattr, true, buf, sizeof(buf)), "NORMAL_WB",
		  "KVM 2M block type");
	check_str(s2p_s2ap_name(l.s2ap), "RW", "KVM 2M block s2ap");
	check_str(s2p_sh_name(l.sh), "VTCR", "KVM 2M block sh");
	check(l.af && !l.contig, "KVM 2M block flags");
	/* the same without LPA2 would be Non-shareable: [9:8] = 00 */
	check(!s2p_leaf_decode(d, 2, 12, false, &l) && l.sh == S2P_SH_NSH,
	      "KVM 2M block sh without LPA2");
	/* attribute bits never leak into the OA */
	check(!s2p_leaf_decode(~0ULL, 3, 12, false, &l), "all ones 4K page decodes");
	check_u64(l.oa, 0x0000fffffffff000ULL, "all ones 4K page oa");
	check(!s2p_leaf_decode(~0ULL, 3, 12, true, &l), "all ones 4K LPA2 page decodes");
	check_u64(l.oa, 0x000ffffffffff000ULL, "all ones 4K LPA2 page oa");
	check(!s2p_leaf_decode(~0ULL, 3, 14, true, &l), "all ones 16K LPA2 page decodes");
	check_u64(l.oa, 0x000fffffffffc000ULL, "all ones 16K LPA2 page oa");
	check(!s2p_leaf_decode(~0ULL, 3, 16, false, &l), "all ones 64K page decodes");
	check_u64(l.oa, 0x000fffffffff0000ULL, "all ones 64K page oa");
	check(!s2p_leaf_decode(~2ULL, 1, 16, true, &l), "all ones 64K 4T block decodes");
	check_u64(l.oa, 0x000ffc0000000000ULL, "all ones 64K 4T block oa");
	check(!l.contig, "64K L1 block: Contiguous is RES0");
	check(!s2p_leaf_decode(~2ULL, 2, 12, false, &l), "all ones 4K 2M block decodes");
	check_u64(l.oa, 0x0000ffffffe00000ULL, "all ones 4K 2M block oa");
	check(l.contig, "4K L2 block: Contiguous");
	check(!s2p_leaf_decode(~2ULL, 0, 12, true, &l), "all ones 4K 512G block decodes");
	check_u64(l.oa, 0x000fff8000000000ULL, "all ones 4K 512G block oa");
	check(!l.contig, "4K L0 block: Contiguous is RES0");
	/* LPA2 4K page at PA 0xf000000001000: [9:8] = OA[51:50], [49:48] in place */
	d = 0x3000000001000ULL | 3 | (3 << 8);
	check(!s2p_leaf_decode(d, 3, 12, true, &l), "LPA2 page decodes");
	check_u64(l.oa, 0xf000000001000ULL, "LPA2 page oa");
	check_u64(l.sh, S2P_SH_VTCR, "LPA2 page sh");
	/* 64K with FEAT_LPA: OA[51:48] in [15:12]; SH stays in [9:8] */
	d = 0x10000ULL | 0xa000 | 3 | (2 << 8);
	check(!s2p_leaf_decode(d, 3, 16, false, &l), "64K LPA page decodes");
	check_u64(l.oa, 0xa000000010000ULL, "64K LPA page oa");
	check_u64(l.sh, S2P_SH_OSH, "64K LPA page sh");
}

/* Invalid entries, tables, reserved level-3 encodings, forbidden blocks. */
static void test_leaf_rejected(void)
{
	static const struct {
		const char *what;
		unsigned long long raw;
		int level;
		unsigned int shift;
		bool lpa2;
	} r[] = {
		{ "invalid page", 0x40000702ULL, 3, 12, false },
		{ "invalid block", 0x40000700ULL, 2, 12, false },
		{ "zero", 0, 3, 12, false },
		{ "table at L2", 0x40000003ULL, 2, 12, false },
		{ "table at L1", 0x40000003ULL, 1, 12, false },
		{ "table at L0", 0x40000003ULL, 0, 12, true },
		{ "table at L-1", 0x40000003ULL, -1, 12, true },
		{ "L3 type 0b01", 0x40000701ULL, 3, 12, false },
		{ "4K L0 block without LPA2", 0x8000000001ULL, 0, 12, false },
		{ "4K L-1 block", 0x1ULL, -1, 12, true },
		{ "16K L1 block without LPA2", 0x1000000001ULL, 1, 14, false },
		{ "16K L0 block", 0x1ULL, 0, 14, true },
		{ "64K L1 block without LPA", 0x40000000001ULL, 1, 16, false },
		{ "64K L0", 0x1ULL, 0, 16, true },
		{ "level 4", 0x3ULL, 4, 12, false },
		{ "level -2", 0x1ULL, -2, 12, true },
		{ "granule 8K", 0x3ULL, 3, 13, false },
		{ "granule 0", 0x3ULL, 3, 0, false },
	};
	struct s2p_leaf l;
	unsigned int i;

	for (i = 0; i < N(r); i++) {
		check(s2p_leaf_decode(r[i].raw, r[i].level, r[i].shift, r[i].lpa2, &l) == -1,
		      "%s rejected", r[i].what);
		check(!l.valid && l.raw == r[i].raw, "%s: valid false, raw kept", r[i].what);
	}
}

/*
 * s2p_is_table_entry(), which s2p_block_table() stops at: a table exactly
 * where the low two bits are 0b11, whatever the other bits; never a leaf
 * above the last level.
 */
static void test_table_entry(void)
{
	static const unsigned long long others[] = {
		0, 0x40000000ULL, 0x0040000105400400ULL, ~3ULL, 0x7fcULL,
	};
	unsigned int i, low;
	int level;

	for (i = 0; i < N(others); i++) {
		for (low = 0; low < 4; low++) {
			unsigned long long raw = others[i] | low;

			check(s2p_is_table_entry(raw) == (low == 3), "table entry 0x%llx", raw);
			for (level = -1; level < 3; level++)
				check(!(s2p_is_table_entry(raw) && s2p_is_leaf_at(raw, level)),
				      "0x%llx at L%d: a table is no leaf", raw, level);
		}
	}
}

/* ------------------------------------------------------------------------ */
/*
 * Checked writers of the pages and ranges lines, byte by byte through
 * s2probe.h's struct s2p_out: models for the module's fast writers
 * (s2p_fmt_page_raw(), s2p_fmt_range_fast()), which are its only writers
 * of these lines, and themselves tested against snprintf() models below.
 */

/*
 * A pages line: "0x<ipa:16> L<level> map=<size> desc=0x<raw:16> pa=0x<pa>
 * <attrs> sw=0x<sw>\n". Returns its length; 0 if @len is too small.
 */
static size_t s2p_fmt_page(char *buf, size_t len, u64 ipa, u64 pa,
			   const struct s2p_leaf *l, const char *mt_name)
{
	struct s2p_out o;

	s2p_out_init(&o, buf, len);
	s2p_out_str(&o, "0x");
	s2p_out_hex(&o, ipa, 16);
	s2p_out_str(&o, " L");
	s2p_out_dec(&o, l->level);
	s2p_out_str(&o, " map=");
	s2p_out_size(&o, l->size);
	s2p_out_str(&o, " desc=0x");
	s2p_out_hex(&o, l->raw, 16);
	s2p_out_str(&o, " pa=0x");
	s2p_out_hex(&o, pa, 0);
	s2p_out_attrs(&o, l, mt_name);
	s2p_out_str(&o, " sw=0x");
	s2p_out_hex(&o, l->sw, 0);
	s2p_out_chr(&o, '\n');
	return s2p_out_full(&o) ? 0 : s2p_out_len(&o, buf);
}

/*
 * The host's part of a ranges line, from " slot=" to the newline: what
 * the VM's owner named comes last.
 */
static void s2p_out_host(struct s2p_out *o, const struct s2p_host *h)
{
	s2p_out_host_head(o, h);
	if (s2p_host_shows_hva(h))
		s2p_out_hex(o, h->hva, 0);
	s2p_out_host_tail(o, h);
}

/*
 * A ranges line: "0x<start:16>-0x<end:16> <size> map=<leaf size> L<level>
 * <attrs> slot=<id|-> hva=<0x..|-> <backing>[ pci=<bdf> bar=<n>][ wc]
 * [ vma=<type>[ uc] expect=<type>][ path=<escaped path>]\n": what the VM's
 * owner named comes last.
 * Returns its length; 0 if @len is too small.
 */
static size_t s2p_fmt_range(char *buf, size_t len, u64 ipa, u64 size,
			    const struct s2p_leaf *l, const char *mt_name,
			    const struct s2p_host *h)
{
	struct s2p_out o;

	s2p_out_init(&o, buf, len);
	s2p_out_span(&o, ipa, size);
	s2p_out_range_leaf(&o, l, mt_name);
	s2p_out_host(&o, h);
	return s2p_out_full(&o) ? 0 : s2p_out_len(&o, buf);
}

/* ------------------------------------------------------------------------ */
/*
 * The line writers (s2p_fmt_page, s2p_fmt_range, s2p_fmt_effective_tail)
 * against snprintf() models of each view's line, field by field as the
 * README and s2probe.c's header comment define them, over pseudo-random
 * leaves: byte-identical output, and 0 (nothing usable) when the buffer is
 * one byte short.
 */
static unsigned long long rng_state = 0x2545f4914f6cdd1dULL;

static unsigned long long rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A leaf with every field drawn at random (decoded or made up). */
/* s2p_size_name()'s model: the largest unit dividing @size, by snprintf() */
static const char *model_size(unsigned long long size, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	unsigned int i = 0;

	while (size && !(size & 1023) && i + 1 < sizeof(units) - 1) {
		size >>= 10;
		i++;
	}
	snprintf(buf, len, "%llu%c", size, units[i]);
	return buf;
}

/* s2p_size_name() (the writers' s2p_out_size()) against its model */
static void test_size_model(void)
{
	unsigned int i;

	for (i = 0; i < 100000; i++) {
		unsigned long long size = rnd() >> (rnd() % 64);
		char got[S2P_SIZE_NAME_MAX], want[S2P_SIZE_NAME_MAX];

		if (i % 3 == 0)
			size &= ~0ULL << (10 * (rnd() % 7));	/* whole K, M, ... */
		check_str(s2p_size_name(size, got, sizeof(got)),
			  model_size(size, want, sizeof(want)), "size %llu", size);
	}
}

static void random_leaf(struct s2p_leaf *l)
{
	static const unsigned int shifts[] = { 12, 14, 16 };
	unsigned int shift = shifts[rnd() % 3];
	int level = (int)(rnd() % 5) - 1, tries;

	for (tries = 0; tries < 64; tries++) {
		unsigned long long raw = rnd();

		if (rnd() & 1)
			raw &= ~(S2P_GENMASK(63, 59) | S2P_GENMASK(50, 48));
		if (!s2p_leaf_decode(raw | 1, level, shift, rnd() & 1, l))
			return;
		level = (int)(rnd() % 4);
	}
	*l = (struct s2p_leaf){ .raw = rnd(), .oa = rnd(), .size = 1ULL << (rnd() % 48),
				.level = (s8)((int)(rnd() % 5) - 1), .memattr = rnd() & 15,
				.s2ap = rnd() & 3, .sh = rnd() % 6, .xn = rnd() & 3, .sw = rnd() & 15,
				.valid = true, .af = rnd() & 1, .contig = rnd() & 1 };
}

static int model_attrs(char *buf, size_t len, const struct s2p_leaf *l, bool fwb)
{
	char name[S2P_MT_NAME_MAX];

	return snprintf(buf, len, " %s %s %s %s %s %s",
			s2p_memattr_name(l->memattr, fwb, name, sizeof(name)),
			s2p_s2ap_name(l->s2ap), s2p_xn_name(l->xn), s2p_sh_name(l->sh),
			l->af ? "AF" : "--", l->contig ? "C" : "-");
}

static void model_page(char *buf, size_t len, unsigned long long ipa, unsigned long long pa,
		       const struct s2p_leaf *l, bool fwb)
{
	char map[S2P_SIZE_NAME_MAX];
	int n;

	n = snprintf(buf, len, "0x%016llx L%d map=%s desc=0x%016llx pa=0x%llx", ipa, l->level,
		     model_size(l->size, map, sizeof(map)), (unsigned long long)l->raw, pa);
	n += model_attrs(buf + n, len - n, l, fwb);
	snprintf(buf + n, len - n, " sw=0x%x\n", l->sw);
}

/* the names of the policy's words, written out */
static const char * const model_vma_names[] = {
	"NORMAL", "NORMAL_TAGGED", "NORMAL_NC", "DEVICE_nGnRnE", "DEVICE_nGnRE", "OTHER",
};
static const char * const model_expect_names[] = {
	"DEVICE_nGnRE", "NORMAL_NC", "NORMAL_WB", "refused",
};

static int model_vma_facts(char *buf, size_t len, const struct s2p_vma_facts *v)
{
	if (!v)
		return 0;
	return snprintf(buf, len, " vma=%s%s expect=%s", model_vma_names[v->mt],
			v->allow_uc ? " uc" : "", model_expect_names[v->expect]);
}

static void random_vma_facts(struct s2p_vma_facts *v)
{
	v->mt = (enum s2p_vma_mt)(rnd() % S2P_NR_VMA_MT);
	v->allow_uc = rnd() & 1;
	v->expect = (enum s2p_expect)(rnd() % S2P_NR_EXPECT);
}

static void model_range(char *buf, size_t len, unsigned long long ipa, unsigned long long size,
			const struct s2p_leaf *l, bool fwb, const struct s2p_host *h)
{
	char sz[S2P_SIZE_NAME_MAX], map[S2P_SIZE_NAME_MAX];
	int n;

	n = snprintf(buf, len, "0x%016llx-0x%016llx %s map=%s L%d", ipa, ipa + size,
		     model_size(size, sz, sizeof(sz)), model_size(l->size, map, sizeof(map)),
		     l->level);
	n += model_attrs(buf + n, len - n, l, fwb);
	if (h->slot < 0)
		n += snprintf(buf + n, len - n, " slot=- hva=-");
	else if (!h->has_hva)
		n += snprintf(buf + n, len - n, " slot=%d hva=-", h->slot);
	else
		n += snprintf(buf + n, len - n, " slot=%d hva=0x%llx", h->slot,
			      (unsigned long long)h->hva);
	n += snprintf(buf + n, len - n, " %s", h->backing);
	if (h->bdf)
		n += snprintf(buf + n, len - n, " pci=%s bar=%d", h->bdf, h->bar);
	if (h->wc)
		n += snprintf(buf + n, len - n, " wc");
	n += model_vma_facts(buf + n, len - n, h->vma);
	if (h->path)
		n += snprintf(buf + n, len - n, " path=%s", h->path);
	snprintf(buf + n, len - n, "\n");
}

static void model_effective_tail(char *buf, size_t len, unsigned int memattr, bool fwb)
{
	char name[S2P_MT_NAME_MAX];
	struct s2p_mt s1, res;
	unsigned int i;
	int n = 0;

	for (i = 0; i < S2P_NR_S1_TYPES; i++) {
		s2p_s1_mair(s2p_s1_type(i)->mair, &s1);
		s2p_combine(&s1, memattr, fwb, &res);
		n += snprintf(buf + n, len - n, " %s:%s", s2p_s1_type(i)->name,
			      s2p_mt_name(&res, name, sizeof(name)));
	}
	snprintf(buf + n, len - n, "\n");
}

/* got[0..n) against the NUL-terminated want; then one byte short gives 0. */
static void check_line(const char *what, unsigned int i, const char *got, size_t n,
		       const char *want)
{
	check(n == strlen(want) && !memcmp(got, want, n),
	      "%s %u: got '%.*s' (%zu), want '%s'", what, i, (int)n, got, n, want);
}

static void test_hex(void)
{
	static const unsigned long long v[] = {
		0, 1, 0x9, 0xa, 0xf, 0x10, 0x1234, 0xdeadbeef, 0x100000000ULL, 0x0123456789abcdefULL,
		0xfedcba9876543210ULL, 0x8000000000000000ULL, ~0ULL, 0xa0a0a0a0a0a0a0aULL,
	};
	char got[40], want[40];
	unsigned int i, n;

	for (i = 0; i < N(v) + 5000; i++) {
		unsigned long long x = i < N(v) ? v[i] : rnd() >> (rnd() % 64);

		memset(got, 0, sizeof(got));
		s2p_hex16(got, x);
		snprintf(want, sizeof(want), "%016llx", x);
		check(!memcmp(got, want, 17), "hex16 0x%llx: got '%s'", x, got);
		memset(got, 0, sizeof(got));
		n = s2p_hexvar(got, x);
		snprintf(want, sizeof(want), "%llx", x);
		check(n == strlen(want) && !memcmp(got, want, n), "hexvar 0x%llx: got '%.*s'", x,
		      (int)n, got);
	}
}

/* s2p_piece_put(): the piece's first len bytes, whatever copy it takes, nothing past 64 */
static void test_piece_put(void)
{
	char src[S2P_PIECE_MAX], dst[S2P_PIECE_MAX + 8];
	unsigned int len, i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (char)('A' + i % 26);
	for (len = 0; len <= S2P_PIECE_MAX; len++) {
		memset(dst, '#', sizeof(dst));
		s2p_piece_put(dst, src, len);
		check(!memcmp(dst, src, len), "piece_put %u: the piece", len);
		check(!memcmp(dst + S2P_PIECE_MAX, "########", 8), "piece_put %u: within 64", len);
	}
}

/*
 * pages' fast path from raw descriptors: for one VM (granule, LPA2, FWB),
 * leaves drawn from a few kinds, so that the piece cache hits, misses and
 * replaces; every line equals s2p_fmt_page()'s of the decoded leaf.
 */
static void test_page_raw(void)
{
	static const unsigned int shifts[] = { 12, 14, 16 };
	unsigned int vm, i, k, distinct;

	for (vm = 0; vm < 48; vm++) {
		unsigned int shift = shifts[vm % 3], nkinds = 1 + vm % 7;
		bool lpa2 = (vm / 3) & 1, fwb = (vm / 6) & 1;
		char names[16][S2P_MT_NAME_MAX], got[512], want[512];
		unsigned long long kinds[8];
		int levels[8];
		struct s2p_pieces pc;

		for (i = 0; i < 16; i++)
			s2p_memattr_name(i, fwb, names[i], sizeof(names[i]));
		s2p_pieces_init(&pc);
		/*
		 * kinds that differ from the first in one field each (XN, SW,
		 * Contiguous, AF, S2AP, MemAttr) or only in their level
		 */
		for (k = 0; k < nkinds; k++) {
			static const unsigned long long flips[] = {
				S2P_BIT(53), S2P_BIT(55), S2P_BIT(52), S2P_BIT(10), S2P_BIT(7),
				S2P_BIT(3), 0,
			};
			struct s2p_leaf l;

			do {
				levels[k] = (int)(rnd() % 5) - 1;
				kinds[k] = k ? kinds[0] ^ flips[rnd() % N(flips)] : rnd() | 1;
				if (!k && (rnd() & 1))
					kinds[k] &= ~(S2P_GENMASK(63, 59) | S2P_GENMASK(50, 48));
				/* a page at level 3, a block above */
				kinds[k] = (kinds[k] & ~2ULL) | (levels[k] == 3 ? 2 : 0);
			} while (s2p_leaf_decode(kinds[k], levels[k], shift, lpa2, &l));
		}
		for (i = 0; i < 4000; i++) {
			struct s2p_leaf l;
			unsigned long long raw, size, ipa, pa;
			int level;
			size_t n;

			k = rnd() % nkinds;
			level = levels[k];
			size = s2p_level_size(shift, level);
			/* another output address, the same attributes */
			raw = (kinds[k] & ~S2P_GENMASK(47, 12)) | (rnd() & S2P_GENMASK(47, 12));
			if (s2p_leaf_decode(raw, level, shift, lpa2, &l))
				continue;
			ipa = (rnd() >> (rnd() % 16)) & ~(size - 1);
			ipa += rnd() % 3 ? 0 : rnd() & (size - 1);	/* a window's start */
			pa = l.oa + (ipa & (size - 1));
			n = s2p_fmt_page(want, sizeof(want) - 1, ipa, pa, &l, names[l.memattr]);
			want[n] = '\0';
			memset(got, '#', sizeof(got));
			n = s2p_fmt_page_raw(got, &pc, ipa, raw, level, shift, lpa2,
					     (const char (*)[S2P_MT_NAME_MAX])names);
			check_line("raw page", i, got, n, want);
		}
		/* a tail built once per kind while the kinds fit the cache */
		for (i = 0, distinct = 0; i < nkinds; i++) {
			for (k = 0; k < i; k++)
				if (kinds[k] == kinds[i] && levels[k] == levels[i])
					break;
			distinct += k == i;
		}
		if (distinct <= S2P_PIECE_WAYS)
			check(pc.victim == distinct, "vm %u: %u tails built for %u kinds", vm,
			      pc.victim, distinct);
		else
			check(pc.victim > distinct, "vm %u: only %u tails built for %u kinds", vm,
			      pc.victim, distinct);
	}
}

/*
 * A random valid leaf for the raw writers: its descriptor, level, granule
 * and LPA2 setting, decoded into @l.
 */
static void random_raw_leaf(unsigned long long *raw, int *level, unsigned int *shift,
			    bool *lpa2, struct s2p_leaf *l)
{
	static const unsigned int shifts[] = { 12, 14, 16 };

	do {
		*shift = shifts[rnd() % 3];
		*lpa2 = rnd() & 1;
		*level = (int)(rnd() % 5) - 1;
		*raw = rnd() | 1;
		if (rnd() & 1)
			*raw &= ~(S2P_GENMASK(63, 59) | S2P_GENMASK(50, 48));
		*raw = (*raw & ~2ULL) | (*level == 3 ? 2 : 0);
	} while (s2p_leaf_decode(*raw, *level, *shift, *lpa2, l));
}

/* Do @a and @b print the same leaf part of a ranges line? */
static bool same_leaf_part(const struct s2p_leaf *a, const struct s2p_leaf *b)
{
	return a->level == b->level && a->size == b->size && a->memattr == b->memattr &&
	       a->s2ap == b->s2ap && a->xn == b->xn && a->sh == b->sh && a->af == b->af &&
	       a->contig == b->contig;
}

/*
 * s2p_range_key(): equal keys exactly when the decoded leaves print the
 * same leaf part, for leaves that differ in one to three random bits (any
 * bit: attributes, software bits, output address) or in their level.
 */
static void test_range_key(void)
{
	unsigned int i, equal = 0, differ = 0;

	for (i = 0; i < 200000; i++) {
		struct s2p_leaf a, b;
		unsigned long long ra, rb;
		int la, lb;
		unsigned int shift, k;
		bool lpa2, same;

		random_raw_leaf(&ra, &la, &shift, &lpa2, &a);
		rb = ra;
		lb = rnd() % 8 ? la : (int)(rnd() % 5) - 1;
		for (k = 0; k < 1 + rnd() % 3; k++)
			rb ^= S2P_BIT(2 + rnd() % 61);
		rb = (rb & ~2ULL) | (lb == 3 ? 2 : 0);
		if (s2p_leaf_decode(rb, lb, shift, lpa2, &b))
			continue;
		same = s2p_range_key(ra, la, s2p_range_mask(shift, la, lpa2)) ==
		       s2p_range_key(rb, lb, s2p_range_mask(shift, lb, lpa2));
		check(same == same_leaf_part(&a, &b),
		      "key %u: %#llx L%d and %#llx L%d (%u, lpa2 %d): keys %s, parts %s", i, ra, la,
		      rb, lb, shift, lpa2, same ? "equal" : "differ",
		      same_leaf_part(&a, &b) ? "equal" : "differ");
		if (same)
			equal++;
		else
			differ++;
	}
	check(equal > 20000 && differ > 20000, "key: %u equal and %u differing pairs", equal,
	      differ);
}

/*
 * s2p_fmt_range_fast() against s2p_fmt_range(): random raw leaves, sizes,
 * spans and host parts, with a few kinds per reader so that pieces are hit
 * and replaced; the size's text kept from line to line.
 */
static void test_range_fast(void)
{
	static const char * const backings[] = { "anon", "file", "pfnmap", "gone", "none" };
	unsigned int r, i;

	for (r = 0; r < 96; r++) {
		unsigned int shift, nkinds = 1 + r % 7, k;
		bool lpa2, fwb = (r / 7) & 1;
		char names[16][S2P_MT_NAME_MAX], got[512], want[512];
		unsigned long long kinds[8];
		int levels[8], level0;
		struct s2p_range_pieces rp;
		struct s2p_leaf l;

		for (i = 0; i < 16; i++)
			s2p_memattr_name(i, fwb, names[i], sizeof(names[i]));
		random_raw_leaf(&kinds[0], &level0, &shift, &lpa2, &l);
		levels[0] = level0;
		for (k = 1; k < nkinds; k++) {
			do {
				levels[k] = rnd() % 3 ? level0 : (int)(rnd() % 5) - 1;
				kinds[k] = kinds[0] ^ S2P_BIT(2 + rnd() % 61);
				kinds[k] = (kinds[k] & ~2ULL) | (levels[k] == 3 ? 2 : 0);
			} while (s2p_leaf_decode(kinds[k], levels[k], shift, lpa2, &l));
		}
		s2p_range_pieces_init(&rp, shift, lpa2, (const char (*)[S2P_MT_NAME_MAX])names);
		for (i = 0; i < 3000; i++) {
			struct s2p_host h = {
				.slot = (int)(rnd() % 40) - 5, .has_hva = rnd() % 4,
				.hva = rnd() >> (rnd() % 64), .backing = backings[rnd() % N(backings)],
				.bdf = rnd() % 4 ? NULL : "0000:00:03.0", .bar = (int)(rnd() % 6),
				.wc = !(rnd() % 5), .path = rnd() % 3 ? NULL : "/dev/shm/x\040y",
			};
			unsigned long long raw, ipa = rnd() >> (rnd() % 64), size;
			struct s2p_host_piece hp;
			size_t n;

			k = rnd() % nkinds;
			raw = (kinds[k] & ~S2P_GENMASK(47, 12)) | (rnd() & S2P_GENMASK(47, 12));
			if (s2p_leaf_decode(raw, levels[k], shift, lpa2, &l))
				continue;
			/* a size kept for a while, as on a guest mapped page by page */
			size = i % 5 ? l.size : l.size * (1 + rnd() % 600);
			if (!(i % 97))
				size = rnd() >> (rnd() % 64);
			n = s2p_fmt_range(want, sizeof(want) - 1, ipa, size, &l, names[l.memattr], &h);
			want[n] = '\0';
			s2p_host_piece_make(&hp, &h);
			check(s2p_host_piece_ok(&hp), "fast range %u/%u: the host piece does not fit",
			      r, i);
			memset(got, '#', sizeof(got));
			n = s2p_fmt_range_fast(got, &rp, ipa, size, raw, levels[k], &hp, h.hva);
			check_line("fast range", i, got, n, want);
			check(n <= S2P_RANGE_LINE_MAX, "fast range %u/%u: %zu bytes", r, i, n);
		}
	}
}

static void test_lines(void)
{
	static const char * const backings[] = {
		"anon", "anon-thp", "hugetlb", "file", "pfnmap", "io", "gone", "gmem", "none",
	};
	static const char * const paths[] = {
		NULL, "/memfd:s2vmm\\040(deleted)", "...ath/that/s2probe/cuts/to/the/end/x",
		/* as long as a record holds: S2P_HOST_PATH_MAX - 1 bytes */
		"...\\134\\134\\134\\134\\134\\134\\134\\134\\134\\134\\134"
		"\\134\\134\\134\\134\\134\\134\\134\\134\\134\\134\\134wxyz",
	};
	char got[512], want[512], name[S2P_MT_NAME_MAX];
	unsigned int i, m;
	size_t n;

	check(strlen(paths[3]) == S2P_HOST_PATH_MAX - 1, "the longest path is %zu bytes",
	      strlen(paths[3]));
	for (i = 0; i < 20000; i++) {
		struct s2p_leaf l;
		struct s2p_host h;
		struct s2p_vma_facts vf;
		unsigned long long ipa = rnd() >> (rnd() % 64), pa = rnd() >> (rnd() % 64);
		unsigned long long size;
		bool fwb = rnd() & 1;

		random_leaf(&l);
		size = i % 3 ? l.size * (1 + rnd() % 600) : rnd() >> (rnd() % 64);
		s2p_memattr_name(l.memattr, fwb, name, sizeof(name));
		model_page(want, sizeof(want), ipa, pa, &l, fwb);
		n = s2p_fmt_page(got, sizeof(got), ipa, pa, &l, name);
		check_line("page", i, got, n, want);
		if (i < 2000)
			check(!s2p_fmt_page(got, strlen(want), ipa, pa, &l, name),
			      "page %u: a buffer one byte short gives 0", i);
		check(strlen(want) <= S2P_PAGE_LINE_MAX, "page %u: longer than S2P_PAGE_LINE_MAX", i);
		h = (struct s2p_host){
			.slot = (int)(rnd() % 40) - 5, .has_hva = rnd() % 4, .hva = rnd() >> (rnd() % 64),
			.backing = backings[rnd() % N(backings)],
			.bdf = rnd() % 4 ? NULL : "0000:00:03.0", .bar = (int)(rnd() % 6),
			.wc = !(rnd() % 5), .path = paths[rnd() % N(paths)],
		};
		random_vma_facts(&vf);
		if (rnd() % 3 == 0)
			h.vma = &vf;
		model_range(want, sizeof(want), ipa, size, &l, fwb, &h);
		n = s2p_fmt_range(got, sizeof(got), ipa, size, &l, name, &h);
		check_line("range", i, got, n, want);
		if (i < 2000)
			check(!s2p_fmt_range(got, strlen(want), ipa, size, &l, name, &h),
			      "range %u: a buffer one byte short gives 0", i);
	}
	for (i = 0; i < 5000; i++) {
		static const char * const bdfs[] = { "0000:00:03.0", "0001:ff:1f.7", "dead:be:ef.0" };
		unsigned long long ipa = rnd() >> (rnd() % 64), size = (rnd() >> (rnd() % 64)) | 1;
		const char *bdf = bdfs[rnd() % N(bdfs)];
		int bar = (int)(rnd() % 6), k;
		bool wc = rnd() & 1, fwb = rnd() & 1;
		char sz[S2P_SIZE_NAME_MAX];
		struct s2p_vma_facts vf, *v = rnd() % 4 ? &vf : NULL;

		random_vma_facts(&vf);
		s2p_memattr_name(rnd() % 16, fwb, name, sizeof(name));
		k = snprintf(want, sizeof(want), "0x%016llx-0x%016llx %s pci=%s bar=%d %s%s", ipa,
			     ipa + size, model_size(size, sz, sizeof(sz)), bdf, bar, name,
			     wc ? " wc" : "");
		k += model_vma_facts(want + k, sizeof(want) - k, v);
		snprintf(want + k, sizeof(want) - k, "\n");
		n = s2p_fmt_bar(got, sizeof(got), ipa, size, bdf, bar, name, wc, v);
		check_line("bar", i, got, n, want);
		check(!s2p_fmt_bar(got, strlen(want), ipa, size, bdf, bar, name, wc, v),
		      "bar %u: a buffer one byte short gives 0", i);
	}
	for (m = 0; m < 32; m++) {
		model_effective_tail(want, sizeof(want), m & 15, m >> 4);
		n = s2p_fmt_effective_tail(got, sizeof(got), m & 15, m >> 4);
		check_line("effective tail", m, got, n, want);
		check(!s2p_fmt_effective_tail(got, strlen(want), m & 15, m >> 4),
		      "effective tail %u: a buffer one byte short gives 0", m);
	}
	/* whole effective lines: the span and s2= before the tail */
	for (i = 0; i < 2000; i++) {
		unsigned long long ipa = rnd() >> (rnd() % 64), size = (rnd() >> (rnd() % 64)) | 1;
		char tail[512];
		size_t tl;
		int k;

		m = rnd() % 32;
		tl = s2p_fmt_effective_tail(tail, sizeof(tail), m & 15, m >> 4);
		s2p_memattr_name(m & 15, m >> 4, name, sizeof(name));
		k = snprintf(want, sizeof(want), "0x%016llx-0x%016llx s2=%s", ipa, ipa + size, name);
		snprintf(want + k, sizeof(want) - k, "%.*s", (int)tl, tail);
		n = s2p_fmt_effective(got, sizeof(got), ipa, size, name, tail, tl);
		check_line("effective", i, got, n, want);
		check(!s2p_fmt_effective(got, strlen(want), ipa, size, name, tail, tl),
		      "effective %u: a buffer one byte short gives 0", i);
	}
	/* fixed lines, written out by hand (README samples) */
	{
		struct s2p_leaf l;
		struct s2p_host h = { .slot = 4, .has_hva = true, .hva = 0xffffb1abb000ULL,
				      .backing = "pfnmap",
				      .bdf = "0000:00:03.0", .bar = 2 };

		s2p_leaf_decode(0x000000004ec004d9ULL, 2, 12, true, &l);
		n = s2p_fmt_page(got, sizeof(got), 0x40000000, l.oa, &l, "NORMAL_WB");
		check_line("README page", 0, got, n,
			   "0x0000000040000000 L2 map=2M desc=0x000000004ec004d9 pa=0x4ec00000 NORMAL_WB RW x VTCR AF - sw=0x0\n");
		s2p_leaf_decode(0x00400000400007f7ULL, 3, 12, true, &l);
		n = s2p_fmt_range(got, sizeof(got), 0x8000000000ULL, 0x10000, &l, "NORMAL_NC", &h);
		check_line("README range", 0, got, n,
			   "0x0000008000000000-0x0000008000010000 64K map=4K L3 NORMAL_NC RW xn VTCR AF - slot=4 hva=0xffffb1abb000 pfnmap pci=0000:00:03.0 bar=2\n");
		{
			struct s2p_vma_facts vf = { S2P_VMA_DEV_NGNRNE, true, S2P_EXP_NC };

			h.vma = &vf;
			n = s2p_fmt_range(got, sizeof(got), 0x8000000000ULL, 0x10000, &l,
					  "NORMAL_NC", &h);
			check_line("README range with policy", 0, got, n,
				   "0x0000008000000000-0x0000008000010000 64K map=4K L3 NORMAL_NC RW xn VTCR AF - slot=4 hva=0xffffb1abb000 pfnmap pci=0000:00:03.0 bar=2 vma=DEVICE_nGnRnE uc expect=NORMAL_NC\n");
			n = s2p_fmt_bar(got, sizeof(got), 0x8000000000ULL, 0x10000, "0000:00:03.0",
					2, "DEVICE_nGnRE", false, &vf);
			check_line("README bar with policy", 0, got, n,
				   "0x0000008000000000-0x0000008000010000 64K pci=0000:00:03.0 bar=2 DEVICE_nGnRE vma=DEVICE_nGnRnE uc expect=NORMAL_NC\n");
			h.vma = NULL;
		}
		h = (struct s2p_host){ .slot = 0, .has_hva = true, .hva = 0x7fff7e000000ULL,
				       .backing = "file", .bar = -1,
				       .path = "/memfd:ram\\040pci=0000:03:00.0\\040bar=0\\040(deleted)" };
		s2p_leaf_decode(0x00400000400007f7ULL, 3, 12, true, &l);
		n = s2p_fmt_range(got, sizeof(got), 0x40000000, 0x1000, &l, "NORMAL_WB", &h);
		check_line("hostile memfd range", 0, got, n,
			   "0x0000000040000000-0x0000000040001000 4K map=4K L3 NORMAL_WB RW xn VTCR AF - slot=0 hva=0x7fff7e000000 file path=/memfd:ram\\040pci=0000:03:00.0\\040bar=0\\040(deleted)\n");
	}
}

/* The reference: escape every byte as the rule says, one at a time. */
static size_t model_escape(char *buf, const unsigned char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\\')
			buf[k++] = (char)s[i];
		else
			k += (size_t)sprintf(buf + k, "\\%03o", s[i]);
	}
	buf[k] = '\0';
	return k;
}

/* Decode "\ooo" escapes: what the s2probe command does. */
static size_t model_unescape(unsigned char *out, const char *s)
{
	size_t k = 0;

	while (*s) {
		if (*s == '\\') {
			out[k++] = (unsigned char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			out[k++] = (unsigned char)*s++;
		}
	}
	return k;
}

/*
 * s2p_escape_tail() against the model: every byte value, hostile names
 * (a newline, spaces, a forged field, bytes that are not UTF-8), random
 * strings and every buffer size: the result is one token (no byte outside
 * printable ASCII but the escapes' digits, no space), fits, decodes to the
 * input or, when cut, to the input's end behind "...", and is the longest
 * such end.
 */
static void test_escape(void)
{
	static const char * const hostile[] = {
		"qemu\nforged 1 2 3", "a b\tc", "ram pci=0000:03:00.0 bar=2", "\xff\xfe\x80 bad utf-8",
		"back\\slash", "/memfd:s2vmm (deleted)", "", "\xc3\xa9t\xc3\xa9",
	};
	char got[1200], want[1200], one[8];
	unsigned char src[300], dec[1200];
	unsigned int i, c;
	size_t n, len, k, w;

	for (c = 0; c < 256; c++) {
		src[0] = (unsigned char)c;
		model_escape(want, src, 1);
		s2p_escape_tail(got, sizeof(got), (const char *)src, 1);
		check_str(got, want, "escape byte 0x%02x", c);
	}
	for (i = 0; i < N(hostile) + 3000; i++) {
		if (i < N(hostile)) {
			n = strlen(hostile[i]);
			memcpy(src, hostile[i], n);
		} else {
			n = rnd() % 200;
			for (k = 0; k < n; k++)
				src[k] = (unsigned char)(rnd() % 4 ? ' ' + rnd() % 95 : rnd() % 256);
		}
		w = model_escape(want, src, n);
		for (len = 5; len <= w + 2; len += 1 + (i >= N(hostile)) * (rnd() % 7)) {
			size_t got_n = s2p_escape_tail(got, len, (const char *)src, n), dn;
			bool cut = got_n != w;
			const char *body = got + (cut ? 3 : 0);

			check(got_n == strlen(got) && got_n < len, "escape %u len %zu: wrote %zu", i,
			      len, got_n);
			for (k = 0; k < got_n; k++)
				check(got[k] > ' ' && got[k] < 0x7f, "escape %u: byte 0x%02x in the token",
				      i, (unsigned char)got[k]);
			if (!cut) {
				check_str(got, want, "escape %u len %zu", i, len);
				continue;
			}
			check(!strncmp(got, "...", 3), "escape %u len %zu: cut without '...'", i, len);
			dn = model_unescape(dec, body);
			check(dn <= n && !memcmp(dec, src + n - dn, dn),
			      "escape %u len %zu: '%s' is not the input's end", i, len, got);
			/* the longest end that fits: one more byte would not */
			if (dn < n)
				check(got_n + model_escape(one, src + n - dn - 1, 1) >= len,
				      "escape %u len %zu: '%s' could keep one more byte", i, len, got);
		}
	}
}

/*
 * s2p_count_pages() against s2p_leaf_decode() at level 3, entry by entry:
 * random last-level tables of each granule (valid pages, reserved 0b01,
 * invalid entries with any other bits), random windows.
 */
static void test_count_pages(void)
{
	static const unsigned int shifts[] = { 12, 14, 16 };
	static u64 table[8192];
	unsigned int g, round, i;
	unsigned long bad = 0, runs = 0;

	for (g = 0; g < 3; g++) {
		unsigned int n = 1u << (shifts[g] - 3);

		for (round = 0; round < 200; round++) {
			unsigned int got[16] = { 0 }, want[16] = { 0 };
			unsigned int first = rnd() % n, last, cnt, wn = 0;
			struct s2p_leaf l;

			last = first + rnd() % (n - first);
			for (i = 0; i < n; i++) {
				u64 r = rnd();

				switch (rnd() % 4) {
				case 0: r &= ~3ULL; break;		/* invalid */
				case 1: r = (r & ~3ULL) | 1; break;	/* reserved at L3 */
				default: r |= 3; break;			/* page */
				}
				/*
				 * every other round: runs of entries alike in
				 * [5:0] (a guest's tables), other bits random
				 */
				if ((round & 1) && i && rnd() % 16)
					r = (r & ~S2P_GENMASK(5, 0)) | (table[i - 1] & S2P_GENMASK(5, 0));
				table[i] = r;
			}
			cnt = s2p_count_pages(table, first, last, got);
			for (i = first; i <= last; i++) {
				if (s2p_leaf_decode(table[i], 3, shifts[g], false, &l))
					continue;
				want[l.memattr]++;
				wn++;
			}
			runs++;
			if (cnt != wn || memcmp(got, want, sizeof(got)))
				bad++;
		}
	}
	check(!bad, "count_pages equals the decoder on random tables");
	check_u64(runs, 600, "count_pages rounds");
	/* a known table: pages at 0 (MemAttr 6), 2 (MemAttr 5), a block bit pattern at 1 */
	{
		u64 t[4] = { 0x1000 | 3 | (6 << 2), 0x2000 | 1 | (6 << 2),
				  0x3000 | 3 | (5 << 2), 0 };
		unsigned int c[16] = { 0 };

		check_u64(s2p_count_pages(t, 0, 3, c), 2, "count_pages known table");
		check(c[6] == 1 && c[5] == 1 && c[0] == 0, "count_pages known memattrs");
		memset(c, 0, sizeof(c));
		check_u64(s2p_count_pages(t, 1, 1, c), 0, "count_pages reserved entry alone");
	}
}

/*
 * KVM's policy for memory outside the linear map, as each series'
 * arch/arm64/kvm/mmu.c reads: 6.1 user_mem_abort() (device: DEVICE),
 * 6.12 (device && VM_ALLOW_ANY_UNCACHED: NORMAL_NC), 7.3
 * kvm_s2_fault_pin_pfn() (a cacheable VMA: EFAULT without FWB and DIC,
 * otherwise a normal mapping; kvm_vma_is_cacheable(): every MT_* index
 * but NORMAL_NC and the two Device ones) and kvm_s2_fault_compute_prot().
 * Every combination, and the cases the README names.
 */
static void test_policy(void)
{
	static const struct {
		enum s2p_policy pol;
		enum s2p_vma_mt mt;
		bool uc, ok;
		enum s2p_expect want;
		const char *what;
	} cases[] = {
		{ S2P_POL_DEVICE, S2P_VMA_DEV_NGNRNE, false, false, S2P_EXP_DEVICE,
		  "6.1 vfio-pci BAR" },
		{ S2P_POL_DEVICE, S2P_VMA_NORMAL_NC, false, true, S2P_EXP_DEVICE,
		  "6.1 write-combining VMA" },
		{ S2P_POL_DEVICE, S2P_VMA_NORMAL, false, true, S2P_EXP_DEVICE,
		  "6.1 cacheable PFNMAP" },
		{ S2P_POL_ANY_UC, S2P_VMA_DEV_NGNRNE, true, false, S2P_EXP_NC,
		  "6.12 vfio-pci BAR" },
		{ S2P_POL_ANY_UC, S2P_VMA_NORMAL_NC, false, false, S2P_EXP_DEVICE,
		  "6.12 write-combining VMA without VM_ALLOW_ANY_UNCACHED" },
		{ S2P_POL_ANY_UC, S2P_VMA_NORMAL, false, true, S2P_EXP_DEVICE,
		  "6.12 cacheable PFNMAP" },
		{ S2P_POL_CACHEABLE, S2P_VMA_DEV_NGNRNE, true, true, S2P_EXP_NC,
		  "7.x vfio-pci BAR" },
		{ S2P_POL_CACHEABLE, S2P_VMA_DEV_NGNRE, false, true, S2P_EXP_DEVICE,
		  "7.x ioremap-style VMA" },
		{ S2P_POL_CACHEABLE, S2P_VMA_NORMAL, false, true, S2P_EXP_WB,
		  "7.x cacheable PFNMAP, FWB and DIC (Grace)" },
		{ S2P_POL_CACHEABLE, S2P_VMA_NORMAL, true, false, S2P_EXP_REFUSED,
		  "7.x cacheable PFNMAP without FWB" },
		{ S2P_POL_CACHEABLE, S2P_VMA_NORMAL_TAGGED, false, true, S2P_EXP_WB,
		  "7.x tagged cacheable PFNMAP" },
		{ S2P_POL_CACHEABLE, S2P_VMA_OTHER, false, false, S2P_EXP_REFUSED,
		  "7.x unknown AttrIndx counts as cacheable" },
	};
	unsigned int i, p, m, f;

	for (i = 0; i < N(cases); i++)
		check(s2p_policy_expect(cases[i].pol, cases[i].mt, cases[i].uc, cases[i].ok) ==
		      cases[i].want, "policy: %s", cases[i].what);
	/* every combination against the rules as mmu.c orders them */
	for (p = 0; p < S2P_NR_POLICIES; p++) {
		for (m = 0; m < S2P_NR_VMA_MT; m++) {
			for (f = 0; f < 4; f++) {
				bool uc = f & 1, ok = f & 2;
				bool cacheable = m == S2P_VMA_NORMAL || m == S2P_VMA_NORMAL_TAGGED ||
						 m == S2P_VMA_OTHER;
				enum s2p_expect want = S2P_EXP_DEVICE;

				if (p == S2P_POL_CACHEABLE && cacheable && !ok)
					want = S2P_EXP_REFUSED;
				else if (p == S2P_POL_CACHEABLE && cacheable)
					want = S2P_EXP_WB;
				else if (p != S2P_POL_DEVICE && uc)
					want = S2P_EXP_NC;
				check(s2p_policy_expect(p, m, uc, ok) == want,
				      "policy %u mt %u uc %d ok %d", p, m, uc, ok);
			}
		}
	}
	check(!strcmp(s2p_policy_name(S2P_POL_DEVICE), "device") &&
	      !strcmp(s2p_policy_name(S2P_POL_ANY_UC), "any-uncached") &&
	      !strcmp(s2p_policy_name(S2P_POL_CACHEABLE), "cacheable-pfnmap") &&
	      !strcmp(s2p_policy_name(S2P_NR_POLICIES), "?"), "policy names");
	for (m = 0; m < S2P_NR_VMA_MT; m++)
		check(!strcmp(s2p_vma_mt_name(m), model_vma_names[m]), "vma name %u", m);
	for (m = 0; m < S2P_NR_EXPECT; m++)
		check(!strcmp(s2p_expect_name(m), model_expect_names[m]), "expect name %u", m);
	/* expect= names what the views call KVM's encodings of those types */
	{
		char name[S2P_MT_NAME_MAX];

		for (f = 0; f < 2; f++) {
			/* KVM: DEVICE_nGnRE 0x1 (FWB 0x1), NORMAL_NC 0x5 (FWB 0x5), NORMAL 0xf (FWB 0x6) */
			check(!strcmp(s2p_memattr_name(0x1, f, name, sizeof(name)),
				      s2p_expect_name(S2P_EXP_DEVICE)), "expect device fwb %u", f);
			check(!strcmp(s2p_memattr_name(0x5, f, name, sizeof(name)),
				      s2p_expect_name(S2P_EXP_NC)), "expect nc fwb %u", f);
			check(!strcmp(s2p_memattr_name(f ? 0x6 : 0xf, f, name, sizeof(name)),
				      s2p_expect_name(S2P_EXP_WB)), "expect wb fwb %u", f);
		}
	}
}

/* ------------------------------------------------------------------------ */
/*
 * ptdump: s2probe's note and line writer against a model of upstream's dump,
 * written here from arch/arm64/mm/ptdump.c note_page(), note_page_flush(),
 * dump_prot() and arch/arm64/kvm/ptdump.c stage2_pte_bits (7.3) with
 * snprintf(): its own mask and attribute words, its own "%9llu%c" size, the
 * header at the first entry and a flush with level -1. Synthetic stage-2
 * tables of every granule (4K, 16K, 64K), IPA size and start level as KVM
 * makes them (up to 16 tables concatenated at the first level), with runs of
 * alike entries, blocks, pages, the reserved 0b01 at level 3, invalid
 * entries with and without other bits, random bits outside the mask (LPA2's
 * OA[51:50] in [9:8], FEAT_LPA's in [15:12], MemAttr, SW...). The model is
 * fed by a walker like KVM's over the whole IPA space, or over a window
 * (entries overlapping it, shown from the window's start, flushed at its
 * end); s2probe's side is fed the way s2probe.c's visitor does it: in chunks
 * of a few entries, each walk restarting at the page of the cursor and
 * skipping what lies below it.
 */
struct model_ptd {
	bool started;		/* an entry was noted: the header is out */
	int level;
	unsigned long long start, prot;
	char *buf;
	size_t len, n;
};

/* the mask: PTE_VALID, S2AP R and W, XN[1:0], AF, PMD_TYPE_MASK */
#define MODEL_PTD_MASK	(1ULL | 2ULL | 1ULL << 6 | 1ULL << 7 | 3ULL << 53 | 1ULL << 10)

static void model_ptd_put(struct model_ptd *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void model_ptd_put(struct model_ptd *m, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(m->buf + m->n, m->len - m->n, fmt, ap);
	va_end(ap);
	if (k > 0 && (size_t)k < m->len - m->n)
		m->n += (size_t)k;
	else
		m->n = m->len;	/* overflow: the check fails */
}

static void model_note(struct model_ptd *m, unsigned long long addr, int level,
		       unsigned long long val)
{
	static const char * const xn[] = { " px ux ", " PXNux ", " PXNUXN", " px UXN" };
	static const char units[] = "KMGTPE";
	unsigned long long prot = level >= 0 ? val & MODEL_PTD_MASK : 0, delta;
	unsigned int u = 0;

	if (!m->started) {
		m->started = true;
		m->level = level;
		m->prot = prot;
		m->start = addr;
		model_ptd_put(m, "---[ Guest IPA ]---\n");
		return;
	}
	if (prot == m->prot && level == m->level)
		return;
	delta = (addr - m->start) >> 10;
	while (!(delta & 1023) && u < 5) {
		delta >>= 10;
		u++;
	}
	model_ptd_put(m, "0x%016llx-0x%016llx   %9llu%c %d", m->start, addr, delta, units[u],
		      m->level);
	if (m->prot)
		model_ptd_put(m, " %s %s %s%s %s %s", m->prot & 1 ? " " : "F",
			      m->prot & (1ULL << 6) ? "R" : " ", m->prot & (1ULL << 7) ? "W" : " ",
			      xn[(m->prot >> 53) & 3], m->prot & (1ULL << 10) ? "AF" : "  ",
			      (m->prot & 3) == 1 ? "BLK" : "   ");
	model_ptd_put(m, "\n");
	m->start = addr;
	m->prot = prot;
	m->level = level;
}

/* A synthetic stage 2: tables of 2^(shift-3) entries, children where a table is. */
struct syn_table {
	unsigned long long *e;
	struct syn_table **child;
};

struct syn {
	unsigned int shift, ia_bits;
	int start_level;
	unsigned int nroot;		/* entries at the start level (concatenated) */
	struct syn_table root;
	unsigned int tables;		/* tables made below the root */
	unsigned long long l3[32];	/* where each last-level table maps */
	unsigned int nl3;
};

static unsigned int syn_entries(const struct syn *t)
{
	return 1u << (t->shift - 3);
}

/* A random entry of @level: not a table (the caller makes those). */
static unsigned long long syn_entry(int level)
{
	unsigned long long r = rnd();

	/* bits outside the mask: random or none, so that runs also form on them */
	if (rnd() & 1)
		r &= MODEL_PTD_MASK | (rnd() & S2P_GENMASK(15, 8));
	switch (rnd() % 8) {
	case 0: case 1: case 2:
		return 0;				/* empty */
	case 3:
		return r & ~1ULL;			/* invalid, other bits set */
	case 4:
		return (r & ~3ULL) | 1;			/* block (reserved 0b01 at L3) */
	default:
		return (r & ~3ULL) | (level == 3 ? 3 : 1);	/* page, or block */
	}
}

static void syn_fill(struct syn *t, struct syn_table *tb, unsigned int n, int level,
		     unsigned long long base)
{
	unsigned long long prev = 0;
	unsigned int i;

	tb->e = calloc(n, sizeof(*tb->e));
	tb->child = calloc(n, sizeof(*tb->child));
	for (i = 0; i < n; i++) {
		unsigned int dice = rnd() % 64;

		if (level < 3 && t->tables < 16 && dice < 3) {
			/* a table: descend */
			tb->e[i] = 3 | (rnd() & S2P_GENMASK(47, 12));
			tb->child[i] = calloc(1, sizeof(*tb->child[i]));
			t->tables++;
			if (level == 2 && t->nl3 < N(t->l3))
				t->l3[t->nl3++] = base + i * (1ULL << s2p_level_shift(t->shift, level));
			syn_fill(t, tb->child[i], syn_entries(t), level + 1,
				 base + i * (1ULL << s2p_level_shift(t->shift, level)));
			continue;
		}
		/* mostly runs: the previous entry again (its OA moves on) */
		if (i && dice < 56 && !tb->child[i - 1])
			tb->e[i] = prev + (1ULL << 12);
		else
			tb->e[i] = syn_entry(level);
		if (level < 3 && (tb->e[i] & 3) == 3)
			tb->e[i] &= ~2ULL;	/* not a table after all */
		prev = tb->e[i];
	}
}

static void syn_free_n(struct syn_table *tb, unsigned int n, unsigned int sub)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (tb->child[i]) {
			syn_free_n(tb->child[i], sub, sub);
			free(tb->child[i]);
		}
	free(tb->e);
	free(tb->child);
}

/* KVM: levels = (ia_bits - 8) / (shift - 3), at least 2; start = 4 - levels */
static void syn_make(struct syn *t, unsigned int shift, unsigned int ia_bits)
{
	int levels = (int)(ia_bits - 8) / (int)(shift - 3);

	if (levels < 2)
		levels = 2;
	*t = (struct syn){ .shift = shift, .ia_bits = ia_bits, .start_level = 4 - levels };
	t->nroot = (unsigned int)(1ULL << (ia_bits - s2p_level_shift(shift, t->start_level)));
	syn_fill(t, &t->root, t->nroot, t->start_level, 0);
}

typedef bool (*syn_visit_fn)(void *arg, unsigned long long ipa, unsigned long long size,
			     int level, unsigned long long raw);

/*
 * At a table entry of level 2 (KVM_PGTABLE_WALK_TABLE_PRE): the last-level
 * table below it. Returns 0 to descend, 1 to end the walk there.
 */
typedef int (*syn_table_fn)(void *arg, unsigned long long ipa, unsigned long long size,
			    const unsigned long long *table, unsigned int n);

/*
 * Walk like kvm_pgtable_walk(): every entry overlapping [from, end) that is
 * not a table, in order; @fn returning false ends the walk (false returned).
 * @tfn, if any, sees the level-2 table entries first.
 */
static bool syn_walk_table(const struct syn *t, const struct syn_table *tb, unsigned int n,
			   int level, unsigned long long base, unsigned long long from,
			   unsigned long long end, syn_visit_fn fn, syn_table_fn tfn, void *arg)
{
	unsigned long long size = 1ULL << s2p_level_shift(t->shift, level);
	unsigned int i = from > base ? (unsigned int)((from - base) / size) : 0;

	for (; i < n; i++) {
		unsigned long long ipa = base + i * size;

		if (ipa >= end)
			break;
		if (tb->child[i]) {
			if (tfn && level == 2 &&
			    tfn(arg, ipa, size, tb->child[i]->e, syn_entries(t)))
				return false;
			if (!syn_walk_table(t, tb->child[i], syn_entries(t), level + 1, ipa, from,
					    end, fn, tfn, arg))
				return false;
			continue;
		}
		if (!fn(arg, ipa, size, level, tb->e[i]))
			return false;
	}
	return true;
}

static bool syn_walk(const struct syn *t, unsigned long long from, unsigned long long end,
		     syn_visit_fn fn, syn_table_fn tfn, void *arg)
{
	return syn_walk_table(t, &t->root, t->nroot, t->start_level, 0, from, end, fn, tfn,
			      arg);
}

/* The model's side: each entry from the window's start on. */
struct model_walk {
	struct model_ptd m;
	unsigned long long start;
};

static bool model_visit(void *arg, unsigned long long ipa, unsigned long long size, int level,
			unsigned long long raw)
{
	struct model_walk *w = arg;

	(void)size;
	model_note(&w->m, ipa > w->start ? ipa : w->start, level, raw);
	return true;
}

static size_t model_dump(const struct syn *t, unsigned long long start, unsigned long long end,
			 char *buf, size_t len)
{
	struct model_walk w = { .m = { .buf = buf, .len = len }, .start = start };

	syn_walk(t, start, end, model_visit, NULL, &w);
	model_note(&w.m, end, -1, 0);	/* note_page_flush() */
	return w.m.n;
}

/*
 * s2probe's side, fed as s2probe.c's visitors feed it: each entry from the
 * cursor on, last-level tables in one s2p_ptd_table() loop that ends the
 * walk; a chunk ends after @budget entries or when its @room runs are made.
 */
struct s2p_walk {
	struct s2p_ptd st;
	unsigned long long cursor, end;
	unsigned int visits, budget;
	struct s2p_ptd_run runs[8];
	unsigned int nruns, room;
	bool table_done;	/* the walk ended after a whole table */
	unsigned int shift;
	char *buf;
	size_t len, n;
	bool bad;
};

static void s2p_walk_put(struct s2p_walk *w, const struct s2p_ptd_run *r)
{
	size_t k = s2p_fmt_ptd(w->buf + w->n, w->len - w->n, r);

	if (!k)
		w->bad = true;
	w->n += k;
}

static bool s2p_side_visit(void *arg, unsigned long long ipa, unsigned long long size,
			   int level, unsigned long long raw)
{
	struct s2p_walk *w = arg;
	unsigned long long end = ipa + size;

	w->visits++;
	if (end <= w->cursor)
		return true;	/* below the cursor: noted already */
	if (s2p_ptd_note(&w->st, ipa > w->cursor ? ipa : w->cursor, level, raw,
			 &w->runs[w->nruns]))
		w->nruns++;
	w->cursor = end;
	return w->visits < w->budget && w->nruns < w->room;
}

static int s2p_side_table(void *arg, unsigned long long ipa, unsigned long long size,
			  const unsigned long long *table, unsigned int n)
{
	struct s2p_walk *w = arg;
	unsigned long long from = ipa > w->cursor ? ipa : w->cursor;
	unsigned long long to = ipa + ((unsigned long long)n << w->shift);
	unsigned int first, last, next;

	w->visits++;
	if (ipa + size <= w->cursor)
		return 0;	/* below the cursor: the leaves skip themselves */
	if (to > w->end)
		to = w->end;
	first = (unsigned int)((from - ipa) >> w->shift);
	last = (unsigned int)((to - 1 - ipa) >> w->shift);
	next = s2p_ptd_table(&w->st, table, first, last, ipa, w->shift, w->cursor, w->runs,
			     &w->nruns, w->room);
	w->visits += next - first;
	if (ipa + ((unsigned long long)next << w->shift) > w->cursor)
		w->cursor = ipa + ((unsigned long long)next << w->shift);
	w->table_done = w->nruns < w->room;
	return 1;
}

static size_t s2p_dump(const struct syn *t, unsigned long long start, unsigned long long end,
		       char *buf, size_t len, unsigned int *chunks)
{
	unsigned long long page = 1ULL << t->shift;
	struct s2p_walk w = { .cursor = start, .end = end, .shift = t->shift, .buf = buf,
			      .len = len };
	struct s2p_ptd_run r;
	bool walked = false, tables = rnd() & 1;
	unsigned int i;

	s2p_ptd_init(&w.st);
	memcpy(buf, S2P_PTD_HEADER, sizeof(S2P_PTD_HEADER) - 1);
	w.n = sizeof(S2P_PTD_HEADER) - 1;
	*chunks = 0;
	while (!walked) {
		w.visits = 0;
		w.nruns = 0;
		w.budget = 1 + rnd() % 40;
		w.room = 1 + rnd() % N(w.runs);
		(*chunks)++;
		/* one lock hold: walks on after each whole table while there is room */
		do {
			unsigned long long from = w.cursor & ~(page - 1);

			w.table_done = false;
			/* the walk ends at the window's end, rounded up to a page */
			walked = syn_walk(t, from, (end + page - 1) & ~(page - 1), s2p_side_visit,
					  tables ? s2p_side_table : NULL, &w) || w.cursor >= end;
		} while (!walked && w.table_done && w.visits < w.budget);
		for (i = 0; i < w.nruns; i++)
			s2p_walk_put(&w, &w.runs[i]);
	}
	if (s2p_ptd_flush(&w.st, end, &r))
		s2p_walk_put(&w, &r);
	return w.bad ? 0 : w.n;
}

static void test_ptdump_lines(void)
{
	char got[256], want[256];
	unsigned int i;
	unsigned long long mask = 0;
	size_t n;

	for (i = 0; i < N(s2p_ptd_bits); i++)
		mask |= s2p_ptd_bits[i].mask;
	check_u64(S2P_PTD_MASK, mask, "ptdump mask is the OR of its bit table");
	check_u64(S2P_PTD_MASK, MODEL_PTD_MASK, "ptdump mask is upstream's");
	/* every combination of the masked bits, at every level, random sizes */
	for (i = 0; i < 128 * 5 * 40; i++) {
		unsigned int c = i % 128;
		int level = (int)((i / 128) % 5) - 1;
		unsigned long long raw = (c & 1) | (c & 2) | (c & 4ULL) << 4 | (c & 8ULL) << 4 |
					 (c & 16ULL) << 6 | (c & 96ULL) << 48;
		unsigned long long start = rnd() >> (rnd() % 64), len = rnd() >> (rnd() % 64);
		/* the model's run [start, end), closed by an entry of another level */
		struct model_ptd m = { .started = true, .level = level, .start = start,
				       .prot = raw & MODEL_PTD_MASK, .buf = want,
				       .len = sizeof(want) };
		struct s2p_ptd_run r = { .start = start, .end = start + len,
					 .bits = (raw | (rnd() & ~MODEL_PTD_MASK)) & S2P_PTD_MASK,
					 .level = level };

		if (r.end < start)
			r.end = start;
		model_note(&m, r.end, level == 3 ? 2 : 3, 0);
		n = s2p_fmt_ptd(got, sizeof(got), &r);
		check_line("ptdump line", i, got, n, want);
		check(!s2p_fmt_ptd(got, strlen(want), &r),
		      "ptdump line %u: a buffer one byte short gives 0", i);
		check(strlen(want) <= 82 && S2P_PTD_LINE_MAX >= 82,
		      "ptdump line %u: longer than 82 bytes", i);
	}
	/* written out by hand from 7.3's stage2_pte_bits and note_page() */
	{
		static const struct {
			unsigned long long start, end, raw;
			int level;
			const char *want;
		} f[] = {
			{ 0, 0x40000000, 0, 1,
			  "0x0000000000000000-0x0000000040000000           1G 1\n" },
			{ 0x40000000, 0x40200000, 0x00000000430004c5ULL | 0x5ULL << 2, 2,
			  "0x0000000040000000-0x0000000040200000           2M 2   R W px ux  AF BLK\n" },
			{ 0x40200000, 0x40203000, 0x00400000512007ffULL, 3,
			  "0x0000000040200000-0x0000000040203000          12K 3   R W PXNUXN AF    \n" },
			{ 0x40203000, 0x40400000, 0, 3,
			  "0x0000000040203000-0x0000000040400000        2036K 3\n" },
			{ 0x8000000000ULL, 0x8000010000ULL, 0x0020000000000443ULL, 3,
			  "0x0000008000000000-0x0000008000010000          64K 3   R   PXNux  AF    \n" },
			{ 0x10000, 0x20000, 0x0060000000000080ULL, 3,
			  "0x0000000000010000-0x0000000000020000          64K 3 F   W px UXN       \n" },
			{ 0, 1ULL << 52, 0x400ULL, 0,
			  "0x0000000000000000-0x0010000000000000           4P 0 F     px ux  AF    \n" },
			{ 0x1000, 0x1000 + (1ULL << 40) + 0x1000, 0, 1,
			  "0x0000000000001000-0x0000010000002000   1073741828K 1\n" },
			{ 0x40000800, 0x40000a00, 0, 3,
			  "0x0000000040000800-0x0000000040000a00           0E 3\n" },
			{ 0x40000800, 0x40000e00, 0, 3,
			  "0x0000000040000800-0x0000000040000e00           1K 3\n" },
		};

		for (i = 0; i < N(f); i++) {
			struct s2p_ptd_run r = { f[i].start, f[i].end, f[i].raw & S2P_PTD_MASK,
						 f[i].level };

			n = s2p_fmt_ptd(got, sizeof(got), &r);
			check_line("ptdump fixed line", i, got, n, f[i].want);
		}
		n = s2p_fmt_ptd_mmu(got, sizeof(got), 0x802d3558ULL, 0x00010000450c0000ULL, true);
		check_line("ptdump mmu line", 0, got, n,
			   "VTCR: 0x00000000802d3558 VTTBR: 0x00010000450c0000 s2: enabled\n");
		n = s2p_fmt_ptd_mmu(got, sizeof(got), 0x80000000ULL, 0, false);
		check_line("ptdump mmu line", 1, got, n,
			   "VTCR: 0x0000000080000000 VTTBR: 0x0000000000000000 s2: disabled\n");
		check(!s2p_fmt_ptd_mmu(got, 63, 0x80000000ULL, 0, false),
		      "ptdump mmu line: a buffer one byte short gives 0");
	}
	/* the state: no line before a change, one per change, the flush */
	{
		struct s2p_ptd st;
		struct s2p_ptd_run r;

		s2p_ptd_init(&st);
		check(!s2p_ptd_flush(&st, 0x1000, &r), "ptdump flush with nothing noted");
		check(!s2p_ptd_note(&st, 0, 1, 0, &r), "ptdump first note");
		check(!s2p_ptd_note(&st, 0x40000000, 1, 1ULL << 8, &r),
		      "ptdump bits outside the mask do not close a run");
		check(s2p_ptd_note(&st, 0x80000000, 2, 0, &r) && r.start == 0 &&
		      r.end == 0x80000000 && r.level == 1 && !r.bits,
		      "ptdump level change closes the run");
		check(s2p_ptd_note(&st, 0x80200000, 2, 0x401, &r) && r.start == 0x80000000 &&
		      r.end == 0x80200000 && r.level == 2,
		      "ptdump bits change closes the run");
		check(s2p_ptd_flush(&st, 0x100000000ULL, &r) && r.start == 0x80200000 &&
		      r.end == 0x100000000ULL && r.bits == 0x401,
		      "ptdump flush closes the open run");
		check(!s2p_ptd_flush(&st, 0x100000000ULL, &r), "ptdump second flush");
	}
}

static void test_ptdump_tables(void)
{
	static const struct { unsigned int shift, ia_bits; } geo[] = {
		{ 12, 32 }, { 12, 36 }, { 12, 40 }, { 12, 44 }, { 12, 48 }, { 12, 52 },
		{ 14, 36 }, { 14, 40 }, { 14, 47 }, { 14, 48 }, { 14, 51 }, { 14, 52 },
		{ 16, 36 }, { 16, 40 }, { 16, 42 }, { 16, 48 }, { 16, 52 },
	};
	static char got[1 << 22], want[1 << 22];
	unsigned long bad = 0, dumps = 0, lines = 0, chunks_total = 0;
	unsigned int g, round, w;

	for (g = 0; g < N(geo); g++) {
		for (round = 0; round < 5; round++) {
			struct syn t;
			unsigned long long top = 1ULL << geo[g].ia_bits;

			syn_make(&t, geo[g].shift, geo[g].ia_bits);
			for (w = 0; w < 12; w++) {
				unsigned long long s = 0, e = top, page = 1ULL << geo[g].shift;
				unsigned int chunks;
				size_t gn, wn;

				switch (w) {
				case 0:
					break;		/* the whole IPA space, as upstream */
				case 1:			/* page-aligned, anywhere */
					s = (rnd() % top) & ~(page - 1);
					e = s + page + ((rnd() % (top - s)) & ~(page - 1));
					break;
				case 2:			/* unaligned, small */
					s = rnd() % top;
					e = s + 1 + rnd() % (3 * page);
					break;
				case 3:			/* one byte */
					s = rnd() % top;
					e = s + 1;
					break;
				case 4: case 5: case 6: case 7:	/* in a last-level table */
					s = t.nl3 ? t.l3[rnd() % t.nl3] : 0;
					s += rnd() % (page << (geo[g].shift - 3));
					if (w & 1)
						s &= ~(page - 1);
					e = s + 1 + rnd() % (w & 2 ? 4 * page : page << geo[g].shift);
					break;
				default:		/* unaligned, anywhere */
					s = rnd() % top;
					e = s + 1 + rnd() % (top - s);
					break;
				}
				if (e > top)
					e = top;
				wn = model_dump(&t, s, e, want, sizeof(want));
				gn = s2p_dump(&t, s, e, got, sizeof(got), &chunks);
				dumps++;
				chunks_total += chunks;
				if (gn != wn || memcmp(got, want, wn)) {
					size_t k = 0;

					while (k < gn && k < wn && got[k] == want[k])
						k++;
					while (k && want[k - 1] != '\n')
						k--;
					if (bad++ < 3)
						printf("ptdump %u-bit %uK [0x%llx, 0x%llx): first difference at byte %zu: got '%.90s' want '%.90s'\n",
						       geo[g].ia_bits, 1u << (geo[g].shift - 10), s, e,
						       k, got + k, want + k);
				}
				for (size_t k = 0; k < wn; k++)
					lines += want[k] == '\n';
			}
			syn_free_n(&t.root, t.nroot, syn_entries(&t));
		}
	}
	check(!bad, "ptdump of %lu synthetic walks equals the model (%lu differ)", dumps, bad);
	check_u64(dumps, N(geo) * 5 * 12, "ptdump synthetic walks");
	check(lines > 10 * dumps && chunks_total > 4 * dumps,
	      "ptdump synthetic walks have lines (%lu) and chunks (%lu)", lines, chunks_total);
	printf("ptdump: %lu synthetic dumps (%lu differ from the model), %lu lines, %lu chunks\n",
	       dumps, bad, lines, chunks_total);
}

/*
 * A real dump: upstream's nested_mmu1 as the lab read it (7.3, -cpu max,
 * 52-bit IPA, 4K: start level 0, tests/peer/nested/nested_mmu1) and its four
 * pages (tests/peer/nested/pages1, whose descriptors are made up: the last,
 * read-only one's is written here without S2AP[1]) in synthetic tables.
 */
static void test_ptdump_lab(void)
{
	static const char want[] =
		"VTCR: 0x00000000802d3558 VTTBR: 0x0001000044fae000 s2: enabled\n"
		"---[ Guest IPA ]---\n"
		"0x0000000000000000-0x0000000040000000           1G 1\n"
		"0x0000000040000000-0x0000000040001000           4K 3   R W px ux  AF    \n"
		"0x0000000040001000-0x0000000040100000        1020K 3\n"
		"0x0000000040100000-0x0000000040101000           4K 3   R W px ux  AF    \n"
		"0x0000000040101000-0x0000000040300000        2044K 3\n"
		"0x0000000040300000-0x0000000040301000           4K 3   R W px ux  AF    \n"
		"0x0000000040301000-0x0000000040500000        2044K 3\n"
		"0x0000000040500000-0x0000000040501000           4K 3   R   px ux  AF    \n"
		"0x0000000040501000-0x0000000040600000        1020K 3\n"
		"0x0000000040600000-0x0000000080000000        1018M 2\n"
		"0x0000000080000000-0x0000008000000000         510G 1\n"
		"0x0000008000000000-0x0010000000000000     4193792G 0\n";
	static const struct { unsigned long long ipa, desc; } pages[] = {
		{ 0x40000000, 0x000000005a0004dbULL }, { 0x40100000, 0x000000005a0014dbULL },
		{ 0x40300000, 0x000000005a0024dbULL }, { 0x40500000, 0x000000005a00345bULL },
	};
	static char got[4096], model[4096];
	struct syn t = { .shift = 12, .ia_bits = 52, .start_level = 0, .nroot = 8192 };
	struct syn_table *l1, *l2;
	unsigned int i, chunks;
	size_t n, k;

	t.root.e = calloc(8192, sizeof(u64));
	t.root.child = calloc(8192, sizeof(void *));
	l1 = t.root.child[0] = calloc(1, sizeof(*l1));
	l1->e = calloc(512, sizeof(u64));
	l1->child = calloc(512, sizeof(void *));
	l2 = l1->child[1] = calloc(1, sizeof(*l2));
	l2->e = calloc(512, sizeof(u64));
	l2->child = calloc(512, sizeof(void *));
	for (i = 0; i < 3; i++) {
		l2->child[i] = calloc(1, sizeof(*l2));
		l2->child[i]->e = calloc(512, sizeof(u64));
		l2->child[i]->child = calloc(512, sizeof(void *));
	}
	for (i = 0; i < N(pages); i++) {
		unsigned long long a = pages[i].ipa - 0x40000000;

		l2->child[a >> 21]->e[(a >> 12) & 511] = pages[i].desc;
	}
	n = s2p_fmt_ptd_mmu(got, sizeof(got), 0x802d3558ULL, 0x0001000044fae000ULL, true);
	k = s2p_dump(&t, 0, 1ULL << 52, got + n, sizeof(got) - n, &chunks);
	check_line("ptdump lab nested_mmu1", 0, got, n + k, want);
	k = model_dump(&t, 0, 1ULL << 52, model, sizeof(model));
	check(n + k == strlen(want) && !memcmp(model, want + n, k),
	      "ptdump model of the lab's nested_mmu1");
	syn_free_n(&t.root, t.nroot, 512);
}

int main(void)
{
	test_memattr_names();
	test_grid();
	test_hints();
	test_lkml_table();
	test_s1_mair();
	test_s1_types();
	test_sweep();
	test_bad_s1();
	test_sh();
	test_names();
	test_geometry();
	test_walking_bits();
	test_leaf_values();
	test_leaf_rejected();
	test_table_entry();
	test_hex();
	test_piece_put();
	test_lines();
	test_page_raw();
	test_size_model();
	test_range_key();
	test_range_fast();
	test_count_pages();
	test_escape();
	test_policy();
	test_ptdump_lines();
	test_ptdump_tables();
	test_ptdump_lab();
	printf("%lu passed, %lu failed\n", passed, failed);
	return failed ? 1 : 0;
}
