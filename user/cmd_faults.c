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
#include "faultview.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct faults_args {
	struct cli_common common;
	double threshold; /* faults/s */
	long window_ms;
};

struct faults_state {
	struct faults_args *a;
	struct collector *c;
	struct fault_events fe;
	struct fault_view v;
};

static const struct argp_option faults_options[] = {
    CLI_OPT_DURATION,
    CLI_OPT_INTERVAL("Also print the per-device summary every DURATION"),
    CLI_OPT_DEVICE("Only faults of this device (e.g. 0000:00:03.0)"),
    {"storm-threshold", 't', "N", 0, "Faults per second that make a storm (default 5)", 0},
    {"window", 'w', "DURATION", 0, "Window the fault rate is measured over (default 2s)", 0},
    CLI_OPT_JSON("One JSON object per fault, then one fault_summary per device"),
    {0},
};

static error_t faults_parse(int key, char *arg, struct argp_state *state)
{
	struct faults_args *a = state->input;
	char *end;

	switch (key) {
	case 'w':
		a->window_ms = argp_duration(state, "--window", arg, true);
		if (a->window_ms < 125 || a->window_ms > 8000)
			argp_error(state, "--window must be between 125ms and 8s");
		break;
	case 't':
		a->threshold = strtod(arg, &end);
		if (end == arg || *end || !(a->threshold > 0))
			argp_error(state, "--storm-threshold: '%s' is not a positive number", arg);
		break;
	default:
		return cli_parse_common(state, &a->common, key, arg);
	}
	return 0;
}

static bool wanted(const struct faults_state *st, const char *device)
{
	return !st->a->common.device || strcmp(st->a->common.device, device) == 0;
}

static void on_event(void *ctx, const struct it_event *e)
{
	struct faults_state *st = ctx;
	struct fault_rec r;
	enum fe_kind k = fault_events_decode(&st->fe, e, &r);

	if ((k == FE_FAULT || k == FE_PRINTED) && wanted(st, r.device))
		faultview_add(&st->v, k, &r);
}

static void print_summary(struct faults_state *st, const struct snapshot *snap, bool final)
{
	st->v.irqs_unread = st->fe.irqs_unread;
	st->v.regs_ok = st->fe.regs_ok;
	faultview_summary(&st->v, snap, final);
}

int cmd_faults(int argc, char **argv)
{
	const struct argp argp = {
	    faults_options,
	    faults_parse,
	    NULL,
	    "Show IOMMU faults per device: exact counts (also those the kernel "
	    "no longer prints), decoded, with the DMA mapping each falls in and "
	    "a diagnosis; storms detected over a sliding window.",
	    cli_collector_children,
	    NULL,
	    NULL};
	struct faults_args a = {.threshold = FAULTVIEW_STORM_THRESHOLD,
				.window_ms = FAULTVIEW_WINDOW_MS};
	struct faults_state st = {.a = &a};
	struct collector c;
	struct snapshot snap;
	__u64 start, last_sum;
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	st.c = &c;
	cli_collector_opts()->track_modules = true;
	fault_events_collector_opts(cli_collector_opts(), true);
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
	faultview_init(&st.v, stack_src_collector(&c), a.common.json, a.threshold,
		       (__u64)a.window_ms * 1000000ULL,
		       clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
	cli_install_signals(); /* before "watching": scripts signal as soon as they read it */
	fprintf(stderr, "iommutrace faults: watching; %s\n",
		a.common.duration_ms ? "stops at the end of --duration" : "Ctrl-C to stop");
	start = last_sum = clock_ns(CLOCK_MONOTONIC);
	while (!g_stop) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);

		if (a.common.duration_ms && (now - start) / 1000000 >= (__u64)a.common.duration_ms)
			break;
		collector_poll(&c, 200);
		fault_events_next_poll(&st.fe);
		now = clock_ns(CLOCK_MONOTONIC);
		faultview_tick(&st.v, now);
		if (a.common.interval_ms &&
		    (now - last_sum) / 1000000 >= (__u64)a.common.interval_ms) {
			collector_snapshot(&c, &snap);
			print_summary(&st, &snap, false);
			snapshot_free(&snap);
			last_sum = now;
		}
	}
	collector_poll(&c, 0);
	faultview_finish(&st.v);
	collector_snapshot(&c, &snap);
	print_summary(&st, &snap, true);
	if (snap.counters[IT_C_RB_DROPPED])
		fprintf(stderr,
			"iommutrace faults: %" PRIu64 " events dropped (ring buffer full: raise "
			"--ringbuf-kb); counts above are short by at most that many\n",
			(uint64_t)snap.counters[IT_C_RB_DROPPED]);
	snapshot_free(&snap);
	fault_events_free(&st.fe);
	faultview_free(&st.v);
	collector_close(&c);
	return EXIT_OK;
}
