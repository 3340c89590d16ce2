// SPDX-License-Identifier: GPL-2.0
/*
 * s2wc - user-space twin of s2bench.ko: times bench/s2wr.h's doorbell and
 * BlueFlame sequences through a PCI BAR page mapped via sysfs resourceN
 * (uncached, "dev") and resourceN_wc (write-combining, "wc"), WC and Device
 * batches in pairs, and prints the same key=value lines as
 * /sys/kernel/debug/s2bench/results, then (or to --samples FILE) the raw
 * per-batch samples, as s2bench's debugfs samples: it computes no statistic,
 * bench/s2stats computes every figure for both. The process pins itself to
 * one CPU and locks its memory; interrupts stay on (user space).
 *
 * usage: s2wc --dev /sys/bus/pci/devices/BDF --bar N [--offset OFF] [--len LEN]
 *             [--bytes 64|128|256] [--samples FILE] [--threads N]
 *             [--pairs N] [--only SEQ,...] [--verify] [--force] [--cpu N]
 */

#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "s2wr.h"

#define BATCH_TARGET_NS		100000ULL
#define BATCH_MAX		1048576ULL	/* ops per batch, upper bound */
#define WARMUP_OPS		16
#define DEF_PAIRS		200
#define MAX_PAIRS		2000
#define VERIFY_OPS		4
#define PS_PER_S		1000000000000ULL
#define NS_PER_S		1000000000ULL
#define PATH_BUF		1100

/* ---- architecture: aliases, counter, features ---- */
#if defined(__aarch64__)
/* a Device and a Normal-NC mapping of one BAR can coexist */
#define ALIASES_OK		1
#ifndef AT_HWCAP3
#define AT_HWCAP3		29
#endif
#ifndef HWCAP3_LS64
#define HWCAP3_LS64		0x8UL	/* bit 3 */
#endif

static const char clock_name[] = "cntvct_el0";
#define DEV_TYPE	"Device-nGnRE; rdma-core's non-WC UAR is nGnRnE"
#define ARCH_NAME	"aarch64"

static inline u64 now_ticks(void)
{
	u64 v;

	asm volatile("isb\n mrs %0, cntvct_el0\n isb" : "=r"(v) : : "memory");
	return v;
}

static u64 ticks_freq(void)
{
	u64 f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

static const char *seq_missing(enum s2w_seq s)
{
	if (s == S2W_BF_ST64B && !(getauxval(AT_HWCAP3) & HWCAP3_LS64))
		return "no FEAT_LS64 (HWCAP3_LS64 not set)";
	return NULL;
}

/* the MIDR of the CPU the run is pinned to (we run on it: cpu is ours) */
static void cpu_id(char *buf, size_t size, int cpu)
{
	unsigned long long midr = 0;
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/regs/identification/midr_el1",
		 cpu);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llx", &midr) != 1)
			midr = 0;
		fclose(f);
	}
	snprintf(buf, size, "midr=0x%08llx", midr);
}
#elif defined(__x86_64__)
/*
 * x86 PAT keeps one memory type per physical range: with resourceN mapped,
 * an mmap of resourceN_wc silently gets UC- too. So map one side at a time
 * and read back through the mapping under test.
 */
#define ALIASES_OK		0

static const char clock_name[] = "clock_gettime";
#define DEV_TYPE	"UC-"
#define ARCH_NAME	"x86-64"

static inline u64 now_ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static u64 ticks_freq(void)
{
	return NS_PER_S;
}

static const char *seq_missing(enum s2w_seq s)
{
	unsigned int a = 7, b, c = 0, d;

	if (s != S2W_BF_MOVDIR64B)
		return NULL;
	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c >> 28) & 1 ? NULL : "no MOVDIR64B";
}

/* CPUID of the CPU we run on: the pinned one */
static void cpu_id(char *buf, size_t size, int cpu)
{
	unsigned int a = 1, b, c = 0, d;

	(void)cpu;
	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	snprintf(buf, size, "family=%u model=0x%x", (a >> 8) & 0xf,
		 ((a >> 4) & 0xf) | ((a >> 12) & 0xf0));
}
#else
#error "s2wc supports arm64 and x86_64 (bench/s2wr.h has their write sequences)"
#endif

/* ---- the BAR window: one mmap of a resource file ---- */
struct win {
	char path[PATH_BUF];
	unsigned char *p;	/* window start (the offset is page aligned) */
	size_t maplen;
};

static u64 off, len = S2W_PAGE;

static int win_map(struct win *w)
{
	void *p;
	int fd;

	fd = open(w->path, O_RDWR | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "s2wc: %s: %s%s\n", w->path, strerror(errno),
			errno == ENOENT ? " (resourceN_wc exists only for prefetchable BARs)" : "");
		return -1;
	}
	/* off is page aligned (s2w_check) */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "s2wc: mmap %s: %s\n", w->path, strerror(errno));
		return -1;
	}
	w->maplen = len;
	w->p = p;
	return 0;
}

static void win_unmap(struct win *w)
{
	if (w->p)
		munmap(w->p, w->maplen);
	w->p = NULL;
}

/*
 * The guest's stage 1 of a user mapping, read by s2bench.ko's helper
 * (/sys/kernel/debug/s2bench/s1: write "VA PA", read the answer), into out:
 * "desc=... type=NAME" or "unread: why".
 */
#define S1_HELPER	"/sys/kernel/debug/s2bench/s1"

