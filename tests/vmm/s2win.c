// SPDX-License-Identifier: GPL-2.0
/*
 * s2win - read an s2probe view through a window of its own, as any reader
 * may: lseek(fd, START, SEEK_DATA) sets the window's start, lseek(fd, END,
 * SEEK_HOLE) its end; no write access is needed (lockdown).
 *
 *   s2win [--start IPA] [--end IPA | --len N] [--chunk N] FILE
 *       the view's text in [START, END) on standard output, read with
 *       read()s of N bytes (default 65536).
 *   s2win --pair FILE START1 END1 OUT1 START2 END2 OUT2
 *       two readers of FILE, each its own open file with its own window,
 *       their reads interleaved one byte at a time until both end: each
 *       must see exactly what it would see alone.
 * A seek or read that fails prints "s2win: <what>: <strerror>" and exits
 * 1; bad usage exits 2. Numbers: decimal or 0x hexadecimal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: s2win [--start IPA] [--end IPA | --len N] [--chunk N] FILE\n"
			"       s2win --pair FILE START1 END1 OUT1 START2 END2 OUT2\n");
	return 2;
}

static int num(const char *s, unsigned long long *v)
{
	char *e;

	errno = 0;
	*v = strtoull(s, &e, 0);
	return errno || e == s || *e || *s == '-' ? -1 : 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "s2win: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Open @path and set its window; -1 with errno and *what on failure. */
static int open_window(const char *path, int have_start, unsigned long long start,
		       int have_end, unsigned long long end, const char **what)
{
	int fd = open(path, O_RDONLY);

	*what = "open";
	if (fd < 0)
		return -1;
	*what = "window start (SEEK_DATA)";
	if (have_start && lseek(fd, (off_t)start, SEEK_DATA) != 0)
		goto err;
	*what = "window end (SEEK_HOLE)";
	if (have_end && lseek(fd, (off_t)end, SEEK_HOLE) != 0)
		goto err;
	return fd;
err:
	if (errno == 0)
		errno = EPROTO;	/* a seek that "succeeded" elsewhere than 0 */
	close(fd);
	return -1;
}

static int pair(char **a)
{
	unsigned long long s[2], e[2];
	const char *what;
	int fd[2], i, done[2] = { 0, 0 };
	FILE *out[2];
	char c;

	if (num(a[1], &s[0]) || num(a[2], &e[0]) || num(a[4], &s[1]) || num(a[5], &e[1]))
		return usage();
	for (i = 0; i < 2; i++) {
		fd[i] = open_window(a[0], 1, s[i], 1, e[i], &what);
		if (fd[i] < 0)
			return fail(what);
		out[i] = fopen(a[3 + 3 * i], "w");
		if (!out[i])
			return fail("output");
	}
	while (!done[0] || !done[1]) {
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (done[i])
				continue;
			n = read(fd[i], &c, 1);
			if (n < 0)
				return fail("read");
			if (n == 0)
				done[i] = 1;
			else
				fputc(c, out[i]);
		}
	}
	for (i = 0; i < 2; i++)
		if (fclose(out[i]))
			return fail("output");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long start = 0, end = 0, len = 0, chunk = 65536;
	int have_start = 0, have_end = 0, have_len = 0, fd, i;
	const char *what;
	char *buf;
	ssize_t n;

	if (argc == 9 && !strcmp(argv[1], "--pair"))
		return pair(argv + 2);
	for (i = 1; i < argc - 1; i += 2) {
		unsigned long long *v;

		if (!strcmp(argv[i], "--start"))
			v = &start, have_start = 1;
		else if (!strcmp(argv[i], "--end"))
			v = &end, have_end = 1;
		else if (!strcmp(argv[i], "--len"))
			v = &len, have_len = 1;
		else if (!strcmp(argv[i], "--chunk"))
			v = &chunk;
		else
			return usage();
		if (num(argv[i + 1], v))
			return usage();
	}
	if (i != argc - 1 || (have_end && have_len) || !chunk || chunk > (1 << 24))
		return usage();
	if (have_len) {
		end = start + len;
		have_end = 1;
	}
	fd = open_window(argv[argc - 1], have_start, start, have_end, end, &what);
	if (fd < 0)
		return fail(what);
	buf = malloc(chunk);
	if (!buf)
		return fail("malloc");
	while ((n = read(fd, buf, chunk)) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return fail("write");
	if (n < 0)
		return fail("read");
	return fflush(stdout) ? fail("write") : 0;
}
