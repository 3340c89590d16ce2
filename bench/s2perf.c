// SPDX-License-Identifier: GPL-2.0
/*
 * s2perf - the load generator and stopwatch of make bench, run in L1.
 *
 *   s2perf read [--rounds N] FILE...
 *       N rounds (default 5); in each, every FILE is opened, read to its end
 *       with 1 MiB read()s and closed, timed with CLOCK_MONOTONIC (the system
 *       calls only: counting the lines is not the file's cost). The files
 *       take turns: round r starts with file r mod count, so no file is
 *       always first. One line per file and round:
 *       "S2PERF read file=F round=R ns=N bytes=B lines=L" (or error=...).
 *   s2perf loop FILE
 *       reads FILE whole, again and again, until SIGTERM or SIGINT, then
 *       "S2PERF loop file=F reads=N mean_ns=M max_ns=X errors=E".
 *   s2perf hold N BYTES FILE
 *       opens FILE N times and reads BYTES from each (one read()), so that N
 *       readers sit in the middle of the file; "S2PERF held n=N bytes=B",
 *       then waits until stdin closes or SIGTERM, and closes them.
 *   s2perf fds PROCS FDS
 *       forks PROCS processes that each hold FDS more open files (dups of
 *       /dev/null), "S2PERF fds ready procs=P fds=F"; waits until stdin
 *       closes or SIGTERM, then ends them.
 *   s2perf vms N
 *       forks N processes that each create a KVM VM with a 2 MiB memory slot
 *       and one initialized vCPU that never runs; "S2PERF vms ready n=N";
 *       waits like fds (arm64 only).
 *   s2perf square [--rounds N] [--seed S] [--stats FILE] ITEM...
 *       make bench's fair rounds. ITEM is NAME=FILE (open, read to the end
 *       with 1 MiB read()s, close: timed as in read), NAME=twopass:FILE (the
 *       same, then lseek(0) on the still open file and read it to its end
 *       again: pass2_ns; a seq_file's buffer has grown to the whole text by
 *       then, so the second pass is one walk) or NAME=cpu:LOOPS (a fixed
 *       loop of LOOPS integer steps: the same work whatever else happens, a
 *       calibration). Each round takes the items in the order of one row of
 *       a Williams design (a Latin square in which each item also follows
 *       every other item equally often: see williams()); the rows are
 *       shuffled (xorshift seeded with S, default 1) within each block of
 *       as many rounds as the design has rows, so every complete block is
 *       balanced. N defaults to the smallest multiple of the rows >= 11.
 *       With --stats, FILE (s2probe's stats) is read before and after each
 *       NAME=FILE item and the after-read's max_hold_ns is that reader's
 *       longest mmu_lock hold (hold_ns=). One line per item and round:
 *       "S2PERF square round=R pos=P item=NAME ns=N bytes=B lines=L
 *       [hold_ns=H] [pass2_ns=N2 pass2_first_ns=F pass2_bytes=B2]" (or
 *       error=...), after "S2PERF square plan items=K rows=M rounds=N seed=S".
 *   s2perf order K ROUNDS [SEED]
 *       prints the item order of each round of square with K items, one
 *       line of K numbers (0..K-1) per round (for tests).
 * Exit status: 0, 1 on a failed system call, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "s2types.h"

#define BUFSZ	(1024 * 1024)

/* set by SIGINT/SIGTERM; read with __atomic builtins, not volatile */
static int stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

static bool stopped(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED);
}

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: s2perf read [--rounds N] FILE...\n"
		"       s2perf loop FILE\n"
		"       s2perf hold N BYTES FILE\n"
		"       s2perf fds PROCS FDS\n"
		"       s2perf vms N\n"
		"       s2perf square [--rounds N] [--seed S] [--stats FILE] NAME=[twopass:|cpu:]ARG...\n"
		"       s2perf order K ROUNDS [SEED]\n"
		"The load generator and stopwatch of make bench (see the top of s2perf.c).\n");
}

static long number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "s2perf: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void print_read(const char *f, long round, u64 ns, u64 bytes, u64 lines)
{
	printf("S2PERF read file=%s round=%ld ns=%llu bytes=%llu lines=%llu\n", f, round,
	       ns, bytes, lines);
}

