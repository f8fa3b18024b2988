// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_check.c: `iommutrace check` — the DMA-API debug checks, live, on a stock kernel: unmaps and
 * syncs that disagree with the mapping, double and unknown unmaps, sg nents mismatches, and
 * mappings leaked at driver unbind (or older than --leak-age). Findings are deduplicated by stack
 * pair and printed when the check ends; exit status 1 if there is any, so it can gate a driver's
 * CI.
 */
#include "cli.h"
#include "devices.h"
#include "fault_events.h"
#include "checkview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct check_args {
	struct cli_common common;
	long leak_age_ms; /* 0: no age check */
	const char *driver;
};

/* What sysfs says about a device, looked up once per device, not once per event. */
struct dev_names {
	__u64 dev;
	char name[IT_NAME_LEN], driver[IT_NAME_LEN];
	bool translated; /* IOMMU group type DMA or DMA-FQ */
};

/* When a device's driver last unbound: its mappings from before are leak findings already. */
struct unbound {
	__u64 dev, ns;
};

struct check_state {
	struct collector *c;
	struct fault_events fe;
	struct findings f;
	struct dev_names *devs;
	size_t ndevs;
	struct unbound *unbound;
	size_t nunbound;
	struct live_groups live;   /* mappings live at the end */
	__u64 now_ns, leak_age_ns; /* at the end; --leak-age (0: none) */
};

static const struct argp_option check_options[] = {
    CLI_OPT_DURATION,
    CLI_OPT_DEVICE("Only findings for this device (e.g. 0000:00:03.0)"),
    {"driver", 'r', "NAME", 0, "Only findings for devices bound to this driver", 0},
    {"leak-age", 'a', "DURATION", 0,
     "At the end, also report mappings live for longer than DURATION as leaks", 0},
    CLI_OPT_JSON("One JSON object per finding"),
    {0},
};

static error_t check_parse(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;

	switch (key) {
	case 'a':
		a->leak_age_ms = argp_duration(state, "--leak-age", arg, true);
		break;
	case 'r':
		a->driver = arg;
		break;
	default:
		return cli_parse_common(state, &a->common, key, arg);
	}
	return 0;
}

/*
 * A device's name, driver (bound now, else the one BPF saw first) and whether its DMA goes through
 * IOMMU page tables; cached until the device's driver unbinds.
 */
static const struct dev_names *dev_names(struct check_state *st, __u64 dev)
{
	struct it_dev_info info;
	struct dev_names *n, *more;
	struct dev_sysfs sf;

	for (size_t i = 0; i < st->ndevs; i++)
		if (st->devs[i].dev == dev)
			return &st->devs[i];
	more = realloc(st->devs, (st->ndevs + 1) * sizeof(*more));
	if (!more) {
		static struct dev_names unknown;

		return &unknown;
	}
	st->devs = more;
	n = &st->devs[st->ndevs++];
	memset(n, 0, sizeof(*n));
	n->dev = dev;
	collector_dev_info(st->c, dev, &info);
	snprintf(n->name, sizeof(n->name), "%s", info.name);
	if (dev_sysfs_lookup("/sys", info.name, &sf) == 0 && sf.group >= 0)
		n->translated =
		    strcmp(sf.group_type, "DMA") == 0 || strcmp(sf.group_type, "DMA-FQ") == 0;
	snprintf(n->driver, sizeof(n->driver), "%s", sf.driver[0] ? sf.driver : info.driver);
	return n;
}

static void dev_names_forget(struct check_state *st, __u64 dev)
{
	for (size_t i = 0; i < st->ndevs; i++)
		if (st->devs[i].dev == dev)
			st->devs[i] = st->devs[--st->ndevs];
}

/* A driver unbind: the device's live mappings from before it are leaks. */
struct leak_scan {
	struct check_state *st;
	const struct it_event *unbind;
	char name[IT_NAME_LEN], driver[IT_NAME_LEN];
};

static void leak_one(void *ctx, const struct it_live_key *k, const struct it_live_val *v)
{
	struct leak_scan *ls = ctx;
	struct it_event e;

	if (check_unbind_leak(&e, ls->unbind, k, v))
		findings_add_event(&ls->st->f, &e, ls->name, ls->driver);
}

static struct unbound *find_unbound(struct check_state *st, __u64 dev)
{
	for (size_t i = 0; i < st->nunbound; i++)
		if (st->unbound[i].dev == dev)
			return &st->unbound[i];
	return NULL;
}

static void note_unbind(struct check_state *st, const struct it_event *e)
{
	struct unbound *u = find_unbound(st, e->dev), *more;

	if (!u) {
		more = realloc(st->unbound, (st->nunbound + 1) * sizeof(*more));
		if (!more)
			return;
		st->unbound = more;
		u = &st->unbound[st->nunbound++];
		u->dev = e->dev;
	}
	u->ns = e->ts_ns;
}

/* A mapping live at the end: a leak finding when older than --leak-age; else, unless its driver's
 * unbind reported it as a leak already, one of the mappings still live. */
static void at_end_one(void *ctx, const struct it_live_key *k, const struct it_live_val *v)
{
	struct check_state *st = ctx;
	const struct unbound *u = find_unbound(st, k->dev);
	const struct dev_names *n;
	struct it_event e;

	if (st->leak_age_ns && st->now_ns - v->map_ns >= st->leak_age_ns) {
		n = dev_names(st, k->dev);
		check_leak_event(&e, k, v, -1);
		findings_add_event(&st->f, &e, n->name, n->driver);
	} else if (!u || !check_mapped_before_unbind(v, u->ns)) {
		n = dev_names(st, k->dev);
		live_groups_add(&st->live, k->dev, v, n->name, n->driver);
	}
}

