/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapshot.h: one reading of the in-kernel aggregates, merged across CPUs, as the collector hands
 * it to the views. Pure data and pure functions (no BPF, no I/O) so they are unit-tested.
 */
#ifndef IOMMUTRACE_SNAPSHOT_H
#define IOMMUTRACE_SNAPSHOT_H

#include "iommutrace.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Now on a clock, in ns. CLOCK_MONOTONIC is the clock of snapshot times and of every BPF
 * timestamp (bpf_ktime_get_ns), so they compare with it. */
static inline __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CLOCK_MONOTONIC in ms: the pace of interval loops. */
static inline __u64 mono_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

struct dev_snap {
	__u64 key; /* kernel struct device pointer: an identity only, never printed */
	struct it_dev_info info;
	struct it_dev_stats st;
};

struct dom_snap {
	__u64 key; /* kernel iova_domain pointer: identity only */
	__u64 dev; /* the device its activity is attributed to (a dev_snap key), 0 if none */
	struct it_dom_stats st;
};

/* IOVA allocations from one kernel stack on behalf of one device. */
struct iova_stack_snap {
	struct it_iova_stack_key key;
	struct it_iova_stack_val val;
};

struct snapshot {
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 hooks[IT_HOOK_NR];
	__u64 hook_misses[IT_HOOK_NR]; /* function exits with no matching entry */
	__u64 recursion_misses;	       /* program runs the kernel skipped (BPF recursion guard) */
	__u64 counters[IT_C_NR];
	size_t ndev, ndom;
	struct dev_snap *devs;
	struct dom_snap *doms;
	__u64 rb_events;   /* ring buffer records received by user space */
	__u64 bpf_run_ns;  /* run time of all iommutrace programs (kernel BPF stats, if enabled) */
	__u64 bpf_run_cnt; /* ... and their runs */
};

void snapshot_free(struct snapshot *s);

/* Sum `ncpu` per-CPU copies of an all-__u64 struct of `size` bytes (stride rounded up to 8). */
void percpu_sum(void *dst, const void *percpu, size_t size, int ncpu);
/* dst = a - b for all-__u64 structs (counters that only grow). */
void u64_struct_delta(void *dst, const void *a, const void *b, size_t size);

const struct dev_snap *snapshot_dev(const struct snapshot *s, __u64 key);
const struct dom_snap *snapshot_dom(const struct snapshot *s, __u64 dom, __u64 dev);

/* Sort devices by name (stable output). */
void snapshot_sort(struct snapshot *s);

/* Live mappings of a device now: added minus removed. */
static inline __s64 dev_live(const struct it_dev_stats *st)
{
	return (__s64)(st->live_add - st->live_del);
}

#endif
