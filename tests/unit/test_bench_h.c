// SPDX-License-Identifier: GPL-2.0
/*
 * User-space tests of bench/s2wr.h (the write sequences, on ordinary memory:
 * what each writes and where) and bench/s2stat.h (sorting, ranks, each
 * side's summary, the paired log ratio and its block bootstrap), and the
 * window checks. Built for the
 * host (x86_64 sequences) and, by scripts/lab/build, for arm64 (run in the
 * lab by tests/lab/t-45-bench-seq.sh). Ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2probe.h"
#include "bench/s2stat.h"
#include "bench/s2wr.h"

static unsigned int npass, nfail;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		npass++;						\
	} else {							\
		nfail++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* ---- s2stat.h ---- */
static void test_sort(void)
{
	static u64 a[600], b[600];
	u64 st = 12345;
	u32 n, i, round;

	for (round = 0; round < 4; round++) {
		for (n = 0; n <= 600; n += (n < 20 ? 1 : 37)) {
			for (i = 0; i < n; i++) {
				/*
				 * round 0: the whole 64-bit range (a comparator
				 * that subtracts would get signs wrong); 1: many
				 * duplicates; 2: sorted; 3: reversed
				 */
				a[i] = s2s_rand(&st);
				if (round == 1)
					a[i] %= 5;
				if (round == 2)
					a[i] = i;
				if (round == 3)
					a[i] = n - i;
			}
			memcpy(b, a, n * sizeof(*a));
			s2s_sort(a, n);
			qsort(b, n, sizeof(*b), cmp_u64);
			CHECK(!memcmp(a, b, n * sizeof(*a)), "sort n=%u round %u", n, round);
		}
	}
}

static void test_rank(void)
{
	u64 a[200], one = 7;
	u32 i;

	for (i = 0; i < 200; i++)
		a[i] = i + 1;
	CHECK(s2s_median(a, 200) == 100, "median of 1..200: %llu", (unsigned long long)s2s_median(a, 200));
	CHECK(s2s_rank(a, 200, 99) == 198, "p99 of 1..200");
	CHECK(s2s_rank(a, 200, 100) == 200, "p100 of 1..200");
	CHECK(s2s_rank(a, 200, 0) == 1, "p0 of 1..200");
	CHECK(s2s_median(a, 199) == 100, "median of 1..199");
	CHECK(s2s_rank_pm(a, 200, 25) == 5, "2.5%% of 1..200");
	CHECK(s2s_rank_pm(a, 200, 975) == 195, "97.5%% of 1..200");
	CHECK(s2s_median(&one, 1) == 7 && s2s_rank(&one, 1, 99) == 7, "one sample");
}

static void test_below(void)
{
	u32 count[10] = { 0 }, i, k;
	u64 st = S2S_SEED;
	int bad = 0;

	for (i = 0; i < 100000; i++) {
		k = s2s_below(&st, 10);
		if (k >= 10)
			bad = 1;
		else
			count[k]++;
	}
	CHECK(!bad, "index out of range");
	for (k = 0; k < 10; k++)
		CHECK(count[k] > 9000 && count[k] < 11000, "bucket %u has %u of 100000", k, count[k]);
}

/* s2s_summarize against a plain qsort and the nearest-rank definition */
static void test_summary(void)
{
	static u64 a[1000], ref[1000];
	struct s2s_summary sm;
	u64 st = 4242;
	u32 n, i, r;

	for (n = 1; n <= 1000; n = n * 3 + 1) {
		for (i = 0; i < n; i++)
			a[i] = ref[i] = 1000 + s2s_rand(&st) % 500000;
		qsort(ref, n, sizeof(ref[0]), cmp_u64);
		s2s_summarize(a, n, &sm);
		/* nearest rank: the smallest value with p% of the values <= it */
		r = (n * 50 + 99) / 100;
		CHECK(sm.median == ref[r ? r - 1 : 0], "median of %u: %llu", n,
		      (unsigned long long)sm.median);
		r = (n * 99 + 99) / 100;
		CHECK(sm.p99 == ref[r ? r - 1 : 0], "p99 of %u: %llu", n, (unsigned long long)sm.p99);
		CHECK(sm.min == ref[0], "min of %u", n);
		CHECK(!memcmp(a, ref, n * sizeof(a[0])), "sorted in place (%u)", n);
	}
	for (i = 0; i < 200; i++)
		a[i] = 250000;
	s2s_summarize(a, 200, &sm);
	CHECK(sm.min == 250000 && sm.median == 250000 && sm.p99 == 250000, "constant samples");
}

