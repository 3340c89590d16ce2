// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench - time mlx5-style doorbell writes to a PCI memory BAR window that
 * is mapped twice: write-combining (ioremap_wc: Normal-NC on arm64, PAT WC on
 * x86) and device (ioremap: Device-nGnRE on arm64, UC on x86).
 *
 * Patterns (see bench/README):
 *   doorbell8  doorbell record update, wmb(), one 64-bit store
 *   bf64       dma_wmb(), doorbell record, wmb(), 64-byte BlueFlame-style
 *              copy (8 single 64-bit stores), alternating register halves
 *              (half = largest power of two <= window length, / 2)
 *   stream     64-bit stores walking the whole window, 64 bytes per op
 * Costs:
 *   issue      ops back to back, one wmb() (dsb st) closes the batch
 *   drained    every op followed by wmb() and a readl() from the BAR
 *
 * debugfs: /sys/kernel/debug/s2bench/{target,run,results}
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/perf_event.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/barrier.h>
#if defined(CONFIG_ARM64)
#include <asm/sysreg.h>
#elif defined(CONFIG_X86)
#include <asm/tsc.h>
#else
#include <linux/timekeeping.h>
#endif

#define S2B_ALIGN		64
#define S2B_MIN_LEN		128
#define S2B_WQE_QWORDS		8	/* 64-byte WQE = 8 x 64-bit stores */
#define S2B_WQE_BYTES		(S2B_WQE_QWORDS * 8)
#define S2B_OPCODE_NOP		0x00
#define S2B_BATCH_TARGET_NS	200000ULL	/* aimed batch length */
#define S2B_BATCH_MAX		BIT(20)		/* ops per batch, upper bound */
#define S2B_WARMUP_OPS		16	/* single-op batches before calibrating */
#define S2B_DEF_BATCHES		200
#define S2B_MAX_BATCHES		10000
#define S2B_RESULTS_SIZE	(32 * 1024)
#define S2B_PS_PER_S		1000000000000ULL
#define S2B_NS_PER_S		1000000000ULL

enum s2b_pattern { S2B_DB8, S2B_BF64, S2B_STREAM, S2B_NR_PAT };
enum s2b_mapping { S2B_WC, S2B_DEV, S2B_NR_MAP };
enum s2b_cost { S2B_ISSUE, S2B_DRAINED, S2B_NR_COST };

static const char * const s2b_pat_name[S2B_NR_PAT] = { "doorbell8", "bf64", "stream" };
static const unsigned int s2b_pat_bytes[S2B_NR_PAT] = { 8, S2B_WQE_BYTES, S2B_WQE_BYTES };
static const char * const s2b_map_name[S2B_NR_MAP] = { "wc", "dev" };
static const char * const s2b_cost_name[S2B_NR_COST] = { "issue", "drained" };

/* ---- timing: the only architecture-specific code ---- */
#if defined(CONFIG_ARM64)
/* isb on both sides: the counter read is ordered against the timed code. */
static __always_inline u64 s2b_now(void)
{
	u64 v;

	isb();
	v = read_sysreg(cntvct_el0);
	isb();
	return v;
}

static u64 s2b_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

static const char s2b_clock[] = "cntvct_el0";
#elif defined(CONFIG_X86)
static __always_inline u64 s2b_now(void)
{
	return rdtsc_ordered();
}

static u64 s2b_freq(void)
{
	return (u64)tsc_khz * 1000;
}

static const char s2b_clock[] = "tsc";
#else
static __always_inline u64 s2b_now(void)
{
	return ktime_get_ns();
}

static u64 s2b_freq(void)
{
	return S2B_NS_PER_S;
}

static const char s2b_clock[] = "ktime";
#endif

/*
 * x86 PAT keeps one memory type per physical range: a second ioremap of the
 * window with another type silently gets the first one's (UC- for both), so
 * there the window is mapped once per measured phase, and the drain read goes
 * through the mapping under test.  arm64 (and the rest) can hold a Device and
 * a Normal-NC alias at once; the drain read then always uses the Device one.
 */
static bool s2b_aliases_ok(void)
{
	return !IS_ENABLED(CONFIG_X86);
}

/* ---- module parameters: an optional target at load time ---- */
static char *bdf;
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "PCI device, e.g. 0000:00:03.0 (default: no target)");
static unsigned int bar;
module_param(bar, uint, 0444);
MODULE_PARM_DESC(bar, "BAR index (memory BAR)");
static unsigned long offset;
module_param(offset, ulong, 0444);
MODULE_PARM_DESC(offset, "window offset in the BAR, 64-byte aligned");
static unsigned long len;
module_param(len, ulong, 0444);
MODULE_PARM_DESC(len, "window length, multiple of 64, >= 128");
static bool force;
module_param(force, bool, 0444);
MODULE_PARM_DESC(force, "use the device even if a driver is bound to it");
static unsigned int batches = S2B_DEF_BATCHES;
module_param(batches, uint, 0644);
MODULE_PARM_DESC(batches, "default number of timed batches (iterations) for 'run'");

