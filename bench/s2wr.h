/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2wr.h - the doorbell and BlueFlame write sequences the bench times, each
 * defined once and named after the code it mirrors. Shared by s2bench.c
 * (kernel; include after <linux/io.h>) and s2wc.c (user space), as s2probe.h
 * is shared with the unit tests.
 *
 * Where mlx5 writes (include/linux/mlx5/doorbell.h, mlx5_ifc.h): a UAR page of
 * 4 KiB; its first BlueFlame register at 0x800 (MLX5_BF_OFFSET) holds two
 * buffers of 256 bytes ((1 << log_bf_reg_size) / 2, log_bf_reg_size = 9),
 * used alternately: every post toggles the offset (bf->offset ^= buf_size).
 * The bench writes only there: 0x800..0x9ff of the window's first page.
 *
 * An op is one post: the WQE and doorbell record in ordinary memory, the
 * barriers of the code mirrored, then the MMIO write(s):
 *
 *   kernel (mlx5e_notify_hw, mlx5 WC self-test post_nop):
 *     dma_wmb(); dbrec = pc; wmb(); MMIO write [; DGH]
 *   rdma-core (mlx5 post_send_db, util/udma_barrier.h):
 *     udma_to_device_barrier(); dbrec = pc; mmio_wc_start(); MMIO write;
 *     mmio_flush_writes(); offset ^= buf_size
 *
 * On arm64 wmb() and mmio_wc_start()/mmio_flush_writes() are DSB ST,
 * dma_wmb() and udma_to_device_barrier() DMB OSHST, io_stop_wc() DGH; on
 * x86_64 wmb() and mmio_flush_writes() are SFENCE, the others compiler
 * barriers. Every op therefore waits for the previous op's stores: what the
 * bench times per op is the post serialized by its own barrier.
 */
#ifndef S2WR_H
#define S2WR_H

#include "s2types.h"
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#define __iomem
#endif

#define S2W_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define S2W_PAGE	4096u
#define S2W_BF_OFFSET	0x800u		/* MLX5_BF_OFFSET */
#define S2W_BF_HALF	256u		/* (1 << log_bf_reg_size) / 2 */
#define S2W_WQE_BYTES	64u		/* one BlueFlame chunk, MLX5_SEND_WQE_BB */
#define S2W_WQE_QWORDS	8u
#define S2W_WQE_MAX	S2W_BF_HALF	/* the largest BlueFlame copy */
#define S2W_OPCODE_NOP	0x00u

/* A WQE of up to 256 bytes as 32-bit words (the device's view) or 64-bit stores. */
union s2w_wqe {
	u32 dw[S2W_WQE_MAX / 4];
	u64 qw[S2W_WQE_MAX / 8];
};

/* What every op carries: the WQE and doorbell record, as a driver keeps them. */
struct s2w_post {
	union s2w_wqe wqe;
	u32 dbrec;		/* big endian, as the device reads it */
	u16 pc;			/* producer counter: 16 bits, as mlx5's sq->pc */
	u16 bytes;		/* BlueFlame copy: 64, 128 or 256 */
	u32 offset;		/* 0 or S2W_BF_HALF: the buffer to write */
};

/*
 * The sequences. S2W_DB_* write 8 bytes (a doorbell), the rest a BlueFlame
 * WQE of 64, 128 or 256 bytes (struct s2w_post.bytes), in 64-byte chunks as
 * rdma-core's mlx5_bf_copy() and the kernel's __iowrite64_copy() loop. Which
 * exist depends on the architecture; s2w_seq_ok() says whether the CPU has
 * what one needs.
 */