/*
 * Read a whole file: 0 and its size, lines and the time spent in open(),
 * read() and close(), or -errno.
 */
static int read_whole(const char *path, char *buf, u64 *bytes, u64 *lines,
		      u64 *ns)
{
	u64 t0 = now_ns();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*bytes = 0;
	*lines = 0;
	*ns = now_ns() - t0;
	if (fd < 0)
		return -errno;
	for (;;) {
		t0 = now_ns();
		n = read(fd, buf, BUFSZ);
		*ns += now_ns() - t0;
		if (n <= 0)
			break;
		*bytes += n;
		for (ssize_t i = 0; i < n; i++)
			*lines += buf[i] == '\n';
	}
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	t0 = now_ns();
	close(fd);
	*ns += now_ns() - t0;
	return 0;
}

static int cmd_read(int argc, char **argv)
{
	long rounds = 5, r;
	char *buf = malloc(BUFSZ);
	int i, nf;

	if (!buf)
		return 1;
	if (argc >= 2 && !strcmp(argv[0], "--rounds")) {
		rounds = number(argv[1], "--rounds");
		argc -= 2;
		argv += 2;
	}
	if (argc < 1 || rounds < 1) {
		print_help(stderr);
		return 2;
	}
	nf = argc;
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nf; i++) {
			const char *f = argv[(r + i) % nf];
			u64 ns, bytes, lines;
			int ret;

			ret = read_whole(f, buf, &bytes, &lines, &ns);
			if (ret)
				printf("S2PERF read file=%s round=%ld error=%s\n", f, r + 1,
				       strerror(-ret));
			else
				print_read(f, r + 1, ns, bytes, lines);
			fflush(stdout);
		}
	free(buf);
	return 0;
}

static int cmd_loop(int argc, char **argv)
{
	u64 reads = 0, errors = 0, sum = 0, max = 0;
	struct sigaction sa = { .sa_handler = on_stop };
	char *buf = malloc(BUFSZ);

	if (argc != 1 || !buf) {
		print_help(stderr);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopped()) {
		u64 d, bytes, lines;
		int ret = read_whole(argv[0], buf, &bytes, &lines, &d);

		if (ret == -EINTR && stopped())
			break;
		if (ret) {
			errors++;
			usleep(1000);
			continue;
		}
		reads++;
		sum += d;
		if (d > max)
			max = d;
	}
	printf("S2PERF loop file=%s reads=%llu mean_ns=%llu max_ns=%llu errors=%llu\n", argv[0],
	       (unsigned long long)reads, (unsigned long long)(reads ? sum / reads : 0),
	       (unsigned long long)max, (unsigned long long)errors);
	free(buf);
	return 0;
}

/* Until stdin closes or SIGTERM/SIGINT. */
static void wait_for_end(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c[64];

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopped()) {
		if (poll(&p, 1, 200) > 0 && read(0, c, sizeof(c)) <= 0)
			break;
	}
}

static int cmd_hold(int argc, char **argv)
{
	long n, bytes, i;
	int *fds;
	char *buf;

	if (argc != 3) {
		print_help(stderr);
		return 2;
	}
	n = number(argv[0], "N");
	bytes = number(argv[1], "BYTES");
	fds = calloc(n ? n : 1, sizeof(*fds));
	buf = malloc(bytes ? bytes : 1);
	if (!fds || !buf)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 || read(fds[i], buf, bytes) < 0) {
			fprintf(stderr, "s2perf: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
	}
	printf("S2PERF held n=%ld bytes=%ld\n", n, bytes);
	fflush(stdout);
	wait_for_end();
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

/* Fork n children running fn(arg); each writes one byte to say it is set. */
static int spawn(long n, int (*fn)(long), long arg)
{
	int p[2];
	long i, ready = 0;
	char c;

	if (pipe(p))
		return -1;
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "s2perf: fork %ld of %ld: %s\n", i + 1, n, strerror(errno));
			kill(0, SIGKILL);
		}
		if (!pid) {
			close(p[0]);
			c = fn(arg) ? 'x' : 'k';
			if (write(p[1], &c, 1) != 1)
				_exit(1);
			close(p[1]);
			for (;;)
				pause();
		}
	}
	close(p[1]);
	while (ready < n && read(p[0], &c, 1) == 1) {
		if (c != 'k') {
			fprintf(stderr, "s2perf: a child could not set up\n");
			return -1;
		}
		ready++;
	}
	close(p[0]);
	return ready == n ? 0 : -1;
}

