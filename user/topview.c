// SPDX-License-Identifier: GPL-2.0
/* topview.c: the per-device table (see topview.h). */
#include "topview.h"

#include "hist.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct col_def {
	const char *header;
	int width;
	int key;
	bool text;
};

static const struct col_def cols[COL_NR] = {
    [COL_DEVICE] = {"DEVICE", 12, 'd', true},	[COL_DRIVER] = {"DRIVER", 14, 'r', true},
    [COL_GROUP] = {"GROUP", 9, 'g', true},	[COL_MAP] = {"MAP/s", 8, 'm', false},
    [COL_UNMAP] = {"UNMAP/s", 8, 'u', false},	[COL_MBPS] = {"MB/s", 8, 'b', false},
    [COL_LIVE] = {"LIVE", 7, 'l', false},	[COL_PGTMAP] = {"PGTMAP/s", 8, 't', false},
    [COL_IOVA] = {"IOVA/s", 8, 'a', false},	[COL_MISS] = {"MISS%", 6, 'c', false},
    [COL_MAP_P99] = {"MAP_P99", 8, 'k', false}, [COL_IOVA_P99] = {"IOVA_P99", 8, 'p', false},
    [COL_FAULTS] = {"FAULT/s", 7, 'f', false},	[COL_ISSUES] = {"ISSUES", 6, 'i', false},
};

__u64 dev_map_calls(const struct it_dev_stats *st)
{
	return st->map + st->map_sg + st->alloc;
}

__u64 dev_unmap_calls(const struct it_dev_stats *st)
{
	return st->unmap + st->unmap_sg + st->free;
}

__u64 dev_map_bytes(const struct it_dev_stats *st)
{
	return st->map_bytes + st->map_sg_bytes;
}

void dev_iova(const struct snapshot *s, __u64 dev, struct it_dom_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->ndom; i++) {
		const __u64 *src = (const __u64 *)&s->doms[i].st;
		__u64 *dst = (__u64 *)out;

		if (s->doms[i].dev != dev)
			continue;
		for (size_t k = 0; k < sizeof(*out) / sizeof(__u64); k++)
			dst[k] += src[k];
	}
}

unsigned top_missing_columns(const struct plan *p)
{
	unsigned m = 0;
	bool dma = cap_available(p, CAP_DMA_MAP) || cap_available(p, CAP_DMA_SG) ||
		   cap_available(p, CAP_DMA_COHERENT);

	if (!dma)
		m |= 1u << COL_MAP | 1u << COL_UNMAP | 1u << COL_MBPS | 1u << COL_LIVE |
		     1u << COL_ISSUES;
	if (!cap_available(p, CAP_IOMMU_PGTABLE))
		m |= 1u << COL_PGTMAP;
	if (!cap_available(p, CAP_IOVA))
		m |= 1u << COL_IOVA | 1u << COL_MISS | 1u << COL_IOVA_P99;
	if (!cap_available(p, CAP_DMA_CONTEXT))
		m |= 1u << COL_MAP_P99;
	if (!cap_available(p, CAP_FAULTS))
		m |= 1u << COL_FAULTS;
	return m;
}