enum s2w_seq {
	S2W_DB_KERNEL,		/* mlx5e_notify_hw: mlx5_write64, fixed offset */
	S2W_DB_RDMA,		/* rdma-core: mmio_write64_be, flush, toggle */
#if defined(__aarch64__)
	S2W_BF_STR_LOOP,	/* generic __iowrite64_copy (lib/iomap_copy.c) */
	S2W_BF_STR_BLOCK,	/* arm64 __iowrite64_copy 6.10+: 8 x STR, DGH */
	S2W_BF_STP_X,		/* 4 x STP X */
	S2W_BF_STP_Q,		/* 2 x STP Q */
	S2W_BF_ST1,		/* mlx5 WC self-test 6.18+: LD1/ST1 {v0-v3}.16B */
	S2W_BF_ST4,		/* rdma-core mmio_memcpy_x64: vld4q/vst4q_u64 */
	S2W_BF_ST64B,		/* FEAT_LS64: one single-copy atomic 64-byte store */
#elif defined(__x86_64__)
	S2W_BF_MOVQ_LOOP,	/* generic __iowrite64_copy: 8 MOV */
	S2W_BF_MOVQ_RDMA,	/* rdma-core mmio_memcpy_x64: 8 MOV, SFENCE */
	S2W_BF_MOVDIR64B,	/* MOVDIR64B: one 64-byte direct store */
#endif
	S2W_NR_SEQ
};

/*
 * Every sequence as X(name, seq), for the two programs that build one timed
 * loop per sequence, each a function of its own whose symbol names it in
 * the results' disassembly: s2bench.c and s2wc.c.
 */
#if defined(__aarch64__)
#define S2W_ARCH_SEQS(X)							\
	X(bf_str_loop, S2W_BF_STR_LOOP) X(bf_str_block, S2W_BF_STR_BLOCK)	\
	X(bf_stp_x, S2W_BF_STP_X) X(bf_stp_q, S2W_BF_STP_Q)			\
	X(bf_st1, S2W_BF_ST1) X(bf_st4, S2W_BF_ST4) X(bf_st64b, S2W_BF_ST64B)
#elif defined(__x86_64__)
#define S2W_ARCH_SEQS(X)							\
	X(bf_movq_loop, S2W_BF_MOVQ_LOOP) X(bf_movq_rdma, S2W_BF_MOVQ_RDMA)	\
	X(bf_movdir64b, S2W_BF_MOVDIR64B)
#else
#define S2W_ARCH_SEQS(X)
#endif
#define S2W_FOR_EACH_SEQ(X)							\
	X(db_kernel, S2W_DB_KERNEL) X(db_rdma, S2W_DB_RDMA) S2W_ARCH_SEQS(X)

/* The two mappings of the BAR each post is timed through, and the costs. */
enum s2w_mapping { S2W_WC, S2W_DEV, S2W_NR_MAP };
enum s2w_cost { S2W_SERIAL, S2W_READBACK, S2W_NR_COST };

static const char * const s2w_map_name[S2W_NR_MAP] = { "wc", "dev" };
static const char * const s2w_cost_name[S2W_NR_COST] = { "serialized", "readback" };
static const char * const s2w_cost_text[S2W_NR_COST] = {
	"per op, serialized by its own barrier",
	"per op, + wmb and a read back through the Device mapping",
};

/* How a sequence is bracketed: as the kernel's mlx5 code or as rdma-core. */
enum s2w_style { S2W_KERNEL, S2W_RDMA };

/*
 * Kernel-mode SIMD (kernel_neon_begin/end), for the kernel module only:
 * S2W_SIMD_POST around each post, inside the timing, as mlx5's self-test
 * does; S2W_SIMD_BATCH around the timed batch, for code that runs in user
 * space where no such bracket exists (rdma-core).
 */
enum s2w_simd { S2W_SIMD_NONE, S2W_SIMD_POST, S2W_SIMD_BATCH };

struct s2w_seq_info {
	const char *name;	/* short key: db-kernel, bf-st1, ... */
	const char *mirrors;	/* the code it mirrors, for the report */
	unsigned int bytes;	/* 8 (doorbell) or 64 (BlueFlame chunk) */
	enum s2w_style style;
	enum s2w_simd simd;	/* needs the FP/SIMD unit (kernel_neon_begin) */
	int dgh;		/* DGH after the copy (arm64 __iowrite64_copy) */
};