/* ---- state ---- */
struct s2b_spec {
	unsigned int dom, bus, slot, fn;
	unsigned int bar;
	u64 offset, len;
	bool force;
	bool none;
};

struct s2b_target {
	struct pci_dev *pdev;		/* NULL: no target; holds a reference */
	struct s2b_spec spec;		/* what was asked for, to restore it */
	unsigned int bar;
	u64 offset, len;
	resource_size_t phys;		/* window start */
	bool force, region, enabled;
	void __iomem *dev;		/* ioremap(), if s2b_aliases_ok() */
	void __iomem *wc;		/* ioremap_wc(), if s2b_aliases_ok() */
};

/* s2b_lock serialises target changes and runs. */
static DEFINE_MUTEX(s2b_lock);
static struct s2b_target s2b_tgt;

/* s2b_text_lock protects the published texts; held only briefly. */
static DEFINE_MUTEX(s2b_text_lock);
static char *s2b_results;
static char s2b_target_str[80] = "none\n";

static struct dentry *s2b_dir;

/* ---- target handling ---- */
static void s2b_set_target_str(void)
{
	mutex_lock(&s2b_text_lock);
	if (s2b_tgt.pdev)
		snprintf(s2b_target_str, sizeof(s2b_target_str),
			 "%s %u 0x%llx 0x%llx%s\n", pci_name(s2b_tgt.pdev),
			 s2b_tgt.bar, s2b_tgt.offset, s2b_tgt.len,
			 s2b_tgt.force ? " force" : "");
	else
		strscpy(s2b_target_str, "none\n", sizeof(s2b_target_str));
	mutex_unlock(&s2b_text_lock);
}

static void s2b_detach(void)
{
	struct s2b_target *t = &s2b_tgt;

	if (!t->pdev)
		return;
	if (t->wc)
		iounmap(t->wc);
	if (t->dev)
		iounmap(t->dev);
	if (t->region)
		pci_release_region(t->pdev, t->bar);
	if (t->enabled)
		pci_disable_device(t->pdev);
	pr_info("released %s BAR %u\n", pci_name(t->pdev), t->bar);
	pci_dev_put(t->pdev);
	memset(t, 0, sizeof(*t));
	s2b_set_target_str();
}

/* Map the window both ways, or (x86) only check that it can be mapped. */
static int s2b_map(struct s2b_target *t)
{
	void __iomem *p;

	if (s2b_aliases_ok()) {
		t->dev = ioremap(t->phys, t->len);
		t->wc = ioremap_wc(t->phys, t->len);
		return t->dev && t->wc ? 0 : -ENOMEM;
	}
	p = ioremap(t->phys, t->len);
	if (!p)
		return -ENOMEM;
	iounmap(p);
	return 0;
}

