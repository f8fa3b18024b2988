// SPDX-License-Identifier: GPL-2.0
/* iovaview.c: the output of the iova view (see iovaview.h). */
#include "iovaview.h"
#include "hist.h"
#include "stack_out.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *iovaview_stack_text(const struct iova_view *v, __s32 id, char *buf, size_t len)
{
	if (id < 0)
		snprintf(buf, len, "[stack not captured]");
	else if (!v->sym.sym(v->sym.ctx, id, buf, len)[0])
		snprintf(buf, len, "[stack %d lost]", id);
	return buf;
}

bool iovaview_wanted(const struct iova_view *v, const struct iova_names *n)
{
	return !v->device || strcmp(v->device, n->name) == 0;
}

static json_object *hist_json(const __u64 *h)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

#define Q(name, q)                                                                                 \
	json_object_object_add(o, name,                                                            \
			       json_object_new_int64((int64_t)hist_quantile(h, IT_HIST_SLOTS, q)))
	Q("p50", 0.50);
	Q("p90", 0.90);
	Q("p99", 0.99);
#undef Q
	json_object_object_add(o, "max",
			       json_object_new_int64((int64_t)hist_max(h, IT_HIST_SLOTS)));
	for (int i = 0; i < IT_HIST_SLOTS; i++)
		json_object_array_add(arr, json_object_new_int64((int64_t)h[i]));
	json_object_object_add(o, "hist", arr);
	return o;
}

