/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure decoding of arm64 stage-2 block/page descriptors, of stage-1 MAIR
 * attribute bytes and of the memory type a guest access ends up with once
 * stage 1 and stage 2 are combined.
 *
 * No state, no allocation, no kernel-only types: s2probe.c uses it in the
 * kernel, tests/unit builds the very same file in user space and checks it
 * against an independent model.  Decoding is table driven ({mask, value,
 * meaning} tables, in the manner of arch/arm64/mm/ptdump.c), one small
 * function per job.
 *
 * Reference: Arm ARM DDI 0487, D8.3 (descriptor formats), D8.6 (memory region
 * attributes: Tables "Stage 2 MemAttr[3:0] encoding" when FWB is disabled and
 * "Stage 2 MemAttr[1:0] encoding, FWB enabled"), D8.7 (Contiguous bit) and the
 * pseudocode S1DecodeMemAttrs(), S2DecodeMemAttrs(), S2ResMemAttr(),
 * S2CombineS1MemAttrs(), AArch64.S2ApplyFWBMemAttrs(), S2MemTagType(),
 * S2CombineS1Shareability() and EffectiveShareability().
 *
 * Decisions where the architecture leaves a choice:
 * - The CPU is modelled without FEAT_MTE_PERM (no supported kernel uses it).
 *   Under FWB, MemAttr[3] is then RES0 and, as in the pseudocode, only
 *   MemAttr[2:0] select the type: MemAttr[3] is ignored.  With FEAT_MTE_PERM
 *   it would mark NoTagAccess (FWB 0b111x, no FWB 0b0100).
 * - FWB MemAttr[2:0] = 0b100 is Reserved (rule RHWZM, "MemAttr[3:2] = x1,
 *   MemAttr[1:0] = 00: Reserved"), like the FWB=0 encodings 0b0100 (without
 *   FEAT_MTE_PERM) and 0b1x00; all of them are reported as RESERVED.  (The
 *   FWB pseudocode happens to treat 0b100 like 0b101, QEMU as Device-nGnRnE.)
 * - A stronger stage-1 Device type wins over a stage-2 Device type under FWB
 *   too, as in the pseudocode (QEMU's combined_attrs_fwb() ignores stage 1).
 * - The FEAT_XS (0x40, 0xa0, 0b0000dd01) and FEAT_MTE2 (0xf0) MAIR encodings
 *   are accepted: a guest can only use them on a CPU that has the feature.
 */
#ifndef S2PROBE_H
#define S2PROBE_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
/* the kernel's types (arm64: u64 is unsigned long long) */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __maybe_unused
#define __maybe_unused		/* -Wunused-const-variable=1 spares headers */
#endif
#ifndef __always_inline	/* glibc's <sys/cdefs.h> has it */
#define __always_inline		inline
#endif
#endif

/*
 * A descriptor read outside the walker, which faults may change under the
 * read lock: one load, never torn or repeated (READ_ONCE() in the kernel, a
 * relaxed atomic load in user space).
 */
#ifdef __KERNEL__
#define S2P_READ_ONCE(x)	READ_ONCE(x)
#else
#define S2P_READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#endif

#define S2P_BIT(n)		(1ULL << (n))
#define S2P_GENMASK(h, l)	((~0ULL >> (63 - (h))) & (~0ULL << (l)))

/* ---- Stage-2 block and page descriptors (VMSAv8-64) ---- */

#define S2P_DESC_VALID		S2P_BIT(0)
#define S2P_DESC_TABLE_OR_PAGE	S2P_BIT(1)	/* level 3: 1 = page; else 0 = block */

enum s2p_field_id {
	S2P_F_MEMATTR,		/* [5:2] */
	S2P_F_S2AP,		/* [7:6]: bit 0 read, bit 1 write */
	S2P_F_SH,		/* [9:8], or OA[51:50] with VTCR_EL2.DS = 1 */
	S2P_F_AF,		/* [10] */
	S2P_F_CONTIG,		/* [52] */
	S2P_F_XN,		/* [54:53] (FEAT_XNX) */
	S2P_F_SW,		/* [58:55], reserved for software (KVM) */
	S2P_NR_FIELDS
};

/* One descriptor field, right-aligned. */
static inline unsigned int s2p_field(u64 raw, enum s2p_field_id id)
{
	static const struct {
		u8 hi, lo;
	} fields[S2P_NR_FIELDS] = {
		[S2P_F_MEMATTR]	= { 5, 2 },
		[S2P_F_S2AP]	= { 7, 6 },
		[S2P_F_SH]	= { 9, 8 },
		[S2P_F_AF]	= { 10, 10 },
		[S2P_F_CONTIG]	= { 52, 52 },
		[S2P_F_XN]	= { 54, 53 },
		[S2P_F_SW]	= { 58, 55 },
	};

	if ((unsigned int)id >= S2P_NR_FIELDS)
		return 0;
	return (raw & S2P_GENMASK(fields[id].hi, fields[id].lo)) >> fields[id].lo;
}

/* Shareability values of struct s2p_leaf.sh and s2p_combine_sh(). */
#define S2P_SH_NSH		0
#define S2P_SH_RES		1	/* reserved encoding */
#define S2P_SH_OSH		2
#define S2P_SH_ISH		3
#define S2P_SH_VTCR		4	/* VTCR_EL2.DS = 1: given by VTCR_EL2.SH0 */

struct s2p_leaf {
	u64 raw;
	u64 oa;			/* output address of the block or page */
	u64 size;		/* bytes mapped by the descriptor */
	s8 level;		/* -1..3 */
	u8 memattr;		/* MemAttr[3:0] */
	u8 s2ap;		/* bit 0: read, bit 1: write */
	u8 sh;			/* S2P_SH_* */
	u8 xn;			/* XN[1:0] */
	u8 sw;			/* software bits [58:55] */
	bool valid, af, contig;
};

/*
 * Translation granules (page_shift 12, 14, 16): the first lookup level, the
 * first level that may hold a block (48-bit and 52-bit output addresses) and
 * the number of entries in a contiguous run per level 0..3 (0: the Contiguous
 * bit is RES0 there, Arm ARM D8.7.1).
 */
struct s2p_granule {
	u8 page_shift;
	s8 first_level;
	s8 block_level;		/* 48-bit OA */
	s8 block_level_52;	/* 4K/16K: VTCR_EL2.DS = 1; 64K: FEAT_LPA */
	u8 cont[4];
};

/* At file scope: sparse 0.6.4 misreads a nested initializer inlined twice. */
static const struct s2p_granule s2p_granules[] __maybe_unused = {
	{ 12, -1, 1, 0, { 0, 16, 16, 16 } },
	{ 14, 0, 2, 1, { 0, 0, 32, 128 } },
	{ 16, 1, 2, 1, { 0, 0, 32, 32 } },
};

static inline const struct s2p_granule *s2p_granule(unsigned int page_shift)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s2p_granules); i++)
		if (s2p_granules[i].page_shift == page_shift)
			return &s2p_granules[i];
	return NULL;
}

/* Is @level a lookup level of the granule? */
static inline bool s2p_level_ok(const struct s2p_granule *g, int level)
{
	return g && level >= g->first_level && level <= 3;
}

/* log2 of the bytes mapped by one entry at @level. */
static inline unsigned int s2p_level_shift(unsigned int page_shift, int level)
{
	return page_shift + (3 - level) * (page_shift - 3);
}

/* Bytes mapped by one entry at @level (4K: L1 1G, L2 2M, L3 4K); 0 if none. */
static inline u64 s2p_level_size(unsigned int page_shift, int level)
{
	if (!s2p_level_ok(s2p_granule(page_shift), level))
		return 0;
	return 1ULL << s2p_level_shift(page_shift, level);
}

/* Entries in a contiguous run at @level (16 for 4K L3 ...), 0 if none. */
static inline unsigned int s2p_cont_entries(unsigned int page_shift, int level)
{
	const struct s2p_granule *g = s2p_granule(page_shift);

	if (!s2p_level_ok(g, level) || level < 0)
		return 0;
	return g->cont[level];
}

/*
 * May a block descriptor live at @level? @lpa2: 52-bit output addresses,
 * i.e. VTCR_EL2.DS = 1 for 4K/16K, and FEAT_LPA (PAMax 52) for 64K.
 */
static inline bool s2p_block_allowed(unsigned int page_shift, int level, bool lpa2)
{
	const struct s2p_granule *g = s2p_granule(page_shift);

	if (!g)
		return false;
	return level >= (lpa2 ? g->block_level_52 : g->block_level) && level <= 2;
}

/*
 * Output address of a block or page. OA[47:n] is in place; with 4K/16K and
 * DS = 1, OA[49:48] is in place too and OA[51:50] is in bits [9:8]; with 64K,
 * OA[51:48] is in bits [15:12] (RES0 without FEAT_LPA, so always taken).
 */
static inline u64 s2p_leaf_oa(u64 raw, unsigned int page_shift, int level, bool lpa2)
{
	unsigned int lo = s2p_level_shift(page_shift, level);

	if (page_shift == 16)
		return (raw & S2P_GENMASK(47, lo)) | (((raw >> 12) & 0xf) << 48);
	if (lpa2)
		return (raw & S2P_GENMASK(49, lo)) | (((raw >> 8) & 0x3) << 50);
	return raw & S2P_GENMASK(47, lo);
}

