// SPDX-License-Identifier: GPL-2.0
/* findings.c: deduplicated DMA API misuse findings (see findings.h). */
#include "findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[IT_ISSUE_NR] = {
    [IT_ISSUE_UNMAP_DIRECTION] = "unmap_direction",
    [IT_ISSUE_UNMAP_SIZE] = "unmap_size",
    [IT_ISSUE_UNMAP_NENTS] = "sg_nents",
    [IT_ISSUE_DOUBLE_UNMAP] = "double_unmap",
    [IT_ISSUE_UNKNOWN_UNMAP] = "unknown_unmap",
    [IT_ISSUE_SYNC_DIRECTION] = "sync_direction",
    [IT_ISSUE_SYNC_RANGE] = "sync_range",
    [IT_ISSUE_SYNC_UNMAPPED] = "sync_unmapped",
    [IT_ISSUE_LEAK] = "leak",
    [IT_ISSUE_FAULT_IN_MAPPING] = "fault_in_mapping",
};

const char *issue_kind_name(unsigned kind)
{
	return kind < IT_ISSUE_NR && kind_names[kind] ? kind_names[kind] : "?";
}

const char *dir_name(unsigned dir)
{
	static const char *const names[] = {"DMA_BIDIRECTIONAL", "DMA_TO_DEVICE",
					    "DMA_FROM_DEVICE"};

	return dir < 3 ? names[dir] : "-";
}

static bool same(const struct finding *a, const struct finding *b)
{
	return a->kind == b->kind && a->dev == b->dev && a->map_stack_id == b->map_stack_id &&
	       a->op_stack_id == b->op_stack_id;
}

struct finding *findings_add(struct findings *f, const struct finding *one)
{
	for (size_t i = 0; i < f->n; i++) {
		struct finding *x = &f->v[i];

		if (!same(x, one))
			continue;
		x->count += one->count;
		if (one->last_ns > x->last_ns)
			x->last_ns = one->last_ns;
		if (one->first_ns && one->first_ns < x->first_ns)
			x->first_ns = one->first_ns;
		return x;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct finding *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n] = *one;
	return &f->v[f->n++];
}

struct finding *findings_add_event(struct findings *f, const struct it_event *e, const char *device,
				   const char *driver)
{
	struct finding one = {
	    .kind = e->kind,
	    .dev = e->dev,
	    .dma_addr = e->addr,
	    .map_dir = e->map_dir,
	    .op_dir = e->dir,
	    .map_size = e->map_size,
	    .op_size = e->size,
	    .map_nents = e->map_nents,
	    .op_nents = e->nents,
	    .map_stack_id = e->map_stack_id,
	    .op_stack_id = e->stack_id,
	    .count = 1,
	    .first_ns = e->ts_ns,
	    .last_ns = e->ts_ns,
	};

	snprintf(one.device, sizeof(one.device), "%s", device ? device : "");
	snprintf(one.driver, sizeof(one.driver), "%s", driver ? driver : "");
	return findings_add(f, &one);
}

static bool names_match(const char *device, const char *driver, const char *want_device,
			const char *want_driver)
{
	return (!want_device || strcmp(device, want_device) == 0) &&
	       (!want_driver || strcmp(driver, want_driver) == 0);
}

size_t findings_filter(struct findings *f, const char *device, const char *driver)
{
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++)
		if (names_match(f->v[i].device, f->v[i].driver, device, driver))
			f->v[k++] = f->v[i];
	f->n = k;
	return k;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int r;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	r = strcmp(x->device, y->device);
	if (r)
		return r;
	return x->count > y->count ? -1 : x->count < y->count;
}

void findings_sort(struct findings *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(f->v[0]), finding_cmp);
}

void findings_free(struct findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

int live_groups_add(struct live_groups *g, __u64 dev, const struct it_live_val *v,
		    const char *device, const char *driver)
{
	struct live_group *x = NULL;

	/* Mappings come in table order: the group of the previous one is the likeliest. */
	for (size_t i = g->n; i > 0; i--) {
		if (g->v[i - 1].dev == dev && g->v[i - 1].map_stack_id == v->stack_id) {
			x = &g->v[i - 1];
			break;
		}
	}
	if (!x) {
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 32;
			struct live_group *more = realloc(g->v, cap * sizeof(*more));

			if (!more)
				return -1;
			g->v = more;
			g->cap = cap;
		}
		x = &g->v[g->n++];
		memset(x, 0, sizeof(*x));
		x->dev = dev;
		x->map_stack_id = v->stack_id;
		x->dir = v->dir;
		x->oldest_map_ns = v->map_ns;
		x->stacks = 1;
		snprintf(x->device, sizeof(x->device), "%s", device);
		snprintf(x->driver, sizeof(x->driver), "%s", driver);
	}
	if (x->dir != v->dir)
		x->dir = IT_DIR_NONE;
	if (v->map_ns < x->oldest_map_ns)
		x->oldest_map_ns = v->map_ns;
	x->count++;
	x->bytes += v->size;
	g->count++;
	g->bytes += v->size;
	return 0;
}

static int live_site_cmp(const void *a, const void *b)
{
	const struct live_group *x = a, *y = b;
	int r = x->dev < y->dev ? -1 : x->dev > y->dev;

	if (r)
		return r;
	r = strcmp(x->site, y->site);
	if (r)
		return r;
	return x->count > y->count ? -1 : x->count < y->count;
}

void live_groups_by_site(struct live_groups *g, live_site_fn site, void *ctx)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n; i++) {
		struct live_group *x = &g->v[i];

		if (!site(ctx, x->map_stack_id, x->site, sizeof(x->site)))
			x->site[0] = 0;
	}
	if (!g->n)
		return;
	qsort(g->v, g->n, sizeof(*g->v), live_site_cmp);
	for (size_t i = 1; i < g->n; i++) {
		struct live_group *x = &g->v[k], *y = &g->v[i];

		if (x->dev != y->dev || strcmp(x->site, y->site) != 0) {
			g->v[++k] = *y;
			continue;
		}
		/* x has the most mappings of its site (sorted): its stack stays the example. */
		x->count += y->count;
		x->bytes += y->bytes;
		x->stacks += y->stacks;
		if (y->oldest_map_ns < x->oldest_map_ns)
			x->oldest_map_ns = y->oldest_map_ns;
		if (y->dir != x->dir)
			x->dir = IT_DIR_NONE;
	}
	g->n = k + 1;
}

size_t live_groups_filter(struct live_groups *g, const char *device, const char *driver)
{
	size_t k = 0;

	g->count = g->bytes = 0;
	for (size_t i = 0; i < g->n; i++) {
		if (!names_match(g->v[i].device, g->v[i].driver, device, driver))
			continue;
		g->count += g->v[i].count;
		g->bytes += g->v[i].bytes;
		g->v[k++] = g->v[i];
	}
	g->n = k;
	return k;
}

static int live_group_cmp(const void *a, const void *b)
{
	const struct live_group *x = a, *y = b;
	int r = strcmp(x->device, y->device);

	if (r)
		return r;
	return x->count > y->count ? -1 : x->count < y->count;
}

void live_groups_sort(struct live_groups *g)
{
	if (g->n)
		qsort(g->v, g->n, sizeof(*g->v), live_group_cmp);
}

void live_groups_free(struct live_groups *g)
{
	free(g->v);
	memset(g, 0, sizeof(*g));
}