/* ---- s2stat.h: the paired log-ratio median and its block bootstrap ---- */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank lower median, the plain way: sort a copy with qsort */
static double ref_median(const double *v, unsigned int n)
{
	double *c = malloc(n * sizeof(*c)), m;

	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_d);
	m = c[(n + 1) / 2 - 1];
	free(c);
	return m;
}

/*
 * The reference: per-pair ratios, their median; B resamples of n values made
 * of blocks of blk consecutive pairs (starts drawn as s2stat.h draws them),
 * the 2.5% and 97.5% nearest ranks of the resamples' medians.
 */
static void ref_logpair(const u64 *wc, const u64 *dev, unsigned int n, unsigned int boot,
			double *ratio, double *lo, double *hi)
{
	double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));
	double *m = malloc((boot + 1) * sizeof(*m));
	unsigned int blk = 1, b, i, k, start;
	u64 state = S2S_SEED;

	while (blk * blk * blk < n)
		blk++;
	for (i = 0; i < n; i++)
		x[i] = (double)(dev[i] ? dev[i] : 1) / (double)(wc[i] ? wc[i] : 1);
	*ratio = ref_median(x, n);
	for (b = 0; b < boot; b++) {
		i = 0;
		while (i < n) {
			start = s2s_below(&state, n - blk + 1);
			for (k = 0; k < blk && i < n; k++, i++)
				y[i] = x[start + k];
		}
		m[b] = ref_median(y, n);
	}
	qsort(m, boot, sizeof(*m), cmp_d);
	*lo = boot ? m[(boot * 25 + 999) / 1000 - 1] : *ratio;
	*hi = boot ? m[(boot * 975 + 999) / 1000 - 1] : *ratio;
	free(x);
	free(y);
	free(m);
}

static void test_logpair(void)
{
	static u64 wc[2000], dev[2000];
	static double scratch[2 * 2000 + S2S_BOOT];
	static const unsigned int sizes[] = { 1, 2, 3, 8, 9, 27, 200, 201, 2000 };
	struct s2s_logpair p;
	double r, lo, hi;
	u64 st = 4242;
	unsigned int i, j, n;

	CHECK(s2s_block_len(1) == 1 && s2s_block_len(8) == 2 && s2s_block_len(9) == 3 &&
	      s2s_block_len(200) == 6 && s2s_block_len(2000) == 13, "block length n^(1/3)");
	/* against the reference, on noisy, drifting, correlated samples */
	for (j = 0; j < S2W_ARRAY_SIZE(sizes); j++) {
		n = sizes[j];
		for (i = 0; i < n; i++) {
			wc[i] = 100000 + 40 * i + s2s_rand(&st) % 30000 + (i / 7 % 2) * 20000;
			dev[i] = 130000 + 40 * i + s2s_rand(&st) % 30000 + (i / 7 % 2) * 20000;
		}
		s2s_logpair(wc, dev, n, S2S_BOOT, scratch, &p);
		ref_logpair(wc, dev, n, S2S_BOOT, &r, &lo, &hi);
		CHECK(p.ratio == r && p.lo == lo && p.hi == hi && p.n == n,
		      "n=%u: %.6f [%.6f, %.6f], reference %.6f [%.6f, %.6f]", n, p.ratio, p.lo,
		      p.hi, r, lo, hi);
		CHECK(p.lo <= p.ratio && p.ratio <= p.hi, "n=%u: the interval holds the ratio", n);
	}
	/* dev = 1.5 x wc pair by pair, whatever the drift: exactly 1.5, width 0 */
	for (i = 0; i < 200; i++) {
		wc[i] = 2 * (100000 + 3000 * i + s2s_rand(&st) % 50000);
		dev[i] = wc[i] / 2 * 3;
	}
	s2s_logpair(wc, dev, 200, S2S_BOOT, scratch, &p);
	CHECK(p.ratio == 1.5 && p.lo == 1.5 && p.hi == 1.5, "paired drift cancels: %.6f [%.6f, %.6f]",
	      p.ratio, p.lo, p.hi);
	/* a zero sample counts as 1 ps; no resampling gives a width-0 interval */
	wc[0] = 0;
	dev[0] = 7;
	s2s_logpair(wc, dev, 1, 0, scratch, &p);
	CHECK(p.ratio == 7.0 && p.lo == 7.0 && p.hi == 7.0 && p.boot == 0, "one pair, no bootstrap");
	/* same samples, same figures */
	for (i = 0; i < 300; i++) {
		wc[i] = 1000 + s2s_rand(&st) % 1000;
		dev[i] = 1000 + s2s_rand(&st) % 1000;
	}
	s2s_logpair(wc, dev, 300, S2S_BOOT, scratch, &p);
	{
		struct s2s_logpair q;

		s2s_logpair(wc, dev, 300, S2S_BOOT, scratch, &q);
		/* field by field: the struct's padding is not initialized */
		CHECK(p.ratio == q.ratio && p.lo == q.lo && p.hi == q.hi && p.n == q.n &&
		      p.blk == q.blk && p.boot == q.boot, "deterministic");
		CHECK(p.lo < 1.0 && p.hi > 1.0 && p.ratio > 0.9 && p.ratio < 1.1,
		      "independent equal sides: 1 inside %.4f [%.4f, %.4f]", p.ratio, p.lo, p.hi);
	}
}