static void end_children(void)
{
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0)
		;
}

static int hold_fds(long n)
{
	int fd = open("/dev/null", O_RDONLY);
	long i;

	if (fd < 0)
		return -1;
	for (i = 1; i < n; i++)
		if (dup(fd) < 0)
			return -1;
	return 0;
}

static int cmd_fds(int argc, char **argv)
{
	long procs, nfds;

	if (argc != 2) {
		print_help(stderr);
		return 2;
	}
	procs = number(argv[0], "PROCS");
	nfds = number(argv[1], "FDS");
	setpgid(0, 0);
	if (spawn(procs, hold_fds, nfds)) {
		end_children();
		return 1;
	}
	printf("S2PERF fds ready procs=%ld fds=%ld\n", procs, nfds);
	fflush(stdout);
	wait_for_end();
	end_children();
	return 0;
}

/* One VM, a 2 MiB slot, one initialized vCPU; never run. */
static int make_vm(long unused)
{
#ifndef __aarch64__
	/* built on the host for the tests of square and order: no arm64 KVM */
	(void)unused;
	return -1;
#else
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0x40000000,
						 .memory_size = 0x200000 };
	struct kvm_vcpu_init init;
	int kvm, vm, vcpu;
	void *mem;

	(void)unused;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, r.memory_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return -1;
	r.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
		return -1;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0 || ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) ||
	    ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		return -1;
	return 0;
#endif
}

static int cmd_vms(int argc, char **argv)
{
	long n;

	if (argc != 1) {
		print_help(stderr);
		return 2;
	}
	n = number(argv[0], "N");
	setpgid(0, 0);
	if (spawn(n, make_vm, 0)) {
		end_children();
		return 1;
	}
	printf("S2PERF vms ready n=%ld\n", n);
	fflush(stdout);
	wait_for_end();
	end_children();
	return 0;
}

/* ---- square: make bench's fair rounds ---- */

/* How many rows the Williams design for k items has (k or 2k) */
static int williams_rows(int k)
{
	return k % 2 ? 2 * k : k;
}

/*
 * Row r (0 <= r < rows) of a Williams design for k items: row[j] is the
 * item at position j. The first row is 0, 1, k-1, 2, k-2, 3, ...; row i adds
 * i (mod k) to it. For even k its k rows are a Latin square (each item once
 * in each row and each position) in which each item immediately follows
 * every other item exactly once; for odd k the k rows reversed follow, and
 * over the 2k rows each item is in each position twice and follows every
 * other item exactly twice. Returns the number of rows.
 */
static int williams(int k, int r, int *row)
{
	int rows = williams_rows(k), i = r % k, j;

	for (j = 0; j < k; j++) {
		int b = j % 2 ? (j + 1) / 2 : (k - j / 2) % k;
		int at = (r % rows) >= k ? k - 1 - j : j;

		row[at] = (b + i) % k;
	}
	return rows;
}

static u64 xs_state;

static u64 xorshift(void)
{
	xs_state ^= xs_state << 13;
	xs_state ^= xs_state >> 7;
	xs_state ^= xs_state << 17;
	return xs_state;
}

/*
 * The design's row for each of @rounds rounds: a fresh shuffle of the rows
 * (Fisher-Yates, xorshift seeded with @seed) for each block of @rows rounds.
 * order[r * k + j] is the item at position j of round r.
 */
