// SPDX-License-Identifier: GPL-2.0
/*
 * s2vmm - a tiny deterministic VMM for s2probe's lab tests (arm64, KVM API).
 *
 * It creates a VM with known memory slots, runs guest code that touches
 * chosen pages (so KVM maps exactly those at stage 2), then holds the VM
 * so that s2probe can dump it. Layout (IPA, all 2 MiB aligned):
 *
 *   slot 0 "ram"  0x40000000  8 MiB anonymous, MADV_NOHUGEPAGE (4K pages)
 *                 code at +0 (executed), writes at +0x100000 and +0x300000,
 *                 a read at +0x500000
 *   slot 1 "thp"  0x40800000  4 MiB anonymous, MADV_HUGEPAGE, prefaulted by
 *                 the host; one write in each 2 MiB half (--no-thp: absent)
 *   slot 2 "hugetlb" 0x41000000 2 MiB MAP_HUGETLB, one write (--hugetlb)
 *   slot 3 "bar"  0x100000000 a PCI BAR mmapped through sysfs (--bar PATH),
 *                 up to 1 MiB; writes to pages 0 and 16, a read of page 1
 *
 * The guest runs at EL1 with its MMU off and ends with a store to 0x09000000
 * (no memory slot there: an MMIO exit). Then s2vmm prints machine-readable
 * "S2VMM ..." lines and "S2VMM ready", and holds until stdin closes, --hold
 * seconds pass or a signal arrives (with --hold, stdin is not watched).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SZ_2M		0x200000UL
#define PAGE		0x1000UL
#define DONE_IPA	0x09000000UL

#define RAM_IPA		0x40000000UL
#define RAM_SIZE	(4 * SZ_2M)
#define THP_IPA		0x40800000UL
#define THP_SIZE	(2 * SZ_2M)
#define HUGE_IPA	0x41000000UL
#define BAR_IPA		0x100000000UL
#define BAR_MAX		0x100000UL

enum { OP_WRITE, OP_READ, OP_EXEC };
static const char * const op_names[] = { "write", "read", "exec" };

struct slot {
	const char *name;
	int id;
	uint64_t ipa, size;
	void *hva;
};

struct touch {
	uint64_t ipa;
	int op, slot;
};

static struct slot slots[4];
static int nslots;
static struct touch touches[16];
static int ntouches;
static volatile sig_atomic_t stop;

static void die(const char *what)
{
	fprintf(stderr, "s2vmm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: s2vmm [--bar PATH] [--bar-size N] [--hugetlb] [--no-thp] [--ipa-bits N]\n"
		"             [--hold SEC] [--quiet]\n"
		"Creates a KVM VM with known memory slots (ram 0x40000000 8M, thp 0x40800000 4M,\n"
		"hugetlb 0x41000000 2M with --hugetlb, bar 0x100000000 with --bar), runs guest\n"
		"code that touches chosen pages, prints 'S2VMM ...' lines and holds the VM until\n"
		"stdin closes, --hold SEC passes or SIGTERM/SIGINT.\n");
}

static void *map_anon(uint64_t size, int advice, int extra_flags)
{
	/* over-allocate to place the mapping on a 2 MiB boundary */
	uint64_t len = size + (extra_flags ? 0 : SZ_2M);
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1);
	if (advice >= 0 && madvise((void *)a, size, advice))
		die("madvise");
	return (void *)a;
}

static void add_slot(int vm, const char *name, int id, uint64_t ipa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .guest_phys_addr = ipa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
	slots[nslots++] = (struct slot){ name, id, ipa, size, hva };
}

static void add_touch(uint64_t ipa, int op, int slot)
{
	touches[ntouches++] = (struct touch){ ipa & ~(PAGE - 1), op, slot };
}

/* A64 encodings: MOVZ/MOVK Xd, STR Wt,[Xn], LDR Wt,[Xn], MOVZ Wd, B . */
static uint32_t *emit_mov64(uint32_t *c, int rd, uint64_t v)
{
	int hw;

	*c++ = 0xd2800000 | ((v & 0xffff) << 5) | rd;
	for (hw = 1; hw < 4; hw++)
		if ((v >> (16 * hw)) & 0xffff)
			*c++ = 0xf2800000 | (hw << 21) | (((v >> (16 * hw)) & 0xffff) << 5) | rd;
	return c;
}

static uint32_t *emit_access(uint32_t *c, uint64_t ipa, int op)
{
	c = emit_mov64(c, 0, ipa);
	*c++ = op == OP_WRITE ? 0xb9000001 : 0xb9400002;	/* str w1 / ldr w2, [x0] */
	return c;
}

static void write_guest_code(void *ram)
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

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void hold(int seconds)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[256];
	int waited = 0;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* with --hold, only time and signals end it; else stdin's EOF */
	while (!stop && (seconds < 0 || waited < seconds * 10)) {
		int r = poll(&p, seconds < 0 ? 1 : 0, 100);

		waited++;
		if (r > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;
	}
}

