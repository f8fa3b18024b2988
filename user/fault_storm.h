/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault_storm.h: per-device fault accounting — exact totals, how many were decoded and how many
 * the kernel printed (the rest it suppressed), a sliding-window rate with storm start/end, peak
 * rate, first/last seen, reasons, and the IOVA ranges that fault most. Pure: time comes in with
 * each call (ns, any monotonic clock).
 */
#ifndef IOMMUTRACE_FAULT_STORM_H
#define IOMMUTRACE_FAULT_STORM_H

#include "iommutrace.h"

#include <stdbool.h>
#include <stddef.h>

#define FS_SLOTS    64 /* rate window: up to 64 slots of 1/8 s */
#define FS_RANGES   8  /* top faulting IOVA ranges kept per device */
#define FS_RANGE_SZ (64 * 1024ULL)
#define FS_REASONS  8

struct fs_range {
	__u64 base; /* FS_RANGE_SZ-aligned */
	__u64 count;
};

struct fs_reason {
	unsigned key; /* reason code (VT-d) or flags (tracepoint) | access << 16 */
	__u64 count;
};

enum fs_change { FS_NONE = 0, FS_STORM_START, FS_STORM_END };

struct fs_dev {
	char device[IT_NAME_LEN], driver[IT_NAME_LEN];
	__u64 faults;  /* every fault counted for this device */
	__u64 decoded; /* with address, access and reason */
	__u64 printed; /* lines the kernel printed about it */
	__u64 first_ns, last_ns;
	double peak_rate; /* faults/s over the window */
	bool storm;	  /* currently in a storm */
	bool ever_storm;
	unsigned storms;
	__u64 storm_start_ns, storm_faults; /* current or last storm */
	__u64 storm_end_ns;
	struct fs_range ranges[FS_RANGES];
	struct fs_reason reasons[FS_REASONS];
	/* rate window */
	__u64 slot_ns;
	__u32 slot_count[FS_SLOTS];
	__u64 slot_epoch[FS_SLOTS];
};

struct fault_storms {
	double threshold; /* faults/s that make a storm */
	__u64 window_ns;  /* rate window */
	struct fs_dev *v;
	size_t n, cap;
};

/* threshold: faults/s; window_ns: 125 ms .. 8 s. */
void storms_init(struct fault_storms *s, double threshold, __u64 window_ns);
void storms_free(struct fault_storms *s);
/* The device's record, created on first use; NULL on ENOMEM. */
struct fs_dev *storms_dev(struct fault_storms *s, const char *device, const char *driver);

/* Count one fault; returns whether a storm started with it. */
enum fs_change storms_add(struct fault_storms *s, struct fs_dev *d, __u64 now_ns, bool decoded,
			  __u64 iova, unsigned reason_key);
/* A kernel log line about the device. */
void storms_printed(struct fs_dev *d);
/* Time passes without faults: returns FS_STORM_END when a storm just ended. */
enum fs_change storms_tick(struct fault_storms *s, struct fs_dev *d, __u64 now_ns);

/* Faults per second over the window ending at now_ns. */
double storms_rate(const struct fault_storms *s, const struct fs_dev *d, __u64 now_ns);
/* Faults the kernel did not print (faults - printed, never negative). */
__u64 storms_suppressed(const struct fs_dev *d);
/* Ranges sorted by count, descending (in place). */
void storms_sort_ranges(struct fs_dev *d);

#endif