static int *square_order(int k, long rounds, u64 seed, int *nrows)
{
	int rows = williams_rows(k), *perm, *order;
	long r;
	int i;

	*nrows = rows;
	perm = calloc(rows, sizeof(*perm));
	order = calloc((size_t)rounds * k, sizeof(*order));
	if (!perm || !order)
		return NULL;
	xs_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (r = 0; r < rounds; r++) {
		if (r % rows == 0) {
			for (i = 0; i < rows; i++)
				perm[i] = i;
			for (i = rows - 1; i > 0; i--) {
				int j = (int)(xorshift() % (u64)(i + 1)), t = perm[i];

				perm[i] = perm[j];
				perm[j] = t;
			}
		}
		williams(k, perm[r % rows], order + r * k);
	}
	free(perm);
	return order;
}

#define SQ_MAX_ITEMS	64

/* the design's default: the smallest multiple of its rows that is >= 11 */
static long square_rounds(int rows)
{
	return (long)((11 + rows - 1) / rows) * rows;
}

static int cmd_order(int argc, char **argv)
{
	long k, rounds, r;
	u64 seed = 1;
	int rows, j, *order;

	if (argc < 2 || argc > 3) {
		print_help(stderr);
		return 2;
	}
	k = number(argv[0], "K");
	rounds = number(argv[1], "ROUNDS");
	if (argc == 3)
		seed = (u64)number(argv[2], "SEED");
	if (k < 1 || k > SQ_MAX_ITEMS) {
		fprintf(stderr, "s2perf: K must be 1..%d\n", SQ_MAX_ITEMS);
		return 2;
	}
	if (!rounds)
		rounds = square_rounds(williams_rows((int)k));
	order = square_order((int)k, rounds, seed, &rows);
	if (!order)
		return 1;
	for (r = 0; r < rounds; r++)
		for (j = 0; j < k; j++)
			printf("%d%c", order[r * k + j], j == k - 1 ? '\n' : ' ');
	free(order);
	return 0;
}

