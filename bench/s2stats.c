// SPDX-License-Identifier: GPL-2.0
/*
 * s2stats - every figure of the bench, from raw samples. s2bench.ko
 * (debugfs samples) and s2wc (--samples FILE, or its standard output)
 * compute no statistic; this program does, the same way for both: for each
 * sequence and cost, per run, each side's min, median and p99 per post, the
 * PMU counts per post when the samples carry them, the posts per second of
 * the throughput rounds, and the median of the per-pair log ratios
 * Device/WC with a moving-block bootstrap 95% interval (bench/s2stat.h,
 * s2s_logpair()); over the runs (at least 3) the median of the runs' ratios
 * and their spread. --table prints the same as tables.
 *
 * usage: s2stats [--table] SAMPLES...   (one file per run, all of one BAR;
 *                                       - reads standard input)
 */

#define _GNU_SOURCE

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
#define PS_PER_S	1000000000000.0
#define SAMPLE_FMT	"SEQ COST PAIR WC_PS DEV_PS"

struct series {
	char seq[32], cost[16];
	u32 n, cap;
	u64 *wc, *dev;
};

struct kv {
	char *key, *val;
};

struct run {
	const char *path;
	struct series cases[MAX_CASES];
	u32 ncases;
	struct kv *kv;		/* the key=value lines, first of each key kept */
	u32 nkv, kv_cap;
};

/* the figures of one run's case */
struct fig {
	struct s2s_summary side[2];	/* wc, dev: picoseconds per post */
	struct s2s_logpair lp;
};

static struct run runs[MAX_RUNS];
static const char * const side_name[2] = { "wc", "dev" };

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: s2stats [--table] SAMPLES...\n"
		"Each SAMPLES file (- for standard input) holds one run's raw per-batch\n"
		"samples of one BAR: /sys/kernel/debug/s2bench/samples after a run, or s2wc\n"
		"--samples FILE (or s2wc's standard output). s2bench.ko and s2wc compute no\n"
		"statistic: this program computes every figure, the same way for both. Per\n"
		"sequence and cost, for each run: each side's min, median and p99 ns per post\n"
		"(nearest rank), PMU cycles and instructions per post when the samples carry\n"
		"them, posts/s of the throughput rounds, and the median of the per-pair log\n"
		"ratios Device/WC (as a ratio) with a moving-block bootstrap 95%% interval\n"
		"(%u resamples, blocks of n^(1/3) consecutive pairs, fixed seed); over the runs\n"
		"(%d or more) the median of their ratios and the run-to-run spread (max/min).\n"
		"Prints key=value lines (SEQ.COST.run.I.KEY, SEQ.COST.KEY); --table: tables.\n",
		S2S_BOOT, MIN_RUNS);
}

static const char *kv_get(const struct run *r, const char *key)
{
	u32 i;

	for (i = 0; i < r->nkv; i++)
		if (!strcmp(r->kv[i].key, key))
			return r->kv[i].val;
	return NULL;
}

static const char *ctx(const struct run *r, const char *key)
{
	const char *v = kv_get(r, key);

	return v ? v : "";
}

static int kv_add(struct run *r, const char *line)
{
	const char *eq = strchr(line, '=');
	size_t klen = eq - line, vlen = strcspn(eq + 1, "\n");
	char *key;
	struct kv *n;

	key = strndup(line, klen);
	if (!key)
		return -1;
	if (kv_get(r, key)) {
		free(key);
		return 0;
	}
	if (r->nkv == r->kv_cap) {
		r->kv_cap = r->kv_cap ? 2 * r->kv_cap : 64;
		n = realloc(r->kv, r->kv_cap * sizeof(*n));
		if (!n)
			return -1;
		r->kv = n;
	}
	r->kv[r->nkv].key = key;
	r->kv[r->nkv].val = strndup(eq + 1, vlen);
	return r->kv[r->nkv++].val ? 0 : -1;
}

static struct series *find_case(struct run *r, const char *seq, const char *cost)
{
	u32 i;

