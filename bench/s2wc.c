// SPDX-License-Identifier: GPL-2.0
/*
 * s2wc - user-space twin of s2bench.ko: times the doorbell8, bf64 and stream
 * patterns through a PCI BAR mapped via sysfs resourceN (uncached, "dev") and
 * resourceN_wc (write-combining, "wc"), and prints the same table and
 * key=value lines as /sys/kernel/debug/s2bench/results.
 *
 * usage: s2wc --dev /sys/bus/pci/devices/BDF --bar N [--offset OFF]
 *             [--len LEN] [--iters BATCHES]
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ALIGN_BYTES		64
#define MIN_LEN			128
#define DEF_LEN			0x10000ULL
#define WQE_QWORDS		8
#define WQE_BYTES		(WQE_QWORDS * 8)
#define BATCH_TARGET_NS		200000ULL
#define BATCH_MAX		1048576ULL	/* ops per batch, upper bound */
#define DEF_ITERS		200
#define MAX_ITERS		100000
#define PS_PER_S		1000000000000ULL
#define NS_PER_S		1000000000ULL
#define DEV_BUF			1024
#define PATH_BUF		(DEV_BUF + 64)

enum { DB8, BF64, STREAM, NR_PAT };
enum { MAP_WC, MAP_DEV, NR_MAP };
enum { ISSUE, DRAINED, NR_COST };

static const char * const pat_name[NR_PAT] = { "doorbell8", "bf64", "stream" };
static const unsigned int pat_bytes[NR_PAT] = { 8, WQE_BYTES, WQE_BYTES };
static const char * const map_name[NR_MAP] = { "wc", "dev" };
static const char * const cost_name[NR_COST] = { "issue", "drained" };

/* ---- architecture helpers: barriers, single stores, counter ---- */
#if defined(__aarch64__)
/* a Device and a Normal-NC mapping of one BAR can coexist */
#define ALIASES_OK		1

/* dsb st: earlier stores complete before later ones (as the kernel's wmb) */
static inline void wmb(void)
{
	asm volatile("dsb st" : : : "memory");
}

/* dmb oshst: ordinary-memory stores ordered for the device (dma_wmb) */
static inline void dma_wmb(void)
{
	asm volatile("dmb oshst" : : : "memory");
}

/* DGH: stop gathering, as the kernel's io_stop_wc() */
static inline void stop_wc(void)
{
	asm volatile("hint #6" : : : "memory");
}

static inline void store64(void *p, unsigned long long v)
{
	asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(p) : "memory");
}

/* 8 single 64-bit stores, in order, no STP */
static inline void copy64(void *to, const unsigned long long *f)
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

