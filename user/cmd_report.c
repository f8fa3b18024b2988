// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_report.c: `iommutrace report FILE` — the views of a recording, offline, on any machine: what
 * was recorded (kernel, sources, span), the per-device table of `top` over the whole recording,
 * the findings of `check` with both stacks, the faults of `faults` (decoded and correlated
 * while recording) and the IOVA allocator view of `iova` over the whole recording, as text or
 * (--json) JSON lines. Every view is fed
 * the file's records in order and formats with the same functions as its live command.
 */
#include "checkview.h"
#include "cli.h"
#include "faultview.h"
#include "iovaview.h"
#include "recording.h"
#include "top_tui.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct report_args {
	const char *file;
	bool json;
};

struct report {
	struct rec_reader rd;
	bool json;
	struct rec_device *devs; /* by id - 1 */
	size_t ndevs;
	char **stacks; /* by id */
	size_t nstacks;
	struct snapshot first, last;			/* the earliest and latest aggregates */
	struct iova_stack_snap *iova_first, *iova_last; /* IOVA stacks with first / last */
	size_t niova_first, niova_last;
	__u64 events, snapshots, last_ns;
	struct findings findings;
	struct rec_fault *faults; /* in file order */
	size_t nfaults, capfaults;
};

/*
 * The offline views. Each sees every event and snapshot of the recording in file order — with
 * device and stack ids resolvable through report_device() and report_stack() at that point — and
 * prints at the end. The faults and iova views, written on their own branches, plug in here: an
 * entry whose event()/snapshot() feed their own aggregation and whose print() calls the same
 * formatting functions as their live command (as the check view calls checkview.c), with
 * report_stack() in place of the collector's symbolizer.
 */
struct report_view {
	const char *name;
	void (*event)(struct report *r, const struct it_event *e);
	void (*snapshot)(struct report *r, const struct snapshot *s);
	void (*print)(struct report *r);
	void (*fault)(struct report *r, const struct rec_fault *f); /* REC_FAULT */
	/* REC_IOVA_STACKS (after its snapshot): the view takes the array (NULL it) or leaves it */
	void (*iova_stacks)(struct report *r, struct iova_stack_snap **s, size_t n);
};

static const struct rec_device *report_device(const struct report *r, __u32 id)
{
	static const struct rec_device none = {.group = -1};

	return id >= 1 && id <= r->ndevs && r->devs[id - 1].id ? &r->devs[id - 1] : &none;
}

static const char *report_stack(void *ctx, __s32 id, char *buf, size_t len)
{
	const struct report *r = ctx;

	snprintf(buf, len, "%s",
		 id >= 0 && (size_t)id < r->nstacks && r->stacks[id] ? r->stacks[id] : "");
	return buf;
}

static const struct argp_option report_options[] = {
    {"json", 'j', NULL, 0, "JSON lines: the recording, then devices, findings, faults, iova", 0},
    {0},
};

static error_t report_parse(int key, char *arg, struct argp_state *state)
{
	struct report_args *a = state->input;

	switch (key) {
	case 'j':
		a->json = true;
		break;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "unexpected argument '%s'", arg);
		a->file = arg;
		break;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "which recording? (iommutrace report FILE)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --- check view --- */

static void check_event(struct report *r, const struct it_event *e)
{
	const struct rec_device *d = report_device(r, e->dev);
	bool translated = strcmp(d->group_type, "DMA") == 0 || strcmp(d->group_type, "DMA-FQ") == 0;

	if (check_event_is_finding(e, translated))
		findings_add_event(&r->findings, e, d->name, d->driver);
}

static void check_report(struct report *r)
{
	struct check_view v = {{report_stack, r}, stdout};

	findings_sort(&r->findings);
	if (!r->json)
		printf("\n== check\n");
	check_print(&v, &r->findings, r->json, (r->last_ns - r->rd.hdr.start_mono_ns) / 1e9);
}

/* The recording device id of a device name (faults name their device), 0 if none. */
static __u32 report_device_id(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->ndevs; i++)
		if (r->devs[i].id && strcmp(r->devs[i].name, name) == 0)
			return r->devs[i].id;
	return REC_NO_DEVICE;
}

static void check_fault(struct report *r, const struct rec_fault *f)
{
	struct finding one;

	if (f->kind == FE_FAULT && check_fault_finding(&f->r, &one)) {
		one.dev = report_device_id(r, f->r.device);
		findings_add(&r->findings, &one);
	}
}

/* --- faults view --- */

static void faults_fault(struct report *r, const struct rec_fault *f)
{
	if (r->nfaults == r->capfaults) {
		size_t cap = r->capfaults ? r->capfaults * 2 : 64;
		struct rec_fault *v = realloc(r->faults, cap * sizeof(*v));

		if (!v)
			return;
		r->faults = v;
		r->capfaults = cap;
	}
	r->faults[r->nfaults++] = *f;
}