/* Is @raw a valid block or page descriptor at @level? */
/* May a valid leaf sit at @level at all (a page, or an allowed block)? */
static inline bool s2p_leaf_level_ok(int level, unsigned int page_shift, bool lpa2)
{
	return s2p_level_ok(s2p_granule(page_shift), level) &&
	       (level == 3 || s2p_block_allowed(page_shift, level, lpa2));
}

/*
 * A valid leaf: a page at level 3 (0b11; 0b01 there is reserved), a block
 * (0b01) above it where s2p_leaf_level_ok(). The descriptor-only part is
 * s2p_is_leaf_at(), for callers that know s2p_leaf_level_ok() already.
 */
static inline bool s2p_is_leaf_at(u64 raw, int level)
{
	return (raw & S2P_DESC_VALID) && !!(raw & S2P_DESC_TABLE_OR_PAGE) == (level == 3);
}

static inline bool s2p_is_leaf(u64 raw, int level, unsigned int page_shift, bool lpa2)
{
	return s2p_is_leaf_at(raw, level) && s2p_leaf_level_ok(level, page_shift, lpa2);
}

/* A table descriptor (0b11), at a level above the last */
static inline bool s2p_is_table_entry(u64 raw)
{
	return (raw & S2P_DESC_VALID) && (raw & S2P_DESC_TABLE_OR_PAGE);
}

/*
 * Count the valid pages among entries [@first, @last] of a last-level
 * table: @per_memattr[MemAttr] grows by one for each (16 counters).
 * Returns how many there were. summary reads whole last-level tables with
 * it instead of one walker callback per entry. Entries come in runs alike
 * in bits [5:0] (valid, page, MemAttr): a guest's tables mostly hold one
 * run each, counted at its end. Each entry is read once.
 */
#define S2P_COUNT_BITS		S2P_GENMASK(5, 0)

static inline unsigned int s2p_count_pages(const u64 *table, unsigned int first,
					   unsigned int last, unsigned int *per_memattr)
{
	unsigned int i = first, start, n = 0;

	while (i <= last) {
		u64 low = S2P_READ_ONCE(table[i]) & S2P_COUNT_BITS;

		start = i;
		while (++i <= last && (S2P_READ_ONCE(table[i]) & S2P_COUNT_BITS) == low)
			;
		if (s2p_is_leaf_at(low, 3)) {
			per_memattr[s2p_field(low, S2P_F_MEMATTR)] += i - start;
			n += i - start;
		}
	}
	return n;
}

/*
 * Decode a stage-2 leaf. @page_shift: 12, 14 or 16; @lpa2: see
 * s2p_block_allowed(). Returns 0, or -1 (l->valid false) if @raw is not a
 * valid leaf at @level: invalid, a table, or a block the granule forbids.
 */
static inline int s2p_leaf_decode(u64 raw, int level, unsigned int page_shift, bool lpa2,
				  struct s2p_leaf *l)
{
	*l = (struct s2p_leaf){ .raw = raw, .level = level };
	if (!s2p_is_leaf(raw, level, page_shift, lpa2))
		return -1;
	l->valid = true;
	l->size = s2p_level_size(page_shift, level);
	l->oa = s2p_leaf_oa(raw, page_shift, level, lpa2);
	l->memattr = s2p_field(raw, S2P_F_MEMATTR);
	l->s2ap = s2p_field(raw, S2P_F_S2AP);
	l->sh = (lpa2 && page_shift != 16) ? S2P_SH_VTCR : s2p_field(raw, S2P_F_SH);
	l->af = s2p_field(raw, S2P_F_AF);
	/* the Effective value is 0 where the bit is RES0 */
	l->contig = s2p_field(raw, S2P_F_CONTIG) && s2p_cont_entries(page_shift, level);
	l->xn = s2p_field(raw, S2P_F_XN);
	l->sw = s2p_field(raw, S2P_F_SW);
	return 0;
}

/* ---- Memory types ---- */

enum s2p_kind { S2P_DEVICE, S2P_NORMAL, S2P_AS_S1, S2P_RESERVED };
/*
 * Device types, strongest first (DEVICE_nGnRnE ... in names; the constants
 * are upper case, as checkpatch rejects CamelCase).
 */
enum s2p_dev { S2P_NGNRNE, S2P_NGNRE, S2P_NGRE, S2P_GRE };
/* Cacheability, weakest first. */
enum s2p_cache { S2P_NC, S2P_WT, S2P_WB };

#define S2P_HINT_RWA		3	/* allocation hints: bit 1 read, bit 0 write */

struct s2p_mt {
	u8 kind;		/* enum s2p_kind */
	u8 dev;			/* enum s2p_dev, if S2P_DEVICE */
	u8 inner, outer;	/* enum s2p_cache, if S2P_NORMAL */
	u8 ihint, ohint;	/* allocation hints of a WT/WB side */
	bool tagged;		/* MTE Allocation Tagged (stage-1 MAIR 0xf0) */
	bool transient_i, transient_o;
};

static inline void s2p_mt_set(struct s2p_mt *mt, unsigned int kind)
{
	*mt = (struct s2p_mt){ .kind = kind };
}

static inline void s2p_mt_device(struct s2p_mt *mt, unsigned int dev)
{
	*mt = (struct s2p_mt){ .kind = S2P_DEVICE, .dev = dev & 3 };
}

static inline void s2p_mt_normal(struct s2p_mt *mt, unsigned int inner, unsigned int outer)
{
	*mt = (struct s2p_mt){ .kind = S2P_NORMAL, .inner = inner, .outer = outer };
}

/* What a stage-2 MemAttr encoding does. */
enum s2p_s2_op {
	S2P_OP_DEVICE,		/* Device MemAttr[1:0], the stronger with a stage-1 Device */
	S2P_OP_NORMAL,		/* FWB=0: outer MemAttr[3:2], inner [1:0], combined */
	S2P_OP_RESERVED,
	S2P_OP_NC,		/* FWB=1 0b101: Normal-NC, unless stage 1 is Device */
	S2P_OP_FORCE_WB,	/* FWB=1 0b110: Normal-WB whatever stage 1 says */
	S2P_OP_AS_S1,		/* FWB=1 0b111: stage 1 decides */
};

/* First match of @memattr in the {mask, value, op} table of the FWB mode. */
static inline unsigned int s2p_s2_op(unsigned int memattr, bool fwb)
{
	static const struct {
		u8 mask, val, op;
	} ops[2][5] = {
		{	/* FWB=0, Table "Stage 2 MemAttr[3:0] encoding" */
			{ 0xc, 0x0, S2P_OP_DEVICE },
			{ 0xf, 0x4, S2P_OP_RESERVED },	/* NoTagAccess with MTE_PERM */
			{ 0xb, 0x8, S2P_OP_RESERVED },	/* 0b1x00 */
			{ 0x0, 0x0, S2P_OP_NORMAL },
		},
		{	/* FWB=1, MemAttr[3] ignored (RES0) */
			{ 0x4, 0x0, S2P_OP_DEVICE },
			{ 0x7, 0x4, S2P_OP_RESERVED },
			{ 0x7, 0x5, S2P_OP_NC },
			{ 0x7, 0x6, S2P_OP_FORCE_WB },
			{ 0x7, 0x7, S2P_OP_AS_S1 },
		},
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops[0]); i++)
		if ((memattr & ops[fwb][i].mask) == ops[fwb][i].val)
			return ops[fwb][i].op;
	return S2P_OP_RESERVED;		/* not reached */
}

/* FWB=0 stage-2 cacheability of a MemAttr 2-bit field (01 NC, 10 WT, 11 WB). */
static inline unsigned int s2p_s2_cache(unsigned int field)
{
	return (field & 3) - 1;
}

/*
 * Stage-2 MemAttr[3:0] alone, for FWB=0 or FWB=1. Under FWB the Normal types
 * are what stage 2 imposes (0b101 NORMAL_NC, 0b110 NORMAL_WB) and 0b111 is
 * S2P_AS_S1; hints are left 0.
 */
static inline void s2p_s2_memattr(unsigned int memattr, bool fwb, struct s2p_mt *mt)
{
	switch (s2p_s2_op(memattr, fwb)) {
	case S2P_OP_DEVICE:
		s2p_mt_device(mt, memattr);
		break;
	case S2P_OP_NORMAL:
		s2p_mt_normal(mt, s2p_s2_cache(memattr), s2p_s2_cache(memattr >> 2));
		break;
	case S2P_OP_NC:
		s2p_mt_normal(mt, S2P_NC, S2P_NC);
		break;
	case S2P_OP_FORCE_WB:
		s2p_mt_normal(mt, S2P_WB, S2P_WB);
		break;
	case S2P_OP_AS_S1:
		s2p_mt_set(mt, S2P_AS_S1);
		break;
	default:
		s2p_mt_set(mt, S2P_RESERVED);
		break;
	}
}

/*
 * One non-zero MAIR nibble of Normal memory (DecodeLDFAttr): 0b0100 NC,
 * 0bx0RW Write-Through, 0bx1RW Write-Back; RW are the allocation hints and
 * 0b0xRW with RW != 00 is transient.
 */
