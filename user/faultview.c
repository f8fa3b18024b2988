// SPDX-License-Identifier: GPL-2.0
/* faultview.c: the faults view's output and storm accounting (see faultview.h). */
#include "faultview.h"
#include "fault_decode.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A kind of fault already shown in the human view, and how often it repeated since. */
struct fv_seen {
	char device[IT_NAME_LEN];
	unsigned access, match;
	int reason;
	__u32 flags;
	__s32 stack_id;
	__u64 count;
};

void faultview_init(struct fault_view *v, struct stack_src stacks, bool json, double threshold,
		    __u64 window_ns, __u64 mono_to_real_ns)
{
	memset(v, 0, sizeof(*v));
	v->stacks = stacks;
	v->json = json;
	v->mono_to_real_ns = mono_to_real_ns;
	storms_init(&v->storms, threshold, window_ns);
}

void faultview_free(struct fault_view *v)
{
	storms_free(&v->storms);
	free(v->seen);
	v->seen = NULL;
	v->nseen = 0;
}

/* "HH:MM:SS.mmm" of a bpf_ktime_get_ns() time. */
static const char *wall(const struct fault_view *v, __u64 ns, char *buf, size_t len)
{
	__u64 real = ns + v->mono_to_real_ns;
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
static const char *diagnosis(struct fault_view *v, const struct fault_rec *r, char *buf, size_t len)
{
	char who[160];
	size_t n;

	if (!fault_diagnosis(&r->match, r->access, r->iova, buf, len))
		return NULL;
	n = strlen(buf);
	if (r->match.kind == FM_AFTER_UNMAP &&
	    stack_src_caller(&v->stacks, r->match.m.unmap_stack_id, who, sizeof(who)))
		snprintf(buf + n, len - n, " (unmapped by %s)", who);
	else if (r->match.kind == FM_INSIDE &&
		 stack_src_caller(&v->stacks, r->match.m.map_stack_id, who, sizeof(who)))
		snprintf(buf + n, len - n, " (mapped by %s)", who);
	return buf;
}

static json_object *hex(__u64 v)
{
	char b[32];

	snprintf(b, sizeof(b), "0x%" PRIx64, (uint64_t)v);
	return json_object_new_string(b);
}

static json_object *mapping_json(struct fault_view *v, const struct fault_rec *r)
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
		json_object_object_add(o, "unmap_stack",
				       stack_src_json(&v->stacks, m->unmap_stack_id));
	}
	if (r->match.kind == FM_PAST_END)
		json_object_object_add(o, "past_end_by", json_object_new_int64(r->match.past_by));
	json_object_object_add(o, "stack", stack_src_json(&v->stacks, m->map_stack_id));
	return o;
}

static void print_fault_json(struct fault_view *v, const struct fault_rec *r)
{
	json_object *o = json_object_new_object();
	char buf[512], ts[32];
	const char *cause = usual_cause(r), *diag;

	json_object_object_add(o, "type", json_object_new_string("fault"));
	json_object_object_add(o, "time",
			       json_object_new_string(wall(v, r->ts_ns, ts, sizeof(ts))));
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
			       r->match.kind == FM_INSIDE ? mapping_json(v, r) : NULL);
	json_object_object_add(o, "unmapped",
			       r->match.kind == FM_AFTER_UNMAP ? mapping_json(v, r) : NULL);
	json_object_object_add(o, "past_end_of",
			       r->match.kind == FM_PAST_END ? mapping_json(v, r) : NULL);
	diag = diagnosis(v, r, buf, sizeof(buf));
	json_object_object_add(o, "diagnosis", diag ? json_object_new_string(diag) : NULL);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Has this kind of fault been shown? Counts the repeat if so. */