/* A fixed amount of integer work (xorshift steps); the result is printed. */
static u64 cpu_loop(long loops)
{
	u64 x = 88172645463325252ULL;
	long i;

	for (i = 0; i < loops; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

/* max_hold_ns of s2probe's stats (a read takes it), or -1 */
static long long stats_hold(const char *stats)
{
	char b[4096], *p;
	long long v = -1;
	ssize_t n;
	int fd = open(stats, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	for (p = b; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, "max_hold_ns=", 12)) {
			v = strtoll(p + 12, NULL, 10);
			break;
		}
	}
	return v;
}

/* Read an open file to its end; size, lines, time of the read()s, first's. */
static int read_rest(int fd, char *buf, u64 *bytes, u64 *lines, u64 *ns,
		     u64 *first_ns)
{
	ssize_t n;
	int first = 1;

	*bytes = *lines = *ns = 0;
	for (;;) {
		u64 t0 = now_ns(), d;

		n = read(fd, buf, BUFSZ);
		d = now_ns() - t0;
		*ns += d;
		if (first && first_ns)
			*first_ns = d;
		first = 0;
		if (n <= 0)
			break;
		*bytes += n;
		for (ssize_t i = 0; i < n; i++)
			*lines += buf[i] == '\n';
	}
	return n < 0 ? -errno : 0;
}

enum sq_kind { SQ_FILE, SQ_TWOPASS, SQ_CPU };

struct sq_item {
	const char *name, *arg;
	enum sq_kind kind;
	long loops;
};

static void square_one(const struct sq_item *it, const char *stats, char *buf, long round,
		       int pos)
{
	u64 ns, bytes = 0, lines = 0, ns2, b2, l2, first = 0, t0;
	long long hold = -1;
	int fd, ret;

	printf("S2PERF square round=%ld pos=%d item=%s ", round, pos, it->name);
	switch (it->kind) {
	case SQ_CPU:
		t0 = now_ns();
		bytes = cpu_loop(it->loops);
		ns = now_ns() - t0;
		printf("ns=%llu loops=%ld x=%llx\n", (unsigned long long)ns, it->loops,
		       (unsigned long long)bytes);
		break;
	case SQ_FILE:
		if (stats)
			stats_hold(stats);
		ret = read_whole(it->arg, buf, &bytes, &lines, &ns);
		if (stats)
			hold = stats_hold(stats);
		if (ret) {
			printf("error=%s\n", strerror(-ret));
			break;
		}
		printf("ns=%llu bytes=%llu lines=%llu", (unsigned long long)ns,
		       (unsigned long long)bytes, (unsigned long long)lines);
		if (hold >= 0)
			printf(" hold_ns=%lld", hold);
		printf("\n");
		break;
	case SQ_TWOPASS:
		t0 = now_ns();
		fd = open(it->arg, O_RDONLY | O_CLOEXEC);
		ns = now_ns() - t0;
		if (fd < 0) {
			printf("error=%s\n", strerror(errno));
			break;
		}
		ret = read_rest(fd, buf, &bytes, &lines, &ns2, NULL);
		ns += ns2;
		if (!ret && lseek(fd, 0, SEEK_SET) != 0)
			ret = -errno;
		if (!ret)
			ret = read_rest(fd, buf, &b2, &l2, &ns2, &first);
		close(fd);
		if (ret) {
			printf("error=%s\n", strerror(-ret));
			break;
		}
		printf("ns=%llu bytes=%llu lines=%llu pass2_ns=%llu pass2_first_ns=%llu",
		       (unsigned long long)ns, (unsigned long long)bytes,
		       (unsigned long long)lines, (unsigned long long)ns2,
		       (unsigned long long)first);
		printf(" pass2_bytes=%llu\n", (unsigned long long)b2);
		break;
	}
	fflush(stdout);
}

static int cmd_square(int argc, char **argv)
{
	struct sq_item items[SQ_MAX_ITEMS];
	const char *stats = NULL;
	long rounds = 0, r;
	u64 seed = 1;
	int k = 0, rows, j, *order;
	char *buf = malloc(BUFSZ);

	if (!buf)
		return 1;
	while (argc >= 2 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--rounds"))
			rounds = number(argv[1], "--rounds");
		else if (!strcmp(argv[0], "--seed"))
			seed = (u64)number(argv[1], "--seed");
		else if (!strcmp(argv[0], "--stats"))
			stats = argv[1];
		else
			break;
		argc -= 2;
		argv += 2;
	}
	for (; argc > 0; argc--, argv++) {
		char *eq = strchr(argv[0], '=');
		struct sq_item *it = &items[k];

		if (!eq || eq == argv[0] || k == SQ_MAX_ITEMS) {
			print_help(stderr);
			return 2;
		}
		*eq = 0;
		it->name = argv[0];
		it->arg = eq + 1;
		it->kind = SQ_FILE;
		if (!strncmp(it->arg, "twopass:", 8)) {
			it->kind = SQ_TWOPASS;
			it->arg += 8;
		} else if (!strncmp(it->arg, "cpu:", 4)) {
			it->kind = SQ_CPU;
			it->loops = number(it->arg + 4, "LOOPS");
		}
		k++;
	}
	if (!k) {
		print_help(stderr);
		return 2;
	}
	rows = williams_rows(k);
	if (!rounds)
		rounds = square_rounds(rows);
	order = square_order(k, rounds, seed, &rows);
	if (!order)
		return 1;
	printf("S2PERF square plan items=%d rows=%d rounds=%ld seed=%llu\n", k, rows, rounds,
	       (unsigned long long)seed);
	for (r = 0; r < rounds; r++)
		for (j = 0; j < k; j++)
			square_one(&items[order[r * k + j]], stats, buf, r + 1, j + 1);
	free(order);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "read"))
		return cmd_read(argc - 2, argv + 2);
	if (!strcmp(argv[1], "loop"))
		return cmd_loop(argc - 2, argv + 2);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(argc - 2, argv + 2);
	if (!strcmp(argv[1], "fds"))
		return cmd_fds(argc - 2, argv + 2);
	if (!strcmp(argv[1], "vms"))
		return cmd_vms(argc - 2, argv + 2);
	if (!strcmp(argv[1], "square"))
		return cmd_square(argc - 2, argv + 2);
	if (!strcmp(argv[1], "order"))
		return cmd_order(argc - 2, argv + 2);
	print_help(stderr);
	return 2;
}