static inline void s2p_mair_nibble(unsigned int n, u8 *cache, u8 *hint, bool *transient)
{
	static const struct {
		u8 mask, val, cache;
	} nibbles[] = {
		{ 0xf, 0x4, S2P_NC },
		{ 0x4, 0x0, S2P_WT },
		{ 0x4, 0x4, S2P_WB },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nibbles); i++)
		if ((n & nibbles[i].mask) == nibbles[i].val)
			break;
	*cache = nibbles[i].cache;
	*hint = *cache == S2P_NC ? 0 : n & 3;
	*transient = *hint && !(n & 8);
}

/*
 * Stage-1 MAIR_ELx attribute byte to a type. Returns false (and
 * S2P_RESERVED) for reserved or UNPREDICTABLE encodings: 0b0000xx1x and
 * 0bxxxx0000 other than 0x40 (Normal NC, XS=0), 0xa0 (Normal WT RA, XS=0) and
 * 0xf0 (Tagged Normal WB RWA). 0b0000dd01 is Device with XS=0.
 */
static inline bool s2p_s1_mair(u8 mair, struct s2p_mt *mt)
{
	static const struct {
		u8 mask, val, kind;
		u8 as;		/* decode as this Normal encoding */
		bool tagged;
	} bytes[] = {
		{ 0xf2, 0x00, S2P_DEVICE, 0x00, false },	/* 0b0000dd0x */
		{ 0xf0, 0x00, S2P_RESERVED, 0x00, false },	/* 0b0000xx1x */
		{ 0xff, 0x40, S2P_NORMAL, 0x44, false },
		{ 0xff, 0xa0, S2P_NORMAL, 0xaa, false },
		{ 0xff, 0xf0, S2P_NORMAL, 0xff, true },
		{ 0x0f, 0x00, S2P_RESERVED, 0x00, false },	/* 0bxxxx0000 */
		{ 0x00, 0x00, S2P_NORMAL, 0x00, false },	/* 0booooiiii */
	};
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(bytes); i++)
		if ((mair & bytes[i].mask) == bytes[i].val)
			break;
	switch (bytes[i].kind) {
	case S2P_DEVICE:
		s2p_mt_device(mt, mair >> 2);
		return true;
	case S2P_NORMAL:
		n = bytes[i].as ? bytes[i].as : mair;
		s2p_mt_set(mt, S2P_NORMAL);
		s2p_mair_nibble(n >> 4, &mt->outer, &mt->ohint, &mt->transient_o);
		s2p_mair_nibble(n & 15, &mt->inner, &mt->ihint, &mt->transient_i);
		mt->tagged = bytes[i].tagged;
		return true;
	default:
		s2p_mt_set(mt, S2P_RESERVED);
		return false;
	}
}