void top_row_fill(struct top_row *r, const struct snapshot *cur, const struct snapshot *prev,
		  const struct dev_snap *d, const struct dev_sysfs *sf, double secs,
		  unsigned missing)
{
	const struct dev_snap *p = prev ? snapshot_dev(prev, d->key) : NULL;
	struct it_dom_stats io_prev;
	const struct it_dev_stats *dl = &r->delta;
	const struct it_dom_stats *iod = &r->io_delta;

	memset(r, 0, sizeof(*r));
	if (secs <= 0)
		secs = 1;
	r->key = d->key;
	r->missing = missing;
	r->total = d->st;
	if (p)
		u64_struct_delta(&r->delta, &d->st, &p->st, sizeof(r->delta));
	else
		r->delta = d->st;
	dev_iova(cur, d->key, &r->io);
	if (prev)
		dev_iova(prev, d->key, &io_prev);
	else
		memset(&io_prev, 0, sizeof(io_prev));
	u64_struct_delta(&r->io_delta, &r->io, &io_prev, sizeof(io_prev));
	snprintf(r->device, sizeof(r->device), "%s", d->info.name);
	snprintf(r->driver, sizeof(r->driver), "%s",
		 sf && sf->driver[0] ? sf->driver : d->info.driver);
	r->group = sf ? sf->group : -1;
	snprintf(r->group_type, sizeof(r->group_type), "%s", sf ? sf->group_type : "");
	r->v[COL_GROUP] = r->group;
	r->v[COL_MAP] = dev_map_calls(dl) / secs;
	r->v[COL_UNMAP] = dev_unmap_calls(dl) / secs;
	r->v[COL_MBPS] = dev_map_bytes(dl) / secs / 1e6;
	r->v[COL_LIVE] = (double)dev_live(&d->st);
	r->v[COL_PGTMAP] = dl->pgt_map / secs;
	r->v[COL_IOVA] = iod->allocs / secs;
	r->v[COL_MISS] = iod->allocs ? 100.0 * iod->cache_misses / iod->allocs : 0.0;
	r->v[COL_MAP_P99] = (double)hist_quantile(dl->hist[IT_H_MAP], IT_HIST_SLOTS, 0.99);
	r->v[COL_IOVA_P99] = (double)hist_quantile(iod->hist[IT_H_ALLOC], IT_HIST_SLOTS, 0.99);
	r->v[COL_FAULTS] = dl->faults / secs;
	r->v[COL_ISSUES] = (double)d->st.issues;
}

const char *top_col_header(enum top_col c)
{
	return c < COL_NR ? cols[c].header : "?";
}

int top_col_width(enum top_col c)
{
	return c < COL_NR ? cols[c].width : 0;
}

int top_col_key(enum top_col c)
{
	return c < COL_NR ? cols[c].key : 0;
}

int top_col_by_key(int key)
{
	for (int c = 0; c < COL_NR; c++)
		if (cols[c].key == key)
			return c;
	return -1;
}

bool top_col_desc_default(enum top_col c)
{
	return c < COL_NR && !cols[c].text;
}

const char *top_cell(const struct top_row *r, enum top_col c, char *buf, size_t len)
{
	if (c >= COL_NR || (r->missing & (1u << c))) {
		snprintf(buf, len, "-");
		return buf;
	}
	switch (c) {
	case COL_DEVICE:
		snprintf(buf, len, "%s", r->device[0] ? r->device : "(none)");
		break;
	case COL_DRIVER:
		snprintf(buf, len, "%s", r->driver[0] ? r->driver : "-");
		break;
	case COL_GROUP:
		if (r->group < 0)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%d:%s", r->group,
				 r->group_type[0] ? r->group_type : "?");
		break;
	case COL_MBPS:
		snprintf(buf, len, "%.2f", r->v[c]);
		break;
	case COL_MISS:
		snprintf(buf, len, "%.1f", r->v[c]);
		break;
	case COL_MAP_P99:
	case COL_IOVA_P99:
		fmt_ns(buf, len, (__u64)r->v[c]);
		break;
	default:
		snprintf(buf, len, "%.0f", r->v[c]);
		break;
	}
	return buf;
}

/* Text columns left-aligned, numbers right-aligned, one space between; truncated to width. */
static size_t put_cell(char *buf, size_t len, size_t off, enum top_col c, const char *text)
{
	int w = cols[c].width;

	if (off >= len)
		return off;
	off += snprintf(buf + off, len - off, cols[c].text ? "%s%-*.*s" : "%s%*.*s", c ? " " : "",
			w, w, text);
	return off < len ? off : len - 1;
}

void top_header_line(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int c = 0; c < COL_NR; c++)
		off = put_cell(buf, len, off, c, cols[c].header);
}

void top_row_line(const struct top_row *r, char *buf, size_t len)
{
	char cell[64];
	size_t off = 0;

	buf[0] = 0;
	for (int c = 0; c < COL_NR; c++)
		off = put_cell(buf, len, off, c, top_cell(r, c, cell, sizeof(cell)));
}