static const struct s2w_seq_info s2w_seqs[S2W_NR_SEQ] = {
	[S2W_DB_KERNEL] = { "db-kernel",
		"mlx5e_notify_hw: dma_wmb, dbrec, wmb, mlx5_write64 at the BlueFlame offset",
		8, S2W_KERNEL, S2W_SIMD_NONE, 0 },
	[S2W_DB_RDMA] = { "db-rdma",
		"rdma-core mlx5 post_send_db: mmio_wc_start, mmio_write64_be, mmio_flush_writes, offset toggled",
		8, S2W_RDMA, S2W_SIMD_NONE, 0 },
#if defined(__aarch64__)
	[S2W_BF_STR_LOOP] = { "bf-str-loop",
		"generic __iowrite64_copy (lib/iomap_copy.c, arm64 before 6.10): a loop of __raw_writeq, STR X without writeback, no DGH",
		64, S2W_KERNEL, S2W_SIMD_NONE, 0 },
	[S2W_BF_STR_BLOCK] = { "bf-str-block",
		"arm64 __iowrite64_copy 6.10+: 8 STR X in one block per 64 bytes, then DGH",
		64, S2W_KERNEL, S2W_SIMD_NONE, 1 },
	[S2W_BF_STP_X] = { "bf-stp-x",
		"4 STP X pairs per 64 bytes (a compiler's 64-byte copy), then DGH",
		64, S2W_KERNEL, S2W_SIMD_NONE, 1 },
	[S2W_BF_STP_Q] = { "bf-stp-q",
		"2 STP Q pairs per 64 bytes (SIMD registers), then DGH; kernel-mode SIMD around each post",
		64, S2W_KERNEL, S2W_SIMD_POST, 1 },
	[S2W_BF_ST1] = { "bf-st1",
		"mlx5 WC self-test 6.18+ (mlx5_iowrite64_copy): kernel_neon_begin, LD1/ST1 {v0.16b-v3.16b}, kernel_neon_end, per post",
		64, S2W_KERNEL, S2W_SIMD_POST, 0 },
	[S2W_BF_ST4] = { "bf-st4",
		"rdma-core mlx5 post_send_db with mlx5_bf_copy: mmio_memcpy_x64 (vst4q_u64(vld4q_u64)) per 64 bytes, Device side nGnRnE",
		64, S2W_RDMA, S2W_SIMD_BATCH, 0 },
	[S2W_BF_ST64B] = { "bf-st64b",
		"ST64B (FEAT_LS64): one single-copy atomic 64-byte store per 64 bytes, bracketed as rdma-core post_send_db",
		64, S2W_RDMA, S2W_SIMD_NONE, 0 },
#elif defined(__x86_64__)
	[S2W_BF_MOVQ_LOOP] = { "bf-movq-loop",
		"generic __iowrite64_copy (lib/iomap_copy.c): a loop of __raw_writeq, MOV of 8 bytes",
		64, S2W_KERNEL, S2W_SIMD_NONE, 0 },
	[S2W_BF_MOVQ_RDMA] = { "bf-movq-rdma",
		"rdma-core mlx5 post_send_db with mlx5_bf_copy: mmio_memcpy_x64 (8 mmio_write64_be) per 64 bytes, then SFENCE",
		64, S2W_RDMA, S2W_SIMD_NONE, 0 },
	[S2W_BF_MOVDIR64B] = { "bf-movdir64b",
		"MOVDIR64B: one 64-byte direct store per 64 bytes",
		64, S2W_KERNEL, S2W_SIMD_NONE, 0 },
#endif
};

/* The sequence named name (its key, e.g. "bf-st1"), or -1. */
static inline int s2w_seq_find(const char *name)
{
	const char *a, *b;
	int s;

	for (s = 0; s < S2W_NR_SEQ; s++) {
		for (a = name, b = s2w_seqs[s].name; *a && *a == *b; a++, b++)
			;
		if (!*a && !*b)
			return s;
	}
	return -1;
}