static inline unsigned int s2p_min(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/* Tagged only where MTE can tag (IsTaggableMemAttr): Normal WB RWA, non-transient. */
static inline bool s2p_taggable(const struct s2p_mt *mt)
{
	return mt->kind == S2P_NORMAL &&
	       mt->inner == S2P_WB && mt->ihint == S2P_HINT_RWA && !mt->transient_i &&
	       mt->outer == S2P_WB && mt->ohint == S2P_HINT_RWA && !mt->transient_o;
}

/* Combined Normal cacheability of one side; hints from stage 1 if cacheable. */
static inline void s2p_side(unsigned int s1, unsigned int s2, u8 s1_hint, bool s1_trans,
			    u8 *cache, u8 *hint, bool *trans)
{
	*cache = s2p_min(s1, s2);
	*hint = *cache == S2P_NC ? 0 : s1_hint;
	*trans = *cache == S2P_NC ? false : s1_trans;
}

/* FWB 0b110: Write-Back; stage-1 hints if that side of stage 1 is cacheable, else RWA. */
static inline void s2p_side_wb(const struct s2p_mt *s1, bool inner, u8 *cache, u8 *hint,
			       bool *trans)
{
	unsigned int c = inner ? s1->inner : s1->outer;
	bool keep = s1->kind == S2P_NORMAL && c != S2P_NC;

	*cache = S2P_WB;
	*hint = keep ? (inner ? s1->ihint : s1->ohint) : S2P_HINT_RWA;
	*trans = keep && (inner ? s1->transient_i : s1->transient_o);
}

/*
 * The type a guest access gets with stage-1 type @s1 (from s2p_s1_mair()) and
 * stage-2 MemAttr @memattr: S2CombineS1MemAttrs() for FWB=0,
 * AArch64.S2ApplyFWBMemAttrs() for FWB=1. A reserved encoding on either side
 * gives S2P_RESERVED.
 */
static inline void s2p_combine(const struct s2p_mt *s1, unsigned int memattr, bool fwb,
			       struct s2p_mt *out)
{
	unsigned int op = s2p_s2_op(memattr, fwb);

	if (s1->kind != S2P_DEVICE && s1->kind != S2P_NORMAL)
		op = S2P_OP_RESERVED;
	switch (op) {
	case S2P_OP_DEVICE:
		s2p_mt_device(out, s1->kind == S2P_DEVICE ? s2p_min(s1->dev, memattr & 3) :
			      memattr & 3);
		return;
	case S2P_OP_NORMAL:
		if (s1->kind == S2P_DEVICE) {
			*out = *s1;
			return;
		}
		s2p_mt_set(out, S2P_NORMAL);
		s2p_side(s1->inner, s2p_s2_cache(memattr), s1->ihint, s1->transient_i,
			 &out->inner, &out->ihint, &out->transient_i);
		s2p_side(s1->outer, s2p_s2_cache(memattr >> 2), s1->ohint, s1->transient_o,
			 &out->outer, &out->ohint, &out->transient_o);
		break;
	case S2P_OP_NC:
		if (s1->kind == S2P_DEVICE)
			*out = *s1;
		else
			s2p_mt_normal(out, S2P_NC, S2P_NC);
		return;
	case S2P_OP_FORCE_WB:
		s2p_mt_set(out, S2P_NORMAL);
		s2p_side_wb(s1, true, &out->inner, &out->ihint, &out->transient_i);
		s2p_side_wb(s1, false, &out->outer, &out->ohint, &out->transient_o);
		break;
	case S2P_OP_AS_S1:
		*out = *s1;
		return;
	default:
		s2p_mt_set(out, S2P_RESERVED);
		return;
	}
	out->tagged = s1->tagged && s2p_taggable(out);	/* S2MemTagType() */
}

/*
 * Shareability of the combined access (S2CombineS1Shareability(),
 * EffectiveShareability()): Outer Shareable for a Device or Normal
 * inner+outer Non-cacheable result, else the more shareable of the two
 * (OSH > ISH > NSH). S2P_SH_RES (reserved) and S2P_SH_VTCR (unknown here) stay
 * unknown unless the other side is OSH. A reserved result type gives
 * S2P_SH_RES.
 */
static inline unsigned int s2p_combine_sh(unsigned int s1_sh, unsigned int s2_sh,
					  const struct s2p_mt *res)
{
	/* rank by S2P_SH_*: NSH, RES, OSH, ISH, VTCR; the higher rank wins */
	static const u8 rank[] = { 0, 3, 4, 1, 2 };

	if (res->kind == S2P_DEVICE ||
	    (res->kind == S2P_NORMAL && res->inner == S2P_NC && res->outer == S2P_NC))
		return S2P_SH_OSH;
	if (res->kind != S2P_NORMAL)
		return S2P_SH_RES;
	if (s1_sh >= ARRAY_SIZE(rank))
		s1_sh = S2P_SH_RES;
	if (s2_sh >= ARRAY_SIZE(rank))
		s2_sh = S2P_SH_RES;
	return rank[s1_sh] >= rank[s2_sh] ? s1_sh : s2_sh;
}

/* ---- Names: one vocabulary for every view and the README ---- */

#define S2P_MT_NAME_MAX		24
#define S2P_SIZE_NAME_MAX	24

/*
 * DEVICE_nGnRnE DEVICE_nGnRE DEVICE_nGRE DEVICE_GRE, NORMAL_NC NORMAL_WT
 * NORMAL_WB (inner == outer), NORMAL_I<x>_O<y> (e.g. NORMAL_IWB_ONC),
 * NORMAL_WB_TAGGED, AS_S1, RESERVED.
 */
static inline const char *s2p_mt_name(const struct s2p_mt *mt, char *buf, size_t len)
{
	static const char * const dev[] = { "nGnRnE", "nGnRE", "nGRE", "GRE" };
	static const char * const cache[] = { "NC", "WT", "WB" };

	if (mt->kind == S2P_DEVICE)
		snprintf(buf, len, "DEVICE_%s", dev[mt->dev & 3]);
	else if (mt->kind == S2P_AS_S1)
		snprintf(buf, len, "AS_S1");
	else if (mt->kind != S2P_NORMAL || mt->inner > S2P_WB || mt->outer > S2P_WB)
		snprintf(buf, len, "RESERVED");
	else if (mt->inner == mt->outer)
		snprintf(buf, len, "NORMAL_%s%s", cache[mt->inner], mt->tagged ? "_TAGGED" : "");
	else
		snprintf(buf, len, "NORMAL_I%s_O%s", cache[mt->inner], cache[mt->outer]);
	return buf;
}

/* Name of the stage-2 MemAttr alone (see s2p_s2_memattr()). */
static inline const char *s2p_memattr_name(unsigned int memattr, bool fwb, char *buf,
					   size_t len)
{
	struct s2p_mt mt;

	s2p_s2_memattr(memattr, fwb, &mt);
	return s2p_mt_name(&mt, buf, len);
}

/* ---- KVM's memory-type policy for memory outside the linear map ---- */

/*
 * What KVM gives a guest page that the host kernel does not map in its
 * linear map (a PFNMAP, MIXEDMAP or IO VMA: a PCI BAR, carved-out memory),
 * as arch/arm64/kvm/mmu.c of each series decides at the stage-2 fault
 * (user_mem_abort(), 7.x kvm_s2_fault_pin_pfn() and
 * kvm_s2_fault_compute_prot()) and when the memslot is made
 * (kvm_arch_prepare_memory_region()):
 * - S2P_POL_DEVICE (before v6.9, e.g. 6.1): Device-nGnRE, whatever the
 *   VMA says (kvm_is_device_pfn()).
 * - S2P_POL_ANY_UC (v6.9: the kernel has VM_ALLOW_ANY_UNCACHED, which
 *   vfio-pci sets on its BAR mappings; vendor kernels backport the two
 *   together): Normal-NC for a VMA with that flag, Device-nGnRE otherwise.
 * - S2P_POL_CACHEABLE (v6.17: KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED): as
 *   S2P_POL_ANY_UC for a VMA whose page protection is Normal-NC or Device;
 *   a cacheable one (anything else, kvm_vma_is_cacheable()) gets
 *   Normal-WB when the CPUs have FEAT_S2FWB and CTR_EL0.DIC
 *   (kvm_supports_cacheable_pfnmap()), and is refused otherwise (the
 *   memslot EINVAL, a fault EFAULT).
 * An instruction fetch from a non-cacheable one is refused from v6.9 on
 * (ENOEXEC from KVM_RUN); that is not a type, so not modelled here.
 */
enum s2p_policy { S2P_POL_DEVICE, S2P_POL_ANY_UC, S2P_POL_CACHEABLE, S2P_NR_POLICIES };

/* A VMA's page protection, by its memory type (MT_* of asm/memory.h) */
enum s2p_vma_mt {
	S2P_VMA_NORMAL, S2P_VMA_NORMAL_TAGGED, S2P_VMA_NORMAL_NC,
	S2P_VMA_DEV_NGNRNE, S2P_VMA_DEV_NGNRE, S2P_VMA_OTHER, S2P_NR_VMA_MT,
};

/* What the policy gives such a page: a stage-2 type, or no mapping */
enum s2p_expect { S2P_EXP_DEVICE, S2P_EXP_NC, S2P_EXP_WB, S2P_EXP_REFUSED, S2P_NR_EXPECT };

static inline bool s2p_vma_cacheable(enum s2p_vma_mt mt)
{
	return mt != S2P_VMA_NORMAL_NC && mt != S2P_VMA_DEV_NGNRNE &&
	       mt != S2P_VMA_DEV_NGNRE;
}

/*
 * @allow_uc: the VMA has VM_ALLOW_ANY_UNCACHED; @cacheable_ok: the CPUs
 * have FEAT_S2FWB and CTR_EL0.DIC.
 */
static inline enum s2p_expect s2p_policy_expect(enum s2p_policy pol, enum s2p_vma_mt mt,
						bool allow_uc, bool cacheable_ok)
{
	if (pol == S2P_POL_DEVICE)
		return S2P_EXP_DEVICE;
	if (pol == S2P_POL_CACHEABLE && s2p_vma_cacheable(mt))
		return cacheable_ok ? S2P_EXP_WB : S2P_EXP_REFUSED;
	return allow_uc ? S2P_EXP_NC : S2P_EXP_DEVICE;
}

/* The names the views print: policy=, vma=, expect= */
static inline const char *s2p_policy_name(enum s2p_policy pol)
{
	static const char * const n[S2P_NR_POLICIES] = {
		[S2P_POL_DEVICE] = "device", [S2P_POL_ANY_UC] = "any-uncached",
		[S2P_POL_CACHEABLE] = "cacheable-pfnmap",
	};

	return (unsigned int)pol < S2P_NR_POLICIES ? n[pol] : "?";
}

static inline const char *s2p_vma_mt_name(enum s2p_vma_mt mt)
{
	static const char * const n[S2P_NR_VMA_MT] = {
		[S2P_VMA_NORMAL] = "NORMAL", [S2P_VMA_NORMAL_TAGGED] = "NORMAL_TAGGED",
		[S2P_VMA_NORMAL_NC] = "NORMAL_NC", [S2P_VMA_DEV_NGNRNE] = "DEVICE_nGnRnE",
		[S2P_VMA_DEV_NGNRE] = "DEVICE_nGnRE", [S2P_VMA_OTHER] = "OTHER",
	};

	return (unsigned int)mt < S2P_NR_VMA_MT ? n[mt] : "?";
}

/* the stage-2 type as s2p_memattr_name() names KVM's encoding of it */
static inline const char *s2p_expect_name(enum s2p_expect e)
{
	static const char * const n[S2P_NR_EXPECT] = {
		[S2P_EXP_DEVICE] = "DEVICE_nGnRE", [S2P_EXP_NC] = "NORMAL_NC",
		[S2P_EXP_WB] = "NORMAL_WB", [S2P_EXP_REFUSED] = "refused",
	};

	return (unsigned int)e < S2P_NR_EXPECT ? n[e] : "?";
}

/* ---- Stage-1 leaf descriptors (VMSAv8-64): the memory type they select ---- */

/* AttrIndx, stage-1 descriptor bits [4:2]: the MAIR_ELx byte that gives the type. */
static inline unsigned int s2p_s1_attrindx(u64 desc)
{
	return (desc >> 2) & 7;
}

/* The MAIR_ELx attribute byte a stage-1 leaf descriptor selects. */
static inline u8 s2p_s1_attr(u64 desc, u64 mair)
{
	return (mair >> (8 * s2p_s1_attrindx(desc))) & 0xff;
}

/*
 * The memory type of a stage-1 leaf descriptor (page or block) under
 * MAIR_ELx mair: false (and S2P_RESERVED) when the descriptor is not valid
 * or its MAIR byte is reserved. Without FEAT_AIE (MAIR2_ELx and AttrIndx[3]
 * from bit 59), which Linux does not enable.
 */
static inline bool s2p_s1_desc_mt(u64 desc, u64 mair, struct s2p_mt *mt)
{
	if (!(desc & S2P_DESC_VALID)) {
		s2p_mt_set(mt, S2P_RESERVED);
		return false;
	}
	return s2p_s1_mair(s2p_s1_attr(desc, mair), mt);
}

/* S2AP[1:0]: bit 0 read, bit 1 write. */
static inline const char *s2p_s2ap_name(unsigned int s2ap)
{
	static const char * const names[] = { "--", "R-", "-W", "RW" };

	return names[s2ap & 3];
}

/* XN[1:0] (FEAT_XNX): x = executable at EL1 and EL0, pxn, xn (neither), uxn. */
static inline const char *s2p_xn_name(unsigned int xn)
{
	static const char * const names[] = { "x", "pxn", "xn", "uxn" };

	return names[xn & 3];
}

/* S2P_SH_*: "NSH" "RES" "OSH" "ISH" "VTCR", "?" beyond. */
static inline const char *s2p_sh_name(unsigned int sh)
{
	static const char * const names[] = { "NSH", "RES", "OSH", "ISH", "VTCR" };

	return sh < ARRAY_SIZE(names) ? names[sh] : "?";
}

/*
 * The stage-1 types the `effective` view combines with each range, Normal
 * first, then Device from the weakest to the strongest.
 */
struct s2p_s1_type {
	const char *name;
	u8 mair;
};

static const struct s2p_s1_type s2p_s1_types[] __maybe_unused = {
	{ "NORMAL_WB", 0xff },
	{ "NORMAL_WT", 0xbb },
	{ "NORMAL_NC", 0x44 },
	{ "NORMAL_WB_TAGGED", 0xf0 },
	{ "DEVICE_GRE", 0x0c },
	{ "DEVICE_nGRE", 0x08 },
	{ "DEVICE_nGnRE", 0x04 },
	{ "DEVICE_nGnRnE", 0x00 },
};

#define S2P_NR_S1_TYPES		ARRAY_SIZE(s2p_s1_types)

/* The @i-th stage-1 type, NULL past the end. */
static inline const struct s2p_s1_type *s2p_s1_type(unsigned int i)
{
	return i < S2P_NR_S1_TYPES ? &s2p_s1_types[i] : NULL;
}

/*
 * ---- Lines: the pages, ranges and effective views, one line per leaf ----
 *
 * A 1 GiB guest mapped with 4K pages has 262144 leaves, and as many lines in
 * pages (and in ranges, unless the host pages are physically contiguous):
 * printf-style formatting of a dozen fields per line costs more than the
 * walk itself. These writers append to a bounded buffer with no format
 * parsing; tests/unit checks them byte for byte against snprintf() models of
 * each line.
 */
struct s2p_out {
	char *p, *end;		/* next byte, end of the buffer */
};

static inline void s2p_out_init(struct s2p_out *o, char *buf, size_t len)
{
	o->p = buf;
	o->end = buf + len;
}

/* Bytes written; the line is incomplete if s2p_out_full(). */
static inline size_t s2p_out_len(const struct s2p_out *o, const char *buf)
{
	return (size_t)(o->p - buf);
}

static inline bool s2p_out_full(const struct s2p_out *o)
{
	return o->p >= o->end;
}

static inline void s2p_out_chr(struct s2p_out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
}

static inline void s2p_out_str(struct s2p_out *o, const char *s)
{
	while (*s && o->p < o->end)
		*o->p++ = *s++;
}

/* Hexadecimal, lower case, at least @width digits (zero padded), no "0x". */
static inline void s2p_out_hex(struct s2p_out *o, u64 v, unsigned int width)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	unsigned int n = 0;

	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	while (width > n && width <= 16) {
		s2p_out_chr(o, '0');
		width--;
	}
	while (n)
		s2p_out_chr(o, tmp[--n]);
}

