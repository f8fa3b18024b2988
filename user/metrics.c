// SPDX-License-Identifier: GPL-2.0
/* metrics.c: Prometheus/OpenMetrics exposition (see metrics.h). */
#include "metrics.h"

#include "findings.h"
#include "topview.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

void sb_free(struct strbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void metrics_escape(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_printf(b, "\\\\");
		else if (*s == '"')
			sb_printf(b, "\\\"");
		else if (*s == '\n')
			sb_printf(b, "\\n");
		else
			sb_printf(b, "%c", *s);
	}
}

static int busier(const void *a, const void *b)
{
	const struct metrics_dev *x = a, *y = b;
	__u64 mx = dev_map_calls(&x->st), my = dev_map_calls(&y->st);

	if (mx != my)
		return mx > my ? -1 : 1;
	return strcmp(x->device, y->device);
}

static void add_u64s(void *dst, const void *src, size_t size)
{
	__u64 *d = dst;
	const __u64 *s = src;

	for (size_t i = 0; i < size / sizeof(__u64); i++)
		d[i] += s[i];
}

size_t metrics_fold(struct metrics_dev *devs, size_t n, size_t max)
{
	if (max < 1)
		max = 1;
	qsort(devs, n, sizeof(devs[0]), busier);
	if (n <= max)
		return n;
	struct metrics_dev *o = &devs[max - 1], sum = {};

	snprintf(sum.device, sizeof(sum.device), METRICS_OTHER);
	snprintf(sum.driver, sizeof(sum.driver), METRICS_OTHER);
	for (size_t i = max - 1; i < n; i++) {
		add_u64s(&sum.st, &devs[i].st, sizeof(sum.st));
		add_u64s(&sum.io, &devs[i].io, sizeof(sum.io));
		add_u64s(sum.issues, devs[i].issues, sizeof(sum.issues));
	}
	*o = sum;
	return max;
}

enum mtype { M_COUNTER, M_GAUGE, M_HISTOGRAM };

/* HELP and TYPE of a family; name is the sample name (counters end in _total). */
static void family(struct strbuf *b, const char *name, enum mtype t, const char *help, bool om)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	size_t n = strlen(name);

	if (om && t == M_COUNTER && n > 6 && strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	sb_printf(b, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name,
		  types[t]);
}

static void dev_labels(struct strbuf *b, const struct metrics_dev *d)
{
	sb_printf(b, "device=\"");
	metrics_escape(b, d->device[0] ? d->device : "none");
	sb_printf(b, "\",driver=\"");
	metrics_escape(b, d->driver);
	sb_printf(b, "\"");
}

struct dev_metric {
	const char *name;
	enum mtype type;
	const char *help;
	__u64 (*get)(const struct metrics_dev *d);
};

#define GETTER(fn, expr)                                                                           \
	static __u64 fn(const struct metrics_dev *d)                                               \
	{                                                                                          \
		return (expr);                                                                     \
	}
GETTER(g_map, dev_map_calls(&d->st))
GETTER(g_unmap, dev_unmap_calls(&d->st))
GETTER(g_unmap_untracked, d->st.unmap_untracked)
GETTER(g_map_bytes, dev_map_bytes(&d->st))
GETTER(g_sg_ents, d->st.map_sg_ents)
GETTER(g_sync, d->st.sync_cpu + d->st.sync_dev)
GETTER(g_pgt_map, d->st.pgt_map)
GETTER(g_pgt_map_bytes, d->st.pgt_map_bytes)
GETTER(g_pgt_unmap, d->st.pgt_unmap)
GETTER(g_pgt_unmap_bytes, d->st.pgt_unmap_bytes)
GETTER(g_iova_alloc, d->io.allocs)
GETTER(g_iova_fail, d->io.alloc_fail)
GETTER(g_iova_miss, d->io.cache_misses)
GETTER(g_iova_free, d->io.frees)
GETTER(g_live, (__u64)(dev_live(&d->st) > 0 ? dev_live(&d->st) : 0))
#undef GETTER

