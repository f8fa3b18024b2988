// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_top.c: `iommutrace top` — one row per device per interval: DMA map/unmap rates and bytes,
 * live mappings, IOMMU page-table updates, IOVA allocations and cache misses, faults and DMA API
 * issues; drops and missing sources in the footer. --batch prints plain text per interval (for
 * scripts and logs), --json one object per device per interval.
 */
#include "cli.h"
#include "top_tui.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct top_args {
	struct cli_common common;
	bool batch;
	long iterations;
};

static const struct argp_option top_options[] = {
    {"batch", 'b', NULL, 0,
     "Plain text per interval (the default when not on a terminal; else an ncurses view)", 0},
    CLI_OPT_JSON("One JSON object per device per interval"),
    CLI_OPT_INTERVAL("Refresh interval (default 1s)"),
    {"iterations", 'n', "N", 0, "Stop after N intervals", 0},
    {0},
};

static error_t top_parse(int key, char *arg, struct argp_state *state)
{
	struct top_args *a = state->input;
	char *end;

	switch (key) {
	case 'b':
		a->batch = true;
		break;
	case 'n':
		a->iterations = strtol(arg, &end, 10);
		if (*end || end == arg || a->iterations <= 0)
			argp_error(state, "--iterations takes a positive number");
		break;
	default:
		return cli_parse_common(state, &a->common, key, arg);
	}
	return 0;
}

size_t top_rows(const struct collector *c, const struct snapshot *cur, const struct snapshot *prev,
		double secs, struct top_row **rows)
{
	unsigned missing = top_missing_columns(&c->plan);
	struct top_row *v = calloc(cur->ndev ? cur->ndev : 1, sizeof(*v));

	*rows = v;
	if (!v)
		return 0;
	for (size_t i = 0; i < cur->ndev; i++) {
		struct dev_sysfs sf;

		dev_sysfs_lookup("/sys", cur->devs[i].info.name, &sf);
		top_row_fill(&v[i], cur, prev, &cur->devs[i], &sf, secs, missing);
	}
	return cur->ndev;
}