bool top_row_storm(const struct top_row *r)
{
	return !(r->missing & (1u << COL_FAULTS)) && r->v[COL_FAULTS] >= TOP_STORM_FAULTS_PER_S;
}

static enum top_col sort_col;
static bool sort_desc;

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	int r = 0;

	if (!x->device[0] != !y->device[0])
		return x->device[0] ? -1 : 1;
	if (sort_col == COL_DEVICE)
		r = strcmp(x->device, y->device);
	else if (sort_col == COL_DRIVER)
		r = strcmp(x->driver, y->driver);
	else if (x->v[sort_col] != y->v[sort_col])
		r = x->v[sort_col] < y->v[sort_col] ? -1 : 1;
	if (sort_desc)
		r = -r;
	if (!r)
		r = strcmp(x->device, y->device);
	return r;
}

void top_sort(struct top_row *rows, size_t n, enum top_col c, bool desc)
{
	if (c >= COL_NR || n < 2)
		return;
	sort_col = c;
	sort_desc = desc;
	qsort(rows, n, sizeof(rows[0]), row_cmp);
}

size_t top_filter(struct top_row *rows, size_t n, const char *pattern)
{
	size_t k = 0;

	if (!pattern || !pattern[0])
		return n;
	for (size_t i = 0; i < n; i++)
		if (strcasestr(rows[i].device, pattern) || strcasestr(rows[i].driver, pattern))
			rows[k++] = rows[i];
	return k;
}

json_object *top_row_json(const struct top_row *r)
{
	json_object *o = json_object_new_object(), *tot = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("device"));
	json_object_object_add(o, "device",
			       r->device[0] ? json_object_new_string(r->device) : NULL);
	json_object_object_add(o, "driver", json_object_new_string(r->driver));
	json_object_object_add(o, "iommu_group",
			       r->group >= 0 ? json_object_new_int(r->group) : NULL);
	json_object_object_add(o, "live", json_object_new_int64(dev_live(&r->total)));
	top_stats_json(tot, &r->total, &r->io);
	json_object_object_add(o, "total", tot);
	return o;
}

void top_stats_json(json_object *o, const struct it_dev_stats *st, const struct it_dom_stats *io)
{
#define ADD(name, v) json_object_object_add(o, name, json_object_new_int64((int64_t)(v)))
	ADD("map", st->map);
	ADD("map_bytes", st->map_bytes);
	ADD("unmap", st->unmap);
	ADD("unmap_bytes", st->unmap_bytes);
	ADD("map_sg", st->map_sg);
	ADD("map_sg_ents", st->map_sg_ents);
	ADD("map_sg_bytes", st->map_sg_bytes);
	ADD("unmap_sg", st->unmap_sg);
	ADD("unmap_untracked", st->unmap_untracked); /* mapped before tracing began */
	ADD("coherent_alloc", st->alloc);
	ADD("coherent_free", st->free);
	ADD("sync_cpu", st->sync_cpu);
	ADD("sync_device", st->sync_dev);
	ADD("pgt_map", st->pgt_map);
	ADD("pgt_map_bytes", st->pgt_map_bytes);
	ADD("pgt_unmap", st->pgt_unmap);
	ADD("pgt_unmap_bytes", st->pgt_unmap_bytes);
	ADD("faults", st->faults);
	ADD("issues", st->issues);
	ADD("iova_allocs", io->allocs);
	ADD("iova_frees", io->frees);
	ADD("iova_cache_misses", io->cache_misses);
	ADD("map_p99_ns", hist_quantile(st->hist[IT_H_MAP], IT_HIST_SLOTS, 0.99));
	ADD("unmap_p99_ns", hist_quantile(st->hist[IT_H_UNMAP], IT_HIST_SLOTS, 0.99));
	ADD("iova_alloc_p99_ns", hist_quantile(io->hist[IT_H_ALLOC], IT_HIST_SLOTS, 0.99));
#undef ADD
}