/*
 * "NAME[,NAME]...": the mask of the sequences named, or 0 with *bad the
 * first name this architecture has no sequence for. Cuts list up in place.
 */
static inline unsigned long s2w_parse_only(char *list, const char **bad)
{
	unsigned long mask = 0;
	char *name;
	int s;

	while ((name = strsep(&list, ","))) {
		s = s2w_seq_find(name);
		if (s < 0) {
			*bad = name;
			return 0;
		}
		mask |= 1UL << s;
	}
	return mask;
}

/* A BlueFlame copy size: 64, 128 or 256 bytes (rdma-core: size <= buf_size / 16). */
static inline int s2w_bytes_ok(unsigned int bytes)
{
	return bytes == 64 || bytes == 128 || bytes == 256;
}

/* ---- barriers, as the kernel and rdma-core define them ---- */
#if defined(__aarch64__)
static inline void s2w_dsb_st(void)
{
	asm volatile("dsb st" : : : "memory");
}

static inline void s2w_dmb_oshst(void)
{
	asm volatile("dmb oshst" : : : "memory");
}

/* DGH, "hint #6": io_stop_wc() */
static inline void s2w_dgh(void)
{
	asm volatile("hint #6" : : : "memory");
}

#define s2w_wmb()		s2w_dsb_st()
#define s2w_dma_wmb()		s2w_dmb_oshst()
#define s2w_flush_writes()	s2w_dsb_st()
#define s2w_to_device()		s2w_dmb_oshst()
#elif defined(__x86_64__)
static inline void s2w_sfence(void)
{
	asm volatile("sfence" : : : "memory");
}

static inline void s2w_compiler_barrier(void)
{
	asm volatile("" : : : "memory");
}

#define s2w_wmb()		s2w_sfence()
#define s2w_dma_wmb()		s2w_compiler_barrier()
#define s2w_flush_writes()	s2w_sfence()
#define s2w_to_device()		s2w_compiler_barrier()
#endif

/* ---- the MMIO writes ---- */
static inline void s2w_store64(void __iomem *to, u64 v)
{
#if defined(__aarch64__)
	asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(to) : "memory");
#else
	asm volatile("movq %0, (%1)" : : "r"(v), "r"(to) : "memory");
#endif
}

#if defined(__aarch64__)
/*
 * lib/iomap_copy.c: while (count--) __raw_writeq(*src++, dst++). The store is
 * __raw_writeq's "str %x0, %1" with a "Qo" operand: a base register and no
 * writeback (a store with writeback has no valid ESR syndrome, so KVM could
 * not emulate it on a trapping page); the pointer moves in its own ADD.
 */
static inline void s2w_str_loop(void __iomem *to, const u64 *from, u64 n)
{
	u64 v;

	asm volatile("1:	ldr	%x[v], [%[src]], #8\n"
		     "	str	%x[v], [%[dst]]\n"
		     "	add	%[dst], %[dst], #8\n"
		     "	subs	%x[n], %x[n], #1\n"
		     "	b.ne	1b\n"
		     : [v] "=&r"(v), [src] "+r"(from), [dst] "+r"(to), [n] "+r"(n)
		     : : "memory", "cc");
}

/* __const_memcpy_toio_aligned64(to, from, 8): the values loaded first */
static inline void s2w_str_block(void __iomem *to, const u64 *f)
{
	asm volatile("str %x0, [%8, #8 * 0]\n"
		     "str %x1, [%8, #8 * 1]\n"
		     "str %x2, [%8, #8 * 2]\n"
		     "str %x3, [%8, #8 * 3]\n"
		     "str %x4, [%8, #8 * 4]\n"
		     "str %x5, [%8, #8 * 5]\n"
		     "str %x6, [%8, #8 * 6]\n"
		     "str %x7, [%8, #8 * 7]\n"
		     : : "rZ"(f[0]), "rZ"(f[1]), "rZ"(f[2]), "rZ"(f[3]),
		       "rZ"(f[4]), "rZ"(f[5]), "rZ"(f[6]), "rZ"(f[7]), "r"(to)
		     : "memory");
}