static int s2b_attach(const struct s2b_spec *sp)
{
	struct s2b_target *t = &s2b_tgt;
	struct pci_dev *pdev;
	resource_size_t start, blen;
	unsigned long flags;
	const char *drv;
	int ret;

	if (sp->bar >= PCI_STD_NUM_BARS) {
		pr_err("BAR %u does not exist: use 0..%d\n", sp->bar, PCI_STD_NUM_BARS - 1);
		return -EINVAL;
	}
	if (sp->offset % S2B_ALIGN) {
		pr_err("offset 0x%llx is not 64-byte aligned\n", sp->offset);
		return -EINVAL;
	}
	if (sp->len % S2B_ALIGN || sp->len < S2B_MIN_LEN) {
		pr_err("length 0x%llx must be a multiple of 64 and at least %d\n",
		       sp->len, S2B_MIN_LEN);
		return -EINVAL;
	}

	pdev = pci_get_domain_bus_and_slot(sp->dom, sp->bus, PCI_DEVFN(sp->slot, sp->fn));
	if (!pdev) {
		pr_err("no PCI device %04x:%02x:%02x.%x: check lspci -D\n",
		       sp->dom, sp->bus, sp->slot, sp->fn);
		return -ENODEV;
	}

	flags = pci_resource_flags(pdev, sp->bar);
	start = pci_resource_start(pdev, sp->bar);
	blen = pci_resource_len(pdev, sp->bar);
	if (flags & IORESOURCE_IO) {
		pr_err("%s BAR %u is an I/O port BAR: pick a memory BAR (lspci -v: 'Memory at')\n",
		       pci_name(pdev), sp->bar);
		ret = -EINVAL;
		goto put;
	}
	if (!blen || !(flags & IORESOURCE_MEM)) {
		pr_err("%s BAR %u is not an implemented memory BAR: pick one listed as 'Memory at' by lspci -v\n",
		       pci_name(pdev), sp->bar);
		ret = -ENODEV;
		goto put;
	}
	if (flags & (IORESOURCE_UNSET | IORESOURCE_DISABLED)) {
		pr_err("%s BAR %u has no address assigned: rescan or fix the firmware allocation\n",
		       pci_name(pdev), sp->bar);
		ret = -ENODEV;
		goto put;
	}
	if (sp->offset >= blen || sp->len > blen - sp->offset) {
		pr_err("window 0x%llx+0x%llx is outside %s BAR %u (size 0x%llx)\n",
		       sp->offset, sp->len, pci_name(pdev), sp->bar, (u64)blen);
		ret = -EINVAL;
		goto put;
	}

	memset(t, 0, sizeof(*t));
	t->bar = sp->bar;
	t->offset = sp->offset;
	t->len = sp->len;
	t->phys = start + sp->offset;
	t->force = sp->force;

	/* Hold the device lock so no driver binds while we claim the BAR. */
	device_lock(&pdev->dev);
	drv = pdev->dev.driver ? pdev->dev.driver->name : NULL;
	if (drv && !sp->force) {
		device_unlock(&pdev->dev);
		pr_err("%s is bound to driver %s: unbind it (echo %s > /sys/bus/pci/drivers/%s/unbind) or append 'force'\n",
		       pci_name(pdev), drv, pci_name(pdev), drv);
		ret = -EBUSY;
		goto put;
	}
	if (!drv) {
		ret = pci_request_region(pdev, sp->bar, KBUILD_MODNAME);
		if (ret) {
			device_unlock(&pdev->dev);
			pr_err("%s BAR %u is claimed by someone else (see /proc/iomem)\n",
			       pci_name(pdev), sp->bar);
			ret = -EBUSY;
			goto put;
		}
		t->region = true;
	}
	/* Memory decoding only: never touch the device's I/O space. */
	ret = pci_enable_device_mem(pdev);
	device_unlock(&pdev->dev);
	if (ret) {
		pr_err("cannot enable memory decoding on %s: %d\n", pci_name(pdev), ret);
		goto release;
	}
	t->enabled = true;

	ret = s2b_map(t);
	if (ret) {
		pr_err("cannot map %s BAR %u window 0x%llx+0x%llx\n",
		       pci_name(pdev), sp->bar, sp->offset, sp->len);
		goto unmap;
	}
	t->pdev = pdev;
	t->spec = *sp;
	pr_info("target %s BAR %u window 0x%llx+0x%llx (phys %pa)%s%s\n",
		pci_name(pdev), t->bar, t->offset, t->len, &start,
		drv ? " forced, driver " : "", drv ? drv : "");
	s2b_set_target_str();
	return 0;

unmap:
	if (t->wc)
		iounmap(t->wc);
	if (t->dev)
		iounmap(t->dev);
	pci_disable_device(pdev);
release:
	if (t->region)
		pci_release_region(pdev, sp->bar);
put:
	memset(t, 0, sizeof(*t));
	pci_dev_put(pdev);
	return ret;
}

/* Split off the next blank-separated token, NULL at the end. */
static char *s2b_token(char **s)
{
	char *tok;

	do {
		tok = strsep(s, " \t\n");
	} while (tok && !*tok);
	return tok;
}

static int s2b_parse_bdf(const char *s, struct s2b_spec *sp)
{
	char extra;

	if (sscanf(s, "%x:%x:%x.%x%c", &sp->dom, &sp->bus, &sp->slot, &sp->fn, &extra) != 4) {
		sp->dom = 0;
		if (sscanf(s, "%x:%x.%x%c", &sp->bus, &sp->slot, &sp->fn, &extra) != 3)
			return -EINVAL;
	}
	if (sp->dom > 0xffff || sp->bus > 0xff || sp->slot > 0x1f || sp->fn > 7)
		return -EINVAL;
	return 0;
}

static const char s2b_target_usage[] =
	"usage: echo 'DDDD:BB:SS.F BAR OFFSET LEN [force]' > target, or 'none'\n";

static int s2b_parse_target(char *s, struct s2b_spec *sp)
{
	char *tok[6];
	int n = 0;

	memset(sp, 0, sizeof(*sp));
	while (n < ARRAY_SIZE(tok) && (tok[n] = s2b_token(&s)))
		n++;
	if (n == 1 && !strcmp(tok[0], "none")) {
		sp->none = true;
		return 0;
	}
	if (n < 4 || n > 5)
		goto bad;
	if (s2b_parse_bdf(tok[0], sp) || kstrtouint(tok[1], 0, &sp->bar) ||
	    kstrtou64(tok[2], 0, &sp->offset) || kstrtou64(tok[3], 0, &sp->len))
		goto bad;
	if (n == 5) {
		if (strcmp(tok[4], "force"))
			goto bad;
		sp->force = true;
	}
	return 0;
bad:
	pr_err("%s", s2b_target_usage);
	return -EINVAL;
}

/* ---- the timed patterns ---- */
union s2b_wqe {
	__be32 dw[16];
	u64 qw[S2B_WQE_QWORDS];
};

/* what a driver keeps in ordinary (DMA-able) memory */
struct s2b_mem {
	union s2b_wqe wqe;
	__be32 dbrec;
};