/* Decimal. */
static inline void s2p_out_udec(struct s2p_out *o, u64 v)
{
	char tmp[20];
	unsigned int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		s2p_out_chr(o, tmp[--n]);
}

/* Decimal, with a '-' for negative values. */
static inline void s2p_out_dec(struct s2p_out *o, int v)
{
	if (v < 0)
		s2p_out_chr(o, '-');
	s2p_out_udec(o, v < 0 ? 0U - (unsigned int)v : (unsigned int)v);
}

/* A size in the largest unit dividing it: "4K" "2M" "1G" "12K" "64G", or "100B". */
static inline void s2p_out_size(struct s2p_out *o, u64 size)
{
	static const char units[] = "BKMGTPE";
	unsigned int i = 0;

	while (size && !(size & 1023) && i + 1 < sizeof(units) - 1) {
		size >>= 10;
		i++;
	}
	s2p_out_udec(o, size);
	s2p_out_chr(o, units[i]);
}

/* The same, as a string in @buf of @len bytes (cut to fit). */
static inline const char *s2p_size_name(u64 size, char *buf, size_t len)
{
	struct s2p_out o;

	if (!len)
		return buf;
	s2p_out_init(&o, buf, len - 1);
	s2p_out_size(&o, size);
	*o.p = '\0';
	return buf;
}

/* " <MEMATTR> <ap> <xn> <sh> <AF|--> <C|->": @mt_name is the memattr's name. */
static inline void s2p_out_attrs(struct s2p_out *o, const struct s2p_leaf *l,
				 const char *mt_name)
{
	s2p_out_chr(o, ' ');
	s2p_out_str(o, mt_name);
	s2p_out_chr(o, ' ');
	s2p_out_str(o, s2p_s2ap_name(l->s2ap));
	s2p_out_chr(o, ' ');
	s2p_out_str(o, s2p_xn_name(l->xn));
	s2p_out_chr(o, ' ');
	s2p_out_str(o, s2p_sh_name(l->sh));
	s2p_out_str(o, l->af ? " AF" : " --");
	s2p_out_str(o, l->contig ? " C" : " -");
}

/*
 * What a VM's owner controls, a process name or a file path (a memfd's name
 * is any bytes), is printed as one token that cannot forge a field or a
 * line, the way /proc escapes such strings (seq_escape()): a space, a
 * backslash and every byte outside printable ASCII become "\ooo", three
 * octal digits. A backslash always starts an escape, so decoding is exact.
 */
static inline bool s2p_esc_plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '\\';
}

static inline char *s2p_esc_byte(char *p, unsigned char c)
{
	if (s2p_esc_plain(c)) {
		*p++ = (char)c;
		return p;
	}
	*p++ = '\\';
	*p++ = (char)('0' + (c >> 6));
	*p++ = (char)('0' + ((c >> 3) & 7));
	*p++ = (char)('0' + (c & 7));
	return p;
}

#define S2P_ESC_CUT		"..."	/* marks a string cut to its end */

/*
 * @src's @n bytes escaped into @dst, NUL-terminated (@len > 4). What does
 * not fit is cut from the front (a path's end names the file), at a byte
 * boundary, and S2P_ESC_CUT takes its place: an absolute path never starts
 * so. Returns the length written.
 */
static inline size_t s2p_escape_tail(char *dst, size_t len, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = n, need = 0, cost;
	char *p = dst;

	while (i > 0) {
		cost = s2p_esc_plain(s[i - 1]) ? 1 : 4;
		if (need + cost + 1 > len)
			break;
		need += cost;
		i--;
	}
	if (i > 0) {
		/* cut: make room for the mark */
		while (need + sizeof(S2P_ESC_CUT) > len && i < n)
			need -= s2p_esc_plain(s[i++]) ? 1 : 4;
		__builtin_memcpy(p, S2P_ESC_CUT, sizeof(S2P_ESC_CUT) - 1);
		p += sizeof(S2P_ESC_CUT) - 1;
	}
	for (; i < n; i++)
		p = s2p_esc_byte(p, s[i]);
	*p = '\0';
	return (size_t)(p - dst);
}

/*
 * What KVM's policy reads of a PFNMAP or IO mapping, and what it then
 * gives: " vma=<type>[ uc] expect=<MEMATTR|refused>" (uc: the VMA has
 * VM_ALLOW_ANY_UNCACHED).
 */
struct s2p_vma_facts {
	enum s2p_vma_mt mt;
	bool allow_uc;
	enum s2p_expect expect;
};

static inline void s2p_out_vma_facts(struct s2p_out *o, const struct s2p_vma_facts *v)
{
	if (!v)
		return;
	s2p_out_str(o, " vma=");
	s2p_out_str(o, s2p_vma_mt_name(v->mt));
	if (v->allow_uc)
		s2p_out_str(o, " uc");
	s2p_out_str(o, " expect=");
	s2p_out_str(o, s2p_expect_name(v->expect));
}

/* What a ranges line says of the host side of its range. */
struct s2p_host {
	int slot;		/* -1: no memslot */
	bool has_hva;		/* false: "hva=-" (no slot, or guest_memfd) */
	u64 hva;
	const char *backing;	/* "anon", "file", "pfnmap", ... */
	const char *bdf;	/* PCI device, NULL: not a BAR */
	int bar;
	bool wc;
	const struct s2p_vma_facts *vma;	/* PFNMAP/IO only, else NULL */
	const char *path;	/* escaped (s2p_escape_tail()), NULL: none */
};

/* "0x<start:16>-0x<end:16> <size>": how ranges and bars lines begin */
static inline void s2p_out_span(struct s2p_out *o, u64 ipa, u64 size)
{
	s2p_out_str(o, "0x");
	s2p_out_hex(o, ipa, 16);
	s2p_out_str(o, "-0x");
	s2p_out_hex(o, ipa + size, 16);
	s2p_out_chr(o, ' ');
	s2p_out_size(o, size);
}

/* " map=<leaf size> L<level> <attrs>" of a ranges line */
static inline void s2p_out_range_leaf(struct s2p_out *o, const struct s2p_leaf *l,
				      const char *mt_name)
{
	s2p_out_str(o, " map=");
	s2p_out_size(o, l->size);
	s2p_out_str(o, " L");
	s2p_out_dec(o, l->level);
	s2p_out_attrs(o, l, mt_name);
}

/* " slot=<id|-> hva=" and "0x" or "-": a ranges line's host part up to the hva's digits */
static inline void s2p_out_host_head(struct s2p_out *o, const struct s2p_host *h)
{
	s2p_out_str(o, " slot=");
	if (h->slot < 0)
		s2p_out_chr(o, '-');
	else
		s2p_out_dec(o, h->slot);
	s2p_out_str(o, " hva=");
	if (h->slot < 0 || !h->has_hva)
		s2p_out_chr(o, '-');
	else
		s2p_out_str(o, "0x");
}

/* A ranges line's host part after the hva, to the newline */
static inline void s2p_out_host_tail(struct s2p_out *o, const struct s2p_host *h)
{
	s2p_out_chr(o, ' ');
	s2p_out_str(o, h->backing);
	if (h->bdf) {
		s2p_out_str(o, " pci=");
		s2p_out_str(o, h->bdf);
		s2p_out_str(o, " bar=");
		s2p_out_dec(o, h->bar);
	}
	if (h->wc)
		s2p_out_str(o, " wc");
	s2p_out_vma_facts(o, h->vma);
	if (h->path) {
		s2p_out_str(o, " path=");
		s2p_out_str(o, h->path);
	}
	s2p_out_chr(o, '\n');
}

static inline bool s2p_host_shows_hva(const struct s2p_host *h)
{
	return h->slot >= 0 && h->has_hva;
}

/*
 * The host part of ranges lines alike but for their hva, written once
 * (s2p_host_piece_make()): the head, the hva's digits if @hva, the tail.
 * The tail holds an escaped path of up to S2P_HOST_PATH_MAX bytes.
 */
