// SPDX-License-Identifier: GPL-2.0
/*
 * s2probe - show the stage-2 memory attributes KVM gives every running VM.
 *
 * /sys/kernel/debug/s2probe/
 *   vms          "# name pid fd comm ipa_bits start_level granule fwb mode memslots"
 *                then one line per VM, e.g.
 *                "1234-11 1234 11 qemu-system-aar 40 1 4K fwb=on VHE 3";
 *                comm is escaped (see "Escapes" below).
 *                Opening it rescans the VMs (there is no VM notifier); the
 *                lines are taken at open, so any read of that open file,
 *                pread included, shows the same snapshot.
 *   policy       key=value: policy (how this kernel's KVM types memory
 *                outside the linear map: device, any-uncached,
 *                cacheable-pfnmap), fwb, dic, cacheable_pfnmap (yes|no).
 *                In ranges and bars, a PFNMAP or IO mapping shows what
 *                KVM reads of its VMA, vma=<type of its page protection>
 *                and uc (VM_ALLOW_ANY_UNCACHED), and what the policy then
 *                gives: expect=<MEMATTR> or refused.
 *   <pid>-<fd>/  one directory per VM, named as in /sys/kernel/debug/kvm/:
 *     ranges     consecutive leaves with the same attributes, one line each:
 *                0x<start>-0x<end> <size> map=<leaf size> L<level> <MEMATTR>
 *                <RW|R-|-W|--> <x|pxn|xn|uxn> <NSH|OSH|ISH|VTCR> <AF|--> <C|->
 *                slot=<id|-> hva=0x<hva|-> <backing>[ pci=<BDF> bar=<n>][ wc]
 *                [ vma=<type>[ uc] expect=<MEMATTR|refused>][ path=<path>]
 *                backing: anon, anon-thp, hugetlb, file, pfnmap, io,
 *                gmem (guest_memfd: no userspace mapping), none (no memslot),
 *                gone (the VMM's mm has exited), nested (see nested/);
 *                " pci=<BDF> bar=<n>" when the page is in a PCI BAR, " wc"
 *                for a sysfs resourceN_wc mapping, for pfnmap and io what
 *                KVM's policy reads and gives (see policy), and last, for
 *                file, the escaped path (cut to its end, after "...", past
 *                95 bytes).
 *                Leaves merge when contiguous in IPA, PA and HVA with equal
 *                attributes.
 *     pages      one line per leaf: 0x<ipa> L<level> map=<size> desc=0x<raw>
 *                pa=0x<pa> <MEMATTR> <ap> <xn> <sh> <AF|--> <C|-> sw=0x<n>
 *     summary    key=value: vm, window=0x<start>-0x<end> (what it counted),
 *                fwb, granule, ipa_bits, leaves, bytes, bytes.<MEMATTR>,
 *                leaves.<MEMATTR>, leaves.map.<size>, bytes.map.<size>
 *     effective  0x<start>-0x<end> s2=<MEMATTR> <S1TYPE>:<RESULT>... : what
 *                each stage-1 type becomes in that range (Arm ARM rules);
 *                IPA-contiguous leaves of one MemAttr make one line
 *     bars       0x<start>-0x<end> <size> pci=<BDF> bar=<n> <MEMATTR>[ wc]
 *                vma=<type>[ uc] expect=<MEMATTR|refused>: the guest
 *                memory that is a host PCI BAR, no host address
 *     ptdump     the lines of upstream's stage2_page_tables (7.3's
 *                CONFIG_PTDUMP_STAGE2_DEBUGFS), byte for byte, on every
 *                kernel: "---[ Guest IPA ]---", then per run of entries
 *                of one level with equal R, W, XN, AF, valid and block bits
 *                "0x<start>-0x<end>   <%9u size><unit> <level> <bits>"
 *                (s2probe.h, ptdump)
 *     nested/    only for a VM whose vCPUs have EL2 (nested virtualization,
 *                6.12+): the shadow stage 2 KVM keeps for each context of the
 *                guest hypervisor (its VTTBR_EL2 and VTCR_EL2):
 *       mmus     "# n valid vttbr vtcr s2 ia_bits start_level pending_unmap",
 *                a line per shadow MMU: "0 valid 0x<vttbr> 0x<vtcr>
 *                enabled|disabled <ipa bits> <start level> yes|no" or
 *                "1 invalid - - - - - -"
 *       <n>/     ranges, pages, summary (with a "nested=<n>" line) and
 *                effective of shadow MMU n, as above (no ptdump yet: see
 *                s2p_stage2_files()); their IPAs
 *                are the nested guest's, so ranges shows slot=- hva=- nested.
 *                A read ends with ESTALE if KVM gives that MMU to another
 *                context meanwhile.
 *   Windows: each open file of a view has its own, the whole IPA space
 *   until its reader sets one with lseek(fd, START, SEEK_DATA) (the start;
 *   the end goes back to the IPA space's) and lseek(fd, END, SEEK_HOLE)
 *   (the end, above the start): both return 0, restart the view and need
 *   no write access (they work under lockdown); EINVAL for an empty window
 *   or one past the IPA space. A view shows exactly its window: a leaf
 *   reaching outside it is cut at the window's edges (ipa= and pa= of its
 *   first byte inside), and summary counts only the bytes inside.
 *   Escapes: what a VM's owner names (comm, a file path) is one token:
 *   a space, a backslash and each byte outside printable ASCII as "\ooo".
 *   pages, ranges and pkvm show host addresses: they need CAP_SYS_ADMIN
 *   (EPERM and a rate-limited dmesg line otherwise); summary, effective
 *   and bars do not.
 *
 * Locking: a walk never writes a descriptor. It runs under the read side of
 * kvm->mmu_lock (a shared walk where KVM has them), inside kvm->srcu, for at
 * most S2P_HOLD_VISITS entries or S2P_RAW_MAX leaves, less when a writer
 * waits; then the lock is dropped and the backing VMAs are looked up
 * (mmap_read_lock may sleep), so memory use does not grow with the VM and a
 * partial read walks only what it shows.
 * The tables may change between and during lock holds (faults split and
 * merge blocks): the walk's cursor only moves forward, so a leaf is never
 * shown twice and output IPAs strictly increase (see s2p_visit()).
 * An open per-VM file holds a VM reference (kvm_get_kvm_safe()).
 *
 * kvm_pgtable_walk() and kvm_vm_ioctl() are not exported: they are found
 * once at load through kallsyms_lookup_name(), itself located with a kprobe.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/kprobes.h>
#include <linux/kref.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pid_namespace.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <asm/kvm_pgtable.h>
#include <asm/kvm_pkvm.h>
#include <asm/virt.h>

#include "s2probe.h"

/* ---- Compat: every kernel-version difference lives here ---- */

/* Kernel older than major.minor? */
#define S2P_BEFORE(major, minor) (KERNEL_VERSION(major, minor, 0) > LINUX_VERSION_CODE)

/*
 * What the walker hands s2probe's visitor for one entry, whatever the
 * kernel: s2p_walker_cb() below turns each kernel's callback into it.
 */
struct s2p_entry {
	u64 addr;
	int level;
	u64 pte;		/* the descriptor, read once */
	bool table_pre;		/* a table entry, before the walker descends */
	const kvm_pte_t *child;	/* table_pre: the next-level table */
};

static int s2p_visit(void *arg, const struct s2p_entry *e);

#if S2P_BEFORE(6, 3)
/* 6.1: the visitor gets (addr, end, level, ptep, flag, arg); no shared walks. */
#define S2P_WALK_FLAGS		KVM_PGTABLE_WALK_LEAF

static int s2p_walker_cb(u64 addr, u64 end, u32 level, kvm_pte_t *ptep,
			 enum kvm_pgtable_walk_flags flag, void * const arg)
{
	struct s2p_entry e = {
		.addr = addr,
		.level = (int)level,
		.pte = READ_ONCE(*ptep),
		.table_pre = flag == KVM_PGTABLE_WALK_TABLE_PRE,
	};

	/* host stage-2 tables are linear-mapped */
	if (e.table_pre)
		e.child = __va(kvm_pte_to_phys(e.pte));
	return s2p_visit(arg, &e);
}
#else
/* 6.3+: a visit context; the walk may run in parallel with faults (RCU). */
#define S2P_WALK_FLAGS		(KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_SHARED)

static int s2p_walker_cb(const struct kvm_pgtable_visit_ctx *ctx,
			 enum kvm_pgtable_walk_flags visit)
{
	struct s2p_entry e = {
		.addr = ctx->addr,
		.level = (int)ctx->level,
		.pte = ctx->old,
		.table_pre = visit == KVM_PGTABLE_WALK_TABLE_PRE,
	};

	if (e.table_pre)
		e.child = ctx->mm_ops->phys_to_virt(kvm_pte_to_phys(ctx->old));
	return s2p_visit(ctx->arg, &e);
}
#endif

/* guest_memfd slots (6.8+): memory that no userspace mapping backs. */
static bool s2p_slot_gmem(const struct kvm_memory_slot *ms)
{
#if S2P_BEFORE(6, 8)
	return false;
#else
	return ms->flags & KVM_MEM_GUEST_MEMFD;
#endif
}

/* VTCR_EL2.DS: 52-bit addresses with 4K/16K pages (FEAT_LPA2). */
#define S2P_VTCR_DS		BIT_ULL(32)
#define S2P_VTCR_T0SZ		GENMASK_ULL(5, 0)

static bool s2p_pgt_fwb(struct kvm_pgtable *pgt)
{
	if (!cpus_have_final_cap(ARM64_HAS_STAGE2_FWB))
		return false;
#if S2P_BEFORE(6, 17)
	return !(pgt->flags & KVM_PGTABLE_S2_NOFWB);
#else
	return true;
#endif
}

/* The VTCR_EL2 KVM runs an MMU with (6.9 moved it from the VM to the MMU). */
static u64 s2p_mmu_vtcr(struct kvm *kvm, struct kvm_s2_mmu *mmu)
{
#if S2P_BEFORE(6, 9)
	return kvm->arch.vtcr;
#else
	return mmu->vtcr;
#endif
}

/*
 * Nested virtualization (from 6.12 here): the shadow stage 2 KVM builds
 * for each context a guest hypervisor runs with its own stage 2. The array
 * and its size change only under the write side of mmu_lock, and an MMU is
 * reused for another context (a new tlb_vttbr) only under it too.
 */
#if S2P_BEFORE(6, 12)
static int s2p_nr_nested(struct kvm *kvm)
{
	return 0;
}

static struct kvm_s2_mmu *s2p_nested_mmu(struct kvm *kvm, int n)
{
	return NULL;
}

static u64 s2p_nested_vttbr(struct kvm_s2_mmu *mmu)
{
	return 0;
}

static u64 s2p_nested_vtcr(struct kvm_s2_mmu *mmu)
{
	return 0;
}

static bool s2p_nested_s2_enabled(struct kvm_s2_mmu *mmu)
{
	return false;
}

static bool s2p_nested_pending_unmap(struct kvm_s2_mmu *mmu)
{
	return false;
}
#else
static int s2p_nr_nested(struct kvm *kvm)
{
	return kvm->arch.nested_mmus_size;
}

static struct kvm_s2_mmu *s2p_nested_mmu(struct kvm *kvm, int n)
{
	return n < kvm->arch.nested_mmus_size ? kvm->arch.nested_mmus[n] : NULL;
}

/* the guest hypervisor's VTTBR_EL2 and VTCR_EL2 for this shadow MMU */
static u64 s2p_nested_vttbr(struct kvm_s2_mmu *mmu)
{
	return mmu->tlb_vttbr;
}

static u64 s2p_nested_vtcr(struct kvm_s2_mmu *mmu)
{
	return mmu->tlb_vtcr;
}

/* its virtual HCR_EL2.VM: whether its own stage 2 translates */
static bool s2p_nested_s2_enabled(struct kvm_s2_mmu *mmu)
{
	return mmu->nested_stage2_enabled;
}

/*
 * KVM gave the MMU to a new context, but its table still holds the old
 * context's leaves until the next vCPU load empties it.
 */
static bool s2p_nested_pending_unmap(struct kvm_s2_mmu *mmu)
{
	return mmu->pending_unmap;
}
#endif

/*
 * pKVM (7.x): the hypervisor owns a VM's stage 2, and the host's
 * kvm_pgtable is only its record of what it asked the hypervisor to map
 * (gfn, pfn, pages, non-cacheable or not), an interval tree changed under
 * the write side of mmu_lock. Older kernels keep nothing the host can read.
 */
struct s2p_pkvm_map {
	u64 gfn, pfn, nr;
	bool nc;
};

#if S2P_BEFORE(7, 0)
#define S2P_PKVM_MAPPINGS	false

static bool s2p_pkvm_map_from(struct kvm_pgtable *pgt, u64 gfn, struct s2p_pkvm_map *out,
			      unsigned int max, unsigned int *n)
{
	*n = 0;
	return true;
}
#else
#define S2P_PKVM_MAPPINGS	true

/*
 * Up to @max mappings from the first one ending above @gfn, under mmu_lock.
 * They do not overlap, so the tree's order (by gfn) is also their ends'.
 * True when the last mapping was reached.
 */