static void s1_read(const void *va, u64 pa, char *out, size_t size)
{
	char cmd[64];
	ssize_t n;
	int fd;

	if (!ALIASES_OK) {
		snprintf(out, size, "unread: x86: the PAT type is not read");
		return;
	}
	fd = open(S1_HELPER, O_RDWR);
	if (fd < 0) {
		snprintf(out, size, "unread: %s: %s (load s2bench.ko)", S1_HELPER, strerror(errno));
		return;
	}
	if (pa)
		snprintf(cmd, sizeof(cmd), "0x%lx 0x%llx\n", (unsigned long)va, pa);
	else
		snprintf(cmd, sizeof(cmd), "0x%lx\n", (unsigned long)va);
	n = write(fd, cmd, strlen(cmd));
	if (n == (ssize_t)strlen(cmd))
		n = pread(fd, out, size - 1, 0);
	if (n <= 0) {
		snprintf(out, size, "unread: %s: %s", S1_HELPER, n ? strerror(errno) : "empty");
	} else {
		out[n] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
	close(fd);
}

/* ---- the timed batches ---- */
struct ctx {
	struct win win[S2W_NR_MAP];
	unsigned char *map, *rd;
	struct s2w_post *post;
	unsigned int bytes;	/* BlueFlame copy: 64, 128 or 256 */
	int cpu;		/* the pinned CPU */
	unsigned int migrations;
	int pmu_fd[2];
	u64 freq;
};

static inline unsigned int load32(const void *p)
{
	return __atomic_load_n((const unsigned int *)p, __ATOMIC_RELAXED);
}

static inline u64 timed(enum s2w_seq s, struct ctx *c, bool readback, u64 n)
{
	u64 t0, t1, i;

	t0 = now_ticks();
	for (i = 0; i < n; i++) {
		s2w_op(s, c->map, c->post);
		if (readback) {
			s2w_wmb();
			(void)load32(c->rd + S2W_BF_OFFSET);
		}
	}
	s2w_wmb();
	t1 = now_ticks();
	return t1 - t0;
}

/*
 * One function per sequence (batch_<name>), each inlining its sequence, so
 * that the instructions built can be read back with objdump (bench/disasm).
 * They are called only through batches[], so none is inlined away.
 */
#define BATCH_FN(fn, seq)						\
static u64 batch_##fn(struct ctx *c, bool rb, u64 n)			\
{									\
	return timed(seq, c, rb, n);					\
}

S2W_FOR_EACH_SEQ(BATCH_FN)

#define BATCH(fn, seq)	\
	[seq] = { batch_##fn, "batch_" #fn },
static const struct {
	u64 (*fn)(struct ctx *c, bool rb, u64 n);
	const char *sym;
} batches[S2W_NR_SEQ] = {
	S2W_FOR_EACH_SEQ(BATCH)
};

static u64 run_batch(struct ctx *c, enum s2w_seq s, bool readback, u64 n)
{
	return batches[s].fn(c, readback, n);
}

static int side_begin(struct ctx *c, int m)
{
	if (!ALIASES_OK && win_map(&c->win[m]))
		return -1;
	c->map = c->win[m].p;
	c->rd = ALIASES_OK ? c->win[S2W_DEV].p : c->win[m].p;
	return 0;
}

static void side_end(struct ctx *c, int m)
{
	if (!ALIASES_OK)
		win_unmap(&c->win[m]);
}

struct res {
	const char *skip;
	u64 batch;
	u32 pairs;
	u64 cycles[S2W_NR_MAP], insns[S2W_NR_MAP];	/* PMU totals of the timed batches */
	bool pmu;
};

static bool pmu_read(struct ctx *c, u64 *cyc, u64 *ins)
{
	if (c->pmu_fd[0] < 0 || c->pmu_fd[1] < 0)
		return false;
	return read(c->pmu_fd[0], cyc, sizeof(*cyc)) == sizeof(*cyc) &&
	       read(c->pmu_fd[1], ins, sizeof(*ins)) == sizeof(*ins);
}

static int side_batch(struct ctx *c, enum s2w_seq s, int k, int m, u64 n, struct res *r,
		      u64 *ticks)
{
	u64 c0 = 0, i0 = 0, c1, i1;
	bool pmu;

	if (side_begin(c, m))
		return -1;
	if (sched_getcpu() != c->cpu)
		c->migrations++;
	pmu = pmu_read(c, &c0, &i0);
	*ticks = run_batch(c, s, k == S2W_READBACK, n);
	if (pmu && pmu_read(c, &c1, &i1)) {
		r->cycles[m] += c1 - c0;
		r->insns[m] += i1 - i0;
	} else {
		r->pmu = false;
	}
	side_end(c, m);
	return 0;
}

static u64 ticks_to_ns(u64 t, u64 f)
{
	return (u64)((__uint128_t)t * NS_PER_S / f);
}

/* as s2bench.ko: a Device batch of about BATCH_TARGET_NS */
static int calibrate(struct ctx *c, enum s2w_seq s, int k, struct res *r, u64 *out)
{
	u64 ns, t1, t2, n = 1;
	int i;

	for (i = 0; i < WARMUP_OPS; i++)
		if (side_batch(c, s, k, i & 1 ? S2W_WC : S2W_DEV, 1, r, &t1))
			return -1;
	for (;;) {
		if (side_batch(c, s, k, S2W_DEV, n, r, &t1) ||
		    side_batch(c, s, k, S2W_DEV, n, r, &t2))
			return -1;
		ns = ticks_to_ns(t1 < t2 ? t1 : t2, c->freq);
		if (ns >= BATCH_TARGET_NS / 4 || n >= BATCH_MAX)
			break;
		n *= 2;
	}
	n = n * BATCH_TARGET_NS / (ns ? ns : 1);
	*out = n < 1 ? 1 : n > BATCH_MAX ? BATCH_MAX : n;
	return 0;
}

static int run_case(struct ctx *c, enum s2w_seq s, int k, u32 pairs, u64 *ps[S2W_NR_MAP],
		    struct res *r)
{
	u64 ticks, n;
	u32 i;
	int j, m;

	s2w_post_init(c->post, c->bytes);
	if (calibrate(c, s, k, r, &n))
		return -1;
	memset(r->cycles, 0, sizeof(r->cycles));
	memset(r->insns, 0, sizeof(r->insns));
	r->pmu = c->pmu_fd[0] >= 0 && c->pmu_fd[1] >= 0;
	r->batch = n;
	r->pairs = pairs;
	for (i = 0; i < pairs; i++)
		for (j = 0; j < S2W_NR_MAP; j++) {
			m = (i + j) & 1 ? S2W_DEV : S2W_WC;
			if (side_batch(c, s, k, m, n, r, &ticks))
				return -1;
			ps[m][i] = (u64)((__uint128_t)ticks * PS_PER_S / (c->freq * n));
		}
	return 0;
}

/*
 * ---- throughput: N threads, each pinned to its own CPU, posting to its
 * own page of the window (mlx5 gives each queue its own UAR page) ----
 * A round: the WC or the Device side, every thread posting for TPUT_NS;
 * the figure is the aggregate time per post (elapsed / all posts), so the
 * Device/WC ratio is WC posts/s over Device posts/s.
 */
#define TPUT_NS		2000000ULL
#define TPUT_CHUNK	16		/* posts between clock reads */
#define MAX_THREADS	64

struct tworker {
	pthread_t th;
	int cpu;
	struct ctx c;
	struct s2w_post post;
	u64 posts;
	struct tput *t;
	char pad[128];		/* no cache line shared with the next worker */
};

struct tput {
	u32 n;
	struct tworker w[MAX_THREADS];
	pthread_barrier_t start, done;
	enum s2w_seq seq;
	u64 deadline;
	bool quit;
};

static void *tworker_main(void *arg)
{
	struct tworker *w = arg;
	struct tput *t = w->t;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (;;) {
		pthread_barrier_wait(&t->start);
		if (t->quit)
			break;
		/* at least one chunk, so that a thread scheduled late still posts */
		w->posts = 0;
		do {
			run_batch(&w->c, t->seq, false, TPUT_CHUNK);
			w->posts += TPUT_CHUNK;
		} while (now_ticks() < t->deadline);
		pthread_barrier_wait(&t->done);
	}
	return NULL;
}

/* n CPUs from the set the process may use, starting at first */
static int tput_cpus(const cpu_set_t *allowed, int first, u32 n, int *cpus)
{
	u32 k = 0;
	int cpu;

	for (cpu = first; cpu < CPU_SETSIZE && k < n; cpu++)
		if (CPU_ISSET(cpu, allowed))
			cpus[k++] = cpu;
	for (cpu = 0; cpu < first && k < n; cpu++)
		if (CPU_ISSET(cpu, allowed))
			cpus[k++] = cpu;
	return k == n ? 0 : -1;
}

static int tput_start(struct tput *t, struct ctx *c, const int *cpus, u32 n)
{
	u32 i;

	t->n = n;
	pthread_barrier_init(&t->start, NULL, n + 1);
	pthread_barrier_init(&t->done, NULL, n + 1);
	for (i = 0; i < n; i++) {
		t->w[i].cpu = cpus[i];
		t->w[i].t = t;
		t->w[i].c = *c;
		t->w[i].c.post = &t->w[i].post;
		if (pthread_create(&t->w[i].th, NULL, tworker_main, &t->w[i])) {
			fprintf(stderr, "s2wc: cannot start thread %u\n", i);
			return -1;
		}
	}
	return 0;
}

static void tput_stop(struct tput *t)
{
	u32 i;

	t->quit = true;
	pthread_barrier_wait(&t->start);
	for (i = 0; i < t->n; i++)
		pthread_join(t->w[i].th, NULL);
}

/* One round on side m: every thread on its page; picoseconds per post, all threads. */
static int tput_round(struct tput *t, struct ctx *c, int m, u64 *ps)
{
	u64 t0, t1, posts = 0;
	u32 i;

	if (side_begin(c, m))
		return -1;
	for (i = 0; i < t->n; i++) {
		t->w[i].c.map = c->map + (size_t)i * S2W_PAGE;
		t->w[i].c.rd = c->rd + (size_t)i * S2W_PAGE;
	}
	t0 = now_ticks();
	t->deadline = t0 + TPUT_NS * c->freq / NS_PER_S;
	pthread_barrier_wait(&t->start);
	pthread_barrier_wait(&t->done);
	t1 = now_ticks();
	side_end(c, m);
	for (i = 0; i < t->n; i++)
		posts += t->w[i].posts;
	if (!posts)
		posts = 1;
	*ps = (u64)((__uint128_t)(t1 - t0) * PS_PER_S / ((__uint128_t)c->freq * posts));
	return 0;
}

static int run_tput(struct tput *t, struct ctx *c, enum s2w_seq s, u32 pairs, u64 *ps[S2W_NR_MAP])
{
	u32 i, j;
	int m;

	t->seq = s;
	for (i = 0; i < t->n; i++)
		s2w_post_init(&t->w[i].post, c->bytes);
	for (i = 0; i < pairs; i++)
		for (j = 0; j < S2W_NR_MAP; j++) {
			m = (i + j) & 1 ? S2W_DEV : S2W_WC;
			if (tput_round(t, c, m, &ps[m][i]))
				return -1;
		}
	return 0;
}

static void print_tput(enum s2w_seq s, u32 threads, u32 pairs)
{
	const char *n = s2w_seqs[s].name;

	printf("%s.throughput.threads=%u\n%s.throughput.pairs=%u\n", n, threads, n, pairs);
	printf("%s.throughput.round_ns=%llu\n", n, TPUT_NS);
}

/* What bench/s2stats needs beside the samples: batch size, PMU totals. */
static void print_keys(FILE *f, const struct res *r, enum s2w_seq s, int k)
{
	const char *key = s2w_seqs[s].name, *cn = s2w_cost_name[k];
	int m;

	fprintf(f, "%s.%s.batch=%llu\n%s.%s.pairs=%u\n", key, cn, r->batch, key, cn, r->pairs);
	for (m = 0; r->pmu && m < S2W_NR_MAP; m++)
		fprintf(f, "%s.%s.%s.cycles=%llu\n%s.%s.%s.instructions=%llu\n", key, cn,
			s2w_map_name[m], r->cycles[m], key, cn, s2w_map_name[m], r->insns[m]);
}

struct info {
	const char *bdf;
	unsigned int bar, vendor, device, pairs, bytes;
	u64 phys;			/* the window's physical address, 0: unknown */
	unsigned int migrations;	/* batches that ran off the pinned CPU (0) */
	int cpu_node;			/* the pinned CPU's NUMA node */
	char s1[S2W_NR_MAP][200];		/* the stage-1 read of each mapping */
	int numa_node, cpu;
	bool force;
	u64 freq;
};

#define CODE_MAX	2048	/* bytes of a batch function recorded, at most */

/* ELF64 as the gABI lays it out: the header, section headers, symbols. */
struct elf_hdr {
	unsigned char ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_shdr {
	u32 name, type;
	u64 flags, addr, offset, size;
	u32 link, info;
	u64 addralign, entsize;
};

struct elf_sym {
	u32 name;
	unsigned char info, other;
	u16 shndx;
	u64 value, size;
};

#define ELF_SHT_SYMTAB	2
#define ELF_STT_FUNC	2

/* The size of function name in this program's ELF symbol table, or 0. */
static unsigned long fn_size(const char *name)
{
	const struct elf_hdr *eh;
	const struct elf_shdr *sh, *strs;
	const struct elf_sym *sym;
	unsigned long size = 0;
	struct stat st;
	const char *str;
	unsigned int i, j;
	void *img;
	int fd;

	fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return 0;
	}
	img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return 0;
	eh = img;
	/* "\177ELF", 64-bit (class 2) */
	if (memcmp(eh->ident, "\177ELF\2", 5) || eh->shentsize != sizeof(*sh) ||
	    eh->shoff + (u64)eh->shnum * sizeof(*sh) > (u64)st.st_size)
		goto out;
	sh = (const struct elf_shdr *)((const char *)img + eh->shoff);
	for (i = 0; i < eh->shnum && !size; i++) {
		if (sh[i].type != ELF_SHT_SYMTAB || sh[i].link >= eh->shnum)
			continue;
		strs = &sh[sh[i].link];
		if (sh[i].offset + sh[i].size > (u64)st.st_size ||
		    strs->offset + strs->size > (u64)st.st_size)
			continue;
		sym = (const struct elf_sym *)((const char *)img + sh[i].offset);
		str = (const char *)img + strs->offset;
		for (j = 0; j < sh[i].size / sizeof(*sym); j++)
			if ((sym[j].info & 0xf) == ELF_STT_FUNC && sym[j].name < strs->size &&
			    !strncmp(str + sym[j].name, name, strs->size - sym[j].name) &&
			    strlen(name) < strs->size - sym[j].name) {
				size = sym[j].size;
				break;
			}
	}
out:
	munmap(img, st.st_size);
	return size;
}

/* The instructions of a batch function as built, in hex (bench/disasm --results). */
static void print_code(const char *n, const char *sym, const void *fn)
{
	unsigned long size = fn_size(sym), i;
	const unsigned char *code = fn;

	if (size > CODE_MAX)
		size = CODE_MAX;
	printf("seq.%s.code_bytes=%lu\nseq.%s.code=", n, size, n);
	for (i = 0; i < size; i++)
		printf("%02x", code[i]);
	printf("\n");
}

/*
 * What a sequence is, how it was run and where its instructions are. The
 * Device side is sysfs resourceN, which pci_mmap_resource_range() maps with
 * pgprot_device(): on arm64 Device-nGnRE, not the Device-nGnRnE
 * (pgprot_noncached) of rdma-core's non-WC UAR; s2bench.ko's ioremap_np
 * side has that.
 */
static void print_seq(enum s2w_seq s, const struct info *in)
{
	const char *n = s2w_seqs[s].name;

	printf("seq.%s.bytes=%u\nseq.%s.mirrors=%s\n", n,
	       s2w_seqs[s].bytes == S2W_WQE_BYTES ? in->bytes : s2w_seqs[s].bytes, n,
	       s2w_seqs[s].mirrors);
	printf("seq.%s.style=%s\nseq.%s.simd=none (user space)\nseq.%s.irqs=on\n", n,
	       s2w_seqs[s].style == S2W_RDMA ? "rdma-core" : "kernel", n, n);
	printf("seq.%s.wc_mapping=resource%u_wc (pgprot_writecombine)\n", n, in->bar);
	printf("seq.%s.dev_mapping=resource%u (pgprot_device: %s)\n", n, in->bar, DEV_TYPE);
	printf("seq.%s.symbol=%s\n", n, batches[s].sym);
	print_code(n, batches[s].sym, (const void *)batches[s].fn);
}

static void print_results(struct res res[S2W_NR_SEQ][S2W_NR_COST], const struct info *in)
{
	struct utsname u;
	char cpu[48];
	bool pmu = false;
	int s, k;

	cpu_id(cpu, sizeof(cpu), in->cpu);
	uname(&u);
	printf("s2wc: %s BAR %u window 0x%llx+0x%llx (BlueFlame buffers at +0x%x, +0x%x), ",
	       in->bdf, in->bar, off, len, S2W_BF_OFFSET, S2W_BF_OFFSET + S2W_BF_HALF);
	printf("%u WC/Device batch pairs of ~%llu us, pinned to CPU %d, interrupts on, ",
	       in->pairs, BATCH_TARGET_NS / 1000, in->cpu);
	printf("counter %s %llu Hz\n", clock_name, in->freq);
	printf("figures: bench/s2stats [--table] on the samples (--samples FILE, or below)\n");
	for (s = 0; s < S2W_NR_SEQ; s++)
		if (res[s][0].skip)
			printf("skipped %s: %s\n", s2w_seqs[s].name, res[s][0].skip);
	printf("\ntarget=%s\nbar=%u\noffset=0x%llx\nlen=0x%llx\nforce=%d\n", in->bdf, in->bar,
	       off, len, in->force);
	printf("phys=0x%llx\ns1.wc=%s\ns1.dev=%s\n", in->phys, in->s1[S2W_WC], in->s1[S2W_DEV]);
	printf("vendor=0x%04x\ndevice=0x%04x\nnuma_node=%d\n", in->vendor, in->device,
	       in->numa_node);
	printf("kernel=%s\ncpu=%s\narch=%s\npinned_cpu=%d\n", u.release, cpu, ARCH_NAME, in->cpu);
	printf("cpu_node=%d\nmigrations=%u\n", in->cpu_node, in->migrations);
	printf("clock=%s\ncntfrq=%llu\n", clock_name, in->freq);
	printf("pairs=%u\nbatch_target_ns=%llu\nirqs=on\n", in->pairs, BATCH_TARGET_NS);
	printf("bf_offset=0x%x\nbf_half=0x%x\nbf_bytes=%u\nreadback=%s\n", S2W_BF_OFFSET,
	       S2W_BF_HALF, in->bytes, ALIASES_OK ? "dev" : "same");
	for (k = 0; k < S2W_NR_COST; k++)
		printf("cost.%s=%s\n", s2w_cost_name[k], s2w_cost_text[k]);
	for (s = 0; s < S2W_NR_SEQ; s++) {
		print_seq(s, in);
		if (res[s][0].skip) {
			printf("seq.%s.skipped=%s\n", s2w_seqs[s].name, res[s][0].skip);
			continue;
		}
		for (k = 0; k < S2W_NR_COST; k++) {
			print_keys(stdout, &res[s][k], s, k);
			pmu |= res[s][k].pmu;
		}
	}
	printf("pmu=%s\n", pmu ? "available" : "unavailable");
}

/* ---- raw samples, as s2bench.ko's debugfs samples (bench/s2stats) ---- */
static void samples_head(FILE *f, const struct info *in)
{
	struct utsname u;

	uname(&u);
	fprintf(f, "# s2wc raw samples: SEQ COST PAIR WC_PS DEV_PS, picoseconds per post\n");
	fprintf(f, "# of each batch, pair by pair, each case after its batch size and PMU\n");
	fprintf(f, "# totals (bench/s2stats computes every figure)\n");
	fprintf(f, "tool=s2wc\ntarget=%s\nbar=%u\nphys=0x%llx\npinned_cpu=%d\npairs=%u\n",
		in->bdf, in->bar, in->phys, in->cpu, in->pairs);
	fprintf(f, "bf_bytes=%u\nkernel=%s\n", in->bytes, u.release);
}

static void samples_case(FILE *f, enum s2w_seq s, const char *cost, u32 pairs,
			 u64 *ps[S2W_NR_MAP], const struct res *r, int k)
{
	u32 i;

	if (r)
		print_keys(f, r, s, k);
	for (i = 0; i < pairs; i++)
		fprintf(f, "%s %s %u %llu %llu\n", s2w_seqs[s].name, cost, i, ps[S2W_WC][i],
			ps[S2W_DEV][i]);
}

/* the samples kept in a temporary file, after the keys on stdout */
static int copy_samples(FILE *smp)
{
	char buf[4096];
	size_t n;

	fflush(stdout);
	rewind(smp);
	while ((n = fread(buf, 1, sizeof(buf), smp)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			return -1;
	return ferror(smp) || fclose(smp) || fflush(stdout) ? -1 : 0;
}

/* ---- verify: as s2bench.ko's, on a RAM-backed BAR ---- */
static int verify_one(struct ctx *c, enum s2w_seq s, int m, unsigned char *want)
{
	struct s2w_post *p = c->post;
	unsigned int op, o = 0, bytes, i;

	if (side_begin(c, S2W_DEV))
		return -1;
	for (i = 0; i < S2W_PAGE; i += 4)
		__atomic_store_n((unsigned int *)(c->map + i), 0xa5a5a5a5u, __ATOMIC_RELAXED);
	side_end(c, S2W_DEV);
	memset(want, 0xa5, S2W_PAGE);
	s2w_post_init(p, c->bytes);
	for (i = 2; i < S2W_WQE_MAX / 4; i++)
		p->wqe.dw[i] = 0x01010101 * (i + 1) + m;
	bytes = s2w_op_bytes(s, p);
	if (side_begin(c, m))
		return -1;
	for (op = 0; op < VERIFY_OPS; op++) {
		run_batch(c, s, false, 1);
		memcpy(want + S2W_BF_OFFSET + o, p->wqe.qw, bytes);
		if (s2w_toggles(s))
			o ^= S2W_BF_HALF;
	}
	side_end(c, m);
	if (side_begin(c, S2W_DEV))
		return -1;
	for (i = 0; i < S2W_PAGE; i++)
		if (__atomic_load_n(c->map + i, __ATOMIC_RELAXED) != want[i]) {
			printf("FAIL at +0x%x: 0x%02x, want 0x%02x\n", i,
			       __atomic_load_n(c->map + i, __ATOMIC_RELAXED), want[i]);
			side_end(c, S2W_DEV);
			return 1;
		}
	side_end(c, S2W_DEV);
	printf("ok\n");
	return 0;
}

static int verify_all(struct ctx *c, unsigned long mask, const struct info *in)
{
	unsigned char want[S2W_PAGE];
	int s, m, bad = 0, r;

	printf("verify: %s BAR %u window 0x%llx, %d posts of %u bytes per sequence and map\n",
	       in->bdf, in->bar, off, VERIFY_OPS, in->bytes);
	for (s = 0; s < S2W_NR_SEQ; s++) {
		const char *skip = seq_missing(s);

		if (!skip && !(mask & (1UL << s)))
			skip = "not selected";
		for (m = 0; m < S2W_NR_MAP; m++) {
			printf("verify.%s.%s=", s2w_seqs[s].name, s2w_map_name[m]);
			if (skip) {
				printf("skipped (%s)\n", skip);
				continue;
			}
			fflush(stdout);
			r = verify_one(c, s, m, want);
			if (r < 0)
				return 1;
			bad |= r;
		}
	}
	return bad;
}

/* ---- setup ---- */
static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: s2wc --dev /sys/bus/pci/devices/DDDD:BB:SS.F --bar N [--offset OFF]\n"
		"            [--len LEN] [--pairs N] [--only SEQ,...] [--bytes 64|128|256]\n"
		"            [--samples FILE] [--threads N] [--verify] [--force] [--cpu N]\n"
		"Times bench/s2wr.h's doorbell and BlueFlame posts (see bench/README) through\n"
		"DEV/resourceN (uncached) and DEV/resourceN_wc (write-combining), WC and Device\n"
		"batches in pairs. OFF: a 4 KiB page of the BAR, required unless the device\n"
		"is a test device (ivshmem 1af4:1110, pci-testdev 1b36:0005: default 0); on a\n"
		"ConnectX a UAR page of BAR 0 at 0x3000 or above; LEN >= 4096 (default 4096);\n"
		"N pairs (default %d, at most %d). --bytes: the BlueFlame copy (default 64),\n"
		"in 64-byte chunks as rdma-core's mlx5_bf_copy. --verify: post each sequence\n"
		"a few times and read the page back (test devices only). --force: even\n"
		"with a driver bound (never on a ConnectX). --cpu: pin to that CPU (default:\n"
		"the current one). For the run DEV/driver_override names no driver, so none\n"
		"can bind; the old value is put back at exit. Needs root, a prefetchable\n"
		"BAR (resourceN_wc) and memory decoding on (echo 1 > DEV/enable if no driver\n"
		"is bound). Prints no statistic: the raw per-batch samples follow the keys\n"
		"(--samples: to FILE instead); bench/s2stats computes the figures.\n"
		"--threads N: also a throughput mode, N threads on N CPUs, each posting to\n"
		"its own page of the window (--len N * 4096 or more): posts/s WC vs Device.\n",
		DEF_PAIRS, MAX_PAIRS);
}

static int parse_ull(const char *s, u64 *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-' ? -1 : 0;
}

static unsigned int read_hex(const char *dev, const char *name)
{
	char path[PATH_BUF];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dev, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%x", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static int read_int(const char *dev, const char *name, int dflt)
{
	char path[PATH_BUF];
	int v = dflt;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dev, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* BAR n's start from DEV/resource ("start end flags" per line), or 0 */
static u64 bar_start(const char *dev, unsigned int n)
{
	unsigned long long start = 0, end, flags;
	char path[PATH_BUF];
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resource", dev);
	f = fopen(path, "r");
	if (!f)
		return 0;
	for (i = 0; i <= n; i++)
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3) {
			start = 0;
			break;
		}
	fclose(f);
	return start;
}

/* warn when PCI_COMMAND (config offset 4) has memory decoding (bit 1) off */
static void check_decoding(const char *dev)
{
	char path[PATH_BUF];
	unsigned char cmd[2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", dev);
	f = fopen(path, "rb");
	if (!f)
		return;
	if (fseek(f, 4, SEEK_SET) == 0 && fread(cmd, 1, 2, f) == 2 && !(cmd[0] & 0x2))
		fprintf(stderr,
			"s2wc: warning: %s has memory decoding off; stores will be lost: echo 1 > %s/enable\n",
			dev, dev);
	fclose(f);
}

static unsigned long parse_only(char *list)
{
	const char *bad = NULL;
	unsigned long mask = s2w_parse_only(list, &bad);

	if (!mask)
		fprintf(stderr, "s2wc: no sequence '%s' on this architecture\n", bad ? bad : "");
	return mask;
}

/*
 * Hold drivers off the device for the run, as s2bench.ko's region claim
 * does: a driver_override that names no driver makes the PCI core refuse
 * every driver (bind, drivers_probe, a module loaded mid-run). The old
 * value is put back at exit, also on SIGINT, SIGTERM and SIGHUP.
 */
#define HOLD_NAME	"s2wc-holds-this-device"

static char hold_path[PATH_BUF];
static char hold_old[256];
static int hold_on;

static int write_str(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_TRUNC);	/* as a shell redirection */
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, v, strlen(v));
	close(fd);
	return n == (ssize_t)strlen(v) ? 0 : -1;
}

static void release_drivers(void)
{
	char v[sizeof(hold_old) + 1];

	if (!hold_on)
		return;
	hold_on = 0;
	/* sysfs shows an unset override as "(null)"; "\n" clears it */
	snprintf(v, sizeof(v), "%s\n", strcmp(hold_old, "(null)") ? hold_old : "");
	if (write_str(hold_path, v))
		fprintf(stderr, "s2wc: could not restore %s to '%s': %s\n", hold_path, hold_old,
			strerror(errno));
}

static void release_on_signal(int sig)
{
	release_drivers();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int hold_drivers(const char *dev)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	unsigned int i;
	int bad = 1;
	size_t n = 0;
	FILE *f;

	snprintf(hold_path, sizeof(hold_path), "%s/driver_override", dev);
	f = fopen(hold_path, "r");
	if (f) {
		n = fread(hold_old, 1, sizeof(hold_old) - 1, f);
		bad = ferror(f);
		fclose(f);
	}
	if (bad) {
		fprintf(stderr, "s2wc: cannot hold drivers off %s: %s: %s\n", dev, hold_path,
			strerror(errno));
		return -1;
	}
	hold_old[n] = '\0';
	hold_old[strcspn(hold_old, "\n")] = '\0';
	if (write_str(hold_path, HOLD_NAME "\n")) {
		fprintf(stderr, "s2wc: cannot hold drivers off %s: write %s: %s\n", dev,
			hold_path, strerror(errno));
		return -1;
	}
	hold_on = 1;
	atexit(release_drivers);
	for (i = 0; i < S2W_ARRAY_SIZE(sigs); i++)
		signal(sigs[i], release_on_signal);
	return 0;
}

/* The NUMA node of a CPU: its nodeN link in sysfs, or -1. */
static int cpu_node(int cpu)
{
	char path[64];
	struct dirent *e;
	int node = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "node", 4) && sscanf(e->d_name + 4, "%d", &node) == 1)
			break;
	closedir(d);
	return node;
}

