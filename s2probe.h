/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure decoding of arm64 stage-2 descriptors and of the memory
 * type a guest access ends up with (stage 1 combined with stage 2).
 *
 * No kernel-only types and no state: s2probe.c uses these functions in the
 * kernel, tests/unit compiles the same file in user space and checks it
 * against an independent model of the Arm ARM rules.
 *
 * References (Arm ARM DDI0487): "Stage 2 memory type and Cacheability
 * attributes when FEAT_S2FWB is disabled/enabled", pseudocode
 * S2CombineS1MemAttrs(), AArch64.S2ApplyFWBMemAttrs(), S2CombineS1Shareability().
 */
#ifndef S2PROBE_H
#define S2PROBE_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/types.h>
#else
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
typedef __u8 u8;
typedef __s8 s8;
typedef __u64 u64;
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#endif

#define S2P_BIT(n)		(1ULL << (n))
#define S2P_MASK(h, l)		((~0ULL >> (63 - (h))) & (~0ULL << (l)))

static inline u64 s2p_get(u64 v, unsigned int h, unsigned int l)
{
	return (v & S2P_MASK(h, l)) >> l;
}

/* Stage-2 block and page descriptor fields (Arm ARM D8.3). */
#define S2P_D_VALID		S2P_BIT(0)
#define S2P_D_TYPE		S2P_BIT(1)	/* level 3: page; else 1 = table */
#define S2P_D_MEMATTR(d)	s2p_get(d, 5, 2)
#define S2P_D_S2AP(d)		s2p_get(d, 7, 6)
#define S2P_D_SH(d)		s2p_get(d, 9, 8)
#define S2P_D_AF		S2P_BIT(10)
#define S2P_D_FNXS		S2P_BIT(11)
#define S2P_D_DBM		S2P_BIT(51)
#define S2P_D_CONTIG		S2P_BIT(52)
#define S2P_D_XN(d)		s2p_get(d, 54, 53)
#define S2P_D_SW(d)		s2p_get(d, 58, 55)

/* Shareability values; S2P_SH_VTCR: with LPA2 (VTCR_EL2.DS=1) SH is in VTCR. */
#define S2P_SH_NSH		0
#define S2P_SH_RES		1
#define S2P_SH_OSH		2
#define S2P_SH_ISH		3
#define S2P_SH_VTCR		4

struct s2p_leaf {
	u64 raw;
	u64 oa;			/* output address of the block or page */
	u64 size;		/* bytes it maps */
	s8 level;
	u8 memattr;		/* MemAttr[3:0] */
	u8 s2ap;		/* bit 0: read, bit 1: write */
	u8 sh;			/* S2P_SH_* */
	u8 xn;			/* XN[1:0] (FEAT_XNX) */
	u8 sw;			/* software bits [58:55] */
	bool af, contig, dbm, fnxs;
};

/* Translation granule helpers: page_shift is 12, 14 or 16. */
static inline unsigned int s2p_level_shift(unsigned int page_shift, int level)
{
	return page_shift + (3 - level) * (page_shift - 3);
}

static inline u64 s2p_level_size(unsigned int page_shift, int level)
{
	if (level < -1 || level > 3)
		return 0;
	if (s2p_level_shift(page_shift, level) > 63)
		return 0;
	return 1ULL << s2p_level_shift(page_shift, level);
}

/*
 * Can a block descriptor live at @level? 4K: levels 1-2 (0 with LPA2);
 * 16K: level 2 (1 with LPA2); 64K: level 2 (1 with 52-bit FEAT_LPA).
 * @lpa2: 52-bit output addresses (DS=1 for 4K/16K, FEAT_LPA for 64K).
 */
static inline bool s2p_block_allowed(unsigned int page_shift, int level, bool lpa2)
{
	int lowest;

	switch (page_shift) {
	case 12:
		lowest = lpa2 ? 0 : 1;
		break;
	case 14:
	case 16:
		lowest = lpa2 ? 1 : 2;
		break;
	default:
		return false;
	}
	return level >= lowest && level <= 2;
}