static bool s2p_pkvm_map_from(struct kvm_pgtable *pgt, u64 gfn, struct s2p_pkvm_map *out,
			      unsigned int max, unsigned int *n)
{
	struct rb_node *node = pgt->pkvm_mappings.rb_root.rb_node, *first = NULL;
	struct pkvm_mapping *m;

	while (node) {
		m = rb_entry(node, struct pkvm_mapping, node);
		if (m->gfn + m->nr_pages > gfn) {
			first = node;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	for (*n = 0, node = first; node && *n < max; node = rb_next(node), ++*n) {
		m = rb_entry(node, struct pkvm_mapping, node);
		out[*n] = (struct s2p_pkvm_map){ m->gfn, m->pfn, m->nr_pages, m->nc };
	}
	return !node;
}
#endif

/*
 * KVM's policy for memory outside the linear map (s2probe.h, enum
 * s2p_policy), told by what the kernel defines rather than its version:
 * vendor kernels backport VM_ALLOW_ANY_UNCACHED with KVM's use of it.
 */
#if defined(KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED)
#define S2P_POLICY		S2P_POL_CACHEABLE
/* kvm_supports_cacheable_pfnmap() of asm/kvm_mmu.h, not for modules */
#define s2p_cacheable_pfnmap()	(cpus_have_final_cap(ARM64_HAS_STAGE2_FWB) && \
				 cpus_have_final_cap(ARM64_HAS_CACHE_DIC))
#elif defined(VM_ALLOW_ANY_UNCACHED)
#define S2P_POLICY		S2P_POL_ANY_UC
#define s2p_cacheable_pfnmap()	false
#else
#define S2P_POLICY		S2P_POL_DEVICE
#define s2p_cacheable_pfnmap()	false
#endif
static bool s2p_vma_allow_uc(const struct vm_area_struct *vma)
{
#ifdef VM_ALLOW_ANY_UNCACHED
	return vma->vm_flags & VM_ALLOW_ANY_UNCACHED;
#else
	return false;
#endif
}

/* VTTBR_EL2.CnP: KVM's mark of a shadow MMU that holds no context */
#define S2P_VTTBR_CNP		BIT_ULL(0)

/* The MMU a view walks: the VM's own (@nested < 0) or a shadow one. */
static struct kvm_s2_mmu *s2p_mmu(struct kvm *kvm, int nested)
{
	return nested < 0 ? &kvm->arch.mmu : s2p_nested_mmu(kvm, nested);
}

/* A shadow MMU's context: what the guest hypervisor gave it */
struct s2p_nested_ctx {
	bool valid;		/* it holds one (KVM marks a free MMU with VTTBR.CnP) */
	bool s2_enabled;	/* the guest hypervisor's HCR_EL2.VM */
	bool pending_unmap;
	u64 vttbr, vtcr;	/* the guest hypervisor's VTTBR_EL2 and VTCR_EL2 */
};

/*
 * How a VM's stage-2 tables (or a shadow MMU's) read, and for a shadow MMU
 * its context; a VM's own stage 2 has a valid, enabled one of zeros.
 */
struct s2p_pgt_info {
	u32 ia_bits;
	int start_level;
	bool fwb, lpa2;
	struct s2p_nested_ctx ctx;
};

/*
 * KVM frees the stage-2 tables and clears mmu.pgt when the VMM's mm goes
 * away, even while a VM reference is held: read it only under mmu_lock.
 */
static int s2p_pgt_info_locked(struct kvm *kvm, int nested, struct s2p_pgt_info *g)
{
	struct kvm_s2_mmu *mmu = s2p_mmu(kvm, nested);
	struct kvm_pgtable *pgt = mmu ? mmu->pgt : NULL;

	if (!pgt)
		return -ENOENT;
	g->ia_bits = pgt->ia_bits;
	g->start_level = pgt->start_level;
	g->fwb = s2p_pgt_fwb(pgt);
	/* the host's VTCR_EL2 for this table: DS says how its OAs read */
	g->lpa2 = s2p_mmu_vtcr(kvm, mmu) & S2P_VTCR_DS;
	g->ctx = (struct s2p_nested_ctx){ .valid = true, .s2_enabled = true };
	if (nested >= 0) {
		g->ctx.vttbr = s2p_nested_vttbr(mmu);
		g->ctx.vtcr = s2p_nested_vtcr(mmu);
		g->ctx.valid = !(g->ctx.vttbr & S2P_VTTBR_CNP);
		g->ctx.s2_enabled = s2p_nested_s2_enabled(mmu);
		g->ctx.pending_unmap = s2p_nested_pending_unmap(mmu);
	}
	return 0;
}

static int s2p_get_pgt_info(struct kvm *kvm, int nested, struct s2p_pgt_info *g)
{
	int ret;

	read_lock(&kvm->mmu_lock);
	ret = s2p_pgt_info_locked(kvm, nested, g);
	read_unlock(&kvm->mmu_lock);
	return ret;
}

/* ---- Kernel internals found at load ---- */

/* its own prototype: a kernel that changes it fails the build, not a read */
static typeof(kvm_pgtable_walk) *s2p_pgtable_walk;
static const void *s2p_vm_ioctl;	/* identifies KVM VM files */

static unsigned long s2p_lookup(const char *name)
{
	static unsigned long (*lookup)(const char *name);
	/*
	 * Registered disabled, the kprobe is never armed: only its address
	 * lookup is used, and no kernel text is patched (arming would go
	 * through stop_machine() on arm64, with vCPUs running).
	 */
	struct kprobe kp = {
		.symbol_name = "kallsyms_lookup_name",
		.flags = KPROBE_FLAG_DISABLED,
	};

	if (!lookup) {
		if (register_kprobe(&kp) < 0)
			return 0;
		lookup = (void *)kp.addr;
		unregister_kprobe(&kp);
		if (!lookup)
			return 0;
	}
	return lookup(name);
}

static int s2p_resolve(void)
{
	static const char * const names[] = { "kvm_pgtable_walk", "kvm_vm_ioctl" };
	unsigned long addr[ARRAY_SIZE(names)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		addr[i] = s2p_lookup(names[i]);
		if (!addr[i]) {
			pr_err("cannot resolve kernel symbol '%s': this kernel needs CONFIG_KALLSYMS and CONFIG_KPROBES, and KVM built in; s2probe cannot work here\n",
			       names[i]);
			return -ENOENT;
		}
	}
	s2p_pgtable_walk = (typeof(s2p_pgtable_walk))addr[0];
	s2p_vm_ioctl = (const void *)addr[1];
	return 0;
}

/* ---- VMs ---- */

/*
 * A VM is known by the file table that holds its VM fd: the task (a thread
 * when it unshared its files, else the process) and the fd. KVM names its
 * debugfs directory "<pid>-<fd>" after the task that created the VM.
 */
struct s2p_vm;

/*
 * What the views of one directory walk: the VM's stage 2 (nested -1) or
 * the shadow stage 2 of nested MMU n (nested/<n>/).
 */
struct s2p_stage2 {
	struct s2p_vm *vm;
	int nested;
};

/* Shadow MMU directories made for one VM, at most (each is 5 files). */
#define S2P_MAX_NESTED	64

struct s2p_vm {
	struct list_head node;
	struct kref ref;
	struct kvm *kvm;	/* identity only: no reference is held */
	pid_t pid;		/* the process (thread group) */
	pid_t tid;		/* the task whose file table holds fd */
	unsigned int fd;
	char name[32];
	char comm[TASK_COMM_LEN];
	struct dentry *dir;
	struct s2p_stage2 own;	/* its own stage 2: the directory's views */
	/* nested/: made when the VM has shadow MMUs, grown at rescans */
	struct dentry *nested_dir;
	struct s2p_stage2 *nested[S2P_MAX_NESTED];
	int nr_nested;
	bool seen;
};

static LIST_HEAD(s2p_vms);
static DEFINE_MUTEX(s2p_vms_lock);	/* protects s2p_vms and the directories */
static struct dentry *s2p_root;
static bool s2p_protected;

static void s2p_vm_free(struct kref *ref)
{
	struct s2p_vm *vm = container_of(ref, struct s2p_vm, ref);
	int i;

	for (i = 0; i < vm->nr_nested; i++)
		kfree(vm->nested[i]);
	kfree(vm);
}

static void s2p_vm_put(struct s2p_vm *vm)
{
	kref_put(&vm->ref, s2p_vm_free);
}

static bool s2p_is_vm_file(struct file *file)
{
	return file->f_op && (const void *)file->f_op->unlocked_ioctl == s2p_vm_ioctl;
}

/* One VM file found while scanning; holds a VM reference. */
struct s2p_found {
	struct kvm *kvm;
	pid_t pid, tid;
	unsigned int fd;
	char comm[TASK_COMM_LEN];
};

struct s2p_scan {
	struct s2p_found *found;
	unsigned int nr, max;
	struct task_struct *task;
	/* for s2p_vm_get_kvm(): the one fd and VM wanted */
	unsigned int want_fd;
	struct kvm *want_kvm;
	struct kvm *got;
};

static int s2p_scan_fd(const void *p, struct file *file, unsigned int fd)
{
	struct s2p_scan *s = (struct s2p_scan *)p;
	struct s2p_found *f;
	struct kvm *kvm;
	unsigned int i;

	if (!s2p_is_vm_file(file))
		return 0;
	kvm = file->private_data;
	for (i = 0; i < s->nr; i++)
		if (s->found[i].kvm == kvm)
			return 0;
	if (s->nr == s->max)
		return 1;
	if (!kvm_get_kvm_safe(kvm))
		return 0;
	f = &s->found[s->nr++];
	f->kvm = kvm;
	f->pid = task_tgid_nr(s->task);
	f->tid = task_pid_nr(s->task);
	f->fd = fd;
	/* task_lock is held (it guards comm); 6.1's get_task_comm() would take it again */
	strscpy_pad(f->comm, s->task->comm, sizeof(f->comm));
	return 0;
}

/*
 * Every VM file of every file table: each process' and, where a thread
 * unshared its files (CLONE_FILES not set, or unshare()), that thread's.
 * Threads sharing a table already scanned are skipped by comparing the
 * table's address, which is never dereferenced without task_lock().
 */
static void s2p_scan_all(struct s2p_scan *s)
{
	struct task_struct *p, *t;
	const void *first;

	rcu_read_lock();
	for_each_process(p) {
		first = NULL;
		for_each_thread(p, t) {
			task_lock(t);
			if (t->files && t->files != first) {
				if (!first)
					first = t->files;
				s->task = t;
				iterate_fd(t->files, 0, s2p_scan_fd, s);
			}
			task_unlock(t);
			if (s->nr == s->max)
				goto out;
		}
	}
out:
	rcu_read_unlock();
}

static void s2p_scan_release(struct s2p_scan *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		kvm_put_kvm(s->found[i].kvm);
	s->nr = 0;
	kfree(s->found);
	s->found = NULL;
}

/* KVM's own debugfs name for this VM ("<pid>-<fd>" at creation), if any. */
static void s2p_vm_name(struct s2p_found *f, char *buf, size_t len)
{
	struct dentry *d = f->kvm->debugfs_dentry;

	if (!IS_ERR_OR_NULL(d))
		snprintf(buf, len, "%pd", d);
	else
		snprintf(buf, len, "%d-%u", f->tid, f->fd);
}

static const struct file_operations s2p_ranges_fops, s2p_pages_fops,
	s2p_summary_fops, s2p_effective_fops, s2p_bars_fops, s2p_ptdump_fops,
	s2p_mmus_fops, s2p_pkvm_fops;

static void s2p_stage2_init(struct s2p_stage2 *sp, struct s2p_vm *vm, int nested)
{
	sp->vm = vm;
	sp->nested = nested;
}

static void s2p_stage2_files(struct dentry *dir, struct s2p_stage2 *sp)
{
	debugfs_create_file("ranges", 0400, dir, sp, &s2p_ranges_fops);
	debugfs_create_file("pages", 0400, dir, sp, &s2p_pages_fops);
	debugfs_create_file("summary", 0400, dir, sp, &s2p_summary_fops);
	debugfs_create_file("effective", 0400, dir, sp, &s2p_effective_fops);
	/* a shadow stage 2's IPAs are the nested guest's: no memslot, no BAR */
	if (sp->nested >= 0)
		return;
	debugfs_create_file("bars", 0400, dir, sp, &s2p_bars_fops);
	/*
	 * not yet for a shadow stage 2: the one lab run of the nested suite
	 * that read it ended in an RCU stall, unexplained (2026-12-03)
	 */
	debugfs_create_file("ptdump", 0400, dir, sp, &s2p_ptdump_fops);
}

/*
 * nested/<n>/ for each shadow MMU the VM has now: KVM makes them when a
 * vCPU with EL2 is set up, two per vCPU, and their number only grows.
 */
static void s2p_vm_sync_nested(struct s2p_vm *vm, struct kvm *kvm)
{
	char name[12];
	int want;

	read_lock(&kvm->mmu_lock);
	want = s2p_nr_nested(kvm);
	read_unlock(&kvm->mmu_lock);
	if (want > S2P_MAX_NESTED) {
		pr_warn_once("VM %s has %d nested MMUs: nested/mmus lists them all, only the first %d get directories\n",
			     vm->name, want, S2P_MAX_NESTED);
		want = S2P_MAX_NESTED;
	}
	if (want <= vm->nr_nested)
		return;
	if (!vm->nested_dir) {
		vm->nested_dir = debugfs_create_dir("nested", vm->dir);
		debugfs_create_file("mmus", 0400, vm->nested_dir, vm, &s2p_mmus_fops);
	}
	while (vm->nr_nested < want) {
		struct s2p_stage2 *sp = kzalloc(sizeof(*sp), GFP_KERNEL);

		if (!sp)
			return;
		s2p_stage2_init(sp, vm, vm->nr_nested);
		snprintf(name, sizeof(name), "%d", vm->nr_nested);
		s2p_stage2_files(debugfs_create_dir(name, vm->nested_dir), sp);
		vm->nested[vm->nr_nested++] = sp;
	}
}

static void s2p_vm_add(struct s2p_found *f)
{
	struct s2p_vm *vm = kzalloc(sizeof(*vm), GFP_KERNEL);

	if (!vm)
		return;
	kref_init(&vm->ref);
	s2p_stage2_init(&vm->own, vm, -1);
	vm->kvm = f->kvm;
	vm->pid = f->pid;
	vm->tid = f->tid;
	vm->fd = f->fd;
	vm->seen = true;
	strscpy(vm->comm, f->comm, sizeof(vm->comm));
	s2p_vm_name(f, vm->name, sizeof(vm->name));
	vm->dir = debugfs_create_dir(vm->name, s2p_root);
	if (IS_ERR(vm->dir)) {
		pr_warn("cannot create debugfs directory %s (error %ld): VM %d-%u is not shown\n",
			vm->name, PTR_ERR(vm->dir), vm->tid, vm->fd);
		kfree(vm);
		return;
	}
	s2p_stage2_files(vm->dir, &vm->own);
	if (s2p_protected && S2P_PKVM_MAPPINGS)
		debugfs_create_file("pkvm", 0400, vm->dir, vm, &s2p_pkvm_fops);
	s2p_vm_sync_nested(vm, f->kvm);
	list_add_tail(&vm->node, &s2p_vms);
}

static void s2p_vm_remove(struct s2p_vm *vm)
{
	list_del(&vm->node);
	debugfs_remove_recursive(vm->dir);
	s2p_vm_put(vm);
}

#define S2P_MAX_VMS	256

/*
 * Scan for VMs and bring the directories in line: the ones whose VM is
 * gone are removed first, so that a new VM that got the same "<pid>-<fd>"
 * (the VMM closed its VM and created another) gets its directory.
 * The scan runs under s2p_vms_lock: a scan that two readers of vms made
 * side by side and applied one after the other would let the older one
 * remove the directory of a VM created between the two.
 * On success s->found holds a reference on each VM found.
 */
static int s2p_rescan(struct s2p_scan *s)
{
	struct s2p_vm *vm, *tmp;
	unsigned int i;

	s->max = S2P_MAX_VMS;
	s->nr = 0;
	s->found = kcalloc(s->max, sizeof(*s->found), GFP_KERNEL);
	if (!s->found)
		return -ENOMEM;
	mutex_lock(&s2p_vms_lock);
	s2p_scan_all(s);
	list_for_each_entry(vm, &s2p_vms, node) {
		vm->seen = false;
		for (i = 0; i < s->nr && !vm->seen; i++)
			vm->seen = vm->kvm == s->found[i].kvm && vm->tid == s->found[i].tid &&
				   vm->fd == s->found[i].fd;
	}
	list_for_each_entry_safe(vm, tmp, &s2p_vms, node)
		if (!vm->seen)
			s2p_vm_remove(vm);
	for (i = 0; i < s->nr; i++) {
		bool known = false;

		list_for_each_entry(vm, &s2p_vms, node) {
			if (vm->kvm != s->found[i].kvm || vm->tid != s->found[i].tid ||
			    vm->fd != s->found[i].fd)
				continue;
			s2p_vm_sync_nested(vm, s->found[i].kvm);
			known = true;
		}
		if (!known)
			s2p_vm_add(&s->found[i]);
	}
	mutex_unlock(&s2p_vms_lock);
	if (s->nr == s->max)
		pr_warn("more than %u VMs: only the first are shown\n", s->max);
	return 0;
}

static int s2p_find_fd(const void *p, struct file *file, unsigned int fd)
{
	struct s2p_scan *s = (struct s2p_scan *)p;

	if (fd != s->want_fd)
		return 1;	/* iterate_fd started at want_fd: it is not open */
	if (s2p_is_vm_file(file) && file->private_data == s->want_kvm &&
	    kvm_get_kvm_safe(s->want_kvm))
		s->got = s->want_kvm;
	return 1;
}

/* A reference to the VM behind @vm, if that VM still exists. */
static struct kvm *s2p_vm_get_kvm(struct s2p_vm *vm)
{
	struct s2p_scan s = { .want_fd = vm->fd, .want_kvm = vm->kvm };
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(find_pid_ns(vm->tid, &init_pid_ns), PIDTYPE_PID);
	if (t) {
		task_lock(t);
		if (t->files)
			iterate_fd(t->files, vm->fd, s2p_find_fd, &s);
		task_unlock(t);
	}
	rcu_read_unlock();
	return s.got;
}

/* ---- Work counters (stats) ---- */

/*
 * What reading the views has cost since load, for tests and benchmarks:
 * lock holds, leaves recorded, descriptions of host VMAs and scans of the
 * PCI devices; read /sys/kernel/debug/s2probe/stats before and after.
 * max_hold_ns is the longest hold of kvm->mmu_lock since the previous read
 * of stats (a read takes it), so a reader between two reads gets its own.
 */
enum s2p_stat { S2P_ST_CHUNKS, S2P_ST_LEAVES, S2P_ST_VMAS, S2P_ST_PCI_SCANS, S2P_NR_STATS };

static const char * const s2p_stat_names[S2P_NR_STATS] = {
	[S2P_ST_CHUNKS] = "chunks", [S2P_ST_LEAVES] = "leaves",
	[S2P_ST_VMAS] = "vma_descriptions", [S2P_ST_PCI_SCANS] = "pci_scans",
};

static atomic64_t s2p_stats[S2P_NR_STATS];

static void s2p_count(enum s2p_stat st, long n)
{
	atomic64_add(n, &s2p_stats[st]);
}

static atomic64_t s2p_max_hold_ns;

/* a hold of kvm->mmu_lock that began at @t0 (local_clock()) ends now */
static void s2p_hold_end(u64 t0)
{
	s64 ns = local_clock() - t0, old = atomic64_read(&s2p_max_hold_ns);

	while (ns > old) {
		s64 seen = atomic64_cmpxchg(&s2p_max_hold_ns, old, ns);

		if (seen == old)
			break;
		old = seen;
	}
}

static int s2p_stats_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < S2P_NR_STATS; i++)
		seq_printf(m, "%s=%lld\n", s2p_stat_names[i], atomic64_read(&s2p_stats[i]));
	/* taken by the read: each read shows the longest hold since the last */
	seq_printf(m, "max_hold_ns=%lld\n", atomic64_xchg(&s2p_max_hold_ns, 0));
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(s2p_stats);