#define S2P_HOST_PATH_MAX	96
#define S2P_HOST_HEAD_MAX	24	/* " slot=-32768 hva=0x" */
#define S2P_HOST_TAIL_MAX	(S2P_HOST_PATH_MAX + 160)

struct s2p_host_piece {
	bool hva;
	unsigned int head_len, tail_len;	/* 0: too long, write it checked */
	char head[S2P_HOST_HEAD_MAX];
	char tail[S2P_HOST_TAIL_MAX];
};

static inline void s2p_host_piece_make(struct s2p_host_piece *hp, const struct s2p_host *h)
{
	struct s2p_out o;

	hp->hva = s2p_host_shows_hva(h);
	s2p_out_init(&o, hp->head, sizeof(hp->head));
	s2p_out_host_head(&o, h);
	hp->head_len = s2p_out_full(&o) ? 0 : (unsigned int)s2p_out_len(&o, hp->head);
	s2p_out_init(&o, hp->tail, sizeof(hp->tail));
	s2p_out_host_tail(&o, h);
	hp->tail_len = s2p_out_full(&o) ? 0 : (unsigned int)s2p_out_len(&o, hp->tail);
}

static inline bool s2p_host_piece_ok(const struct s2p_host_piece *hp)
{
	return hp->head_len && hp->tail_len;
}

/*
 * A bars line, which shows no host address: "0x<start:16>-0x<end:16>
 * <size> pci=<bdf> bar=<n> <MEMATTR>[ wc][ vma=<type>[ uc]
 * expect=<type>]\n". Returns its length; 0 if @len is too small.
 */
static inline size_t s2p_fmt_bar(char *buf, size_t len, u64 ipa, u64 size, const char *bdf,
				 int bar, const char *mt_name, bool wc,
				 const struct s2p_vma_facts *vma)
{
	struct s2p_out o;

	s2p_out_init(&o, buf, len);
	s2p_out_span(&o, ipa, size);
	s2p_out_str(&o, " pci=");
	s2p_out_str(&o, bdf);
	s2p_out_str(&o, " bar=");
	s2p_out_dec(&o, bar);
	s2p_out_chr(&o, ' ');
	s2p_out_str(&o, mt_name);
	if (wc)
		s2p_out_str(&o, " wc");
	s2p_out_vma_facts(&o, vma);
	s2p_out_chr(&o, '\n');
	return s2p_out_full(&o) ? 0 : s2p_out_len(&o, buf);
}

/*
 * The tail of an effective line for stage-2 @memattr: " <S1TYPE>:<RESULT>"
 * for every stage-1 type of s2p_s1_types[], then "\n". It depends on the
 * memattr alone, so the view computes it once per memattr. Returns its
 * length; 0 if @len is too small.
 */
static inline size_t s2p_fmt_effective_tail(char *buf, size_t len, unsigned int memattr,
					    bool fwb)
{
	char name[S2P_MT_NAME_MAX];
	struct s2p_mt s1, res;
	struct s2p_out o;
	unsigned int i;

	s2p_out_init(&o, buf, len);
	for (i = 0; i < S2P_NR_S1_TYPES; i++) {
		s2p_s1_mair(s2p_s1_types[i].mair, &s1);
		s2p_combine(&s1, memattr, fwb, &res);
		s2p_out_chr(&o, ' ');
		s2p_out_str(&o, s2p_s1_types[i].name);
		s2p_out_chr(&o, ':');
		s2p_out_str(&o, s2p_mt_name(&res, name, sizeof(name)));
	}
	s2p_out_chr(&o, '\n');
	return s2p_out_full(&o) ? 0 : s2p_out_len(&o, buf);
}

/*
 * An effective line: "0x<start:16>-0x<end:16> s2=<MEMATTR>" and @tail, the
 * line's end from s2p_fmt_effective_tail() for that MemAttr. Returns its
 * length; 0 if @len is too small.
 */
static inline size_t s2p_fmt_effective(char *buf, size_t len, u64 ipa, u64 size,
				       const char *mt_name, const char *tail, size_t tail_len)
{
	struct s2p_out o;

	s2p_out_init(&o, buf, len);
	s2p_out_str(&o, "0x");
	s2p_out_hex(&o, ipa, 16);
	s2p_out_str(&o, "-0x");
	s2p_out_hex(&o, ipa + size, 16);
	s2p_out_str(&o, " s2=");
	s2p_out_str(&o, mt_name);
	if (!tail_len || s2p_out_full(&o) || (size_t)(o.end - o.p) <= tail_len)
		return 0;
	__builtin_memcpy(o.p, tail, tail_len);
	return s2p_out_len(&o, buf) + tail_len;
}

/*
 * The fast path of a pages line, for a buffer of at least S2P_PAGE_LINE_MAX
 * bytes: whole words are stored instead of single checked bytes, and what
 * a run of alike leaves repeats (" L3 map=4K desc=0x", and everything after
 * pa=) is built once into a struct s2p_piece and copied. The output is the
 * same as tests/unit's checked model, s2p_fmt_page().
 */
#define S2P_PAGE_LINE_MAX	192
#define S2P_PIECE_MAX		64	/* copied whole: a fixed-size copy is inline */

struct s2p_piece {
	u64 key;		/* what it was built for; ~0: nothing yet */
	unsigned int len;	/* < S2P_PIECE_MAX: mid <= 38, tail <= 42 bytes */
	char s[S2P_PIECE_MAX];
};

/*
 * Copy @len bytes (at most S2P_PIECE_MAX) of a piece at @s, which holds
 * S2P_PIECE_MAX, to @p, which has room for as many: as one fixed-size copy
 * (no call) of the first multiple of 16 bytes that holds them, so a short
 * piece does not cost a long one's loads and stores.
 */
static inline void s2p_piece_put(char *p, const char *s, unsigned int len)
{
	if (len <= 16)
		__builtin_memcpy(p, s, 16);
	else if (len <= 32)
		__builtin_memcpy(p, s, 32);
	else if (len <= 48)
		__builtin_memcpy(p, s, 48);
	else
		__builtin_memcpy(p, s, S2P_PIECE_MAX);
}

/* 16 hex digits of @v as ASCII, the most significant first, in one word pair. */
static inline void s2p_hex16(char *p, u64 v)
{
	unsigned int half;

	for (half = 0; half < 2; half++) {
		u64 x = half ? v & 0xffffffffULL : v >> 32;

		/* each nibble of x to a byte of its own, least significant first */
		x = ((x & 0xffff0000ULL) << 16) | (x & 0xffffULL);
		x = ((x & 0x0000ff000000ff00ULL) << 8) | (x & 0x000000ff000000ffULL);
		x = ((x & 0x00f000f000f000f0ULL) << 4) | (x & 0x000f000f000f000fULL);
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		x = __builtin_bswap64(x);	/* the most significant digit first in memory */
#endif
		/* 0-9 to '0'-'9', 10-15 to 'a'-'f' */
		x += 0x3030303030303030ULL +
		     (((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL) * 39;
		__builtin_memcpy(p + 8 * half, &x, 8);
	}
}

/*
 * Hex digits of @v without leading zeros (at least one); returns how many.
 * @p has room for 16: the digits are those of @v shifted to the top of
 * the word, written whole, and only the first n count.
 */
static inline unsigned int s2p_hexvar(char *p, u64 v)
{
	unsigned int n = v ? (unsigned int)(64 - __builtin_clzll(v) + 3) / 4 : 1;

	s2p_hex16(p, v << (64 - 4 * n));
	return n;
}

/* " L<level> map=<size> desc=0x", for leaves of @l's level and size. */
static inline void s2p_piece_mid(struct s2p_piece *pc, const struct s2p_leaf *l)
{
	struct s2p_out o;

	s2p_out_init(&o, pc->s, sizeof(pc->s));
	s2p_out_str(&o, " L");
	s2p_out_dec(&o, l->level);
	s2p_out_str(&o, " map=");
	s2p_out_size(&o, l->size);
	s2p_out_str(&o, " desc=0x");
	pc->len = s2p_out_len(&o, pc->s);
}

/* "<attrs> sw=0x<sw>\n", for leaves with @l's attributes; @mt_name as for attrs. */
static inline void s2p_piece_tail(struct s2p_piece *pc, const struct s2p_leaf *l,
				  const char *mt_name)
{
	struct s2p_out o;

	s2p_out_init(&o, pc->s, sizeof(pc->s));
	s2p_out_attrs(&o, l, mt_name);
	s2p_out_str(&o, " sw=0x");
	s2p_out_hex(&o, l->sw, 0);
	s2p_out_chr(&o, '\n');
	pc->len = s2p_out_len(&o, pc->s);
}

/*
 * The pieces of pages lines, kept per reader: a mid piece per level, and
 * the tails of the last S2P_PIECE_WAYS kinds of leaf. A tail depends on the
 * descriptor's bits under S2P_TAIL_BITS and on the level (the Contiguous
 * bit is RES0 at some levels), so it is found from the raw descriptor
 * without decoding it. Guests whose neighbouring pages alternate (XN is set
 * per fault) find both of their tails here.
 */
#define S2P_PIECE_WAYS		4
#define S2P_TAIL_BITS		(S2P_GENMASK(10, 2) | S2P_BIT(52) | S2P_GENMASK(58, 53))

struct s2p_pieces {
	struct s2p_piece mid[5];		/* by level + 1 */
	struct s2p_piece tail[S2P_PIECE_WAYS];
	unsigned int victim;			/* the tail replaced next */
};

/*
 * The way of @ways (S2P_PIECE_WAYS of them) that holds the piece for @key;
 * on a miss (*hit false), the way to build it in, taken round robin with
 * @victim, its key already set.
 */
static inline struct s2p_piece *s2p_piece_way(struct s2p_piece *ways, unsigned int *victim,
					      u64 key, bool *hit)
{
	struct s2p_piece *pc;
	unsigned int i;

	for (i = 0; i < S2P_PIECE_WAYS; i++) {
		if (ways[i].key == key) {
			*hit = true;
			return &ways[i];
		}
	}
	*hit = false;
	pc = &ways[(*victim)++ % S2P_PIECE_WAYS];
	pc->key = key;
	return pc;
}

static inline void s2p_pieces_init(struct s2p_pieces *pc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pc->mid); i++)
		pc->mid[i].key = ~0ULL;
	for (i = 0; i < S2P_PIECE_WAYS; i++)
		pc->tail[i].key = ~0ULL;
	pc->victim = 0;
}

