// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_top.c: `iommutrace top` — one row per device per interval: DMA map/unmap rates and bytes,
 * live mappings, IOMMU page-table updates, IOVA allocations and cache misses, faults and DMA API
 * issues; drops and missing sources in the footer. --batch prints plain text per interval (for
 * scripts and logs), --json one object per device per interval.
 */
#include "cli.h"
#include "devices.h"
#include "hist.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct top_args {
	bool batch, json;
	long interval_ms;
	long iterations;
};

static const struct argp_option top_options[] = {
    {"batch", 'b', NULL, 0, "Plain text per interval (the default when not on a terminal)", 0},
    {"json", 'j', NULL, 0, "One JSON object per device per interval", 0},
    {"interval", 'i', "DURATION", 0, "Refresh interval (default 1s)", 0},
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
	case 'j':
		a->json = true;
		break;
	case 'i':
		a->interval_ms = argp_duration(state, "--interval", arg, true);
		break;
	case 'n':
		a->iterations = strtol(arg, &end, 10);
		if (*end || end == arg || a->iterations <= 0)
			argp_error(state, "--iterations takes a positive number");
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* IOVA aggregates of the domains a device allocated from. */
static void dev_iova(const struct snapshot *s, __u64 dev, struct it_dom_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->ndom; i++) {
		const __u64 *src = (const __u64 *)&s->doms[i].st;
		__u64 *dst = (__u64 *)out;

		if (s->doms[i].dev != dev)
			continue;
		for (size_t k = 0; k < sizeof(*out) / sizeof(__u64); k++)
			dst[k] += src[k];
	}
}

/* One device over one interval: its counters (delta and total), IOVA of its domains, sysfs. */
struct dev_interval {
	struct it_dev_stats delta;
	struct it_dom_stats io, io_delta;
	struct dev_sysfs sf;
	const char *driver; /* bound now, else the one BPF saw */
};

static void dev_interval(const struct snapshot *cur, const struct snapshot *prev,
			 const struct dev_snap *d, struct dev_interval *out)
{
	const struct dev_snap *p = snapshot_dev(prev, d->key);
	struct it_dom_stats io_prev;

	if (p)
		u64_struct_delta(&out->delta, &d->st, &p->st, sizeof(out->delta));
	else
		out->delta = d->st;
	dev_iova(cur, d->key, &out->io);
	dev_iova(prev, d->key, &io_prev);
	u64_struct_delta(&out->io_delta, &out->io, &io_prev, sizeof(io_prev));
	dev_sysfs_lookup("/sys", d->info.name, &out->sf);
	out->driver = out->sf.driver[0] ? out->sf.driver : d->info.driver;
}

static void add_stats_json(json_object *o, const struct it_dev_stats *st,
			   const struct it_dom_stats *io)
{
#define ADD(name, v) json_object_object_add(o, name, json_object_new_int64((int64_t)(v)))
	ADD("map", st->map);
	ADD("map_bytes", st->map_bytes);
	ADD("unmap", st->unmap);
	ADD("unmap_bytes", st->unmap_bytes);
	ADD("map_sg", st->map_sg);
	ADD("map_sg_ents", st->map_sg_ents);
	ADD("map_sg_bytes", st->map_sg_bytes);
	ADD("unmap_sg", st->unmap_sg);
	ADD("coherent_alloc", st->alloc);
	ADD("coherent_free", st->free);
	ADD("sync_cpu", st->sync_cpu);
	ADD("sync_device", st->sync_dev);
	ADD("pgt_map", st->pgt_map);
	ADD("pgt_map_bytes", st->pgt_map_bytes);
	ADD("pgt_unmap", st->pgt_unmap);
	ADD("pgt_unmap_bytes", st->pgt_unmap_bytes);
	ADD("faults", st->faults);
	ADD("issues", st->issues);
	ADD("iova_allocs", io->allocs);
	ADD("iova_frees", io->frees);
	ADD("iova_cache_misses", io->cache_misses);
	ADD("map_p99_ns", hist_quantile(st->hist[IT_H_MAP], IT_HIST_SLOTS, 0.99));
	ADD("unmap_p99_ns", hist_quantile(st->hist[IT_H_UNMAP], IT_HIST_SLOTS, 0.99));
	ADD("iova_alloc_p99_ns", hist_quantile(io->hist[IT_H_ALLOC], IT_HIST_SLOTS, 0.99));
#undef ADD
}