/*
 * policy: how this kernel's KVM types memory outside the linear map
 * (s2probe.h, enum s2p_policy), and the CPU features it looks at.
 */
static int s2p_policy_show(struct seq_file *m, void *v)
{
	seq_printf(m, "policy=%s\n", s2p_policy_name(S2P_POLICY));
	seq_printf(m, "fwb=%s\n", cpus_have_final_cap(ARM64_HAS_STAGE2_FWB) ? "yes" : "no");
	seq_printf(m, "dic=%s\n", cpus_have_final_cap(ARM64_HAS_CACHE_DIC) ? "yes" : "no");
	seq_printf(m, "cacheable_pfnmap=%s\n", s2p_cacheable_pfnmap() ? "yes" : "no");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(s2p_policy);

/* ---- The walk ---- */

enum s2p_view { S2P_RANGES, S2P_PAGES, S2P_SUMMARY, S2P_EFFECTIVE, S2P_BARS, S2P_PTDUMP };

enum s2p_backing {
	S2P_B_NONE, S2P_B_ANON, S2P_B_THP, S2P_B_HUGETLB, S2P_B_FILE,
	S2P_B_PFNMAP, S2P_B_IO, S2P_B_GONE, S2P_B_GMEM, S2P_B_NESTED,
};

static const char * const s2p_backing_names[] = {
	[S2P_B_NONE] = "none", [S2P_B_ANON] = "anon", [S2P_B_THP] = "anon-thp",
	[S2P_B_HUGETLB] = "hugetlb", [S2P_B_FILE] = "file", [S2P_B_PFNMAP] = "pfnmap",
	[S2P_B_IO] = "io", [S2P_B_GONE] = "gone", [S2P_B_GMEM] = "gmem",
	[S2P_B_NESTED] = "nested",	/* a shadow IPA: no memslot maps it */
};

/* What backs leaves in the host, as ranges and bars lines say it */
struct s2p_host_facts {
	short slot;		/* -1: no memslot */
	short bar;		/* -1: not a PCI BAR */
	u8 backing;
	bool wc;
	bool has_vf;		/* PFNMAP or IO: vf holds KVM's view of the VMA */
	struct s2p_vma_facts vf;
	char bdf[16];
	char path[S2P_HOST_PATH_MAX];	/* escaped; file mappings only */
};

/*
 * The host facts of records being made or shown. gen tells entries apart
 * across batches: equal gens, equal facts (a line's host part is written
 * once per gen, s2p_show_range()).
 */
struct s2p_host_ent {
	struct s2p_host_facts f;
	u32 gen;
};

/*
 * One leaf, or with S2P_RANGES/EFFECTIVE a run of alike leaves: its first
 * leaf's descriptor and level, decoded only where a line needs it; what
 * backs it is s2p_iter.hosts[host], shared by the records of one host run.
 */
struct s2p_rec {
	u64 ipa, size, pa, hva;
	u64 pte;
	s8 level;
	u16 host;
};

struct s2p_vma_cache {
	bool valid;
	const void *vma, *file;	/* identity only, never dereferenced */
	unsigned long start, end, flags;
	u64 leaf_size;
	struct s2p_host_facts f;	/* what the VMA gives: not slot and bar */
};

struct s2p_bar_hit {
	int bar;		/* -1: none yet */
	u64 start, end;
	char bdf[16];
	/* the last miss: no BAR holds a byte of [miss_lo, miss_hi] */
	bool have_miss;
	u64 miss_lo, miss_hi;
};

/*
 * A lock hold visits at most S2P_HOLD_VISITS entries (last-level tables are
 * read in one loop each) and copies at most S2P_RAW_MAX leaves, and ends
 * early when a writer waits for the lock.
 */
#define S2P_HOLD_VISITS	4096
#define S2P_RAW_MAX	512	/* 16 KiB: a last-level table of 4K pages */
#define S2P_BATCH	64	/* effective, bars: records per seq_file batch */
#define S2P_HOSTS	(S2P_BATCH + 1)	/* host facts: the open line's, one per record or leaf */
#define S2P_PAGES_BATCH	64	/* pages, ranges: raw copies per seq_file batch */
#define S2P_CONTENTION_EVERY	64	/* visits between two looks at the lock */
#define S2P_LINE_MAX	512	/* effective's tail (8 types) fits */
#define S2P_PTD_BATCH	64	/* ptdump: lines made per lock hold, at most */

/*
 * The records of ranges, effective and bars, apart from the iterator so
 * that pages, summary and ptdump readers do not hold them.
 */
struct s2p_batch {
	/*
	 * the lines: records of runs of raw leaves, each merged into the one
	 * before it where they make one line, and one more being made
	 */
	struct s2p_rec lines[S2P_BATCH + 1];
	/* what backs them: reset to the growing range's own at each s2p_stage() */
	struct s2p_host_ent hosts[S2P_HOSTS];
	/* effective: the tail of its lines for MemAttr eff_memattr */
	char eff_tail[S2P_LINE_MAX];
	size_t eff_len;
};

/* summary: counts per memattr and leaf size (level) */
#define S2P_NR_MEMATTR	16
#define S2P_NR_LEVELS	5	/* -1..3 */

/* The names of the MemAttr values without and with FWB, made at load */
static char s2p_mt_names[2][S2P_NR_MEMATTR][S2P_MT_NAME_MAX];

/*
 * A valid leaf as the walk copied it: its descriptor and level, and the
 * first IPA of it in the window (its own, or the window's start). Nothing
 * else is read under the lock; lines are made from these after it. ranges
 * adds what backs the leaf in the host (s2p_stage_raws()): its host entry
 * and the hva of its first byte (0: none). 32 bytes: S2P_RAW_MAX of them
 * fill a kmalloc-16k.
 */
struct s2p_raw {
	u64 ipa;
	u64 pte;
	u64 hva;
	s8 level;
	u16 host;
};

struct s2p_counts {		/* all leaves and bytes: the sums over levels */
	u64 mt_leaves[S2P_NR_MEMATTR], mt_bytes[S2P_NR_MEMATTR];
	u64 lv_leaves[S2P_NR_LEVELS], lv_bytes[S2P_NR_LEVELS];
};

/* ptdump: the run still open, and the runs closed in this lock hold */
struct s2p_ptdump_state {
	struct s2p_ptd open;
	struct s2p_ptd_run runs[S2P_PTD_BATCH];
	unsigned int nruns;
};

/* ranges, effective and bars: their records, and what backs them */
struct s2p_rec_state {
	struct s2p_batch *batch;	/* allocated at the first read */
	unsigned int nhosts;		/* batch->hosts used */
	u32 host_gen;			/* the last gen given */
	bool have_growing;		/* effective, bars: lines[seq.n] grows */
	/*
	 * ranges: the line left open by the batches before the one held
	 * (carry, in carry_open), and by the one held (carry_next:
	 * s2p_show_ranges() makes it, the next refill takes it); flush: the
	 * batch held closes carry, the walk is over
	 */
	struct s2p_rec carry, carry_next;
	bool carry_open, carry_next_open, flush;
	/* ranges and bars of a VM's own stage 2: the host's view of it */
	char *pathbuf;			/* for d_path() */
	struct s2p_bar_hit bar_hit;	/* the last BAR s2p_pci_of() found */
	struct s2p_vma_cache vma_cache;	/* the last VMA described */
	/* ranges: pieces of lines; the host part of the gen piece_gen's */
	struct s2p_range_pieces range_pieces;
	struct s2p_host_piece host_piece;
	u32 piece_gen;			/* 0: none yet */
	/* effective: whose tail batch->eff_tail is; -1: none */
	int eff_memattr;
};

/* Where a reader is: one seq_file record per batch (s2p_seq_ahead()) */
struct s2p_seq_pos {
	loff_t base;		/* the record number of the batch held */
	unsigned int n;		/* its records; 0 before the first */
};

struct s2p_iter {
	struct s2p_vm *vm;
	struct kvm *kvm;
	int nested;		/* -1, or the shadow MMU walked */
	struct s2p_nested_ctx ctx;	/* a shadow MMU's context when opened */
	u8 no_slot;		/* backing of a leaf no memslot holds */
	enum s2p_view view;
	const struct s2p_consumer *consumer;	/* what the view does with the walk */
	bool fwb, lpa2;
	u32 ia_bits;
	u64 start, end;		/* the window walked */
	u64 cursor;		/* next IPA to walk */
	bool walked;		/* cursor reached end */
	/*
	 * the leaves of the last lock hold (allocated at the first read),
	 * raw[rawpos..nraw) left; summary copies none, it only counts in nraw;
	 * ranges: raw[..staged) have their host facts (s2p_stage_raws())
	 */
	struct s2p_raw *raw;
	unsigned int nraw, rawpos, staged, visits;
	u64 attr_mask;		/* descriptor bits that are not the output address */
	bool table_counted;		/* the walk ended after a whole table */
	bool leaf_level_ok[S2P_NR_LEVELS];	/* [level + 1]: a leaf may sit there */
	/* MemAttr names under this VM's FWB */
	const char (*mt_name)[S2P_MT_NAME_MAX];
	/* pages and ranges: a line near the end of the buffer (s2p_line_at()) */
	char aside[S2P_RANGE_LINE_MAX];
	/*
	 * the batch handed to seq_file at seq.base: seq.n records, in
	 * batch->lines (ranges, effective, bars), runs (ptdump) or for pages
	 * raw[bpos..]; with have_growing, batch->lines[seq.n] is a range still
	 * growing
	 */
	struct s2p_seq_pos seq;
	unsigned int bpos;
	/* what the view keeps of its own: the member its view names */
	union {
		struct s2p_counts counts;		/* summary */
		struct s2p_pieces page_pieces;		/* pages */
		struct s2p_ptdump_state ptdump;		/* ptdump */
		struct s2p_rec_state rec;		/* ranges, effective, bars */
	};
};

static_assert(S2P_PAGE_LINE_MAX <= S2P_RANGE_LINE_MAX, "aside holds a pages line");

/*
 * Does the lock hold end here? After S2P_HOLD_VISITS entries, or earlier
 * when a writer waits for the lock (looked at every S2P_CONTENTION_EVERY).
 */
static bool s2p_hold_over(const struct s2p_iter *it)
{
	return it->visits >= S2P_HOLD_VISITS ||
	       (!(it->visits % S2P_CONTENTION_EVERY) && rwlock_is_contended(&it->kvm->mmu_lock));
}

/*
 * Is @pte a valid leaf at @level? s2p_is_leaf() of s2probe.h, its part that
 * depends on the level and the granule alone computed at open.
 */
static bool s2p_leaf_here(const struct s2p_iter *it, u64 pte, int level)
{
	return it->leaf_level_ok[level + 1] && s2p_is_leaf_at(pte, level);
}

/* summary, at an entry that is not a table: count @bytes of a valid leaf */
static int s2p_count_entry(struct s2p_iter *it, u64 from, int level, u64 pte, u64 bytes)
{
	struct s2p_counts *c = &it->counts;

	if (s2p_leaf_here(it, pte, level)) {
		unsigned int mt = s2p_field(pte, S2P_F_MEMATTR);

		c->mt_leaves[mt]++;
		c->mt_bytes[mt] += bytes;
		c->lv_leaves[level + 1]++;
		c->lv_bytes[level + 1] += bytes;
		it->nraw++;
	}
	return s2p_hold_over(it) ? -E2BIG : 0;
}

/*
 * ptdump, at an entry that is not a table: note it, valid or not, from
 * @from on (last-level tables: s2p_ptd_note_table()). The lock hold also ends
 * after S2P_PTD_BATCH lines.
 */
static int s2p_ptd_entry(struct s2p_iter *it, u64 from, int level, u64 pte, u64 bytes)
{
	if (s2p_ptd_note(&it->ptdump.open, from, level, pte, &it->ptdump.runs[it->ptdump.nruns]))
		it->ptdump.nruns++;
	return it->ptdump.nruns == S2P_PTD_BATCH || s2p_hold_over(it) ? -E2BIG : 0;
}

/*
 * summary, at a level-2 table entry: count the last-level table below it
 * in one loop (s2p_count_pages()) rather than one walker callback per
 * entry, then end the walk (s2p_walk_chunk() walks on from the cursor in
 * the same lock hold), so the walker does not visit those entries again.
 * The table is read as the walker reads it: inside its RCU section, under
 * the read lock, each entry once.
 */
static int s2p_count_table(struct s2p_iter *it, const kvm_pte_t *table, u64 ipa)
{
	const unsigned int ptrs = PAGE_SIZE / sizeof(kvm_pte_t);
	struct s2p_counts *c = &it->counts;
	u64 from = max(ipa, it->cursor), to = min(ipa + ((u64)ptrs << PAGE_SHIFT), it->end);
	unsigned int first = (from - ipa) >> PAGE_SHIFT, last = (to - 1 - ipa) >> PAGE_SHIFT;
	unsigned int per_mt[S2P_NR_MEMATTR] = { 0 };
	u64 head = READ_ONCE(table[first]), tail = READ_ONCE(table[last]);
	unsigned int i, n;

	/* the entries [first + 1, last - 1] are whole pages in the window */
	n = first + 1 < last ? s2p_count_pages((const u64 *)table, first + 1, last - 1, per_mt) : 0;
	for (i = 0; i < S2P_NR_MEMATTR; i++) {
		c->mt_leaves[i] += per_mt[i];
		c->mt_bytes[i] += (u64)per_mt[i] << PAGE_SHIFT;
	}
	c->lv_leaves[3 + 1] += n;
	c->lv_bytes[3 + 1] += (u64)n << PAGE_SHIFT;
	/* the first and the last entry may reach outside the window */
	s2p_count_entry(it, from, 3, head, min(ipa + ((u64)(first + 1) << PAGE_SHIFT), to) - from);
	if (last != first)
		s2p_count_entry(it, from, 3, tail, to - (ipa + ((u64)last << PAGE_SHIFT)));
	it->nraw += n;
	it->visits += last - first + 1;
	it->cursor = to;
	it->table_counted = true;
	return -E2BIG;
}

/*
 * ptdump, at a level-2 table entry: note the last-level table below it in
 * one loop (s2p_ptd_table() of s2probe.h) and end the walk, as summary does
 * (s2p_count_table()); s2p_walk_chunk() walks on from the cursor in the
 * same lock hold unless the batch of lines is full.
 */
static int s2p_ptd_note_table(struct s2p_iter *it, const kvm_pte_t *table, u64 ipa)
{
	const unsigned int ptrs = PAGE_SIZE / sizeof(kvm_pte_t);
	u64 from = max(ipa, it->cursor), to = min(ipa + ((u64)ptrs << PAGE_SHIFT), it->end);
	unsigned int first = (from - ipa) >> PAGE_SHIFT, last = (to - 1 - ipa) >> PAGE_SHIFT;
	unsigned int next;

	next = s2p_ptd_table(&it->ptdump.open, (const u64 *)table, first, last, ipa, PAGE_SHIFT,
			     it->cursor, it->ptdump.runs, &it->ptdump.nruns, S2P_PTD_BATCH);
	it->visits += next - first;
	it->cursor = max(it->cursor, ipa + ((u64)next << PAGE_SHIFT));
	it->table_counted = it->ptdump.nruns < S2P_PTD_BATCH;
	return -E2BIG;
}

/* Copy a valid leaf; true when the copies are full for this lock hold. */
static bool s2p_raw_push(struct s2p_iter *it, u64 from, u64 pte, int level)
{
	struct s2p_raw *w = &it->raw[it->nraw++];

	w->ipa = from;
	w->pte = pte;
	w->level = level;
	return it->nraw == S2P_RAW_MAX;
}

/*
 * pages, ranges, effective and bars, at a level-2 table entry: copy the
 * valid pages of the last-level table below it in one loop, as many as the
 * copies hold (the cursor then stops inside the table), and end the walk
 * as summary does (s2p_count_table()). Entries are read once each, with
 * READ_ONCE(), inside the walker's RCU section under the read lock; no
 * pointer to the table is kept.
 */
static int s2p_raw_table(struct s2p_iter *it, const kvm_pte_t *table, u64 ipa)
{
	const unsigned int ptrs = PAGE_SIZE / sizeof(kvm_pte_t);
	u64 from = max(ipa, it->cursor), to = min(ipa + ((u64)ptrs << PAGE_SHIFT), it->end);
	unsigned int first = (from - ipa) >> PAGE_SHIFT, last = (to - 1 - ipa) >> PAGE_SHIFT;
	unsigned int i = first;
	bool full = false;

	for (; i <= last && !full; i++) {
		u64 pte = READ_ONCE(table[i]);

		if (s2p_is_leaf_at(pte, 3))
			full = s2p_raw_push(it, i == first ? from : ipa + ((u64)i << PAGE_SHIFT),
					    pte, 3);
	}
	it->visits += i - first;
	it->cursor = i > last ? to : ipa + ((u64)i << PAGE_SHIFT);
	it->table_counted = !full;
	return -E2BIG;
}

/*
 * pages, ranges, effective and bars, at an entry that is not a table: copy
 * it if it is a valid leaf; the hold also ends when the copies are full.
 */
static int s2p_raw_entry(struct s2p_iter *it, u64 from, int level, u64 pte, u64 bytes)
{
	if (s2p_leaf_here(it, pte, level) && s2p_raw_push(it, from, pte, level))
		return -E2BIG;
	return s2p_hold_over(it) ? -E2BIG : 0;
}

/*
 * What a view does with the walk: @table reads a last-level table whole
 * (at its level-2 table entry) and ends the walk, which s2p_walk_chunk()
 * resumes from the cursor; @entry takes any other entry that is not a
 * table, from @from on, @bytes of it in the window. Both return -E2BIG to
 * end the walk, and the lock hold with it unless the table was read whole.
 */
struct s2p_consumer {
	int (*table)(struct s2p_iter *it, const kvm_pte_t *table, u64 ipa);
	int (*entry)(struct s2p_iter *it, u64 from, int level, u64 pte, u64 bytes);
};

static const struct s2p_consumer s2p_count_consumer = {	/* summary */
	.table = s2p_count_table,
	.entry = s2p_count_entry,
};

static const struct s2p_consumer s2p_ptd_consumer = {	/* ptdump */
	.table = s2p_ptd_note_table,
	.entry = s2p_ptd_entry,
};

static const struct s2p_consumer s2p_raw_consumer = {	/* the views of leaves */
	.table = s2p_raw_table,
	.entry = s2p_raw_entry,
};

/*
 * At a level-1 table entry: hand the consumer the level-2 entries below it
 * that are not tables (blocks, invalid entries) in one loop, rather than a
 * walker callback each, up to the first table entry or the window's end;
 * then end the walk (s2p_walk_chunk() goes on from the cursor in the same
 * lock hold). A table entry at the cursor is left to the walker: it
 * descends, and s2p_visit() reads the last-level table below. Entries are
 * read once each with READ_ONCE(), inside the walker's RCU section under
 * the read lock, as s2p_raw_table() reads them.
 */
static int s2p_block_table(struct s2p_iter *it, const kvm_pte_t *table, u64 ipa)
{
	const unsigned int ptrs = PAGE_SIZE / sizeof(kvm_pte_t);
	const unsigned int shift = s2p_level_shift(PAGE_SHIFT, 2);
	u64 to = min(ipa + ((u64)ptrs << shift), it->end);
	unsigned int first = (max(ipa, it->cursor) - ipa) >> shift, last = (to - 1 - ipa) >> shift;
	unsigned int i;
	int ret;

	for (i = first; i <= last; i++) {
		u64 pte = READ_ONCE(table[i]);
		u64 at = ipa + ((u64)i << shift), from = max(at, it->cursor);

		if (s2p_is_table_entry(pte))
			break;
		it->visits++;
		it->cursor = at + (1ULL << shift);
		ret = it->consumer->entry(it, from, 2, pte, min(it->cursor, it->end) - from);
		if (ret)
			return ret;	/* the hold is over */
	}
	if (i == first)
		return 0;
	it->table_counted = true;
	return -E2BIG;
}

/*
 * The visitor of every view. It hands the view's consumer what lies in
 * [max(cursor, window start), window end) and moves the cursor to the
 * entry's end, never backwards:
 * - 6.3+ shared walks re-read an entry after its callback and descend if a
 *   fault turned the block into a table meanwhile (dirty logging splits
 *   blocks under the read lock): those children lie below the cursor and
 *   are skipped, so nothing is counted twice;
 * - a chunk resumes at the cursor, which a merge (pages collapsed into a
 *   block between two lock holds) may have put inside a block: only the
 *   part from the cursor on is recorded.
 * Consumers set every field they fill: nothing survives from an earlier
 * chunk.
 */
static int s2p_visit(void *arg, const struct s2p_entry *e)
{
	struct s2p_iter *it = arg;
	int level = e->level;
	u64 size = s2p_level_size(PAGE_SHIFT, level);
	u64 ipa = e->addr & ~(size - 1);
	u64 end = ipa + size;
	u64 from = max(ipa, it->cursor);

	it->visits++;
	if (end <= it->cursor)
		return 0;	/* below the cursor: already shown */
	if (e->table_pre) {	/* the last two levels' tables: a loop each */
		if (level == 2)
			return it->consumer->table(it, e->child, ipa);
		return level == 1 ? s2p_block_table(it, e->child, ipa) : 0;
	}
	it->cursor = end;
	return it->consumer->entry(it, from, level, e->pte, min(end, it->end) - from);
}

/*
 * The memslot of record @r (inside kvm->srcu) into @f, its hva into @r;
 * gmem slots have no VMA. *last is the slot found for the previous lookup
 * of this srcu hold: leaves come in IPA order, so it usually holds the
 * next one too.
 */
static void s2p_slot_of(struct kvm *kvm, struct s2p_rec *r, struct s2p_host_facts *f,
			struct kvm_memory_slot **last)
{
	gfn_t gfn = r->ipa >> PAGE_SHIFT;
	struct kvm_memory_slot *ms = *last;

	f->slot = -1;
	r->hva = 0;
	if (!ms || gfn < ms->base_gfn || gfn >= ms->base_gfn + ms->npages)
		ms = search_memslots(kvm_memslots(kvm), gfn, false);
	*last = ms;
	if (!ms)
		return;
	f->slot = ms->id;
	if (s2p_slot_gmem(ms)) {
		f->backing = S2P_B_GMEM;
		return;
	}
	r->hva = ms->userspace_addr + ((gfn - ms->base_gfn) << PAGE_SHIFT) +
		 (r->ipa & ~PAGE_MASK);
}

/* ranges, effective and bars: the views made of records (it->rec) */
static bool s2p_has_recs(const struct s2p_iter *it)
{
	return it->view == S2P_RANGES || it->view == S2P_EFFECTIVE || it->view == S2P_BARS;
}

/*
 * Views that name the memslot and the host backing of what they show. A
 * shadow stage 2's input addresses are the nested guest's: memslots do not
 * apply to them.
 */
static bool s2p_wants_backing(const struct s2p_iter *it)
{
	return (it->view == S2P_RANGES || it->view == S2P_BARS) && it->nested < 0;
}

/*
 * The table a chunk walks (under mmu_lock). A shadow MMU that KVM gave to
 * another context of the guest hypervisor since the open is not read on:
 * its lines would mix two address spaces.
 */
static int s2p_chunk_pgt(struct s2p_iter *it, struct kvm_pgtable **pgt)
{
	struct kvm_s2_mmu *mmu = s2p_mmu(it->kvm, it->nested);

	if (!mmu || !mmu->pgt)
		return -ENOENT;	/* torn down: the VMM has exited */
	if (it->nested >= 0 && s2p_nested_vttbr(mmu) != it->ctx.vttbr) {
		pr_notice_ratelimited("%s nested MMU %d was reused for another context during a read: read it again\n",
				      it->vm->name, it->nested);
		return -ESTALE;
	}
	*pgt = mmu->pgt;
	return 0;
}

/*
 * Walk on from it->cursor under the MMU lock, bounded: copy leaves to
 * it->raw, count them (summary) or note them (ptdump). Every walk ends after
 * each last-level table it reads whole and goes on from there in the same
 * lock hold, until the hold's bounds or a waiting writer end it.
 */
static int s2p_walk_chunk(struct s2p_iter *it)
{
	struct kvm_pgtable_walker walker = {
		.cb = s2p_walker_cb,
		.arg = it,
		.flags = S2P_WALK_FLAGS | KVM_PGTABLE_WALK_TABLE_PRE,
	};
	struct kvm *kvm = it->kvm;
	struct kvm_pgtable *pgt;
	int idx, ret;
	u64 addr, t0;

	if (it->consumer == &s2p_raw_consumer && !it->raw) {
		it->raw = kmalloc_array(S2P_RAW_MAX, sizeof(*it->raw), GFP_KERNEL);
		if (!it->raw)
			return -ENOMEM;
	}
	if (s2p_has_recs(it) && !it->rec.batch) {
		it->rec.batch = kmalloc(sizeof(*it->rec.batch), GFP_KERNEL);
		if (!it->rec.batch)
			return -ENOMEM;
	}
	it->nraw = 0;
	it->rawpos = 0;
	it->staged = 0;
	it->visits = 0;
	s2p_count(S2P_ST_CHUNKS, 1);
	idx = srcu_read_lock(&kvm->srcu);
	read_lock(&kvm->mmu_lock);
	t0 = local_clock();
	do {
		it->table_counted = false;
		/* every page the window touches, also when it starts mid-page */
		addr = ALIGN_DOWN(it->cursor, PAGE_SIZE);
		ret = s2p_chunk_pgt(it, &pgt);
		if (!ret)
			ret = s2p_pgtable_walk(pgt, addr, it->end - addr, &walker);
	} while (ret == -E2BIG && it->table_counted && it->cursor < it->end &&
		 it->visits < S2P_HOLD_VISITS && !rwlock_is_contended(&kvm->mmu_lock));
	s2p_hold_end(t0);
	read_unlock(&kvm->mmu_lock);
	srcu_read_unlock(&kvm->srcu, idx);
	if (ret != -E2BIG && ret)
		return ret;
	if (!ret || it->cursor >= it->end)
		it->walked = true;
	s2p_count(S2P_ST_LEAVES, it->nraw);
	return 0;
}

/*
 * The PCI BAR holding r->pa, if any, into @f. The last BAR found is remembered: the
 * leaves of one BAR mapping come in a row, so the PCI devices are scanned
 * once per range, not once per leaf.
 */
static void s2p_pci_of(struct s2p_iter *it, const struct s2p_rec *r, struct s2p_host_facts *f)
{
	struct s2p_bar_hit *hit = &it->rec.bar_hit;
	struct pci_dev *pdev = NULL;
	u64 lo = 0, hi = U64_MAX;
	int bar;

	if (hit->bar >= 0 && r->pa >= hit->start && r->pa <= hit->end)
		goto found;
	if (hit->have_miss && r->pa >= hit->miss_lo && r->pa <= hit->miss_hi)
		return;
	s2p_count(S2P_ST_PCI_SCANS, 1);
	while ((pdev = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, pdev))) {
		for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
			struct resource *res = &pdev->resource[bar];

			if (!(res->flags & IORESOURCE_MEM) || !res->start)
				continue;
			if (r->pa >= res->start && r->pa <= res->end) {
				hit->bar = bar;
				hit->start = res->start;
				hit->end = res->end;
				strscpy(hit->bdf, pci_name(pdev), sizeof(hit->bdf));
				pci_dev_put(pdev);
				goto found;
			}
			/* the gap around r->pa that no BAR touches */
			if (res->end < r->pa)
				lo = max_t(u64, lo, res->end + 1);
			else
				hi = min_t(u64, hi, res->start - 1);
		}
	}
	/* PFNMAP memory outside every BAR comes in runs: one scan per run */
	hit->have_miss = true;
	hit->miss_lo = lo;
	hit->miss_hi = hi;
	return;