static uint64_t parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end) {
		fprintf(stderr, "s2vmm: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
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
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bar = NULL;
	uint64_t bar_size = 0, ipa_bits = 0;
	int hugetlb = 0, thp = 1, quiet = 0, holdsec = -1, o, kvm, vm, vcpu, i;
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	long runsz;
	uint8_t *ram;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': bar = optarg; break;
		case 's': bar_size = parse_num(optarg, "--bar-size"); break;
		case 'H': hugetlb = 1; break;
		case 'T': thp = 0; break;
		case 'i': ipa_bits = parse_num(optarg, "--ipa-bits"); break;
		case 'h': holdsec = (int)parse_num(optarg, "--hold"); break;
		case 'q': quiet = 1; break;
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

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	if (ipa_bits) {
		int max = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);

		if (ipa_bits < 32 || (int)ipa_bits > max) {
			fprintf(stderr, "s2vmm: --ipa-bits %llu outside 32..%d\n",
				(unsigned long long)ipa_bits, max);
			return 2;
		}
	}
	vm = ioctl(kvm, KVM_CREATE_VM, ipa_bits ? KVM_VM_TYPE_ARM_IPA_SIZE(ipa_bits) : 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	ram = map_anon(RAM_SIZE, MADV_NOHUGEPAGE, 0);
	if (!ram)
		die("mmap ram");
	add_slot(vm, "ram", 0, RAM_IPA, RAM_SIZE, ram);
	add_touch(RAM_IPA, OP_EXEC, 0);
	add_touch(RAM_IPA + 0x100000, OP_WRITE, 0);
	add_touch(RAM_IPA + 0x300000, OP_WRITE, 0);
	add_touch(RAM_IPA + 0x500000, OP_READ, 0);
	if (thp) {
		uint8_t *t = map_anon(THP_SIZE, MADV_HUGEPAGE, 0);

		if (!t)
			die("mmap thp");
		memset(t, 1, THP_SIZE);	/* prefault: THPs exist before the guest runs */
		add_slot(vm, "thp", 1, THP_IPA, THP_SIZE, t);
		add_touch(THP_IPA, OP_WRITE, 1);
		add_touch(THP_IPA + SZ_2M, OP_WRITE, 1);
	}
	if (hugetlb) {
		void *h = map_anon(SZ_2M, -1, MAP_HUGETLB);

		if (!h)
			die("mmap MAP_HUGETLB (reserve some: echo 2 > /proc/sys/vm/nr_hugepages)");
		add_slot(vm, "hugetlb", 2, HUGE_IPA, SZ_2M, h);
		add_touch(HUGE_IPA, OP_WRITE, 2);
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
			return 2;
		}
		b = mmap(NULL, bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b == MAP_FAILED)
			die("mmap bar");
		add_slot(vm, "bar", 3, BAR_IPA, bar_size, b);
		add_touch(BAR_IPA, OP_WRITE, 3);
		add_touch(BAR_IPA + 16 * PAGE, OP_WRITE, 3);
		add_touch(BAR_IPA + PAGE, OP_READ, 3);
	}
	write_guest_code(ram);

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET");
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		die("KVM_ARM_VCPU_INIT");
	{
		uint64_t pc = RAM_IPA;
		struct kvm_one_reg reg = {
			.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
			      KVM_REG_ARM_CORE_REG(regs.pc),
			.addr = (uintptr_t)&pc,
		};

		if (ioctl(vcpu, KVM_SET_ONE_REG, &reg))
			die("KVM_SET_ONE_REG pc");
	}
	runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(vcpu, KVM_RUN, 0))
		die("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != DONE_IPA ||
	    !run->mmio.is_write) {
		fprintf(stderr, "s2vmm: unexpected exit %u (mmio 0x%llx)\n", run->exit_reason,
			(unsigned long long)run->mmio.phys_addr);
		return 1;
	}

	printf("S2VMM vm pid=%d vmfd=%d\n", getpid(), vm);
	for (i = 0; i < nslots; i++)
		printf("S2VMM slot id=%d name=%s ipa=0x%llx size=0x%llx hva=0x%llx\n",
		       slots[i].id, slots[i].name, (unsigned long long)slots[i].ipa,
		       (unsigned long long)slots[i].size,
		       (unsigned long long)(uintptr_t)slots[i].hva);
	for (i = 0; !quiet && i < ntouches; i++)
		printf("S2VMM touch ipa=0x%llx op=%s slot=%d\n",
		       (unsigned long long)touches[i].ipa, op_names[touches[i].op],
		       touches[i].slot);
	printf("S2VMM ready\n");
	fflush(stdout);
	hold(holdsec);
	return 0;
}
