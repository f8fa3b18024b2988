// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_record.c: `iommutrace record -o FILE` — every ring-buffer event (with its stacks as symbol
 * strings) and a snapshot of the per-device aggregates every interval, to a recording.c file that
 * `iommutrace report` reads on any machine. Mappings still live when a driver unbinds are written
 * as leak events, as `check` reports them. Kernel pointers never reach the file: devices, IOVA
 * domains and stacks get the recording's own ids. Faults are decoded and correlated with the
 * mappings as they happen, as `faults` does (the correlation needs the live tables), and written
 * as fault records for report's faults view.
 */
#include "checkview.h"
#include "cli.h"
#include "fault_events.h"
#include "devices.h"
#include "recording.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct record_args {
	struct cli_common common;
	const char *out;
};

/* Kernel identity (pointer) -> recording id. */
struct idmap {
	__u64 *keys;
	size_t n, cap;
};

struct stack_ids {
	char **v;
	unsigned long *hash;
	size_t n, cap;
};

struct recorder {
	struct collector *c;
	struct rec_writer w;
	struct idmap devs, doms;
	struct stack_ids stacks;
	struct fault_events fe;
	bool regs_ok_written;
	__u64 events, leaks, snapshots, faults;
	bool failed;
};

static const struct argp_option record_options[] = {
    {"output", 'o', "FILE", 0, "Write the recording to FILE (required)", 0},
    CLI_OPT_DURATION,
    CLI_OPT_INTERVAL("Aggregate snapshot interval (default 1s)"),
    {0},
};

static error_t record_parse(int key, char *arg, struct argp_state *state)
{
	struct record_args *a = state->input;

	switch (key) {
	case 'o':
		a->out = arg;
		break;
	case ARGP_KEY_END:
		if (!a->out)
			argp_error(state, "-o FILE is required");
		break;
	default:
		return cli_parse_common(state, &a->common, key, arg);
	}
	return 0;
}

/* The id of key (1-based), adding it if new (*added set). 0 on ENOMEM. */
static __u32 idmap_get(struct idmap *m, __u64 key, bool *added)
{
	*added = false;
	for (size_t i = 0; i < m->n; i++)
		if (m->keys[i] == key)
			return i + 1;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		__u64 *k = realloc(m->keys, cap * sizeof(*k));

		if (!k)
			return 0;
		m->keys = k;
		m->cap = cap;
	}
	m->keys[m->n++] = key;
	*added = true;
	return m->n;
}

static void check_write(struct recorder *r, int ret)
{
	if (ret && !r->failed) {
		r->failed = true;
		fprintf(stderr, "iommutrace record: writing the recording failed: %s\n",
			strerror(r->w.err));
		g_stop = 1;
	}
}

/* Recording id of a kernel device; its name, driver and IOMMU group go to the file first. */
static __u32 dev_id(struct recorder *r, __u64 dev)
{
	struct rec_device d = {};
	struct it_dev_info info;
	struct dev_sysfs sf;
	bool added;

	if (!dev)
		return REC_NO_DEVICE;
	d.id = idmap_get(&r->devs, dev, &added);
	if (!added)
		return d.id;
	collector_dev_info(r->c, dev, &info);
	dev_sysfs_lookup("/sys", info.name, &sf);
	d.group = sf.group;
	snprintf(d.name, sizeof(d.name), "%s", info.name);
	snprintf(d.driver, sizeof(d.driver), "%s", sf.driver[0] ? sf.driver : info.driver);
	snprintf(d.group_type, sizeof(d.group_type), "%s", sf.group_type);
	check_write(r, rec_write_device(&r->w, &d));
	return d.id;
}

static unsigned long str_hash(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Recording id of a kernel stack, by its symbols (the kernel may reuse a stack id); -1 if none.
 * refresh: read the kernel's symbols again first if modules came or went. */
static __s32 stack_id_sym(struct recorder *r, __s32 kid, bool refresh)
{
	struct stack_ids *s = &r->stacks;
	char buf[REC_STACK_MAX];
	unsigned long h;

	if (kid < 0)
		return -1;
	if (refresh)
		collector_refresh_symbols(r->c);
	collector_stack(r->c, kid, buf, sizeof(buf));
	h = str_hash(buf);
	for (size_t i = 0; i < s->n; i++)
		if (s->hash[i] == h && strcmp(s->v[i], buf) == 0)
			return i;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(*v));
		unsigned long *hv = v ? realloc(s->hash, cap * sizeof(*hv)) : NULL;

		if (v)
			s->v = v;
		if (!hv)
			return -1;
		s->hash = hv;
		s->cap = cap;
	}
	s->v[s->n] = strdup(buf);
	if (!s->v[s->n])
		return -1;
	s->hash[s->n] = h;
	check_write(r, rec_write_stack(&r->w, s->n, buf));
	return s->n++;
}