/* Entries of one contiguous run (Arm ARM "The Contiguous bit"), 0 if none. */
static inline unsigned int s2p_cont_entries(unsigned int page_shift, int level)
{
	static const struct {
		u8 page_shift;
		s8 level;
		u8 entries;
	} cont[] = {
		{ 12, 3, 16 }, { 12, 2, 16 }, { 12, 1, 16 },
		{ 14, 3, 128 }, { 14, 2, 32 },
		{ 16, 3, 32 }, { 16, 2, 32 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cont); i++)
		if (cont[i].page_shift == page_shift && cont[i].level == level)
			return cont[i].entries;
	return 0;
}

static inline u64 s2p_leaf_oa(u64 raw, unsigned int page_shift, int level, bool lpa2)
{
	u64 oa = raw & S2P_MASK(47, s2p_level_shift(page_shift, level));

	if (lpa2 && page_shift == 16)
		oa |= s2p_get(raw, 15, 12) << 48;	/* FEAT_LPA: OA[51:48] */
	else if (lpa2)
		oa |= (raw & S2P_MASK(49, 48)) | (s2p_get(raw, 9, 8) << 50);
	return oa;
}

/* Decode a stage-2 leaf; -1 if @raw is not a valid block/page at @level. */
static inline int s2p_leaf_decode(u64 raw, int level, unsigned int page_shift, bool lpa2,
				  struct s2p_leaf *l)
{
	if (!(raw & S2P_D_VALID) || level < -1 || level > 3 || !s2p_level_size(page_shift, 3))
		return -1;
	if (level == 3 && !(raw & S2P_D_TYPE))
		return -1;	/* reserved encoding */
	if (level < 3 && ((raw & S2P_D_TYPE) || !s2p_block_allowed(page_shift, level, lpa2)))
		return -1;	/* a table, or a block the granule does not allow */
	l->raw = raw;
	l->level = level;
	l->size = s2p_level_size(page_shift, level);
	l->oa = s2p_leaf_oa(raw, page_shift, level, lpa2);
	l->memattr = S2P_D_MEMATTR(raw);
	l->s2ap = S2P_D_S2AP(raw);
	l->sh = (lpa2 && page_shift != 16) ? S2P_SH_VTCR : S2P_D_SH(raw);
	l->xn = S2P_D_XN(raw);
	l->sw = S2P_D_SW(raw);
	l->af = raw & S2P_D_AF;
	l->contig = raw & S2P_D_CONTIG;
	l->dbm = raw & S2P_D_DBM;
	l->fnxs = raw & S2P_D_FNXS;
	return 0;
}

/* ---- Memory types ---- */

enum s2p_kind { S2P_DEVICE, S2P_NORMAL, S2P_AS_S1, S2P_RESERVED };
enum s2p_dev { S2P_NGNRNE, S2P_NGNRE, S2P_NGRE, S2P_GRE };	/* strongest first */
enum s2p_cache { S2P_NC, S2P_WT, S2P_WB };			/* weakest first */

struct s2p_mt {
	u8 kind;		/* enum s2p_kind */
	u8 dev;			/* enum s2p_dev, for S2P_DEVICE */
	u8 inner, outer;	/* enum s2p_cache, for S2P_NORMAL */
	u8 ihint, ohint;	/* allocation hints, bit 1 read, bit 0 write */
	bool itrans, otrans;	/* transient */
	bool tagged;		/* MTE Tagged (stage-1 MAIR 0xf0) */
};

static inline void s2p_mt_device(struct s2p_mt *mt, unsigned int dev)
{
	*mt = (struct s2p_mt){ .kind = S2P_DEVICE, .dev = dev };
}

