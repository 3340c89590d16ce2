// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench - time mlx5-style doorbell and BlueFlame posts to a page of a PCI
 * memory BAR mapped twice: write-combining (ioremap_wc: Normal-NC on arm64,
 * PAT WC on x86) and device (ioremap: Device-nGnRE on arm64, UC on x86).
 *
 * The write sequences are bench/s2wr.h's, each named after the code it
 * mirrors. WC and Device batches alternate (pairs, WC first and Device
 * first in turn), each batch with interrupts off. The module computes no
 * statistic: it publishes each batch's time per post (debugfs samples), and
 * bench/s2stats, in user space, computes every figure for this module and
 * for s2wc alike. Costs, per op:
 *   serialized  the post alone; its own barrier (wmb, dsb st) waits for the
 *               previous post's stores, so ops do not overlap
 *   readback    the post, wmb() and a readl() of the page through the Device
 *               mapping: one doorbell's round trip
 *
 * debugfs: /sys/kernel/debug/s2bench/{target,run,results,samples,s1}
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include <linux/completion.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/cpumask.h>
#include <linux/pci.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/version.h>
#include <asm/barrier.h>
#if defined(CONFIG_ARM64)
#include <asm/cpufeature.h>
#include <asm/cputype.h>
#include <asm/neon.h>
#include <asm/simd.h>
#include <asm/sysreg.h>
#elif defined(CONFIG_X86)
#include <asm/cpufeature.h>
#include <asm/tsc.h>
#endif

#include "../s2probe.h"
#include "s2wr.h"

#define S2B_BATCH_TARGET_NS	100000ULL	/* aimed batch length, IRQs off */
#define S2B_BATCH_MAX		BIT(20)		/* ops per batch, upper bound */
#define S2B_WARMUP_OPS		16	/* single-op batches before calibrating */
#define S2B_DEF_BATCHES		200
#define S2B_MAX_BATCHES		2000
#define S2B_RESULTS_SIZE	(128 * 1024)
#define S2B_PS_PER_S		1000000000000ULL
#define S2B_NS_PER_S		1000000000ULL
#define S2B_MAX_THREADS		16
#define S2B_TPUT_NS		2000000ULL	/* a throughput round, per side */
#define S2B_TPUT_CHUNK		16		/* posts between clock reads */

#if !defined(CONFIG_ARM64) && !defined(CONFIG_X86_64)
#error "s2bench supports arm64 and x86_64 (bench/s2wr.h has their write sequences)"
#endif

/* ---- Compat and CPU features: every version difference lives here ---- */
#if defined(CONFIG_ARM64)
/* Kernel-mode NEON: 7.x takes a state buffer (6.12 does not; keyed at 6.19). */
#if KERNEL_VERSION(6, 19, 0) <= LINUX_VERSION_CODE
struct s2b_simd {
	struct user_fpsimd_state st;
};

static void s2b_simd_begin(struct s2b_simd *s)
{
	kernel_neon_begin(&s->st);
}

static void s2b_simd_end(struct s2b_simd *s)
{
	kernel_neon_end(&s->st);
}
#else
struct s2b_simd {
	int unused;
};

static void s2b_simd_begin(struct s2b_simd *s)
{
	kernel_neon_begin();
}

static void s2b_simd_end(struct s2b_simd *s)
{
	kernel_neon_end();
}
#endif

static const char *s2b_simd_missing(void)
{
	if (!cpu_has_neon())
		return "no FP/SIMD unit";
	if (!may_use_simd())
		return "kernel-mode SIMD not usable here";
	return NULL;
}

/* ST64B faults unless the kernel enabled it (SCTLR_EL1.EnALS, 7.x). */
static const char *s2b_ls64_missing(void)
{
#ifdef ARM64_HAS_LS64
	if (cpus_have_final_cap(ARM64_HAS_LS64))
		return NULL;
	return "no FEAT_LS64 (ARM64_HAS_LS64 not set)";
#else
	return "no FEAT_LS64: this kernel does not enable it (7.x does)";
#endif
}

static void s2b_cpu_id(char *buf, size_t size)
{
	snprintf(buf, size, "midr=0x%08x", read_cpuid_id());
}

/* Device-nGnRnE, as pgprot_noncached(): rdma-core's non-WC UAR mapping */
static void __iomem *s2b_ioremap_np(phys_addr_t phys, size_t size)
{
	return ioremap_np(phys, size);
}

static const char * const s2b_dev_mapping[2] = {
	"ioremap: Device-nGnRE (the kernel's mlx5 UAR mapping)",
	"ioremap_np: Device-nGnRnE (rdma-core's non-WC UAR, pgprot_noncached)",
};

/*
 * The stage-1 read: the leaf descriptor that maps va in the table at pgd
 * (pgd_offset_pgd() as the kernel's own walks, runtime folding included),
 * the size it maps and the physical address va has through it. Every table
 * pointer is checked to be in the linear map before it is read.
 */
struct s2b_s1 {
	u64 desc;			/* 0: no valid leaf found */
	unsigned long size;
	phys_addr_t pa;
	const char *why;		/* why there is no descriptor */
};

static void s2b_s1_walk(pgd_t *base, unsigned long va, struct s2b_s1 *o)
{
	pgd_t *pgdp = pgd_offset_pgd(base, va);
	p4d_t *p4dp;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	pte_t *ptep, pte;

	memset(o, 0, sizeof(*o));
	o->why = "no valid leaf descriptor";
	if (!virt_addr_valid(pgdp) || pgd_none(READ_ONCE(*pgdp)) || pgd_bad(READ_ONCE(*pgdp)))
		return;
	p4dp = p4d_offset(pgdp, va);
	if (!virt_addr_valid(p4dp) || p4d_none(READ_ONCE(*p4dp)) || p4d_bad(READ_ONCE(*p4dp)))
		return;
	pudp = pud_offset(p4dp, va);
	if (!virt_addr_valid(pudp))
		return;
	pud = READ_ONCE(*pudp);
	if (pud_none(pud))
		return;
	if (pud_leaf(pud)) {
		o->desc = pud_val(pud);
		o->size = PUD_SIZE;
		o->pa = __pte_to_phys(pud_pte(pud));
		goto found;
	}
	if (pud_bad(pud))
		return;
	pmdp = pmd_offset(pudp, va);
	if (!virt_addr_valid(pmdp))
		return;
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd))
		return;
	if (pmd_leaf(pmd)) {
		o->desc = pmd_val(pmd);
		o->size = PMD_SIZE;
		o->pa = __pte_to_phys(pmd_pte(pmd));
		goto found;
	}
	if (pmd_bad(pmd))
		return;
	ptep = pte_offset_kernel(pmdp, va);
	if (!virt_addr_valid(ptep))
		return;
	pte = READ_ONCE(*ptep);
	if (!pte_valid(pte))
		return;
	o->desc = pte_val(pte);
	o->size = PAGE_SIZE;
	o->pa = __pte_to_phys(pte);
found:
	o->pa = (o->pa & ~((phys_addr_t)o->size - 1)) | (va & (o->size - 1));
	o->why = NULL;
}

/*
 * A kernel VA: the table TTBR1_EL1 points at (swapper_pg_dir; BADDR [47:2],
 * PA[51:48] in [5:2] with 52-bit PAs; page aligned, which also drops the
 * offset 48-bit hardware under a 52-bit VA kernel adds).
 */
static void s2b_s1_kernel(const void *va, struct s2b_s1 *o)
{
	u64 ttbr = read_sysreg(ttbr1_el1);
	phys_addr_t pa = ttbr & GENMASK_ULL(47, 6);

	if (IS_ENABLED(CONFIG_ARM64_PA_BITS_52))
		pa |= (ttbr & GENMASK_ULL(5, 2)) << 46;
	s2b_s1_walk((pgd_t *)__va(pa & PAGE_MASK), (unsigned long)va, o);
}

