// SPDX-License-Identifier: GPL-2.0
/*
 * s2vmm - a tiny deterministic VMM for s2probe's lab tests (arm64, KVM API).
 *
 * It creates a VM with known memory slots, runs guest code that touches
 * chosen pages (so KVM maps exactly those at stage 2), then holds the VM
 * so that s2probe can dump it.
 *
 * Default layout (no --slot; IPA, all 2 MiB aligned; BLK is the host's PMD
 * size, page * page / 8: 2M with 4K pages, 32M with 16K, 512M with 64K):
 *
 *   slot 0 "ram"  0x40000000  8 MiB anonymous, MADV_NOHUGEPAGE (host pages)
 *                 code at +0 (executed), writes at +0x100000 and +0x300000,
 *                 a read at +0x500000
 *   slot 1 "thp"  the first BLK boundary from 0x40800000 on (0x40800000,
 *                 0x42000000, 0x60000000), 2 x BLK anonymous, MADV_HUGEPAGE,
 *                 prefaulted by the host; one write at the start of each BLK
 *                 (--no-thp: absent)
 *   slot 2 "hugetlb" 0x41000000 2 MiB MAP_HUGETLB, one write (--hugetlb)
 *   slot 3 "bar"  0x100000000 a PCI BAR mmapped through sysfs (--bar PATH),
 *                 up to 1 MiB; writes to pages 0 and 16, a read of page 1
 *
 * Layout spec (any --slot given): only the slots named, plus a code slot
 * (id 99, "code") of two host pages at --code-ipa (default 0x10000000):
 * page 0 holds the guest code (executed), page 1 the data page (churn
 * progress counter at +0, stop flag at +8; untouched outside --churn).
 *
 *   --slot ID:KIND:IPA:SIZE[:FLAGS]
 *     KIND  anon4k      anonymous, MADV_NOHUGEPAGE, not prefaulted
 *           thp         anonymous, MADV_HUGEPAGE, prefaulted (THPs exist)
 *           memfd       memfd_create + MAP_SHARED, prefaulted
 *           memfd=HEX   the same, the memfd named by the bytes HEX spells
 *                       (any byte but NUL: hostile names for s2probe)
 *           delfile     a file in /tmp, MAP_SHARED, prefaulted, unlinked
 *           memfd-huge  memfd_create(MFD_HUGETLB|MFD_HUGE_2MB), prefaulted
 *           hugetlb     MAP_PRIVATE|MAP_HUGETLB|MAP_HUGE_2MB, prefaulted
 *                       (2M huge pages whatever the granule: a PMD with 4K
 *                       pages, contiguous PTEs with 16K and 64K)
 *           bar:PATH    mmap of a sysfs PCI resource file (SIZE 0: all), or
 *                       of any file that maps device memory (the lab's
 *                       /dev/s2map-KIND, tests/kmod/s2map.c)
 *           gmem        guest_memfd (KVM_CREATE_GUEST_MEMFD, mmap-able,
 *                       shared) through KVM_SET_USER_MEMORY_REGION2;
 *                       exit 3 with "S2VMM skip gmem: ..." if unsupported
 *     FLAGS ro, dirty (KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES), joined
 *           with ',' ("ro,dirty"); numbers take K/M/G suffixes
 *   --touch IPA:OP[:COUNT[:STRIDE]]   OP read|write|exec on COUNT host
 *           pages STRIDE pages apart (default 1: consecutive; a guest
 *           loop). Reads and writes go to page+0x40; exec calls page+0,
 *           where s2vmm writes a RET first. On a bar slot too: KVM may
 *           refuse the fetch with an abort injected into the guest, whose
 *           vector then ends s2vmm ("s2vmm: guest exception esr=...",
 *           exit 4).
 *
 * The guest runs at EL1 with its MMU off and ends with a store to 0x09000000
 * (no memory slot there: an MMIO exit). Other MMIO exits (a write to a
 * read-only slot, an access where no slot is) are counted, printed as
 * "S2VMM mmio ..." and the vCPU re-entered. Then s2vmm prints
 * machine-readable "S2VMM ..." lines and "S2VMM ready", and holds until stdin
 * closes, --hold seconds pass or a signal arrives (with --hold, stdin is not
 * watched).
 *
 * --churn SEC: the guest loops writing one word in every page of every
 * writable anon4k/thp/memfd/hugetlb slot and counts rounds in the data page;
 * meanwhile the main thread toggles dirty logging, collects the dirty log,
 * deletes and re-adds slots for SEC seconds, then stops the guest
 * ("S2VMM churn done ...", "S2VMM quiescent") and holds. A vCPU that makes no
 * progress for 3 s after an operation is reported once as
 * "S2VMM note: vcpu stalled ..." and churn goes on without waiting for it.
 *
 * --vm-in-thread: everything KVM is done from a thread that first unshares
 * its file table; "S2VMM vmthread tid=N" (KVM names the VM N-<vmfd>).
 * --recreate-on-signal: SIGUSR1 destroys the VM and builds it again with
 * the same fd number and slots, prints "S2VMM recreated pid=.. vmfd=.." and
 * "S2VMM ready" again.
 * SIGUSR2 (not with --churn): KVM_GET_DIRTY_LOG on every slot with dirty
 * logging, which write-protects the dirty pages; "S2VMM dirtylog slot=ID
 * dirty=N" each, then "S2VMM dirtylog done".
 * --caps: print "S2VMM caps ..." (largest IPA size, guest_memfd) and exit.
 *
 * --stall ID:PAGES[:PHASES] (make bench's guest stall): after its touches
 * the guest writes, in PHASES (default 3, at most 8) phases of PAGES pages each, one word to each fresh page
 * of slot ID (anon4k, untouched) and times each store with CNTVCT_EL0
 * (ISB around both reads): each store takes a stage-2 fault, so the time is
 * that fault's. The times go to a results slot (id 98, after the code slot)
 * that the guest writes once beforehand. s2vmm prints "S2VMM ready" when the
 * guest is prepared; each SIGUSR1 releases the next phase ("S2VMM stall
 * phase=N done"); after the last, per phase: "S2VMM stall phase=N faults=
 * median_ns= p99_ns= p999_ns= max_ns= mean_ns=".
 * --guest-timeout SEC: how long the guest may take to finish its touches
 * (default 30; a 1 GiB slot touched page by page takes longer under TCG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
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

/* guest_memfd uapi (Linux 6.8+), absent from older libc headers */
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2	231
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD	234
#endif
#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS	244
#endif
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD	(1UL << 2)
struct kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#define KVM_CREATE_GUEST_MEMFD	_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif
#ifndef GUEST_MEMFD_FLAG_MMAP
#define GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif
#define HUGE_2MB	(21U << MAP_HUGE_SHIFT)	/* MAP_HUGE_2MB, MFD_HUGE_2MB */

#define SZ_2M		0x200000UL
#define PAGE		0x1000UL
#define DONE_IPA	0x09000000UL
/* the guest's exception vector writes its ESR_EL1 here (exec on a bar slot) */
#define EXC_IPA		(DONE_IPA + 0x10)
#define EXC_VBAR_OFF	0x800	/* VBAR_EL1: this far into the data page */

#define RAM_IPA		0x40000000UL
#define RAM_SIZE	(4 * SZ_2M)
#define THP_IPA		0x40800000UL	/* rounded up to the host's PMD size */
#define HUGE_IPA	0x41000000UL
#define BAR_IPA		0x100000000UL
#define BAR_MAX		0x100000UL

