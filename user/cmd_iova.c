// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_iova.c: `iommutrace iova` — where IOVA allocation time goes. Per device (the DMA call in
 * progress; "(none)" outside any) and in total: allocation and free rates and latency, per-CPU
 * cache misses, flush retries, 32-bit first attempts, size classes, outstanding IOVAs, the top
 * stacks by allocation time and by misses, the group's domain type, flush-queue activity and the
 * advice the numbers decide. -i prints every interval, otherwise one report at the end;
 * --json prints "iova_summary" objects, --folded the stacks for flamegraph.pl / speedscope.
 */
#include "cli.h"
#include "devices.h"
#include "hist.h"
#include "iova_report.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IOVA_MAX_TOP	100
#define IOVA_MAX_ADVICE 8

struct iova_args {
	bool json;
	long interval_ms; /* 0: one report at the end */
	long duration_ms; /* 0: until interrupted */
	const char *device;
	int top;
	int folded; /* 0, or 1 + enum iova_rank */
};

/* One reading: the aggregates and the per-stack table. */
struct iova_reading {
	struct snapshot s;
	struct iova_stack_snap *stacks;
	size_t nstacks;
};

/* What one report covers. */
struct iova_view {
	struct collector *c;
	const struct iova_args *a;
	const struct snapshot *cur, *prev;
	struct iova_stack_snap *stacks; /* deltas */
	size_t nstacks;
	double secs;
	long iter;
};

/* Names and sysfs facts of one row's device. */
struct row_names {
	char name[IT_NAME_LEN], driver[IT_NAME_LEN];
	struct dev_sysfs sf;
};

enum { OPT_FOLDED = 'f', OPT_TOP = 0x1100 };

static const struct argp_option iova_options[] = {
    {"interval", 'i', "DURATION", 0, "Print a report every DURATION (default: one at the end)", 0},
    {"duration", 'd', "DURATION", 0, "Stop after DURATION (default: until Ctrl-C)", 0},
    {"device", 'D', "BDF", 0, "Only this device (e.g. 0000:00:04.0)", 0},
    {"json", 'j', NULL, 0, "One \"iova_summary\" JSON object per device and the total", 0},
    {"top", OPT_TOP, "N", 0, "Stacks shown per ranking (default 5)", 0},
    {"folded", OPT_FOLDED, "WEIGHT", OPTION_ARG_OPTIONAL,
     "At the end, print folded stacks for flamegraph.pl/speedscope, weighted by time (ns, the "
     "default), allocs or misses",
     0},
    {0},
};