/* ---- s2wr.h: the window checks ---- */
static void test_check(void)
{
	static const struct s2w_target ivshmem = {
		.vendor = 0x1af4, .device = 0x1110, .bar = 2, .bar_len = 1 << 20,
		.offset = 0, .len = 4096,
	};
	static const struct s2w_target cx = {
		.vendor = 0x15b3, .device = 0x101d, .bar = 0, .bar_len = 32 << 20,
		.offset = 0x3000, .len = 4096, .offset_given = 1,
	};
	struct s2w_target t = ivshmem;
	unsigned int r, off;

	CHECK(s2w_check(&t) == S2W_OK, "ivshmem page 0, no offset named");
	t.offset = 0x800;
	CHECK(s2w_check(&t) == S2W_E_ALIGN, "offset not on a page");
	t.offset = 0xff000;
	CHECK(s2w_check(&t) == S2W_OK, "last page");
	t.len = 8192;
	CHECK(s2w_check(&t) == S2W_E_OUTSIDE, "one page past the BAR");
	t.offset = 1 << 20;
	t.len = 4096;
	CHECK(s2w_check(&t) == S2W_E_OUTSIDE, "offset at the BAR's end");
	t.offset = ~0ull & ~0xfffull;
	CHECK(s2w_check(&t) == S2W_E_OUTSIDE, "offset near 2^64 does not wrap");
	t.offset = 0;
	t.len = 2048;
	CHECK(s2w_check(&t) == S2W_E_SHORT, "half a page");
	t.len = 4096;
	t.bound = 1;
	CHECK(s2w_check(&t) == S2W_E_BOUND, "bound driver");
	t.force = 1;
	CHECK(s2w_check(&t) == S2W_OK, "bound driver, force");
	t = ivshmem;
	t.verify = 1;
	CHECK(s2w_check(&t) == S2W_OK, "verify on ivshmem");
	t.vendor = 0x1b36;
	t.device = 0x0005;
	CHECK(s2w_check(&t) == S2W_OK, "verify on pci-testdev, no offset named");
	CHECK(s2w_testdev(0x1b36, 0x0005) && s2w_testdev(0x1af4, 0x1110) &&
	      !s2w_testdev(0x1af4, 0x1000) && !s2w_testdev(0x1b36, 0x0001) &&
	      !s2w_testdev(0x8086, 0x1110), "test devices: vendor and device both match");

	/* another vendor (an ixgbe: +0x800 is EICR, +0x808 EICS): an offset named */
	t = (struct s2w_target){ .vendor = 0x8086, .device = 0x10fb, .bar = 0,
				 .bar_len = 512 << 10, .len = 4096 };
	CHECK(s2w_check(&t) == S2W_E_NO_OFFSET, "ixgbe without an offset");
	t.offset_given = 1;
	CHECK(s2w_check(&t) == S2W_OK, "ixgbe with offset 0 named explicitly");
	t.verify = 1;
	CHECK(s2w_check(&t) == S2W_E_VERIFY, "verify on an ixgbe");
	t.verify = 0;
	t.offset_given = 0;
	t.vendor = 0x1af4;
	t.device = 0x1000;
	CHECK(s2w_check(&t) == S2W_E_NO_OFFSET, "virtio-net (1af4, not ivshmem) without offset");
	t.offset_given = 1;
	t.bound = 1;
	CHECK(s2w_check(&t) == S2W_E_BOUND, "virtio-net bound");
	t.force = 1;
	t.verify = 1;
	CHECK(s2w_check(&t) == S2W_E_VERIFY, "verify on a forced non-test device");

	/* ConnectX: BAR 0 only, no page of the init segment, never bound */
	t = cx;
	CHECK(s2w_check(&t) == S2W_OK, "ConnectX UAR page 3 (0x3000)");
	t.offset_given = 0;
	CHECK(s2w_check(&t) == S2W_E_NO_OFFSET, "ConnectX without an offset");
	t.offset_given = 1;
	for (off = 0; off < 0x3000; off += 0x1000) {
		t.offset = off;
		CHECK(s2w_check(&t) == S2W_E_CX_INIT, "ConnectX init segment page 0x%x", off);
		t.len = 0x10000;
		CHECK(s2w_check(&t) == S2W_E_CX_INIT, "ConnectX 64 KiB window at 0x%x", off);
		t.len = 4096;
	}
	t.offset = 0x100000;
	CHECK(s2w_check(&t) == S2W_OK, "ConnectX UAR page 256");
	t.bar = 2;
	CHECK(s2w_check(&t) == S2W_E_CX_BAR, "ConnectX BAR 2");
	t.bar = 0;
	t.bound = 1;
	CHECK(s2w_check(&t) == S2W_E_CX_BOUND, "ConnectX bound to mlx5_core");
	t.force = 1;
	CHECK(s2w_check(&t) == S2W_E_CX_BOUND, "ConnectX bound, force: still refused");
	t = cx;
	t.verify = 1;
	CHECK(s2w_check(&t) == S2W_E_VERIFY, "verify on a ConnectX");
	t = cx;
	t.device = 0x1017;
	t.offset = 0x2000;
	CHECK(s2w_check(&t) == S2W_E_CX_INIT, "any ConnectX device id: page 2 (clear-INTx at 0x200c)");

	for (r = 1; r < S2W_NR_REFUSAL; r++)
		CHECK(s2w_refusal_text[r] && strlen(s2w_refusal_text[r]) > 20 &&
		      s2w_refusal_hint[r] && strlen(s2w_refusal_hint[r]) > 8,
		      "refusal %u has a text and a hint", r);
	CHECK(strstr(s2w_refusal_text[S2W_E_CX_INIT], "0x15b3") != NULL &&
	      strstr(s2w_refusal_text[S2W_E_CX_INIT], "0x200f") != NULL,
	      "init-segment text names vendor and span");
	CHECK(strstr(s2w_refusal_text[S2W_E_CX_BOUND], "force") != NULL &&
	      strstr(s2w_refusal_hint[S2W_E_CX_BOUND], "only the driver knows") != NULL,
	      "bound-ConnectX text says why force is refused");
}