static inline void s2w_stp_x(void __iomem *to, const u64 *f)
{
	asm volatile("stp %x0, %x1, [%8, #16 * 0]\n"
		     "stp %x2, %x3, [%8, #16 * 1]\n"
		     "stp %x4, %x5, [%8, #16 * 2]\n"
		     "stp %x6, %x7, [%8, #16 * 3]\n"
		     : : "rZ"(f[0]), "rZ"(f[1]), "rZ"(f[2]), "rZ"(f[3]),
		       "rZ"(f[4]), "rZ"(f[5]), "rZ"(f[6]), "rZ"(f[7]), "r"(to)
		     : "memory");
}

/* The SIMD copies: in the kernel, only between kernel_neon_begin/end. */
static inline void s2w_stp_q(void __iomem *to, const u64 *from)
{
	asm volatile(".arch_extension simd\n"
		     "ldp q0, q1, [%0]\n"
		     "ldp q2, q3, [%0, #32]\n"
		     "stp q0, q1, [%1]\n"
		     "stp q2, q3, [%1, #32]\n"
		     : : "r"(from), "r"(to) : "memory", "v0", "v1", "v2", "v3");
}

static inline void s2w_st1(void __iomem *to, const u64 *from)
{
	asm volatile(".arch_extension simd\n"
		     "ld1 {v0.16b, v1.16b, v2.16b, v3.16b}, [%0]\n"
		     "st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [%1]\n"
		     : : "r"(from), "r"(to) : "memory", "v0", "v1", "v2", "v3");
}

#ifdef __KERNEL__
/*
 * rdma-core writes vst4q_u64(dest, vld4q_u64(src)) and leaves the
 * instruction to the compiler (GCC and Clang: LD4/ST4 {.2d}). The kernel
 * module cannot include <arm_neon.h>, so it states that choice in asm.
 */
static inline void s2w_st4(void __iomem *to, const u64 *from)
{
	asm volatile(".arch_extension simd\n"
		     "ld4 {v0.2d, v1.2d, v2.2d, v3.2d}, [%0]\n"
		     "st4 {v0.2d, v1.2d, v2.2d, v3.2d}, [%1]\n"
		     : : "r"(from), "r"(to) : "memory", "v0", "v1", "v2", "v3");
}
#else
#include <arm_neon.h>

/* as rdma-core's _mmio_memcpy_x64_64b: the compiler picks the instructions */
static inline void s2w_st4(void __iomem *to, const u64 *from)
{
	vst4q_u64((uint64_t *)to, vld4q_u64((const uint64_t *)from));
}
#endif

/*
 * ST64B x8, [x16]: 0xf83f9000 | Rn << 5 | Rt, encoded by hand so that no
 * assembler needs +ls64; Rt..Rt+7 hold the 64 bytes. Only where FEAT_LS64 is
 * present and enabled (SCTLR_ELx.EnALS: ARM64_HAS_LS64 in the kernel,
 * HWCAP3_LS64 in user space), or it is UNDEFINED.
 */
static inline void s2w_st64b(void __iomem *to, const u64 *from)
{
	asm volatile("ldp x8, x9, [%0, #0]\n"
		     "ldp x10, x11, [%0, #16]\n"
		     "ldp x12, x13, [%0, #32]\n"
		     "ldp x14, x15, [%0, #48]\n"
		     "mov x16, %1\n"
		     ".inst 0xf83f9208\n"
		     : : "r"(from), "r"(to)
		     : "memory", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16");
}
#elif defined(__x86_64__)
static inline void s2w_movq_loop(void __iomem *to, const u64 *from)
{
	unsigned int i;

	for (i = 0; i < S2W_WQE_QWORDS; i++)
		s2w_store64((unsigned char __iomem *)to + 8 * i, from[i]);
}

/* MOVDIR64B (%rsi), %rdi: 66 0f 38 f8 /r, destination in ModRM.reg */
static inline void s2w_movdir64b(void __iomem *to, const u64 *from)
{
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x3e"
		     : : "D"(to), "S"(from) : "memory");
}
#endif