static bool seen_before(struct fault_view *v, const struct fault_rec *r)
{
	struct fv_seen k = {.access = r->access,
			    .match = r->match.kind,
			    .reason = r->reason,
			    .flags = r->has_flags ? r->flags : 0,
			    .stack_id = r->match.kind == FM_NONE ? -1 : r->match.m.map_stack_id,
			    .count = 1},
		       *more;

	snprintf(k.device, sizeof(k.device), "%s", r->device);
	for (size_t i = 0; i < v->nseen; i++) {
		struct fv_seen *s = &v->seen[i];

		if (strcmp(s->device, k.device) == 0 && s->access == k.access &&
		    s->match == k.match && s->reason == k.reason && s->flags == k.flags &&
		    s->stack_id == k.stack_id) {
			s->count++;
			return true;
		}
	}
	more = realloc(v->seen, (v->nseen + 1) * sizeof(*more));
	if (more) {
		v->seen = more;
		v->seen[v->nseen++] = k;
	}
	return false;
}

static void print_fault_text(struct fault_view *v, const struct fault_rec *r)
{
	const struct fm_mapping *m = &r->match.m;
	char buf[512], ts[32];
	const char *cause = usual_cause(r), *diag;

	printf("%s %s %s  %s fault at 0x%" PRIx64 ": ", wall(v, r->ts_ns, ts, sizeof(ts)),
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
			stack_src_print(&v->stacks, stdout, "unmap:", m->unmap_stack_id);
		stack_src_print(&v->stacks, stdout, "map:", m->map_stack_id);
		break;
	}
	case FM_PAST_END:
		printf("    not mapped: %" PRIu64 " bytes past a DMA_%s mapping at 0x%" PRIx64
		       ", %" PRIu64 " bytes\n",
		       (uint64_t)r->match.past_by, fm_dir_name(m->dir), (uint64_t)m->dma_addr,
		       (uint64_t)m->size);
		stack_src_print(&v->stacks, stdout, "map:", m->map_stack_id);
		break;
	default:
		if (!r->intr)
			printf(
			    "    no mapping iommutrace saw contains it (mapped before iommutrace "
			    "started, or never mapped)\n");
	}
	diag = diagnosis(v, r, buf, sizeof(buf));
	if (diag)
		printf("    => %s\n", diag);
	fflush(stdout);
}

static void storm_line(struct fault_view *v, const struct fs_dev *d, enum fs_change ch, __u64 now)
{
	char ts[32];

	if (v->json || ch == FS_NONE)
		return;
	if (ch == FS_STORM_START)
		printf("%s %s %s  STORM started: %.1f faults/s (threshold %.1f/s)\n",
		       wall(v, d->storm_start_ns, ts, sizeof(ts)), d->device,
		       d->driver[0] ? d->driver : "-", storms_rate(&v->storms, d, now),
		       v->storms.threshold);
	else
		printf("%s %s %s  STORM ended: %" PRIu64 " faults in %.1f s (peak %.1f/s); %" PRIu64
		       " faults so far, %" PRIu64 " not printed by the kernel\n",
		       wall(v, d->storm_end_ns, ts, sizeof(ts)), d->device,
		       d->driver[0] ? d->driver : "-", (uint64_t)d->storm_faults,
		       (d->storm_end_ns - d->storm_start_ns) / 1e9, d->peak_rate,
		       (uint64_t)d->faults, (uint64_t)storms_suppressed(d));
	fflush(stdout);
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

static void print_summary_json(struct fault_view *v, struct fs_dev *d)
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
			       json_object_new_string(wall(v, d->first_ns, ts, sizeof(ts))));
	json_object_object_add(o, "last_seen",
			       json_object_new_string(wall(v, d->last_ns, ts, sizeof(ts))));
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