found:
	f->bar = hit->bar;
	strscpy(f->bdf, hit->bdf, sizeof(f->bdf));
}

/* The memory type of @vma's page protection, as KVM reads it */
static enum s2p_vma_mt s2p_vma_mt_of(const struct vm_area_struct *vma)
{
	switch (FIELD_GET(PTE_ATTRINDX_MASK, pgprot_val(vma->vm_page_prot))) {
	case MT_NORMAL:
		return S2P_VMA_NORMAL;
	case MT_NORMAL_TAGGED:
		return S2P_VMA_NORMAL_TAGGED;
	case MT_NORMAL_NC:
		return S2P_VMA_NORMAL_NC;
	case MT_DEVICE_nGnRnE:
		return S2P_VMA_DEV_NGNRNE;
	case MT_DEVICE_nGnRE:
		return S2P_VMA_DEV_NGNRE;
	default:
		return S2P_VMA_OTHER;
	}
}

/*
 * What KVM's policy makes of a PFNMAP or IO mapping (only memory outside
 * the linear map is typed by it: a BAR always is, and s2probe.h says what
 * it gives other memory).
 */
static void s2p_vma_facts_of(const struct vm_area_struct *vma, struct s2p_host_facts *f)
{
	struct s2p_vma_facts *v = &f->vf;

	f->has_vf = true;
	v->mt = s2p_vma_mt_of(vma);
	v->allow_uc = s2p_vma_allow_uc(vma);
	v->expect = s2p_policy_expect(S2P_POLICY, v->mt, v->allow_uc, s2p_cacheable_pfnmap());
}

