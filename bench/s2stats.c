// SPDX-License-Identifier: GPL-2.0
/*
 * s2stats - the bench's figures of record, from raw samples: for each
 * sequence and cost of s2bench.ko (debugfs samples) or s2wc (--samples), the
 * median of the per-pair log ratios Device/WC with a moving-block bootstrap
 * 95% interval (bench/s2stat.h, s2s_logpair()), per run, and over the runs
 * (at least 3: the median of the runs' ratios and their spread).
 *
 * usage: s2stats SAMPLES...   (one file per run, all of one BAR)
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2stat.h"

#define MAX_RUNS	64
#define MAX_CASES	64
#define MAX_PAIRS	100000
#define MIN_RUNS	3
#define NKEYS(a)	(sizeof(a) / sizeof((a)[0]))

struct series {
	char seq[32], cost[16];
	u32 n;
	u64 *wc, *dev;
};

struct run {
	const char *path;
	char tool[16], target[64], bar[8], phys[32], kernel[64];
	struct series cases[MAX_CASES];
	u32 ncases;
};

static struct run runs[MAX_RUNS];

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: s2stats SAMPLES...\n"
		"Each SAMPLES file holds one run's raw per-batch samples of one BAR:\n"
		"/sys/kernel/debug/s2bench/samples after a run, or s2wc --samples FILE.\n"
		"Prints, per sequence and cost, each run's median of the per-pair log\n"
		"ratios Device/WC (as a ratio) with a moving-block bootstrap 95%% interval\n"
		"(%u resamples, blocks of n^(1/3) consecutive pairs), and over the runs\n"
		"(%d or more) the median of their ratios and the run-to-run spread.\n",
		S2S_BOOT, MIN_RUNS);
}

static struct series *find_case(struct run *r, const char *seq, const char *cost)
{
	u32 i;

	for (i = 0; i < r->ncases; i++)
		if (!strcmp(r->cases[i].seq, seq) && !strcmp(r->cases[i].cost, cost))
			return &r->cases[i];
	return NULL;
}

/* key=value lines: the run's context */
static void context(struct run *r, const char *line)
{
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
		{ "tool=", offsetof(struct run, tool), sizeof(((struct run *)0)->tool) },
		{ "target=", offsetof(struct run, target), sizeof(((struct run *)0)->target) },
		{ "bar=", offsetof(struct run, bar), sizeof(((struct run *)0)->bar) },
		{ "phys=", offsetof(struct run, phys), sizeof(((struct run *)0)->phys) },
		{ "kernel=", offsetof(struct run, kernel), sizeof(((struct run *)0)->kernel) },
	};
	unsigned int i;
	size_t n;

	for (i = 0; i < NKEYS(keys); i++) {
		n = strlen(keys[i].key);
		if (!strncmp(line, keys[i].key, n)) {
			snprintf((char *)r + keys[i].off, keys[i].size, "%.*s",
				 (int)strcspn(line + n, "\n"), line + n);
			return;
		}
	}
}

static int add_pair(struct run *r, const char *seq, const char *cost, u32 pair, u64 wc, u64 dev)
{
	struct series *c = find_case(r, seq, cost);

	if (!c) {
		if (r->ncases == MAX_CASES)
			return -1;
		c = &r->cases[r->ncases++];
		snprintf(c->seq, sizeof(c->seq), "%s", seq);
		snprintf(c->cost, sizeof(c->cost), "%s", cost);
		c->wc = calloc(MAX_PAIRS, sizeof(u64));
		c->dev = calloc(MAX_PAIRS, sizeof(u64));
		if (!c->wc || !c->dev)
			return -1;
	}
	if (pair != c->n || c->n == MAX_PAIRS)
		return -1;
	c->wc[c->n] = wc;
	c->dev[c->n++] = dev;
	return 0;
}