/* Replays the recorded faults through the live command's view: storms as `faults` detects them
 * with its default threshold and window, the summary over the last snapshot's counters. */
static void faults_report(struct report *r)
{
	const struct rec_header *h = &r->rd.hdr;
	struct stack_src stacks = {report_stack, r};
	struct fault_view v;

	faultview_init(&v, stacks, r->json, FAULTVIEW_STORM_THRESHOLD,
		       FAULTVIEW_WINDOW_MS * 1000000ULL, h->start_realtime_ns - h->start_mono_ns);
	if (!r->json)
		printf("\n== faults\n");
	for (size_t i = 0; i < r->nfaults; i++) {
		const struct rec_fault *f = &r->faults[i];

		v.regs_ok = f->regs_ok;
		v.irqs_unread += f->kind == FE_UNREAD;
		if (f->kind != FE_FAULT && f->kind != FE_PRINTED)
			continue;
		faultview_tick(&v, f->r.ts_ns);
		faultview_add(&v, f->kind, &f->r);
	}
	faultview_finish(&v);
	faultview_summary(&v, &r->last, true);
	faultview_free(&v);
}

/* *dst = a copy of s (empty on ENOMEM). */
static void snapshot_keep(struct snapshot *dst, const struct snapshot *s)
{
	snapshot_free(dst);
	*dst = *s;
	dst->devs = malloc((s->ndev ? s->ndev : 1) * sizeof(*s->devs));
	dst->doms = malloc((s->ndom ? s->ndom : 1) * sizeof(*s->doms));
	if (!dst->devs || !dst->doms) {
		snapshot_free(dst);
		memset(dst, 0, sizeof(*dst));
		return;
	}
	memcpy(dst->devs, s->devs, s->ndev * sizeof(*s->devs));
	memcpy(dst->doms, s->doms, s->ndom * sizeof(*s->doms));
}

/* --- iova view --- */

static void iova_snapshot(struct report *r, const struct snapshot *s)
{
	if (r->snapshots == 1)
		snapshot_keep(&r->first, s);
}

static void iova_stacks(struct report *r, struct iova_stack_snap **s, size_t n)
{
	if (r->snapshots == 1 && !r->iova_first) {
		r->iova_first = *s;
		r->niova_first = n;
	} else {
		free(r->iova_last);
		r->iova_last = *s;
		r->niova_last = n;
	}
	*s = NULL;
}

static void iova_names(void *ctx, __u64 dev, struct iova_names *n)
{
	const struct rec_device *d = report_device(ctx, dev);

	memset(n, 0, sizeof(*n));
	n->sf.group = -1;
	if (!dev)
		return;
	snprintf(n->name, sizeof(n->name), "%s", d->name);
	snprintf(n->driver, sizeof(n->driver), "%s", d->driver);
	snprintf(n->sf.group_type, sizeof(n->sf.group_type), "%s", d->group_type);
	n->sf.group = d->group;
}

/* `iova` over the whole recording: the last snapshot against the first, as `iova` without -i
 * reports its run. */
static void iova_report(struct report *r)
{
	struct iova_view v = {.sym = {report_stack, r},
			      .names = iova_names,
			      .names_ctx = r,
			      .ncpu = r->rd.hdr.ncpu,
			      .json = r->json,
			      .final = true,
			      .top = 5,
			      .cur = &r->last,
			      .prev = &r->first,
			      .iter = 1};
	const struct iova_stack_snap *last = r->iova_last ? r->iova_last : r->iova_first;
	size_t nlast = r->iova_last ? r->niova_last : r->niova_first;

	if (!r->json)
		printf("\n== iova");
	if (r->snapshots < 1) {
		if (!r->json)
			printf("\nno snapshot in the recording\n");
		return;
	}
	v.secs = (r->last.ts_ns - r->first.ts_ns) / 1e9;
	iovaview_deltas(&v, last, nlast, r->iova_first, r->niova_first);
	iovaview_report(&v);
	free(v.stacks);
}

/* --- devices (top) view --- */

static void devices_snapshot(struct report *r, const struct snapshot *s)
{
	snapshot_keep(&r->last, s);
}

static bool source_used(const struct rec_source *s)
{
	return strcmp(s->mech, mech_name(MECH_NONE)) != 0;
}

/* The plan as recorded: which capabilities had a source (the mechanism only by availability). */
static void recorded_plan(const struct rec_header *h, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	for (__u32 i = 0; i < h->nsources; i++)
		for (int cap = 0; cap < CAP_NR; cap++)
			if (strcmp(h->sources[i].name, cap_name(cap)) == 0 &&
			    source_used(&h->sources[i]))
				p->caps[cap].event_mech = MECH_RAW_TP;
}