/* ---- s2wr.h: the sequences on ordinary memory ---- */
static int seq_usable(enum s2w_seq s)
{
#if defined(__aarch64__)
	/* ST64B works only on Device or Normal-NC memory: never here */
	if (s == S2W_BF_ST64B)
		return 0;
#elif defined(__x86_64__)
	if (s == S2W_BF_MOVDIR64B) {
		unsigned int a = 7, b, c = 0, d;

		asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		return (c >> 28) & 1;
	}
#endif
	(void)s;
	return 1;
}

/* Every sequence, copies of 64, 128 and 256 bytes: what is written where. */
static void test_seq_bytes(unsigned int s, unsigned int size)
{
	static unsigned char win[2 * S2W_PAGE] __attribute__((aligned(4096)));
	static unsigned char want[2 * S2W_PAGE];
	struct s2w_post p __attribute__((aligned(64)));
	unsigned int op, i, bytes, off = 0;
	const char *n = s2w_seqs[s].name;

	s2w_post_init(&p, size);
	CHECK(p.bytes == size && p.pc == 0 && p.offset == 0 &&
	      p.wqe.dw[1] == s2w_be32(size > 64 ? size / 16 : 1), "%s: post_init %u", n, size);
	for (i = 2; i < S2W_WQE_MAX / 4; i++)
		p.wqe.dw[i] = 0x11111111u * (i + 1);
	memset(win, 0xa5, sizeof(win));
	memcpy(want, win, sizeof(win));
	bytes = s2w_op_bytes(s, &p);
	CHECK(bytes == (s2w_seqs[s].bytes == 8 ? 8 : size), "%s: %u bytes for size %u", n, bytes, size);
	for (op = 1; op <= 4; op++) {
		s2w_op(s, win, &p);
		CHECK(p.pc == op, "%s: pc %u after op %u", n, p.pc, op);
		CHECK(p.dbrec == s2w_be32(op), "%s: doorbell record", n);
		CHECK(p.wqe.dw[0] == s2w_be32(op << 8 | S2W_OPCODE_NOP), "%s: WQE opcode word", n);
		memcpy(want + S2W_BF_OFFSET + off, p.wqe.qw, bytes);
		CHECK(!memcmp(win, want, sizeof(win)),
		      "%s op %u: exactly %u bytes at 0x%x, nothing else", n, op, bytes,
		      S2W_BF_OFFSET + off);
		if (s2w_toggles(s))
			off ^= S2W_BF_HALF;
		CHECK(p.offset == off, "%s: next buffer 0x%x, want 0x%x", n, p.offset, off);
	}
}