#define CODE_SLOT	99
#define CODE_IPA	0x10000000UL
#define RESULTS_SLOT	98
#define MAX_PHASES	8
#define MAX_SLOTS	16
#define MAX_TOUCHES	64

enum { OP_WRITE, OP_READ, OP_EXEC };
static const char * const op_names[] = { "write", "read", "exec" };

enum { K_ANON4K, K_THP, K_MEMFD, K_MEMFD_HUGE, K_HUGETLB, K_BAR, K_GMEM, K_DELFILE };
static const char * const kind_names[] = {
	"anon4k", "thp", "memfd", "memfd-huge", "hugetlb", "bar", "gmem", "delfile",
};

struct slot {
	const char *name;
	int id, kind;
	uint64_t ipa, size;
	void *hva;
	uint32_t flags;		/* KVM_MEM_* as created */
	const char *path;	/* bar */
	int gmem_fd;
	char *memfd_name;	/* memfd=HEX, NULL: "s2vmm" */
};

struct touch {
	uint64_t ipa, count, stride;	/* stride: in host pages */
	int op, slot;
};

static struct slot slots[MAX_SLOTS + 1];
static int nslots;
static struct touch touches[MAX_TOUCHES];
static int ntouches;
static volatile sig_atomic_t stop, recreate, dirtylog, stall_go;

/* the VM as built now */
static struct {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	long runsz;
	unsigned int ipa_bits;	/* 0: KVM's default */
	int legacy, quiet, churn;
	uint64_t pg, code_ipa, mmio_exits;
	uint64_t blk;		/* host PMD size: THP size, stage-2 L2 block */
	uint8_t *code;		/* hva of the code slot (legacy: slot 0) */
	int nmmio_printed;
	int guest_timeout;	/* s for the touches */
	int stall_id;		/* --stall: slot id, -1 none */
	int stall_slot, results_slot;	/* their indices in slots[] */
	uint64_t stall_pages;
	int stall_phases;	/* --stall's phases (default 3) */
	int exc_vectors;	/* an exec touch on a bar slot: vectors set */
} V = { .kvm = -1, .vm = -1, .vcpu = -1, .guest_timeout = 30, .stall_id = -1 };

static void die(const char *what)
{
	fprintf(stderr, "s2vmm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "s2vmm: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: s2vmm [--bar PATH] [--bar-size N] [--hugetlb] [--no-thp] [--ipa-bits N|max]\n"
		"             [--slot ID:KIND:IPA:SIZE[:FLAGS]]... [--touch IPA:OP[:COUNT]]...\n"
		"             [--code-ipa IPA] [--churn SEC] [--vm-in-thread] [--recreate-on-signal]\n"
		"             [--caps] [--hold SEC] [--quiet] [--stall ID:PAGES[:PHASES]] [--guest-timeout SEC]\n"
		"Creates a KVM VM with known memory slots (default: ram 0x40000000 8M, thp\n"
		"0x40800000 2 x PMD size (4M with 4K pages), hugetlb 0x41000000 2M with --hugetlb,\n"
		"bar 0x100000000 with --bar;\n"
		"with --slot: the slots given, KIND anon4k|thp|memfd|memfd-huge|hugetlb|bar:PATH|gmem,\n"
		"FLAGS ro,dirty, plus a code slot id 99 at --code-ipa), runs guest code that touches\n"
		"chosen pages, prints 'S2VMM ...' lines and holds the VM until stdin closes,\n"
		"--hold SEC passes or SIGTERM/SIGINT. See the comment at the top of s2vmm.c.\n");
}

