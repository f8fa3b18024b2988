/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iova_report.h: the numbers behind `iommutrace iova`, from snapshots — per-device IOVA rows over
 * an interval, size classes, per-stack deltas and rankings, the folded-stack format flame graph
 * tools read, and the advice lines the numbers decide. Pure (no BPF, no I/O) so it is unit-tested.
 */
#ifndef IOMMUTRACE_IOVA_REPORT_H
#define IOMMUTRACE_IOVA_REPORT_H

#include "snapshot.h"

#include <stdbool.h>
#include <stddef.h>

#define IOVA_MAG_IOVAS 128 /* IOVAs per magazine (IOVA_MAG_SIZE: 128 up to 6.6, 127 since) */

/* One device's (or, with dev 0, unattributed) IOVA activity over an interval. */
struct iova_row {
	__u64 dev;		/* dev_snap key; 0: outside any DMA call */
	struct it_dom_stats st; /* over the interval */
	__s64 outstanding;	/* allocated and not freed since tracing started */
};

/* Per-device rows for cur minus prev (prev NULL: since the start), busiest first, device 0 last;
 * rows with no activity in the interval and nothing outstanding are left out. */
size_t iova_rows(const struct snapshot *cur, const struct snapshot *prev, struct iova_row **out);
/* The sum of n rows (dev 0). */
void iova_total(const struct iova_row *rows, size_t n, struct iova_row *total);

/* Size classes: class c holds allocations of up to 2^c pages; c > 5 are never cached. */
bool iova_class_cached(int c);
/* "4" (pages) for a class, ">1024" for the last. */
const char *iova_class_label(char *buf, size_t len, int c);
__u64 iova_uncacheable(const struct it_dom_stats *st);
/* misses / allocs, 0 without allocations. */
double iova_miss_ratio(const struct it_dom_stats *st);

/* Per-stack records of cur minus prev (matched by key); entries with no new allocation dropped. */
size_t iova_stacks_delta(const struct iova_stack_snap *cur, size_t ncur,
			 const struct iova_stack_snap *prev, size_t nprev,
			 struct iova_stack_snap **out);
/* Entries of the same device whose stacks read the same (texts[i] for s[i]; call sites in one
 * function differ in address only) are merged into the first; both arrays are compacted and
 * the dropped texts freed. Returns the new count. */
size_t iova_stacks_merge(struct iova_stack_snap *s, char **texts, size_t n);
enum iova_rank { IOVA_BY_TIME, IOVA_BY_MISSES, IOVA_BY_ALLOCS };
__u64 iova_stack_weight(const struct iova_stack_snap *s, enum iova_rank by);
/* Indexes of the k heaviest stacks of dev (all devices if all_devs) with a non-zero weight,
 * heaviest first, into idx; returns how many. */
size_t iova_top_stacks(const struct iova_stack_snap *s, size_t n, __u64 dev, bool all_devs,
		       enum iova_rank by, size_t k, size_t *idx);

/*
 * One line of folded stacks, as flamegraph.pl, inferno and speedscope read them: the root frame
 * (root, e.g. the device; spaces become '_'), then the stack's frames outermost first, separated by
 * ';', then a space and the weight. Semicolons and line breaks inside frames are replaced.
 */
const char *iova_folded_line(char *buf, size_t len, const char *root, const char *stack,
			     __u64 weight);

/* What the numbers decide, one sentence per line. group_type: "DMA", "DMA-FQ", ... or "".
 * culprit: the top stack's culprit frame or "". Returns the number of lines written. */
int iova_advice(const struct iova_row *r, const char *group_type, const char *culprit, int ncpu,
		char lines[][256], int max);

#endif
