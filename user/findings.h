/* SPDX-License-Identifier: GPL-2.0 */
/*
 * findings.h: DMA API misuse findings, deduplicated by (kind, device, map stack, offending stack)
 * with a repeat count, so a bug hit a million times is one finding. Pure: no BPF, no I/O.
 */
#ifndef IOMMUTRACE_FINDINGS_H
#define IOMMUTRACE_FINDINGS_H

#include "iommutrace.h"

#include <stdbool.h>
#include <stddef.h>

struct finding {
	__u16 kind; /* enum it_issue_kind */
	__u64 dev;  /* device identity (kernel pointer, never printed) */
	char device[IT_NAME_LEN], driver[IT_NAME_LEN];
	__u64 dma_addr; /* first occurrence */
	__u8 map_dir, op_dir;
	__u64 map_size, op_size;
	__u16 map_nents, op_nents;
	__s32 map_stack_id, op_stack_id;
	__u64 count;
	__u64 first_ns, last_ns;
};

struct findings {
	struct finding *v;
	size_t n, cap;
};

/* "unmap_direction", ... as in the JSON output; "?" for an unknown kind. */
const char *issue_kind_name(unsigned kind);
/* "DMA_TO_DEVICE", ...; "-" for IT_DIR_NONE or unknown. */
const char *dir_name(unsigned dir);

/* Add one occurrence (count of them); returns the finding it was merged into, NULL on ENOMEM. */
struct finding *findings_add(struct findings *f, const struct finding *one);
/* Add from a ring-buffer record. */
struct finding *findings_add_event(struct findings *f, const struct it_event *e, const char *device,
				   const char *driver);
/* Keep only those matching device/driver (NULL: any). Returns how many remain. */
size_t findings_filter(struct findings *f, const char *device, const char *driver);
/* Sort by kind, then device, then count (descending). */
void findings_sort(struct findings *f);
void findings_free(struct findings *f);

#endif