static json_object *stacks_json(const struct iova_view *v, __u64 dev, bool all, enum iova_rank by)
{
	json_object *arr = json_object_new_array();
	size_t idx[IOVA_MAX_TOP], n;
	char buf[4096], culprit[128];

	n = iova_top_stacks(v->stacks, v->nstacks, dev, all, by, v->top, idx);
	for (size_t i = 0; i < n; i++) {
		const struct iova_stack_snap *s = &v->stacks[idx[i]];
		json_object *o = json_object_new_object();

		iovaview_stack_text(v, s->key.stack_id, buf, sizeof(buf));
		json_object_object_add(o, "stack", json_object_new_string(buf));
		/* null when the stack is lost or all DMA/IOMMU code (truncated) */
		json_object_object_add(
		    o, "culprit",
		    stack_src_caller(&v->sym, s->key.stack_id, culprit, sizeof(culprit))
			? json_object_new_string(culprit)
			: NULL);
		json_object_object_add(o, "allocs", json_object_new_int64(s->val.allocs));
		json_object_object_add(o, "misses", json_object_new_int64(s->val.misses));
		json_object_object_add(o, "total_ns", json_object_new_int64(s->val.ns));
		json_object_object_add(
		    o, "avg_ns",
		    json_object_new_int64(s->val.timed ? s->val.ns / s->val.timed : 0));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The culprit frame of a row's heaviest stack by time, for the advice. */
static void top_culprit(const struct iova_view *v, __u64 dev, bool all, char *buf, size_t len)
{
	size_t idx[1];

	buf[0] = 0;
	if (iova_top_stacks(v->stacks, v->nstacks, dev, all, IOVA_BY_ALLOCS, 1, idx) == 1)
		stack_src_caller(&v->sym, v->stacks[idx[0]].key.stack_id, buf, len);
}

static int row_advice(const struct iova_view *v, const struct iova_row *r, bool all,
		      const struct iova_names *n, char lines[][256])
{
	char culprit[128];

	top_culprit(v, r->dev, all, culprit, sizeof(culprit));
	return iova_advice(r, n->sf.group_type, culprit, v->ncpu, lines, IOVA_MAX_ADVICE);
}

static void print_row_json(const struct iova_view *v, const struct iova_row *r, bool total,
			   const struct iova_names *n)
{
	const struct it_dom_stats *st = &r->st;
	json_object *o = json_object_new_object(), *sc = json_object_new_object(), *adv;
	char lines[IOVA_MAX_ADVICE][256], label[16];
	int na = row_advice(v, r, total, n, lines);

#define ADD(name, val) json_object_object_add(o, name, json_object_new_int64((int64_t)(val)))
	json_object_object_add(o, "type", json_object_new_string("iova_summary"));
	ADD("iteration", v->iter);
	json_object_object_add(o, "interval_s", json_object_new_double(v->secs));
	json_object_object_add(o, "device",
			       total ? NULL : json_object_new_string(r->dev ? n->name : "(none)"));
	json_object_object_add(o, "driver",
			       n->driver[0] ? json_object_new_string(n->driver) : NULL);
	json_object_object_add(o, "iommu_group",
			       n->sf.group >= 0 ? json_object_new_int(n->sf.group) : NULL);
	json_object_object_add(o, "domain_type",
			       n->sf.group_type[0] ? json_object_new_string(n->sf.group_type)
						   : NULL);
	ADD("allocs", st->allocs);
	ADD("frees", st->frees);
	json_object_object_add(o, "allocs_per_s",
			       json_object_new_double(v->secs > 0 ? st->allocs / v->secs : 0));
	json_object_object_add(o, "frees_per_s",
			       json_object_new_double(v->secs > 0 ? st->frees / v->secs : 0));
	ADD("alloc_fail", st->alloc_fail);
	ADD("alloc_pages", st->alloc_pages);
	ADD("cache_misses", st->cache_misses);
	json_object_object_add(o, "miss_ratio", json_object_new_double(iova_miss_ratio(st)));
	ADD("flush_retries", st->flush_retries);
	ADD("limit32_first", st->limit32);
	ADD("limit32_fallback", st->limit32_fail);
	ADD("outstanding", r->outstanding);
	json_object_object_add(o, "alloc_ns", hist_json(st->hist[IT_H_ALLOC]));
	json_object_object_add(o, "free_ns", hist_json(st->hist[IT_H_FREE]));
	for (int c = 0; c < IT_SIZE_CLASSES; c++)
		json_object_object_add(sc, iova_class_label(label, sizeof(label), c),
				       json_object_new_int64((int64_t)st->size_class[c]));
	json_object_object_add(o, "size_classes", sc);
	ADD("uncacheable", iova_uncacheable(st));
	json_object_object_add(o, "top_stacks", stacks_json(v, r->dev, total, IOVA_BY_TIME));
	json_object_object_add(o, "top_miss_stacks", stacks_json(v, r->dev, total, IOVA_BY_MISSES));
	if (total) {
		const __u64 *cc = v->cur->counters, *pc = v->prev->counters;

		ADD("fq_flushes", cc[IT_C_FQ_FLUSH] - pc[IT_C_FQ_FLUSH]);
		ADD("fq_timeouts", cc[IT_C_FQ_TIMEOUT] - pc[IT_C_FQ_TIMEOUT]);
		ADD("stack_overflow", cc[IT_C_IOVA_STACK_OVERFLOW]);
		ADD("domain_overflow", cc[IT_C_DOM_OVERFLOW]);
		ADD("context_mismatch", cc[IT_C_CTX_MISMATCH]);
		ADD("in_flight_at_attach", cc[IT_C_ATTACH_INFLIGHT]);
		ADD("recursion_misses", v->cur->recursion_misses);
	}
#undef ADD
	adv = json_object_new_array();
	for (int i = 0; i < na; i++)
		json_object_array_add(adv, json_object_new_string(lines[i]));
	json_object_object_add(o, "advice", adv);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void print_stacks_text(const struct iova_view *v, __u64 dev, bool all, enum iova_rank by)
{
	size_t idx[IOVA_MAX_TOP], n;
	char buf[4096], t[16];

	n = iova_top_stacks(v->stacks, v->nstacks, dev, all, by, v->top, idx);
	if (!n)
		return;
	printf("  top stacks by %s:\n", by == IOVA_BY_TIME ? "allocation time" : "cache misses");
	for (size_t i = 0; i < n; i++) {
		const struct iova_stack_snap *s = &v->stacks[idx[i]];

		printf("    %8s %8llu allocs %7llu misses  %s\n", fmt_ns(t, sizeof(t), s->val.ns),
		       (unsigned long long)s->val.allocs, (unsigned long long)s->val.misses,
		       iovaview_stack_text(v, s->key.stack_id, buf, sizeof(buf)));
	}
}

static void print_row_text(const struct iova_view *v, const struct iova_row *r, bool total,
			   const struct iova_names *n)
{
	const struct it_dom_stats *st = &r->st;
	const __u64 *ha = st->hist[IT_H_ALLOC], *hf = st->hist[IT_H_FREE];
	char label[80], p[4][16], f[2][16], lines[IOVA_MAX_ADVICE][256], cls[16];
	int na = row_advice(v, r, total, n, lines);
	double secs = v->secs > 0 ? v->secs : 1;

	if (total)
		snprintf(label, sizeof(label), "total");
	else
		dev_label(label, sizeof(label), n->name, n->driver);
	printf("%-26.26s %-8s %9.0f %9.0f %6.1f %6llu %6llu %6llu %8lld  %s/%s/%s/%s  %s/%s\n",
	       label, n->sf.group_type[0] ? n->sf.group_type : "-", st->allocs / secs,
	       st->frees / secs, 100 * iova_miss_ratio(st), (unsigned long long)st->flush_retries,
	       (unsigned long long)st->limit32, (unsigned long long)st->limit32_fail,
	       (long long)r->outstanding, fmt_ns(p[0], 16, hist_quantile(ha, IT_HIST_SLOTS, 0.5)),
	       fmt_ns(p[1], 16, hist_quantile(ha, IT_HIST_SLOTS, 0.9)),
	       fmt_ns(p[2], 16, hist_quantile(ha, IT_HIST_SLOTS, 0.99)),
	       fmt_ns(p[3], 16, hist_max(ha, IT_HIST_SLOTS)),
	       fmt_ns(f[0], 16, hist_quantile(hf, IT_HIST_SLOTS, 0.5)),
	       fmt_ns(f[1], 16, hist_quantile(hf, IT_HIST_SLOTS, 0.99)));
	printf("  sizes (pages):");
	for (int c = 0; c < IT_SIZE_CLASSES; c++)
		if (st->size_class[c])
			printf(" %s%s:%llu", iova_class_label(cls, sizeof(cls), c),
			       iova_class_cached(c) ? "" : "(uncacheable)",
			       (unsigned long long)st->size_class[c]);
	printf("%s\n", st->allocs ? "" : " -");
	if (v->final && st->allocs) { /* the final report: whole histograms */
		printf("  alloc latency:\n");
		hist_print(stdout, ha, IT_HIST_SLOTS, "ns");
		printf("  free latency:\n");
		hist_print(stdout, hf, IT_HIST_SLOTS, "ns");
	}
	print_stacks_text(v, r->dev, total, IOVA_BY_TIME);
	print_stacks_text(v, r->dev, total, IOVA_BY_MISSES);
	for (int i = 0; i < na; i++)
		printf("  advice: %s\n", lines[i]);
}

void iovaview_report(const struct iova_view *v)
{
	struct iova_row *rows = NULL, total;
	size_t n = iova_rows(v->cur, v->prev, &rows), kept = 0;
	struct iova_names *names = calloc(n ? n : 1, sizeof(*names)), none = {.sf.group = -1};
	const __u64 *cc = v->cur->counters, *pc = v->prev->counters;
	double secs = v->secs > 0 ? v->secs : 1;

	if (!names) {
		free(rows);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		v->names(v->names_ctx, rows[i].dev, &names[kept]);
		if (!iovaview_wanted(v, &names[kept]))
			continue;
		rows[kept++] = rows[i];
	}
	iova_total(rows, kept, &total);
	if (!v->json) {
		printf("\nIOVA allocator over %.1fs: flush queue %.0f flushes/s, %.0f timeouts/s\n",
		       v->secs, (cc[IT_C_FQ_FLUSH] - pc[IT_C_FQ_FLUSH]) / secs,
		       (cc[IT_C_FQ_TIMEOUT] - pc[IT_C_FQ_TIMEOUT]) / secs);
		printf("%-26s %-8s %9s %9s %6s %6s %6s %6s %8s  %s  %s\n", "DEVICE", "DOMAIN",
		       "ALLOC/s", "FREE/s", "MISS%", "FLUSH", "32BIT", "32FAIL", "OUTSTAND",
		       "ALLOC p50/p90/p99/max", "FREE p50/p99");
	}
	for (size_t i = 0; i < kept; i++) {
		if (v->json)
			print_row_json(v, &rows[i], false, &names[i]);
		else
			print_row_text(v, &rows[i], false, &names[i]);
	}
	if (!v->device || kept) {
		if (v->json)
			print_row_json(v, &total, true, &none);
		else
			print_row_text(v, &total, true, &none);
	}
	fflush(stdout);
	free(names);
	free(rows);
}

/* One entry per device and symbolized stack. */
static void merge_same_stacks(struct iova_view *v)
{
	char **texts = calloc(v->nstacks ? v->nstacks : 1, sizeof(*texts));
	char buf[4096];

	if (!texts)
		return;
	for (size_t i = 0; i < v->nstacks; i++)
		texts[i] =
		    strdup(iovaview_stack_text(v, v->stacks[i].key.stack_id, buf, sizeof(buf)));
	v->nstacks = iova_stacks_merge(v->stacks, texts, v->nstacks);
	for (size_t i = 0; i < v->nstacks; i++)
		free(texts[i]);
	free(texts);
}

void iovaview_deltas(struct iova_view *v, const struct iova_stack_snap *cur, size_t ncur,
		     const struct iova_stack_snap *prev, size_t nprev)
{
	v->nstacks = iova_stacks_delta(cur, ncur, prev, nprev, &v->stacks);
	merge_same_stacks(v);
}
