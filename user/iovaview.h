/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iovaview.h: the output of the iova view — per-device and total rows as text or "iova_summary"
 * JSON objects with their top stacks and advice — shared by `iommutrace iova` (snapshots and
 * stacks from the live collector) and `iommutrace report` (from a recording's snapshots).
 */
#ifndef IOMMUTRACE_IOVAVIEW_H
#define IOMMUTRACE_IOVAVIEW_H

#include "devices.h"
#include "iova_report.h"
#include "snapshot.h"
#include "stack_out.h"

#include <stdbool.h>
#include <stddef.h>

#define IOVA_MAX_TOP	100
#define IOVA_MAX_ADVICE 8

/* Names and sysfs facts of one row's device. */
struct iova_names {
	char name[IT_NAME_LEN], driver[IT_NAME_LEN];
	struct dev_sysfs sf;
};
/* Fill n for a device key (dev 0: outside any DMA call; group -1 if unknown). */
typedef void (*iova_names_fn)(void *ctx, __u64 dev, struct iova_names *n);

/* What one report covers. */
struct iova_view {
	struct stack_src sym; /* stack ids of the per-stack table */
	iova_names_fn names;
	void *names_ctx;
	int ncpu;	    /* for the advice */
	bool json;	    /* iova_summary objects */
	bool final;	    /* one report over the whole run: whole histograms */
	const char *device; /* only this device's row, or NULL */
	int top;	    /* stacks per ranking */
	const struct snapshot *cur, *prev;
	struct iova_stack_snap *stacks; /* deltas (iovaview_deltas) */
	size_t nstacks;
	double secs;
	long iter;
};

/* v->stacks = cur minus prev, one entry per device and symbolized stack (free() it). */
void iovaview_deltas(struct iova_view *v, const struct iova_stack_snap *cur, size_t ncur,
		     const struct iova_stack_snap *prev, size_t nprev);
/* The rows of v->cur against v->prev, text or JSON, to stdout. */
void iovaview_report(const struct iova_view *v);
/* A stack's text, "[stack not captured]" / "[stack N lost]" if none. */
const char *iovaview_stack_text(const struct iova_view *v, __s32 id, char *buf, size_t len);
bool iovaview_wanted(const struct iova_view *v, const struct iova_names *n);

#endif
