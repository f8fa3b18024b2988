/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h: the `iommutrace export` exposition — Prometheus text format 0.0.4 or OpenMetrics
 * 1.0 — from per-device aggregates and the global counters. Pure (formats into a string buffer),
 * so unit tests check names, escaping and histogram buckets. Label values are device and driver
 * names and fixed words; no kernel address is ever a label or a value.
 */
#ifndef IOMMUTRACE_METRICS_H
#define IOMMUTRACE_METRICS_H

#include "snapshot.h"
#include "sources.h"

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *b);

/* Devices beyond the cap are summed into one with this name and driver. */
#define METRICS_OTHER "other"

struct metrics_dev {
	char device[IT_NAME_LEN], driver[IT_NAME_LEN];
	struct it_dev_stats st;
	struct it_dom_stats io; /* IOVA domains this device allocated from */
	__u64 issues[IT_ISSUE_NR];
};

/* Faults of one device for one reason (decoded from the ring buffer; see cmd_export.c). */
struct metrics_fault {
	char device[IT_NAME_LEN];
	char reason[64];
	__u64 n;
};

struct metrics_input {
	const struct metrics_dev *devs;
	size_t ndev;
	const struct metrics_fault *faults; /* devices not among devs count as device="other" */
	size_t nfaults;
	const struct snapshot *snap; /* global counters */
	const struct plan *plan;     /* for iommutrace_source_up; NULL: omitted */
	bool bpf_stats;		     /* snap->bpf_run_ns is meaningful */
};

/* Label value escaping: backslash, double quote and newline. */
void metrics_escape(struct strbuf *b, const char *s);
/* Keep the max-1 busiest devices (by DMA map calls) and fold the rest into device="other" when
 * there are more than max. Sorts devs; returns the new count. */
size_t metrics_fold(struct metrics_dev *devs, size_t n, size_t max);
/* The whole exposition. openmetrics: OpenMetrics 1.0 (counter family names without _total,
 * "# EOF"), else Prometheus text 0.0.4. Returns 0, or -1 if out of memory. */
int metrics_format(struct strbuf *b, const struct metrics_input *in, bool openmetrics);

#endif