/* The module in an event's stack may be new since the poll. */
static __s32 stack_id(struct recorder *r, __s32 kid)
{
	return stack_id_sym(r, kid, true);
}

static void write_event(struct recorder *r, const struct it_event *in)
{
	const char *text = NULL;
	struct it_event e = *in;

	e.dev = dev_id(r, in->dev);
	e.stack_id = stack_id(r, in->stack_id);
	e.map_stack_id = stack_id(r, in->map_stack_id);
	if (e.type == IT_EV_FAULT_IRQ)
		e.aux = 0; /* the IOMMU's kernel pointer */
	if (e.type == IT_EV_CONSOLE)
		text = ((const struct it_console_event *)in)->text;
	check_write(r, rec_write_event(&r->w, &e, text));
	r->events++;
}

struct unbind_scan {
	struct recorder *r;
	const struct it_event *unbind;
};

static void leak_one(void *ctx, const struct it_live_key *k, const struct it_live_val *v)
{
	struct unbind_scan *u = ctx;
	struct it_event e;

	if (!check_unbind_leak(&e, u->unbind, k, v))
		return;
	write_event(u->r, &e);
	u->r->leaks++;
}

/* The fault an event is (or says the kernel printed), decoded and correlated now. */
static void write_fault(struct recorder *r, const struct it_event *e)
{
	struct rec_fault f = {};

	f.kind = fault_events_decode(&r->fe, e, &f.r);
	if (f.kind == FE_IGNORE && r->regs_ok_written == r->fe.regs_ok)
		return;
	f.regs_ok = r->fe.regs_ok;
	f.r.dev = 0;
	if (f.kind == FE_FAULT && f.r.match.kind != FM_NONE) {
		f.r.match.m.map_stack_id = stack_id(r, f.r.match.m.map_stack_id);
		f.r.match.m.unmap_stack_id = stack_id(r, f.r.match.m.unmap_stack_id);
	} else {
		f.r.match.m.map_stack_id = f.r.match.m.unmap_stack_id = -1;
	}
	check_write(r, rec_write_fault(&r->w, &f));
	r->regs_ok_written = r->fe.regs_ok;
	r->faults += f.kind == FE_FAULT;
}

static void on_event(void *ctx, const struct it_event *e)
{
	struct recorder *r = ctx;

	if (r->failed)
		return;
	write_event(r, e);
	write_fault(r, e);
	if (e->type == IT_EV_UNBIND) {
		struct unbind_scan u = {r, e};

		collector_live_scan(r->c, e->dev, leak_one, &u);
	}
}

/* The IOVA allocations per (device, stack) so far, for report's iova view. */
static void write_iova_stacks(struct recorder *r)
{
	struct iova_stack_snap *st;
	size_t n;

	if (collector_iova_stacks(r->c, &st, &n))
		return;
	collector_refresh_symbols(r->c); /* once for the table */
	for (size_t i = 0; i < n; i++) {
		st[i].key.dev = dev_id(r, st[i].key.dev);
		st[i].key.stack_id = stack_id_sym(r, st[i].key.stack_id, false);
	}
	check_write(r, rec_write_iova_stacks(&r->w, st, n));
	free(st);
}

/* A snapshot with recording ids in place of kernel pointers. */
static void write_snapshot(struct recorder *r, struct snapshot *s)
{
	bool added;

	for (size_t i = 0; i < s->ndev; i++)
		s->devs[i].key = dev_id(r, s->devs[i].key);
	for (size_t i = 0; i < s->ndom; i++) {
		s->doms[i].key = idmap_get(&r->doms, s->doms[i].key, &added);
		s->doms[i].dev = dev_id(r, s->doms[i].dev);
	}
	check_write(r, rec_write_snapshot(&r->w, s));
	r->snapshots++;
	write_iova_stacks(r);
}