/*
 * What kind of host memory @vma is, and its file, into @f; the leaf size
 * decides THP.
 */
static void s2p_vma_kind(struct s2p_iter *it, struct vm_area_struct *vma, u64 leaf_size,
			 struct s2p_host_facts *f)
{
	s2p_count(S2P_ST_VMAS, 1);
	f->has_vf = false;
	if (is_vm_hugetlb_page(vma)) {
		f->backing = S2P_B_HUGETLB;
	} else if (vma->vm_flags & (VM_PFNMAP | VM_IO)) {
		f->backing = (vma->vm_flags & VM_PFNMAP) ? S2P_B_PFNMAP : S2P_B_IO;
		s2p_vma_facts_of(vma, f);
	} else if (vma_is_anonymous(vma) || !vma->vm_file) {
		/* KVM maps anonymous memory with a block only when THP backs it */
		f->backing = leaf_size > PAGE_SIZE ? S2P_B_THP : S2P_B_ANON;
	} else {
		f->backing = S2P_B_FILE;
	}
	/* the path is shown for file mappings; the name tells a _wc BAR file */
	if (vma->vm_file && f->backing != S2P_B_ANON && f->backing != S2P_B_THP) {
		char *p = d_path(&vma->vm_file->f_path, it->rec.pathbuf, PATH_MAX);

		if (!IS_ERR(p)) {
			size_t n = strlen(p);

			f->wc = n > 3 && !strcmp(p + n - 3, "_wc");
			/* one token whatever the name; a long path keeps its end */
			s2p_escape_tail(f->path, S2P_HOST_PATH_MAX, p, n);
		}
	}
}

/*
 * The VMA described last, kept across lock holds. A VMA is only identified
 * by its address while mmap_lock is held; with the lock dropped in between
 * it counts as the same mapping only if its range, flags and file match too.
 */
static bool s2p_vma_cached(const struct s2p_vma_cache *c, const struct vm_area_struct *vma,
			   u64 leaf_size)
{
	return c->valid && c->vma == vma && c->start == vma->vm_start &&
	       c->end == vma->vm_end && c->flags == vma->vm_flags &&
	       c->file == vma->vm_file && c->leaf_size == leaf_size;
}

static void s2p_vma_cache_fill(struct s2p_vma_cache *c, const struct vm_area_struct *vma,
			       u64 leaf_size, const struct s2p_host_facts *f)
{
	c->valid = true;
	c->vma = vma;
	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->flags = vma->vm_flags;
	c->file = vma->vm_file;
	c->leaf_size = leaf_size;
	c->f = *f;
}

/* The bytes of raw leaf @w inside the window, from w->ipa on */
static u64 s2p_raw_size(const struct s2p_iter *it, const struct s2p_raw *w)
{
	u64 size = s2p_level_size(PAGE_SHIFT, w->level);

	return min((w->ipa & ~(size - 1)) + size, it->end) - w->ipa;
}

/* The size of the leaves of record @r */
static u64 s2p_rec_leaf_size(const struct s2p_rec *r)
{
	return s2p_level_size(PAGE_SHIFT, r->level);
}

static unsigned int s2p_rec_memattr(const struct s2p_rec *r)
{
	return s2p_field(r->pte, S2P_F_MEMATTR);
}

/* The host physical address of raw leaf @w's first byte in the window */
static u64 s2p_raw_pa(const struct s2p_iter *it, const struct s2p_raw *w)
{
	return s2p_leaf_oa(w->pte, PAGE_SHIFT, w->level, it->lpa2) +
	       (w->ipa & (s2p_level_size(PAGE_SHIFT, w->level) - 1));
}

/*
 * The record of raw leaf @w, its first byte at host physical @pa
 * (s2p_raw_pa()), nothing of the host known yet
 */
static void s2p_rec_of_raw(const struct s2p_iter *it, const struct s2p_raw *w, u64 pa,
			   struct s2p_rec *r)
{
	r->pte = w->pte;
	r->level = w->level;
	r->ipa = w->ipa;
	r->size = s2p_raw_size(it, w);
	r->pa = pa;
	r->hva = 0;
}

static bool s2p_same_vma_facts(const struct s2p_host_facts *a, const struct s2p_host_facts *b)
{
	return a->has_vf == b->has_vf &&
	       (!a->has_vf || (a->vf.mt == b->vf.mt && a->vf.allow_uc == b->vf.allow_uc &&
			       a->vf.expect == b->vf.expect));
}

/* A memslot and not guest_memfd: a userspace address backs the leaves */
static bool s2p_facts_have_hva(const struct s2p_host_facts *f)
{
	return f->slot >= 0 && f->backing != S2P_B_GMEM;
}

/* Do ranges lines of @a and @b say the same of the host, but for the hva? */
static bool s2p_same_host(const struct s2p_host_facts *a, const struct s2p_host_facts *b)
{
	return a->slot == b->slot && a->backing == b->backing &&
	       a->bar == b->bar && a->wc == b->wc && s2p_same_vma_facts(a, b) &&
	       (a->bar < 0 || !strcmp(a->bdf, b->bdf)) &&
	       (a->backing != S2P_B_FILE || !strcmp(a->path, b->path));
}

/*
 * A new host entry, facts unknown: no memslot, no BAR, @backing. Room is
 * there: s2p_stage() keeps one entry, s2p_make_lines() makes a record, which
 * adds one at most, only while one is left.
 */
static struct s2p_host_facts *s2p_host_new(struct s2p_iter *it, u8 backing)
{
	struct s2p_host_facts *f = &it->rec.batch->hosts[it->rec.nhosts].f;

	memset(f, 0, sizeof(*f));
	f->slot = -1;
	f->bar = -1;
	f->backing = backing;
	return f;
}

/* Keep the entry s2p_host_new() filled, under a gen of its own. */
static u16 s2p_host_keep(struct s2p_iter *it)
{
	if (!++it->rec.host_gen)
		it->rec.host_gen++;	/* 0 is no piece's */
	it->rec.batch->hosts[it->rec.nhosts].gen = it->rec.host_gen;
	return it->rec.nhosts++;
}

/*
 * Give record @r the entry s2p_host_new() filled, or the one before it if
 * that says the same (a VMA split in two, or a second run of one): their
 * lines then share a host part. PFNMAP and IO entries are their record's
 * alone: s2p_pci_of() completes them after the lookups.
 */
static void s2p_host_commit(struct s2p_iter *it, struct s2p_rec *r)
{
	const struct s2p_host_facts *f = &it->rec.batch->hosts[it->rec.nhosts].f;

	if (it->rec.nhosts && f->backing != S2P_B_PFNMAP && f->backing != S2P_B_IO &&
	    s2p_same_host(&it->rec.batch->hosts[it->rec.nhosts - 1].f, f)) {
		r->host = it->rec.nhosts - 1;
		return;
	}
	r->host = s2p_host_keep(it);
}

/* The memslot, VMA and host run of the record made last, in one s2p_stage() */
struct s2p_host_walk {
	struct mm_struct *mm;		/* NULL: no address space left */
	struct kvm_memory_slot *ms;
	struct vm_area_struct *vma;
	/* the run: records in [ipa, end) of leaf_size have host and hva + offset */
	bool have_run, has_hva;
	u16 host;
	u64 ipa, end, hva, leaf_size;
};

/*
 * What backs @r in the host, into @f: its memslot (inside kvm->srcu) and
 * VMA (under mmap_lock). Returns the IPA up to which the leaves after @r
 * have the same memslot and VMA, so that a run of them is described once:
 * the end of both, or @r's own end where it is not known (no memslot, no
 * VMA) or where each leaf is looked up on its own (PFNMAP and IO: its BAR,
 * s2p_pci_of()).
 */
static u64 s2p_host_lookup(struct s2p_iter *it, struct s2p_rec *r, struct s2p_host_facts *f,
			   struct s2p_host_walk *hw)
{
	struct s2p_vma_cache *c = &it->rec.vma_cache;
	struct vm_area_struct *vma = hw->vma;
	u64 own_end = r->ipa + r->size, slot_end, leaf_size = s2p_rec_leaf_size(r);

	s2p_slot_of(it->kvm, r, f, &hw->ms);
	if (f->slot < 0) {
		f->backing = S2P_B_NONE;
		return own_end;
	}
	slot_end = (u64)(hw->ms->base_gfn + hw->ms->npages) << PAGE_SHIFT;
	if (f->backing == S2P_B_GMEM)
		return slot_end;	/* guest_memfd: no userspace mapping backs it */
	/* the VMAs cannot change while mmap_lock is held */
	if (!vma || r->hva < vma->vm_start || r->hva >= vma->vm_end)
		vma = hw->mm ? vma_lookup(hw->mm, r->hva) : NULL;
	hw->vma = vma;
	if (!vma) {
		f->backing = S2P_B_GONE;
		return own_end;
	}
	if (s2p_vma_cached(c, vma, leaf_size)) {
		f->backing = c->f.backing;
		f->wc = c->f.wc;
		f->has_vf = c->f.has_vf;
		f->vf = c->f.vf;
		if (f->backing == S2P_B_FILE)	/* no other line shows a path */
			memcpy(f->path, c->f.path, sizeof(f->path));
	} else {
		s2p_vma_kind(it, vma, leaf_size, f);
		s2p_vma_cache_fill(c, vma, leaf_size, f);
	}
	if (f->backing == S2P_B_PFNMAP || f->backing == S2P_B_IO)
		return own_end;
	return min(slot_end, r->ipa + (vma->vm_end - r->hva));
}

/* Is a leaf of @leaf_size at @ipa in @hw's host run? */
static bool s2p_in_run(const struct s2p_host_walk *hw, u64 ipa, u64 leaf_size)
{
	return hw->have_run && ipa >= hw->ipa && ipa < hw->end && leaf_size == hw->leaf_size;
}

/* The hva of @ipa in @hw's host run, 0 where no userspace address backs it */
static u64 s2p_run_hva(const struct s2p_host_walk *hw, u64 ipa)
{
	return hw->has_hva ? hw->hva + (ipa - hw->ipa) : 0;
}

/*
 * Record @r's host entry and hva: those of the run it is in, or looked up
 * (a new run). Returns the IPA the run ends at.
 */
static u64 s2p_rec_host(struct s2p_iter *it, struct s2p_rec *r, struct s2p_host_walk *hw)
{
	struct s2p_host_facts *f;
	u64 end;

	if (s2p_in_run(hw, r->ipa, s2p_rec_leaf_size(r))) {
		r->host = hw->host;
		r->hva = s2p_run_hva(hw, r->ipa);
		return hw->end;
	}
	f = s2p_host_new(it, it->no_slot);
	end = s2p_host_lookup(it, r, f, hw);
	hw->has_hva = s2p_facts_have_hva(f);
	s2p_host_commit(it, r);
	hw->have_run = true;
	hw->host = r->host;
	hw->ipa = r->ipa;
	hw->end = end;
	hw->hva = r->hva;
	hw->leaf_size = s2p_rec_leaf_size(r);
	return end;
}

/*
 * Does raw leaf @w, @size bytes of it in the window, continue record @r
 * (which reaches @limit at most)? For
 * effective: the next IPA, the same MemAttr. Otherwise the next IPA and
 * output address, the same level and every other descriptor bit the same:
 * then it shares everything the views show of @r. Leaves that differ only
 * in what a view does not show are joined by s2p_mergeable() later.
 */
static bool s2p_raw_extends(const struct s2p_iter *it, const struct s2p_rec *r,
			    const struct s2p_raw *w, u64 size, u64 limit)
{
	if (w->ipa != r->ipa + r->size || w->ipa + size > limit)
		return false;
	if (it->view == S2P_EFFECTIVE)
		return s2p_field(w->pte, S2P_F_MEMATTR) == s2p_rec_memattr(r);
	return w->level == r->level && !((w->pte ^ r->pte) & it->attr_mask) &&
	       s2p_leaf_oa(w->pte, PAGE_SHIFT, w->level, it->lpa2) == r->pa + r->size;
}

/*
 * Two records make one line of effective or bars. Their lines show nothing
 * of the host but a BAR: IPA contiguity and the type decide (a
 * host-physical break would tell which guest pages are contiguous on the
 * host).
 */
static bool s2p_mergeable(const struct s2p_iter *it, const struct s2p_rec *a,
			  const struct s2p_rec *b)
{
	const struct s2p_host_ent *hosts = it->rec.batch->hosts;
	const struct s2p_host_facts *ha = &hosts[a->host].f, *hb = &hosts[b->host].f;

	if (a->ipa + a->size != b->ipa || s2p_rec_memattr(a) != s2p_rec_memattr(b))
		return false;
	if (it->view == S2P_EFFECTIVE)
		return true;
	return a->host == b->host ||	/* one entry, the same facts */
	       (s2p_same_vma_facts(ha, hb) && ha->bar == hb->bar && ha->wc == hb->wc &&
		!strcmp(ha->bdf, hb->bdf));
}

/*
 * Record @r: the run of alike raw leaves from the next one on (at most up to
 * @limit), with @hw what backs it in the host (memslot and VMA once per host
 * run; a PFNMAP or IO leaf is a run of its own, its entry its own, and its
 * BAR found here), without it the entry @none.
 */
static void s2p_rec_make(struct s2p_iter *it, struct s2p_rec *r, struct s2p_host_walk *hw,
			 u16 none)
{
	struct s2p_host_facts *f;
	u64 limit = U64_MAX;

	s2p_rec_of_raw(it, &it->raw[it->rawpos], s2p_raw_pa(it, &it->raw[it->rawpos]), r);
	it->rawpos++;
	r->host = none;
	if (hw)
		limit = s2p_rec_host(it, r, hw);
	while (it->rawpos < it->nraw) {
		const struct s2p_raw *w = &it->raw[it->rawpos];
		u64 size = s2p_raw_size(it, w);

		if (!s2p_raw_extends(it, r, w, size, limit))
			break;
		r->size += size;
		it->rawpos++;
	}
	if (!hw)
		return;
	f = &it->rec.batch->hosts[r->host].f;
	if (f->backing == S2P_B_PFNMAP || f->backing == S2P_B_IO)
		s2p_pci_of(it, r, f);
}

/*
 * Record @r, made in the slot after the line still growing, joins that line
 * or closes it and grows itself.
 */