static void devices_report(struct report *r)
{
	const struct snapshot *s = &r->last;
	double secs = (s->ts_ns - r->rd.hdr.start_mono_ns) / 1e9;
	struct top_row *rows = calloc(s->ndev ? s->ndev : 1, sizeof(*rows));
	struct plan p;

	if (!rows)
		return;
	recorded_plan(&r->rd.hdr, &p);
	for (size_t i = 0; i < s->ndev; i++) {
		const struct rec_device *d = report_device(r, s->devs[i].key);
		struct dev_snap ds = s->devs[i];
		struct dev_sysfs sf = {.group = d->group};

		snprintf(ds.info.name, sizeof(ds.info.name), "%s", d->name);
		snprintf(sf.driver, sizeof(sf.driver), "%s", d->driver);
		snprintf(sf.group_type, sizeof(sf.group_type), "%s", d->group_type);
		top_row_fill(&rows[i], s, NULL, &ds, &sf, secs, top_missing_columns(&p));
	}
	if (!r->json) {
		printf("\n== devices (rates averaged over %.1fs; live mappings at the end)", secs);
		top_print_table(stdout, rows, s->ndev, s);
	}
	for (size_t i = 0; r->json && i < s->ndev; i++) {
		json_object *o = top_row_json(&rows[i]);

		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	free(rows);
}

static const struct report_view views[] = {
    {"devices", NULL, devices_snapshot, devices_report, NULL, NULL},
    {"check", check_event, NULL, check_report, check_fault, NULL},
    {"faults", NULL, NULL, faults_report, faults_fault, NULL},
    {"iova", NULL, iova_snapshot, iova_report, NULL, iova_stacks},
};
#define NVIEWS (sizeof(views) / sizeof(views[0]))

/* --- the recording itself --- */

static void print_recording(struct report *r, const char *file)
{
	const struct rec_header *h = &r->rd.hdr;
	time_t t = h->start_realtime_ns / 1000000000ULL;
	char when[64];
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	if (r->json) {
		json_object *o = json_object_new_object(), *src = json_object_new_array();

		json_object_object_add(o, "type", json_object_new_string("recording"));
		json_object_object_add(o, "file", json_object_new_string(file));
		json_object_object_add(o, "format_version", json_object_new_int(h->version));
		json_object_object_add(o, "kernel", json_object_new_string(h->kernel));
		json_object_object_add(o, "recorded_by", json_object_new_string(h->tool_version));
		json_object_object_add(o, "start", json_object_new_string(when));
		json_object_object_add(
		    o, "duration_s", json_object_new_double((r->last_ns - h->start_mono_ns) / 1e9));
		json_object_object_add(o, "events", json_object_new_int64(r->events));
		json_object_object_add(o, "snapshots", json_object_new_int64(r->snapshots));
		json_object_object_add(o, "complete", json_object_new_boolean(r->rd.ended));
		json_object_object_add(o, "truncated", json_object_new_boolean(r->rd.truncated));
		for (__u32 i = 0; i < h->nsources; i++) {
			json_object *s = json_object_new_object();

			json_object_object_add(s, "capability",
					       json_object_new_string(h->sources[i].name));
			json_object_object_add(s, "source",
					       json_object_new_string(h->sources[i].mech));
			json_object_object_add(s, "detail",
					       json_object_new_string(h->sources[i].detail));
			json_object_array_add(src, s);
		}
		json_object_object_add(o, "sources", src);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	printf("iommutrace report: %s: kernel %s, recorded by iommutrace %s at %s, %.1fs, %llu "
	       "event(s), %llu snapshot(s)%s\n",
	       file, h->kernel, h->tool_version, when, (r->last_ns - h->start_mono_ns) / 1e9,
	       (unsigned long long)r->events, (unsigned long long)r->snapshots,
	       r->rd.ended	 ? ""
	       : r->rd.truncated ? " (TRUNCATED)"
				 : " (no end record: cut short?)");
	for (__u32 i = 0; i < h->nsources; i++)
		if (!source_used(&h->sources[i]))
			printf("missing: %s (%s)\n", h->sources[i].name, h->sources[i].detail);
}

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	*buf = NULL;
	if (!f)
		return -1;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		errno = EINVAL;
		return -1;
	}
	*buf = malloc(st.st_size ? st.st_size : 1);
	if (!*buf) {
		fclose(f);
		return -1;
	}
	*len = fread(*buf, 1, st.st_size, f);
	fclose(f);
	return 0;
}