static void print_json(const struct collector *c, const struct snapshot *cur,
		       const struct snapshot *prev, double secs, long iter)
{
	struct top_row *rows;
	size_t n = top_rows(c, cur, prev, secs > 0 ? secs : 1, &rows);

	for (size_t i = 0; i < n; i++) {
		const struct top_row *r = &rows[i];
		json_object *o = top_row_json(r), *dl = json_object_new_object();

		json_object_object_add(o, "iteration", json_object_new_int64(iter));
		json_object_object_add(o, "interval_s", json_object_new_double(secs));
		top_stats_json(dl, &r->delta, &r->io_delta);
		json_object_object_add(o, "interval", dl);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	free(rows);
	json_object *o = json_object_new_object(), *cnt = json_object_new_object();
	static const char *const names[IT_C_NR] = {
	    "ringbuf_dropped",	   "live_overflow",	  "device_overflow",	  "domain_overflow",
	    "context_overflow",	   "context_mismatch",	  "stack_errors",	  "map_errors",
	    "fq_flush_timeouts",   "fq_flushes",	  "fault_irqs",		  "fault_records",
	    "fault_unread",	   "fault_hw_overflow",	  "fault_regs_truncated", "fault_late",
	    "iova_stack_overflow", "in_flight_at_attach",
	};

	json_object_object_add(o, "type", json_object_new_string("summary"));
	json_object_object_add(o, "iteration", json_object_new_int64(iter));
	for (int k = 0; k < IT_C_NR; k++)
		json_object_object_add(cnt, names[k], json_object_new_int64(cur->counters[k]));
	json_object_object_add(o, "counters", cnt);
	/* When tracing began (CLOCK_MONOTONIC ns, as ftrace's "mono" clock); 0 with --source kmod.
	 */
	json_object_object_add(o, "armed_ns", json_object_new_int64((int64_t)c->armed_ns));
	json_object_object_add(o, "ringbuf_events", json_object_new_int64(cur->rb_events));
	json_object_object_add(o, "recursion_misses", json_object_new_int64(cur->recursion_misses));
	json_object_object_add(o, "bpf_run_ns", json_object_new_int64(cur->bpf_run_ns));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

void top_print_table(FILE *out, const struct top_row *rows, size_t n, const struct snapshot *s)
{
	char line[512];

	top_header_line(line, sizeof(line));
	fprintf(out, "\n%s\n", line);
	for (size_t i = 0; i < n; i++) {
		top_row_line(&rows[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	fprintf(out,
		"drops: ringbuf %llu, live-table full %llu, context mismatches %llu (calls in "
		"flight at attach %llu), recursion misses %llu; fault irqs %llu\n",
		(unsigned long long)s->counters[IT_C_RB_DROPPED],
		(unsigned long long)s->counters[IT_C_LIVE_OVERFLOW],
		(unsigned long long)s->counters[IT_C_CTX_MISMATCH],
		(unsigned long long)s->counters[IT_C_ATTACH_INFLIGHT],
		(unsigned long long)s->recursion_misses,
		(unsigned long long)s->counters[IT_C_FAULT_IRQ]);
}

static void print_text(const struct collector *c, const struct snapshot *cur,
		       const struct snapshot *prev, double secs)
{
	struct top_row *rows;
	size_t n = top_rows(c, cur, prev, secs, &rows);

	top_print_table(stdout, rows, n, cur);
	free(rows);
	for (int cap = 0; cap < CAP_NR; cap++)
		if (!cap_available(&c->plan, cap))
			printf("missing: %s (%s)\n", cap_label(cap), c->plan.caps[cap].detail);
}

int cmd_top(int argc, char **argv)
{
	const struct argp argp = {top_options,
				  top_parse,
				  NULL,
				  "Live per-device view of DMA mapping, IOVA allocation and "
				  "fault activity.",
				  cli_collector_children,
				  NULL,
				  NULL};
	struct top_args a = {.common.interval_ms = 1000};
	struct snapshot prev, cur;
	struct collector c;
	long iter = 0;
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	bool tui = !a.batch && !a.common.json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	char why[128];

	if (tui && !top_tui_usable(why, sizeof(why))) {
		fprintf(
		    stderr,
		    "iommutrace top: %s, so no interactive view: printing the batch view instead "
		    "(set TERM or TERMINFO, or pass --batch)\n",
		    why);
		tui = false;
	}

	cli_collector_opts()->bpf_stats = tui;
	/* top shows no stacks: no kernel stack walk per mapping (the costliest part of a map). */
	cli_collector_opts()->no_stacks = true;
	r = cli_open_collector(&c, NULL, NULL);
	if (r)
		return r;
	cli_install_signals();
	if (tui) {
		r = top_tui(&c, a.common.interval_ms, a.iterations);
		collector_close(&c);
		return r;
	}
	r = collector_snapshot(&c, &prev) ? EXIT_ERROR : EXIT_OK; /* e.g. a malformed kmod table */
	while (!r && (!a.iterations || iter < a.iterations)) {
		collector_poll(&c, a.common.interval_ms);
		/* Interrupted: still report the partial interval, then stop. */
		if (collector_snapshot(&c, &cur)) {
			r = EXIT_ERROR;
			break;
		}
		iter++;
		double secs = (cur.ts_ns - prev.ts_ns) / 1e9;

		if (a.common.json)
			print_json(&c, &cur, &prev, secs, iter);
		else
			print_text(&c, &cur, &prev, secs > 0 ? secs : 1);
		fflush(stdout);
		snapshot_free(&prev);
		prev = cur;
		if (g_stop)
			break;
	}
	snapshot_free(&prev);
	collector_close(&c);
	return r;
}