static int load(struct run *r, const char *path)
{
	unsigned long long wc, dev;
	char line[512], seq[32], cost[16];
	unsigned int pair, lineno = 0;
	FILE *f;

	r->path = path;
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "s2stats: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (strchr(line, '=')) {
			context(r, line);
			continue;
		}
		if (sscanf(line, "%31s %15s %u %llu %llu", seq, cost, &pair, &wc, &dev) != 5 ||
		    add_pair(r, seq, cost, pair, wc, dev)) {
			fprintf(stderr, "s2stats: %s:%u: want '%s' in order\n", path, lineno,
				"SEQ COST PAIR WC_PS DEV_PS");
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (!r->ncases) {
		fprintf(stderr, "s2stats: %s: no samples\n", path);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One sequence and cost over all runs. */
static int report_case(const struct series *first, u32 nruns, double *scratch)
{
	double ratios[MAX_RUNS];
	struct s2s_logpair p;
	const struct series *c;
	u32 i;

	for (i = 0; i < nruns; i++) {
		c = find_case(&runs[i], first->seq, first->cost);
		if (!c) {
			fprintf(stderr, "s2stats: %s has no %s %s\n", runs[i].path, first->seq,
				first->cost);
			return -1;
		}
		s2s_logpair(c->wc, c->dev, c->n, S2S_BOOT, scratch, &p);
		ratios[i] = p.ratio;
		printf("%s.%s.run.%u.pairs=%u\n%s.%s.run.%u.block=%u\n", c->seq, c->cost, i, c->n,
		       c->seq, c->cost, i, p.blk);
		printf("%s.%s.run.%u.ratio=%.4f\n", c->seq, c->cost, i, p.ratio);
		printf("%s.%s.run.%u.ci_lo=%.4f\n", c->seq, c->cost, i, p.lo);
		printf("%s.%s.run.%u.ci_hi=%.4f\n", c->seq, c->cost, i, p.hi);
	}
	qsort(ratios, nruns, sizeof(ratios[0]), cmp_double);
	printf("%s.%s.runs=%u\n", first->seq, first->cost, nruns);
	printf("%s.%s.ratio=%.4f\n", first->seq, first->cost,
	       s2s_rank_pm_d(ratios, nruns, 500));
	if (nruns < MIN_RUNS) {
		printf("%s.%s.run_spread=unknown (fewer than %d runs)\n", first->seq, first->cost,
		       MIN_RUNS);
		return 0;
	}
	printf("%s.%s.run_min=%.4f\n%s.%s.run_max=%.4f\n%s.%s.run_spread=%.4f\n",
	       first->seq, first->cost, ratios[0], first->seq, first->cost, ratios[nruns - 1],
	       first->seq, first->cost, ratios[nruns - 1] / ratios[0]);
	return 0;
}

int main(int argc, char **argv)
{
	double *scratch;
	u32 i, nruns;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		print_usage(stdout);
		return 0;
	}
	if (argc < 2 || argc - 1 > MAX_RUNS) {
		print_usage(stderr);
		return 2;
	}
	nruns = argc - 1;
	for (i = 0; i < nruns; i++)
		if (load(&runs[i], argv[i + 1]))
			return 1;
	for (i = 1; i < nruns; i++)
		if (strcmp(runs[i].target, runs[0].target) || strcmp(runs[i].bar, runs[0].bar) ||
		    strcmp(runs[i].phys, runs[0].phys)) {
			fprintf(stderr, "s2stats: %s: %s BAR %s at %s; %s: %s BAR %s at %s\n",
				runs[i].path, runs[i].target, runs[i].bar, runs[i].phys,
				runs[0].path, runs[0].target, runs[0].bar, runs[0].phys);
			return 1;
		}
	scratch = calloc(2 * MAX_PAIRS + S2S_BOOT, sizeof(double));
	if (!scratch)
		return 1;
	printf("tool=%s\ntarget=%s\nbar=%s\nphys=%s\nruns=%u\nbootstrap=%u\n", runs[0].tool,
	       runs[0].target, runs[0].bar, runs[0].phys, nruns, S2S_BOOT);
	printf("statistic=%s, %s\n", "median of per-pair log ratios Device/WC",
	       "moving-block bootstrap 95% interval; over runs their median and spread (max/min)");
	for (i = 0; i < nruns; i++)
		printf("run.%u.file=%s\nrun.%u.kernel=%s\n", i, runs[i].path, i, runs[i].kernel);
	for (i = 0; i < runs[0].ncases; i++)
		if (report_case(&runs[0].cases[i], nruns, scratch))
			return 1;
	free(scratch);
	return 0;
}