/* Keep a device or stack definition; ids beyond what the file could hold are malformed. */
static int define(struct report *r, const struct rec_item *it)
{
	if (it->type == REC_DEVICE) {
		if (it->dev.id > r->ndevs) {
			struct rec_device *v;

			if (it->dev.id > r->rd.nrecords)
				return -1;
			v = realloc(r->devs, it->dev.id * sizeof(*v));
			if (!v)
				return -1;
			memset(v + r->ndevs, 0, (it->dev.id - r->ndevs) * sizeof(*v));
			r->devs = v;
			r->ndevs = it->dev.id;
		}
		r->devs[it->dev.id - 1] = it->dev;
	} else {
		if (it->stack_id >= r->nstacks) {
			char **v;

			if (it->stack_id > r->rd.nrecords)
				return -1;
			v = realloc(r->stacks, (it->stack_id + 1) * sizeof(*v));
			if (!v)
				return -1;
			memset(v + r->nstacks, 0, (it->stack_id + 1 - r->nstacks) * sizeof(*v));
			r->stacks = v;
			r->nstacks = it->stack_id + 1;
		}
		free(r->stacks[it->stack_id]);
		r->stacks[it->stack_id] = strdup(it->stack);
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	const struct argp argp = {
	    report_options,
	    report_parse,
	    "FILE",
	    "Print the views of a recording made by `iommutrace record`: the "
	    "recording, the per-device table, the DMA API findings and the IOMMU "
	    "faults.",
	    NULL,
	    NULL,
	    NULL};
	struct report_args a = {};
	struct report r = {};
	struct rec_item *it;
	unsigned char *buf;
	size_t len = 0;
	int ret = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	if (read_file(a.file, &buf, &len)) {
		fprintf(stderr, "iommutrace report: cannot read %s: %s\n", a.file, strerror(errno));
		return EXIT_ERROR;
	}
	if (rec_reader_open(&r.rd, buf, len)) {
		fprintf(stderr, "iommutrace report: %s: %s\n", a.file, r.rd.err);
		free(buf);
		return EXIT_ERROR;
	}
	it = calloc(1, sizeof(*it));
	if (!it) {
		free(buf);
		return EXIT_ERROR;
	}
	r.json = a.json;
	r.last_ns = r.rd.hdr.start_mono_ns;
	while ((ret = rec_next(&r.rd, it)) > 0) {
		if (it->type == REC_DEVICE || it->type == REC_STACK) {
			if (define(&r, it)) {
				snprintf(r.rd.err, sizeof(r.rd.err),
					 "malformed recording: bad id in record %llu",
					 (unsigned long long)r.rd.nrecords);
				ret = -1;
				break;
			}
		} else if (it->type == REC_EVENT) {
			r.events++;
			for (size_t v = 0; v < NVIEWS; v++)
				if (views[v].event)
					views[v].event(&r, &it->ev);
		} else if (it->type == REC_SNAPSHOT) {
			r.snapshots++;
			if (it->snap.ts_ns > r.last_ns)
				r.last_ns = it->snap.ts_ns;
			for (size_t v = 0; v < NVIEWS; v++)
				if (views[v].snapshot)
					views[v].snapshot(&r, &it->snap);
			snapshot_free(&it->snap);
		} else if (it->type == REC_IOVA_STACKS) {
			for (size_t v = 0; v < NVIEWS; v++)
				if (views[v].iova_stacks)
					views[v].iova_stacks(&r, &it->iova, it->niova);
			free(it->iova);
		} else if (it->type == REC_FAULT) {
			for (size_t v = 0; v < NVIEWS; v++)
				if (views[v].fault)
					views[v].fault(&r, &it->fault);
		} else if (it->type == REC_END && it->end_mono_ns > r.last_ns) {
			r.last_ns = it->end_mono_ns;
		}
	}
	if (ret < 0) {
		fprintf(stderr, "iommutrace report: %s: %s\n", a.file, r.rd.err);
	} else {
		if (r.rd.truncated)
			fprintf(stderr,
				"iommutrace report: warning: %s: %s; reporting the %llu record(s) "
				"before it\n",
				a.file, r.rd.err, (unsigned long long)r.rd.nrecords);
		print_recording(&r, a.file);
		for (size_t v = 0; v < NVIEWS; v++)
			views[v].print(&r);
	}
	for (size_t i = 0; i < r.nstacks; i++)
		free(r.stacks[i]);
	free(r.stacks);
	free(r.devs);
	findings_free(&r.findings);
	free(r.faults);
	free(r.iova_first);
	free(r.iova_last);
	snapshot_free(&r.first);
	snapshot_free(&r.last);
	free(it);
	free(buf);
	return ret < 0 ? EXIT_ERROR : EXIT_OK;
}