static inline unsigned int load32(const void *p)
{
	unsigned int v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static bool use_cntvct = true;

static inline unsigned long long now_ticks(void)
{
	unsigned long long v;
	struct timespec ts;

	if (!use_cntvct) {
		clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
		return ts.tv_sec * NS_PER_S + ts.tv_nsec;
	}
	asm volatile("isb\n mrs %0, cntvct_el0\n isb" : "=r"(v) : : "memory");
	return v;
}

static unsigned long long ticks_freq(void)
{
	unsigned long long f;

	if (!use_cntvct)
		return NS_PER_S;
	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	if (!f) {
		use_cntvct = false;
		return NS_PER_S;
	}
	return f;
}
#else
/*
 * x86 PAT keeps one memory type per physical range: with resourceN mapped,
 * an mmap of resourceN_wc silently gets UC- too.  So map one at a time and
 * drain through the mapping under test.
 */
#define ALIASES_OK		0

/* store fence: the WC buffers are flushed before later stores */
static inline void wmb(void)
{
#if defined(__x86_64__)
	asm volatile("sfence" : : : "memory");
#else
	__sync_synchronize();
#endif
}

/* stores to ordinary memory are ordered on x86: a compiler barrier */
static inline void dma_wmb(void)
{
	asm volatile("" : : : "memory");
}

static inline void stop_wc(void)
{
}

static inline void store64(void *p, unsigned long long v)
{
	__atomic_store_n((unsigned long long *)p, v, __ATOMIC_RELAXED);
}

static inline void copy64(void *to, const unsigned long long *f)
{
	unsigned long long *d = to;
	int i;

	for (i = 0; i < WQE_QWORDS; i++)
		__atomic_store_n(&d[i], f[i], __ATOMIC_RELAXED);
}

static inline unsigned int load32(const void *p)
{
	return __atomic_load_n((const unsigned int *)p, __ATOMIC_RELAXED);
}

static bool use_cntvct;

static inline unsigned long long now_ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static unsigned long long ticks_freq(void)
{
	return NS_PER_S;
}
#endif

/* ---- the patterns ---- */
struct ctx {
	unsigned char *map;		/* mapping under test */
	unsigned char *rd;		/* uncached mapping, for the drain read */
	unsigned long long len;
	unsigned int *dbrec;		/* doorbell record (big endian) */
	unsigned long long *wqe;	/* 64-byte WQE */
	unsigned int pc;
	unsigned int bf_off, bf_half;
	unsigned long long stream_off;
};

static inline void op_doorbell8(struct ctx *c)
{
	c->pc++;
	c->wqe[0] = (unsigned long long)__builtin_bswap32(c->pc << 8) |
		    (unsigned long long)__builtin_bswap32(1) << 32;
	*c->dbrec = __builtin_bswap32(c->pc);
	/* doorbell record before the doorbell */
	wmb();
	store64(c->map, c->wqe[0]);
}

static inline void op_bf64(struct ctx *c)
{
	c->pc++;
	c->wqe[0] = (unsigned long long)__builtin_bswap32(c->pc << 8) |
		    (unsigned long long)__builtin_bswap32(1) << 32;
	/* WQE before the doorbell record */
	dma_wmb();
	*c->dbrec = __builtin_bswap32(c->pc);
	/* record before the BlueFlame copy; also drains the previous copy */
	wmb();
	copy64(c->map + c->bf_off, c->wqe);
	stop_wc();
	c->bf_off ^= c->bf_half;
}

static inline void op_stream(struct ctx *c)
{
	unsigned char *p = c->map + c->stream_off;
	int i;

	for (i = 0; i < WQE_QWORDS; i++)
		store64(p + 8 * i, c->stream_off + i);
	c->stream_off += WQE_BYTES;
	if (c->stream_off >= c->len)
		c->stream_off = 0;
}

static inline void drain(struct ctx *c)
{
	/* stores complete, then a read that cannot pass posted writes */
	wmb();
	(void)load32(c->rd);
}

static unsigned long long run_batch(struct ctx *c, int pat, bool drained,
				    unsigned long long n)
{
	unsigned long long i, t0, t1;

	t0 = now_ticks();
	switch (pat) {
	case DB8:
		for (i = 0; i < n; i++) {
			op_doorbell8(c);
			if (drained)
				drain(c);
		}
		break;
	case BF64:
		for (i = 0; i < n; i++) {
			op_bf64(c);
			if (drained)
				drain(c);
		}
		break;
	default:
		for (i = 0; i < n; i++) {
			op_stream(c);
			if (drained)
				drain(c);
		}
		break;
	}
	/* wmb: the batch's stores are complete before the counter read */
	wmb();
	t1 = now_ticks();
	return t1 - t0;
}

static unsigned long long ticks_to_ns(unsigned long long t, unsigned long long f)
{
	return (unsigned long long)((__uint128_t)t * NS_PER_S / f);
}

static unsigned long long calibrate(struct ctx *c, int pat, bool drained,
				    unsigned long long freq)
{
	unsigned long long ns, ns2, n = 1;

	/* warm up: first-touch faults, TLB and cache misses */
	run_batch(c, pat, drained, 16);
	for (;;) {
		/* the faster of two, so one interruption does not stop the doubling */
		ns = ticks_to_ns(run_batch(c, pat, drained, n), freq);
		ns2 = ticks_to_ns(run_batch(c, pat, drained, n), freq);
		if (ns2 < ns)
			ns = ns2;
		if (ns >= BATCH_TARGET_NS / 4 || n >= BATCH_MAX)
			break;
		n *= 2;
	}
	n = n * BATCH_TARGET_NS / (ns ? ns : 1);
	if (n < 1)
		n = 1;
	if (n > BATCH_MAX)
		n = BATCH_MAX;
	return n;
}

/* ---- optional PMU: this process's user-mode cycles and instructions ---- */
static int pmu_fd[2] = { -1, -1 };

static int pmu_open(unsigned long long config)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = config;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static bool pmu_read(unsigned long long *cyc, unsigned long long *ins)
{
	if (pmu_fd[0] < 0 || pmu_fd[1] < 0)
		return false;
	return read(pmu_fd[0], cyc, sizeof(*cyc)) == sizeof(*cyc) &&
	       read(pmu_fd[1], ins, sizeof(*ins)) == sizeof(*ins);
}

/* ---- measurement and output ---- */
struct res {
	unsigned long long batch;
	unsigned long long ps_min, ps_med, ps_p99;
	unsigned long long cycles, insns, ops;
	bool pmu;
};

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static void measure(struct ctx *c, int pat, bool drained, unsigned long long freq,
		    unsigned int nb, unsigned long long *samples, struct res *r)
{
	unsigned long long c0 = 0, i0 = 0, c1, i1, n, t;
	bool pmu_ok;
	unsigned int b;

	n = calibrate(c, pat, drained, freq);
	r->batch = n;
	pmu_ok = pmu_read(&c0, &i0);
	for (b = 0; b < nb; b++) {
		t = run_batch(c, pat, drained, n);
		samples[b] = (unsigned long long)((__uint128_t)t * PS_PER_S / (freq * n));
	}
	r->ops = n * nb;
	if (pmu_ok && pmu_read(&c1, &i1)) {
		r->pmu = true;
		r->cycles = c1 - c0;
		r->insns = i1 - i0;
	}
	qsort(samples, nb, sizeof(*samples), cmp_ull);
	r->ps_min = samples[0];
	r->ps_med = samples[(nb - 1) / 2];
	r->ps_p99 = samples[(nb * 99 + 99) / 100 - 1];
}

static unsigned long long nz(unsigned long long v)
{
	return v ? v : 1;
}

static unsigned long long ops_per_s(const struct res *r)
{
	return PS_PER_S / nz(r->ps_med);
}

static unsigned long long mbps_c(const struct res *r, int p)
{
	return pat_bytes[p] * 100000000ULL / nz(r->ps_med);
}

static unsigned long long per_op_c(unsigned long long v, unsigned long long ops)
{
	return v * 100 / nz(ops);
}

static unsigned long long ratio_c(struct res res[NR_PAT][NR_MAP][NR_COST], int p, int k)
{
	unsigned long long w = nz(res[p][MAP_WC][k].ps_med);

	return (res[p][MAP_DEV][k].ps_med * 100 + w / 2) / w;
}

/* v in hundredths as "%llu.%02llu", right-aligned in width columns */
static void put_c2(int width, unsigned long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%llu.%02llu", v / 100, v % 100);
	printf("%*s", width, num);
}

static void print_results(struct res res[NR_PAT][NR_MAP][NR_COST], const char *bdf,
			  unsigned int bar, unsigned long long off, unsigned long long len,
			  unsigned long long freq, unsigned int nb, unsigned int bf_half)
{
	unsigned long long maxbatch = 0;
	bool pmu = false;
	char key[32];
	int p, m, k;

	printf("s2wc: %s BAR %u window 0x%llx+0x%llx, counter %llu Hz (%s), ",
	       bdf, bar, off, len, freq, use_cntvct ? "cntvct_el0" : "clock_gettime");
	printf("%u batches of ~%llu us\n", nb, BATCH_TARGET_NS / 1000);
	printf("%-9s %-3s %-7s %7s %11s %11s %11s %11s %11s %9s %9s\n",
	       "pattern", "map", "cost", "batch", "min_ns", "median_ns", "p99_ns",
	       "ops/s", "MB/s", "cyc/op", "ins/op");
	for (p = 0; p < NR_PAT; p++)
		for (m = 0; m < NR_MAP; m++)
			for (k = 0; k < NR_COST; k++) {
				struct res *r = &res[p][m][k];

				if (r->batch > maxbatch)
					maxbatch = r->batch;
				pmu |= r->pmu;
				printf("%-9s %-3s %-7s %7llu", pat_name[p], map_name[m],
				       cost_name[k], r->batch);
				put_c2(11, r->ps_min / 10);
				put_c2(11, r->ps_med / 10);
				put_c2(11, r->ps_p99 / 10);
				printf(" %11llu", ops_per_s(r));
				put_c2(11, mbps_c(r, p));
				if (r->pmu) {
					put_c2(9, per_op_c(r->cycles, r->ops));
					put_c2(9, per_op_c(r->insns, r->ops));
				} else {
					printf(" %8s %8s", "-", "-");
				}
				printf("\n");
			}
	printf("dev/wc median ratio:");
	for (p = 0; p < NR_PAT; p++)
		for (k = 0; k < NR_COST; k++) {
			printf(" %s/%s ", pat_name[p], cost_name[k]);
			put_c2(0, ratio_c(res, p, k));
		}
	printf("\n\n");

	printf("target=%s\nbar=%u\noffset=0x%llx\nlen=0x%llx\n", bdf, bar, off, len);
	printf("cntfrq=%llu\n", freq);
	printf("clock=%s\n", use_cntvct ? "cntvct_el0" : "clock_gettime");
	printf("batch=%llu\n", maxbatch);
	printf("batch_target_ns=%llu\n", BATCH_TARGET_NS);
	printf("iterations=%u\n", nb);
	printf("batches=%u\n", nb);
	printf("bf_half=%u\n", bf_half);
	printf("drain_read=%s\n", ALIASES_OK ? "dev" : "same");
	printf("pmu=%s\n", pmu ? "available" : "unavailable");
	for (p = 0; p < NR_PAT; p++) {
		printf("%s.bytes_per_op=%u\n", pat_name[p], pat_bytes[p]);
		for (m = 0; m < NR_MAP; m++)
			for (k = 0; k < NR_COST; k++) {
				struct res *r = &res[p][m][k];

				snprintf(key, sizeof(key), "%s.%s.%s", pat_name[p],
					 map_name[m], cost_name[k]);
				printf("%s.batch=%llu\n%s.ops=%llu\n%s.ns_min=", key, r->batch,
				       key, r->ops, key);
				put_c2(0, r->ps_min / 10);
				printf("\n%s.ns_median=", key);
				put_c2(0, r->ps_med / 10);
				printf("\n%s.ns_p99=", key);
				put_c2(0, r->ps_p99 / 10);
				printf("\n%s.ops_per_s=%llu\n%s.mb_per_s=", key, ops_per_s(r), key);
				put_c2(0, mbps_c(r, p));
				printf("\n");
				if (!r->pmu)
					continue;
				printf("%s.cycles_per_op=", key);
				put_c2(0, per_op_c(r->cycles, r->ops));
				printf("\n%s.instructions_per_op=", key);
				put_c2(0, per_op_c(r->insns, r->ops));
				printf("\n");
			}
	}
	for (p = 0; p < NR_PAT; p++)
		for (k = 0; k < NR_COST; k++) {
			printf("ratio.%s.%s=", pat_name[p], cost_name[k]);
			put_c2(0, ratio_c(res, p, k));
			printf("\n");
		}
}

/* ---- setup ---- */
static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: s2wc --dev /sys/bus/pci/devices/DDDD:BB:SS.F --bar N [--offset OFF]\n"
		"            [--len LEN] [--iters BATCHES]\n"
		"Times doorbell8, bf64 and stream writes through DEV/resourceN (uncached)\n"
		"and DEV/resourceN_wc (write-combining). OFF 64-byte aligned (default 0),\n"
		"LEN a multiple of 64, >= 128 (default min(64 KiB, BAR size - OFF)),\n"
		"BATCHES timed batches per case (default %d). Needs root, the BAR must be\n"
		"prefetchable (resourceN_wc exists) and memory decoding on\n"
		"(echo 1 > DEV/enable if no driver is bound).\n", DEF_ITERS);
}