/* Pin to one CPU and lock memory: no migration, no page faults mid-batch. */
static int settle(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "s2wc: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return -1;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		fprintf(stderr, "s2wc: warning: mlockall: %s\n", strerror(errno));
	return cpu;
}

static int pmu_open(u64 config)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_HARDWARE;
	attr.size = sizeof(attr);
	attr.config = config;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "bar", required_argument, NULL, 'b' },
		{ "offset", required_argument, NULL, 'o' },
		{ "len", required_argument, NULL, 'l' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'O' },
		{ "bytes", required_argument, NULL, 'B' },
		{ "samples", required_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 'T' },
		{ "verify", no_argument, NULL, 'V' },
		{ "force", no_argument, NULL, 'f' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct res res[S2W_NR_SEQ][S2W_NR_COST];
	struct s2w_target t = { 0 };
	struct info in = { .cpu = -1, .bytes = S2W_WQE_BYTES };
	unsigned long mask = (1UL << S2W_NR_SEQ) - 1;
	u64 bar = ~0ULL, pairs = DEF_PAIRS, threads = 0, v, *ps[S2W_NR_MAP];
	static struct tput tput;
	int tcpus[MAX_THREADS];
	cpu_set_t allowed;
	char devpath[PATH_BUF - 64], drv[PATH_BUF];
	bool do_verify = false;
	const char *dev = NULL, *samples_path = NULL;
	FILE *smp = NULL;
	enum s2w_refusal why;
	struct stat st;
	struct ctx c;
	char *real;
	int opt, s, k, m;

	while ((opt = getopt_long(argc, argv, "d:b:o:l:p:O:B:S:T:Vfc:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			continue;
		case 'O':
			mask = parse_only(optarg);
			if (!mask)
				return 2;
			continue;
		case 'V':
			do_verify = true;
			continue;
		case 'S':
			samples_path = optarg;
			continue;
		case 'f':
			in.force = true;
			continue;
		case 'h':
			print_usage(stdout);
			return 0;
		case '?':
			print_usage(stderr);
			return 2;
		}
		if (parse_ull(optarg, &v)) {
			fprintf(stderr, "s2wc: bad number '%s'\n", optarg);
			return 2;
		}
		if (opt == 'b') {
			bar = v;
		} else if (opt == 'o') {
			off = v;
			t.offset_given = 1;
		} else if (opt == 'l') {
			len = v;
		} else if (opt == 'p') {
			pairs = v;
		} else if (opt == 'B') {
			in.bytes = v;
		} else if (opt == 'T') {
			threads = v;
		} else {
			in.cpu = v;
		}
	}
	if (!dev || bar > 5 || optind != argc) {
		print_usage(stderr);
		return 2;
	}
	if (threads > MAX_THREADS || (threads && (do_verify || len < threads * S2W_PAGE))) {
		fprintf(stderr,
			"s2wc: --threads N: 1..%d, a page each: --len at least N * 4096, no --verify\n",
			MAX_THREADS);
		return 2;
	}
	if (!s2w_bytes_ok(in.bytes)) {
		fprintf(stderr, "s2wc: --bytes must be 64, 128 or 256\n");
		return 2;
	}
	if (pairs < 1 || pairs > MAX_PAIRS) {
		fprintf(stderr, "s2wc: --pairs must be 1..%d\n", MAX_PAIRS);
		return 2;
	}
	if (strlen(dev) >= sizeof(devpath)) {
		fprintf(stderr, "s2wc: --dev path too long\n");
		return 2;
	}
	snprintf(devpath, sizeof(devpath), "%s", dev);
	while (strlen(devpath) > 1 && devpath[strlen(devpath) - 1] == '/')
		devpath[strlen(devpath) - 1] = '\0';

	memset(&c, 0, sizeof(c));
	snprintf(c.win[S2W_DEV].path, PATH_BUF, "%s/resource%llu", devpath, bar);
	snprintf(c.win[S2W_WC].path, PATH_BUF, "%s/resource%llu_wc", devpath, bar);
	if (stat(c.win[S2W_DEV].path, &st)) {
		fprintf(stderr, "s2wc: %s: %s\n", c.win[S2W_DEV].path, strerror(errno));
		return 1;
	}
	snprintf(drv, sizeof(drv), "%s/driver", devpath);
	/* no driver may bind from here on; then look whether one is bound */
	if (hold_drivers(devpath))
		return 1;
	t.vendor = read_hex(devpath, "vendor");
	t.device = read_hex(devpath, "device");
	t.bar = bar;
	t.bar_len = st.st_size;
	t.offset = off;
	t.len = len;
	t.bound = access(drv, F_OK) == 0;
	t.force = in.force;
	t.verify = do_verify;
	why = s2w_check(&t);
	if (why != S2W_OK) {
		fprintf(stderr,
			"s2wc: %s [%04x:%04x] BAR %llu window 0x%llx+0x%llx (BAR size 0x%llx)%s: refused: %s (%s)\n",
			devpath, t.vendor, t.device, bar, off, len, (u64)st.st_size,
			do_verify ? ", verify" : "", s2w_refusal_text[why], s2w_refusal_hint[why]);
		return 2;
	}
	check_decoding(devpath);
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		fprintf(stderr, "s2wc: sched_getaffinity: %s\n", strerror(errno));
		return 1;
	}
	in.cpu = settle(in.cpu);
	if (in.cpu < 0)
		return 1;
	in.cpu_node = cpu_node(in.cpu);
	/* both must map; without aliases they are mapped again per batch */
	in.phys = bar_start(devpath, bar);
	if (in.phys)
		in.phys += off;
	for (m = 0; m < S2W_NR_MAP; m++) {
		if (win_map(&c.win[m]))
			return 1;
		s1_read(c.win[m].p, in.phys, in.s1[m], sizeof(in.s1[m]));
	}
	if (!ALIASES_OK)
		for (m = 0; m < S2W_NR_MAP; m++)
			win_unmap(&c.win[m]);

	real = realpath(devpath, NULL);
	in.bdf = basename(real ? real : devpath);
	in.bar = bar;
	in.vendor = t.vendor;
	in.device = t.device;
	in.numa_node = read_int(devpath, "numa_node", -1);
	in.pairs = pairs;
	c.post = aligned_alloc(64, sizeof(*c.post));
	c.bytes = in.bytes;
	ps[S2W_WC] = calloc(pairs, sizeof(u64));
	ps[S2W_DEV] = calloc(pairs, sizeof(u64));
	if (!c.post || !ps[S2W_WC] || !ps[S2W_DEV]) {
		fprintf(stderr, "s2wc: out of memory\n");
		return 1;
	}
	if (do_verify)
		return verify_all(&c, mask, &in);

	c.cpu = in.cpu;
	c.freq = ticks_freq();
	in.freq = c.freq;
	if (!c.freq) {
		fprintf(stderr, "s2wc: the counter frequency reads 0\n");
		return 1;
	}
	/* without --samples FILE the samples follow the keys on stdout */
	smp = samples_path ? fopen(samples_path, "w") : tmpfile();
	if (!smp) {
		fprintf(stderr, "s2wc: %s: %s\n", samples_path ? samples_path : "tmpfile",
			strerror(errno));
		return 1;
	}
	samples_head(smp, &in);
	c.pmu_fd[0] = pmu_open(PERF_COUNT_HW_CPU_CYCLES);
	c.pmu_fd[1] = pmu_open(PERF_COUNT_HW_INSTRUCTIONS);
	for (s = 0; s < S2W_NR_SEQ; s++) {
		const char *skip = seq_missing(s);

		if (!skip && !(mask & (1UL << s)))
			skip = "not selected";
		for (k = 0; k < S2W_NR_COST; k++) {
			res[s][k].skip = skip;
			if (!skip && run_case(&c, s, k, pairs, ps, &res[s][k]))
				return 1;
			if (!skip)
				samples_case(smp, s, s2w_cost_name[k], pairs, ps, &res[s][k], k);
		}
	}
	if (threads && tput_cpus(&allowed, in.cpu, threads, tcpus)) {
		fprintf(stderr, "s2wc: --threads %llu: fewer CPUs allowed\n", threads);
		return 1;
	}
	if (threads && tput_start(&tput, &c, tcpus, threads))
		return 1;
	for (s = 0; threads && s < S2W_NR_SEQ; s++) {
		if (res[s][0].skip)
			continue;
		if (run_tput(&tput, &c, s, pairs, ps))
			return 1;
		samples_case(smp, s, "throughput", pairs, ps, NULL, 0);
	}
	if (threads)
		tput_stop(&tput);
	if (samples_path && fclose(smp)) {
		fprintf(stderr, "s2wc: %s: %s\n", samples_path, strerror(errno));
		return 1;
	}
	in.migrations = c.migrations;
	print_results(res, &in);
	if (threads) {
		printf("threads=%llu\nthread_cpus=", threads);
		for (k = 0; k < (int)threads; k++)
			printf("%s%d", k ? "," : "", tcpus[k]);
		printf("\n");
	}
	for (s = 0; threads && s < S2W_NR_SEQ; s++)
		if (!res[s][0].skip)
			print_tput(s, threads, pairs);
	if (!samples_path && copy_samples(smp))
		return 1;
	free(real);
	return 0;
}
