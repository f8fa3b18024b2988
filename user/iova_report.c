// SPDX-License-Identifier: GPL-2.0
/* iova_report.c: numbers, rankings and advice behind `iommutrace iova` (see iova_report.h). */
#include "iova_report.h"

#include "hist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N64(st) (sizeof(st) / sizeof(__u64))

static void add_stats(struct it_dom_stats *dst, const struct it_dom_stats *src)
{
	const __u64 *s = (const __u64 *)src;
	__u64 *d = (__u64 *)dst;

	for (size_t i = 0; i < N64(*dst); i++)
		d[i] += s[i];
}

static __s64 outstanding(const struct it_dom_stats *st)
{
	return (__s64)(st->allocs - st->alloc_fail) - (__s64)st->frees;
}

static struct iova_row *row_for(struct iova_row **rows, size_t *n, __u64 dev)
{
	struct iova_row *more;

	for (size_t i = 0; i < *n; i++)
		if ((*rows)[i].dev == dev)
			return &(*rows)[i];
	more = realloc(*rows, (*n + 1) * sizeof(**rows));
	if (!more)
		return NULL;
	*rows = more;
	memset(&more[*n], 0, sizeof(more[*n]));
	more[*n].dev = dev;
	return &more[(*n)++];
}

static int row_cmp(const void *a, const void *b)
{
	const struct iova_row *x = a, *y = b;

	if (!x->dev != !y->dev)
		return x->dev ? -1 : 1;
	if (x->st.allocs != y->st.allocs)
		return x->st.allocs > y->st.allocs ? -1 : 1;
	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

size_t iova_rows(const struct snapshot *cur, const struct snapshot *prev, struct iova_row **out)
{
	struct iova_row *rows = NULL, *r;
	size_t n = 0, kept = 0;

	for (size_t i = 0; i < cur->ndom; i++) {
		const struct dom_snap *d = &cur->doms[i];
		const struct dom_snap *p = prev ? snapshot_dom(prev, d->key, d->dev) : NULL;
		struct it_dom_stats delta;

		if (!(r = row_for(&rows, &n, d->dev)))
			break;
		if (p)
			u64_struct_delta(&delta, &d->st, &p->st, sizeof(delta));
		else
			delta = d->st;
		add_stats(&r->st, &delta);
		r->outstanding += outstanding(&d->st);
	}
	for (size_t i = 0; i < n; i++)
		if (rows[i].st.allocs || rows[i].st.frees || rows[i].outstanding)
			rows[kept++] = rows[i];
	if (kept > 1)
		qsort(rows, kept, sizeof(rows[0]), row_cmp);
	*out = rows;
	return kept;
}

void iova_total(const struct iova_row *rows, size_t n, struct iova_row *total)
{
	memset(total, 0, sizeof(*total));
	for (size_t i = 0; i < n; i++) {
		add_stats(&total->st, &rows[i].st);
		total->outstanding += rows[i].outstanding;
	}
}

bool iova_class_cached(int c)
{
	return c <= IT_IOVA_CACHED_MAX_ORDER;
}

const char *iova_class_label(char *buf, size_t len, int c)
{
	if (c >= IT_SIZE_CLASSES - 1)
		snprintf(buf, len, ">%u", 1u << (IT_SIZE_CLASSES - 2));
	else
		snprintf(buf, len, "%u", 1u << c);
	return buf;
}

__u64 iova_uncacheable(const struct it_dom_stats *st)
{
	__u64 n = 0;

	for (int c = IT_IOVA_CACHED_MAX_ORDER + 1; c < IT_SIZE_CLASSES; c++)
		n += st->size_class[c];
	return n;
}

double iova_miss_ratio(const struct it_dom_stats *st)
{
	return st->allocs ? (double)st->cache_misses / (double)st->allocs : 0.0;
}

static const struct iova_stack_snap *stack_find(const struct iova_stack_snap *s, size_t n,
						const struct it_iova_stack_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].key.dev == k->dev && s[i].key.stack_id == k->stack_id)
			return &s[i];
	return NULL;
}