/* ---- one op ---- */
static inline u32 s2w_be32(u32 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

/*
 * A fresh post: no WQE posted yet, copies of bytes (64, 128 or 256). The
 * control segment's qpn_ds word counts 16-byte segments: 1 (the NOP's
 * control segment alone, as mlx5's self-test) for 64, else the whole copy.
 */
static inline void s2w_post_init(struct s2w_post *p, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < S2W_WQE_MAX / 8; i++)
		p->wqe.qw[i] = 0;
	p->dbrec = 0;
	p->pc = 0;
	p->offset = 0;
	p->bytes = bytes;
	p->wqe.dw[1] = s2w_be32(bytes > S2W_WQE_BYTES ? bytes / 16 : 1);
}

/*
 * The WQE's first word and the doorbell record for the next post. As mlx5
 * (ctrl->opmod_idx_opcode = pc << 8 | opcode, pc a u16), the counter wraps
 * at 65,536 and the opmod byte stays 0.
 */
static inline void s2w_prepare(struct s2w_post *p)
{
	p->pc++;
	p->wqe.dw[0] = s2w_be32((u32)p->pc << 8 | S2W_OPCODE_NOP);
}

/* The BlueFlame buffer in use: window + 0x800 + 0 or 256. */
static inline unsigned char __iomem *s2w_bf(unsigned char __iomem *win, const struct s2w_post *p)
{
	return win + S2W_BF_OFFSET + p->offset;
}

/* One 64-byte chunk of a BlueFlame copy. */
static inline void s2w_copy64(enum s2w_seq s, unsigned char __iomem *to, const u64 *w)
{
	switch (s) {
#if defined(__aarch64__)
	case S2W_BF_STR_LOOP:
		s2w_str_loop(to, w, S2W_WQE_QWORDS);
		break;
	case S2W_BF_STR_BLOCK:
		s2w_str_block(to, w);
		break;
	case S2W_BF_STP_X:
		s2w_stp_x(to, w);
		break;
	case S2W_BF_STP_Q:
		s2w_stp_q(to, w);
		break;
	case S2W_BF_ST1:
		s2w_st1(to, w);
		break;
	case S2W_BF_ST4:
		s2w_st4(to, w);
		break;
	case S2W_BF_ST64B:
		s2w_st64b(to, w);
		break;
#elif defined(__x86_64__)
	case S2W_BF_MOVQ_LOOP:
	case S2W_BF_MOVQ_RDMA:
		s2w_movq_loop(to, w);
		break;
	case S2W_BF_MOVDIR64B:
		s2w_movdir64b(to, w);
		break;
#endif
	default:
		break;
	}
}

/* The MMIO write(s) of one post: a doorbell or the whole BlueFlame copy. */
static inline void s2w_copy(enum s2w_seq s, unsigned char __iomem *to, const struct s2w_post *p)
{
	unsigned int o;

	if (s2w_seqs[s].bytes != S2W_WQE_BYTES) {
		s2w_store64(to, p->wqe.qw[0]);
		return;
	}
#if defined(__aarch64__)
	/* the generic copy is one loop over all the quadwords */
	if (s == S2W_BF_STR_LOOP) {
		s2w_str_loop(to, p->wqe.qw, p->bytes / 8);
		return;
	}
#endif
	for (o = 0; o < p->bytes; o += S2W_WQE_BYTES)
		s2w_copy64(s, to + o, p->wqe.qw + o / 8);
}

/*
 * One post with sequence s into the window win (its first page holds the
 * BlueFlame register). Meant to be inlined with a constant s.
 */