struct s2b_ctx {
	void __iomem *map;		/* mapping under test */
	void __iomem *rd;		/* drain read: dev mapping (x86: map) */
	u64 len;
	__be32 *dbrec;			/* doorbell record, in ordinary memory */
	union s2b_wqe *wqe;		/* the WQE, in ordinary memory */
	u32 pc;				/* producer counter */
	unsigned int bf_off, bf_half;
	u64 stream_off;
};

/*
 * Since v6.10 arm64 has an inline __iowrite64_copy() (a #define) that ends in
 * DGH, i.e. io_stop_wc(); the generic out-of-line one (6.1) does not, so add
 * it there.  io_stop_wc() is a no-op on x86.
 */
static __always_inline void s2b_stop_wc(void)
{
#ifndef __iowrite64_copy
	io_stop_wc();
#endif
}

static __always_inline void s2b_doorbell8(struct s2b_ctx *c)
{
	union s2b_wqe *w = c->wqe;

	c->pc++;
	w->dw[0] = cpu_to_be32(c->pc << 8 | S2B_OPCODE_NOP);
	*c->dbrec = cpu_to_be32(c->pc);
	/* doorbell record visible before the doorbell register is written */
	wmb();
	__raw_writeq(w->qw[0], c->map);
}

static __always_inline void s2b_bf64(struct s2b_ctx *c)
{
	union s2b_wqe *w = c->wqe;

	c->pc++;
	w->dw[0] = cpu_to_be32(c->pc << 8 | S2B_OPCODE_NOP);
	/* WQE visible to the device before the doorbell record */
	dma_wmb();
	*c->dbrec = cpu_to_be32(c->pc);
	/*
	 * Doorbell record before the BlueFlame write.  The dsb also completes
	 * the previous op's stores, so the half written two ops ago has left
	 * the WC buffer before it is reused.
	 */
	wmb();
	/* 8 single 64-bit stores: no STP, decodable if the page traps */
	__iowrite64_copy(c->map + c->bf_off, w->qw, S2B_WQE_QWORDS);
	s2b_stop_wc();
	c->bf_off ^= c->bf_half;
}

static __always_inline void s2b_stream(struct s2b_ctx *c)
{
	void __iomem *p = c->map + c->stream_off;
	unsigned int i;

	for (i = 0; i < S2B_WQE_QWORDS; i++)
		__raw_writeq(c->stream_off + i, p + 8 * i);
	c->stream_off += S2B_WQE_BYTES;
	if (c->stream_off >= c->len)
		c->stream_off = 0;
}

static __always_inline void s2b_drain(struct s2b_ctx *c)
{
	/* dsb st, then a read the posted writes cannot be passed by */
	wmb();
	(void)readl(c->rd);
}

/* One batch of n ops, preemption off; returns counter ticks. */
static noinline u64 s2b_batch(struct s2b_ctx *c, int pat, bool drain, u32 n)
{
	u64 t0, t1;
	u32 i;

	preempt_disable();
	t0 = s2b_now();
	switch (pat) {
	case S2B_DB8:
		for (i = 0; i < n; i++) {
			s2b_doorbell8(c);
			if (drain)
				s2b_drain(c);
		}
		break;
	case S2B_BF64:
		for (i = 0; i < n; i++) {
			s2b_bf64(c);
			if (drain)
				s2b_drain(c);
		}
		break;
	default:
		for (i = 0; i < n; i++) {
			s2b_stream(c);
			if (drain)
				s2b_drain(c);
		}
		break;
	}
	/* dsb st: the batch's stores are complete before the counter read */
	wmb();
	t1 = s2b_now();
	preempt_enable();
	return t1 - t0;
}

static u64 s2b_ticks_to_ns(u64 ticks, u64 freq)
{
	return mul_u64_u64_div_u64(ticks, S2B_NS_PER_S, freq);
}

/*
 * Pick n so that one batch takes about S2B_BATCH_TARGET_NS (well below the
 * 1 ms preempt-off bound): double from 1 while a batch is under a quarter of
 * the target, then scale.  Each probing batch is at most about half the
 * target, so no preempt-off window here exceeds ~1 ms unless one op does
 * (a trapped access in a slow emulator), and then n stays 1.
 */
static u32 s2b_calibrate(struct s2b_ctx *c, int pat, bool drain, u64 freq)
{
	u64 ns, ns2, n = 1;
	int i;

	/* warm up (TLB and cache misses) in single ops: one may be slow */
	for (i = 0; i < S2B_WARMUP_OPS; i++) {
		s2b_batch(c, pat, drain, 1);
		cond_resched();
	}
	for (;;) {
		/* the faster of two, so one interrupt does not stop the doubling */
		ns = s2b_ticks_to_ns(s2b_batch(c, pat, drain, n), freq);
		ns2 = s2b_ticks_to_ns(s2b_batch(c, pat, drain, n), freq);
		ns = min(ns, ns2);
		cond_resched();
		if (ns >= S2B_BATCH_TARGET_NS / 4 || n >= S2B_BATCH_MAX)
			break;
		n *= 2;
	}
	n = div64_u64(n * S2B_BATCH_TARGET_NS, max_t(u64, ns, 1));
	return clamp_t(u64, n, 1, S2B_BATCH_MAX);
}