/* A user VA of the calling process, under its mmap lock. */
static void s2b_s1_user(unsigned long va, struct s2b_s1 *o)
{
	struct mm_struct *mm = current->mm;

	memset(o, 0, sizeof(*o));
	o->why = "no user address space";
	if (!mm)
		return;
	mmap_read_lock(mm);
	s2b_s1_walk(mm->pgd, va, o);
	mmap_read_unlock(mm);
}

static u64 s2b_mair(void)
{
	return read_sysreg(mair_el1);
}
#else /* CONFIG_X86_64 */
struct s2b_simd {
	int unused;
};

static void s2b_simd_begin(struct s2b_simd *s)
{
}

static void s2b_simd_end(struct s2b_simd *s)
{
}

static const char *s2b_simd_missing(void)
{
	return NULL;
}

static void s2b_cpu_id(char *buf, size_t size)
{
	snprintf(buf, size, "family=%u model=0x%x", boot_cpu_data.x86,
		 boot_cpu_data.x86_model);
}

/* UC, as pgprot_noncached(): rdma-core's non-WC UAR mapping */
static void __iomem *s2b_ioremap_np(phys_addr_t phys, size_t size)
{
	return ioremap_uc(phys, size);
}

static const char * const s2b_dev_mapping[2] = {
	"ioremap: UC- (the kernel's mlx5 UAR mapping)",
	"ioremap_uc: UC (rdma-core's non-WC UAR, pgprot_noncached)",
};

/* x86: the type is PAT's; reading it is not done here */
struct s2b_s1 {
	u64 desc;
	unsigned long size;
	phys_addr_t pa;
	const char *why;
};

static void s2b_s1_kernel(const void *va, struct s2b_s1 *o)
{
	memset(o, 0, sizeof(*o));
	o->why = "x86: the PAT type is not read";
}

static void s2b_s1_user(unsigned long va, struct s2b_s1 *o)
{
	s2b_s1_kernel(NULL, o);
}

static u64 s2b_mair(void)
{
	return 0;
}
#endif

/*
 * A stage-1 read as text: "desc=... type=NAME" (s2probe.h's decoder on the
 * MAIR_EL1 byte the descriptor's AttrIndx selects), or "unread: why". The
 * walk must end at want, the physical address mapped, or it is not trusted.
 */
static void s2b_s1_text(const struct s2b_s1 *o, phys_addr_t want, char *buf, size_t size)
{
	u64 mair = s2b_mair();
	struct s2p_mt mt;
	char type[32];
	int n;

	if (o->why) {
		snprintf(buf, size, "unread: %s", o->why);
		return;
	}
	if (o->pa != want) {
		snprintf(buf, size, "unread: the walk ended at %pa, not %pa", &o->pa, &want);
		return;
	}
	s2p_s1_desc_mt(o->desc, mair, &mt);
	n = scnprintf(buf, size, "desc=0x%016llx size=0x%lx attrindx=%u ", o->desc, o->size,
		      s2p_s1_attrindx(o->desc));
	scnprintf(buf + n, size - n, "mair_el1=0x%016llx attr=0x%02x type=%s", mair,
		  s2p_s1_attr(o->desc, mair), s2p_mt_name(&mt, type, sizeof(type)));
}

/* Why sequence s cannot run on this CPU and kernel, or NULL. */
static const char *s2b_seq_missing(enum s2w_seq s)
{
#if defined(CONFIG_ARM64)
	if (s == S2W_BF_ST64B)
		return s2b_ls64_missing();
#else
	if (s == S2W_BF_MOVDIR64B && !boot_cpu_has(X86_FEATURE_MOVDIR64B))
		return "no MOVDIR64B";
#endif
	if (s2w_seqs[s].simd != S2W_SIMD_NONE)
		return s2b_simd_missing();
	return NULL;
}

/* ---- timing ---- */
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
#else
static __always_inline u64 s2b_now(void)
{
	return rdtsc_ordered();
}

static u64 s2b_freq(void)
{
	return (u64)tsc_khz * 1000;
}

static const char s2b_clock[] = "tsc";
#endif

/*
 * x86 PAT keeps one memory type per physical range: a second ioremap of the
 * window with another type silently gets the first one's (UC- for both), so
 * there the window is mapped once per batch side, and the read-back goes
 * through the mapping under test. arm64 holds a Device and a Normal-NC alias
 * at once; the read-back then always uses the Device one.
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
static unsigned long offset = ULONG_MAX;
module_param(offset, ulong, 0444);
MODULE_PARM_DESC(offset, "window offset in the BAR, 4 KiB aligned; required unless the device is a test device (ivshmem, pci-testdev); a ConnectX needs a UAR page at 0x3000 or above");
static unsigned long len = S2W_PAGE;
module_param(len, ulong, 0444);
MODULE_PARM_DESC(len, "window length, at least and by default one 4 KiB page");
static bool force;
module_param(force, bool, 0444);
MODULE_PARM_DESC(force, "use the device even if a driver is bound to it");
static unsigned int batches = S2B_DEF_BATCHES;
module_param(batches, uint, 0644);
MODULE_PARM_DESC(batches, "default number of WC/Device batch pairs for 'run'");

/* ---- state ---- */
struct s2b_spec {
	unsigned int dom, bus, slot, fn;
	unsigned int bar;
	u64 offset, len;
	bool offset_given;
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
	struct s2w_target chk;		/* what s2w_check() accepted */
	void __iomem *dev;		/* ioremap(), if s2b_aliases_ok() */
	void __iomem *wc;		/* ioremap_wc(), if s2b_aliases_ok() */
	void __iomem *np;		/* ioremap_np(), if s2b_aliases_ok() */
};

/* s2b_lock serialises target changes and runs. */
static DEFINE_MUTEX(s2b_lock);
static struct s2b_target s2b_tgt;

/* s2b_text_lock protects the published texts; held only briefly. */
static DEFINE_MUTEX(s2b_text_lock);
static char *s2b_results;
static char *s2b_samples;		/* the last run's raw per-batch samples */
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

static void s2b_unmap(struct s2b_target *t)
{
	if (t->wc)
		iounmap(t->wc);
	if (t->dev)
		iounmap(t->dev);
	if (t->np)
		iounmap(t->np);
	t->wc = NULL;
	t->dev = NULL;
	t->np = NULL;
}

static void s2b_detach(void)
{
	struct s2b_target *t = &s2b_tgt;

	if (!t->pdev)
		return;
	s2b_unmap(t);
	if (t->region)
		pci_release_region(t->pdev, t->bar);
	if (t->enabled)
		pci_disable_device(t->pdev);
	pr_info("released %s BAR %u\n", pci_name(t->pdev), t->bar);
	pci_dev_put(t->pdev);
	memset(t, 0, sizeof(*t));
	s2b_set_target_str();
}

/*
 * bench/s2wr.h's window rules (s2w_check), with the error each refusal
 * returns and a line that says what to do.
 */
static const int s2b_refusal_err[S2W_NR_REFUSAL] = {
	[S2W_E_ALIGN] = -EINVAL, [S2W_E_SHORT] = -EINVAL,
	[S2W_E_OUTSIDE] = -EINVAL, [S2W_E_NO_OFFSET] = -EPERM,
	[S2W_E_CX_BAR] = -EPERM, [S2W_E_CX_INIT] = -EPERM,
	[S2W_E_CX_BOUND] = -EBUSY, [S2W_E_BOUND] = -EBUSY,
	[S2W_E_VERIFY] = -EPERM,
};