static inline void s2w_op(enum s2w_seq s, unsigned char __iomem *win, struct s2w_post *p)
{
	unsigned char __iomem *to = s2w_bf(win, p);

	s2w_prepare(p);
	if (s2w_seqs[s].style == S2W_RDMA) {
		s2w_to_device();
		p->dbrec = s2w_be32(p->pc);	/* htobe32(cur_post & 0xffff) */
		s2w_flush_writes();		/* mmio_wc_start() */
		s2w_copy(s, to, p);
		s2w_flush_writes();
		p->offset ^= S2W_BF_HALF;
		return;
	}
	s2w_dma_wmb();
	p->dbrec = s2w_be32(p->pc);
	s2w_wmb();
	s2w_copy(s, to, p);
	if (s2w_seqs[s].bytes == S2W_WQE_BYTES) {
#if defined(__aarch64__)
		if (s2w_seqs[s].dgh)
			s2w_dgh();
#endif
		/* mlx5_ib and the WC self-test toggle; mlx5e's doorbell does not */
		p->offset ^= S2W_BF_HALF;
	}
}

/* Bytes an op writes at the buffer in use: for checking nothing else is. */
static inline unsigned int s2w_op_bytes(enum s2w_seq s, const struct s2w_post *p)
{
	return s2w_seqs[s].bytes == S2W_WQE_BYTES ? p->bytes : s2w_seqs[s].bytes;
}

/* Whether an op moves to the other BlueFlame buffer afterwards. */
static inline int s2w_toggles(enum s2w_seq s)
{
	return s2w_seqs[s].bytes == S2W_WQE_BYTES || s2w_seqs[s].style == S2W_RDMA;
}

/* ---- which windows the bench accepts ---- */
#define S2W_VENDOR_MELLANOX	0x15b3u
/*
 * A ConnectX's BAR 0 starts with the initialization segment (struct
 * mlx5_init_seg, include/linux/mlx5/driver.h): firmware revision, command
 * queue address and doorbell (+0x18), the health buffer, the internal timer
 * (+0x1000), the health counter (+0x1010), the real-time clock and, last,
 * clear-INTx at +0x200c: bytes 0x0-0x200f. Every 4 KiB page that holds any
 * of it (pages 0, 1 and 2) is refused. The rest of BAR 0 is UAR pages (UAR
 * index i at BAR 0 + i * 4 KiB, mlx5 uar.c) and device memory (MEMIC, at an
 * offset only the firmware's capabilities tell); other BARs hold no UARs of
 * this function.
 */
#define S2W_CX_INIT_END		0x2010u
#define S2W_CX_UAR_BAR		0u

/* Devices that are known to be harmless to write: memory or a test device. */
struct s2w_testdev {
	u32 vendor, device;
	const char *name;
};

static const struct s2w_testdev s2w_testdevs[] = {
	{ 0x1af4, 0x1110, "ivshmem (a BAR of shared RAM)" },
	{ 0x1b36, 0x0005, "QEMU pci-testdev" },
};

/* The known test device vendor:device, or NULL. */
static inline const char *s2w_testdev(u32 vendor, u32 device)
{
	unsigned int i;

	for (i = 0; i < S2W_ARRAY_SIZE(s2w_testdevs); i++)
		if (s2w_testdevs[i].vendor == vendor && s2w_testdevs[i].device == device)
			return s2w_testdevs[i].name;
	return (const char *)0;
}

enum s2w_refusal {
	S2W_OK,
	S2W_E_ALIGN,		/* window not on a 4 KiB page */
	S2W_E_SHORT,		/* window smaller than one page */
	S2W_E_OUTSIDE,		/* window not inside the BAR */
	S2W_E_NO_OFFSET,	/* not a test device and no offset named */
	S2W_E_CX_BAR,		/* ConnectX, a BAR without UAR pages */
	S2W_E_CX_INIT,		/* ConnectX, a page of the initialization segment */
	S2W_E_CX_BOUND,		/* ConnectX with a driver bound, even with force */
	S2W_E_BOUND,		/* a driver is bound and no force */
	S2W_E_VERIFY,		/* verify (fills the page) on a non-test device */
	S2W_NR_REFUSAL
};

