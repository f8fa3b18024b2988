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

/*
 * Mappings still live when the check ends, grouped by (device, map stack) with counts, bytes and
 * the oldest map time. Not findings: a bound driver's rings and in-flight buffers are live at any
 * moment. Shown so that a group that only grows, or a driver that should be idle, stands out.
 */
struct live_group {
	__u64 dev;
	char device[IT_NAME_LEN], driver[IT_NAME_LEN];
	__s32 map_stack_id; /* after live_groups_by_site(): the stack of the most mappings */
	__u8 dir; /* enum it_dir of the first mapping seen; IT_DIR_NONE when they differ */
	__u64 count, bytes, oldest_map_ns;
	char site[128]; /* after live_groups_by_site(): the function that mapped, "" if unknown */
	__u32 stacks;	/* distinct map stacks in the group */
};

struct live_groups {
	struct live_group *v;
	size_t n, cap;
	__u64 count, bytes; /* over every group */
};

/* Count one live mapping; 0, or -1 on ENOMEM. */
int live_groups_add(struct live_groups *g, __u64 dev, const struct it_live_val *v,
		    const char *device, const char *driver);
/* The function that made a mapping, from its map stack (the driver frame below the DMA layers);
 * NULL or "" when unknown. */
typedef const char *(*live_site_fn)(void *ctx, __s32 stack_id, char *buf, size_t len);
/* Merge a device's groups that were mapped by the same function (one map site reached through many
 * stacks — an interrupt lands anywhere — is one group), keeping the stack of the biggest. */
void live_groups_by_site(struct live_groups *g, live_site_fn site, void *ctx);
/* Keep only those matching device/driver (NULL: any; totals follow). Returns how many remain. */
size_t live_groups_filter(struct live_groups *g, const char *device, const char *driver);
/* By device, then count (descending). */
void live_groups_sort(struct live_groups *g);
void live_groups_free(struct live_groups *g);

#endif