void faultview_summary(struct fault_view *v, const struct snapshot *snap, bool final)
{
	const char *undec = "";
	char ts[32], ts2[32], label[256];

	if (v->json) {
		json_object *o = json_object_new_object();

		for (size_t i = 0; i < v->storms.n; i++)
			print_summary_json(v, &v->storms.v[i]);
		/* Where the counts come from, and what could not be read. */
		json_object_object_add(o, "type", json_object_new_string("fault_sources"));
		json_object_object_add(o, "vtd_interrupts",
				       json_object_new_int64(snap->counters[IT_C_FAULT_IRQ]));
		json_object_object_add(o, "vtd_records",
				       json_object_new_int64(snap->counters[IT_C_FAULT_RECORDS]));
		json_object_object_add(
		    o, "vtd_unread",
		    json_object_new_int64(snap->counters[IT_C_FAULT_UNREAD] + v->irqs_unread));
		json_object_object_add(o, "vtd_late",
				       json_object_new_int64(snap->counters[IT_C_FAULT_LATE]));
		json_object_object_add(
		    o, "vtd_hw_overflow",
		    json_object_new_int64(snap->counters[IT_C_FAULT_HW_OVERFLOW]));
		json_object_object_add(o, "ringbuf_dropped",
				       json_object_new_int64(snap->counters[IT_C_RB_DROPPED]));
		json_object_object_add(o, "registers_read", json_object_new_boolean(v->regs_ok));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	printf("\n%s fault summary:\n", final ? "final" : "interval");
	if (!v->storms.n)
		printf("  no IOMMU faults\n");
	else
		printf("  %-14s %-16s %8s %8s %8s %10s %7s %5s  %s\n", "DEVICE", "DRIVER", "FAULTS",
		       "DECODED", "PRINTED", "SUPPRESSED", "PEAK/s", "STORM", "FIRST .. LAST");
	for (size_t i = 0; i < v->storms.n; i++) {
		struct fs_dev *d = &v->storms.v[i];

		printf("  %-14s %-16s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10" PRIu64
		       " %7.1f %5s  %s .. %s\n",
		       d->device, d->driver[0] ? d->driver : "-", (uint64_t)d->faults,
		       (uint64_t)d->decoded, (uint64_t)d->printed, (uint64_t)storms_suppressed(d),
		       d->peak_rate, d->ever_storm ? "yes" : "no",
		       wall(v, d->first_ns, ts, sizeof(ts)), wall(v, d->last_ns, ts2, sizeof(ts2)));
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
	if (v->irqs_unread || snap->counters[IT_C_FAULT_UNREAD])
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

void faultview_add(struct fault_view *v, enum fe_kind k, const struct fault_rec *r)
{
	struct fs_dev *d;
	enum fs_change ch;

	if (k != FE_FAULT && k != FE_PRINTED)
		return;
	d = storms_dev(&v->storms, r->device, r->driver);
	if (!d)
		return;
	if (!d->driver[0] && r->driver[0])
		snprintf(d->driver, sizeof(d->driver), "%s", r->driver);
	if (k == FE_PRINTED) {
		storms_printed(d);
		return;
	}
	if (r->src == IT_FSRC_CONSOLE)
		storms_printed(d); /* the line is the record */
	ch = storms_add(&v->storms, d, r->ts_ns, r->decoded, r->iova,
			r->reason >= 0 ? (unsigned)r->reason | r->access << 16
				       : (r->flags & 0xffff) | r->access << 16 | 1u << 20);
	if (v->json) {
		print_fault_json(v, r);
		return;
	}
	if (r->decoded && !seen_before(v, r))
		print_fault_text(v, r);
	storm_line(v, d, ch, r->ts_ns);
}

void faultview_tick(struct fault_view *v, __u64 now_ns)
{
	for (size_t i = 0; i < v->storms.n; i++)
		storm_line(v, &v->storms.v[i], storms_tick(&v->storms, &v->storms.v[i], now_ns),
			   now_ns);
}

void faultview_finish(struct fault_view *v)
{
	for (size_t i = 0; i < v->storms.n; i++)
		if (v->storms.v[i].storm) {
			v->storms.v[i].storm = false;
			v->storms.v[i].storm_end_ns = v->storms.v[i].last_ns;
			storm_line(v, &v->storms.v[i], FS_STORM_END, v->storms.v[i].last_ns);
		}
}