size_t iova_stacks_delta(const struct iova_stack_snap *cur, size_t ncur,
			 const struct iova_stack_snap *prev, size_t nprev,
			 struct iova_stack_snap **out)
{
	struct iova_stack_snap *d = calloc(ncur ? ncur : 1, sizeof(*d));
	size_t n = 0;

	*out = d;
	if (!d)
		return 0;
	for (size_t i = 0; i < ncur; i++) {
		const struct iova_stack_snap *p = stack_find(prev, nprev, &cur[i].key);

		d[n].key = cur[i].key;
		if (p)
			u64_struct_delta(&d[n].val, &cur[i].val, &p->val, sizeof(d[n].val));
		else
			d[n].val = cur[i].val;
		if (d[n].val.allocs)
			n++;
	}
	return n;
}

size_t iova_stacks_merge(struct iova_stack_snap *s, char **texts, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < kept; j++)
			if (s[j].key.dev == s[i].key.dev && texts[j] && texts[i] &&
			    strcmp(texts[j], texts[i]) == 0)
				break;
		if (j < kept) {
			const __u64 *src = (const __u64 *)&s[i].val;
			__u64 *dst = (__u64 *)&s[j].val;

			for (size_t k = 0; k < N64(s[j].val); k++)
				dst[k] += src[k];
			free(texts[i]);
			continue;
		}
		s[kept] = s[i];
		texts[kept++] = texts[i];
	}
	return kept;
}

__u64 iova_stack_weight(const struct iova_stack_snap *s, enum iova_rank by)
{
	switch (by) {
	case IOVA_BY_TIME:
		return s->val.ns;
	case IOVA_BY_MISSES:
		return s->val.misses;
	default:
		return s->val.allocs;
	}
}

size_t iova_top_stacks(const struct iova_stack_snap *s, size_t n, __u64 dev, bool all_devs,
		       enum iova_rank by, size_t k, size_t *idx)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		__u64 w = iova_stack_weight(&s[i], by);
		size_t j;

		if ((!all_devs && s[i].key.dev != dev) || !w)
			continue;
		/* insertion into the sorted top k */
		for (j = m; j > 0 && iova_stack_weight(&s[idx[j - 1]], by) < w; j--)
			if (j < k)
				idx[j] = idx[j - 1];
		if (j < k) {
			idx[j] = i;
			if (m < k)
				m++;
		}
	}
	return m;
}

/* Copy a frame into the folded line, replacing what would break the format. */
static size_t put_frame(char *buf, size_t len, size_t at, const char *f, size_t flen, bool root)
{
	for (size_t i = 0; i < flen && at + 1 < len; i++) {
		char ch = f[i];

		if (ch == ';' || ch == '\n' || ch == '\r' || ch == '\t' || (root && ch == ' '))
			ch = '_';
		buf[at++] = ch;
	}
	buf[at < len ? at : len - 1] = 0;
	return at;
}

const char *iova_folded_line(char *buf, size_t len, const char *root, const char *stack,
			     __u64 weight)
{
	size_t at = 0;
	char tail[32];

	if (!len)
		return buf;
	buf[0] = 0;
	if (root && root[0])
		at = put_frame(buf, len, at, root, strlen(root), true);
	while (stack && *stack) {
		const char *end = strchr(stack, ';');
		size_t flen = end ? (size_t)(end - stack) : strlen(stack);

		if (flen) {
			if (at && at + 1 < len)
				buf[at++] = ';';
			at = put_frame(buf, len, at, stack, flen, false);
		}
		stack += flen + (end ? 1 : 0);
	}
	if (!at)
		at = put_frame(buf, len, 0, "[unknown]", 9, true);
	snprintf(tail, sizeof(tail), " %llu", (unsigned long long)weight);
	snprintf(buf + at, len - at, "%s", tail);
	return buf;
}