static void s2p_line_add(struct s2p_iter *it, struct s2p_rec *r)
{
	struct s2p_rec_state *rs = &it->rec;
	struct s2p_rec *growing = &rs->batch->lines[it->seq.n];

	if (it->view == S2P_BARS && rs->batch->hosts[r->host].f.bar < 0)
		return;		/* not a BAR: not in this view */
	if (!rs->have_growing) {
		rs->have_growing = true;	/* r is lines[seq.n] */
		return;
	}
	if (s2p_mergeable(it, growing, r))
		growing->size += r->size;
	else
		it->seq.n++;
}

/*
 * Make lines from the raw leaves left, in one pass: a record per run of
 * alike leaves, merged into the line before it where they make one. Up to
 * S2P_BATCH closed lines, while host entries are left (a record takes one
 * at most).
 */
static void s2p_make_lines(struct s2p_iter *it, struct s2p_host_walk *hw, u16 none)
{
	struct s2p_rec_state *rs = &it->rec;

	while (it->seq.n < S2P_BATCH && rs->nhosts < S2P_HOSTS && it->rawpos < it->nraw) {
		struct s2p_rec *r = &rs->batch->lines[it->seq.n + rs->have_growing];

		s2p_rec_make(it, r, hw, none);
		s2p_line_add(it, r);
	}
}

/*
 * Raw leaf @w starts a host run: look up what backs it into a new entry
 * of @hw's run (a PFNMAP or IO leaf's BAR too). Apart from the loop: its
 * record is zeroed at each call (CONFIG_INIT_STACK_ALL_ZERO).
 */
static noinline void s2p_raw_new_run(struct s2p_iter *it, const struct s2p_raw *w,
				     struct s2p_host_walk *hw)
{
	struct s2p_host_facts *f;
	struct s2p_rec r;

	s2p_rec_of_raw(it, w, s2p_raw_pa(it, w), &r);
	s2p_rec_host(it, &r, hw);
	f = &it->rec.batch->hosts[r.host].f;
	if (f->backing == S2P_B_PFNMAP || f->backing == S2P_B_IO)
		s2p_pci_of(it, &r, f);
}

/*
 * ranges: the host entry and hva of each raw leaf from it->rawpos on, with
 * @hw (memslot and VMA once per host run, a PFNMAP or IO leaf's BAR found
 * here), without it the entry @none; while host entries are left (a leaf
 * takes one at most). s2p_show_ranges() makes the lines.
 */
static void s2p_stage_raws(struct s2p_iter *it, struct s2p_host_walk *hw, u16 none)
{
	struct s2p_rec_state *rs = &it->rec;
	unsigned int i;

	if (!hw) {
		for (i = it->rawpos; i < it->nraw; i++) {
			it->raw[i].host = none;
			it->raw[i].hva = 0;
		}
		it->staged = i;
		return;
	}
	for (i = it->rawpos; i < it->nraw && rs->nhosts < S2P_HOSTS; i++) {
		struct s2p_raw *w = &it->raw[i];

		if (!s2p_in_run(hw, w->ipa, s2p_level_size(PAGE_SHIFT, w->level)))
			s2p_raw_new_run(it, w, hw);
		w->host = hw->host;
		w->hva = s2p_run_hva(hw, w->ipa);
	}
	it->staged = i;
}

/*
 * Before new host entries: only the line still open (@keep, NULL: none)
 * keeps its entry, moved to the first.
 */
static void s2p_hosts_reset(struct s2p_rec_state *rs, struct s2p_rec *keep)
{
	struct s2p_batch *b = rs->batch;

	rs->nhosts = 0;
	if (!keep)
		return;
	if (keep->host)
		b->hosts[0] = b->hosts[keep->host];
	keep->host = 0;
	rs->nhosts = 1;
}

/* ranges makes host facts for raw leaves, effective and bars make records */
static void s2p_make(struct s2p_iter *it, struct s2p_host_walk *hw)
{
	u16 none = 0;

	if (!hw) {
		s2p_host_new(it, it->no_slot);
		none = s2p_host_keep(it);
	}
	if (it->view == S2P_RANGES)
		s2p_stage_raws(it, hw, none);
	else
		s2p_make_lines(it, hw, none);
}

/*
 * ranges, effective and bars, after the lock is dropped: what the next
 * lines need (s2p_make()). ranges and bars look up what backs them in the host:
 * memslots inside kvm->srcu, VMAs under mmap_lock (taken in the order of
 * KVM's own faults), BARs only for PFNMAP and IO mappings, leaf by leaf
 * (pci_get_device() walks the bus's klist under a spinlock: no lock that
 * mmap_lock could wait for).
 */
static int s2p_stage(struct s2p_iter *it)
{
	struct s2p_host_walk hw = { };
	struct s2p_rec_state *rs = &it->rec;
	struct mm_struct *mm = it->kvm->mm;
	int idx, ret = 0;

	if (it->view == S2P_RANGES)
		s2p_hosts_reset(rs, rs->carry_open ? &rs->carry : NULL);
	else
		s2p_hosts_reset(rs, rs->have_growing ? &rs->batch->lines[0] : NULL);
	if (!s2p_wants_backing(it)) {
		s2p_make(it, NULL);
		return 0;
	}
	idx = srcu_read_lock(&it->kvm->srcu);
	if (mm && mmget_not_zero(mm)) {
		/* a VMM stuck in the kernel with mmap_lock held must not hang a reader */
		if (mmap_read_lock_killable(mm)) {
			ret = -EINTR;
		} else {
			hw.mm = mm;
			s2p_make(it, &hw);
			mmap_read_unlock(mm);
		}
		mmput(mm);
	} else {
		s2p_make(it, &hw);	/* no address space left: no VMA */
	}
	srcu_read_unlock(&it->kvm->srcu, idx);
	return ret;
}

/*
 * The next lock hold's walk, unless the reader is being killed; then a
 * chance to reschedule.
 */
static int s2p_walk_next(struct s2p_iter *it)
{
	int ret;

	if (fatal_signal_pending(current))
		return -EINTR;
	ret = s2p_walk_chunk(it);
	cond_resched();
	return ret;
}

/*
 * ptdump's next lines: the runs closed in the next lock hold; the end of the
 * walk closes the open run at the window's end, as note_page_flush() does at
 * the IPA space's.
 */
static int s2p_refill_ptd(struct s2p_iter *it)
{
	int ret;

	it->seq.n = 0;
	while (!it->seq.n) {
		if (it->walked) {
			if (s2p_ptd_flush(&it->ptdump.open, it->end, &it->ptdump.runs[0]))
				it->seq.n = 1;
			return 0;
		}
		it->ptdump.nruns = 0;
		ret = s2p_walk_next(it);
		if (ret)
			return ret;
		it->seq.n = it->ptdump.nruns;
	}
	return 0;
}

/*
 * The next batch of raw copies, raw[bpos, bpos + seq.n) (seq.n 0 at the
 * walk's end): pages' lines are the copies themselves; ranges' are made
 * from them as they are shown, once their host facts are staged, for as
 * many copies as host entries allow (usually the whole lock hold's).
 */
static int s2p_refill_raws(struct s2p_iter *it)
{
	int ret;

	it->seq.n = 0;
	while (it->rawpos == it->nraw) {
		if (it->walked)
			return 0;
		ret = s2p_walk_next(it);
		if (ret)
			return ret;
	}
	if (it->view == S2P_RANGES && it->rawpos >= it->staged) {
		ret = s2p_stage(it);
		if (ret)
			return ret;
	}
	it->bpos = it->rawpos;
	it->seq.n = min((it->view == S2P_RANGES ? it->staged : it->nraw) - it->rawpos,
			S2P_PAGES_BATCH);
	it->rawpos += it->seq.n;
	return 0;
}

/*
 * ranges' next batch: the next raw copies (s2p_refill_raws()), whose lines
 * s2p_show_ranges() makes from the line the batches before left open;
 * after the last copy, a batch (seq.n 1) that closes that line.
 */
static int s2p_refill_ranges(struct s2p_iter *it)
{
	struct s2p_rec_state *rs = &it->rec;
	int ret;

	/* the batch held was shown: the line it left open goes on */
	rs->carry = rs->carry_next;
	rs->carry_open = rs->carry_next_open;
	ret = s2p_refill_raws(it);
	if (ret || it->seq.n)
		return ret;
	if (rs->carry_open && !rs->flush) {
		rs->flush = true;
		it->seq.n = 1;
	}
	return 0;
}

/*
 * effective's and bars' next lines: records in batch->lines; the line
 * still growing waits for the next refill, or the end of the walk.
 */
static int s2p_refill_recs(struct s2p_iter *it)
{
	struct s2p_rec_state *rs = &it->rec;
	int ret;

	if (rs->have_growing && it->seq.n)
		rs->batch->lines[0] = rs->batch->lines[it->seq.n];
	it->seq.n = 0;
	while (!it->seq.n) {
		if (it->rawpos < it->nraw) {
			ret = s2p_stage(it);
			if (ret)
				return ret;
			continue;
		}
		if (it->walked) {
			if (rs->have_growing) {
				it->seq.n++;
				rs->have_growing = false;
			}
			return 0;
		}
		ret = s2p_walk_next(it);
		if (ret)
			return ret;
	}
	return 0;
}

/* Produce the next batch for seq_file; sets seq.n (0 at the end) */
static int s2p_refill(struct s2p_iter *it)
{
	if (it->view == S2P_PTDUMP)
		return s2p_refill_ptd(it);
	if (it->view == S2P_PAGES)
		return s2p_refill_raws(it);
	if (it->view == S2P_RANGES)
		return s2p_refill_ranges(it);
	return s2p_refill_recs(it);
}

static void s2p_restart(struct s2p_iter *it)
{
	it->cursor = it->start;
	/* upstream's nested_mmuN of an MMU without a context is empty */
	it->walked = it->start >= it->end || (it->view == S2P_PTDUMP && !it->ctx.valid);
	it->nraw = 0;
	it->rawpos = 0;
	it->staged = 0;
	it->seq.n = 0;
	it->seq.base = 0;
	if (it->view == S2P_SUMMARY) {
		memset(&it->counts, 0, sizeof(it->counts));
	} else if (it->view == S2P_PTDUMP) {
		s2p_ptd_init(&it->ptdump.open);
		it->ptdump.nruns = 0;
	} else if (s2p_has_recs(it)) {
		it->rec.have_growing = false;
		it->rec.carry_open = false;
		it->rec.carry_next_open = false;
		it->rec.flush = false;
		it->rec.piece_gen = 0;
		it->rec.bar_hit.bar = -1;
		it->rec.bar_hit.have_miss = false;
		it->rec.vma_cache.valid = false;
	}
}

/*
 * One seq_file record is one batch: the records of one refill (a lock
 * hold's worth), shown together. seq_file's work per record (start, next,
 * show, its own loop) is then paid once per batch, not once per line; a
 * batch's lines (at most S2P_BATCH) fit the buffer many times over. The
 * views and pkvm keep where their batch is in a struct s2p_seq_pos.
 */

/*
 * Is the batch at @pos after the one held? Then the caller refills: @p's
 * base moves past the batch held (none before the first).
 */
static bool s2p_seq_ahead(struct s2p_seq_pos *p, loff_t pos)
{
	if (pos < p->base + !!p->n)
		return false;
	p->base += !!p->n;
	return true;
}

/* The batch at @pos, NULL past the last one, or an ERR_PTR */
static void *s2p_seq_at(struct s2p_iter *it, loff_t pos)
{
	int ret;

	if (pos < it->seq.base)
		s2p_restart(it);
	while (s2p_seq_ahead(&it->seq, pos)) {
		ret = s2p_refill(it);
		if (ret)
			return ERR_PTR(ret);
		if (!it->seq.n)
			return NULL;
	}
	return it;
}

/*
 * Every read() starts here. Batches already walked are not served once
 * the tables are gone: whatever the walk had left to do, the read ends in
 * ENOENT (or ESTALE) after the lines seq_file holds, so a reader can tell
 * a VM that went from one that has no more leaves.
 */
static void *s2p_view_start(struct seq_file *m, loff_t *pos)
{
	struct s2p_iter *it = m->private;
	struct kvm_pgtable *pgt;
	int ret;

	read_lock(&it->kvm->mmu_lock);
	ret = s2p_chunk_pgt(it, &pgt);
	read_unlock(&it->kvm->mmu_lock);
	if (ret)
		return ERR_PTR(ret);
	return s2p_seq_at(it, *pos);
}

static void *s2p_view_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return s2p_seq_at(m->private, *pos);
}

/* Nothing is held from one read() to the next: each refill locks for itself */
static void s2p_seq_stop(struct seq_file *m, void *v)
{
}

/* seq_operations of s2p_<name>_start, _next and _show, named as DEFINE_SEQ_ATTRIBUTE() does */
#define S2P_SEQ_OPS(name)					\
static const struct seq_operations s2p_##name##_seq_ops = {	\
	.start = s2p_##name##_start,				\
	.next = s2p_##name##_next,				\
	.stop = s2p_seq_stop,					\
	.show = s2p_##name##_show,				\
}

/*
 * The views write one line per record with s2probe.h's line writers (no
 * format parsing: a 4K-mapped guest has a line per page), straight into the
 * seq_file buffer; pages writes its lines from the raw leaves. A line
 * that does not fit marks the buffer full: seq_file then shows its batch
 * again in the next buffer (a larger one if it was the first).
 */
static void s2p_commit(struct seq_file *m, size_t n)
{
	seq_commit(m, n ? (int)n : -1);
}

/* What a ranges line says of the host: @r's facts, and its hva */
static void s2p_host_of(const struct s2p_host_facts *f, u64 hva, struct s2p_host *h)
{
	*h = (struct s2p_host){
		.slot = f->slot,
		.has_hva = s2p_facts_have_hva(f),
		.hva = hva,
		.backing = s2p_backing_names[f->backing],
		.bdf = f->bar >= 0 ? f->bdf : NULL,
		.bar = f->bar,
		.wc = f->wc,
		.vma = f->has_vf ? &f->vf : NULL,
		.path = f->backing == S2P_B_FILE && f->path[0] ? f->path : NULL,
	};
}

/*
 * Where a fast writer writes a line: into seq_file's buffer when @max bytes
 * are left there (it stores whole words past the line's end), else into
 * it->aside, and s2p_commit_line() copies the line if it fits.
 */
static char *s2p_line_at(struct s2p_iter *it, char *buf, size_t len, size_t max)
{
	return len >= max ? buf : it->aside;
}

static void s2p_commit_line(struct seq_file *m, char *buf, size_t len, const char *line,
			    size_t n)
{
	if (line != buf) {
		if (n > len)
			n = 0;	/* it does not fit: the buffer is full */
		else
			memcpy(buf, line, n);
	}
	s2p_commit(m, n);
}

/*
 * The host part of @r's host entry, for the lines of its host run: apart
 * from s2p_show_range(), as the kernel zeroes a function's structures on
 * the stack at every call (CONFIG_INIT_STACK_ALL_ZERO). Its parts are
 * bounded (S2P_HOST_PATH_MAX, the tables of names): one that does not fit
 * is a bug, and the read fails rather than print a wrong line.
 */
static noinline int s2p_range_host_piece(struct s2p_iter *it, u16 host)
{
	const struct s2p_host_ent *e = &it->rec.batch->hosts[host];
	struct s2p_host h;

	s2p_host_of(&e->f, 0, &h);	/* the piece holds no hva digits */
	s2p_host_piece_make(&it->rec.host_piece, &h);
	if (!s2p_host_piece_ok(&it->rec.host_piece)) {
		pr_warn_once("the host part of a ranges line outgrew its %d bytes: please report this\n",
			     S2P_HOST_TAIL_MAX);
		it->rec.piece_gen = 0;
		return -EOVERFLOW;
	}
	it->rec.piece_gen = e->gen;
	return 0;
}