struct s2b_res {
	u32 batch;
	u64 ps_min, ps_med, ps_p99;	/* picoseconds per op, over batches */
	u64 cycles, insns, ops;
	bool pmu;
};

struct s2b_pmu {
	struct perf_event *cycles, *insns;
};

static struct perf_event *s2b_pmu_open(u64 config)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = config,
		.pinned = 1,
	};
	struct perf_event *ev;

	ev = perf_event_create_kernel_counter(&attr, -1, current, NULL, NULL);
	return IS_ERR(ev) ? NULL : ev;
}

static void s2b_pmu_close(struct s2b_pmu *p)
{
	if (p->cycles)
		perf_event_release_kernel(p->cycles);
	if (p->insns)
		perf_event_release_kernel(p->insns);
	p->cycles = NULL;
	p->insns = NULL;
}

static bool s2b_pmu_read(struct s2b_pmu *p, u64 *cyc, u64 *ins)
{
	u64 en, run;

	if (!p->cycles || !p->insns)
		return false;
	*cyc = perf_event_read_value(p->cycles, &en, &run);
	if (!run)
		return false;
	*ins = perf_event_read_value(p->insns, &en, &run);
	return run != 0;
}

static int s2b_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int s2b_measure(struct s2b_ctx *c, int pat, bool drain, u64 freq,
		       unsigned int nb, u64 *samples, struct s2b_pmu *pmu,
		       struct s2b_res *r)
{
	u64 c0 = 0, i0 = 0, c1, i1;
	unsigned int b;
	bool pmu_ok;
	u32 n;