static void print_json(const struct snapshot *cur, const struct snapshot *prev, double secs,
		       long iter)
{
	for (size_t i = 0; i < cur->ndev; i++) {
		const struct dev_snap *d = &cur->devs[i];
		struct dev_interval di;
		json_object *o = json_object_new_object(), *tot = json_object_new_object();
		json_object *dl = json_object_new_object();

		dev_interval(cur, prev, d, &di);
		json_object_object_add(o, "type", json_object_new_string("device"));
		json_object_object_add(o, "iteration", json_object_new_int64(iter));
		json_object_object_add(o, "interval_s", json_object_new_double(secs));
		json_object_object_add(
		    o, "device", d->info.name[0] ? json_object_new_string(d->info.name) : NULL);
		json_object_object_add(o, "driver", json_object_new_string(di.driver));
		json_object_object_add(o, "iommu_group",
				       di.sf.group >= 0 ? json_object_new_int(di.sf.group) : NULL);
		json_object_object_add(o, "live", json_object_new_int64(dev_live(&d->st)));
		add_stats_json(dl, &di.delta, &di.io_delta);
		add_stats_json(tot, &d->st, &di.io);
		json_object_object_add(o, "interval", dl);
		json_object_object_add(o, "total", tot);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	json_object *o = json_object_new_object(), *cnt = json_object_new_object();
	static const char *const names[IT_C_NR] = {
	    "ringbuf_dropped",	   "live_overflow",	"device_overflow",	"domain_overflow",
	    "context_overflow",	   "context_mismatch",	"stack_errors",		"map_errors",
	    "fq_flush_timeouts",   "fq_flushes",	"fault_irqs",		"fault_records",
	    "fault_unread",	   "fault_hw_overflow", "fault_regs_truncated", "fault_late",
	    "iova_stack_overflow",
	};

	json_object_object_add(o, "type", json_object_new_string("summary"));
	json_object_object_add(o, "iteration", json_object_new_int64(iter));
	for (int c = 0; c < IT_C_NR; c++)
		json_object_object_add(cnt, names[c], json_object_new_int64(cur->counters[c]));
	json_object_object_add(o, "counters", cnt);
	json_object_object_add(o, "ringbuf_events", json_object_new_int64(cur->rb_events));
	json_object_object_add(o, "recursion_misses", json_object_new_int64(cur->recursion_misses));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void print_text(const struct collector *c, const struct snapshot *cur,
		       const struct snapshot *prev, double secs)
{
	char label[80], p99[16], ap99[16];

	printf("\n%-26s %8s %8s %8s %7s %8s %8s %6s %8s %8s %7s %6s\n", "DEVICE", "MAP/s",
	       "UNMAP/s", "MB/s", "LIVE", "PGTMAP/s", "IOVA/s", "MISS%", "MAP_P99", "IOVA_P99",
	       "FAULT/s", "ISSUES");
	for (size_t i = 0; i < cur->ndev; i++) {
		const struct dev_snap *d = &cur->devs[i];
		struct dev_interval di;
		const struct it_dev_stats *dl = &di.delta;
		const struct it_dom_stats *iod = &di.io_delta;

		dev_interval(cur, prev, d, &di);
		dev_label(label, sizeof(label), d->info.name, di.driver);
		printf("%-26.26s %8.0f %8.0f %8.2f %7lld %8.0f %8.0f %6.1f %8s %8s %7.0f %6llu\n",
		       label, (dl->map + dl->map_sg + dl->alloc) / secs,
		       (dl->unmap + dl->unmap_sg + dl->free) / secs,
		       (dl->map_bytes + dl->map_sg_bytes) / secs / 1e6, (long long)dev_live(&d->st),
		       dl->pgt_map / secs, iod->allocs / secs,
		       iod->allocs ? 100.0 * iod->cache_misses / iod->allocs : 0.0,
		       fmt_ns(p99, sizeof(p99),
			      hist_quantile(dl->hist[IT_H_MAP], IT_HIST_SLOTS, 0.99)),
		       fmt_ns(ap99, sizeof(ap99),
			      hist_quantile(iod->hist[IT_H_ALLOC], IT_HIST_SLOTS, 0.99)),
		       dl->faults / secs, (unsigned long long)d->st.issues);
	}
	printf(
	    "drops: ringbuf %llu, live-table full %llu, context mismatches %llu, recursion misses "
	    "%llu; fault irqs %llu\n",
	    (unsigned long long)cur->counters[IT_C_RB_DROPPED],
	    (unsigned long long)cur->counters[IT_C_LIVE_OVERFLOW],
	    (unsigned long long)cur->counters[IT_C_CTX_MISMATCH],
	    (unsigned long long)cur->recursion_misses,
	    (unsigned long long)cur->counters[IT_C_FAULT_IRQ]);
	for (int cap = 0; cap < CAP_NR; cap++)
		if (c->plan.caps[cap].hooks_used == 0)
			printf("missing: %s (%s)\n", cap_label(cap), c->plan.caps[cap].detail);
}

int cmd_top(int argc, char **argv)
{
	static const struct argp_child children[] = {{&collector_argp, 0, "Collector options:", 0},
						     {0}};
	const struct argp argp = {top_options,
				  top_parse,
				  NULL,
				  "Live per-device view of DMA mapping, IOVA allocation and "
				  "fault activity.",
				  children,
				  NULL,
				  NULL};
	struct top_args a = {.interval_ms = 1000};
	struct snapshot prev, cur;
	struct collector c;
	long iter = 0;
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	r = cli_open_collector(&c, NULL, NULL);
	if (r)
		return r;
	cli_install_signals();
	collector_snapshot(&c, &prev);
	while (!a.iterations || iter < a.iterations) {
		collector_poll(&c, a.interval_ms);
		/* Interrupted: still report the partial interval, then stop. */
		if (collector_snapshot(&c, &cur))
			break;
		iter++;
		double secs = (cur.ts_ns - prev.ts_ns) / 1e9;

		if (a.json)
			print_json(&cur, &prev, secs, iter);
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
	return EXIT_OK;
}