static inline void s2p_mt_normal(struct s2p_mt *mt, unsigned int inner, unsigned int outer)
{
	*mt = (struct s2p_mt){ .kind = S2P_NORMAL, .inner = inner, .outer = outer };
}

/*
 * Stage-2 MemAttr[3:0] to a type.
 * FWB=0: [3:2] = 00 Device ([1:0] = nGnRnE/nGnRE/nGRE/GRE), else Normal with
 *   outer [3:2] and inner [1:0] (01 NC, 10 WT, 11 WB; inner 00 reserved).
 * FWB=1: [2] = 0 Device [1:0]; [1:0] = 11 "as stage 1" (MT_S2_FWB_AS_S1);
 *   10 Normal-WB forced; 00 and 01 Normal-NC (unless stage 1 is Device).
 *   MemAttr[3] only carries FEAT_MTE_PERM's NoTagAccess and does not change
 *   the type, so it is ignored here.
 */
static inline void s2p_s2_memattr(unsigned int memattr, bool fwb, struct s2p_mt *mt)
{
	static const u8 cache[4] = { 0xff, S2P_NC, S2P_WT, S2P_WB };
	unsigned int hi = (memattr >> 2) & 3, lo = memattr & 3;

	if (fwb) {
		if (!(memattr & 4))
			s2p_mt_device(mt, lo);
		else if (lo == 3)
			*mt = (struct s2p_mt){ .kind = S2P_AS_S1 };
		else if (lo == 2)
			s2p_mt_normal(mt, S2P_WB, S2P_WB);
		else
			s2p_mt_normal(mt, S2P_NC, S2P_NC);
		return;
	}
	if (!hi)
		s2p_mt_device(mt, lo);
	else if (!lo)
		*mt = (struct s2p_mt){ .kind = S2P_RESERVED };
	else
		s2p_mt_normal(mt, cache[lo], cache[hi]);
}

/* One MAIR nibble of Normal memory; false if it is not a Normal encoding. */
static inline bool s2p_s1_nibble(unsigned int n, u8 *cache, u8 *hint, bool *trans)
{
	*hint = n & 3;
	*trans = false;
	if (n == 4) {
		*cache = S2P_NC;
		*hint = 0;
		return true;
	}
	if (!(n & 3))
		return false;	/* 0b0000 Device/reserved, 0b1x00 with no hints */
	*cache = (n & 4) ? S2P_WB : S2P_WT;
	*trans = !(n & 8);
	return true;
}

/*
 * Stage-1 MAIR_ELx attribute byte to a type. False for reserved or
 * UNPREDICTABLE encodings. 0x40 and 0xa0 are the FEAT_XS "XS=0" Normal
 * encodings (NC and WT), 0xf0 is FEAT_MTE2 Tagged Normal WB.
 */
static inline bool s2p_s1_mair(u8 mair, struct s2p_mt *mt)
{
	unsigned int hi = mair >> 4, lo = mair & 15;

	if (!hi) {
		if (lo & 2)
			return false;	/* 0b0000xx1x: reserved */
		s2p_mt_device(mt, lo >> 2);	/* 0b0000dd0x, x = FEAT_XS */
		return true;
	}
	switch (mair) {
	case 0x40:
		s2p_mt_normal(mt, S2P_NC, S2P_NC);
		return true;
	case 0xa0:
		s2p_mt_normal(mt, S2P_WT, S2P_WT);
		mt->ihint = 2;
		mt->ohint = 2;
		return true;
	case 0xf0:
		s2p_mt_normal(mt, S2P_WB, S2P_WB);
		mt->ihint = 3;
		mt->ohint = 3;
		mt->tagged = true;
		return true;
	}
	*mt = (struct s2p_mt){ .kind = S2P_NORMAL };
	return s2p_s1_nibble(hi, &mt->outer, &mt->ohint, &mt->otrans) &&
	       s2p_s1_nibble(lo, &mt->inner, &mt->ihint, &mt->itrans);
}

