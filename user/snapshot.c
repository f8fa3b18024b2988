// SPDX-License-Identifier: GPL-2.0
/* snapshot.c: merging and comparing aggregate snapshots (see snapshot.h). */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

void snapshot_free(struct snapshot *s)
{
	free(s->devs);
	free(s->doms);
	memset(s, 0, sizeof(*s));
}

void percpu_sum(void *dst, const void *percpu, size_t size, int ncpu)
{
	size_t stride = (size + 7) & ~(size_t)7, n = size / sizeof(__u64);
	__u64 *d = dst;

	memset(dst, 0, size);
	for (int cpu = 0; cpu < ncpu; cpu++) {
		const __u64 *v = (const void *)((const char *)percpu + cpu * stride);

		for (size_t i = 0; i < n; i++)
			d[i] += v[i];
	}
}

void u64_struct_delta(void *dst, const void *a, const void *b, size_t size)
{
	const __u64 *x = a, *y = b;
	__u64 *d = dst;

	for (size_t i = 0; i < size / sizeof(__u64); i++)
		d[i] = x[i] >= y[i] ? x[i] - y[i] : 0;
}

const struct dev_snap *snapshot_dev(const struct snapshot *s, __u64 key)
{
	for (size_t i = 0; i < s->ndev; i++)
		if (s->devs[i].key == key)
			return &s->devs[i];
	return NULL;
}

const struct dom_snap *snapshot_dom(const struct snapshot *s, __u64 dom, __u64 dev)
{
	for (size_t i = 0; i < s->ndom; i++)
		if (s->doms[i].key == dom && s->doms[i].dev == dev)
			return &s->doms[i];
	return NULL;
}

static int dev_cmp(const void *a, const void *b)
{
	const struct dev_snap *x = a, *y = b;
	int r;

	/* Device 0 (unattributed) sorts last. */
	if (!x->key != !y->key)
		return x->key ? -1 : 1;
	r = strcmp(x->info.name, y->info.name);
	if (r)
		return r;
	return x->key < y->key ? -1 : x->key > y->key;
}

void snapshot_sort(struct snapshot *s)
{
	if (s->ndev > 1)
		qsort(s->devs, s->ndev, sizeof(s->devs[0]), dev_cmp);
}