static int parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-' ? -1 : 0;
}

/* one mmap of a resource file; p is the window start inside it */
struct win {
	char path[PATH_BUF];
	unsigned char *p;
	void *base;
	size_t maplen;
};

static int win_map(struct win *w, unsigned long long off, unsigned long long len)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long pgoff = off & ~(unsigned long long)(page - 1);
	unsigned long long bar_size;
	struct stat st;
	void *p;
	int fd;

	fd = open(w->path, O_RDWR | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "s2wc: %s: %s%s\n", w->path, strerror(errno),
			errno == ENOENT ? " (resourceN_wc exists only for prefetchable BARs)" : "");
		return -1;
	}
	if (fstat(fd, &st) || !st.st_size) {
		fprintf(stderr, "s2wc: %s: cannot get the BAR size\n", w->path);
		close(fd);
		return -1;
	}
	bar_size = st.st_size;
	if (off >= bar_size || len > bar_size - off) {
		fprintf(stderr, "s2wc: window 0x%llx+0x%llx is outside the BAR (size 0x%llx)\n",
			off, len, bar_size);
		close(fd);
		return -1;
	}
	w->maplen = len + (off - pgoff);
	p = mmap(NULL, w->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pgoff);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "s2wc: mmap %s: %s\n", w->path, strerror(errno));
		return -1;
	}
	w->base = p;
	w->p = (unsigned char *)p + (off - pgoff);
	return 0;
}