static void header_of(const struct collector *c, long interval_ms, struct rec_header *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->kernel, sizeof(h->kernel), "%s", c->feat.release);
	snprintf(h->tool_version, sizeof(h->tool_version), "%s", IOMMUTRACE_VERSION);
	h->start_realtime_ns = clock_ns(CLOCK_REALTIME);
	h->start_mono_ns = clock_ns(CLOCK_MONOTONIC);
	h->interval_ms = interval_ms;
	h->ncpu = c->ncpu;
	for (int cap = 0; cap < CAP_NR && cap < REC_MAX_SOURCES; cap++) {
		struct rec_source *s = &h->sources[h->nsources++];
		const struct cap_plan *cp = &c->plan.caps[cap];

		snprintf(s->name, sizeof(s->name), "%s", cap_name(cap));
		snprintf(s->mech, sizeof(s->mech), "%s", mech_name(cp->event_mech));
		s->used = cp->hooks_used;
		s->total = cp->hooks_total;
		snprintf(s->detail, sizeof(s->detail), "%s", cp->detail);
	}
}

int cmd_record(int argc, char **argv)
{
	const struct argp argp = {
	    record_options,
	    record_parse,
	    NULL,
	    "Record every event (faults, DMA API issues, unbinds, with symbolized "
	    "stacks) and periodic per-device aggregates to FILE for `iommutrace "
	    "report`.",
	    cli_collector_children,
	    NULL,
	    NULL};
	struct record_args a = {.common.interval_ms = 1000};
	struct recorder r = {};
	struct rec_header h;
	struct collector c;
	struct snapshot s;
	__u64 start, next;
	int ret;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	r.c = &c;
	r.w.f = fopen(a.out, "wb");
	if (!r.w.f) {
		fprintf(stderr, "iommutrace record: cannot create %s: %s\n", a.out,
			strerror(errno));
		return EXIT_ERROR;
	}
	cli_collector_opts()->track_modules = true;
	fault_events_collector_opts(cli_collector_opts(), true); /* as `faults` */
	ret = cli_open_collector(&c, on_event, &r);
	if (ret) {
		fclose(r.w.f);
		remove(a.out);
		return ret;
	}
	fault_events_init(&r.fe, &c);
	header_of(&c, a.common.interval_ms, &h);
	check_write(&r, rec_write_header(&r.w, &h));
	/* The fault source state, before any fault. */
	r.regs_ok_written = !r.fe.regs_ok;
	write_fault(&r, &(struct it_event){.type = 0});
	cli_install_signals(); /* before saying so: a script may signal as soon as it reads it */
	fprintf(stderr, "iommutrace record: recording to %s; %s\n", a.out,
		a.common.duration_ms ? "stops at the end of --duration" : "Ctrl-C to stop");
	start = clock_ns(CLOCK_MONOTONIC);
	next = start;
	while (!g_stop) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);

		if (a.common.duration_ms && now - start >= (__u64)a.common.duration_ms * 1000000)
			break;
		if (now >= next) {
			if (collector_snapshot(&c, &s) == 0)
				write_snapshot(&r, &s);
			snapshot_free(&s);
			next += (__u64)a.common.interval_ms * 1000000;
		}
		collector_poll(&c, 100);
		fault_events_next_poll(&r.fe);
	}
	collector_poll(&c, 0);
	if (collector_snapshot(&c, &s) == 0)
		write_snapshot(&r, &s);
	snapshot_free(&s);
	check_write(&r, rec_write_end(&r.w, clock_ns(CLOCK_MONOTONIC)));
	if (fclose(r.w.f) && !r.failed) {
		fprintf(stderr, "iommutrace record: writing %s failed: %s\n", a.out,
			strerror(errno));
		r.failed = true;
	}
	fprintf(stderr,
		"iommutrace record: %llu event(s) (%llu leak(s), %llu fault(s)), %llu snapshot(s), "
		"%zu device(s), %zu stack(s), %llu bytes in %.1fs to %s\n",
		(unsigned long long)r.events, (unsigned long long)r.leaks,
		(unsigned long long)r.faults, (unsigned long long)r.snapshots, r.devs.n, r.stacks.n,
		(unsigned long long)r.w.bytes, (clock_ns(CLOCK_MONOTONIC) - start) / 1e9, a.out);
	fault_events_free(&r.fe);
	collector_close(&c);
	for (size_t i = 0; i < r.stacks.n; i++)
		free(r.stacks.v[i]);
	free(r.stacks.v);
	free(r.stacks.hash);
	free(r.devs.keys);
	free(r.doms.keys);
	return r.failed ? EXIT_ERROR : EXIT_OK;
}