static const struct dev_metric dev_metrics[] = {
    {"iommutrace_dma_map_total", M_COUNTER, "DMA API map calls (single, scatter-gather, coherent)",
     g_map},
    {"iommutrace_dma_unmap_total", M_COUNTER, "DMA API unmap and free calls", g_unmap},
    {"iommutrace_dma_unmap_untracked_total", M_COUNTER,
     "Unmaps and frees of mappings made before tracing began (not in the live-mapping table)",
     g_unmap_untracked},
    {"iommutrace_dma_map_bytes_total", M_COUNTER, "Bytes mapped by DMA API map calls", g_map_bytes},
    {"iommutrace_dma_map_sg_segments_total", M_COUNTER,
     "DMA segments produced by scatter-gather maps", g_sg_ents},
    {"iommutrace_dma_sync_total", M_COUNTER, "DMA API sync calls (for CPU and for device)", g_sync},
    {"iommutrace_iommu_map_total", M_COUNTER, "IOMMU page-table map operations", g_pgt_map},
    {"iommutrace_iommu_map_bytes_total", M_COUNTER, "Bytes mapped in IOMMU page tables",
     g_pgt_map_bytes},
    {"iommutrace_iommu_unmap_total", M_COUNTER, "IOMMU page-table unmap operations", g_pgt_unmap},
    {"iommutrace_iommu_unmap_bytes_total", M_COUNTER, "Bytes unmapped from IOMMU page tables",
     g_pgt_unmap_bytes},
    {"iommutrace_iova_alloc_total", M_COUNTER, "IOVA allocations (alloc_iova_fast)", g_iova_alloc},
    {"iommutrace_iova_alloc_failures_total", M_COUNTER, "IOVA allocations that failed",
     g_iova_fail},
    {"iommutrace_iova_cache_miss_total", M_COUNTER,
     "IOVA allocations that missed the per-CPU caches", g_iova_miss},
    {"iommutrace_iova_free_total", M_COUNTER, "IOVA frees (free_iova_fast)", g_iova_free},
    {"iommutrace_live_mappings", M_GAUGE, "DMA mappings made while tracing and not yet unmapped",
     g_live},
};

/* A log2 ns histogram (slot i: [2^i, 2^(i+1)) ns) as cumulative buckets in seconds. */
static void histogram(struct strbuf *b, const char *name, const struct metrics_dev *d,
		      const __u64 *slots)
{
	__u64 cum = 0;

	for (int i = 0; i < IT_HIST_SLOTS; i++) {
		cum += slots[i];
		sb_printf(b, "%s_bucket{", name);
		dev_labels(b, d);
		sb_printf(b, ",le=\"%.10g\"} %llu\n", (double)(1ULL << (i + 1)) / 1e9,
			  (unsigned long long)cum);
	}
	sb_printf(b, "%s_bucket{", name);
	dev_labels(b, d);
	sb_printf(b, ",le=\"+Inf\"} %llu\n%s_count{", (unsigned long long)cum, name);
	dev_labels(b, d);
	sb_printf(b, "} %llu\n", (unsigned long long)cum);
}

static bool labelled(const struct metrics_input *in, const char *device)
{
	for (size_t i = 0; i < in->ndev; i++)
		if (strcmp(in->devs[i].device, device) == 0)
			return true;
	return false;
}

/* Faults per {device, reason}; devices without their own label are summed under "other". */
static void faults(struct strbuf *b, const struct metrics_input *in, bool om)
{
	family(b, "iommutrace_faults_total", M_COUNTER, "IOMMU faults per device and reason", om);
	for (size_t i = 0; i < in->nfaults; i++) {
		const struct metrics_fault *f = &in->faults[i];
		bool own = labelled(in, f->device);
		bool first = true;
		__u64 n = 0;

		/* Print each {device label, reason} once, at its first entry, with the sum. */
		for (size_t k = 0; k < in->nfaults; k++) {
			const struct metrics_fault *g = &in->faults[k];

			if (strcmp(g->reason, f->reason) != 0 ||
			    (own ? strcmp(g->device, f->device) != 0 : labelled(in, g->device)))
				continue;
			if (k < i)
				first = false;
			n += g->n;
		}
		if (!first)
			continue;
		sb_printf(b, "iommutrace_faults_total{device=\"");
		metrics_escape(b, own ? f->device : METRICS_OTHER);
		sb_printf(b, "\",reason=\"");
		metrics_escape(b, f->reason);
		sb_printf(b, "\"} %llu\n", (unsigned long long)n);
	}
}

