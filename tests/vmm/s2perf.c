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
 *       waits like fds.
 * Exit status: 0, 1 on a failed system call, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ	(1 << 20)

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: s2perf read [--rounds N] FILE...\n"
		"       s2perf loop FILE\n"
		"       s2perf hold N BYTES FILE\n"
		"       s2perf fds PROCS FDS\n"
		"       s2perf vms N\n"
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Read a whole file: 0 and its size, lines and the time spent in open(),
 * read() and close(), or -errno.
 */
static int read_whole(const char *path, char *buf, uint64_t *bytes, uint64_t *lines,
		      uint64_t *ns)
{
	uint64_t t0 = now_ns();
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
		usage(stderr);
		return 2;
	}
	nf = argc;
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nf; i++) {
			const char *f = argv[(r + i) % nf];
			uint64_t ns, bytes, lines;
			int ret;

			ret = read_whole(f, buf, &bytes, &lines, &ns);
			if (ret)
				printf("S2PERF read file=%s round=%ld error=%s\n", f, r + 1,
				       strerror(-ret));
			else
				printf("S2PERF read file=%s round=%ld ns=%llu bytes=%llu lines=%llu\n",
				       f, r + 1, (unsigned long long)ns,
				       (unsigned long long)bytes, (unsigned long long)lines);
			fflush(stdout);
		}
	free(buf);
	return 0;
}

static int cmd_loop(int argc, char **argv)
{
	uint64_t reads = 0, errors = 0, sum = 0, max = 0;
	struct sigaction sa = { .sa_handler = on_stop };
	char *buf = malloc(BUFSZ);

	if (argc != 1 || !buf) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		uint64_t d, bytes, lines;
		int ret = read_whole(argv[0], buf, &bytes, &lines, &d);

		if (ret == -EINTR && stop)
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
	while (!stop) {
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
		usage(stderr);
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
		usage(stderr);
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
}

static int cmd_vms(int argc, char **argv)
{
	long n;

	if (argc != 1) {
		usage(stderr);
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
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
	usage(stderr);
	return 2;
}