/* t checked: 0, or the refusal's error after a dmesg line saying what to do */
static int s2b_check(struct pci_dev *pdev, const struct s2w_target *t, const char *drv)
{
	enum s2w_refusal r = s2w_check(t);

	if (r == S2W_OK)
		return 0;
	pr_err("%s [%04x:%04x] BAR %u window 0x%llx+0x%llx (BAR size 0x%llx)%s: refused: %s (%s)\n",
	       pci_name(pdev), t->vendor, t->device, t->bar, t->offset, t->len, t->bar_len,
	       t->verify ? ", verify" : "", s2w_refusal_text[r], s2w_refusal_hint[r]);
	if (r == S2W_E_BOUND || r == S2W_E_CX_BOUND)
		pr_err("unbind: echo %s > /sys/bus/pci/drivers/%s/unbind\n", pci_name(pdev), drv);
	return s2b_refusal_err[r];
}

static int s2b_refuse(struct pci_dev *pdev, const struct s2b_spec *sp, u64 blen,
		      const char *drv, struct s2w_target *t)
{
	*t = (struct s2w_target){
		.vendor = pdev->vendor, .device = pdev->device, .bar = sp->bar,
		.bar_len = blen, .offset = sp->offset, .len = sp->len,
		.offset_given = sp->offset_given, .bound = !!drv, .force = sp->force,
	};
	return s2b_check(pdev, t, drv);
}

/*
 * Map the window every way it is timed, or (x86) only check that it can be
 * mapped: ioremap_wc, ioremap (the kernel's mlx5 UAR mapping) and, for the
 * rdma-core sequences, ioremap_np: rdma-core's non-WC UAR is mmapped by
 * mlx5_ib with pgprot_noncached, Device-nGnRnE on arm64.
 */