static void win_unmap(struct win *w)
{
	if (w->base)
		munmap(w->base, w->maplen);
	w->base = NULL;
	w->p = NULL;
}

/*
 * Warn when the device does not decode memory: PCI_COMMAND (config offset 4,
 * little endian) bit 1. sysfs "enable" is only the kernel's enable count and
 * reads 0 for a device no driver holds even when decoding is on.
 */
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
			"s2wc: warning: %s has memory decoding off (PCI_COMMAND 0x%02x%02x); stores will be lost: echo 1 > %s/enable\n",
			dev, cmd[1], cmd[0], dev);
	fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "bar", required_argument, NULL, 'b' },
		{ "offset", required_argument, NULL, 'o' },
		{ "len", required_argument, NULL, 'l' },
		{ "iters", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long long bar = ~0ULL, off = 0, len = 0, iters = DEF_ITERS, v;
	struct res res[NR_PAT][NR_MAP][NR_COST];
	unsigned long long freq, *samples;
	struct win win[NR_MAP] = { 0 };
	char path[PATH_BUF], devpath[DEV_BUF];
	const char *dev = NULL;
	char *real;
	struct ctx c;
	int opt, p, m, k;

	while ((opt = getopt_long(argc, argv, "d:b:o:l:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
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
		if (opt == 'b')
			bar = v;
		else if (opt == 'o')
			off = v;
		else if (opt == 'l')
			len = v;
		else
			iters = v;
	}
	if (!dev || bar > 5 || optind != argc) {
		print_usage(stderr);
		return 2;
	}
	if (iters < 1 || iters > MAX_ITERS) {
		fprintf(stderr, "s2wc: --iters must be 1..%d\n", MAX_ITERS);
		return 2;
	}
	if (off % ALIGN_BYTES) {
		fprintf(stderr, "s2wc: offset 0x%llx is not 64-byte aligned\n", off);
		return 2;
	}
	if (strlen(dev) >= sizeof(devpath)) {
		fprintf(stderr, "s2wc: --dev path too long\n");
		return 2;
	}
	snprintf(devpath, sizeof(devpath), "%s", dev);
	while (strlen(devpath) > 1 && devpath[strlen(devpath) - 1] == '/')
		devpath[strlen(devpath) - 1] = '\0';
	check_decoding(devpath);

	snprintf(path, sizeof(path), "%s/resource%llu", devpath, bar);
	if (!len) {
		struct stat st;

		if (stat(path, &st)) {
			fprintf(stderr, "s2wc: %s: %s\n", path, strerror(errno));
			return 1;
		}
		len = (unsigned long long)st.st_size > off ? st.st_size - off : 0;
		if (len > DEF_LEN)
			len = DEF_LEN;
	}
	if (len % ALIGN_BYTES || len < MIN_LEN) {
		fprintf(stderr, "s2wc: length 0x%llx must be a multiple of 64 and at least %d\n",
			len, MIN_LEN);
		return 2;
	}
	snprintf(win[MAP_DEV].path, sizeof(win[MAP_DEV].path), "%s/resource%llu", devpath, bar);
	snprintf(win[MAP_WC].path, sizeof(win[MAP_WC].path), "%s/resource%llu_wc", devpath, bar);
	/* both must map; without aliases they are mapped again per phase */
	for (m = 0; m < NR_MAP; m++)
		if (win_map(&win[m], off, len))
			return 1;
	if (!ALIASES_OK)
		for (m = 0; m < NR_MAP; m++)
			win_unmap(&win[m]);

	samples = calloc(iters, sizeof(*samples));
	memset(&c, 0, sizeof(c));
	c.dbrec = aligned_alloc(ALIGN_BYTES, ALIGN_BYTES);
	c.wqe = aligned_alloc(ALIGN_BYTES, WQE_BYTES);
	if (!samples || !c.dbrec || !c.wqe) {
		fprintf(stderr, "s2wc: out of memory\n");
		return 1;
	}
	memset(c.wqe, 0, WQE_BYTES);
	c.len = len;
	/* the BlueFlame register: the window rounded down to a power of two */
	for (v = 1; v * 2 <= len; v *= 2)
		;
	c.bf_half = v / 2;

	freq = ticks_freq();
	pmu_fd[0] = pmu_open(PERF_COUNT_HW_CPU_CYCLES);
	pmu_fd[1] = pmu_open(PERF_COUNT_HW_INSTRUCTIONS);
	memset(res, 0, sizeof(res));
	for (p = 0; p < NR_PAT; p++)
		for (m = 0; m < NR_MAP; m++) {
			if (!ALIASES_OK && win_map(&win[m], off, len))
				return 1;
			c.map = win[m].p;
			c.rd = ALIASES_OK ? win[MAP_DEV].p : win[m].p;
			for (k = 0; k < NR_COST; k++) {
				c.pc = 0;
				c.bf_off = 0;
				c.stream_off = 0;
				measure(&c, p, k == DRAINED, freq, iters, samples, &res[p][m][k]);
			}
			if (!ALIASES_OK)
				win_unmap(&win[m]);
		}
	/* name the device by its BDF even when --dev is a symlink */
	real = realpath(devpath, NULL);
	print_results(res, basename(real ? real : devpath), bar, off, len, freq, iters,
		      c.bf_half);
	free(real);

	for (m = 0; m < NR_MAP; m++)
		win_unmap(&win[m]);
	free(samples);
	free(c.dbrec);
	free(c.wqe);
	return 0;
}
