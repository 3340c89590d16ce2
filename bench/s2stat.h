/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2stat.h - the bench's statistics, for bench/s2stats (the one program that
 * computes every figure of s2bench.ko's and s2wc's raw samples) and
 * tests/unit: user space only (neither s2bench.ko nor s2wc computes a
 * statistic).
 *
 * Samples are per-op times of one batch (picoseconds). WC and Device batches
 * are taken in pairs, alternately WC first and Device first, so drift (clock,
 * thermal, a neighbour) lands in both halves of a pair.
 */
#ifndef S2STAT_H
#define S2STAT_H

#include <stdlib.h>
#include "s2types.h"

#define S2S_BOOT	1000u		/* bootstrap resamples */
#define S2S_SEED	0x5eed5eed2b0b5eedull

static inline int s2s_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

static inline int s2s_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline void s2s_sort(u64 *a, u32 n)
{
	qsort(a, n, sizeof(*a), s2s_cmp_u64);
}

static inline void s2s_sort_d(double *a, u32 n)
{
	qsort(a, n, sizeof(*a), s2s_cmp_double);
}

/* index of the nearest rank in per mille of n sorted values (n > 0) */
static inline u32 s2s_rank_index(u32 n, u32 pm)
{
	u64 r = ((u64)n * pm + 999) / 1000;

	return r ? (u32)(r - 1) : 0;
}

/*
 * Nearest rank of a sorted array: the smallest value with at least pct
 * percent of the values <= it (pct 50: the lower median; n > 0).
 */
static inline u64 s2s_rank(const u64 *sorted, u32 n, u32 pct)
{
	return sorted[s2s_rank_index(n, pct * 10)];
}

static inline u64 s2s_median(const u64 *sorted, u32 n)
{
	return s2s_rank(sorted, n, 50);
}

/* the same in per mille (25: 2.5%) */
static inline u64 s2s_rank_pm(const u64 *sorted, u32 n, u32 pm)
{
	return sorted[s2s_rank_index(n, pm)];
}

/* xorshift64*: small, deterministic, good enough to resample */
static inline u64 s2s_rand(u64 *state)
{
	u64 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* a uniform index below n (n <= 2^32; the bias of the modulo is < 2^-32) */
static inline u32 s2s_below(u64 *state, u32 n)
{
	return (u32)((s2s_rand(state) >> 32) % n);
}

struct s2s_summary {
	u64 min, median, p99;	/* of one side's samples */
};

/* Summary of n samples (n >= 1); sorts them in place. */
static inline void s2s_summarize(u64 *s, u32 n, struct s2s_summary *out)
{
	s2s_sort(s, n);
	out->min = s[0];
	out->median = s2s_median(s, n);
	out->p99 = s2s_rank(s, n, 99);
}

/*
 * The figure of record, computed by
 * bench/s2stats from the raw per-batch samples of s2bench.ko and s2wc.
 *
 * Pair i gives one log ratio, log(dev[i] / wc[i]): drift common to both
 * halves of a pair cancels. The figure is the median of those, with a
 * moving-block bootstrap 95% interval: consecutive batches are correlated,
 * so each resample is made of blocks of blk consecutive pairs from uniform
 * starts, not of single pairs. The log is monotonic, so the median (a
 * nearest rank) of the log ratios is the log of the median of the ratios
 * dev[i] / wc[i]: the code ranks the ratios and needs no libm.
 */
/* block length: the smallest b with b^3 >= n (n^(1/3), as is usual) */
static inline u32 s2s_block_len(u32 n)
{
	u32 b = 1;

	while ((u64)b * b * b < n)
		b++;
	return b;
}

/* dev / wc of one pair; a 0 sample counts as 1 ps */
static inline double s2s_pair_ratio(u64 wc, u64 dev)
{
	return (double)(dev ? dev : 1) / (double)(wc ? wc : 1);
}

struct s2s_logpair {
	double ratio;		/* exp(median of the per-pair log ratios) */
	double lo, hi;		/* 95% moving-block bootstrap interval */
	u32 n, blk, boot;
};

/*
 * n >= 1 pairs; scratch holds 2 * n + boot doubles. Deterministic (fixed
 * seed): the same samples give the same figures.
 */
static inline void s2s_logpair(const u64 *wc, const u64 *dev, u32 n, u32 boot,
			       double *scratch, struct s2s_logpair *out)
{
	double *x = scratch, *y = scratch + n, *m = scratch + 2 * n;
	u64 state = S2S_SEED;
	u32 b, i, k, start, blk = s2s_block_len(n);

	for (i = 0; i < n; i++)
		x[i] = s2s_pair_ratio(wc[i], dev[i]);
	for (i = 0; i < n; i++)
		y[i] = x[i];
	s2s_sort_d(y, n);
	out->ratio = y[s2s_rank_index(n, 500)];
	out->n = n;
	out->blk = blk;
	out->boot = boot;
	out->lo = out->ratio;
	out->hi = out->ratio;
	if (!boot)
		return;
	for (b = 0; b < boot; b++) {
		for (i = 0; i < n;) {
			start = s2s_below(&state, n - blk + 1);
			for (k = 0; k < blk && i < n; k++)
				y[i++] = x[start + k];
		}
		s2s_sort_d(y, n);
		m[b] = y[s2s_rank_index(n, 500)];
	}
	s2s_sort_d(m, boot);
	out->lo = m[s2s_rank_index(boot, 25)];
	out->hi = m[s2s_rank_index(boot, 975)];
}
#endif /* S2STAT_H */