static inline unsigned int s2p_min(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/* FWB=0: S2CombineS1MemAttrs(). */
static inline void s2p_combine_nofwb(const struct s2p_mt *s1, const struct s2p_mt *s2,
				     struct s2p_mt *out)
{
	if (s2->kind == S2P_RESERVED || s1->kind == S2P_RESERVED) {
		*out = (struct s2p_mt){ .kind = S2P_RESERVED };
	} else if (s1->kind == S2P_DEVICE && s2->kind == S2P_DEVICE) {
		s2p_mt_device(out, s2p_min(s1->dev, s2->dev));
	} else if (s1->kind == S2P_DEVICE) {
		*out = *s1;
	} else if (s2->kind == S2P_DEVICE) {
		*out = *s2;
	} else {
		*out = *s1;	/* hints and transience from stage 1 */
		out->inner = s2p_min(s1->inner, s2->inner);
		out->outer = s2p_min(s1->outer, s2->outer);
		/* Tags survive only where stage 2 is Normal write-back. */
		out->tagged = s1->tagged && s2->inner == S2P_WB && s2->outer == S2P_WB;
	}
	if (out->kind == S2P_NORMAL) {
		if (out->inner == S2P_NC) {
			out->ihint = 0;
			out->itrans = false;
		}
		if (out->outer == S2P_NC) {
			out->ohint = 0;
			out->otrans = false;
		}
	}
}

/* FWB=1: AArch64.S2ApplyFWBMemAttrs(). */
static inline void s2p_combine_fwb(const struct s2p_mt *s1, unsigned int memattr,
				   struct s2p_mt *out)
{
	unsigned int lo = memattr & 3;

	if (!(memattr & 4)) {
		if (s1->kind == S2P_DEVICE)
			s2p_mt_device(out, s2p_min(s1->dev, lo));
		else
			s2p_mt_device(out, lo);
	} else if (lo == 3) {
		*out = *s1;
	} else if (lo == 2) {
		bool keep = s1->kind == S2P_NORMAL;

		s2p_mt_normal(out, S2P_WB, S2P_WB);
		out->ihint = keep && s1->inner != S2P_NC ? s1->ihint : 3;
		out->itrans = keep && s1->inner != S2P_NC ? s1->itrans : false;
		out->ohint = keep && s1->outer != S2P_NC ? s1->ohint : 3;
		out->otrans = keep && s1->outer != S2P_NC ? s1->otrans : false;
		out->tagged = keep && s1->tagged;
	} else if (s1->kind == S2P_DEVICE) {
		*out = *s1;
	} else {
		s2p_mt_normal(out, S2P_NC, S2P_NC);
	}
}

/* The type a guest access gets: stage-1 type @s1, stage-2 MemAttr @memattr. */
static inline void s2p_combine(const struct s2p_mt *s1, unsigned int memattr, bool fwb,
			       struct s2p_mt *out)
{
	struct s2p_mt s2;

	if (fwb) {
		s2p_combine_fwb(s1, memattr, out);
		return;
	}
	s2p_s2_memattr(memattr, false, &s2);
	s2p_combine_nofwb(s1, &s2, out);
}

/*
 * Shareability of the combined access: the more shareable of the two
 * (OSH > ISH > NSH); Device and Normal inner+outer Non-cacheable results
 * are always Outer Shareable.
 */
static inline unsigned int s2p_combine_sh(unsigned int s1_sh, unsigned int s2_sh,
					  const struct s2p_mt *res)
{
	static const u8 rank[4] = { 0, 0, 2, 1 };	/* NSH, RES, OSH, ISH */

	if (res->kind == S2P_DEVICE ||
	    (res->kind == S2P_NORMAL && res->inner == S2P_NC && res->outer == S2P_NC))
		return S2P_SH_OSH;
	if (s1_sh > 3)
		return s2_sh;
	if (s2_sh > 3)
		return s1_sh;
	return rank[s1_sh & 3] >= rank[s2_sh & 3] ? s1_sh : s2_sh;
}

/* ---- Names: one vocabulary for every view and the README ---- */

#define S2P_MT_NAME_MAX		24

static inline const char *s2p_mt_name(const struct s2p_mt *mt, char *buf, size_t len)
{
	static const char * const s2p_dev_names[] = { "nGnRnE", "nGnRE", "nGRE", "GRE" };
	static const char * const s2p_cache_names[] = { "NC", "WT", "WB" };

	switch (mt->kind) {
	case S2P_DEVICE:
		snprintf(buf, len, "DEVICE_%s", s2p_dev_names[mt->dev & 3]);
		break;
	case S2P_NORMAL:
		if (mt->inner > S2P_WB || mt->outer > S2P_WB)
			snprintf(buf, len, "RESERVED");
		else if (mt->inner == mt->outer)
			snprintf(buf, len, "NORMAL_%s%s", s2p_cache_names[mt->inner],
				 mt->tagged ? "_TAGGED" : "");
		else
			snprintf(buf, len, "NORMAL_I%s_O%s", s2p_cache_names[mt->inner],
				 s2p_cache_names[mt->outer]);
		break;
	case S2P_AS_S1:
		snprintf(buf, len, "AS_S1");
		break;
	default:
		snprintf(buf, len, "RESERVED");
		break;
	}
	return buf;
}

static inline const char *s2p_memattr_name(unsigned int memattr, bool fwb, char *buf,
					   size_t len)
{
	struct s2p_mt mt;

	s2p_s2_memattr(memattr, fwb, &mt);
	return s2p_mt_name(&mt, buf, len);
}

static inline const char *s2p_s2ap_name(unsigned int s2ap)
{
	static const char * const names[] = { "--", "R-", "-W", "RW" };

	return names[s2ap & 3];
}

/* XN[1:0]: x = executable at EL1 and EL0, pxn = not at EL1, uxn = not at EL0. */
static inline const char *s2p_xn_name(unsigned int xn)
{
	static const char * const names[] = { "x", "pxn", "xn", "uxn" };

	return names[xn & 3];
}

static inline const char *s2p_sh_name(unsigned int sh)
{
	static const char * const names[] = { "NSH", "RES", "OSH", "ISH", "VTCR" };

	return sh < ARRAY_SIZE(names) ? names[sh] : "?";
}

#define S2P_SIZE_NAME_MAX	24

/* A size in the largest unit that divides it exactly: 4K, 2M, 1G, 12K... */
static inline const char *s2p_size_name(u64 size, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int i = 0;

	if (!size || size & 1023) {
		snprintf(buf, len, "%lluB", (unsigned long long)size);
		return buf;
	}
	size >>= 10;
	while (i + 1 < sizeof(units) - 1 && !(size & 1023)) {
		size >>= 10;
		i++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)size, units[i]);
	return buf;
}

/* The stage-1 types the `effective` view combines with each range. */
struct s2p_s1_type {
	const char *name;
	u8 mair;
};

#define S2P_NR_S1_TYPES	8

static inline const struct s2p_s1_type *s2p_s1_type(unsigned int i)
{
	static const struct s2p_s1_type types[S2P_NR_S1_TYPES] = {
		{ "NORMAL_WB", 0xff },
		{ "NORMAL_WT", 0xbb },
		{ "NORMAL_NC", 0x44 },
		{ "NORMAL_WB_TAGGED", 0xf0 },
		{ "DEVICE_GRE", 0x0c },
		{ "DEVICE_nGRE", 0x08 },
		{ "DEVICE_nGnRE", 0x04 },
		{ "DEVICE_nGnRnE", 0x00 },
	};

	return i < S2P_NR_S1_TYPES ? &types[i] : NULL;
}

#endif /* S2PROBE_H */