	n = s2b_calibrate(c, pat, drain, freq);
	r->batch = n;
	pmu_ok = s2b_pmu_read(pmu, &c0, &i0);
	for (b = 0; b < nb; b++) {
		u64 ticks = s2b_batch(c, pat, drain, n);

		samples[b] = mul_u64_u64_div_u64(ticks, S2B_PS_PER_S, freq * n);
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	r->ops = (u64)n * nb;
	if (pmu_ok && s2b_pmu_read(pmu, &c1, &i1)) {
		r->pmu = true;
		r->cycles = c1 - c0;
		r->insns = i1 - i0;
	}
	sort(samples, nb, sizeof(*samples), s2b_cmp_u64, NULL);
	r->ps_min = samples[0];
	r->ps_med = samples[(nb - 1) / 2];
	/* nearest rank: ceil(0.99 * nb) - 1 */
	r->ps_p99 = samples[DIV_ROUND_UP(nb * 99, 100) - 1];
	return 0;
}

/* ---- formatting ---- */
struct s2b_buf {
	char *p;
	size_t size, used;
};

static __printf(2, 3) void s2b_out(struct s2b_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	b->used += vscnprintf(b->p + b->used, b->size - b->used, fmt, ap);
	va_end(ap);
}

/* v in hundredths, as "%llu.%02llu", right-aligned in width columns */
static void s2b_out_c2(struct s2b_buf *b, int width, u64 v)
{
	char num[32];

	snprintf(num, sizeof(num), "%llu.%02llu", v / 100, v % 100);
	s2b_out(b, "%*s", width, num);
}

static u64 s2b_ops_per_s(const struct s2b_res *r)
{
	return div64_u64(S2B_PS_PER_S, max_t(u64, r->ps_med, 1));
}

/* MB/s (10^6 bytes) in hundredths */
static u64 s2b_mbps_c(const struct s2b_res *r, int pat)
{
	return div64_u64((u64)s2b_pat_bytes[pat] * 100000000ULL, max_t(u64, r->ps_med, 1));
}

/* per-op count in hundredths */
static u64 s2b_per_op_c(u64 count, u64 ops)
{
	return div64_u64(count * 100, max_t(u64, ops, 1));
}

/* dev median / wc median in hundredths, rounded */
static u64 s2b_ratio_c(struct s2b_res res[][S2B_NR_MAP][S2B_NR_COST], int p, int k)
{
	u64 w = max_t(u64, res[p][S2B_WC][k].ps_med, 1);

	return div64_u64(res[p][S2B_DEV][k].ps_med * 100 + w / 2, w);
}

static void s2b_format_row(struct s2b_buf *b, const struct s2b_res *r, int p, int m, int k)
{
	s2b_out(b, "%-9s %-3s %-7s %7u", s2b_pat_name[p], s2b_map_name[m],
		s2b_cost_name[k], r->batch);
	/* picoseconds / 10 = hundredths of a nanosecond */
	s2b_out_c2(b, 11, r->ps_min / 10);
	s2b_out_c2(b, 11, r->ps_med / 10);
	s2b_out_c2(b, 11, r->ps_p99 / 10);
	s2b_out(b, " %11llu", s2b_ops_per_s(r));
	s2b_out_c2(b, 11, s2b_mbps_c(r, p));
	if (r->pmu) {
		s2b_out_c2(b, 9, s2b_per_op_c(r->cycles, r->ops));
		s2b_out_c2(b, 9, s2b_per_op_c(r->insns, r->ops));
	} else {
		s2b_out(b, " %8s %8s", "-", "-");
	}
	s2b_out(b, "\n");
}

static void s2b_format_keys(struct s2b_buf *b, const struct s2b_res *r, int p, int m, int k)
{
	char key[32];

	snprintf(key, sizeof(key), "%s.%s.%s", s2b_pat_name[p], s2b_map_name[m],
		 s2b_cost_name[k]);
	s2b_out(b, "%s.batch=%u\n", key, r->batch);
	s2b_out(b, "%s.ops=%llu\n", key, r->ops);
	s2b_out(b, "%s.ns_min=", key);
	s2b_out_c2(b, 0, r->ps_min / 10);
	s2b_out(b, "\n%s.ns_median=", key);
	s2b_out_c2(b, 0, r->ps_med / 10);
	s2b_out(b, "\n%s.ns_p99=", key);
	s2b_out_c2(b, 0, r->ps_p99 / 10);
	s2b_out(b, "\n%s.ops_per_s=%llu\n", key, s2b_ops_per_s(r));
	s2b_out(b, "%s.mb_per_s=", key);
	s2b_out_c2(b, 0, s2b_mbps_c(r, p));
	s2b_out(b, "\n");
	if (r->pmu) {
		s2b_out(b, "%s.cycles_per_op=", key);
		s2b_out_c2(b, 0, s2b_per_op_c(r->cycles, r->ops));
		s2b_out(b, "\n%s.instructions_per_op=", key);
		s2b_out_c2(b, 0, s2b_per_op_c(r->insns, r->ops));
		s2b_out(b, "\n");
	}
}

static void s2b_format(struct s2b_buf *b, struct s2b_res res[][S2B_NR_MAP][S2B_NR_COST],
		       u64 freq, unsigned int nb, bool pmu, unsigned int bf_half)
{
	struct s2b_target *t = &s2b_tgt;
	u32 maxbatch = 0;
	int p, m, k;

	s2b_out(b, "s2bench: %s BAR %u window 0x%llx+0x%llx, counter %llu Hz (%s), ",
		pci_name(t->pdev), t->bar, t->offset, t->len, freq, s2b_clock);
	s2b_out(b, "%u batches of ~%llu us\n", nb, S2B_BATCH_TARGET_NS / 1000);
	s2b_out(b, "%-9s %-3s %-7s %7s %11s %11s %11s %11s %11s %9s %9s\n",
		"pattern", "map", "cost", "batch", "min_ns", "median_ns", "p99_ns",
		"ops/s", "MB/s", "cyc/op", "ins/op");
	for (p = 0; p < S2B_NR_PAT; p++)
		for (m = 0; m < S2B_NR_MAP; m++)
			for (k = 0; k < S2B_NR_COST; k++) {
				s2b_format_row(b, &res[p][m][k], p, m, k);
				maxbatch = max(maxbatch, res[p][m][k].batch);
			}
	s2b_out(b, "dev/wc median ratio:");
	for (p = 0; p < S2B_NR_PAT; p++)
		for (k = 0; k < S2B_NR_COST; k++) {
			s2b_out(b, " %s/%s ", s2b_pat_name[p], s2b_cost_name[k]);
			s2b_out_c2(b, 0, s2b_ratio_c(res, p, k));
		}
	s2b_out(b, "\n\n");

	s2b_out(b, "target=%s\nbar=%u\noffset=0x%llx\nlen=0x%llx\n",
		pci_name(t->pdev), t->bar, t->offset, t->len);
	s2b_out(b, "force=%d\n", t->force);
	s2b_out(b, "cntfrq=%llu\n", freq);
	s2b_out(b, "clock=%s\n", s2b_clock);
	s2b_out(b, "batch=%u\n", maxbatch);
	s2b_out(b, "batch_target_ns=%llu\n", S2B_BATCH_TARGET_NS);
	s2b_out(b, "iterations=%u\n", nb);
	s2b_out(b, "batches=%u\n", nb);
	s2b_out(b, "bf_half=%u\n", bf_half);
	s2b_out(b, "drain_read=%s\n", s2b_aliases_ok() ? "dev" : "same");
	s2b_out(b, "pmu=%s\n", pmu ? "available" : "unavailable");
	for (p = 0; p < S2B_NR_PAT; p++) {
		s2b_out(b, "%s.bytes_per_op=%u\n", s2b_pat_name[p], s2b_pat_bytes[p]);
		for (m = 0; m < S2B_NR_MAP; m++)
			for (k = 0; k < S2B_NR_COST; k++)
				s2b_format_keys(b, &res[p][m][k], p, m, k);
	}
	for (p = 0; p < S2B_NR_PAT; p++)
		for (k = 0; k < S2B_NR_COST; k++) {
			s2b_out(b, "ratio.%s.%s=", s2b_pat_name[p], s2b_cost_name[k]);
			s2b_out_c2(b, 0, s2b_ratio_c(res, p, k));
			s2b_out(b, "\n");
		}
}

/*
 * The BlueFlame register is the window rounded down to a power of two, split
 * in two halves like mlx5's bf_buf_size = (1 << log_bf_reg_size) / 2.
 */
static unsigned int s2b_bf_half(u64 len)
{
	return rounddown_pow_of_two(len) / 2;
}

/* Set the mapping under test and the drain-read mapping for phase m. */
static int s2b_phase_begin(struct s2b_target *t, int m, struct s2b_ctx *c)
{
	if (s2b_aliases_ok()) {
		c->map = m == S2B_WC ? t->wc : t->dev;
		c->rd = t->dev;
		return 0;
	}
	c->map = m == S2B_WC ? ioremap_wc(t->phys, t->len) : ioremap(t->phys, t->len);
	c->rd = c->map;
	if (!c->map) {
		pr_err("cannot map %s BAR %u window for the %s phase\n",
		       pci_name(t->pdev), t->bar, s2b_map_name[m]);
		return -ENOMEM;
	}
	return 0;
}

static void s2b_phase_end(struct s2b_target *t, struct s2b_ctx *c)
{
	if (!s2b_aliases_ok())
		iounmap(c->map);
	c->map = NULL;
	c->rd = NULL;
}

/* Called with s2b_lock held and a target set. */
static int s2b_run(unsigned int nb)
{
	struct s2b_res (*res)[S2B_NR_MAP][S2B_NR_COST] = NULL;
	struct s2b_target *t = &s2b_tgt;
	struct s2b_pmu pmu = { };
	struct s2b_ctx c = { };
	struct s2b_buf out = { };
	struct s2b_mem *mem = NULL;
	u64 freq = s2b_freq();
	u64 *samples = NULL;
	bool pmu_any = false;
	int p, m, k, ret;
	char *old;

	if (!freq) {
		pr_err("no usable cycle counter frequency\n");
		return -EOPNOTSUPP;
	}
	ret = -ENOMEM;
	samples = kvmalloc_array(nb, sizeof(*samples), GFP_KERNEL);
	res = kcalloc(S2B_NR_PAT, sizeof(*res), GFP_KERNEL);
	mem = kcalloc(1, sizeof(*mem), GFP_KERNEL);
	out.size = S2B_RESULTS_SIZE;
	out.p = kvzalloc(out.size, GFP_KERNEL);
	if (!samples || !res || !mem || !out.p)
		goto out;
	c.wqe = &mem->wqe;
	c.dbrec = &mem->dbrec;

	pmu.cycles = s2b_pmu_open(PERF_COUNT_HW_CPU_CYCLES);
	pmu.insns = s2b_pmu_open(PERF_COUNT_HW_INSTRUCTIONS);

	c.len = t->len;
	c.bf_half = s2b_bf_half(t->len);
	c.wqe->dw[1] = cpu_to_be32(1);	/* "qpn/ds": one 16-byte segment */

	for (p = 0; p < S2B_NR_PAT; p++)
		for (m = 0; m < S2B_NR_MAP; m++) {
			ret = s2b_phase_begin(t, m, &c);
			if (ret)
				goto out;
			for (k = 0; k < S2B_NR_COST; k++) {
				c.pc = 0;
				c.bf_off = 0;
				c.stream_off = 0;
				ret = s2b_measure(&c, p, k == S2B_DRAINED, freq, nb, samples,
						  &pmu, &res[p][m][k]);
				if (ret)
					break;
				pmu_any |= res[p][m][k].pmu;
			}
			s2b_phase_end(t, &c);
			if (ret)
				goto out;
		}

	s2b_format(&out, res, freq, nb, pmu_any, c.bf_half);
	mutex_lock(&s2b_text_lock);
	old = s2b_results;
	s2b_results = out.p;
	mutex_unlock(&s2b_text_lock);
	out.p = old;
	ret = 0;
	pr_info("run of %u batches on %s done\n", nb, pci_name(t->pdev));
out:
	s2b_pmu_close(&pmu);
	kvfree(out.p);
	kfree(mem);
	kfree(res);
	kvfree(samples);
	return ret;
}

/* ---- debugfs ---- */
static ssize_t s2b_copy_cmd(char *buf, size_t size, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	if (*ppos || count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return 0;
}

static ssize_t s2b_target_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	char buf[sizeof(s2b_target_str)];

	mutex_lock(&s2b_text_lock);
	strscpy(buf, s2b_target_str, sizeof(buf));
	mutex_unlock(&s2b_text_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, strlen(buf));
}

static ssize_t s2b_target_write(struct file *f, const char __user *ubuf, size_t count,
				loff_t *ppos)
{
	struct s2b_spec sp, old;
	char buf[128];
	ssize_t ret;
	bool had;

	ret = s2b_copy_cmd(buf, sizeof(buf), ubuf, count, ppos);
	if (ret)
		return ret;
	ret = s2b_parse_target(buf, &sp);
	if (ret)
		return ret;
	if (mutex_lock_interruptible(&s2b_lock))
		return -EINTR;
	/*
	 * The old target is released first (the new one may be the same BAR),
	 * and put back if the new one is refused.
	 */
	had = !!s2b_tgt.pdev;
	old = s2b_tgt.spec;
	s2b_detach();
	if (!sp.none) {
		ret = s2b_attach(&sp);
		if (ret && had && s2b_attach(&old))
			pr_err("the previous target could not be restored either\n");
		else if (ret && had)
			pr_info("kept the previous target\n");
	}
	mutex_unlock(&s2b_lock);
	return ret ? ret : count;
}

static const struct file_operations s2b_target_fops = {
	.owner = THIS_MODULE,
	.read = s2b_target_read,
	.write = s2b_target_write,
	.llseek = default_llseek,
};

static ssize_t s2b_run_write(struct file *f, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	unsigned int nb = READ_ONCE(batches);
	char buf[64], *s = buf, *tok;
	ssize_t ret;

	ret = s2b_copy_cmd(buf, sizeof(buf), ubuf, count, ppos);
	if (ret)
		return ret;
	/* "1", "run" or "run N" */
	tok = s2b_token(&s);
	if (!tok)
		goto bad;
	if (!strcmp(tok, "run")) {
		tok = s2b_token(&s);
		if (tok && kstrtouint(tok, 0, &nb))
			goto bad;
	} else if (strcmp(tok, "1")) {
		goto bad;
	}
	if (s2b_token(&s) || nb < 1 || nb > S2B_MAX_BATCHES)
		goto bad;

	if (mutex_lock_interruptible(&s2b_lock))
		return -EINTR;
	if (!s2b_tgt.pdev) {
		pr_err("no target: write 'DDDD:BB:SS.F BAR OFFSET LEN' to /sys/kernel/debug/s2bench/target first\n");
		ret = -ENODEV;
	} else {
		ret = s2b_run(nb);
	}
	mutex_unlock(&s2b_lock);
	return ret ? ret : count;
bad:
	pr_err("usage: echo 1 > run, or echo 'run [ITERATIONS]' > run (ITERATIONS = timed batches per case, 1..%d)\n",
	       S2B_MAX_BATCHES);
	return -EINVAL;
}

static const struct file_operations s2b_run_fops = {
	.owner = THIS_MODULE,
	.write = s2b_run_write,
	.llseek = noop_llseek,
};

/* Each open takes a private copy, so reads during a run are consistent. */
static int s2b_results_open(struct inode *inode, struct file *f)
{
	static const char none[] = "no results: write 'run' to /sys/kernel/debug/s2bench/run\n";
	const char *src;
	size_t n;
	char *copy;

	mutex_lock(&s2b_text_lock);
	src = s2b_results ? s2b_results : none;
	n = strlen(src);
	copy = kvmalloc(n + 1, GFP_KERNEL);
	if (copy)
		memcpy(copy, src, n + 1);
	mutex_unlock(&s2b_text_lock);
	if (!copy)
		return -ENOMEM;
	f->private_data = copy;
	return 0;
}

static ssize_t s2b_results_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	const char *s = f->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, s, strlen(s));
}