/*
 * The producer counter is 16 bits, as mlx5's: after 0xffff comes 0, the
 * WQE's index field follows it and the opmod byte (bits 31:24) stays 0.
 */
static void test_pc_wraps(unsigned int s)
{
	static unsigned char win[S2W_PAGE] __attribute__((aligned(4096)));
	struct s2w_post p __attribute__((aligned(64)));
	const char *n = s2w_seqs[s].name;
	unsigned int op;

	s2w_post_init(&p, 64);
	p.pc = 0xfffe;
	for (op = 0; op < 3; op++)
		s2w_op(s, win, &p);
	CHECK(p.pc == 1, "%s: pc 0xfffe + 3 posts = 1, got 0x%x", n, p.pc);
	CHECK(p.wqe.dw[0] == s2w_be32(1u << 8 | S2W_OPCODE_NOP),
	      "%s: opmod_idx_opcode after the wrap 0x%08x", n, s2w_be32(p.wqe.dw[0]));
	CHECK(p.dbrec == s2w_be32(1), "%s: doorbell record after the wrap 0x%08x", n,
	      s2w_be32(p.dbrec));
	p.pc = 0xffff;
	s2w_op(s, win, &p);
	CHECK(p.pc == 0 && p.wqe.dw[0] == 0 && p.dbrec == 0,
	      "%s: post 65,536 has index 0, opmod 0: 0x%08x", n, s2w_be32(p.wqe.dw[0]));
}

static void test_seqs(void)
{
	unsigned int s, size;

	CHECK(s2w_seqs[S2W_DB_KERNEL].bytes == 8 && s2w_seqs[S2W_DB_RDMA].bytes == 8, "doorbells are 8 bytes");
	for (s = 0; s < S2W_NR_SEQ; s++)
		CHECK(s2w_seq_find(s2w_seqs[s].name) == (int)s, "find %s", s2w_seqs[s].name);
	CHECK(s2w_seq_find("db-kerne") == -1 && s2w_seq_find("db-kernel2") == -1 &&
	      s2w_seq_find("") == -1, "find: no prefix or extension matches");
	{
		char l1[] = "db-rdma,db-kernel", l2[] = "db-kernel,nope,db-rdma", l3[] = "";
		const char *bad = NULL;

		CHECK(s2w_parse_only(l1, &bad) == ((1UL << S2W_DB_KERNEL) | (1UL << S2W_DB_RDMA)) &&
		      !bad, "only: two names");
		CHECK(s2w_parse_only(l2, &bad) == 0 && bad && !strcmp(bad, "nope"),
		      "only: the unknown name is named");
		bad = NULL;
		CHECK(s2w_parse_only(l3, &bad) == 0 && bad && !*bad, "only: an empty list selects nothing");
	}
	CHECK(s2w_bytes_ok(64) && s2w_bytes_ok(128) && s2w_bytes_ok(256) && !s2w_bytes_ok(0) &&
	      !s2w_bytes_ok(192) && !s2w_bytes_ok(512) && !s2w_bytes_ok(8), "BlueFlame sizes");
#if defined(__x86_64__)
	CHECK(s2w_seqs[S2W_BF_MOVQ_RDMA].style == S2W_RDMA &&
	      s2w_seqs[S2W_BF_MOVQ_LOOP].style == S2W_KERNEL, "x86: rdma-core's copy has its SFENCE");
#elif defined(__aarch64__)
	CHECK(s2w_seqs[S2W_BF_ST1].simd == S2W_SIMD_POST && s2w_seqs[S2W_BF_ST4].simd == S2W_SIMD_BATCH &&
	      s2w_seqs[S2W_BF_ST64B].style == S2W_RDMA && s2w_seqs[S2W_BF_ST4].style == S2W_RDMA &&
	      !s2w_seqs[S2W_BF_STR_LOOP].dgh && !s2w_seqs[S2W_BF_ST1].dgh &&
	      s2w_seqs[S2W_BF_STR_BLOCK].dgh, "arm64: brackets as the code mirrored");
#endif
	for (s = 0; s < S2W_NR_SEQ; s++) {
		CHECK(s2w_seqs[s].name && s2w_seqs[s].mirrors && strlen(s2w_seqs[s].mirrors) > 20,
		      "sequence %u named and described", s);
		if (!seq_usable(s)) {
			printf("skip %s: not usable on this CPU or memory\n", s2w_seqs[s].name);
			continue;
		}
		for (size = 64; size <= 256; size *= 2)
			test_seq_bytes(s, size);
		test_pc_wraps(s);
	}
}

