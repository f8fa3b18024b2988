/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault_events.h: the pipeline's fault records (io_page_fault, VT-d recording registers, the
 * kernel's fault lines) turned into one kind of record — device and driver by name, access,
 * reason — with the DMA mapping the address falls in (fault_match over the device's live and
 * recently unmapped mappings, read from the collector at most once per device per poll).
 * Used by `faults` and by `check` (a fault inside a mapping whose direction forbids it).
 */
#ifndef IOMMUTRACE_FAULT_EVENTS_H
#define IOMMUTRACE_FAULT_EVENTS_H

#include "collector.h"
#include "fault_match.h"

#include <stdbool.h>

struct fault_rec {
	__u64 ts_ns;
	unsigned src; /* enum it_fault_src */
	char device[IT_NAME_LEN], driver[IT_NAME_LEN];
	__u64 dev; /* the struct device the pipeline knows it by, 0 if not seen */
	__u64 iova;
	unsigned access; /* enum it_access */
	int reason;	 /* VT-d reason code, -1 if none */
	__u32 flags;	 /* tracepoint / AMD event flags */
	bool has_flags;
	bool intr;    /* interrupt-remapping fault: iova is the interrupt index */
	bool decoded; /* address, access and reason known */
	__u32 pasid;
	struct fm_result match;
};

struct fe_dev;

struct fault_events {
	struct collector *c;
	bool regs_ok; /* VT-d records come from the registers: log lines only count as printed */
	unsigned gen; /* poll generation: mapping snapshots are reused within one */
	struct fe_dev *devs;
	size_t ndevs;
	__u64 irqs_unread; /* fault interrupts whose records could not be read */
};

/* The collector options fault correlation needs, set before the collector opens: the unmap
 * history; with name_unmapper, also the stack of every unmap (who unmapped a faulting address). */
void fault_events_collector_opts(struct collector_opts *o, bool name_unmapper);
void fault_events_init(struct fault_events *fe, struct collector *c);
void fault_events_free(struct fault_events *fe);
/* Call after each collector_poll(): mapping snapshots taken before are stale. */
void fault_events_next_poll(struct fault_events *fe);

enum fe_kind {
	FE_IGNORE = 0,
	FE_FAULT,   /* *rec is a fault */
	FE_PRINTED, /* the kernel printed a line about rec->device's fault (not a new fault) */
	FE_UNREAD,  /* a fault interrupt whose records could not be read */
};
enum fe_kind fault_events_decode(struct fault_events *fe, const struct it_event *e,
				 struct fault_rec *rec);

/* "registers", "tracepoint", "console", "kmod" */
const char *fault_src_name(unsigned src);

#endif