static int s2b_results_release(struct inode *inode, struct file *f)
{
	kvfree(f->private_data);
	return 0;
}

static const struct file_operations s2b_results_fops = {
	.owner = THIS_MODULE,
	.open = s2b_results_open,
	.read = s2b_results_read,
	.release = s2b_results_release,
	.llseek = default_llseek,
};

static int __init s2b_init(void)
{
	struct s2b_spec sp = { };
	int ret = 0;

	s2b_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("target", 0600, s2b_dir, NULL, &s2b_target_fops);
	debugfs_create_file("run", 0200, s2b_dir, NULL, &s2b_run_fops);
	debugfs_create_file("results", 0400, s2b_dir, NULL, &s2b_results_fops);

	if (!bdf || !*bdf)
		return 0;
	if (s2b_parse_bdf(bdf, &sp)) {
		pr_err("bad bdf='%s': use DDDD:BB:SS.F\n", bdf);
		ret = -EINVAL;
		goto fail;
	}
	sp.bar = bar;
	sp.offset = offset;
	sp.len = len;
	sp.force = force;
	mutex_lock(&s2b_lock);
	ret = s2b_attach(&sp);
	mutex_unlock(&s2b_lock);
	if (ret)
		goto fail;
	return 0;
fail:
	debugfs_remove_recursive(s2b_dir);
	return ret;
}

static void __exit s2b_exit(void)
{
	debugfs_remove_recursive(s2b_dir);
	mutex_lock(&s2b_lock);
	s2b_detach();
	mutex_unlock(&s2b_lock);
	kvfree(s2b_results);
}

module_init(s2b_init);
module_exit(s2b_exit);
MODULE_DESCRIPTION("Time doorbell writes to a PCI BAR mapped write-combining vs device");
MODULE_AUTHOR("s2probe project");
MODULE_LICENSE("GPL");