static const char * const s2w_refusal_text[S2W_NR_REFUSAL] = {
	[S2W_OK] = "ok",
	[S2W_E_ALIGN] = "the window must start on a 4 KiB page boundary of the BAR",
	[S2W_E_SHORT] = "the window must be one 4 KiB page or more (0x800-0x9ff of it is written)",
	[S2W_E_OUTSIDE] = "the window is not inside the BAR",
	[S2W_E_NO_OFFSET] = "not a known test device: name the offset",
	[S2W_E_CX_BAR] = "vendor 0x15b3 (ConnectX): UAR pages are in BAR 0 only",
	[S2W_E_CX_INIT] = "vendor 0x15b3 (ConnectX): pages 0-2 hold the init segment (0x0-0x200f)",
	[S2W_E_CX_BOUND] = "vendor 0x15b3 (ConnectX), a driver bound: refused even with 'force'",
	[S2W_E_BOUND] = "a driver is bound: unbind it, or add 'force' if you own the page",
	[S2W_E_VERIFY] = "verify fills and reads back the whole page: test devices only",
};

/* What to do, or why: printed after the refusal's text. */
static const char * const s2w_refusal_hint[S2W_NR_REFUSAL] = {
	[S2W_OK] = "",
	[S2W_E_ALIGN] = "e.g. 0x3000",
	[S2W_E_SHORT] = "e.g. 4096",
	[S2W_E_OUTSIDE] = "see the BAR's size in lspci -v",
	[S2W_E_NO_OFFSET] = "of a page you know +0x800-0x9ff of is safe to write (bench/README)",
	[S2W_E_CX_BAR] = "name a UAR page of BAR 0 at 0x3000 or above",
	[S2W_E_CX_INIT] = "command doorbell, health, clocks, clear-INTx: use 0x3000 or above",
	[S2W_E_CX_BOUND] = "which UAR pages feed live queues only the driver knows: unbind it",
	[S2W_E_BOUND] = "a live queue may use the page",
	[S2W_E_VERIFY] = "ivshmem 1af4:1110 or QEMU pci-testdev 1b36:0005",
};

struct s2w_target {
	u32 vendor, device;
	u32 bar;
	u64 bar_len;
	u64 offset, len;
	int offset_given;	/* the user named the offset (no default) */
	int bound;		/* a driver is bound to the device */
	int force;
	int verify;		/* the whole page is to be written and read back */
};

/* The window's checks: where in the BAR it lies. */
static inline enum s2w_refusal s2w_check_window(const struct s2w_target *t)
{
	if (t->offset % S2W_PAGE)
		return S2W_E_ALIGN;
	if (t->len < S2W_PAGE)
		return S2W_E_SHORT;
	if (t->offset >= t->bar_len || t->len > t->bar_len - t->offset)
		return S2W_E_OUTSIDE;
	return S2W_OK;
}

/* A ConnectX's rules: a UAR page of BAR 0 past the initialization segment. */
static inline enum s2w_refusal s2w_check_connectx(const struct s2w_target *t)
{
	if (t->bar != S2W_CX_UAR_BAR)
		return S2W_E_CX_BAR;
	if (t->offset < S2W_CX_INIT_END)
		return S2W_E_CX_INIT;
	if (t->bound)
		return S2W_E_CX_BOUND;
	return S2W_OK;
}

/* The first reason to refuse t, or S2W_OK. */
static inline enum s2w_refusal s2w_check(const struct s2w_target *t)
{
	int test = s2w_testdev(t->vendor, t->device) != (const char *)0;
	enum s2w_refusal r = s2w_check_window(t);

	if (r != S2W_OK)
		return r;
	if (!test && !t->offset_given)
		return S2W_E_NO_OFFSET;
	if (t->vendor == S2W_VENDOR_MELLANOX) {
		r = s2w_check_connectx(t);
		if (r != S2W_OK)
			return r;
	}
	if (t->bound && !t->force)
		return S2W_E_BOUND;
	if (t->verify && !test)
		return S2W_E_VERIFY;
	return S2W_OK;
}

#endif /* S2WR_H */