static uint64_t parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!errno && end != s) {
		switch (*end) {
		case 'K': v <<= 10; end++; break;
		case 'M': v <<= 20; end++; break;
		case 'G': v <<= 30; end++; break;
		}
	}
	if (errno || !*s || *end) {
		fprintf(stderr, "s2vmm: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* ---- host memory ---- */

/* Host mappings start on a boundary of 2 MiB and of the host's PMD size. */
static uint64_t map_align(void)
{
	return V.blk > SZ_2M ? V.blk : SZ_2M;
}

static void *map_anon(uint64_t size, int advice, int extra_flags)
{
	/* over-allocate to place the mapping on a map_align() boundary */
	uint64_t al = map_align(), len = size + (extra_flags ? 0 : al);
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	if (extra_flags)	/* MAP_HUGETLB: aligned to its huge page size */
		return p;
	a = ((uintptr_t)p + al - 1) & ~(al - 1);
	if (advice >= 0 && madvise((void *)a, size, advice))
		die("madvise");
	return (void *)a;
}

/* A map_align()-aligned MAP_SHARED mapping of fd. */
static void *map_shared_aligned(int fd, uint64_t size)
{
	uint64_t al = map_align();
	uint8_t *p = mmap(NULL, size + al, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + al - 1) & ~(al - 1);
	if (mmap((void *)a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
	    MAP_FAILED)
		return NULL;
	return (void *)a;
}

/* Host memory behind a spec slot (not gmem: that one belongs to a VM). */
static void alloc_backing(struct slot *s)
{
	int fd;

	switch (s->kind) {
	case K_ANON4K:
		s->hva = map_anon(s->size, MADV_NOHUGEPAGE, 0);
		break;
	case K_THP:
		s->hva = map_anon(s->size, MADV_HUGEPAGE, 0);
		break;
	case K_HUGETLB:
		s->hva = map_anon(s->size, -1, MAP_HUGETLB | HUGE_2MB);
		if (!s->hva)
			die("mmap MAP_HUGETLB (reserve: echo N > /proc/sys/vm/nr_hugepages)");
		break;
	case K_MEMFD:
	case K_MEMFD_HUGE:
		fd = memfd_create(s->memfd_name ? s->memfd_name : "s2vmm", MFD_CLOEXEC |
				  (s->kind == K_MEMFD_HUGE ? MFD_HUGETLB | HUGE_2MB : 0));
		if (fd < 0)
			die("memfd_create");
		if (ftruncate(fd, s->size))
			die("ftruncate memfd");
		s->hva = map_shared_aligned(fd, s->size);
		close(fd);
		break;
	case K_DELFILE: {
		char path[] = "/tmp/s2vmm-delfile.XXXXXX";

		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0 || ftruncate(fd, s->size) || unlink(path))
			die("delfile");
		s->hva = map_shared_aligned(fd, s->size);
		close(fd);
		break;
	}
	case K_BAR: {
		struct stat st;

		fd = open(s->path, O_RDWR | O_SYNC | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st))
			die(s->path);
		if (!s->size)
			s->size = st.st_size;
		s->hva = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (s->hva == MAP_FAILED)
			die("mmap bar");
		close(fd);
		return;
	}
	default:
		return;
	}
	if (!s->hva)
		die("mmap");
	/* prefault: THPs, shmem and huge pages exist before the guest runs */
	if (s->kind != K_ANON4K)
		memset(s->hva, 1, s->size);
}

/* ---- memory slots ---- */

static void set_region(struct slot *s, uint32_t flags, uint64_t size)
{
	if (s->kind == K_GMEM) {
		struct kvm_userspace_memory_region2 r = {
			.slot = s->id, .flags = flags | KVM_MEM_GUEST_MEMFD,
			.guest_phys_addr = s->ipa, .memory_size = size,
			.userspace_addr = (uintptr_t)s->hva,
			.guest_memfd = s->gmem_fd, .guest_memfd_offset = 0,
		};

		if (ioctl(V.vm, KVM_SET_USER_MEMORY_REGION2, &r))
			die("KVM_SET_USER_MEMORY_REGION2");
		return;
	}
	struct kvm_userspace_memory_region r = {
		.slot = s->id, .flags = flags, .guest_phys_addr = s->ipa,
		.memory_size = size, .userspace_addr = (uintptr_t)s->hva,
	};

	if (ioctl(V.vm, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
}

static void skip_gmem(const char *why)
{
	printf("S2VMM skip gmem: %s\n", why);
	fflush(stdout);
	exit(3);
}

/* guest_memfd for the current VM: only where the default VM type has it. */
static void make_gmem(struct slot *s)
{
	struct kvm_create_guest_memfd g = { .size = s->size };
	int r = ioctl(V.vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);
	long flags;

	if (r <= 0)
		skip_gmem("KVM_CHECK_EXTENSION(KVM_CAP_GUEST_MEMFD) is 0 for this VM type");
	if (ioctl(V.vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2) <= 0)
		skip_gmem("no KVM_CAP_USER_MEMORY2");
	flags = ioctl(V.vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
	/* arm64 takes only guest_memfd slots the host can map (no private memory) */
	if (flags < 0 || !(flags & GUEST_MEMFD_FLAG_MMAP) || !(flags & GUEST_MEMFD_FLAG_INIT_SHARED))
		skip_gmem("KVM_CAP_GUEST_MEMFD_FLAGS lacks MMAP|INIT_SHARED (needed on arm64)");
	g.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	s->gmem_fd = ioctl(V.vm, KVM_CREATE_GUEST_MEMFD, &g);
	if (s->gmem_fd < 0)
		die("KVM_CREATE_GUEST_MEMFD");
	s->hva = map_shared_aligned(s->gmem_fd, s->size);
	if (!s->hva)
		die("mmap guest_memfd");
	memset(s->hva, 1, s->size);
}

/* ---- guest code: A64 encodings ---- */

static uint32_t *emit_mov64(uint32_t *c, int rd, uint64_t v)
{
	int hw;

	*c++ = 0xd2800000 | ((v & 0xffff) << 5) | rd;	/* movz xd, #v */
	for (hw = 1; hw < 4; hw++)
		if ((v >> (16 * hw)) & 0xffff)		/* movk xd, #v, lsl 16*hw */
			*c++ = 0xf2800000 | (hw << 21) | (((v >> (16 * hw)) & 0xffff) << 5) | rd;
	return c;
}

static uint32_t *emit_access(uint32_t *c, uint64_t ipa, int op)
{
	c = emit_mov64(c, 0, ipa);
	*c++ = op == OP_WRITE ? 0xb9000001 : 0xb9400002;	/* str w1 / ldr w2, [x0] */
	return c;
}

/* b.ne / cbz back to target */
static uint32_t enc_bne(uint32_t *at, uint32_t *target)
{
	return 0x54000001 | (((uint32_t)(target - at) & 0x7ffff) << 5);
}

/* x0 = first address, x3 = count; one access per stride host pages (no
 * writeback: str/ldr [x0] keep a valid syndrome, so MMIO exits can be
 * emulated). */
static uint32_t *emit_loop_stride(uint32_t *c, uint64_t addr, uint64_t count, uint64_t stride,
				  int op)
{
	uint32_t *top;
	uint64_t step = stride * V.pg;

	c = emit_mov64(c, 0, addr);
	c = emit_mov64(c, 3, count);
	top = c;
	if (op == OP_EXEC)
		*c++ = 0xd63f0000;		/* blr x0 */
	else
		*c++ = op == OP_WRITE ? 0xb9000001 : 0xb9400002;
	if (step < (1UL << 24) && !(step & 0xfff)) {
		*c++ = 0x91000000 | (1 << 22) | ((uint32_t)(step >> 12) << 10);	/* add x0, x0, #step */
	} else {
		c = emit_mov64(c, 9, step);
		*c++ = 0x8b090000;		/* add x0, x0, x9 */
	}
	*c++ = 0xf1000463;		/* subs x3, x3, #1 */
	*c = enc_bne(c, top);		/* b.ne top */
	return c + 1;
}

/* The same, one access per host page. */
static uint32_t *emit_loop(uint32_t *c, uint64_t addr, uint64_t count, int op)
{
	return emit_loop_stride(c, addr, count, 1, op);
}

static void write_legacy_code(void *ram)
{
	uint32_t *c = ram;
	int i;

	*c++ = 0x52800b41;	/* movz w1, #0x5a */
	for (i = 0; i < ntouches; i++)
		if (touches[i].op != OP_EXEC)
			c = emit_access(c, touches[i].ipa + 0x40, touches[i].op);
	c = emit_access(c, DONE_IPA, OP_WRITE);
	*c++ = 0x14000000;	/* b . */
	__builtin___clear_cache(ram, (char *)c);
}

static int churn_slot(const struct slot *s)
{
	return s->id != CODE_SLOT && !(s->flags & KVM_MEM_READONLY) &&
	       (s->kind == K_ANON4K || s->kind == K_THP || s->kind == K_MEMFD ||
		s->kind == K_MEMFD_HUGE || s->kind == K_HUGETLB || s->kind == K_DELFILE);
}

/*
 * --stall: x4 = data page. Prefault the results, say "prepared" (data word
 * 4), then per phase: wait until the go word (2) reaches the phase number,
 * time one store per fresh page (x8), record the ticks (x7, post-indexed:
 * the results are mapped, so no syndrome is needed), set the done word (3).
 */
static uint32_t *emit_stall(uint32_t *c, uint64_t data)
{
	const struct slot *st = &slots[V.stall_slot], *rs = &slots[V.results_slot];
	uint32_t *wait, *top;
	uint32_t addpg = 0x91000000 | (1 << 22) | ((uint32_t)(V.pg >> 12) << 10);
	int ph;

	c = emit_loop(c, rs->ipa, rs->size / V.pg, OP_WRITE);
	c = emit_mov64(c, 4, data);
	c = emit_mov64(c, 5, 1);
	*c++ = 0xf9001085;		/* str x5, [x4, #32]: prepared */
	c = emit_mov64(c, 7, rs->ipa);
	c = emit_mov64(c, 8, st->ipa + 0x40);
	for (ph = 1; ph <= V.stall_phases; ph++) {
		wait = c;
		*c++ = 0xf9400886;	/* ldr x6, [x4, #16] */
		*c++ = 0xf10000df | ((uint32_t)ph << 10);	/* cmp x6, #ph */
		*c = 0x5400000b | (((uint32_t)(wait - c) & 0x7ffff) << 5);	/* b.lt wait */
		c++;
		c = emit_mov64(c, 3, V.stall_pages);
		top = c;
		*c++ = 0xd5033fdf;	/* isb */
		*c++ = 0xd53be04a;	/* mrs x10, cntvct_el0 */
		*c++ = 0xb9000101;	/* str w1, [x8]: the stage-2 fault */
		*c++ = 0xd5033fdf;	/* isb */
		*c++ = 0xd53be04b;	/* mrs x11, cntvct_el0 */
		*c++ = 0xcb0a016b;	/* sub x11, x11, x10 */
		*c++ = 0xb80044eb;	/* str w11, [x7], #4 */
		*c++ = addpg | (8 << 5) | 8;	/* add x8, x8, #pg */
		*c++ = 0xf1000463;	/* subs x3, x3, #1 */
		*c = enc_bne(c, top);
		c++;
		c = emit_mov64(c, 5, ph);
		*c++ = 0xf9000c85;	/* str x5, [x4, #24]: done */
	}
	return c;
}

static void write_spec_code(void)
{
	uint32_t *c = (uint32_t *)V.code, *top;
	uint64_t data = V.code_ipa + V.pg;
	int i, j;

	*c++ = 0x52800b41;	/* movz w1, #0x5a */
	for (i = 0; i < ntouches; i++) {
		struct touch *t = &touches[i];
		uint64_t k;

		if (t->op == OP_EXEC) {
			struct slot *s = &slots[t->slot];

			for (k = 0; k < t->count; k++) {
				uint32_t *p = (uint32_t *)((uint8_t *)s->hva + t->ipa - s->ipa +
							   k * t->stride * V.pg);

				*p = 0xd65f03c0;	/* ret */
				__builtin___clear_cache((char *)p, (char *)(p + 1));
			}
		}
		if (t->count == 1)
			c = t->op == OP_EXEC ? emit_mov64(c, 0, t->ipa) :
			    emit_access(c, t->ipa + 0x40, t->op);
		if (t->count == 1 && t->op == OP_EXEC)
			*c++ = 0xd63f0000;	/* blr x0 */
		if (t->count > 1)
			c = emit_loop_stride(c, t->ipa + (t->op == OP_EXEC ? 0 : 0x40), t->count,
					     t->stride, t->op);
	}
	if (V.churn) {
		top = c;
		for (j = 0; j < nslots; j++)
			if (churn_slot(&slots[j]))
				c = emit_loop(c, slots[j].ipa + 0x80, slots[j].size / V.pg, OP_WRITE);
		c = emit_mov64(c, 4, data);
		*c++ = 0xf9400085;	/* ldr x5, [x4] */
		*c++ = 0x910004a5;	/* add x5, x5, #1 */
		*c++ = 0xf9000085;	/* str x5, [x4] */
		*c++ = 0xf9400486;	/* ldr x6, [x4, #8] */
		*c = 0xb4000006 | (((uint32_t)(top - c) & 0x7ffff) << 5);	/* cbz x6, top */
		c++;
	}
	if (V.stall_id >= 0)
		c = emit_stall(c, data);
	c = emit_access(c, DONE_IPA, OP_WRITE);
	*c++ = 0x14000000;	/* b . */
	if ((uint8_t *)c > V.code + V.pg) {
		fprintf(stderr, "s2vmm: guest code does not fit in one page\n");
		exit(2);
	}
	__builtin___clear_cache((char *)V.code, (char *)c);
	if (V.exc_vectors) {
		/*
		 * KVM answers a fetch it refuses with an abort injected into
		 * the guest: its synchronous vector (current EL, SPx: +0x200)
		 * reports ESR_EL1 with an MMIO write, and s2vmm ends there.
		 */
		uint32_t *v = (uint32_t *)(V.code + V.pg + EXC_VBAR_OFF + 0x200), *e;

		e = v;
		*e++ = 0xd5385200;	/* mrs x0, esr_el1 */
		e = emit_mov64(e, 1, EXC_IPA);
		*e++ = 0xf9000020;	/* str x0, [x1] */
		*e++ = 0x14000000;	/* b . */
		__builtin___clear_cache((char *)v, (char *)e);
	}
}

/* ---- the VM ---- */

static int max_ipa_bits(int kvm)
{
	return ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
}

static int run_guest(void);
static void stall_phase(void);

/* Run the guest to its end; one that takes over --guest-timeout is broken. */
static void run_to_done(void)
{
	alarm(V.guest_timeout);
	if (run_guest()) {
		fprintf(stderr, "s2vmm: the guest did not finish (pc stuck or interrupted)\n");
		exit(1);
	}
	alarm(0);
}

static void build_vm(void)
{
	struct kvm_vcpu_init init;
	int i;

	V.vm = ioctl(V.kvm, KVM_CREATE_VM, V.ipa_bits ? KVM_VM_TYPE_ARM_IPA_SIZE(V.ipa_bits) : 0);
	if (V.vm < 0)
		die("KVM_CREATE_VM");
	for (i = 0; i < nslots; i++) {
		if (slots[i].kind == K_GMEM)
			make_gmem(&slots[i]);
		set_region(&slots[i], slots[i].flags, slots[i].size);
	}
	if (V.legacy)
		write_legacy_code(V.code);
	else
		write_spec_code();

	V.vcpu = ioctl(V.vm, KVM_CREATE_VCPU, 0);
	if (V.vcpu < 0)
		die("KVM_CREATE_VCPU");
	if (ioctl(V.vm, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET");
	if (ioctl(V.vcpu, KVM_ARM_VCPU_INIT, &init))
		die("KVM_ARM_VCPU_INIT");
	{
		uint64_t pc = V.legacy ? RAM_IPA : V.code_ipa;
		struct kvm_one_reg reg = {
			.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
			      KVM_REG_ARM_CORE_REG(regs.pc),
			.addr = (uintptr_t)&pc,
		};

		if (ioctl(V.vcpu, KVM_SET_ONE_REG, &reg))
			die("KVM_SET_ONE_REG pc");
	}
	if (V.exc_vectors) {
		uint64_t vbar = V.code_ipa + V.pg + EXC_VBAR_OFF;
		struct kvm_one_reg reg = {
			.id = ARM64_SYS_REG(3, 0, 12, 0, 0),	/* VBAR_EL1 */
			.addr = (uintptr_t)&vbar,
		};

		if (ioctl(V.vcpu, KVM_SET_ONE_REG, &reg))
			die("KVM_SET_ONE_REG vbar_el1");
	}
	V.runsz = ioctl(V.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (V.runsz <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	V.run = mmap(NULL, V.runsz, PROT_READ | PROT_WRITE, MAP_SHARED, V.vcpu, 0);
	if (V.run == MAP_FAILED)
		die("mmap kvm_run");
}

/* Everything that holds the VM goes, so KVM destroys it now. */
static void destroy_vm(void)
{
	int i;

	munmap(V.run, V.runsz);
	close(V.vcpu);
	for (i = 0; i < nslots; i++)
		if (slots[i].kind == K_GMEM) {
			munmap(slots[i].hva, slots[i].size);
			close(slots[i].gmem_fd);
		}
	close(V.vm);
}

/*
 * Run until the DONE store. Other MMIO exits are emulated (reads give 0) by
 * re-entering. Returns 0 at DONE, -1 if KVM_RUN was interrupted.
 */
static int run_guest(void)
{
	for (;;) {
		struct kvm_run *run = V.run;

		if (ioctl(V.vcpu, KVM_RUN, 0)) {
			if (errno == EINTR)
				return -1;
			die("KVM_RUN");
		}
		if (run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "s2vmm: unexpected exit %u\n", run->exit_reason);
			exit(1);
		}
		if (run->mmio.phys_addr == DONE_IPA && run->mmio.is_write)
			return 0;
		if (run->mmio.phys_addr == EXC_IPA && run->mmio.is_write && V.exc_vectors) {
			uint64_t esr;

			memcpy(&esr, run->mmio.data, sizeof(esr));
			fprintf(stderr, "s2vmm: guest exception esr=0x%llx (EC 0x%llx)\n",
				(unsigned long long)esr, (unsigned long long)(esr >> 26) & 0x3f);
			exit(4);
		}
		if (V.legacy) {
			fprintf(stderr, "s2vmm: unexpected exit %u (mmio 0x%llx)\n",
				run->exit_reason, (unsigned long long)run->mmio.phys_addr);
			exit(1);
		}
		V.mmio_exits++;
		if (!V.churn && V.nmmio_printed < 16) {
			V.nmmio_printed++;
			printf("S2VMM mmio ipa=0x%llx op=%s\n",
			       (unsigned long long)run->mmio.phys_addr,
			       run->mmio.is_write ? "write" : "read");
		}
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
	}
}

static void flag_names(uint32_t f, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", f & KVM_MEM_READONLY ? "ro" : "",
		 (f & KVM_MEM_READONLY) && (f & KVM_MEM_LOG_DIRTY_PAGES) ? "," : "",
		 f & KVM_MEM_LOG_DIRTY_PAGES ? "dirty" : "");
	if (!*buf)
		snprintf(buf, n, "-");
}

static void print_info(void)
{
	int i;

	printf("S2VMM vm pid=%d vmfd=%d\n", getpid(), V.vm);
	if (!V.legacy)
		printf("S2VMM ipa_bits=%u max=%d page=0x%llx\n", V.ipa_bits ? V.ipa_bits : 40,
		       max_ipa_bits(V.kvm), (unsigned long long)V.pg);
	for (i = 0; i < nslots; i++) {
		char fl[16];

		printf("S2VMM slot id=%d name=%s ipa=0x%llx size=0x%llx hva=0x%llx",
		       slots[i].id, slots[i].name, (unsigned long long)slots[i].ipa,
		       (unsigned long long)slots[i].size,
		       (unsigned long long)(uintptr_t)slots[i].hva);
		flag_names(slots[i].flags, fl, sizeof(fl));
		if (!V.legacy)
			printf(" kind=%s flags=%s", kind_names[slots[i].kind], fl);
		printf("\n");
	}
	for (i = 0; !V.quiet && i < ntouches; i++) {
		/* legacy touches hold the slot id, spec touches its index */
		printf("S2VMM touch ipa=0x%llx op=%s slot=%d",
		       (unsigned long long)touches[i].ipa, op_names[touches[i].op],
		       V.legacy || touches[i].slot < 0 ? touches[i].slot :
		       slots[touches[i].slot].id);
		if (!V.legacy)
			printf(" count=%llu", (unsigned long long)touches[i].count);
		if (!V.legacy && touches[i].stride != 1)
			printf(" stride=%llu", (unsigned long long)touches[i].stride);
		printf("\n");
	}
	if (!V.legacy)
		printf("S2VMM mmio_exits=%llu\n", (unsigned long long)V.mmio_exits);
}

/* ---- churn ---- */

static pthread_t vcpu_thread;
static volatile int vcpu_done;

static volatile uint64_t *data_word(int i)
{
	return (volatile uint64_t *)(V.code + V.pg) + i;
}

static uint64_t progress(void)
{
	return __atomic_load_n(data_word(0), __ATOMIC_ACQUIRE);
}

static void *vcpu_main(void *arg)
{
	(void)arg;
	run_guest();
	vcpu_done = 1;
	return NULL;
}

static void on_kick(int sig)
{
	(void)sig;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int stalled;

/* Wait for the guest to finish n more rounds; note a stall once. */
static void wait_rounds(uint64_t n, const char *op, int id)
{
	uint64_t start = progress();
	double t0 = now();

	if (stalled) {
		usleep(20000);
		return;
	}
	while (progress() < start + n) {
		if (now() - t0 > 3.0) {
			stalled = 1;
			printf("S2VMM note: vcpu stalled after %s slot=%d progress=%llu\n", op, id,
			       (unsigned long long)progress());
			fflush(stdout);
			return;
		}
		usleep(2000);
	}
}

static void churn(int seconds)
{
	double t0 = now();
	unsigned long rounds = 0, ops = 0;
	struct sigaction sa = { .sa_handler = on_kick };
	int i, pass;

	sigaction(SIGUSR2, &sa, NULL);
	if (pthread_create(&vcpu_thread, NULL, vcpu_main, NULL))
		die("pthread_create");
	wait_rounds(1, "start", CODE_SLOT);
	print_info();
	printf("S2VMM ready\n");
	fflush(stdout);
	while (now() - t0 < seconds && !stop) {
		/* THP slots last: dirty logging over 2M blocks may stall the vCPU */
		for (pass = 0; pass < 2; pass++)
			for (i = 0; i < nslots; i++) {
				struct slot *s = &slots[i];
				uint64_t bm[(s->size / V.pg + 63) / 64 + 1];
				struct kvm_dirty_log log = { .slot = s->id, .dirty_bitmap = bm };

				if (!churn_slot(s) || (s->kind == K_THP) != pass)
					continue;
				set_region(s, s->flags, 0);
				usleep(20000);
				set_region(s, s->flags, s->size);
				wait_rounds(1, "re-add", s->id);
				set_region(s, s->flags | KVM_MEM_LOG_DIRTY_PAGES, s->size);
				wait_rounds(2, "dirty-on", s->id);
				if (ioctl(V.vm, KVM_GET_DIRTY_LOG, &log))
					die("KVM_GET_DIRTY_LOG");
				wait_rounds(1, "get-dirty-log", s->id);
				if (ioctl(V.vm, KVM_GET_DIRTY_LOG, &log))
					die("KVM_GET_DIRTY_LOG");
				set_region(s, s->flags, s->size);
				wait_rounds(1, "dirty-off", s->id);
				ops += 6;
			}
		rounds++;
	}
	/* stop the guest: the stop flag, or a kick if it does not get there */
	__atomic_store_n(data_word(1), 1, __ATOMIC_RELEASE);
	t0 = now();
	while (!vcpu_done && now() - t0 < 3.0)
		usleep(2000);
	if (!vcpu_done) {
		V.run->immediate_exit = 1;
		pthread_kill(vcpu_thread, SIGUSR2);
	}
	pthread_join(vcpu_thread, NULL);
	printf("S2VMM churn done rounds=%lu ops=%lu progress=%llu stalled=%d mmio_exits=%llu guest_done=%d\n",
	       rounds, ops, (unsigned long long)progress(), stalled,
	       (unsigned long long)V.mmio_exits, vcpu_done);
	printf("S2VMM quiescent\n");
	fflush(stdout);
}

/* ---- holding ---- */

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		return;	/* only to interrupt KVM_RUN */
	if (sig == SIGUSR1 && V.stall_id >= 0)
		stall_go = 1;
	else if (sig == SIGUSR1)
		recreate = 1;
	else if (sig == SIGUSR2)
		dirtylog = 1;
	else
		stop = 1;
}

/* SIGUSR2 outside churn: KVM_GET_DIRTY_LOG (write-protects) on every slot logging */
static void collect_dirty_logs(void)
{
	int i;

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		uint64_t n = s->size / V.pg, bm[(s->size / V.pg + 63) / 64 + 1], k, dirty = 0;
		struct kvm_dirty_log log = { .slot = s->id, .dirty_bitmap = bm };

		if (!(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
			continue;
		memset(bm, 0, sizeof(bm));
		if (ioctl(V.vm, KVM_GET_DIRTY_LOG, &log))
			die("KVM_GET_DIRTY_LOG");
		for (k = 0; k < n; k++)
			dirty += (bm[k / 64] >> (k % 64)) & 1;
		printf("S2VMM dirtylog slot=%d dirty=%llu\n", s->id, (unsigned long long)dirty);
	}
	printf("S2VMM dirtylog done\n");
	fflush(stdout);
}

static void hold(int seconds)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[256];
	int waited = 0;

	/* with --hold, only time and signals end it; else stdin's EOF */
	while (!stop && (seconds < 0 || waited < seconds * 10)) {
		int r = poll(&p, seconds < 0 ? 1 : 0, 100);

		waited++;
		if (r > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;
		if (dirtylog) {
			dirtylog = 0;
			collect_dirty_logs();
		}
		if (stall_go) {
			stall_go = 0;
			stall_phase();
		}
		if (recreate) {
			int old = V.vm;

			recreate = 0;
			destroy_vm();
			build_vm();
			run_to_done();
			printf("S2VMM recreated pid=%d vmfd=%d%s\n", getpid(), V.vm,
			       V.vm == old ? "" : " (fd number changed)");
			print_info();
			printf("S2VMM ready\n");
			fflush(stdout);
		}
	}
}

/* ---- --stall ---- */

static uint64_t counter_freq(void)
{
	uint64_t f;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int stall_phases_done;

/* The figures of one phase, from its ticks (sorted in place). */
static void stall_report(int ph, uint32_t *t, uint64_t n, double ns_per_tick)
{
	double sum = 0;
	uint64_t i;

	qsort(t, n, sizeof(*t), cmp_u32);
	for (i = 0; i < n; i++)
		sum += t[i];
	printf("S2VMM stall phase=%d faults=%llu median_ns=%.0f p99_ns=%.0f p999_ns=%.0f max_ns=%.0f mean_ns=%.0f\n",
	       ph, (unsigned long long)n, t[n / 2] * ns_per_tick, t[n * 99 / 100] * ns_per_tick,
	       t[n * 999 / 1000] * ns_per_tick, t[n - 1] * ns_per_tick, sum / n * ns_per_tick);
}

/* SIGUSR1: release the next phase, wait for its end; after the last, report. */
static void stall_phase(void)
{
	int ph = stall_phases_done + 1;
	uint32_t *res = slots[V.results_slot].hva;
	double t0 = now(), ns;
	int i;

	if (ph > V.stall_phases) {
		printf("S2VMM note: all %d stall phases are done\n", V.stall_phases);
		fflush(stdout);
		return;
	}
	__atomic_store_n(data_word(2), (uint64_t)ph, __ATOMIC_RELEASE);
	while (__atomic_load_n(data_word(3), __ATOMIC_ACQUIRE) < (uint64_t)ph) {
		if (vcpu_done || stop) {
			fprintf(stderr, "s2vmm: the guest ended before stall phase %d did\n", ph);
			exit(1);
		}
		usleep(1000);
	}
	stall_phases_done = ph;
	printf("S2VMM stall phase=%d done in %.3f s\n", ph, now() - t0);
	if (ph == V.stall_phases) {
		ns = 1e9 / (double)counter_freq();
		printf("S2VMM stall counter_hz=%llu\n", (unsigned long long)counter_freq());
		for (i = 0; i < V.stall_phases; i++)
			stall_report(i + 1, res + i * V.stall_pages, V.stall_pages, ns);
	}
	fflush(stdout);
}

/* Run the guest in a thread until it is prepared for the phases. */
static void stall_start(void)
{
	double t0 = now();

	if (pthread_create(&vcpu_thread, NULL, vcpu_main, NULL))
		die("pthread_create");
	while (!__atomic_load_n(data_word(4), __ATOMIC_ACQUIRE)) {
		if (vcpu_done || now() - t0 > V.guest_timeout) {
			fprintf(stderr, "s2vmm: the guest did not get ready for --stall in %d s\n",
				V.guest_timeout);
			exit(1);
		}
		usleep(2000);
	}
}

/* ---- the whole life of the VM ---- */

static int holdsec = -1, churnsec;

static void *vm_life(void *in_thread)
{
	if (in_thread) {
		if (unshare(CLONE_FILES))
			die("unshare(CLONE_FILES)");
		printf("S2VMM vmthread tid=%ld\n", (long)syscall(SYS_gettid));
	}
	build_vm();
	if (churnsec) {
		churn(churnsec);
	} else if (V.stall_id >= 0) {
		stall_start();
		print_info();
		printf("S2VMM ready\n");
	} else {
		run_to_done();
		print_info();
		printf("S2VMM ready\n");
	}
	fflush(stdout);
	hold(holdsec);
	return NULL;
}

/* --stall ID:PAGES[:PHASES] */
static void parse_stall(char *spec)
{
	char *p = strchr(spec, ':'), *ph;

	if (!p)
		bad("--stall wants ID:PAGES[:PHASES], got '%s'", spec);
	*p++ = '\0';
	ph = strchr(p, ':');
	V.stall_phases = 3;
	if (ph) {
		*ph++ = '\0';
		V.stall_phases = (int)parse_num(ph, "--stall phases");
		if (V.stall_phases < 1 || V.stall_phases > MAX_PHASES)
			bad("--stall phases must be 1..8, got '%s'", ph);
	}
	V.stall_id = (int)parse_num(spec, "--stall slot id");
	V.stall_pages = parse_num(p, "--stall pages");
	if (!V.stall_pages || V.stall_pages > (1UL << 24))
		bad("--stall pages must be 1..16M, got '%s'", p);
}

/* ID:KIND:IPA:SIZE[:FLAGS]; KIND may be bar:PATH, and PATH may hold ':' */
static void parse_slot(char *spec)
{
	char *f[64], *p = spec, *kind;
	int n = 0, k;
	struct slot *s;

	if (nslots >= MAX_SLOTS)
		bad("too many slots (max 16) at '%s'", spec);
	while (n < 64 && (f[n++] = strsep(&p, ":")))
		;
	n--;
	if (n < 4)
		bad("--slot wants ID:KIND:IPA:SIZE[:FLAGS], got '%s'", spec);
	s = &slots[nslots];
	memset(s, 0, sizeof(*s));
	s->gmem_fd = -1;
	if (f[n - 1][0] < '0' || f[n - 1][0] > '9') {
		char *fl = f[--n], *w;

		while ((w = strsep(&fl, ",+"))) {
			if (!strcmp(w, "ro"))
				s->flags |= KVM_MEM_READONLY;
			else if (!strcmp(w, "dirty"))
				s->flags |= KVM_MEM_LOG_DIRTY_PAGES;
			else
				bad("unknown slot flag '%s' (ro, dirty)", w);
		}
	}
	s->id = (int)parse_num(f[0], "slot id");
	s->size = parse_num(f[n - 1], "slot size");
	s->ipa = parse_num(f[n - 2], "slot ipa");
	/* the kind: fields 1 .. n-3 joined back with ':' */
	for (k = 2; k < n - 2; k++)
		f[k][-1] = ':';
	kind = f[1];
	if (!strncmp(kind, "bar:", 4)) {
		s->kind = K_BAR;
		s->path = kind + 4;
	} else if (!strncmp(kind, "memfd=", 6)) {
		size_t i, len = strlen(kind + 6);

		s->kind = K_MEMFD;
		s->memfd_name = calloc(len / 2 + 1, 1);
		if (!s->memfd_name || !len || len % 2)
			bad("memfd=HEX wants an even number of hex digits, got '%s'", kind + 6);
		for (i = 0; i < len / 2; i++) {
			unsigned int b;

			if (sscanf(kind + 6 + 2 * i, "%2x", &b) != 1 || !b)
				bad("memfd=HEX: bad byte at '%s'", kind + 6 + 2 * i);
			s->memfd_name[i] = (char)b;
		}
	} else {
		for (k = 0; k < (int)(sizeof(kind_names) / sizeof(kind_names[0])); k++)
			if (!strcmp(kind, kind_names[k]) && k != K_BAR)
				break;
		if (k == (int)(sizeof(kind_names) / sizeof(kind_names[0])))
			bad("unknown slot kind '%s'", kind);
		s->kind = k;
	}
	s->name = kind_names[s->kind];
	if (s->id == CODE_SLOT || s->id < 0 || s->id > 32000)
		bad("slot id %s is reserved or out of range (99 is the code slot)", f[0]);
	nslots++;
}

static void parse_touch(char *spec)
{
	char *a = strsep(&spec, ":"), *op = strsep(&spec, ":"), *cnt = strsep(&spec, ":");
	char *stride = strsep(&spec, ":");
	struct touch *t;

	if (!op || spec)
		bad("--touch wants IPA:OP[:COUNT[:STRIDE]], got '%s'", a);
	if (ntouches >= MAX_TOUCHES)
		bad("too many touches (max 64) at '%s'", a);
	t = &touches[ntouches++];
	t->ipa = parse_num(a, "touch ipa");
	t->count = cnt ? parse_num(cnt, "touch count") : 1;
	t->stride = stride ? parse_num(stride, "touch stride") : 1;
	if (!t->stride || t->stride > 4095)
		bad("touch stride must be 1..4095 pages in '%s'", a);
	if (!strcmp(op, "write"))
		t->op = OP_WRITE;
	else if (!strcmp(op, "read"))
		t->op = OP_READ;
	else if (!strcmp(op, "exec"))
		t->op = OP_EXEC;
	else
		bad("unknown touch op '%s' (read, write, exec)", op);
	if (!t->count)
		bad("touch count 0 in '%s'", a);
}

static int overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* --stall: its slot, and the results slot 2 MiB after the code slot. */
static void setup_stall(void)
{
	struct slot *r;
	uint64_t size;
	int i;

	V.stall_slot = -1;
	for (i = 0; i < nslots; i++)
		if (slots[i].id == V.stall_id)
			V.stall_slot = i;
	if (V.stall_slot < 0)
		bad("--stall: no slot with id %s", "given");
	if (slots[V.stall_slot].kind != K_ANON4K || (slots[V.stall_slot].flags & KVM_MEM_READONLY) ||
	    slots[V.stall_slot].size < V.stall_phases * V.stall_pages * V.pg)
		bad("--stall: the slot must be anon4k, writable, and hold PHASES x PAGES pages%s", "");
	for (i = 0; i < ntouches; i++)
		if (touches[i].slot == V.stall_slot)
			bad("--stall: its slot must stay untouched%s", "");
	size = (V.stall_phases * V.stall_pages * sizeof(uint32_t) + V.pg - 1) & ~(V.pg - 1);
	r = &slots[nslots];
	*r = (struct slot){ "results", RESULTS_SLOT, K_ANON4K, V.code_ipa + SZ_2M, size, NULL, 0,
			    NULL, -1, NULL };
	for (i = 0; i < nslots; i++)
		if (overlaps(r->ipa, r->size, slots[i].ipa, slots[i].size) ||
		    slots[i].id == RESULTS_SLOT)
			bad("--stall: the results slot (id 98, --code-ipa + 2M) overlaps a slot%s", "");
	r->hva = map_anon(r->size, MADV_NOHUGEPAGE, 0);
	if (!r->hva)
		die("mmap results");
	memset(r->hva, 0, r->size);
	V.results_slot = nslots++;
}

/* Spec mode: checks, host memory, the code slot, touches' slots. */
static void setup_spec(void)
{
	struct slot *c;
	int i, j;

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];

		if (s->ipa % V.pg || (s->kind != K_BAR && (!s->size || s->size % V.pg)))
			bad("slot %s: IPA and size must be host-page multiples", s->name);
		if ((s->kind == K_HUGETLB || s->kind == K_MEMFD_HUGE) && s->size % SZ_2M)
			bad("slot %s: hugetlb sizes are 2M multiples", s->name);
		if (s->kind == K_GMEM && (s->flags & KVM_MEM_READONLY))
			bad("slot %s: guest_memfd slots cannot be read-only", s->name);
		alloc_backing(s);
		if (overlaps(s->ipa, s->size, V.code_ipa, 2 * V.pg) ||
		    overlaps(s->ipa, s->size, DONE_IPA, V.pg))
			bad("slot %s overlaps the code slot or the DONE page", s->name);
		for (j = 0; j < i; j++)
			if (overlaps(s->ipa, s->size, slots[j].ipa, slots[j].size) ||
			    s->id == slots[j].id)
				bad("slot %s overlaps another slot or reuses its id", s->name);
	}
	c = &slots[nslots++];
	*c = (struct slot){ "code", CODE_SLOT, K_ANON4K, V.code_ipa, 2 * V.pg, NULL, 0, NULL, -1, NULL };
	c->hva = map_anon(c->size, MADV_NOHUGEPAGE, 0);
	if (!c->hva)
		die("mmap code");
	memset(c->hva, 0, c->size);
	V.code = c->hva;
	for (i = 0; i < ntouches; i++) {
		struct touch *t = &touches[i];

		t->ipa &= ~(V.pg - 1);
		t->slot = -1;
		for (j = 0; j < nslots; j++)
			if (t->ipa >= slots[j].ipa && t->ipa < slots[j].ipa + slots[j].size)
				t->slot = j;
		if (t->slot >= 0 && t->ipa + ((t->count - 1) * t->stride + 1) * V.pg >
		    slots[t->slot].ipa + slots[t->slot].size)
			bad("touch at %s runs past its slot's end", "");
		/* a BAR too: what KVM does with an instruction fetch there */
		if (t->op == OP_EXEC && t->slot < 0)
			bad("exec touches need a slot%s", "");
		if (t->op == OP_EXEC && slots[t->slot].kind == K_BAR)
			V.exc_vectors = 1;
	}
	if (V.stall_id >= 0)
		setup_stall();
}

static void add_legacy_slot(const char *name, int id, uint64_t ipa, uint64_t size, void *hva)
{
	slots[nslots++] = (struct slot){ name, id, K_ANON4K, ipa, size, hva, 0, NULL, -1, NULL };
}

static void add_legacy_touch(uint64_t ipa, int op, int slot)
{
	touches[ntouches++] = (struct touch){ ipa & ~(PAGE - 1), 1, 1, op, slot };
}

static void setup_legacy(const char *bar, uint64_t bar_size, int hugetlb, int thp)
{
	uint8_t *ram = map_anon(RAM_SIZE, MADV_NOHUGEPAGE, 0);

	if (!ram)
		die("mmap ram");
	V.code = ram;
	add_legacy_slot("ram", 0, RAM_IPA, RAM_SIZE, ram);
	add_legacy_touch(RAM_IPA, OP_EXEC, 0);
	add_legacy_touch(RAM_IPA + 0x100000, OP_WRITE, 0);
	add_legacy_touch(RAM_IPA + 0x300000, OP_WRITE, 0);
	add_legacy_touch(RAM_IPA + 0x500000, OP_READ, 0);
	if (thp) {
		uint64_t ipa = (THP_IPA + V.blk - 1) & ~(V.blk - 1);
		uint8_t *t = map_anon(2 * V.blk, MADV_HUGEPAGE, 0);

		if (!t)
			die("mmap thp");
		memset(t, 1, 2 * V.blk);	/* prefault: THPs exist before the guest runs */
		add_legacy_slot("thp", 1, ipa, 2 * V.blk, t);
		add_legacy_touch(ipa, OP_WRITE, 1);
		add_legacy_touch(ipa + V.blk, OP_WRITE, 1);
	}
	if (hugetlb) {
		void *h = map_anon(SZ_2M, -1, MAP_HUGETLB | HUGE_2MB);

		if (!h)
			die("mmap MAP_HUGETLB (reserve some: echo 2 > /proc/sys/vm/nr_hugepages)");
		add_legacy_slot("hugetlb", 2, HUGE_IPA, SZ_2M, h);
		add_legacy_touch(HUGE_IPA, OP_WRITE, 2);
	}
	if (bar) {
		struct stat st;
		int fd = open(bar, O_RDWR | O_SYNC | O_CLOEXEC);
		void *b;

		if (fd < 0 || fstat(fd, &st))
			die(bar);
		if (!bar_size)
			bar_size = st.st_size;
		if (bar_size > BAR_MAX)
			bar_size = BAR_MAX;
		if (bar_size < 17 * PAGE || bar_size % PAGE) {
			fprintf(stderr, "s2vmm: %s: size 0x%llx, need >= 68K in pages\n", bar,
				(unsigned long long)bar_size);
			exit(2);
		}
		b = mmap(NULL, bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b == MAP_FAILED)
			die("mmap bar");
		close(fd);	/* the VM still gets fd 4 */
		add_legacy_slot("bar", 3, BAR_IPA, bar_size, b);
		add_legacy_touch(BAR_IPA, OP_WRITE, 3);
		add_legacy_touch(BAR_IPA + 16 * PAGE, OP_WRITE, 3);
		add_legacy_touch(BAR_IPA + PAGE, OP_READ, 3);
	}
}

static void print_caps(void)
{
	int vm = ioctl(V.kvm, KVM_CREATE_VM, 0);
	int gmem = vm < 0 ? -1 : ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);
	long gflags = vm < 0 ? -1 : ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);

	printf("S2VMM caps ipa_max=%d page=0x%lx guest_memfd=%d guest_memfd_flags=0x%lx\n",
	       max_ipa_bits(V.kvm), sysconf(_SC_PAGESIZE), gmem, gflags);
	if (vm >= 0)
		close(vm);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bar", required_argument, NULL, 'b' },
		{ "bar-size", required_argument, NULL, 's' },
		{ "hugetlb", no_argument, NULL, 'H' },
		{ "no-thp", no_argument, NULL, 'T' },
		{ "ipa-bits", required_argument, NULL, 'i' },
		{ "hold", required_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "slot", required_argument, NULL, 'S' },
		{ "touch", required_argument, NULL, 't' },
		{ "code-ipa", required_argument, NULL, 'c' },
		{ "churn", required_argument, NULL, 'C' },
		{ "vm-in-thread", no_argument, NULL, 'V' },
		{ "recreate-on-signal", no_argument, NULL, 'R' },
		{ "caps", no_argument, NULL, 'K' },
		{ "stall", required_argument, NULL, 'L' },
		{ "guest-timeout", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bar = NULL, *ipa_arg = NULL;
	uint64_t bar_size = 0;
	int hugetlb = 0, thp = 1, o, in_thread = 0, recreate_sig = 0, caps = 0;
	struct sigaction sa = { .sa_handler = on_signal };

	V.pg = sysconf(_SC_PAGESIZE);
	V.blk = V.pg * (V.pg / 8);
	V.code_ipa = CODE_IPA;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': bar = optarg; break;
		case 's': bar_size = parse_num(optarg, "--bar-size"); break;
		case 'H': hugetlb = 1; break;
		case 'T': thp = 0; break;
		case 'i': ipa_arg = optarg; break;
		case 'h': holdsec = (int)parse_num(optarg, "--hold"); break;
		case 'q': V.quiet = 1; break;
		case 'S': parse_slot(optarg); break;
		case 't': parse_touch(optarg); break;
		case 'c': V.code_ipa = parse_num(optarg, "--code-ipa"); break;
		case 'C': churnsec = (int)parse_num(optarg, "--churn"); break;
		case 'V': in_thread = 1; break;
		case 'R': recreate_sig = 1; break;
		case 'K': caps = 1; break;
		case 'L': parse_stall(optarg); break;
		case 'G': V.guest_timeout = (int)parse_num(optarg, "--guest-timeout"); break;
		default:
			usage(o == '?' && optind > 1 && !strcmp(argv[optind - 1], "--help") ?
			      stdout : stderr);
			return o == '?' && !strcmp(argv[optind - 1], "--help") ? 0 : 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	V.legacy = !nslots;
	if (V.legacy && (ntouches || churnsec)) {
		fprintf(stderr, "s2vmm: --touch and --churn need a layout (--slot)\n");
		return 2;
	}
	if (!V.legacy && (bar || hugetlb || !thp || bar_size)) {
		fprintf(stderr, "s2vmm: --bar, --bar-size, --hugetlb, --no-thp are for the default layout\n");
		return 2;
	}
	if (V.stall_id >= 0 && (V.legacy || churnsec || recreate_sig || in_thread)) {
		fprintf(stderr, "s2vmm: --stall needs a layout and no --churn, --recreate-on-signal, --vm-in-thread\n");
		return 2;
	}
	if (V.guest_timeout < 1) {
		fprintf(stderr, "s2vmm: --guest-timeout must be at least 1\n");
		return 2;
	}
	if (churnsec && recreate_sig) {
		fprintf(stderr, "s2vmm: --churn and --recreate-on-signal do not mix\n");
		return 2;
	}
	if (V.code_ipa % V.pg)
		bad("--code-ipa %s is not page aligned", "");
	V.churn = churnsec > 0;

	V.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (V.kvm < 0)
		die("open /dev/kvm");
	if (caps) {
		print_caps();
		return 0;
	}
	if (ipa_arg) {
		int max = max_ipa_bits(V.kvm);

		V.ipa_bits = !strcmp(ipa_arg, "max") ? (unsigned int)max :
			     (unsigned int)parse_num(ipa_arg, "--ipa-bits");
		if (V.ipa_bits < 32 || (int)V.ipa_bits > max) {
			fprintf(stderr, "s2vmm: --ipa-bits %u outside 32..%d\n", V.ipa_bits, max);
			return 2;
		}
	}
	if (V.legacy)
		setup_legacy(bar, bar_size, hugetlb, thp);
	else
		setup_spec();

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (recreate_sig || V.stall_id >= 0)
		sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);	/* churn() takes it over for its kicks */
	if (in_thread) {
		pthread_t t;

		if (pthread_create(&t, NULL, vm_life, (void *)1))
			die("pthread_create");
		pthread_join(t, NULL);
	} else {
		vm_life(NULL);
	}
	return 0;
}
