/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault_match.h: which DMA mapping a faulting IOVA falls in, and what that says. Given the
 * device's mappings as the pipeline saw them (live ones, and recently unmapped ones with their
 * unmap time), finds the mapping live at the fault's time that contains the address, else one
 * unmapped before the fault (use after unmap), else a live one the access ran past the end of;
 * then a diagnosis when the facts decide it. Pure: no BPF, no I/O.
 */
#ifndef IOMMUTRACE_FAULT_MATCH_H
#define IOMMUTRACE_FAULT_MATCH_H

#include "iommutrace.h"

#include <stdbool.h>
#include <stddef.h>

#define FM_PAGE 4096ULL /* IOMMU page: VT-d reports page-aligned addresses */
/* How much later than the device's access a fault may be reported (interrupt latency). */
#define FM_REPORT_SLACK_NS 5000000ULL

struct fm_mapping {
	__u64 dma_addr, size;
	__u64 map_ns;
	__u64 unmap_ns; /* 0: still live */
	__s32 map_stack_id, unmap_stack_id;
	__u8 dir; /* enum it_dir */
};

enum fm_kind {
	FM_NONE = 0,	/* no mapping iommutrace saw explains the address */
	FM_INSIDE,	/* inside a mapping live at the time of the fault */
	FM_AFTER_UNMAP, /* inside a mapping unmapped before the fault */
	FM_PAST_END,	/* just past the end of a live mapping */
};

struct fm_result {
	enum fm_kind kind;
	struct fm_mapping m; /* the mapping, unless FM_NONE */
	__u64 past_by;	     /* FM_PAST_END: bytes between the mapping's end and the address */
	__u64 ago_ns;	     /* FM_AFTER_UNMAP: unmap to fault; FM_INSIDE: map to fault */
};

/* The mappings (any order) of the faulting device; fault_ns on the same clock as map_ns;
 * access: enum it_access. */
void fault_match(const struct fm_mapping *maps, size_t n, __u64 iova, __u64 fault_ns,
		 unsigned access, struct fm_result *out);
/* Does a mapping made with dir forbid the device this access (enum it_access)? */
bool fm_forbids(unsigned access, unsigned dir);

/*
 * A one-line diagnosis into buf when the facts decide it (direction bug, use after unmap, past the
 * end, access allowed by the mapping but faulted anyway), else NULL. access: enum it_access.
 */
const char *fault_diagnosis(const struct fm_result *r, unsigned access, __u64 iova, char *buf,
			    size_t len);

const char *fm_kind_name(enum fm_kind k);
/* "TO_DEVICE", "FROM_DEVICE", "BIDIRECTIONAL" (the JSON spelling), "NONE". */
const char *fm_dir_name(unsigned dir);

#endif
