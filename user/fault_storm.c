// SPDX-License-Identifier: GPL-2.0
/* fault_storm.c: per-device fault counts, rates and storms (see fault_storm.h). */
#include "fault_storm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void storms_init(struct fault_storms *s, double threshold, __u64 window_ns)
{
	memset(s, 0, sizeof(*s));
	s->threshold = threshold > 0 ? threshold : 1;
	if (window_ns < 125000000ULL)
		window_ns = 125000000ULL;
	if (window_ns > 8000000000ULL)
		window_ns = 8000000000ULL;
	s->window_ns = window_ns;
}

void storms_free(struct fault_storms *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct fs_dev *storms_dev(struct fault_storms *s, const char *device, const char *driver)
{
	struct fs_dev *d;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].device, device) == 0)
			return &s->v[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct fs_dev *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	d = &s->v[s->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->device, sizeof(d->device), "%s", device);
	snprintf(d->driver, sizeof(d->driver), "%s", driver ? driver : "");
	d->slot_ns = s->window_ns / FS_SLOTS;
	return d;
}

double storms_rate(const struct fault_storms *s, const struct fs_dev *d, __u64 now_ns)
{
	__u64 now_slot, sum = 0;

	if (!d->slot_ns)
		return 0;
	now_slot = now_ns / d->slot_ns;
	for (int i = 0; i < FS_SLOTS; i++)
		if (d->slot_epoch[i] + FS_SLOTS > now_slot && d->slot_epoch[i] <= now_slot)
			sum += d->slot_count[i];
	return (double)sum * 1e9 / (double)s->window_ns;
}

static void add_range(struct fs_dev *d, __u64 iova)
{
	__u64 base = iova & ~(FS_RANGE_SZ - 1);
	int min = 0;

	for (int i = 0; i < FS_RANGES; i++) {
		if (d->ranges[i].count && d->ranges[i].base == base) {
			d->ranges[i].count++;
			return;
		}
		if (d->ranges[i].count < d->ranges[min].count)
			min = i;
	}
	/* Space-saving: the least counted slot is taken over, keeping its count as the error
	 * bound, so heavy ranges are never lost. */
	d->ranges[min].base = base;
	d->ranges[min].count++;
}

static void add_reason(struct fs_dev *d, unsigned key)
{
	int min = 0;

	for (int i = 0; i < FS_REASONS; i++) {
		if (d->reasons[i].count && d->reasons[i].key == key) {
			d->reasons[i].count++;
			return;
		}
		if (d->reasons[i].count < d->reasons[min].count)
			min = i;
	}
	d->reasons[min].key = key;
	d->reasons[min].count++;
}

enum fs_change storms_add(struct fault_storms *s, struct fs_dev *d, __u64 now_ns, bool decoded,
			  __u64 iova, unsigned reason_key)
{
	__u64 slot = now_ns / d->slot_ns;
	int i = slot % FS_SLOTS;
	double rate;

	if (d->slot_epoch[i] != slot) {
		d->slot_epoch[i] = slot;
		d->slot_count[i] = 0;
	}
	d->slot_count[i]++;
	if (!d->faults)
		d->first_ns = now_ns;
	d->faults++;
	d->last_ns = now_ns;
	if (decoded) {
		d->decoded++;
		add_range(d, iova);
		add_reason(d, reason_key);
	}
	rate = storms_rate(s, d, now_ns);
	if (rate > d->peak_rate)
		d->peak_rate = rate;
	if (d->storm) {
		d->storm_faults++;
		return FS_NONE;
	}
	if (rate < s->threshold)
		return FS_NONE;
	d->storm = d->ever_storm = true;
	d->storms++;
	/* The storm began with the faults already in the window. */
	d->storm_faults = (__u64)(rate * (double)s->window_ns / 1e9 + 0.5);
	d->storm_start_ns = now_ns - (d->storm_faults > 1 ? s->window_ns : 0);
	if (d->storm_start_ns < d->first_ns)
		d->storm_start_ns = d->first_ns;
	return FS_STORM_START;
}

void storms_printed(struct fs_dev *d)
{
	d->printed++;
}

enum fs_change storms_tick(struct fault_storms *s, struct fs_dev *d, __u64 now_ns)
{
	if (!d->storm || storms_rate(s, d, now_ns) >= s->threshold)
		return FS_NONE;
	d->storm = false;
	d->storm_end_ns = d->last_ns;
	return FS_STORM_END;
}

__u64 storms_suppressed(const struct fs_dev *d)
{
	return d->faults > d->printed ? d->faults - d->printed : 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct fs_range *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

void storms_sort_ranges(struct fs_dev *d)
{
	qsort(d->ranges, FS_RANGES, sizeof(d->ranges[0]), cmp_range);
}