static const char *live_site(void *ctx, __s32 stack_id, char *buf, size_t len)
{
	return stack_src_caller(ctx, stack_id, buf, len);
}

/* A device fault inside a live mapping whose direction forbids that access. */
static void fault_in_mapping(struct check_state *st, const struct it_event *e)
{
	struct fault_rec r;
	struct finding one;

	if (fault_events_decode(&st->fe, e, &r) == FE_FAULT && check_fault_finding(&r, &one))
		findings_add(&st->f, &one);
}

static void on_event(void *ctx, const struct it_event *e)
{
	struct check_state *st = ctx;

	if (e->type == IT_EV_FAULT || e->type == IT_EV_CONSOLE || e->type == IT_EV_FAULT_IRQ) {
		fault_in_mapping(st, e);
		return;
	}

	if (e->type == IT_EV_DMA_ISSUE) {
		const struct dev_names *n = dev_names(st, e->dev);

		if (!check_event_is_finding(e, n->translated))
			return; /* no page-table evidence for an untranslated device */
		findings_add_event(&st->f, e, n->name, n->driver);
	} else if (e->type == IT_EV_UNBIND) {
		struct it_dev_info info;
		struct leak_scan ls = {.st = st, .unbind = e};

		dev_names_forget(st, e->dev);
		note_unbind(st, e);
		/* The driver is gone from sysfs now: use the one BPF saw while it was bound. */
		collector_dev_info(st->c, e->dev, &info);
		snprintf(ls.name, sizeof(ls.name), "%s", info.name);
		snprintf(ls.driver, sizeof(ls.driver), "%s", info.driver);
		collector_live_scan(st->c, e->dev, leak_one, &ls);
	}
}

int cmd_check(int argc, char **argv)
{
	const struct argp argp = {check_options,
				  check_parse,
				  NULL,
				  "Find DMA API misuse live (the CONFIG_DMA_API_DEBUG checks on a "
				  "stock kernel). Exit status 1 if anything is found.",
				  cli_collector_children,
				  NULL,
				  NULL};
	struct check_args a = {};
	struct check_state st = {};
	struct collector c;
	struct check_view view = {stack_src_collector(&c), stdout};
	__u64 start, end;
	struct snapshot snap;
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	st.c = &c;
	cli_collector_opts()->track_modules = true;
	fault_events_collector_opts(cli_collector_opts(), false); /* faults inside mappings */
	r = cli_open_collector(&c, on_event, &st);
	if (r)
		return r;
	if (c.kmod) {
		fprintf(stderr,
			"iommutrace check: needs the BPF side (%s): the kernel module counts DMA "
			"calls but tracks no mappings, so no misuse can be checked\n",
			c.load_note);
		collector_close(&c);
		return EXIT_ERROR;
	}
	fault_events_init(&st.fe, &c);
	for (int cap = CAP_DMA_MAP; cap <= CAP_DMA_SYNC; cap++)
		if (!cap_available(&c.plan, cap) && cap != CAP_DMA_SYNC)
			fprintf(stderr,
				"iommutrace check: %s unavailable (%s): its checks are off\n",
				cap_label(cap), c.plan.caps[cap].detail);
	if (c.plan.caps[CAP_DRIVER_UNBIND].hooks_used == 0)
		fprintf(stderr,
			"iommutrace check: no driver-unbind hook: leaks only with --leak-age\n");
	/* Handlers first: scripts send SIGINT as soon as they read "watching". */
	cli_install_signals();
	fprintf(stderr, "iommutrace check: watching; %s\n",
		a.common.duration_ms ? "stops at the end of --duration" : "Ctrl-C to stop");
	start = clock_ns(CLOCK_MONOTONIC);
	while (!g_stop && (!a.common.duration_ms || (clock_ns(CLOCK_MONOTONIC) - start) / 1000000 <
							(__u64)a.common.duration_ms)) {
		collector_poll(&c, 200);
		fault_events_next_poll(&st.fe);
	}
	collector_poll(&c, 0);
	end = clock_ns(CLOCK_MONOTONIC);
	/* Live-table times are bpf_ktime_get_ns(): CLOCK_MONOTONIC. */
	st.now_ns = clock_ns(CLOCK_MONOTONIC);
	st.leak_age_ns = (__u64)a.leak_age_ms * 1000000;
	collector_live_scan(&c, 0, at_end_one, &st);
	findings_filter(&st.f, a.common.device, a.driver);
	findings_sort(&st.f);
	live_groups_by_site(&st.live, live_site, &view.stacks);
	live_groups_filter(&st.live, a.common.device, a.driver);
	live_groups_sort(&st.live);
	collector_snapshot(&c, &snap);
	check_print(&view, &st.f, a.common.json, (end - start) / 1e9);
	check_print_live(&view, &st.live, a.common.json, st.now_ns);
	if (snap.counters[IT_C_RB_DROPPED] || snap.counters[IT_C_LIVE_OVERFLOW])
		fprintf(
		    stderr,
		    "iommutrace check: incomplete: %llu events dropped, %llu mappings not tracked "
		    "(raise --ringbuf-kb / --max-mappings)\n",
		    (unsigned long long)snap.counters[IT_C_RB_DROPPED],
		    (unsigned long long)snap.counters[IT_C_LIVE_OVERFLOW]);
	snapshot_free(&snap);
	r = st.f.n ? EXIT_FOUND : EXIT_OK;
	findings_free(&st.f);
	live_groups_free(&st.live);
	fault_events_free(&st.fe);
	free(st.devs);
	free(st.unbound);
	collector_close(&c);
	return r;
}
