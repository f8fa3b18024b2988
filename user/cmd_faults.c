// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_faults.c: `iommutrace faults` — IOMMU faults per device, exact even when the kernel
 * rate-limits its own messages, decoded, with the DMA mapping the address falls in and a
 * diagnosis. Human view: a block for the first fault of each kind (device, access, reason,
 * mapping found, map stack), storm start/end lines, a per-device summary every -i and at the end.
 * --json: one "fault" object per fault, "fault_summary" per device.
 */
#include "cli.h"
#include "fault_decode.h"
#include "fault_events.h"
#include "fault_storm.h"
#include "stack_out.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct faults_args {
	bool json;
	long duration_ms; /* 0: until interrupted */
	long interval_ms; /* 0: summary at the end only */
	const char *device;
	double threshold; /* faults/s */
	long window_ms;
};

/* A kind of fault already shown in the human view, and how often it repeated since. */
struct seen_kind {
	char device[IT_NAME_LEN];
	unsigned access, match;
	int reason;
	__u32 flags;
	__s32 stack_id;
	__u64 count;
};

struct faults_state {
	struct faults_args *a;
	struct collector *c;
	struct fault_events fe;
	struct fault_storms storms;
	struct seen_kind *seen;
	size_t nseen;
	__u64 mono_to_real_ns; /* add to a bpf_ktime_get_ns() to get wall-clock time */
};

static const struct argp_option faults_options[] = {
    {"duration", 'd', "DURATION", 0, "Stop after DURATION (default: until Ctrl-C)", 0},
    {"interval", 'i', "DURATION", 0, "Also print the per-device summary every DURATION", 0},
    {"device", 'D', "BDF", 0, "Only faults of this device (e.g. 0000:00:03.0)", 0},
    {"storm-threshold", 't', "N", 0, "Faults per second that make a storm (default 5)", 0},
    {"window", 'w', "DURATION", 0, "Window the fault rate is measured over (default 2s)", 0},
    {"json", 'j', NULL, 0, "One JSON object per fault, then one fault_summary per device", 0},
    {0},
};