#define IOVA_ADVICE_MIN_ALLOCS 100 /* below this, percentages decide nothing */

int iova_advice(const struct iova_row *r, const char *group_type, const char *culprit, int ncpu,
		char lines[][256], int max)
{
	const struct it_dom_stats *st = &r->st;
	int n = 0, top = 0;
	__u64 unc = iova_uncacheable(st);
	double miss = iova_miss_ratio(st);
	char from[160] = "";

	if (culprit && culprit[0])
		snprintf(from, sizeof(from), " from %s", culprit);
	for (int c = 1; c < IT_SIZE_CLASSES; c++)
		if (st->size_class[c] > st->size_class[top])
			top = c;
#define LINE(...)                                                                                  \
	do {                                                                                       \
		if (n < max)                                                                       \
			snprintf(lines[n++], 256, __VA_ARGS__);                                    \
	} while (0)
	if (st->allocs >= IOVA_ADVICE_MIN_ALLOCS && st->size_class[top] * 10 >= st->allocs * 8) {
		double pct = 100.0 * st->size_class[top] / st->allocs;

		if (iova_class_cached(top))
			LINE("%.0f%% of allocations are %u-page (%u KiB) buffers%s: batching them "
			     "with "
			     "dma_map_sg or reusing mappings avoids the allocator",
			     pct, 1u << top, 4u << top, from);
		else
			LINE(
			    "%.0f%% of allocations are larger than %u pages%s: sizes above %u "
			    "pages "
			    "are never cached, every one takes the rbtree lock; map smaller pieces "
			    "or keep the mapping",
			    pct, 1u << IT_IOVA_CACHED_MAX_ORDER, from,
			    1u << IT_IOVA_CACHED_MAX_ORDER);
	}
	if (st->allocs >= IOVA_ADVICE_MIN_ALLOCS && miss >= 0.10 && unc * 2 < st->allocs) {
		double per_cpu = ncpu > 0 ? (double)r->outstanding / ncpu : (double)r->outstanding;

		if (per_cpu > 2 * IOVA_MAG_IOVAS)
			LINE("miss ratio %.0f%% with %.0f in flight per CPU: more than the two "
			     "magazines (%d IOVAs each) a CPU caches per size hold",
			     100 * miss, per_cpu, IOVA_MAG_IOVAS);
		else
			LINE(
			    "miss ratio %.0f%% with %.0f in flight per CPU: the per-CPU caches run "
			    "dry — frees land on other CPUs than allocations, or come in bursts "
			    "larger than a magazine (%d)",
			    100 * miss, per_cpu, IOVA_MAG_IOVAS);
	}
	if (st->limit32_fail)
		LINE("%llu first attempts below 4 GiB failed and were retried above: the 32-bit "
		     "IOVA space is full (iommu.forcedac=1 skips the first attempt if the device "
		     "handles 64-bit addresses)",
		     (unsigned long long)st->limit32_fail);
	if (st->flush_retries)
		LINE("%llu allocations found no free IOVA space, flushed every CPU's cache and "
		     "retried: the domain's address space is exhausted (outstanding mappings: "
		     "%lld)",
		     (unsigned long long)st->flush_retries, (long long)r->outstanding);
	if (st->alloc_fail > st->limit32_fail)
		LINE("%llu allocations failed outright: DMA mappings returned errors",
		     (unsigned long long)(st->alloc_fail - st->limit32_fail));
	if (group_type && strcmp(group_type, "DMA") == 0 && st->frees >= IOVA_ADVICE_MIN_ALLOCS)
		LINE(
		    "strict invalidation (group type DMA): each unmap flushes the IOTLB before its "
		    "IOVA is freed; lazy mode (iommu.strict=0, type DMA-FQ) batches the flushes");
#undef LINE
	return n;
}
