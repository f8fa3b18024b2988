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
#include "iovaview.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iova_args {
	struct cli_common common;
	int top;
	int folded; /* 0, or 1 + enum iova_rank */
};

/* One reading: the aggregates and the per-stack table. */
struct iova_reading {
	struct snapshot s;
	struct iova_stack_snap *stacks;
	size_t nstacks;
};

enum { OPT_FOLDED = 'f', OPT_TOP = 0x1100 };

static const struct argp_option iova_options[] = {
    CLI_OPT_INTERVAL("Print a report every DURATION (default: one at the end)"),
    CLI_OPT_DURATION,
    CLI_OPT_DEVICE("Only this device (e.g. 0000:00:04.0)"),
    CLI_OPT_JSON("One \"iova_summary\" JSON object per device and the total"),
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
	case ARGP_KEY_END:
		if (a->folded && (a->common.json || a->common.interval_ms))
			argp_error(state, "--folded prints one stack list at the end: it takes "
					  "neither --json nor --interval");
		break;
	default:
		return cli_parse_common(state, &a->common, key, arg);
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

/*
 * What the run is measured from: with BPF, nothing, at the instant tracing began (the maps start
 * empty, and a first reading taken later would drop what was counted meanwhile: seconds of busy
 * traffic under emulation); the kernel module counts from its load, so there a first reading.
 */
static int read_start(struct collector *c, struct iova_reading *r)
{
	if (c->kmod)
		return read_now(c, r);
	memset(r, 0, sizeof(*r));
	r->s.ts_ns = c->armed_ns;
	return 0;
}

static void reading_free(struct iova_reading *r)
{
	snapshot_free(&r->s);
	free(r->stacks);
	memset(r, 0, sizeof(*r));
}

static void row_names(void *ctx, __u64 dev, struct iova_names *n)
{
	struct collector *c = ctx;
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
static const char *folded_root(char *buf, size_t len, __u64 dev, const struct iova_names *n)
{
	if (!dev)
		snprintf(buf, len, "no_device");
	else if (n->driver[0])
		snprintf(buf, len, "%s:%s", n->driver, n->name[0] ? n->name : "?");
	else
		snprintf(buf, len, "%s", n->name[0] ? n->name : "unknown_device");
	return buf;
}

static void print_folded(const struct iova_view *v, const struct iova_args *a)
{
	enum iova_rank by = a->folded - 1;
	char stack[4096], line[4200], root[80];

	for (size_t i = 0; i < v->nstacks; i++) {
		const struct iova_stack_snap *s = &v->stacks[i];
		struct iova_names rn;
		__u64 w = iova_stack_weight(s, by);

		if (!w)
			continue;
		v->names(v->names_ctx, s->key.dev, &rn);
		if (!iovaview_wanted(v, &rn))
			continue;
		printf("%s\n",
		       iova_folded_line(
			   line, sizeof(line), folded_root(root, sizeof(root), s->key.dev, &rn),
			   iovaview_stack_text(v, s->key.stack_id, stack, sizeof(stack)), w));
	}
	fflush(stdout);
}

/* Report cur against prev (deltas). */
static void interval(struct collector *c, const struct iova_args *a, struct iova_reading *prev,
		     struct iova_reading *cur, long iter)
{
	struct iova_view v = {.sym = stack_src_collector(c),
			      .names = row_names,
			      .names_ctx = c,
			      .ncpu = c->ncpu,
			      .json = a->common.json,
			      .final = !a->common.interval_ms,
			      .device = a->common.device,
			      .top = a->top,
			      .cur = &cur->s,
			      .prev = &prev->s,
			      .iter = iter};

	v.secs = (cur->s.ts_ns - prev->s.ts_ns) / 1e9;
	iovaview_deltas(&v, cur->stacks, cur->nstacks, prev->stacks, prev->nstacks);
	if (a->folded)
		print_folded(&v, a);
	else
		iovaview_report(&v);
	free(v.stacks);
}

int cmd_iova(int argc, char **argv)
{
	const struct argp argp = {
	    iova_options,
	    iova_parse,
	    NULL,
	    "IOVA allocator rates, latency, per-CPU cache misses, size classes "
	    "and the stacks behind them, per device and in total.",
	    cli_collector_children,
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
	if (read_start(&c, &first) || read_start(&c, &prev)) {
		fprintf(stderr, "iommutrace iova: cannot read the BPF maps\n");
		collector_close(&c);
		return EXIT_ERROR;
	}
	cli_install_signals(); /* before saying so: a script may signal as soon as it reads it */
	fprintf(stderr, "iommutrace iova: tracing; %s\n",
		a.common.duration_ms ? "stops at the end of --duration" : "Ctrl-C to stop");
	start = clock_ns(CLOCK_MONOTONIC);
	next = start + (__u64)a.common.interval_ms * 1000000;
	for (;;) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);
		bool done = g_stop || (a.common.duration_ms &&
				       now >= start + (__u64)a.common.duration_ms * 1000000);

		if (!done && (!a.common.interval_ms || now < next)) {
			collector_poll(&c, 100);
			continue;
		}
		if (read_now(&c, &cur))
			break;
		if (a.common.interval_ms) {
			interval(&c, &a, &prev, &cur, ++iter);
			reading_free(&prev);
			prev = cur;
			next += (__u64)a.common.interval_ms * 1000000;
		}
		if (done) {
			if (!a.common.interval_ms) /* one report over the whole run */
				interval(&c, &a, &first, &cur, 1);
			if (a.common.interval_ms)
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