	for (i = 0; i < r->ncases; i++)
		if (!strcmp(r->cases[i].seq, seq) && !strcmp(r->cases[i].cost, cost))
			return &r->cases[i];
	return NULL;
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
	}
	if (pair != c->n || c->n == MAX_PAIRS)
		return -1;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->wc = realloc(c->wc, c->cap * sizeof(u64));
		c->dev = realloc(c->dev, c->cap * sizeof(u64));
		if (!c->wc || !c->dev)
			return -1;
	}
	c->wc[c->n] = wc;
	c->dev[c->n++] = dev;
	return 0;
}

/* the whole file (or standard input), NUL-terminated */
static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *nb;

	if (!f)
		return NULL;
	do {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 262144;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static bool is_marker(const char *line)
{
	return !strncmp(line, "# s2bench raw samples", 21) ||
	       !strncmp(line, "# s2wc raw samples", 18);
}

/*
 * key=value lines anywhere; sample lines strictly in order. The tools'
 * samples start with a marker line ("# s2bench raw samples", "# s2wc raw
 * samples"): what comes before it that is not key=value (s2wc's header
 * line, its "skipped" lines) is not a sample.
 */
static int load(struct run *r, const char *path)
{
	unsigned long long wc, dev;
	char seq[32], cost[16], *buf, *line, *next;
	unsigned int pair, lineno = 0;
	bool strict;

	r->path = path;
	buf = slurp(path);
	if (!buf) {
		fprintf(stderr, "s2stats: %s: %s\n", path, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	strict = !(is_marker(buf) || strstr(buf, "\n# s2bench raw samples") ||
		   strstr(buf, "\n# s2wc raw samples"));
	for (line = buf; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		lineno++;
		if (is_marker(line))
			strict = true;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strchr(line, '=') && strchr(line, '=') != line) {
			if (kv_add(r, line))
				goto oom;
			continue;
		}
		if (!strict)
			continue;
		if (sscanf(line, "%31s %15s %u %llu %llu", seq, cost, &pair, &wc, &dev) != 5 ||
		    add_pair(r, seq, cost, pair, wc, dev)) {
			fprintf(stderr, "s2stats: %s:%u: want '%s' in order\n", path, lineno,
				SAMPLE_FMT);
			free(buf);
			return -1;
		}
	}
	free(buf);
	if (!r->ncases) {
		fprintf(stderr, "s2stats: %s: no samples\n", path);
		return -1;
	}
	return 0;
oom:
	free(buf);
	fprintf(stderr, "s2stats: out of memory\n");
	return -1;
}

/* One run's case: both sides summarized, the paired ratio and its interval. */
static void figures(const struct series *c, double *scratch, u64 *sorted, struct fig *f)
{
	const u64 *v[2] = { c->wc, c->dev };
	int m;

	for (m = 0; m < 2; m++) {
		memcpy(sorted, v[m], c->n * sizeof(u64));
		s2s_summarize(sorted, c->n, &f->side[m]);
	}
	s2s_logpair(c->wc, c->dev, c->n, S2S_BOOT, scratch, &f->lp);
}

/* a per-post count from the run's totals (SEQ.COST.MAP.KEY), or < 0 */
static double per_post(const struct run *r, const struct series *c, int m, const char *key)
{
	char name[96];
	const char *b, *t;

	snprintf(name, sizeof(name), "%s.%s.batch", c->seq, c->cost);
	b = kv_get(r, name);
	snprintf(name, sizeof(name), "%s.%s.%s.%s", c->seq, c->cost, side_name[m], key);
	t = kv_get(r, name);
	if (!b || !t || !strtoull(b, NULL, 10) || !c->n)
		return -1;
	return strtod(t, NULL) / ((double)strtoull(b, NULL, 10) * c->n);
}

static void print_run_keys(const struct run *r, u32 i, const struct series *c,
			   const struct fig *f)
{
	char pre[96], name[96];
	const char *b;
	double pp;
	int m;

	snprintf(pre, sizeof(pre), "%s.%s.run.%u", c->seq, c->cost, i);
	printf("%s.pairs=%u\n%s.block=%u\n", pre, c->n, pre, f->lp.blk);
	snprintf(name, sizeof(name), "%s.%s.batch", c->seq, c->cost);
	b = kv_get(r, name);
	if (b)
		printf("%s.batch=%s\n", pre, b);
	for (m = 0; m < 2; m++) {
		printf("%s.%s.ns_min=%.2f\n%s.%s.ns_median=%.2f\n%s.%s.ns_p99=%.2f\n",
		       pre, side_name[m], f->side[m].min / 1000.0, pre, side_name[m],
		       f->side[m].median / 1000.0, pre, side_name[m], f->side[m].p99 / 1000.0);
		pp = per_post(r, c, m, "cycles");
		if (pp >= 0)
			printf("%s.%s.cycles_per_op=%.2f\n", pre, side_name[m], pp);
		pp = per_post(r, c, m, "instructions");
		if (pp >= 0)
			printf("%s.%s.instructions_per_op=%.2f\n", pre, side_name[m], pp);
		if (!strcmp(c->cost, "throughput"))
			printf("%s.%s.posts_per_s=%.0f\n", pre, side_name[m],
			       PS_PER_S / (double)(f->side[m].median ? f->side[m].median : 1));
	}
	printf("%s.ratio=%.4f\n%s.ci_lo=%.4f\n%s.ci_hi=%.4f\n", pre, f->lp.ratio, pre, f->lp.lo,
	       pre, f->lp.hi);
}

static void print_run_row(const struct run *r, const struct series *c, const struct fig *f)
{
	char name[96];
	const char *b;
	double pw = per_post(r, c, 0, "cycles"), pd = per_post(r, c, 1, "cycles");

	snprintf(name, sizeof(name), "%s.%s.batch", c->seq, c->cost);
	b = kv_get(r, name);
	printf("%-13s %-10s %7s %5u %10.2f %11.2f  %.4f [%.4f, %.4f]", c->seq, c->cost,
	       b ? b : "-", c->n, f->side[0].median / 1000.0, f->side[1].median / 1000.0,
	       f->lp.ratio, f->lp.lo, f->lp.hi);
	if (pw >= 0 && pd >= 0)
		printf(" %9.2f %9.2f", pw, pd);
	printf("\n");
}

/* One sequence and cost over all runs. */
static int report_case(const struct series *first, u32 nruns, double *scratch, u64 *sorted,
		       bool table)
{
	double ratios[MAX_RUNS], mid;
	const struct series *c;
	struct fig f;
	u32 i;

	for (i = 0; i < nruns; i++) {
		c = find_case(&runs[i], first->seq, first->cost);
		if (!c) {
			fprintf(stderr, "s2stats: %s has no %s %s\n", runs[i].path, first->seq,
				first->cost);
			return -1;
		}
		figures(c, scratch, sorted, &f);
		ratios[i] = f.lp.ratio;
		if (!table)
			print_run_keys(&runs[i], i, c, &f);
	}
	s2s_sort_d(ratios, nruns);
	mid = ratios[s2s_rank_index(nruns, 500)];
	if (table) {
		printf("%-13s %-10s %4u  %.4f", first->seq, first->cost, nruns, mid);
		if (nruns < MIN_RUNS)
			printf("  spread unknown (fewer than %d runs)\n", MIN_RUNS);
		else
			printf("  %.4f  %.4f  %.4f\n", ratios[0], ratios[nruns - 1],
			       ratios[nruns - 1] / ratios[0]);
		return 0;
	}
	printf("%s.%s.runs=%u\n", first->seq, first->cost, nruns);
	printf("%s.%s.ratio=%.4f\n", first->seq, first->cost, mid);
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

/* --table: each run's figures, then the runs' ratios side by side */
static int print_tables(u32 nruns, double *scratch, u64 *sorted)
{
	struct fig f;
	u32 i, k;

	for (i = 0; i < nruns; i++) {
		printf("run %u: %s (%s on %s BAR %s at %s, kernel %s, CPU %s)\n", i, runs[i].path,
		       ctx(&runs[i], "tool"), ctx(&runs[i], "target"), ctx(&runs[i], "bar"),
		       ctx(&runs[i], "phys"), ctx(&runs[i], "kernel"), ctx(&runs[i], "pinned_cpu"));
		printf("Device/WC: median of per-pair ratios [95%% moving-block bootstrap]; %s\n",
		       "ns per post");
		printf("%-13s %-10s %7s %5s %10s %11s  %-6s %-17s %9s %9s\n", "sequence",
		       "cost", "batch", "pairs", "wc_ns", "dev_ns", "ratio", "[95% CI]", "wc_cyc",
		       "dev_cyc");
		for (k = 0; k < runs[i].ncases; k++) {
			figures(&runs[i].cases[k], scratch, sorted, &f);
			print_run_row(&runs[i], &runs[i].cases[k], &f);
		}
		printf("\n");
	}
	printf("over %u runs: the median of the runs' ratios, min, max, spread (max/min)\n",
	       nruns);
	printf("%-13s %-10s %4s  %-6s  %-6s  %-6s  %s\n", "sequence", "cost", "runs", "ratio",
	       "min", "max", "spread");
	for (k = 0; k < runs[0].ncases; k++)
		if (report_case(&runs[0].cases[k], nruns, scratch, sorted, true))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	bool table = false;
	double *scratch;
	u64 *sorted;
	u32 i, nruns;
	int a = 1;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		print_usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--table")) {
		table = true;
		a++;
	}
	if (argc - a < 1 || argc - a > MAX_RUNS) {
		print_usage(stderr);
		return 2;
	}
	nruns = argc - a;
	for (i = 0; i < nruns; i++)
		if (load(&runs[i], argv[a + i]))
			return 1;
	for (i = 1; i < nruns; i++)
		if (strcmp(ctx(&runs[i], "target"), ctx(&runs[0], "target")) ||
		    strcmp(ctx(&runs[i], "bar"), ctx(&runs[0], "bar")) ||
		    strcmp(ctx(&runs[i], "phys"), ctx(&runs[0], "phys"))) {
			fprintf(stderr, "s2stats: %s: %s BAR %s at %s; %s: %s BAR %s at %s\n",
				runs[i].path, ctx(&runs[i], "target"), ctx(&runs[i], "bar"),
				ctx(&runs[i], "phys"), runs[0].path, ctx(&runs[0], "target"),
				ctx(&runs[0], "bar"), ctx(&runs[0], "phys"));
			return 1;
		}
	scratch = calloc(2 * MAX_PAIRS + S2S_BOOT, sizeof(double));
	sorted = calloc(MAX_PAIRS, sizeof(u64));
	if (!scratch || !sorted)
		return 1;
	if (table)
		return print_tables(nruns, scratch, sorted) ? 1 : 0;
	printf("tool=%s\ntarget=%s\nbar=%s\nphys=%s\nruns=%u\nbootstrap=%u\n",
	       ctx(&runs[0], "tool"), ctx(&runs[0], "target"), ctx(&runs[0], "bar"),
	       ctx(&runs[0], "phys"), nruns, S2S_BOOT);
	printf("statistic=%s, %s\n", "median of per-pair log ratios Device/WC",
	       "moving-block bootstrap 95% interval; over runs their median and spread (max/min)");
	printf("sides=%s\n", "min, median, p99 (nearest rank) of the batches' ns per post");
	for (i = 0; i < nruns; i++)
		printf("run.%u.file=%s\nrun.%u.kernel=%s\n", i, runs[i].path, i,
		       ctx(&runs[i], "kernel"));
	for (i = 0; i < runs[0].ncases; i++)
		if (report_case(&runs[0].cases[i], nruns, scratch, sorted, false))
			return 1;
	free(sorted);
	free(scratch);
	return 0;
}