/*
 * A pages line into @buf, which holds at least S2P_PAGE_LINE_MAX bytes:
 * what the pieces hold is copied whole, then p moves by their length (the
 * bytes past it are overwritten next, and the last copy ends within the
 * line max).
 */
static inline size_t s2p_fmt_page_fast(char *buf, u64 ipa, u64 pa, u64 raw,
				       const struct s2p_piece *mid,
				       const struct s2p_piece *tail)
{
	char *p = buf;

	__builtin_memcpy(p, "0x", 2);
	s2p_hex16(p + 2, ipa);
	p += 18;
	s2p_piece_put(p, mid->s, mid->len);
	p += mid->len;
	s2p_hex16(p, raw);
	__builtin_memcpy(p + 16, " pa=0x", 6);
	p += 22;
	p += s2p_hexvar(p, pa);
	s2p_piece_put(p, tail->s, tail->len);
	p += tail->len;
	return (size_t)(p - buf);
}

/*
 * The pages line of the valid leaf @raw at @level, shown from @ipa (inside
 * it), into @buf of at least S2P_PAGE_LINE_MAX bytes; @mt_names: the
 * MemAttr names of the VM. The same line as tests/unit's model s2p_fmt_page().
 */
static inline size_t s2p_fmt_page_raw(char *buf, struct s2p_pieces *pc, u64 ipa, u64 raw,
				      int level, unsigned int page_shift, bool lpa2,
				      const char (*mt_names)[S2P_MT_NAME_MAX])
{
	u64 size = s2p_level_size(page_shift, level);
	u64 pa = s2p_leaf_oa(raw, page_shift, level, lpa2) + (ipa & (size - 1));
	u64 key = (raw & S2P_TAIL_BITS) | (u64)(level + 1) << 60;
	struct s2p_piece *mid = &pc->mid[level + 1], *tail;

	bool hit;

	tail = s2p_piece_way(pc->tail, &pc->victim, key, &hit);
	if (!hit || mid->key == ~0ULL) {
		struct s2p_leaf l;

		s2p_leaf_decode(raw, level, page_shift, lpa2, &l);
		if (!hit)
			s2p_piece_tail(tail, &l, mt_names[l.memattr]);
		if (mid->key == ~0ULL) {
			s2p_piece_mid(mid, &l);
			mid->key = (u64)level;
		}
	}
	return s2p_fmt_page_fast(buf, ipa, pa, raw, mid, tail);
}

/*
 * ---- ranges lines from raw descriptors ----
 *
 * A ranges line's leaf part (" map=4K L3 NORMAL_WB RW x ISH AF -") shows
 * the level and the descriptor bits under s2p_range_mask(): MemAttr, S2AP,
 * SH (unless VTCR_EL2 gives it: LPA2 with 4K or 16K pages), AF, XN, and the
 * Contiguous bit where it is not RES0. Two leaves of one granule print the
 * same leaf part exactly when their s2p_range_key()s are equal
 * (tests/unit), so records keep the raw descriptor, are merged by key and
 * decoded only when a piece is built.
 */
static inline u64 s2p_range_mask(unsigned int page_shift, int level, bool lpa2)
{
	u64 m = S2P_GENMASK(7, 2) | S2P_BIT(10) | S2P_GENMASK(54, 53);

	if (!lpa2 || page_shift == 16)
		m |= S2P_GENMASK(9, 8);
	if (s2p_cont_entries(page_shift, level))
		m |= S2P_BIT(52);
	return m;
}

/* @raw's leaf part key at @level (-1..3); @mask: s2p_range_mask() of it */
static inline u64 s2p_range_key(u64 raw, int level, u64 mask)
{
	return (raw & mask) | (u64)(level + 1) << 60;
}

/*
 * What a reader of ranges keeps to write its lines fast: the leaf parts of
 * the last S2P_PIECE_WAYS kinds of leaf (a guest whose neighbouring pages
 * alternate in XN finds both), the granule's masks, and the text of the
 * last span size written (a guest mapped page by page has one).
 */
struct s2p_range_pieces {
	struct s2p_piece leaf[S2P_PIECE_WAYS];
	unsigned int victim;		/* the leaf part replaced next */
	u64 mask[5];			/* s2p_range_mask() by level + 1 */
	unsigned int page_shift;
	bool lpa2;
	const char (*mt_names)[S2P_MT_NAME_MAX];	/* the VM's MemAttr names */
	u64 size;			/* size_s is its text; size_len 0: none */
	unsigned int size_len;
	char size_s[S2P_SIZE_NAME_MAX];
};

static inline void s2p_range_pieces_init(struct s2p_range_pieces *rp, unsigned int page_shift,
					 bool lpa2, const char (*mt_names)[S2P_MT_NAME_MAX])
{
	unsigned int i;

	for (i = 0; i < S2P_PIECE_WAYS; i++)
		rp->leaf[i].key = ~0ULL;
	rp->victim = 0;
	for (i = 0; i < ARRAY_SIZE(rp->mask); i++)
		rp->mask[i] = s2p_range_mask(page_shift, (int)i - 1, lpa2);
	rp->page_shift = page_shift;
	rp->lpa2 = lpa2;
	rp->mt_names = mt_names;
	rp->size = 0;
	rp->size_len = 0;
}

/* Build the leaf part of @raw at @level into @pc */
static inline void s2p_range_leaf_build(const struct s2p_range_pieces *rp, struct s2p_piece *pc,
					u64 raw, int level)
{
	struct s2p_leaf l;
	struct s2p_out o;

	s2p_leaf_decode(raw, level, rp->page_shift, rp->lpa2, &l);
	s2p_out_init(&o, pc->s, sizeof(pc->s));
	s2p_out_range_leaf(&o, &l, rp->mt_names[l.memattr]);
	pc->len = (unsigned int)s2p_out_len(&o, pc->s);
}

/*
 * The leaf part of @raw at @level, from @rp's ways or built into one. The
 * build's structures are its own: a kernel that zeroes a function's
 * structures at each call (CONFIG_INIT_STACK_ALL_ZERO) then zeroes them
 * only on a miss.
 */
static inline const struct s2p_piece *s2p_range_leaf_piece(struct s2p_range_pieces *rp,
							   u64 raw, int level)
{
	u64 key = s2p_range_key(raw, level, rp->mask[level + 1]);
	struct s2p_piece *pc;
	bool hit;

	pc = s2p_piece_way(rp->leaf, &rp->victim, key, &hit);
	if (!hit)
		s2p_range_leaf_build(rp, pc, raw, level);
	return pc;
}

/*
 * The fast path of a ranges line, for a buffer of at least
 * S2P_RANGE_LINE_MAX bytes: the span's digits as words, its size's text
 * kept from the line before when equal, the leaf part of the valid leaf
 * @raw at @level from @rp, the host's part from @hp (s2p_host_piece_ok())
 * with @hva's digits. The same line as tests/unit's model s2p_fmt_range()
 * writes of the decoded leaf.
 */
#define S2P_RANGE_LINE_MAX	512

static __always_inline size_t s2p_fmt_range_fast(char *buf, struct s2p_range_pieces *rp,
						 u64 ipa, u64 size, u64 raw, int level,
						 const struct s2p_host_piece *hp, u64 hva)
{
	const struct s2p_piece *leaf = s2p_range_leaf_piece(rp, raw, level);
	char *p = buf;

	if (size != rp->size || !rp->size_len) {
		struct s2p_out o;

		s2p_out_init(&o, rp->size_s, sizeof(rp->size_s));
		s2p_out_size(&o, size);
		rp->size_len = (unsigned int)s2p_out_len(&o, rp->size_s);
		rp->size = size;
	}
	__builtin_memcpy(p, "0x", 2);
	s2p_hex16(p + 2, ipa);
	__builtin_memcpy(p + 18, "-0x", 3);
	s2p_hex16(p + 21, ipa + size);
	p[37] = ' ';
	p += 38;
	__builtin_memcpy(p, rp->size_s, S2P_SIZE_NAME_MAX);
	p += rp->size_len;
	s2p_piece_put(p, leaf->s, leaf->len);
	p += leaf->len;
	__builtin_memcpy(p, hp->head, S2P_HOST_HEAD_MAX);
	p += hp->head_len;
	if (hp->hva)
		p += s2p_hexvar(p, hva);
	/* a short tail (" anon\n") as one fixed-size copy, without a call */
	if (hp->tail_len <= S2P_PIECE_MAX)
		s2p_piece_put(p, hp->tail, hp->tail_len);
	else
		__builtin_memcpy(p, hp->tail, hp->tail_len);
	return (size_t)(p + hp->tail_len - buf);
}