static void global(struct strbuf *b, const char *name, enum mtype t, const char *help, __u64 v,
		   bool om)
{
	family(b, name, t, help, om);
	sb_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

int metrics_format(struct strbuf *b, const struct metrics_input *in, bool om)
{
	const struct snapshot *s = in->snap;

	for (size_t m = 0; m < sizeof(dev_metrics) / sizeof(dev_metrics[0]); m++) {
		const struct dev_metric *dm = &dev_metrics[m];

		family(b, dm->name, dm->type, dm->help, om);
		for (size_t i = 0; i < in->ndev; i++) {
			sb_printf(b, "%s{", dm->name);
			dev_labels(b, &in->devs[i]);
			sb_printf(b, "} %llu\n", (unsigned long long)dm->get(&in->devs[i]));
		}
	}
	family(b, "iommutrace_dma_map_seconds", M_HISTOGRAM,
	       "DMA API map call latency (log2 buckets)", om);
	for (size_t i = 0; i < in->ndev; i++)
		histogram(b, "iommutrace_dma_map_seconds", &in->devs[i],
			  in->devs[i].st.hist[IT_H_MAP]);
	family(b, "iommutrace_iova_alloc_seconds", M_HISTOGRAM,
	       "IOVA allocation latency (log2 buckets)", om);
	for (size_t i = 0; i < in->ndev; i++)
		histogram(b, "iommutrace_iova_alloc_seconds", &in->devs[i],
			  in->devs[i].io.hist[IT_H_ALLOC]);
	faults(b, in, om);
	family(b, "iommutrace_dma_issues_total", M_COUNTER,
	       "DMA API misuse found (iommutrace check kinds)", om);
	for (size_t i = 0; i < in->ndev; i++)
		for (int k = 1; k < IT_ISSUE_NR; k++) {
			if (!in->devs[i].issues[k])
				continue;
			sb_printf(b, "iommutrace_dma_issues_total{");
			dev_labels(b, &in->devs[i]);
			sb_printf(b, ",kind=\"%s\"} %llu\n", issue_kind_name(k),
				  (unsigned long long)in->devs[i].issues[k]);
		}
	global(b, "iommutrace_ringbuf_dropped_total", M_COUNTER,
	       "Events lost because the ring buffer was full", s->counters[IT_C_RB_DROPPED], om);
	global(b, "iommutrace_ringbuf_events_total", M_COUNTER, "Ring buffer events received",
	       s->rb_events, om);
	global(b, "iommutrace_live_table_overflow_total", M_COUNTER,
	       "Mappings not tracked because the live-mapping table was full",
	       s->counters[IT_C_LIVE_OVERFLOW], om);
	global(b, "iommutrace_context_mismatch_total", M_COUNTER,
	       "Function exits without their entry", s->counters[IT_C_CTX_MISMATCH], om);
	global(b, "iommutrace_in_flight_at_attach_total", M_COUNTER,
	       "DMA and IOVA calls already in progress when tracing began (entry not seen)",
	       s->counters[IT_C_ATTACH_INFLIGHT], om);
	global(b, "iommutrace_bpf_recursion_misses_total", M_COUNTER,
	       "Program runs the kernel skipped (BPF recursion guard)", s->recursion_misses, om);
	global(b, "iommutrace_fault_interrupts_total", M_COUNTER, "IOMMU fault interrupts",
	       s->counters[IT_C_FAULT_IRQ], om);
	global(b, "iommutrace_iova_flush_queue_flushes_total", M_COUNTER,
	       "IOTLB flushes of the IOVA flush queue", s->counters[IT_C_FQ_FLUSH], om);
	if (in->bpf_stats) {
		family(b, "iommutrace_bpf_run_seconds_total", M_COUNTER,
		       "CPU time spent in iommutrace's BPF programs", om);
		sb_printf(b, "iommutrace_bpf_run_seconds_total %.9f\n", s->bpf_run_ns / 1e9);
	}
	if (in->plan) {
		family(b, "iommutrace_source_up", M_GAUGE,
		       "1 if a capability has an attached kernel source", om);
		for (int c = 0; c < CAP_NR; c++)
			sb_printf(b,
				  "iommutrace_source_up{capability=\"%s\",mechanism=\"%s\"} %d\n",
				  cap_name(c), mech_name(in->plan->caps[c].event_mech),
				  cap_available(in->plan, c));
	}
	if (om)
		sb_printf(b, "# EOF\n");
	return b->oom ? -1 : 0;
}
