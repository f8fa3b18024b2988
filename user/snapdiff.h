/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapdiff.h: what changed between two passthrough health snapshots, passthrough regressions
 * first (groups that grew, drivers that changed, IOMMU parameters or mode, interrupt remapping,
 * DMA masks, VFIO modules), then the other changes. Pure.
 */
#ifndef IOMMUTRACE_SNAPDIFF_H
#define IOMMUTRACE_SNAPDIFF_H

#include <json-c/json.h>
#include <stddef.h>

enum sdiff_sev {
	SDIFF_REGRESSION, /* breaks or weakens passthrough: diff exits 1 */
	SDIFF_CHANGE,	  /* relevant to passthrough, not a regression by itself */
	SDIFF_INFO,	  /* the rest */
};

struct sdiff_item {
	enum sdiff_sev sev;
	char kind[24];	  /* "group-grew", "driver", "param", ... (docs/PASSTHROUGH.md) */
	char subject[64]; /* what it is about: a device, group, parameter */
	char *message;	  /* one line for people */
};

struct sdiff {
	struct sdiff_item *v;
	size_t n, cap;
	size_t count[3]; /* per severity */
};

/* Compares two validated snapshots (snapdoc_validate); items sorted by severity, each severity in
 * the order above. Returns 0, or -1 when out of memory. */
int snapdiff(json_object *a, json_object *b, struct sdiff *out);
void sdiff_free(struct sdiff *d);
const char *sdiff_sev_name(enum sdiff_sev s);
/* {"regressions": N, "changes": N, "info": N, "items": [{severity, kind, subject, message}]} */
json_object *sdiff_json(const struct sdiff *d);

#endif