/* A ranges line, from its parts (in registers: a line is one call's work) */
static __always_inline int s2p_show_range(struct seq_file *m, struct s2p_iter *it, u64 ipa,
					  u64 size, u64 pte, int level, u64 hva, u16 host)
{
	char *buf;
	size_t len = seq_get_buf(m, &buf);
	char *line = s2p_line_at(it, buf, len, S2P_RANGE_LINE_MAX);
	int ret;

	/* the host part is written once per entry: for the lines of a host run */
	if (it->rec.piece_gen != it->rec.batch->hosts[host].gen) {
		ret = s2p_range_host_piece(it, host);
		if (ret)
			return ret;
	}
	s2p_commit_line(m, buf, len, line,
			s2p_fmt_range_fast(line, &it->rec.range_pieces, ipa, size, pte, level,
					   &it->rec.host_piece, hva));
	return 0;
}

static void s2p_show_page(struct seq_file *m, struct s2p_iter *it, const struct s2p_raw *w)
{
	char *buf;
	size_t len = seq_get_buf(m, &buf);
	char *line = s2p_line_at(it, buf, len, S2P_PAGE_LINE_MAX);

	s2p_commit_line(m, buf, len, line,
			s2p_fmt_page_raw(line, &it->page_pieces, w->ipa, w->pte, w->level,
					 PAGE_SHIFT, it->lpa2, it->mt_name));
}

static void s2p_show_effective(struct seq_file *m, struct s2p_iter *it,
			       const struct s2p_rec *r)
{
	struct s2p_batch *b = it->rec.batch;
	int memattr = s2p_rec_memattr(r);
	char *buf;
	size_t len = seq_get_buf(m, &buf);

	/* the tail depends on the memattr alone: computed once per run of it */
	if (it->rec.eff_memattr != memattr) {
		b->eff_len = s2p_fmt_effective_tail(b->eff_tail, sizeof(b->eff_tail), memattr,
						    it->fwb);
		it->rec.eff_memattr = memattr;
	}
	s2p_commit(m, s2p_fmt_effective(buf, len, r->ipa, r->size, it->mt_name[memattr],
					b->eff_tail, b->eff_len));
}

static void s2p_show_bar(struct seq_file *m, struct s2p_iter *it, const struct s2p_rec *r)
{
	const struct s2p_host_facts *f = &it->rec.batch->hosts[r->host].f;
	char *buf;
	size_t len = seq_get_buf(m, &buf);

	s2p_commit(m, s2p_fmt_bar(buf, len, r->ipa, r->size, f->bdf, f->bar,
				  it->mt_name[s2p_rec_memattr(r)], f->wc,
				  f->has_vf ? &f->vf : NULL));
}

/*
 * ptdump's batch of runs. Before the first one, what upstream prints
 * before its first line: the header, after a "VTCR:" line for a shadow
 * MMU (the context it held when the file was opened: a read ends with
 * ESTALE if KVM gives the MMU another).
 */
static void s2p_show_ptd(struct seq_file *m, struct s2p_iter *it)
{
	unsigned int i;
	char *buf;
	size_t len;

	if (!it->seq.base) {
		if (it->nested >= 0) {
			len = seq_get_buf(m, &buf);
			s2p_commit(m, s2p_fmt_ptd_mmu(buf, len, it->ctx.vtcr, it->ctx.vttbr,
						      it->ctx.s2_enabled));
		}
		seq_puts(m, S2P_PTD_HEADER);
	}
	for (i = 0; i < it->seq.n && !seq_has_overflowed(m); i++) {
		len = seq_get_buf(m, &buf);
		s2p_commit(m, s2p_fmt_ptd(buf, len, &it->ptdump.runs[i]));
	}
}

/*
 * A batch's lines, a loop per view around its line writer: one that does
 * not fit marks the buffer full (s2p_commit()), and seq_file then drops the
 * batch's lines written so far and shows the batch again.
 */
static void s2p_show_pages(struct seq_file *m, struct s2p_iter *it)
{
	const struct s2p_raw *w = &it->raw[it->bpos];
	unsigned int i;

	for (i = 0; i < it->seq.n && !seq_has_overflowed(m); i++)
		s2p_show_page(m, it, &w[i]);
}

/*
 * Does raw leaf @w, its first byte at host physical @pa, continue the
 * ranges line of @g? Contiguous in IPA, PA and HVA, the same leaf part
 * (s2p_range_key(): the level and the bits the line shows) and what backs
 * it in the host the same.
 */
static bool s2p_range_extends(const struct s2p_iter *it, const struct s2p_rec *g,
			      const struct s2p_raw *w, u64 pa)
{
	const struct s2p_host_ent *hosts = it->rec.batch->hosts;

	if (w->ipa != g->ipa + g->size || pa != g->pa + g->size || w->level != g->level ||
	    ((w->pte ^ g->pte) & it->rec.range_pieces.mask[w->level + 1]))
		return false;
	if (g->hva ? w->hva != g->hva + g->size : w->hva)
		return false;
	return w->host == g->host || s2p_same_host(&hosts[g->host].f, &hosts[w->host].f);
}

/*
 * ranges: the lines a batch of raw leaves closes, made as they are written
 * from the line left open before it (it->rec.carry), which it leaves as it
 * was: seq_file may show a batch again. The line this batch leaves open is
 * carry_next, which the next refill takes. The line being made is a local
 * (in registers), written out only at the end.
 */
static int s2p_show_ranges(struct seq_file *m, struct s2p_iter *it)
{
	struct s2p_rec_state *rs = &it->rec;
	const struct s2p_raw *w = &it->raw[it->bpos];
	unsigned int i, n = rs->flush ? 0 : it->seq.n;
	struct s2p_rec g = rs->carry;
	bool open = rs->carry_open;
	int ret;

	for (i = 0; i < n; i++) {
		u64 pa = s2p_raw_pa(it, &w[i]);

		if (open && s2p_range_extends(it, &g, &w[i], pa)) {
			g.size += s2p_raw_size(it, &w[i]);
			continue;
		}
		if (open) {
			ret = s2p_show_range(m, it, g.ipa, g.size, g.pte, g.level, g.hva, g.host);
			if (ret || seq_has_overflowed(m))
				return ret;
		}
		s2p_rec_of_raw(it, &w[i], pa, &g);
		g.hva = w[i].hva;	/* staged: s2p_stage_raws() */
		g.host = w[i].host;
		open = true;
	}
	if (rs->flush && open) {
		ret = s2p_show_range(m, it, g.ipa, g.size, g.pte, g.level, g.hva, g.host);
		if (ret)
			return ret;
		open = false;
	}
	rs->carry_next = g;
	rs->carry_next_open = open;
	return 0;
}

/* effective and bars: few lines (runs of one type, BARs), one loop */
static void s2p_show_typed(struct seq_file *m, struct s2p_iter *it)
{
	const struct s2p_rec *r = it->rec.batch->lines;
	unsigned int i;

	for (i = 0; i < it->seq.n && !seq_has_overflowed(m); i++) {
		if (it->view == S2P_BARS)
			s2p_show_bar(m, it, &r[i]);
		else
			s2p_show_effective(m, it, &r[i]);
	}
}

static int s2p_view_show(struct seq_file *m, void *v)
{
	struct s2p_iter *it = m->private;

	switch (it->view) {
	case S2P_PTDUMP:
		s2p_show_ptd(m, it);
		return 0;
	case S2P_PAGES:
		s2p_show_pages(m, it);
		return 0;
	case S2P_EFFECTIVE:
	case S2P_BARS:
		s2p_show_typed(m, it);
		return 0;
	default:
		return s2p_show_ranges(m, it);
	}
}

S2P_SEQ_OPS(view);

/* ---- Per-VM files ---- */

static void s2p_iter_fini(struct s2p_iter *it)
{
	if (s2p_has_recs(it)) {
		kfree(it->rec.batch);
		kfree(it->rec.pathbuf);
	}
	kfree(it->raw);
	kvm_put_kvm(it->kvm);
	s2p_vm_put(it->vm);
}