/*
 * s2probe.h's stage-1 read, as s2bench.ko uses it on its own mappings:
 * AttrIndx [4:2] picks a MAIR_EL1 byte, which decodes to the type.
 * Linux's MAIR (arm64 asm/memory.h, 6.1 to 7.3): MT_NORMAL 0 (0xff),
 * MT_NORMAL_TAGGED 1 (0xf0 once MTE is on, else 0xff), MT_NORMAL_NC 2
 * (0x44), MT_DEVICE_nGnRnE 3 (0x00), MT_DEVICE_nGnRE 4 (0x04).
 */
static void test_s1(void)
{
	static const struct {
		u64 mair;
		unsigned int idx;
		const char *type;
	} cases[] = {
		{ 0x000000040044f0ffull, 0, "NORMAL_WB" },
		{ 0x000000040044f0ffull, 1, "NORMAL_WB_TAGGED" },
		{ 0x000000040044ffffull, 1, "NORMAL_WB" },
		{ 0x000000040044f0ffull, 2, "NORMAL_NC" },
		{ 0x000000040044f0ffull, 3, "DEVICE_nGnRnE" },
		{ 0x000000040044f0ffull, 4, "DEVICE_nGnRE" },
		/* a vendor kernel that maps Normal-NC (index 2) to Device-nGnRE */
		{ 0x000000040004f0ffull, 2, "DEVICE_nGnRE" },
		{ 0x000000040008f0ffull, 2, "DEVICE_nGRE" },
		{ 0x0000000400bbf0ffull, 2, "NORMAL_WT" },
		{ 0x00000004004ff0ffull, 2, "NORMAL_IWB_ONC" },
		{ 0x0c00000000000000ull, 7, "DEVICE_GRE" },
	};
	/* a level-3 page: valid, page, AttrIndx, AF, a PA */
	u64 page = 0x0060000080001403ull, d;
	struct s2p_mt mt;
	char name[32];
	unsigned int i;

	for (i = 0; i < S2W_ARRAY_SIZE(cases); i++) {
		d = (page & ~0x1cull) | (u64)cases[i].idx << 2;
		CHECK(s2p_s1_attrindx(d) == cases[i].idx, "AttrIndx %u", cases[i].idx);
		CHECK(s2p_s1_desc_mt(d, cases[i].mair, &mt) &&
		      !strcmp(s2p_mt_name(&mt, name, sizeof(name)), cases[i].type),
		      "MAIR 0x%016llx index %u: %s, want %s", cases[i].mair, cases[i].idx,
		      s2p_mt_name(&mt, name, sizeof(name)), cases[i].type);
	}
	CHECK(s2p_s1_attr(0x8, 0x1122334455667788ull) == 0x66, "AttrIndx 2 picks byte 2");
	CHECK(s2p_s1_attr(0x1c, 0x1122334455667788ull) == 0x11, "AttrIndx 7 picks byte 7");
	CHECK(s2p_s1_attr(0x1ull << 59 | 0x4, 0xff00ull) == 0xff, "bit 59 (AIE) ignored");
	CHECK(!s2p_s1_desc_mt(page & ~1ull, 0x000000040044f0ffull, &mt) && mt.kind == S2P_RESERVED,
	      "invalid descriptor: no type");
	CHECK(!s2p_s1_desc_mt(page | 2 << 2, 0x0000000000020000ull, &mt) && mt.kind == S2P_RESERVED,
	      "reserved MAIR byte 0x02: no type");
}

int main(void)
{
	test_sort();
	test_rank();
	test_below();
	test_summary();
	test_logpair();
	test_check();
	test_s1();
	test_seqs();
	printf("%u passed, %u failed\n", npass, nfail);
	return nfail != 0;
}
