/* SPDX-License-Identifier: GPL-2.0 */
/*
 * topview.h: the per-device table of `iommutrace top` (ncurses and --batch) and of `report` —
 * one row per device computed from two snapshots, its columns (header, width, sort key, cell
 * text, "-" where the source is missing), sorting and filtering. Pure: no BPF, no sysfs, no
 * terminal, so unit tests link it.
 */
#ifndef IOMMUTRACE_TOPVIEW_H
#define IOMMUTRACE_TOPVIEW_H

#include "devices.h"
#include "snapshot.h"
#include "sources.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum top_col {
	COL_DEVICE,
	COL_DRIVER,
	COL_GROUP,
	COL_MAP,
	COL_UNMAP,
	COL_MBPS,
	COL_LIVE,
	COL_PGTMAP,
	COL_IOVA,
	COL_MISS,
	COL_MAP_P99,
	COL_IOVA_P99,
	COL_FAULTS,
	COL_ISSUES,
	COL_NR,
};

/* Faults per second at which a row is shown as a fault storm. */
#define TOP_STORM_FAULTS_PER_S 100.0

struct top_row {
	__u64 key; /* dev_snap key (identity only) */
	char device[IT_NAME_LEN], driver[IT_NAME_LEN];
	int group;	     /* IOMMU group, -1 if none */
	char group_type[16]; /* DMA, DMA-FQ, identity, ... */
	double v[COL_NR];    /* numeric value of each numeric column (per second, %, ns, count) */
	unsigned missing;    /* bit per column: its source is not attached */
	struct it_dev_stats total, delta;
	struct it_dom_stats io, io_delta; /* IOVA of the domains this device allocated from */
};

/* DMA API calls and bytes as the table counts them: single + sg + coherent maps. */
__u64 dev_map_calls(const struct it_dev_stats *st);
__u64 dev_unmap_calls(const struct it_dev_stats *st);
__u64 dev_map_bytes(const struct it_dev_stats *st);

/* IOVA aggregates of the domains a device allocated from. */
void dev_iova(const struct snapshot *s, __u64 dev, struct it_dom_stats *out);

/* Columns whose capability has no attached source in this plan (bit per enum top_col). */
unsigned top_missing_columns(const struct plan *p);

/* One device over the interval prev..cur of secs seconds; sf: sysfs facts (NULL: unknown). */
void top_row_fill(struct top_row *r, const struct snapshot *cur, const struct snapshot *prev,
		  const struct dev_snap *d, const struct dev_sysfs *sf, double secs,
		  unsigned missing);

const char *top_col_header(enum top_col c);
int top_col_width(enum top_col c);
/* The key that sorts by a column, and the column of a key (-1 if none). */
int top_col_key(enum top_col c);
int top_col_by_key(int key);
/* Numeric columns sort descending first, text columns ascending. */
bool top_col_desc_default(enum top_col c);
/* A cell's text ("-" for a missing source). */
const char *top_cell(const struct top_row *r, enum top_col c, char *buf, size_t len);
/* The whole header / row, columns padded to their widths, at most len-1 characters. */
void top_header_line(char *buf, size_t len);
void top_row_line(const struct top_row *r, char *buf, size_t len);
bool top_row_storm(const struct top_row *r);

/* Stable sort by a column (ties: device name); unattributed device last. */
void top_sort(struct top_row *rows, size_t n, enum top_col c, bool desc);
/* Keep rows whose device or driver contains pattern (case-insensitive; NULL/"" keeps all). */
size_t top_filter(struct top_row *rows, size_t n, const char *pattern);

/* {"type":"device","device","driver","iommu_group","live","total":{...}}: a row as JSON. */
json_object *top_row_json(const struct top_row *r);
/* Counters of one device (st) and its IOVA domains (io) as JSON members of o. */
void top_stats_json(json_object *o, const struct it_dev_stats *st, const struct it_dom_stats *io);

#endif