static int s2p_iter_init(struct s2p_iter *it, struct inode *inode, enum s2p_view view)
{
	struct s2p_stage2 *sp = inode->i_private;
	struct s2p_vm *vm = sp->vm;
	struct s2p_pgt_info g;
	struct kvm *kvm;
	unsigned int i;

	if (s2p_protected)
		return -EOPNOTSUPP;	/* said once, at load */
	kvm = s2p_vm_get_kvm(vm);
	if (!kvm)
		return -ENOENT;	/* the VM is gone; reading vms rescans */
	if (s2p_get_pgt_info(kvm, sp->nested, &g)) {
		kvm_put_kvm(kvm);
		return -ENOENT;
	}
	kref_get(&vm->ref);
	it->vm = vm;
	it->kvm = kvm;
	it->nested = sp->nested;
	it->ctx = g.ctx;
	it->no_slot = sp->nested < 0 ? S2P_B_NONE : S2P_B_NESTED;
	it->view = view;
	if (view == S2P_SUMMARY)
		it->consumer = &s2p_count_consumer;
	else if (view == S2P_PTDUMP)
		it->consumer = &s2p_ptd_consumer;
	else
		it->consumer = &s2p_raw_consumer;
	it->fwb = g.fwb;
	it->lpa2 = g.lpa2;
	it->ia_bits = g.ia_bits;
	it->mt_name = s2p_mt_names[g.fwb];
	for (i = 0; i < S2P_NR_LEVELS; i++)
		it->leaf_level_ok[i] = s2p_leaf_level_ok((int)i - 1, PAGE_SHIFT, g.lpa2);
	if (view == S2P_PAGES) {
		s2p_pieces_init(&it->page_pieces);
	} else if (s2p_has_recs(it)) {
		s2p_range_pieces_init(&it->rec.range_pieces, PAGE_SHIFT, g.lpa2, it->mt_name);
		it->rec.eff_memattr = -1;
	}
	/* every bit but the output address's: OA[51:50] is in [9:8] with LPA2 */
	it->attr_mask = ~(S2P_GENMASK(49, 12) | (g.lpa2 ? S2P_GENMASK(9, 8) : 0));
	/* the whole IPA space, until the reader sets a window (s2p_view_llseek()) */
	it->start = 0;
	it->end = 1ULL << g.ia_bits;
	s2p_restart(it);
	/* the views that name host files; the leaves' copies come at the first walk */
	if (s2p_wants_backing(it)) {
		it->rec.pathbuf = kmalloc(PATH_MAX, GFP_KERNEL);
		if (!it->rec.pathbuf) {
			s2p_iter_fini(it);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * pages shows host physical addresses and ranges the VMM's virtual ones:
 * like the PFNs of /proc/pid/pagemap, only for CAP_SYS_ADMIN.
 */
static bool s2p_view_shows_host_addresses(enum s2p_view view)
{
	return view == S2P_PAGES || view == S2P_RANGES;
}

/* for the files that show host addresses: pages, ranges and pkvm */
static bool s2p_may_see_host_addresses(void)
{
	if (capable(CAP_SYS_ADMIN))
		return true;
	pr_notice_ratelimited("%s (pid %d) refused: pages, ranges and pkvm show host addresses and need CAP_SYS_ADMIN; summary and effective do not\n",
			      current->comm, task_pid_nr(current));
	return false;
}

/*
 * seq_file fills one buffer per read(): with its default PAGE_SIZE, a 4K-
 * mapped 1 GiB guest's pages (26 MiB) took over 6000 read() calls. The
 * views get S2P_SEQ_BUF instead, once per open (seq_release() frees it, as
 * single_open_size()'s): memory per reader stays the same for any VM.
 */
#define S2P_SEQ_BUF	SZ_64K

static int s2p_open_view(struct inode *inode, struct file *file, enum s2p_view view)
{
	struct seq_file *m;
	struct s2p_iter *it;
	int ret;

	if (s2p_view_shows_host_addresses(view) && !s2p_may_see_host_addresses())
		return -EPERM;
	it = __seq_open_private(file, &s2p_view_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	m = file->private_data;
	m->buf = kvmalloc(S2P_SEQ_BUF, GFP_KERNEL_ACCOUNT);
	if (!m->buf) {
		seq_release_private(inode, file);
		return -ENOMEM;
	}
	m->size = S2P_SEQ_BUF;
	ret = s2p_iter_init(it, inode, view);
	if (ret)
		seq_release_private(inode, file);
	return ret;
}

static int s2p_release_view(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	s2p_iter_fini(m->private);
	return seq_release_private(inode, file);
}

static int s2p_ranges_open(struct inode *inode, struct file *file)
{
	return s2p_open_view(inode, file, S2P_RANGES);
}

static int s2p_pages_open(struct inode *inode, struct file *file)
{
	return s2p_open_view(inode, file, S2P_PAGES);
}

static int s2p_effective_open(struct inode *inode, struct file *file)
{
	return s2p_open_view(inode, file, S2P_EFFECTIVE);
}

static int s2p_bars_open(struct inode *inode, struct file *file)
{
	return s2p_open_view(inode, file, S2P_BARS);
}

static int s2p_ptdump_open(struct inode *inode, struct file *file)
{
	return s2p_open_view(inode, file, S2P_PTDUMP);
}

/*
 * The reader's own window, on its open file: lseek(fd, START, SEEK_DATA)
 * sets the start (and the end back to the IPA space's), lseek(fd, END,
 * SEEK_HOLE) the end. Only seeks and reads: no write access, so windows
 * work where lockdown leaves debugfs read-only. Either restarts the view.
 * Other seeks are seq_file's, by output bytes.
 */
static loff_t s2p_view_llseek(struct file *file, loff_t offset, int whence)
{
	struct seq_file *m = file->private_data;
	struct s2p_iter *it = m->private;
	u64 limit = 1ULL << it->ia_bits, start, end;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return seq_lseek(file, offset, whence);
	if (offset < 0)
		return -EINVAL;
	start = whence == SEEK_DATA ? offset : it->start;
	end = whence == SEEK_DATA ? limit : offset;
	if (start >= end || end > limit)
		return -EINVAL;
	mutex_lock(&m->lock);
	it->start = start;
	it->end = end;
	s2p_restart(it);
	/* seq_file's position and buffer, as seq_lseek() to 0 leaves them */
	m->index = 0;
	m->count = 0;
	m->from = 0;
	m->read_pos = 0;
	file->f_pos = 0;
	mutex_unlock(&m->lock);
	return 0;
}

/*
 * seq_read() fills at most one seq_file buffer (S2P_SEQ_BUF) per call: a
 * read() asking for more gets more of them, up to what it asked for, the
 * end of the view or a fatal signal. (debugfs passes .read on, not
 * .read_iter.)
 */
static ssize_t s2p_view_read(struct file *file, char __user *buf, size_t size, loff_t *ppos)
{
	ssize_t done = 0, n = 0;

	while ((size_t)done < size) {
		n = seq_read(file, buf + done, size - done, ppos);
		if (n <= 0)
			break;
		done += n;
		if (fatal_signal_pending(current))
			break;
	}
	return done ? done : n;
}

#define S2P_VIEW_FOPS(view)					\
static const struct file_operations s2p_##view##_fops = {	\
	.owner = THIS_MODULE,					\
	.open = s2p_##view##_open,				\
	.read = s2p_view_read,					\
	.llseek = s2p_view_llseek,				\
	.release = s2p_release_view,				\
}

/* The seq_file files with an open and a release of their own: summary, pkvm, vms */
#define S2P_SEQ_FOPS(name, seek)				\
static const struct file_operations s2p_##name##_fops = {	\
	.owner = THIS_MODULE,					\
	.open = s2p_##name##_open,				\
	.read = seq_read,					\
	.llseek = seek,						\
	.release = s2p_##name##_release,			\
}

S2P_VIEW_FOPS(ranges);
S2P_VIEW_FOPS(pages);
S2P_VIEW_FOPS(effective);
S2P_VIEW_FOPS(bars);
S2P_VIEW_FOPS(ptdump);

/* summary: one walk over the window, counted per memattr and leaf size. */
static int s2p_summary_show(struct seq_file *m, void *v)
{
	struct s2p_iter *it = m->private;
	struct s2p_counts *c = &it->counts;
	char name[S2P_MT_NAME_MAX];
	u64 leaves = 0, bytes = 0;
	unsigned int i;
	int ret;

	s2p_restart(it);
	while (!it->walked) {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = s2p_walk_chunk(it);
		if (ret)
			return ret;
		cond_resched();
	}
	for (i = 0; i < S2P_NR_LEVELS; i++) {
		leaves += c->lv_leaves[i];
		bytes += c->lv_bytes[i];
	}
	seq_printf(m, "vm=%s\n", it->vm->name);
	if (it->nested >= 0)
		seq_printf(m, "nested=%d\n", it->nested);
	seq_printf(m, "window=0x%016llx-0x%016llx\n", it->start, it->end);
	seq_printf(m, "fwb=%d\ngranule=%s\nipa_bits=%u\nleaves=%llu\nbytes=%llu\n",
		   it->fwb, s2p_size_name(PAGE_SIZE, name, sizeof(name)),
		   it->ia_bits, leaves, bytes);
	for (i = 0; i < S2P_NR_MEMATTR; i++) {
		if (!c->mt_leaves[i])
			continue;
		seq_printf(m, "bytes.%s=%llu\nleaves.%s=%llu\n", s2p_mt_names[it->fwb][i],
			   c->mt_bytes[i], s2p_mt_names[it->fwb][i], c->mt_leaves[i]);
	}
	for (i = 0; i < S2P_NR_LEVELS; i++) {
		if (!c->lv_leaves[i])
			continue;
		s2p_size_name(s2p_level_size(PAGE_SHIFT, (int)i - 1), name, sizeof(name));
		seq_printf(m, "leaves.map.%s=%llu\nbytes.map.%s=%llu\n", name,
			   c->lv_leaves[i], name, c->lv_bytes[i]);
	}
	return 0;
}

static int s2p_summary_open(struct inode *inode, struct file *file)
{
	struct s2p_iter *it = kzalloc(sizeof(*it), GFP_KERNEL);
	int ret;

	if (!it)
		return -ENOMEM;
	ret = s2p_iter_init(it, inode, S2P_SUMMARY);
	if (ret)
		goto err;
	ret = single_open(file, s2p_summary_show, it);
	if (!ret)
		return 0;
	s2p_iter_fini(it);
err:
	kfree(it);
	return ret;
}

static int s2p_summary_release(struct inode *inode, struct file *file)
{
	struct s2p_iter *it = ((struct seq_file *)file->private_data)->private;

	s2p_iter_fini(it);
	kfree(it);
	return single_release(inode, file);
}

S2P_SEQ_FOPS(summary, s2p_view_llseek);

/* ---- pkvm: what the host asked pKVM's hypervisor to map (7.x) ---- */

#define S2P_PKVM_BATCH	64

struct s2p_pkvm_iter {
	struct s2p_vm *vm;
	struct kvm *kvm;
	u64 cursor;		/* next gfn */
	bool walked;
	struct s2p_seq_pos seq;	/* map[0, seq.n) is the batch at seq.base */
	struct s2p_pkvm_map map[S2P_PKVM_BATCH];
};

static int s2p_pkvm_refill(struct s2p_pkvm_iter *it)
{
	struct kvm_pgtable *pgt;
	int ret = 0;
	u64 t0;

	it->seq.n = 0;
	if (it->walked)
		return 0;
	read_lock(&it->kvm->mmu_lock);
	t0 = local_clock();
	pgt = it->kvm->arch.mmu.pgt;
	if (pgt)
		it->walked = s2p_pkvm_map_from(pgt, it->cursor, it->map, S2P_PKVM_BATCH,
					       &it->seq.n);
	else
		ret = -ENOENT;	/* torn down: the VMM has exited */
	s2p_hold_end(t0);
	read_unlock(&it->kvm->mmu_lock);
	if (it->seq.n)
		it->cursor = it->map[it->seq.n - 1].gfn + it->map[it->seq.n - 1].nr;
	return ret;
}

static void *s2p_pkvm_start(struct seq_file *m, loff_t *pos)
{
	struct s2p_pkvm_iter *it = m->private;
	int ret;

	if (*pos < it->seq.base) {
		it->cursor = 0;
		it->walked = false;
		it->seq = (struct s2p_seq_pos){ };
	}
	while (s2p_seq_ahead(&it->seq, *pos)) {
		ret = s2p_pkvm_refill(it);
		if (ret)
			return ERR_PTR(ret);
		if (!it->seq.n)
			return NULL;
	}
	return it->map;
}

static void *s2p_pkvm_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return s2p_pkvm_start(m, pos);
}

/* "0x<ipa>-0x<end> <size> pa=0x<pa> cacheable|non-cacheable" */
static int s2p_pkvm_show(struct seq_file *m, void *v)
{
	struct s2p_pkvm_iter *it = m->private;
	char size[S2P_SIZE_NAME_MAX];
	unsigned int i;

	for (i = 0; i < it->seq.n; i++) {
		const struct s2p_pkvm_map *p = &it->map[i];
		u64 ipa = p->gfn << PAGE_SHIFT, len = p->nr << PAGE_SHIFT;

		seq_printf(m, "0x%016llx-0x%016llx %s pa=0x%016llx %s\n", ipa, ipa + len,
			   s2p_size_name(len, size, sizeof(size)), p->pfn << PAGE_SHIFT,
			   p->nc ? "non-cacheable" : "cacheable");
	}
	return 0;
}

S2P_SEQ_OPS(pkvm);

static int s2p_pkvm_open(struct inode *inode, struct file *file)
{
	struct s2p_vm *vm = inode->i_private;
	struct s2p_pkvm_iter *it;

	if (!s2p_may_see_host_addresses())
		return -EPERM;
	it = __seq_open_private(file, &s2p_pkvm_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->kvm = s2p_vm_get_kvm(vm);
	if (!it->kvm) {
		seq_release_private(inode, file);
		return -ENOENT;
	}
	kref_get(&vm->ref);
	it->vm = vm;
	return 0;
}

static int s2p_pkvm_release(struct inode *inode, struct file *file)
{
	struct s2p_pkvm_iter *it = ((struct seq_file *)file->private_data)->private;

	kvm_put_kvm(it->kvm);
	s2p_vm_put(it->vm);
	return seq_release_private(inode, file);
}

S2P_SEQ_FOPS(pkvm, seq_lseek);

/* ---- nested/mmus: the shadow MMUs of a guest hypervisor ---- */

static void s2p_show_mmu(struct seq_file *m, struct kvm *kvm, int n)
{
	struct s2p_pgt_info g;

	if (s2p_pgt_info_locked(kvm, n, &g) || !g.ctx.valid) {
		seq_printf(m, "%d invalid - - - - - -\n", n);
		return;
	}
	seq_printf(m, "%d valid 0x%016llx 0x%016llx %s %u %d %s\n", n, g.ctx.vttbr,
		   g.ctx.vtcr, g.ctx.s2_enabled ? "enabled" : "disabled", g.ia_bits,
		   g.start_level, g.ctx.pending_unmap ? "yes" : "no");
}

/*
 * One line per shadow MMU: whether it holds a context, the guest
 * hypervisor's VTTBR_EL2 and VTCR_EL2 for it, whether its stage 2 is on
 * (virtual HCR_EL2.VM), the shadow table's own input size and start level,
 * and whether it still holds a previous context's leaves (pending_unmap:
 * KVM empties it at the next vCPU load). A few dozen lines: printed under
 * the read lock in one go.
 */
static int s2p_mmus_show(struct seq_file *m, void *v)
{
	struct s2p_vm *vm = m->private;
	struct kvm *kvm = s2p_vm_get_kvm(vm);
	int n;

	if (!kvm)
		return -ENOENT;
	seq_puts(m, "# n valid vttbr vtcr s2 ia_bits start_level pending_unmap\n");
	read_lock(&kvm->mmu_lock);
	for (n = 0; n < s2p_nr_nested(kvm); n++)
		s2p_show_mmu(m, kvm, n);
	read_unlock(&kvm->mmu_lock);
	kvm_put_kvm(kvm);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(s2p_mmus);

/* ---- vms ---- */

/* One line of `vms`, taken when the file is opened. */
struct s2p_vm_line {
	char name[32];
	char comm[TASK_COMM_LEN * 4];	/* escaped: each byte may take 4 */
	pid_t pid;
	unsigned int fd;
	int nslots;
	bool have_info;
	struct s2p_pgt_info g;
};

struct s2p_vms_snap {
	unsigned int nr;
	struct s2p_vm_line line[];
};

static void s2p_vm_line(struct s2p_found *f, struct s2p_vm_line *l)
{
	struct kvm *kvm = f->kvm;
	struct kvm_memslots *slots;
	struct kvm_memory_slot *ms;
	int bkt, idx;

	idx = srcu_read_lock(&kvm->srcu);
	/*
	 * The active set is read once: kvm_for_each_memslot() evaluates its
	 * set argument at every step, and a memslot update swaps the sets at
	 * any time (srcu only keeps the old one alive), which would follow
	 * one set's hash chains with the other's node index.
	 */
	slots = kvm_memslots(kvm);
	kvm_for_each_memslot(ms, bkt, slots)
		l->nslots++;
	srcu_read_unlock(&kvm->srcu, idx);
	s2p_vm_name(f, l->name, sizeof(l->name));
	/* the VMM's name is its owner's to choose (PR_SET_NAME): one token */
	s2p_escape_tail(l->comm, sizeof(l->comm), f->comm, strnlen(f->comm, sizeof(f->comm)));
	l->pid = f->pid;
	l->fd = f->fd;
	if (s2p_protected) {
		/*
		 * The tables are the hypervisor's, and under pKVM the host's
		 * kvm_pgtable holds something else (7.x: the mappings it asked
		 * for): only VTCR_EL2's input size (T0SZ) is the host's to read.
		 */
		l->g.ia_bits = 64 - (s2p_mmu_vtcr(kvm, &kvm->arch.mmu) & S2P_VTCR_T0SZ);
		l->g.fwb = cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
		l->have_info = true;
		return;
	}
	l->have_info = !s2p_get_pgt_info(kvm, -1, &l->g);
}

static int s2p_vms_show(struct seq_file *m, void *v)
{
	struct s2p_vms_snap *snap = m->private;
	char gran[S2P_SIZE_NAME_MAX];
	unsigned int i;

	seq_puts(m, "# name pid fd comm ipa_bits start_level granule fwb mode memslots\n");
	s2p_size_name(PAGE_SIZE, gran, sizeof(gran));
	for (i = 0; i < snap->nr; i++) {
		const struct s2p_vm_line *l = &snap->line[i];
		char ia_bits[12] = "-", level[12] = "-";
		const char *g = "-", *fwb = "-", *mode = "-";

		if (l->have_info) {
			snprintf(ia_bits, sizeof(ia_bits), "%u", l->g.ia_bits);
			/* under pKVM the start level is the hypervisor's */
			if (!s2p_protected)
				snprintf(level, sizeof(level), "%d", l->g.start_level);
			g = gran;
			fwb = l->g.fwb ? "fwb=on" : "fwb=off";
			mode = s2p_protected ? "pKVM" : is_kernel_in_hyp_mode() ? "VHE" : "nVHE";
		}
		seq_printf(m, "%s %d %u %s %s %s %s %s %s %d\n", l->name, l->pid, l->fd, l->comm,
			   ia_bits, level, g, fwb, mode, l->nslots);
	}
	return 0;
}

/*
 * Opening `vms` rescans once and keeps the lines: reads, however small or
 * repeated (pread, seq_file buffer regrowth), show that one snapshot.
 */
static int s2p_vms_open(struct inode *inode, struct file *file)
{
	struct s2p_vms_snap *snap;
	struct s2p_scan s = {};
	unsigned int i;
	int ret;

	ret = s2p_rescan(&s);
	if (ret)
		return ret;
	snap = kvzalloc(struct_size(snap, line, s.nr), GFP_KERNEL);
	if (!snap) {
		s2p_scan_release(&s);
		return -ENOMEM;
	}
	snap->nr = s.nr;
	for (i = 0; i < s.nr; i++)
		s2p_vm_line(&s.found[i], &snap->line[i]);
	s2p_scan_release(&s);
	ret = single_open(file, s2p_vms_show, snap);
	if (ret)
		kvfree(snap);
	return ret;
}

static int s2p_vms_release(struct inode *inode, struct file *file)
{
	kvfree(((struct seq_file *)file->private_data)->private);
	return single_release(inode, file);
}

S2P_SEQ_FOPS(vms, seq_lseek);

/* ---- Module ---- */

static void s2p_remove_all(void)
{
	struct s2p_vm *vm, *tmp;

	mutex_lock(&s2p_vms_lock);
	list_for_each_entry_safe(vm, tmp, &s2p_vms, node)
		s2p_vm_remove(vm);
	mutex_unlock(&s2p_vms_lock);
}

static int __init s2p_init(void)
{
	struct s2p_scan s = {};
	unsigned int i;
	int ret;

	ret = s2p_resolve();
	if (ret)
		return ret;
	for (i = 0; i < S2P_NR_MEMATTR; i++) {
		s2p_memattr_name(i, false, s2p_mt_names[0][i], S2P_MT_NAME_MAX);
		s2p_memattr_name(i, true, s2p_mt_names[1][i], S2P_MT_NAME_MAX);
	}
	s2p_protected = is_protected_kvm_enabled();
	if (s2p_protected)
		pr_info("KVM runs in protected mode (pKVM): guest stage-2 tables are the hypervisor's and not visible to the host; vms lists the VMs, their views give EOPNOTSUPP\n");
	s2p_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(s2p_root)) {
		pr_err("cannot create /sys/kernel/debug/%s: is debugfs enabled?\n", KBUILD_MODNAME);
		return PTR_ERR(s2p_root);
	}
	debugfs_create_file("vms", 0400, s2p_root, NULL, &s2p_vms_fops);
	debugfs_create_file("stats", 0400, s2p_root, NULL, &s2p_stats_fops);
	debugfs_create_file("policy", 0400, s2p_root, NULL, &s2p_policy_fops);
	if (!s2p_rescan(&s))
		s2p_scan_release(&s);
	return 0;
}

static void __exit s2p_exit(void)
{
	s2p_remove_all();
	debugfs_remove_recursive(s2p_root);
}

module_init(s2p_init);
module_exit(s2p_exit);
MODULE_DESCRIPTION("Show the stage-2 memory attributes of every KVM guest page");
MODULE_LICENSE("GPL");