static error_t faults_parse(int key, char *arg, struct argp_state *state)
{
	struct faults_args *a = state->input;
	char *end;

	switch (key) {
	case 'd':
		a->duration_ms = argp_duration(state, "--duration", arg, true);
		break;
	case 'i':
		a->interval_ms = argp_duration(state, "--interval", arg, true);
		break;
	case 'w':
		a->window_ms = argp_duration(state, "--window", arg, true);
		if (a->window_ms < 125 || a->window_ms > 8000)
			argp_error(state, "--window must be between 125ms and 8s");
		break;
	case 'D':
		a->device = arg;
		break;
	case 't':
		a->threshold = strtod(arg, &end);
		if (end == arg || *end || !(a->threshold > 0))
			argp_error(state, "--storm-threshold: '%s' is not a positive number", arg);
		break;
	case 'j':
		a->json = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* "HH:MM:SS.mmm" of a bpf_ktime_get_ns() time. */
static const char *wall(const struct faults_state *st, __u64 ns, char *buf, size_t len)
{
	__u64 real = ns + st->mono_to_real_ns;
	time_t s = real / 1000000000ULL;
	struct tm tm;

	localtime_r(&s, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(real % 1000000000ULL / 1000000));
	return buf;
}

static const char *reason_text(const struct fault_rec *r, char *buf, size_t len)
{
	if (!r->decoded)
		snprintf(buf, len,
			 "not decoded: the kernel handled the record before it could be "
			 "read (it arrived while the previous fault interrupt was handled)");
	else if (r->reason >= 0)
		snprintf(buf, len, "%s", vtd_reason(r->reason)->text);
	else if (r->has_flags && tp_flags_are_amd(r->flags))
		amd_flags_text(r->flags, buf, len);
	else
		snprintf(buf, len, "%s fault", access_name(r->access));
	return buf;
}

static const char *usual_cause(const struct fault_rec *r)
{
	if (r->reason >= 0)
		return vtd_reason(r->reason)->cause;
	if (r->has_flags && tp_flags_are_amd(r->flags))
		return amd_flags_meaning(r->flags);
	return NULL;
}

/* The diagnosis, naming who unmapped the address for a use after unmap. */
static const char *diagnosis(struct faults_state *st, const struct fault_rec *r, char *buf,
			     size_t len)
{
	char who[160];
	size_t n;

	if (!fault_diagnosis(&r->match, r->access, r->iova, buf, len))
		return NULL;
	n = strlen(buf);
	if (r->match.kind == FM_AFTER_UNMAP &&
	    stack_caller(st->c, r->match.m.unmap_stack_id, who, sizeof(who)))
		snprintf(buf + n, len - n, " (unmapped by %s)", who);
	else if (r->match.kind == FM_INSIDE &&
		 stack_caller(st->c, r->match.m.map_stack_id, who, sizeof(who)))
		snprintf(buf + n, len - n, " (mapped by %s)", who);
	return buf;
}

static json_object *hex(__u64 v)
{
	char b[32];

	snprintf(b, sizeof(b), "0x%" PRIx64, (uint64_t)v);
	return json_object_new_string(b);
}

static json_object *mapping_json(struct faults_state *st, const struct fault_rec *r)
{
	const struct fm_mapping *m = &r->match.m;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dir", json_object_new_string(fm_dir_name(m->dir)));
	json_object_object_add(o, "size", json_object_new_int64(m->size));
	json_object_object_add(o, "dma_addr", hex(m->dma_addr));
	if (r->match.kind == FM_INSIDE)
		json_object_object_add(o, "age_us", json_object_new_int64(r->match.ago_ns / 1000));
	if (r->match.kind == FM_AFTER_UNMAP) {
		json_object_object_add(o, "unmapped_us_before",
				       json_object_new_int64(r->match.ago_ns / 1000));
		json_object_object_add(o, "unmap_stack", stack_json(st->c, m->unmap_stack_id));
	}
	if (r->match.kind == FM_PAST_END)
		json_object_object_add(o, "past_end_by", json_object_new_int64(r->match.past_by));
	json_object_object_add(o, "stack", stack_json(st->c, m->map_stack_id));
	return o;
}

static void print_fault_json(struct faults_state *st, const struct fault_rec *r)
{
	json_object *o = json_object_new_object();
	char buf[512], ts[32];
	const char *cause = usual_cause(r), *diag;

	json_object_object_add(o, "type", json_object_new_string("fault"));
	json_object_object_add(o, "time",
			       json_object_new_string(wall(st, r->ts_ns, ts, sizeof(ts))));
	json_object_object_add(o, "device", json_object_new_string(r->device));
	json_object_object_add(o, "driver", json_object_new_string(r->driver));
	json_object_object_add(o, "decoded", json_object_new_boolean(r->decoded));
	json_object_object_add(o, r->intr ? "interrupt_index" : "iova",
			       r->decoded ? hex(r->iova) : NULL);
	json_object_object_add(o, "access", json_object_new_string(access_name(r->access)));
	json_object_object_add(o, "reason_code",
			       r->reason >= 0 ? json_object_new_int(r->reason) : NULL);
	json_object_object_add(o, "reason",
			       json_object_new_string(reason_text(r, buf, sizeof(buf))));
	json_object_object_add(o, "flags", r->has_flags ? hex(r->flags) : NULL);
	json_object_object_add(o, "pasid",
			       r->pasid != IT_PASID_NONE ? json_object_new_int64(r->pasid) : NULL);
	json_object_object_add(o, "source", json_object_new_string(fault_src_name(r->src)));
	json_object_object_add(o, "cause", cause ? json_object_new_string(cause) : NULL);
	json_object_object_add(o, "mapping",
			       r->match.kind == FM_INSIDE ? mapping_json(st, r) : NULL);
	json_object_object_add(o, "unmapped",
			       r->match.kind == FM_AFTER_UNMAP ? mapping_json(st, r) : NULL);
	json_object_object_add(o, "past_end_of",
			       r->match.kind == FM_PAST_END ? mapping_json(st, r) : NULL);
	diag = diagnosis(st, r, buf, sizeof(buf));
	json_object_object_add(o, "diagnosis", diag ? json_object_new_string(diag) : NULL);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Has this kind of fault been shown? Counts the repeat if so. */
static bool seen_before(struct faults_state *st, const struct fault_rec *r)
{
	struct seen_kind k = {.access = r->access,
			      .match = r->match.kind,
			      .reason = r->reason,
			      .flags = r->has_flags ? r->flags : 0,
			      .stack_id = r->match.kind == FM_NONE ? -1 : r->match.m.map_stack_id,
			      .count = 1},
			 *more;

	snprintf(k.device, sizeof(k.device), "%s", r->device);
	for (size_t i = 0; i < st->nseen; i++) {
		struct seen_kind *s = &st->seen[i];

		if (strcmp(s->device, k.device) == 0 && s->access == k.access &&
		    s->match == k.match && s->reason == k.reason && s->flags == k.flags &&
		    s->stack_id == k.stack_id) {
			s->count++;
			return true;
		}
	}
	more = realloc(st->seen, (st->nseen + 1) * sizeof(*more));
	if (more) {
		st->seen = more;
		st->seen[st->nseen++] = k;
	}
	return false;
}

static void print_fault_text(struct faults_state *st, const struct fault_rec *r)
{
	const struct fm_mapping *m = &r->match.m;
	char buf[512], ts[32];
	const char *cause = usual_cause(r), *diag;

	printf("%s %s %s  %s fault at 0x%" PRIx64 ": ", wall(st, r->ts_ns, ts, sizeof(ts)),
	       r->device, r->driver[0] ? r->driver : "-", access_name(r->access),
	       (uint64_t)r->iova);
	if (r->reason >= 0)
		printf("[0x%02x] ", r->reason);
	else if (r->has_flags)
		printf("[flags 0x%x] ", r->flags);
	printf("%s  (from %s)\n", reason_text(r, buf, sizeof(buf)), fault_src_name(r->src));
	if (cause)
		printf("    usual cause: %s\n", cause);
	switch (r->match.kind) {
	case FM_INSIDE:
	case FM_AFTER_UNMAP: {
		bool in = r->match.kind == FM_INSIDE;

		printf("    %s DMA_%s mapping at 0x%" PRIx64 ", %" PRIu64 " bytes, %s %" PRIu64
		       " us before\n",
		       in ? "in a live" : "not mapped: a", fm_dir_name(m->dir),
		       (uint64_t)m->dma_addr, (uint64_t)m->size, in ? "mapped" : "was unmapped",
		       (uint64_t)(r->match.ago_ns / 1000));
		if (!in)
			print_stack(st->c, "unmap:", m->unmap_stack_id);
		print_stack(st->c, "map:", m->map_stack_id);
		break;
	}
	case FM_PAST_END:
		printf("    not mapped: %" PRIu64 " bytes past a DMA_%s mapping at 0x%" PRIx64
		       ", %" PRIu64 " bytes\n",
		       (uint64_t)r->match.past_by, fm_dir_name(m->dir), (uint64_t)m->dma_addr,
		       (uint64_t)m->size);
		print_stack(st->c, "map:", m->map_stack_id);
		break;
	default:
		if (!r->intr)
			printf(
			    "    no mapping iommutrace saw contains it (mapped before iommutrace "
			    "started, or never mapped)\n");
	}
	diag = diagnosis(st, r, buf, sizeof(buf));
	if (diag)
		printf("    => %s\n", diag);
	fflush(stdout);
}

static void storm_line(struct faults_state *st, const struct fs_dev *d, enum fs_change ch,
		       __u64 now)
{
	char ts[32];

	if (st->a->json || ch == FS_NONE)
		return;
	if (ch == FS_STORM_START)
		printf("%s %s %s  STORM started: %.1f faults/s (threshold %.1f/s)\n",
		       wall(st, d->storm_start_ns, ts, sizeof(ts)), d->device,
		       d->driver[0] ? d->driver : "-", storms_rate(&st->storms, d, now),
		       st->storms.threshold);
	else
		printf("%s %s %s  STORM ended: %" PRIu64 " faults in %.1f s (peak %.1f/s); %" PRIu64
		       " faults so far, %" PRIu64 " not printed by the kernel\n",
		       wall(st, d->storm_end_ns, ts, sizeof(ts)), d->device,
		       d->driver[0] ? d->driver : "-", (uint64_t)d->storm_faults,
		       (d->storm_end_ns - d->storm_start_ns) / 1e9, d->peak_rate,
		       (uint64_t)d->faults, (uint64_t)storms_suppressed(d));
	fflush(stdout);
}

static bool wanted(const struct faults_state *st, const char *device)
{
	return !st->a->device || strcmp(st->a->device, device) == 0;
}

static void on_event(void *ctx, const struct it_event *e)
{
	struct faults_state *st = ctx;
	struct fault_rec r;
	struct fs_dev *d;
	enum fs_change ch;
	enum fe_kind k = fault_events_decode(&st->fe, e, &r);

	if (k != FE_FAULT && k != FE_PRINTED)
		return;
	if (!wanted(st, r.device))
		return;
	d = storms_dev(&st->storms, r.device, r.driver);
	if (!d)
		return;
	if (!d->driver[0] && r.driver[0])
		snprintf(d->driver, sizeof(d->driver), "%s", r.driver);
	if (k == FE_PRINTED) {
		storms_printed(d);
		return;
	}
	if (r.src == IT_FSRC_CONSOLE)
		storms_printed(d); /* the line is the record */
	ch = storms_add(&st->storms, d, r.ts_ns, r.decoded, r.iova,
			r.reason >= 0 ? (unsigned)r.reason | r.access << 16
				      : (r.flags & 0xffff) | r.access << 16 | 1u << 20);
	if (st->a->json) {
		print_fault_json(st, &r);
		return;
	}
	if (r.decoded && !seen_before(st, &r))
		print_fault_text(st, &r);
	storm_line(st, d, ch, r.ts_ns);
}

static void reason_label(unsigned key, char *buf, size_t len)
{
	unsigned access = key >> 16 & 0xf;

	if (key & 1u << 20) {
		char fl[128];

		snprintf(buf, len, "%s [flags 0x%x: %s]", access_name(access), key & 0xffff,
			 tp_flags_are_amd(key & 0xffff)
			     ? amd_flags_text(key & 0xffff, fl, sizeof(fl))
			     : access_name(access));
	} else {
		snprintf(buf, len, "%s [0x%02x] %s", access_name(access), key & 0xff,
			 vtd_reason(key & 0xff)->text);
	}
}

static void print_summary_json(struct faults_state *st, struct fs_dev *d)
{
	json_object *o = json_object_new_object(), *rs = json_object_new_array(),
		    *rg = json_object_new_array();
	char ts[32], label[256];

	storms_sort_ranges(d);
	json_object_object_add(o, "type", json_object_new_string("fault_summary"));
	json_object_object_add(o, "device", json_object_new_string(d->device));
	json_object_object_add(o, "driver", json_object_new_string(d->driver));
	json_object_object_add(o, "faults", json_object_new_int64(d->faults));
	json_object_object_add(o, "decoded", json_object_new_int64(d->decoded));
	json_object_object_add(o, "printed", json_object_new_int64(d->printed));
	json_object_object_add(o, "suppressed", json_object_new_int64(storms_suppressed(d)));
	json_object_object_add(o, "peak_rate", json_object_new_double(d->peak_rate));
	json_object_object_add(o, "storm", json_object_new_boolean(d->ever_storm));
	json_object_object_add(o, "storms", json_object_new_int(d->storms));
	json_object_object_add(o, "first_seen",
			       json_object_new_string(wall(st, d->first_ns, ts, sizeof(ts))));
	json_object_object_add(o, "last_seen",
			       json_object_new_string(wall(st, d->last_ns, ts, sizeof(ts))));
	for (int i = 0; i < FS_REASONS; i++) {
		json_object *x;

		if (!d->reasons[i].count)
			continue;
		x = json_object_new_object();
		reason_label(d->reasons[i].key, label, sizeof(label));
		json_object_object_add(x, "reason", json_object_new_string(label));
		json_object_object_add(x, "count", json_object_new_int64(d->reasons[i].count));
		json_object_array_add(rs, x);
	}
	for (int i = 0; i < FS_RANGES && d->ranges[i].count; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "start", hex(d->ranges[i].base));
		json_object_object_add(x, "end", hex(d->ranges[i].base + FS_RANGE_SZ));
		json_object_object_add(x, "count", json_object_new_int64(d->ranges[i].count));
		json_object_array_add(rg, x);
	}
	json_object_object_add(o, "reasons", rs);
	json_object_object_add(o, "top_ranges", rg);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void print_summary(struct faults_state *st, const struct snapshot *snap, bool final)
{
	const char *undec = "";
	char ts[32], ts2[32], label[256];

	if (st->a->json) {
		json_object *o = json_object_new_object();

		for (size_t i = 0; i < st->storms.n; i++)
			print_summary_json(st, &st->storms.v[i]);
		/* Where the counts come from, and what could not be read. */
		json_object_object_add(o, "type", json_object_new_string("fault_sources"));
		json_object_object_add(o, "vtd_interrupts",
				       json_object_new_int64(snap->counters[IT_C_FAULT_IRQ]));
		json_object_object_add(o, "vtd_records",
				       json_object_new_int64(snap->counters[IT_C_FAULT_RECORDS]));
		json_object_object_add(
		    o, "vtd_unread",
		    json_object_new_int64(snap->counters[IT_C_FAULT_UNREAD] + st->fe.irqs_unread));
		json_object_object_add(o, "vtd_late",
				       json_object_new_int64(snap->counters[IT_C_FAULT_LATE]));
		json_object_object_add(
		    o, "vtd_hw_overflow",
		    json_object_new_int64(snap->counters[IT_C_FAULT_HW_OVERFLOW]));
		json_object_object_add(o, "ringbuf_dropped",
				       json_object_new_int64(snap->counters[IT_C_RB_DROPPED]));
		json_object_object_add(o, "registers_read",
				       json_object_new_boolean(st->fe.regs_ok));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	printf("\n%s fault summary:\n", final ? "final" : "interval");
	if (!st->storms.n)
		printf("  no IOMMU faults\n");
	else
		printf("  %-14s %-16s %8s %8s %8s %10s %7s %5s  %s\n", "DEVICE", "DRIVER", "FAULTS",
		       "DECODED", "PRINTED", "SUPPRESSED", "PEAK/s", "STORM", "FIRST .. LAST");
	for (size_t i = 0; i < st->storms.n; i++) {
		struct fs_dev *d = &st->storms.v[i];

		printf("  %-14s %-16s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10" PRIu64
		       " %7.1f %5s  %s .. %s\n",
		       d->device, d->driver[0] ? d->driver : "-", (uint64_t)d->faults,
		       (uint64_t)d->decoded, (uint64_t)d->printed, (uint64_t)storms_suppressed(d),
		       d->peak_rate, d->ever_storm ? "yes" : "no",
		       wall(st, d->first_ns, ts, sizeof(ts)),
		       wall(st, d->last_ns, ts2, sizeof(ts2)));
		for (int j = 0; j < FS_REASONS; j++) {
			if (!d->reasons[j].count)
				continue;
			reason_label(d->reasons[j].key, label, sizeof(label));
			printf("      %8" PRIu64 "  %s\n", (uint64_t)d->reasons[j].count, label);
		}
		storms_sort_ranges(d);
		for (int j = 0; j < FS_RANGES && j < 3 && d->ranges[j].count; j++)
			printf("      %8" PRIu64 "  in 0x%" PRIx64 "-0x%" PRIx64 "\n",
			       (uint64_t)d->ranges[j].count, (uint64_t)d->ranges[j].base,
			       (uint64_t)(d->ranges[j].base + FS_RANGE_SZ - 1));
	}
	if (st->fe.irqs_unread || snap->counters[IT_C_FAULT_UNREAD])
		undec = " (records not readable: decoded from the kernel's log lines only)";
	printf("  VT-d fault interrupts %" PRIu64 ", records read %" PRIu64 "%s",
	       (uint64_t)snap->counters[IT_C_FAULT_IRQ],
	       (uint64_t)snap->counters[IT_C_FAULT_RECORDS], undec);
	if (snap->counters[IT_C_FAULT_HW_OVERFLOW])
		printf("; the IOMMU itself dropped faults (overflow) %" PRIu64 " times",
		       (uint64_t)snap->counters[IT_C_FAULT_HW_OVERFLOW]);
	printf("\n");
	fflush(stdout);
}

int cmd_faults(int argc, char **argv)
{
	static const struct argp_child children[] = {{&collector_argp, 0, "Collector options:", 0},
						     {0}};
	const struct argp argp = {
	    faults_options,
	    faults_parse,
	    NULL,
	    "Show IOMMU faults per device: exact counts (also those the kernel "
	    "no longer prints), decoded, with the DMA mapping each falls in and "
	    "a diagnosis; storms detected over a sliding window.",
	    children,
	    NULL,
	    NULL};
	struct faults_args a = {.threshold = 5, .window_ms = 2000};
	struct faults_state st = {.a = &a};
	struct collector c;
	struct snapshot snap;
	__u64 start, last_sum;
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	st.c = &c;
	storms_init(&st.storms, a.threshold, (__u64)a.window_ms * 1000000ULL);
	cli_collector_opts()->track_modules = true;
	cli_collector_opts()->unmap_stacks = true;
	cli_collector_opts()->unmap_history = 65536;
	r = cli_open_collector(&c, on_event, &st);
	if (r)
		return r;
	fault_events_init(&st.fe, &c);
	if (c.plan.caps[CAP_FAULTS].hooks_used == 0)
		fprintf(stderr, "iommutrace faults: no fault source on this kernel (%s)\n",
			c.plan.caps[CAP_FAULTS].detail);
	else if (!st.fe.regs_ok)
		fprintf(stderr,
			"iommutrace faults: VT-d fault handler not hooked (%s): VT-d faults "
			"are seen only as the kernel prints them\n",
			c.plan.hooks[IT_FN_DMAR_FAULT].reason);
	fprintf(stderr, "iommutrace faults: watching; %s\n",
		a.duration_ms ? "stops at the end of --duration" : "Ctrl-C to stop");
	st.mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	cli_install_signals();
	start = last_sum = clock_ns(CLOCK_MONOTONIC);
	while (!g_stop) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);

		if (a.duration_ms && (now - start) / 1000000 >= (__u64)a.duration_ms)
			break;
		collector_poll(&c, 200);
		fault_events_next_poll(&st.fe);
		now = clock_ns(CLOCK_MONOTONIC);
		for (size_t i = 0; i < st.storms.n; i++)
			storm_line(&st, &st.storms.v[i],
				   storms_tick(&st.storms, &st.storms.v[i], now), now);
		if (a.interval_ms && (now - last_sum) / 1000000 >= (__u64)a.interval_ms) {
			collector_snapshot(&c, &snap);
			print_summary(&st, &snap, false);
			snapshot_free(&snap);
			last_sum = now;
		}
	}
	collector_poll(&c, 0);
	/* Storms still going end with the run. */
	for (size_t i = 0; i < st.storms.n; i++)
		if (st.storms.v[i].storm) {
			st.storms.v[i].storm = false;
			st.storms.v[i].storm_end_ns = st.storms.v[i].last_ns;
			storm_line(&st, &st.storms.v[i], FS_STORM_END, st.storms.v[i].last_ns);
		}
	collector_snapshot(&c, &snap);
	print_summary(&st, &snap, true);
	if (snap.counters[IT_C_RB_DROPPED])
		fprintf(stderr,
			"iommutrace faults: %" PRIu64 " events dropped (ring buffer full: raise "
			"--ringbuf-kb); counts above are short by at most that many\n",
			(uint64_t)snap.counters[IT_C_RB_DROPPED]);
	snapshot_free(&snap);
	fault_events_free(&st.fe);
	storms_free(&st.storms);
	free(st.seen);
	collector_close(&c);
	return EXIT_OK;
}