static error_t iova_parse(int key, char *arg, struct argp_state *state)
{
	struct iova_args *a = state->input;
	char *end;
	long v;

	switch (key) {
	case 'i':
		a->interval_ms = argp_duration(state, "--interval", arg, true);
		break;
	case 'd':
		a->duration_ms = argp_duration(state, "--duration", arg, true);
		break;
	case 'D':
		a->device = arg;
		break;
	case 'j':
		a->json = true;
		break;
	case OPT_TOP:
		v = strtol(arg, &end, 10);
		if (*end || end == arg || v < 1 || v > IOVA_MAX_TOP)
			argp_error(state, "--top takes a number from 1 to %d", IOVA_MAX_TOP);
		a->top = (int)v;
		break;
	case OPT_FOLDED:
		if (!arg || strcmp(arg, "time") == 0)
			a->folded = 1 + IOVA_BY_TIME;
		else if (strcmp(arg, "allocs") == 0)
			a->folded = 1 + IOVA_BY_ALLOCS;
		else if (strcmp(arg, "misses") == 0)
			a->folded = 1 + IOVA_BY_MISSES;
		else
			argp_error(state, "--folded takes time, allocs or misses");
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (a->folded && (a->json || a->interval_ms))
			argp_error(state, "--folded prints one stack list at the end: it takes "
					  "neither --json nor --interval");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int read_now(struct collector *c, struct iova_reading *r)
{
	memset(r, 0, sizeof(*r));
	if (collector_snapshot(c, &r->s))
		return -1;
	if (collector_iova_stacks(c, &r->stacks, &r->nstacks)) {
		snapshot_free(&r->s);
		return -1;
	}
	return 0;
}

static void reading_free(struct iova_reading *r)
{
	snapshot_free(&r->s);
	free(r->stacks);
	memset(r, 0, sizeof(*r));
}

static void row_names(struct collector *c, __u64 dev, struct row_names *n)
{
	struct it_dev_info info;

	memset(n, 0, sizeof(*n));
	n->sf.group = -1;
	if (!dev)
		return;
	collector_dev_info(c, dev, &info);
	snprintf(n->name, sizeof(n->name), "%s", info.name);
	dev_sysfs_lookup("/sys", info.name, &n->sf);
	snprintf(n->driver, sizeof(n->driver), "%s", n->sf.driver[0] ? n->sf.driver : info.driver);
}

/* Root frame of a device's folded stacks: "nvme:0000:00:04.0", "no_device". */
static const char *folded_root(char *buf, size_t len, __u64 dev, const struct row_names *n)
{
	if (!dev)
		snprintf(buf, len, "no_device");
	else if (n->driver[0])
		snprintf(buf, len, "%s:%s", n->driver, n->name[0] ? n->name : "?");
	else
		snprintf(buf, len, "%s", n->name[0] ? n->name : "unknown_device");
	return buf;
}

static const char *stack_text(struct collector *c, __s32 id, char *buf, size_t len)
{
	if (id < 0)
		snprintf(buf, len, "[stack not captured]");
	else if (!collector_stack(c, id, buf, len)[0])
		snprintf(buf, len, "[stack %d lost]", id);
	return buf;
}

static bool wanted(const struct iova_args *a, const struct row_names *n)
{
	return !a->device || strcmp(a->device, n->name) == 0;
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

	n = iova_top_stacks(v->stacks, v->nstacks, dev, all, by, v->a->top, idx);
	for (size_t i = 0; i < n; i++) {
		const struct iova_stack_snap *s = &v->stacks[idx[i]];
		json_object *o = json_object_new_object();

		stack_text(v->c, s->key.stack_id, buf, sizeof(buf));
		json_object_object_add(o, "stack", json_object_new_string(buf));
		json_object_object_add(
		    o, "culprit",
		    json_object_new_string(iova_stack_culprit(culprit, sizeof(culprit), buf)));
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
	char st[4096];

	buf[0] = 0;
	if (iova_top_stacks(v->stacks, v->nstacks, dev, all, IOVA_BY_ALLOCS, 1, idx) == 1)
		iova_stack_culprit(
		    buf, len, stack_text(v->c, v->stacks[idx[0]].key.stack_id, st, sizeof(st)));
}

static int row_advice(const struct iova_view *v, const struct iova_row *r, bool all,
		      const struct row_names *n, char lines[][256])
{
	char culprit[128];

	top_culprit(v, r->dev, all, culprit, sizeof(culprit));
	return iova_advice(r, n->sf.group_type, culprit, v->c->ncpu, lines, IOVA_MAX_ADVICE);
}

static void print_row_json(const struct iova_view *v, const struct iova_row *r, bool total,
			   const struct row_names *n)
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

	n = iova_top_stacks(v->stacks, v->nstacks, dev, all, by, v->a->top, idx);
	if (!n)
		return;
	printf("  top stacks by %s:\n", by == IOVA_BY_TIME ? "allocation time" : "cache misses");
	for (size_t i = 0; i < n; i++) {
		const struct iova_stack_snap *s = &v->stacks[idx[i]];

		printf("    %8s %8llu allocs %7llu misses  %s\n", fmt_ns(t, sizeof(t), s->val.ns),
		       (unsigned long long)s->val.allocs, (unsigned long long)s->val.misses,
		       stack_text(v->c, s->key.stack_id, buf, sizeof(buf)));
	}
}

static void print_row_text(const struct iova_view *v, const struct iova_row *r, bool total,
			   const struct row_names *n)
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
	if (!v->a->interval_ms && st->allocs) { /* the final report: whole histograms */
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

static void report(const struct iova_view *v)
{
	struct iova_row *rows = NULL, total;
	size_t n = iova_rows(v->cur, v->prev, &rows), kept = 0;
	struct row_names *names = calloc(n ? n : 1, sizeof(*names)), none = {.sf.group = -1};
	const __u64 *cc = v->cur->counters, *pc = v->prev->counters;
	double secs = v->secs > 0 ? v->secs : 1;

	if (!names) {
		free(rows);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		row_names(v->c, rows[i].dev, &names[kept]);
		if (!wanted(v->a, &names[kept]))
			continue;
		rows[kept++] = rows[i];
	}
	iova_total(rows, kept, &total);
	if (!v->a->json) {
		printf("\nIOVA allocator over %.1fs: flush queue %.0f flushes/s, %.0f timeouts/s\n",
		       v->secs, (cc[IT_C_FQ_FLUSH] - pc[IT_C_FQ_FLUSH]) / secs,
		       (cc[IT_C_FQ_TIMEOUT] - pc[IT_C_FQ_TIMEOUT]) / secs);
		printf("%-26s %-8s %9s %9s %6s %6s %6s %6s %8s  %s  %s\n", "DEVICE", "DOMAIN",
		       "ALLOC/s", "FREE/s", "MISS%", "FLUSH", "32BIT", "32FAIL", "OUTSTAND",
		       "ALLOC p50/p90/p99/max", "FREE p50/p99");
	}
	for (size_t i = 0; i < kept; i++) {
		if (v->a->json)
			print_row_json(v, &rows[i], false, &names[i]);
		else
			print_row_text(v, &rows[i], false, &names[i]);
	}
	if (!v->a->device || kept) {
		if (v->a->json)
			print_row_json(v, &total, true, &none);
		else
			print_row_text(v, &total, true, &none);
	}
	fflush(stdout);
	free(names);
	free(rows);
}

static void print_folded(struct collector *c, const struct iova_args *a,
			 const struct iova_stack_snap *s, size_t n)
{
	enum iova_rank by = a->folded - 1;
	char stack[4096], line[4200], root[80];

	for (size_t i = 0; i < n; i++) {
		struct row_names rn;
		__u64 w = iova_stack_weight(&s[i], by);

		if (!w)
			continue;
		row_names(c, s[i].key.dev, &rn);
		if (!wanted(a, &rn))
			continue;
		printf("%s\n",
		       iova_folded_line(line, sizeof(line),
					folded_root(root, sizeof(root), s[i].key.dev, &rn),
					stack_text(c, s[i].key.stack_id, stack, sizeof(stack)), w));
	}
	fflush(stdout);
}

/* One entry per device and symbolized stack. */
static void merge_same_stacks(struct collector *c, struct iova_view *v)
{
	char **texts = calloc(v->nstacks ? v->nstacks : 1, sizeof(*texts));
	char buf[4096];

	if (!texts)
		return;
	for (size_t i = 0; i < v->nstacks; i++)
		texts[i] = strdup(stack_text(c, v->stacks[i].key.stack_id, buf, sizeof(buf)));
	v->nstacks = iova_stacks_merge(v->stacks, texts, v->nstacks);
	for (size_t i = 0; i < v->nstacks; i++)
		free(texts[i]);
	free(texts);
}

/* Report cur against prev (deltas). */
static void interval(struct collector *c, const struct iova_args *a, struct iova_reading *prev,
		     struct iova_reading *cur, long iter)
{
	struct iova_view v = {.c = c, .a = a, .cur = &cur->s, .prev = &prev->s, .iter = iter};

	v.secs = (cur->s.ts_ns - prev->s.ts_ns) / 1e9;
	v.nstacks =
	    iova_stacks_delta(cur->stacks, cur->nstacks, prev->stacks, prev->nstacks, &v.stacks);
	merge_same_stacks(c, &v);
	if (a->folded)
		print_folded(c, a, v.stacks, v.nstacks);
	else
		report(&v);
	free(v.stacks);
}

int cmd_iova(int argc, char **argv)
{
	static const struct argp_child children[] = {{&collector_argp, 0, "Collector options:", 0},
						     {0}};
	const struct argp argp = {
	    iova_options,
	    iova_parse,
	    NULL,
	    "IOVA allocator rates, latency, per-CPU cache misses, size classes "
	    "and the stacks behind them, per device and in total.",
	    children,
	    NULL,
	    NULL};
	struct iova_args a = {.top = 5};
	struct iova_reading first, prev, cur;
	struct collector c;
	__u64 start, next;
	long iter = 0;
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	if (cli_collector_opts()->no_stacks && a.folded) {
		fprintf(stderr, "iommutrace iova: --folded needs stacks; drop --no-stacks\n");
		return EXIT_USAGE;
	}
	cli_collector_opts()->track_modules = true;
	r = cli_open_collector(&c, NULL, NULL);
	if (r)
		return r;
	if (c.plan.caps[CAP_IOVA].hooks_used == 0) {
		fprintf(stderr, "iommutrace iova: the IOVA allocator cannot be traced here: %s\n",
			c.plan.caps[CAP_IOVA].detail);
		collector_close(&c);
		return EXIT_ERROR;
	}
	if (read_now(&c, &first) || read_now(&c, &prev)) {
		fprintf(stderr, "iommutrace iova: cannot read the BPF maps\n");
		collector_close(&c);
		return EXIT_ERROR;
	}
	cli_install_signals(); /* before saying so: a script may signal as soon as it reads it */
	fprintf(stderr, "iommutrace iova: tracing; %s\n",
		a.duration_ms ? "stops at the end of --duration" : "Ctrl-C to stop");
	start = cli_now_ns();
	next = start + (__u64)a.interval_ms * 1000000;
	for (;;) {
		__u64 now = cli_now_ns();
		bool done =
		    g_stop || (a.duration_ms && now >= start + (__u64)a.duration_ms * 1000000);

		if (!done && (!a.interval_ms || now < next)) {
			collector_poll(&c, 100);
			continue;
		}
		if (read_now(&c, &cur))
			break;
		if (a.interval_ms) {
			interval(&c, &a, &prev, &cur, ++iter);
			reading_free(&prev);
			prev = cur;
			next += (__u64)a.interval_ms * 1000000;
		}
		if (done) {
			if (!a.interval_ms) /* one report over the whole run */
				interval(&c, &a, &first, &cur, 1);
			if (a.interval_ms)
				memset(&cur, 0, sizeof(cur)); /* now prev */
			reading_free(&cur);
			break;
		}
	}
	reading_free(&prev);
	reading_free(&first);
	collector_close(&c);
	return EXIT_OK;
}