static int s2b_map(struct s2b_target *t)
{
	void __iomem *p;

	if (s2b_aliases_ok()) {
		t->dev = ioremap(t->phys, t->len);
		t->wc = ioremap_wc(t->phys, t->len);
		t->np = s2b_ioremap_np(t->phys, t->len);
		return t->dev && t->wc && t->np ? 0 : -ENOMEM;
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
	memset(t, 0, sizeof(*t));
	t->bar = sp->bar;
	t->offset = sp->offset;
	t->len = sp->len;
	t->phys = start + sp->offset;
	t->force = sp->force;

	/* Hold the device lock so no driver binds while we claim the BAR. */
	device_lock(&pdev->dev);
	drv = pdev->dev.driver ? pdev->dev.driver->name : NULL;
	ret = s2b_refuse(pdev, sp, blen, drv, &t->chk);
	if (ret) {
		device_unlock(&pdev->dev);
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
	s2b_unmap(t);
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
	"usage: echo 'DDDD:BB:SS.F BAR OFFSET [LEN] [force]' > target, or 'none'\n";

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
	if (n < 3)
		goto bad;
	if (!strcmp(tok[n - 1], "force")) {
		sp->force = true;
		n--;
	}
	if (n < 3 || n > 4)
		goto bad;
	if (s2b_parse_bdf(tok[0], sp) || kstrtouint(tok[1], 0, &sp->bar) ||
	    kstrtou64(tok[2], 0, &sp->offset))
		goto bad;
	sp->offset_given = true;
	sp->len = S2W_PAGE;
	if (n == 4 && kstrtou64(tok[3], 0, &sp->len))
		goto bad;
	return 0;
bad:
	pr_err("%s", s2b_target_usage);
	return -EINVAL;
}

/* ---- the timed batches ---- */
struct s2b_ctx {
	void __iomem *map;		/* mapping under test */
	void __iomem *rd;		/* read-back: dev mapping (x86: map) */
	struct s2w_post *post;		/* WQE, doorbell record, buffer toggle */
	struct s2b_simd *simd;		/* kernel-mode SIMD state */
};

static __always_inline void s2b_ops(enum s2w_seq s, struct s2b_ctx *c, bool readback, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		/* mlx5's self-test: kernel_neon_begin/end around each post */
		if (s2w_seqs[s].simd == S2W_SIMD_POST)
			s2b_simd_begin(c->simd);
		s2w_op(s, c->map, c->post);
		if (s2w_seqs[s].simd == S2W_SIMD_POST)
			s2b_simd_end(c->simd);
		if (readback) {
			/* the posted writes complete before the read returns */
			s2w_wmb();
			(void)readl(c->rd + S2W_BF_OFFSET);
		}
	}
}

/*
 * Interrupts stay off around a batch, unless its posts each enter
 * kernel-mode SIMD, which needs them on (may_use_simd()): those batches run
 * with preemption off instead.
 */
static bool s2b_irqs_off(enum s2w_seq s)
{
	return s2w_seqs[s].simd != S2W_SIMD_POST;
}

/*
 * One batch of n ops of sequence s; returns counter ticks. One function per
 * sequence (s2b_batch_<name>), each inlining its sequence with a constant
 * s, so that the instructions built can be read back with objdump
 * (bench/disasm; the results name the symbol).
 */
static __always_inline u64 s2b_timed(enum s2w_seq s, struct s2b_ctx *c, bool readback, u32 n)
{
	unsigned long flags = 0;
	u64 t0, t1;

	if (s2b_irqs_off(s))
		local_irq_save(flags);
	else
		preempt_disable();
	t0 = s2b_now();
	s2b_ops(s, c, readback, n);
	/* dsb st / sfence: the batch's stores are complete before the counter */
	s2w_wmb();
	t1 = s2b_now();
	if (s2b_irqs_off(s))
		local_irq_restore(flags);
	else
		preempt_enable();
	return t1 - t0;
}

#define S2B_BATCH_FN(fn, seq)							\
static noinline u64 s2b_batch_##fn(struct s2b_ctx *c, bool readback, u32 n)	\
{										\
	return s2b_timed(seq, c, readback, n);					\
}

S2W_FOR_EACH_SEQ(S2B_BATCH_FN)

typedef u64 (*s2b_batch_fn)(struct s2b_ctx *c, bool readback, u32 n);

#define S2B_BATCH(fn, seq)	\
	[seq] = { s2b_batch_##fn, "s2b_batch_" #fn },
static const struct {
	s2b_batch_fn fn;
	const char *sym;
} s2b_batches[S2W_NR_SEQ] = {
	S2W_FOR_EACH_SEQ(S2B_BATCH)
};

static u64 s2b_batch(struct s2b_ctx *c, enum s2w_seq s, bool readback, u32 n)
{
	return s2b_batches[s].fn(c, readback, n);
}

static u64 s2b_ticks_to_ns(u64 ticks, u64 freq)
{
	return mul_u64_u64_div_u64(ticks, S2B_NS_PER_S, freq);
}

struct s2b_pmu {
	struct perf_event *cycles, *insns;
};

/* One case: a sequence and a cost, both mappings. */
struct s2b_res {
	const char *skip;		/* why it did not run, or NULL */
	u32 batch;			/* ops per batch */
	u32 pairs;
	u64 cycles[S2W_NR_MAP], insns[S2W_NR_MAP];	/* PMU totals of the timed batches */
	bool pmu;
};

/* Everything one run needs, allocated once. */
struct s2b_run {
	struct s2b_target *t;
	struct s2b_ctx c;
	struct s2w_post *post;
	struct s2b_pmu pmu;
	struct s2b_simd *simd;
	u64 freq;
	u32 pairs;
	unsigned int bytes;		/* BlueFlame copy: 64, 128 or 256 */
	int cpu;			/* the CPU the run is pinned to */
	u32 migrations;			/* batches that ran elsewhere (0) */
	enum s2w_seq seq;		/* the sequence being run */
	u64 *ps[S2W_NR_MAP];		/* per-op picoseconds of each batch */
	struct s2b_res res[S2W_NR_SEQ][S2W_NR_COST];
	u32 threads;			/* throughput mode: 0, or threads */
	bool tput_ran[S2W_NR_SEQ];
	int tput_cpu[S2B_MAX_THREADS];
};

/* Set the mapping under test and the read-back mapping for side m. */
static int s2b_side_begin(struct s2b_run *r, int m)
{
	struct s2b_target *t = r->t;

	bool rdma = s2w_seqs[r->seq].style == S2W_RDMA;

	if (s2b_aliases_ok()) {
		r->c.map = m == S2W_WC ? t->wc : rdma ? t->np : t->dev;
		r->c.rd = t->dev;
		return 0;
	}
	if (m == S2W_WC)
		r->c.map = ioremap_wc(t->phys, t->len);
	else
		r->c.map = rdma ? s2b_ioremap_np(t->phys, t->len) : ioremap(t->phys, t->len);
	r->c.rd = r->c.map;
	if (!r->c.map) {
		pr_err("cannot map %s BAR %u window for the %s side\n",
		       pci_name(t->pdev), t->bar, s2w_map_name[m]);
		return -ENOMEM;
	}
	return 0;
}

static void s2b_side_end(struct s2b_run *r)
{
	if (!s2b_aliases_ok() && r->c.map)
		iounmap(r->c.map);
	r->c.map = NULL;
	r->c.rd = NULL;
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

/*
 * One timed batch on side m: ticks, and PMU counts added to res. Sequences
 * of user-space code (rdma-core) that use SIMD run between
 * kernel_neon_begin/end, outside the timed window; the self-test's brackets
 * each post, inside it (s2b_ops).
 */
static int s2b_side_batch(struct s2b_run *r, enum s2w_seq s, int k, int m, u32 n,
			  struct s2b_res *res, u64 *ticks)
{
	u64 c0 = 0, i0 = 0, c1, i1;
	bool pmu;
	int ret;

	ret = s2b_side_begin(r, m);
	if (ret)
		return ret;
	pmu = s2b_pmu_read(&r->pmu, &c0, &i0);
	if (s2w_seqs[s].simd == S2W_SIMD_BATCH)
		s2b_simd_begin(r->simd);
	if (raw_smp_processor_id() != r->cpu)
		r->migrations++;
	*ticks = s2b_batch(&r->c, s, k == S2W_READBACK, n);
	if (s2w_seqs[s].simd == S2W_SIMD_BATCH)
		s2b_simd_end(r->simd);
	if (pmu && s2b_pmu_read(&r->pmu, &c1, &i1)) {
		res->cycles[m] += c1 - c0;
		res->insns[m] += i1 - i0;
	} else {
		res->pmu = false;
	}
	s2b_side_end(r);
	return 0;
}

/*
 * Ops per batch so that a Device batch (the slower side, as a rule) takes
 * about S2B_BATCH_TARGET_NS: after single-op warm-up batches, double from 1
 * while the faster of two batches is under a quarter of the target, then
 * scale. No probing batch is much longer than half the target unless one op
 * is (a trapped access in a slow emulator), and then n stays 1.
 */
static int s2b_calibrate(struct s2b_run *r, enum s2w_seq s, int k, struct s2b_res *res, u32 *out)
{
	u64 ns, t1, t2, n = 1;
	int i, ret;

	for (i = 0; i < S2B_WARMUP_OPS; i++) {
		ret = s2b_side_batch(r, s, k, i & 1 ? S2W_WC : S2W_DEV, 1, res, &t1);
		if (ret)
			return ret;
		cond_resched();
	}
	for (;;) {
		ret = s2b_side_batch(r, s, k, S2W_DEV, n, res, &t1);
		if (!ret)
			ret = s2b_side_batch(r, s, k, S2W_DEV, n, res, &t2);
		if (ret)
			return ret;
		ns = s2b_ticks_to_ns(min(t1, t2), r->freq);
		cond_resched();
		if (ns >= S2B_BATCH_TARGET_NS / 4 || n >= S2B_BATCH_MAX)
			break;
		n *= 2;
	}
	n = div64_u64(n * S2B_BATCH_TARGET_NS, max_t(u64, ns, 1));
	*out = clamp_t(u64, n, 1, S2B_BATCH_MAX);
	return 0;
}

/* One case: calibration, then pairs of batches, WC first and Device first in turn. */
static int s2b_case(struct s2b_run *r, enum s2w_seq s, int k)
{
	struct s2b_res *res = &r->res[s][k];
	u64 ticks;
	u32 i, n;
	int j, m, ret;

	s2w_post_init(r->post, r->bytes);
	r->seq = s;
	r->c.post = r->post;
	r->c.simd = r->simd;
	ret = s2b_calibrate(r, s, k, res, &n);
	if (ret)
		return ret;
	memset(res->cycles, 0, sizeof(res->cycles));
	memset(res->insns, 0, sizeof(res->insns));
	res->pmu = r->pmu.cycles && r->pmu.insns;
	res->batch = n;
	res->pairs = r->pairs;
	for (i = 0; i < r->pairs; i++) {
		for (j = 0; j < S2W_NR_MAP; j++) {
			m = (i + j) & 1 ? S2W_DEV : S2W_WC;
			ret = s2b_side_batch(r, s, k, m, n, res, &ticks);
			if (ret)
				return ret;
			r->ps[m][i] = mul_u64_u64_div_u64(ticks, S2B_PS_PER_S, r->freq * n);
		}
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	cond_resched();
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

/* What bench/s2stats needs beside the samples: batch size, PMU totals. */
static void s2b_format_keys(struct s2b_buf *b, const struct s2b_res *r, enum s2w_seq s, int k)
{
	const char *key = s2w_seqs[s].name;
	int m;

	s2b_out(b, "%s.%s.batch=%u\n", key, s2w_cost_name[k], r->batch);
	s2b_out(b, "%s.%s.pairs=%u\n", key, s2w_cost_name[k], r->pairs);
	for (m = 0; r->pmu && m < S2W_NR_MAP; m++)
		s2b_out(b, "%s.%s.%s.cycles=%llu\n%s.%s.%s.instructions=%llu\n", key,
			s2w_cost_name[k], s2w_map_name[m], r->cycles[m], key, s2w_cost_name[k],
			s2w_map_name[m], r->insns[m]);
}

#define S2B_CODE_MAX	2048	/* bytes of a batch function recorded, at most */

/* The size of the function at fn, from kallsyms ("name+0x0/0xSIZE [mod]"), or 0. */
static unsigned long s2b_fn_size(const void *fn)
{
	char sym[KSYM_SYMBOL_LEN], *p, *end;
	unsigned long size;

	sprint_symbol(sym, (unsigned long)fn);
	p = strchr(sym, '/');
	if (!p)
		return 0;
	end = strchr(++p, ' ');
	if (end)
		*end = '\0';
	return kstrtoul(p, 0, &size) ? 0 : size;
}

/*
 * The instructions of a batch function as they are in memory (after any
 * alternatives patching), in hex: bench/disasm --results decodes them.
 */
static void s2b_format_code(struct s2b_buf *b, const char *n, const void *fn)
{
	unsigned long size = min_t(unsigned long, s2b_fn_size(fn), S2B_CODE_MAX);
	const u8 *code = fn;
	unsigned long i;

	s2b_out(b, "seq.%s.code_bytes=%lu\nseq.%s.code=", n, size, n);
	for (i = 0; i < size; i++)
		s2b_out(b, "%02x", code[i]);
	s2b_out(b, "\n");
}

static const char * const s2b_simd_text[] = {
	[S2W_SIMD_NONE] = "none",
	[S2W_SIMD_POST] = "kernel_neon_begin/end around each post, timed",
	[S2W_SIMD_BATCH] = "kernel_neon_begin/end around the batch, not timed (user-space code)",
};

/* What a sequence is, how it was run and where its instructions are. */
static void s2b_format_seq(struct s2b_buf *b, struct s2b_run *r, enum s2w_seq s)
{
	const char *n = s2w_seqs[s].name;
	bool rdma = s2w_seqs[s].style == S2W_RDMA;

	s2b_out(b, "seq.%s.bytes=%u\nseq.%s.mirrors=%s\n", n,
		s2w_seqs[s].bytes == S2W_WQE_BYTES ? r->bytes : s2w_seqs[s].bytes, n,
		s2w_seqs[s].mirrors);
	s2b_out(b, "seq.%s.style=%s\nseq.%s.simd=%s\nseq.%s.irqs=%s\n", n,
		rdma ? "rdma-core" : "kernel", n, s2b_simd_text[s2w_seqs[s].simd], n,
		s2b_irqs_off(s) ? "off" : "on (preemption off)");
	s2b_out(b, "seq.%s.wc_mapping=ioremap_wc\nseq.%s.dev_mapping=%s\n", n, n,
		s2b_dev_mapping[rdma]);
	s2b_out(b, "seq.%s.symbol=%s\n", n, s2b_batches[s].sym);
	s2b_format_code(b, n, s2b_batches[s].fn);
}

#define S2B_S1_TEXT	192

/* The guest's own stage 1 of each mapping the bench times, read. */
static void s2b_format_s1(struct s2b_buf *b, const struct s2b_target *t)
{
	static const char * const name[] = { "wc", "dev", "dev_np" };
	const void __iomem *va[] = { t->wc, t->dev, t->np };
	char text[S2B_S1_TEXT];
	struct s2b_s1 o;
	int i;

	for (i = 0; i < ARRAY_SIZE(va); i++) {
		if (!va[i]) {
			s2b_out(b, "s1.%s=unread: mapped anew for each batch (x86)\n", name[i]);
			continue;
		}
		s2b_s1_kernel((const void __force *)va[i], &o);
		s2b_s1_text(&o, t->phys, text, sizeof(text));
		s2b_out(b, "s1.%s=%s\n", name[i], text);
	}
}

static void s2b_format(struct s2b_buf *b, struct s2b_run *r)
{
	struct s2b_target *t = r->t;
	char cpu[48];
	bool pmu = false;
	int s, k;

	s2b_cpu_id(cpu, sizeof(cpu));
	s2b_out(b, "s2bench: %s BAR %u window 0x%llx+0x%llx (BlueFlame buffers at +0x%x, +0x%x), ",
		pci_name(t->pdev), t->bar, t->offset, t->len, S2W_BF_OFFSET,
		S2W_BF_OFFSET + S2W_BF_HALF);
	s2b_out(b, "%u WC/Device batch pairs of ~%llu us, interrupts off, counter %s %llu Hz\n",
		r->pairs, S2B_BATCH_TARGET_NS / 1000, s2b_clock, r->freq);
	s2b_out(b, "figures: bench/s2stats [--table] on /sys/kernel/debug/s2bench/samples\n");
	for (s = 0; s < S2W_NR_SEQ; s++)
		if (r->res[s][0].skip)
			s2b_out(b, "skipped %s: %s\n", s2w_seqs[s].name, r->res[s][0].skip);
	s2b_out(b, "\n");

	s2b_out(b, "target=%s\nbar=%u\noffset=0x%llx\nlen=0x%llx\nforce=%d\n",
		pci_name(t->pdev), t->bar, t->offset, t->len, t->force);
	s2b_out(b, "phys=%pa\n", &t->phys);
	s2b_format_s1(b, t);
	s2b_out(b, "vendor=0x%04x\ndevice=0x%04x\nnuma_node=%d\n", t->pdev->vendor,
		t->pdev->device, dev_to_node(&t->pdev->dev));
	s2b_out(b, "kernel=%s\ncpu=%s\narch=%s\n", utsname()->release, cpu,
		IS_ENABLED(CONFIG_ARM64) ? "aarch64" : "x86-64");
	s2b_out(b, "pinned_cpu=%d\ncpu_node=%d\nmigrations=%u\n", r->cpu, cpu_to_node(r->cpu),
		r->migrations);
	s2b_out(b, "clock=%s\ncntfrq=%llu\n", s2b_clock, r->freq);
	s2b_out(b, "pairs=%u\nbatch_target_ns=%llu\nirqs=off\n", r->pairs, S2B_BATCH_TARGET_NS);
	s2b_out(b, "bf_offset=0x%x\nbf_half=0x%x\nbf_bytes=%u\n", S2W_BF_OFFSET, S2W_BF_HALF,
		r->bytes);
	s2b_out(b, "readback=%s\n", s2b_aliases_ok() ? "dev" : "same");
	for (k = 0; k < S2W_NR_COST; k++)
		s2b_out(b, "cost.%s=%s\n", s2w_cost_name[k], s2w_cost_text[k]);
	for (s = 0; s < S2W_NR_SEQ; s++) {
		s2b_format_seq(b, r, s);
		if (r->res[s][0].skip) {
			s2b_out(b, "seq.%s.skipped=%s\n", s2w_seqs[s].name, r->res[s][0].skip);
			continue;
		}
		for (k = 0; k < S2W_NR_COST; k++) {
			s2b_format_keys(b, &r->res[s][k], s, k);
			pmu |= r->res[s][k].pmu;
		}
	}
	s2b_out(b, "pmu=%s\n", pmu ? "available" : "unavailable");
}

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

/* New results and samples (NULL: none, e.g. after a verify). */
static void s2b_publish(char *text, char *samples)
{
	char *old, *old_samples;

	mutex_lock(&s2b_text_lock);
	old = s2b_results;
	old_samples = s2b_samples;
	s2b_results = text;
	s2b_samples = samples;
	mutex_unlock(&s2b_text_lock);
	kvfree(old);
	kvfree(old_samples);
}

/* The samples of one case: "SEQ COST PAIR WC_PS DEV_PS", pair by pair. */
static void s2b_format_samples(struct s2b_buf *b, struct s2b_run *r, enum s2w_seq s, int k)
{
	u32 i;

	s2b_format_keys(b, &r->res[s][k], s, k);
	for (i = 0; i < r->pairs; i++)
		s2b_out(b, "%s %s %u %llu %llu\n", s2w_seqs[s].name, s2w_cost_name[k], i,
			r->ps[S2W_WC][i], r->ps[S2W_DEV][i]);
}

/* What the samples are, and of what run: bench/s2stats reads this header. */
static void s2b_samples_head(struct s2b_buf *b, struct s2b_run *r)
{
	s2b_out(b, "# s2bench raw samples: SEQ COST PAIR WC_PS DEV_PS, picoseconds per post\n");
	s2b_out(b, "# of each batch, pair by pair, each case after its batch size and PMU\n");
	s2b_out(b, "# totals (bench/s2stats computes every figure)\n");
	s2b_out(b, "tool=s2bench\ntarget=%s\nbar=%u\nphys=%pa\nkernel=%s\n",
		pci_name(r->t->pdev), r->t->bar, &r->t->phys, utsname()->release);
	s2b_out(b, "pinned_cpu=%d\npairs=%u\nbf_bytes=%u\n", r->cpu, r->pairs, r->bytes);
}

static void s2b_run_free(struct s2b_run *r)
{
	s2b_pmu_close(&r->pmu);
	kvfree(r->ps[S2W_WC]);
	kvfree(r->ps[S2W_DEV]);
	kfree(r->simd);
	kfree(r->post);
	kvfree(r);
}

/*
 * Pin the calling task to cpu (-1: the one it is on) for the whole run; the
 * old affinity goes to old. The CPU it ends up on, or an error.
 */
static int s2b_pin(int cpu, cpumask_var_t old)
{
	int ret;

	cpumask_copy(old, current->cpus_ptr);
	if (cpu < 0)
		cpu = raw_smp_processor_id();
	if (cpu >= nr_cpu_ids || !cpu_online(cpu)) {
		pr_err("CPU %d is not online: pick one of %*pbl\n", cpu,
		       cpumask_pr_args(cpu_online_mask));
		return -EINVAL;
	}
	ret = set_cpus_allowed_ptr(current, cpumask_of(cpu));
	if (ret) {
		pr_err("cannot pin to CPU %d: %d\n", cpu, ret);
		return ret;
	}
	return cpu;
}

/*
 * ---- throughput: N kernel threads, each bound to its own CPU and posting
 * to its own page of the window (mlx5 gives each queue its own UAR page) ----
 * A round: one side, every thread posting for S2B_TPUT_NS (at least one
 * chunk); the figure is the aggregate time per post, elapsed over all
 * threads' posts, so the Device/WC ratio is WC posts/s over Device posts/s.
 */
struct s2b_tput;

struct s2b_worker {
	struct task_struct *task;
	struct s2b_tput *tp;
	struct s2b_ctx c;
	struct s2w_post post;
	struct s2b_simd simd;
	u64 posts;
	unsigned long gen;
};

struct s2b_tput {
	u32 n;
	struct s2b_worker w[S2B_MAX_THREADS];
	wait_queue_head_t wq;
	struct completion done;
	atomic_t pending;
	unsigned long gen;		/* bumped to start a round */
	enum s2w_seq seq;
	u64 deadline;			/* ktime_get_ns() */
};

static int s2b_worker_main(void *arg)
{
	struct s2b_worker *w = arg;
	struct s2b_tput *tp = w->tp;

	while (!kthread_should_stop()) {
		wait_event_interruptible(tp->wq, READ_ONCE(tp->gen) != w->gen ||
					 kthread_should_stop());
		if (kthread_should_stop())
			break;
		/* pairs with the release in s2b_tput_round(): seq, maps, deadline */
		w->gen = smp_load_acquire(&tp->gen);
		w->posts = 0;
		do {
			if (s2w_seqs[tp->seq].simd == S2W_SIMD_BATCH)
				s2b_simd_begin(&w->simd);
			s2b_batch(&w->c, tp->seq, false, S2B_TPUT_CHUNK);
			if (s2w_seqs[tp->seq].simd == S2W_SIMD_BATCH)
				s2b_simd_end(&w->simd);
			w->posts += S2B_TPUT_CHUNK;
			cond_resched();
		} while (ktime_get_ns() < READ_ONCE(tp->deadline));
		if (atomic_dec_and_test(&tp->pending))
			complete(&tp->done);
	}
	return 0;
}

static void s2b_tput_stop(struct s2b_tput *tp)
{
	u32 i;

	for (i = 0; i < tp->n; i++)
		if (tp->w[i].task)
			kthread_stop(tp->w[i].task);
	tp->n = 0;
}

/* Threads on n online CPUs from first on (round robin), bound, parked in wait. */
static int s2b_tput_start(struct s2b_tput *tp, struct s2b_run *r, u32 n)
{
	int cpu = r->cpu;
	u32 i;

	init_waitqueue_head(&tp->wq);
	init_completion(&tp->done);
	for (i = 0; i < n; i++) {
		struct s2b_worker *w = &tp->w[i];

		w->tp = tp;
		w->c.post = &w->post;
		w->c.simd = &w->simd;
		r->tput_cpu[i] = cpu;
		w->task = kthread_create(s2b_worker_main, w, "s2bench/%u", i);
		if (IS_ERR(w->task)) {
			w->task = NULL;
			s2b_tput_stop(tp);
			return -ENOMEM;
		}
		kthread_bind(w->task, cpu);
		tp->n = i + 1;
		wake_up_process(w->task);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	}
	return 0;
}

/* One round of sequence s on side m; picoseconds per post over all threads. */
static u64 s2b_tput_round(struct s2b_tput *tp, struct s2b_run *r, enum s2w_seq s, int m)
{
	void __iomem *base, *rd = r->t->dev;
	u64 t0, t1, posts = 0;
	u32 i;

	base = m == S2W_WC ? r->t->wc : s2w_seqs[s].style == S2W_RDMA ? r->t->np : r->t->dev;
	for (i = 0; i < tp->n; i++) {
		tp->w[i].c.map = base + (size_t)i * S2W_PAGE;
		tp->w[i].c.rd = rd + (size_t)i * S2W_PAGE;
	}
	tp->seq = s;
	reinit_completion(&tp->done);
	atomic_set(&tp->pending, tp->n);
	t0 = ktime_get_ns();
	WRITE_ONCE(tp->deadline, t0 + S2B_TPUT_NS);
	/* publish seq, maps and deadline before the new round: the workers acquire gen */
	smp_store_release(&tp->gen, tp->gen + 1);
	wake_up_all(&tp->wq);
	wait_for_completion(&tp->done);
	t1 = ktime_get_ns();
	for (i = 0; i < tp->n; i++)
		posts += tp->w[i].posts;
	return div64_u64((t1 - t0) * 1000, max_t(u64, posts, 1));
}

/* Every selected sequence that ran, in rounds alternating as the pairs do. */
static int s2b_tput(struct s2b_run *r, struct s2b_buf *smp)
{
	struct s2b_tput *tp;
	u32 i, j;
	int s, m, ret;

	if (!s2b_aliases_ok()) {
		pr_err("threads=: not on x86 (the window is mapped per batch there); s2wc --threads has it\n");
		return -EOPNOTSUPP;
	}
	tp = kzalloc(sizeof(*tp), GFP_KERNEL);
	if (!tp)
		return -ENOMEM;
	ret = s2b_tput_start(tp, r, r->threads);
	if (ret)
		goto out;
	for (s = 0; s < S2W_NR_SEQ; s++) {
		if (r->res[s][0].skip)
			continue;
		for (i = 0; i < tp->n; i++)
			s2w_post_init(&tp->w[i].post, r->bytes);
		for (i = 0; i < r->pairs; i++) {
			for (j = 0; j < S2W_NR_MAP; j++) {
				m = (i + j) & 1 ? S2W_DEV : S2W_WC;
				r->ps[m][i] = s2b_tput_round(tp, r, s, m);
			}
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				goto out;
			}
		}
		r->tput_ran[s] = true;
		for (i = 0; i < r->pairs; i++)
			s2b_out(smp, "%s throughput %u %llu %llu\n", s2w_seqs[s].name, i,
				r->ps[S2W_WC][i], r->ps[S2W_DEV][i]);
	}
out:
	s2b_tput_stop(tp);
	kfree(tp);
	return ret;
}

static void s2b_format_tput(struct s2b_buf *b, struct s2b_run *r)
{
	const char *n;
	u32 i;
	int s;

	if (!r->threads)
		return;
	s2b_out(b, "threads=%u\nthread_cpus=", r->threads);
	for (i = 0; i < r->threads; i++)
		s2b_out(b, "%s%d", i ? "," : "", r->tput_cpu[i]);
	s2b_out(b, "\n");
	for (s = 0; s < S2W_NR_SEQ; s++) {
		if (!r->tput_ran[s])
			continue;
		n = s2w_seqs[s].name;
		s2b_out(b, "%s.throughput.threads=%u\n%s.throughput.pairs=%u\n", n, r->threads, n,
			r->pairs);
		s2b_out(b, "%s.throughput.round_ns=%llu\n", n, S2B_TPUT_NS);
	}
}

/* Called with s2b_lock held and a target set. Runs the sequences in mask. */
static int s2b_run(unsigned int pairs, unsigned long mask, unsigned int bytes, int cpu,
		   unsigned int threads)
{
	struct s2b_buf out = { .size = S2B_RESULTS_SIZE }, smp = { };
	cpumask_var_t old;
	struct s2b_run *r;
	int s, k, ret = -ENOMEM;

	if (!alloc_cpumask_var(&old, GFP_KERNEL))
		return -ENOMEM;
	r = kvzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		free_cpumask_var(old);
		return -ENOMEM;
	}
	r->t = &s2b_tgt;
	r->pairs = pairs;
	r->bytes = bytes;
	r->threads = threads;
	r->cpu = s2b_pin(cpu, old);
	if (r->cpu < 0) {
		ret = r->cpu;
		free_cpumask_var(old);
		s2b_run_free(r);
		return ret;
	}
	r->freq = s2b_freq();
	if (!r->freq) {
		pr_err("no usable cycle counter frequency\n");
		ret = -EOPNOTSUPP;
		goto out;
	}
	r->post = kzalloc(sizeof(*r->post), GFP_KERNEL);
	r->simd = kzalloc(sizeof(*r->simd), GFP_KERNEL);
	r->ps[S2W_WC] = kvmalloc_array(pairs, sizeof(u64), GFP_KERNEL);
	r->ps[S2W_DEV] = kvmalloc_array(pairs, sizeof(u64), GFP_KERNEL);
	out.p = kvzalloc(out.size, GFP_KERNEL);
	/*
	 * a line per pair and case (throughput too): at most 13 + 11 + 5 + 2 * 21
	 * bytes; per case its batch, pairs and PMU totals: 6 lines of at most 64
	 */
	smp = (struct s2b_buf){
		.size = (size_t)S2W_NR_SEQ * (S2W_NR_COST + 1) * (pairs * 72 + 6 * 64) + 1024
	};
	smp.p = kvzalloc(smp.size, GFP_KERNEL);
	if (!r->post || !r->simd || !r->ps[S2W_WC] || !r->ps[S2W_DEV] || !out.p ||
	    !smp.p)
		goto out;
	s2b_samples_head(&smp, r);
	r->pmu.cycles = s2b_pmu_open(PERF_COUNT_HW_CPU_CYCLES);
	r->pmu.insns = s2b_pmu_open(PERF_COUNT_HW_INSTRUCTIONS);

	for (s = 0; s < S2W_NR_SEQ; s++) {
		const char *skip = s2b_seq_missing(s);

		if (!skip && !(mask & BIT(s)))
			skip = "not selected";
		for (k = 0; k < S2W_NR_COST; k++) {
			r->res[s][k].skip = skip;
			if (skip)
				continue;
			ret = s2b_case(r, s, k);
			if (ret)
				goto out;
			s2b_format_samples(&smp, r, s, k);
		}
	}
	if (threads) {
		ret = s2b_tput(r, &smp);
		if (ret)
			goto out;
	}
	s2b_format(&out, r);
	s2b_format_tput(&out, r);
	s2b_publish(out.p, smp.p);
	out.p = NULL;
	smp.p = NULL;
	ret = 0;
	pr_info("run of %u pairs on %s, CPU %d, done\n", pairs, pci_name(r->t->pdev), r->cpu);
out:
	set_cpus_allowed_ptr(current, old);
	free_cpumask_var(old);
	kvfree(smp.p);
	kvfree(out.p);
	s2b_run_free(r);
	return ret;
}

/* ---- verify: what each sequence writes, read back (RAM-backed BARs) ---- */
#define S2B_VERIFY_OPS	4

static int s2b_verify_one(struct s2b_run *r, enum s2w_seq s, int m, u8 *got, u8 *want)
{
	struct s2w_post *p = r->post;
	unsigned int op, off = 0, bytes;
	int ret, i;

	r->seq = s;
	ret = s2b_side_begin(r, S2W_DEV);
	if (ret)
		return ret;
	memset_io(r->c.map, 0xa5, S2W_PAGE);
	s2b_side_end(r);
	memset(want, 0xa5, S2W_PAGE);
	s2w_post_init(p, r->bytes);
	for (i = 2; i < S2W_WQE_MAX / 4; i++)
		p->wqe.dw[i] = 0x01010101 * (i + 1) + m;
	bytes = s2w_op_bytes(s, p);
	ret = s2b_side_begin(r, m);
	if (ret)
		return ret;
	r->c.post = p;
	r->c.simd = r->simd;
	for (op = 0; op < S2B_VERIFY_OPS; op++) {
		if (s2w_seqs[s].simd == S2W_SIMD_BATCH)
			s2b_simd_begin(r->simd);
		s2b_batch(&r->c, s, false, 1);
		if (s2w_seqs[s].simd == S2W_SIMD_BATCH)
			s2b_simd_end(r->simd);
		memcpy(want + S2W_BF_OFFSET + off, p->wqe.qw, bytes);
		if (s2w_toggles(s))
			off ^= S2W_BF_HALF;
	}
	s2b_side_end(r);
	ret = s2b_side_begin(r, S2W_DEV);
	if (ret)
		return ret;
	memcpy_fromio(got, r->c.map, S2W_PAGE);
	s2b_side_end(r);
	for (i = 0; i < S2W_PAGE; i++)
		if (got[i] != want[i])
			return i + 1;
	return 0;
}

/*
 * For each sequence and mapping: fill the page, post S2B_VERIFY_OPS times,
 * read the page back. Exactly the WQEs at the two buffers, nothing else.
 * Only meaningful where the BAR is memory (ivshmem: the lab): a device's
 * doorbell page does not read back what was written.
 */
static int s2b_verify(unsigned long mask, unsigned int bytes)
{
	struct s2b_buf out = { .size = S2B_RESULTS_SIZE };
	struct s2w_target chk = s2b_tgt.chk;
	struct s2b_run *r;
	u8 *got = NULL, *want = NULL;
	int s, m, ret, bad;

	/* the page is filled and read back: a known test device only */
	chk.verify = 1;
	ret = s2b_check(s2b_tgt.pdev, &chk, NULL);
	if (ret)
		return ret;
	ret = -ENOMEM;
	r = kvzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->t = &s2b_tgt;
	r->bytes = bytes;
	r->post = kzalloc(sizeof(*r->post), GFP_KERNEL);
	r->simd = kzalloc(sizeof(*r->simd), GFP_KERNEL);
	got = kmalloc(S2W_PAGE, GFP_KERNEL);
	want = kmalloc(S2W_PAGE, GFP_KERNEL);
	out.p = kvzalloc(out.size, GFP_KERNEL);
	if (!r->post || !r->simd || !got || !want || !out.p)
		goto out;
	s2b_out(&out, "verify: %s BAR %u window 0x%llx, %d posts of %u bytes per %s\n",
		pci_name(s2b_tgt.pdev), s2b_tgt.bar, s2b_tgt.offset, S2B_VERIFY_OPS, bytes,
		"sequence and map");
	for (s = 0; s < S2W_NR_SEQ; s++) {
		const char *skip = s2b_seq_missing(s);

		if (!skip && !(mask & BIT(s)))
			skip = "not selected";
		for (m = 0; m < S2W_NR_MAP; m++) {
			s2b_out(&out, "verify.%s.%s=", s2w_seqs[s].name, s2w_map_name[m]);
			if (skip) {
				s2b_out(&out, "skipped (%s)\n", skip);
				continue;
			}
			bad = s2b_verify_one(r, s, m, got, want);
			if (bad < 0) {
				ret = bad;
				goto out;
			}
			if (bad)
				s2b_out(&out, "FAIL at +0x%x: 0x%02x, want 0x%02x\n", bad - 1,
					got[bad - 1], want[bad - 1]);
			else
				s2b_out(&out, "ok\n");
		}
	}
	s2b_publish(out.p, NULL);
	out.p = NULL;
	ret = 0;
out:
	kvfree(out.p);
	kfree(got);
	kfree(want);
	s2b_run_free(r);
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

/* "only=NAME[,NAME]...": the sequences to run; 0 on an unknown name */
static unsigned long s2b_parse_only(char *list)
{
	const char *bad = NULL;
	unsigned long mask = s2w_parse_only(list, &bad);

	if (!mask)
		pr_err("no sequence '%s' on this architecture\n", bad ? bad : "");
	return mask;
}

static ssize_t s2b_run_write(struct file *f, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	unsigned long mask = BIT(S2W_NR_SEQ) - 1;
	unsigned int nb = READ_ONCE(batches), bytes = S2W_WQE_BYTES;
	int cpu = -1;
	unsigned int threads = 0;
	char buf[256], *s = buf, *tok;
	bool verify = false;
	ssize_t ret;

	ret = s2b_copy_cmd(buf, sizeof(buf), ubuf, count, ppos);
	if (ret)
		return ret;
	/* "1", "run [PAIRS] [only=...]" or "verify [only=...]" */
	tok = s2b_token(&s);
	if (!tok)
		goto bad;
	if (!strcmp(tok, "verify"))
		verify = true;
	else if (strcmp(tok, "run") && strcmp(tok, "1"))
		goto bad;
	while ((tok = s2b_token(&s))) {
		if (!strncmp(tok, "only=", 5)) {
			mask = s2b_parse_only(tok + 5);
			if (!mask)
				goto bad;
		} else if (!strncmp(tok, "bytes=", 6)) {
			if (kstrtouint(tok + 6, 0, &bytes) || !s2w_bytes_ok(bytes))
				goto bad;
		} else if (!strncmp(tok, "cpu=", 4)) {
			if (kstrtoint(tok + 4, 0, &cpu) || cpu < 0)
				goto bad;
		} else if (!strncmp(tok, "threads=", 8)) {
			if (kstrtouint(tok + 8, 0, &threads) || !threads ||
			    threads > S2B_MAX_THREADS)
				goto bad;
		} else if (verify || kstrtouint(tok, 0, &nb)) {
			goto bad;
		}
	}
	if (nb < 1 || nb > S2B_MAX_BATCHES || (verify && threads))
		goto bad;

	if (mutex_lock_interruptible(&s2b_lock))
		return -EINTR;
	if (!s2b_tgt.pdev) {
		pr_err("no target: write 'DDDD:BB:SS.F BAR OFFSET' to /sys/kernel/debug/s2bench/target first\n");
		ret = -ENODEV;
	} else if ((u64)threads * S2W_PAGE > s2b_tgt.len) {
		pr_err("threads=%u posts to a page each: set a window of %u pages (target LEN 0x%x)\n",
		       threads, threads, threads * S2W_PAGE);
		ret = -EINVAL;
	} else {
		ret = verify ? s2b_verify(mask, bytes) : s2b_run(nb, mask, bytes, cpu, threads);
	}
	mutex_unlock(&s2b_lock);
	return ret ? ret : count;
bad:
	pr_err("usage: echo 'run [PAIRS] [only=SEQ,...] [bytes=64|128|256] [cpu=N] [threads=N]' > run (PAIRS of WC/Device batches, 1..%d; threads 1..%d), or 'verify [only=SEQ,...] [bytes=...]'\n",
	       S2B_MAX_BATCHES, S2B_MAX_THREADS);
	return -EINVAL;
}

static const struct file_operations s2b_run_fops = {
	.owner = THIS_MODULE,
	.write = s2b_run_write,
	.llseek = noop_llseek,
};

/*
 * s1: the stage-1 read for a user mapping of the calling process (s2wc's
 * resourceN and resourceN_wc): write "VA [PA]", then read the answer,
 * "desc=... type=NAME" or "unread: why". With PA, the walk must end there.
 */
static ssize_t s2b_s1_write(struct file *f, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	char buf[64], *s = buf, *tok;
	struct s2b_s1 o;
	char *text;
	u64 va, pa = 0;
	ssize_t ret;

	ret = s2b_copy_cmd(buf, sizeof(buf), ubuf, count, ppos);
	if (ret)
		return ret;
	tok = s2b_token(&s);
	if (!tok || kstrtou64(tok, 0, &va))
		goto bad;
	tok = s2b_token(&s);
	if (tok && kstrtou64(tok, 0, &pa))
		goto bad;
	text = kzalloc(S2B_S1_TEXT, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	s2b_s1_user(va, &o);
	s2b_s1_text(&o, tok ? pa : o.pa, text, S2B_S1_TEXT);
	kfree(f->private_data);
	f->private_data = text;
	*ppos = 0;
	return count;
bad:
	pr_err("usage: write 'VA [PA]' (a user address of the writer) to s1, then read it\n");
	return -EINVAL;
}

static ssize_t s2b_s1_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	const char *s = f->private_data;
	char line[S2B_S1_TEXT + 1];

	if (!s)
		return -ENODATA;
	snprintf(line, sizeof(line), "%s\n", s);
	return simple_read_from_buffer(ubuf, count, ppos, line, strlen(line));
}

static int s2b_s1_release(struct inode *inode, struct file *f)
{
	kfree(f->private_data);
	return 0;
}

static const struct file_operations s2b_s1_fops = {
	.owner = THIS_MODULE,
	.write = s2b_s1_write,
	.read = s2b_s1_read,
	.release = s2b_s1_release,
	.llseek = default_llseek,
};

/* Each open takes a private copy, so reads during a run are consistent. */
static int s2b_results_open(struct inode *inode, struct file *f)
{
	static const char none[] = "no results: write 'run' to /sys/kernel/debug/s2bench/run\n";
	char **which = inode->i_private;	/* &s2b_results or &s2b_samples */
	const char *src;
	size_t n;
	char *copy;

	mutex_lock(&s2b_text_lock);
	src = *which ? *which : none;
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
	debugfs_create_file("results", 0400, s2b_dir, &s2b_results, &s2b_results_fops);
	debugfs_create_file("samples", 0400, s2b_dir, &s2b_samples, &s2b_results_fops);
	debugfs_create_file("s1", 0600, s2b_dir, NULL, &s2b_s1_fops);

	if (!bdf || !*bdf)
		return 0;
	if (s2b_parse_bdf(bdf, &sp)) {
		pr_err("bad bdf='%s': use DDDD:BB:SS.F\n", bdf);
		ret = -EINVAL;
		goto fail;
	}
	sp.bar = bar;
	sp.offset_given = offset != ULONG_MAX;
	sp.offset = sp.offset_given ? offset : 0;
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
	kvfree(s2b_samples);
}

module_init(s2b_init);
module_exit(s2b_exit);
MODULE_DESCRIPTION("Time mlx5-style doorbell and BlueFlame posts to a PCI BAR, write-combining vs device");
MODULE_AUTHOR("s2probe project");
MODULE_LICENSE("GPL");
