/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultview.h: the output of the faults view — per-fault blocks (text: the first of each kind;
 * JSON: every fault), storm lines, the per-device fault_summary and the fault_sources counts —
 * with storm accounting over the decoded records. Shared by `iommutrace faults` (records decoded
 * live, stacks from the collector) and `iommutrace report` (records and stacks from a recording).
 */
#ifndef IOMMUTRACE_FAULTVIEW_H
#define IOMMUTRACE_FAULTVIEW_H

#include "fault_events.h"
#include "fault_storm.h"
#include "snapshot.h"
#include "stack_out.h"

#include <stdbool.h>

struct fv_seen;

struct fault_view {
	struct stack_src stacks;
	bool json;
	__u64 mono_to_real_ns; /* add to a record's ts_ns to get wall-clock time */
	struct fault_storms storms;
	struct fv_seen *seen; /* kinds already shown in the text view */
	size_t nseen;
	/* For fault_sources: */
	__u64 irqs_unread; /* fault interrupts whose records could not be read */
	bool regs_ok;	   /* VT-d records read from the registers */
};

/* Storm detection defaults: `faults` without --storm-threshold/--window, and `report`. */
#define FAULTVIEW_STORM_THRESHOLD 5.0 /* faults/s: more than the kernel's printk limit lets by */
#define FAULTVIEW_WINDOW_MS	  2000

void faultview_init(struct fault_view *v, struct stack_src stacks, bool json, double threshold,
		    __u64 window_ns, __u64 mono_to_real_ns);
void faultview_free(struct fault_view *v);
/* One decoded record of kind FE_FAULT or FE_PRINTED (others are ignored): counted, and a fault
 * printed (JSON: each; text: the first of its kind, then storm start lines). */
void faultview_add(struct fault_view *v, enum fe_kind k, const struct fault_rec *r);
/* Time passes (now on the records' clock): storms without new faults end. */
void faultview_tick(struct fault_view *v, __u64 now_ns);
/* The end of the run: storms still going end with their last fault. */
void faultview_finish(struct fault_view *v);
/* The per-device summary and (JSON) fault_sources; snap: the counters at that time. */
void faultview_summary(struct fault_view *v, const struct snapshot *snap, bool final);

#endif