/*
 * ---- ptdump: the lines of upstream's stage2_page_tables (7.3) ----
 *
 * 7.3's arch/arm64/kvm/ptdump.c (CONFIG_PTDUMP_STAGE2_DEBUGFS) hands every
 * entry KVM's walker visits without descending (valid leaves and invalid
 * entries alike, each at its own level, in IPA order over [0, 2^ia_bits))
 * to the arm64 ptdump helper note_page() (arch/arm64/mm/ptdump.c). That
 * keeps one open run: its first IPA, its level and the entries' bits under
 * one mask (the OR of the masks of its bit table). An entry of another level
 * or with other bits under the mask closes the run at its own address and
 * opens the next; nothing else does (there is no address check: the walker
 * visits every entry, so runs always touch). The first entry prints the
 * header line first; after the walk note_page_flush() closes the open run at
 * the end of the IPA space. A closed run is one line:
 *
 *   0x<start:016x>-0x<end:016x>   <size:%9u><unit> <level>[<bits>]\n
 *
 * size is (end - start) >> 10, shifted by 10 more while its low ten bits are
 * zero and a larger unit is left (K M G T P E): so a run of 1.5K reads "1K"
 * and one below 1K "0E" (only s2probe's windows can cut such a run). <bits>
 * is printed only when the run's masked bits are not all zero (an empty
 * entry prints none): for each row of s2p_ptd_bits[] in order, " " and its
 * set string if (bits & mask) == val, else " " and its clear string if it
 * has one. s2probe's view shows the same lines for the same entries.
 */
struct s2p_ptd_bit {
	u64 mask, val;
	const char *set, *clear;	/* clear NULL: nothing is printed */
};

#define S2P_PTD_XN(xn)		((u64)(xn) << 53)	/* XN[1:0], bits [54:53] */

static const struct s2p_ptd_bit s2p_ptd_bits[] __maybe_unused = {
	{ S2P_DESC_VALID, S2P_DESC_VALID, " ", "F" },
	{ S2P_BIT(6), S2P_BIT(6), "R", " " },			/* S2AP[0] */
	{ S2P_BIT(7), S2P_BIT(7), "W", " " },			/* S2AP[1] */
	{ S2P_GENMASK(54, 53), S2P_PTD_XN(0), "px ux ", NULL },
	{ S2P_GENMASK(54, 53), S2P_PTD_XN(1), "PXNux ", NULL },
	{ S2P_GENMASK(54, 53), S2P_PTD_XN(2), "PXNUXN", NULL },
	{ S2P_GENMASK(54, 53), S2P_PTD_XN(3), "px UXN", NULL },
	{ S2P_BIT(10), S2P_BIT(10), "AF", "  " },
	{ S2P_GENMASK(1, 0), S2P_DESC_VALID, "BLK", "   " },	/* 0b01: a block */
};

/* The OR of every mask of s2p_ptd_bits[] (tests/unit checks it). */
#define S2P_PTD_MASK		(S2P_GENMASK(1, 0) | S2P_GENMASK(7, 6) | S2P_BIT(10) | \
				 S2P_GENMASK(54, 53))

#define S2P_PTD_HEADER		"---[ Guest IPA ]---\n"
#define S2P_PTD_LINE_MAX	96	/* a run's line: at most 82 bytes */

/* A run of entries of one level with equal bits under S2P_PTD_MASK. */
struct s2p_ptd_run {
	u64 start, end;
	u64 bits;
	int level;
};

/* The state of a dump: the run still open, if any. */
struct s2p_ptd {
	struct s2p_ptd_run run;	/* run.end is set when it closes */
	bool open;
};

static inline void s2p_ptd_init(struct s2p_ptd *st)
{
	st->open = false;
}

/*
 * The walker visited @raw at @level, shown from @addr on (its start, or the
 * window's start). True when that closes the open run, then in *@done.
 */
static inline bool s2p_ptd_note(struct s2p_ptd *st, u64 addr, int level, u64 raw,
				struct s2p_ptd_run *done)
{
	u64 bits = raw & S2P_PTD_MASK;

	if (st->open && bits == st->run.bits && level == st->run.level)
		return false;
	if (st->open) {
		*done = st->run;
		done->end = addr;
	}
	st->run.start = addr;
	st->run.bits = bits;
	st->run.level = level;
	if (st->open)
		return true;
	st->open = true;
	return false;
}

/* The walk ended at @end: true when a run was open, now closed in *@done. */
static inline bool s2p_ptd_flush(struct s2p_ptd *st, u64 end, struct s2p_ptd_run *done)
{
	if (!st->open)
		return false;
	*done = st->run;
	done->end = end;
	st->open = false;
	return true;
}

/*
 * Note entries [@first, @last] of a last-level table whose entry 0 maps
 * @ipa (pages of 1 << @page_shift), nothing shown below @cursor: one loop
 * for a whole table instead of a walker callback per entry. Runs closed go
 * to @runs[*@nruns...], and the loop stops before an entry when @room are
 * there. Returns the index of the first entry not noted (@last + 1 when
 * all were).
 */
static inline unsigned int s2p_ptd_table(struct s2p_ptd *st, const u64 *table,
					 unsigned int first, unsigned int last, u64 ipa,
					 unsigned int page_shift, u64 cursor,
					 struct s2p_ptd_run *runs, unsigned int *nruns,
					 unsigned int room)
{
	unsigned int i;

	for (i = first; i <= last && *nruns < room; i++) {
		u64 a = ipa + ((u64)i << page_shift);

		if (s2p_ptd_note(st, a > cursor ? a : cursor, 3, S2P_READ_ONCE(table[i]),
				 &runs[*nruns]))
			(*nruns)++;
	}
	return i;
}

/* "%9u<unit>": the size of [start, end) as note_page() computes it. */
static inline void s2p_out_ptd_size(struct s2p_out *o, u64 bytes)
{
	static const char units[] = "KMGTPE";
	u64 v = bytes >> 10, t;
	unsigned int i = 0, digits = 1;

	while (!(v & 1023) && i + 2 < sizeof(units)) {
		v >>= 10;
		i++;
	}
	for (t = v; t >= 10; t /= 10)
		digits++;
	for (; digits < 9; digits++)
		s2p_out_chr(o, ' ');
	s2p_out_udec(o, v);
	s2p_out_chr(o, units[i]);
}

/* A run's line (see above). Returns its length; 0 if @len is too small. */
static inline size_t s2p_fmt_ptd(char *buf, size_t len, const struct s2p_ptd_run *r)
{
	struct s2p_out o;
	unsigned int i;

	s2p_out_init(&o, buf, len);
	s2p_out_str(&o, "0x");
	s2p_out_hex(&o, r->start, 16);
	s2p_out_str(&o, "-0x");
	s2p_out_hex(&o, r->end, 16);
	s2p_out_str(&o, "   ");
	s2p_out_ptd_size(&o, r->end - r->start);
	s2p_out_chr(&o, ' ');
	s2p_out_dec(&o, r->level);
	for (i = 0; r->bits && i < ARRAY_SIZE(s2p_ptd_bits); i++) {
		const struct s2p_ptd_bit *b = &s2p_ptd_bits[i];
		const char *s = (r->bits & b->mask) == b->val ? b->set : b->clear;

		if (!s)
			continue;
		s2p_out_chr(&o, ' ');
		s2p_out_str(&o, s);
	}
	s2p_out_chr(&o, '\n');
	return s2p_out_full(&o) ? 0 : s2p_out_len(&o, buf);
}

/*
 * What a nested MMU's file (nested_mmuN) prints before its header: "VTCR:
 * 0x<vtcr:016x> VTTBR: 0x<vttbr:016x> s2: enabled|disabled\n", the guest
 * hypervisor's VTCR_EL2 and VTTBR_EL2 and its virtual HCR_EL2.VM. Returns
 * its length; 0 if @len is too small.
 */
static inline size_t s2p_fmt_ptd_mmu(char *buf, size_t len, u64 vtcr, u64 vttbr,
				     bool s2_enabled)
{
	struct s2p_out o;

	s2p_out_init(&o, buf, len);
	s2p_out_str(&o, "VTCR: 0x");
	s2p_out_hex(&o, vtcr, 16);
	s2p_out_str(&o, " VTTBR: 0x");
	s2p_out_hex(&o, vttbr, 16);
	s2p_out_str(&o, s2_enabled ? " s2: enabled\n" : " s2: disabled\n");
	return s2p_out_full(&o) ? 0 : s2p_out_len(&o, buf);
}

#endif /* S2PROBE_H */
