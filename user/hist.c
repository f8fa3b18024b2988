// SPDX-License-Identifier: GPL-2.0
/* hist.c: log2 histogram math and text output (see hist.h). */
#include "hist.h"

#include <stdint.h>
#include <string.h>

__u64 hist_total(const __u64 *slots, int n)
{
	__u64 t = 0;

	for (int i = 0; i < n; i++)
		t += slots[i];
	return t;
}

static __u64 slot_upper(int i)
{
	return i >= 63 ? UINT64_MAX : (2ULL << i) - 1;
}

__u64 hist_quantile(const __u64 *slots, int n, double q)
{
	__u64 total = hist_total(slots, n), acc = 0;
	double want;

	if (!total)
		return 0;
	want = q * (double)total;
	for (int i = 0; i < n; i++) {
		acc += slots[i];
		if ((double)acc >= want && slots[i])
			return slot_upper(i);
	}
	return hist_max(slots, n);
}

__u64 hist_max(const __u64 *slots, int n)
{
	for (int i = n - 1; i >= 0; i--)
		if (slots[i])
			return slot_upper(i);
	return 0;
}

void hist_print(FILE *out, const __u64 *slots, int n, const char *unit)
{
	int first = -1, last = -1;
	__u64 top = 0;

	for (int i = 0; i < n; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > top)
			top = slots[i];
	}
	if (first < 0) {
		fprintf(out, "     (no samples)\n");
		return;
	}
	fprintf(out, "%24s : %-10s distribution\n", unit, "count");
	for (int i = first; i <= last; i++) {
		int bar = (int)(slots[i] * 40 / top);
		char stars[41];

		memset(stars, '*', bar);
		stars[bar] = 0;
		fprintf(out, "%10llu -> %-10llu : %-10llu |%-40s|\n",
			(unsigned long long)(i ? 1ULL << i : 0), (unsigned long long)slot_upper(i),
			(unsigned long long)slots[i], stars);
	}
}

const char *fmt_ns(char *buf, size_t len, __u64 ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000ULL)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}
