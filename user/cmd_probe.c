// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_probe.c: `iommutrace probe` — for every capability, the source used on this kernel and why
 * the better ones are not; loads and attaches them for real. --watch shows live hit counts per
 * hook, which proves each source sees traffic.
 */
#include "cli.h"
#include "kmod_source.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct probe_args {
	struct cli_common common;
	long watch_ms;
};

static const struct argp_option probe_options[] = {
    CLI_OPT_JSON("Print one JSON object"),
    {"watch", 'w', "DURATION", 0,
     "After attaching, print per-source event counts every interval for DURATION (e.g. 20s)", 0},
    CLI_OPT_INTERVAL("Interval for --watch (default 1s)"),
    {0},
};

static error_t probe_parse(int key, char *arg, struct argp_state *state)
{
	struct probe_args *a = state->input;

	switch (key) {
	case 'w':
		a->watch_ms = argp_duration(state, "--watch", arg, false);
		break;
	default:
		return cli_parse_common(state, &a->common, key, arg);
	}
	return 0;
}

/* The kernel module as a source: the one in use, else a look at whether it is loaded. */
struct kmod_status {
	bool loaded, in_use;
	struct kmod_source k;
	char err[256];
};

static void kmod_status(const struct collector *c, struct kmod_status *st)
{
	memset(st, 0, sizeof(*st));
	if (c->kmod) {
		st->loaded = st->in_use = true;
		st->k = *c->kmod;
		st->k.devs = NULL; /* a shallow copy: the collector owns them */
		return;
	}
	st->loaded = kmod_source_open(&st->k, kmod_source_dir(), st->err, sizeof(st->err)) == 0;
}

static void print_kmod(const struct kmod_status *st)
{
	if (!st->loaded) {
		printf("  kernel module: %s\n", st->err);
		return;
	}
	printf("  kernel module: loaded (format %d, %s), %s\n    hooks:", st->k.format, st->k.dir,
	       st->in_use ? "in use" : "not in use (BPF is)");
	for (size_t i = 0; i < st->k.hooks.n; i++)
		printf(" %s=%s", st->k.hooks.v[i].name,
		       st->k.hooks.v[i].symbol[0] ? st->k.hooks.v[i].symbol : "(missing)");
	printf("\n    VT-d fault decoding: %s%s%s\n", st->k.hooks.fault_decode ? "on" : "off",
	       st->k.hooks.fault_note[0] ? ": " : "", st->k.hooks.fault_note);
}

static json_object *kmod_json(const struct kmod_status *st)
{
	json_object *o = json_object_new_object(), *h = json_object_new_object();

	json_object_object_add(o, "loaded", json_object_new_boolean(st->loaded));
	json_object_object_add(o, "in_use", json_object_new_boolean(st->in_use));
	if (!st->loaded) {
		json_object_object_add(o, "reason", json_object_new_string(st->err));
		json_object_put(h);
		return o;
	}
	json_object_object_add(o, "format", json_object_new_int(st->k.format));
	json_object_object_add(o, "dir", json_object_new_string(st->k.dir));
	for (size_t i = 0; i < st->k.hooks.n; i++)
		json_object_object_add(h, st->k.hooks.v[i].name,
				       st->k.hooks.v[i].symbol[0]
					   ? json_object_new_string(st->k.hooks.v[i].symbol)
					   : NULL);
	json_object_object_add(o, "hooks", h);
	json_object_object_add(o, "fault_decode",
			       json_object_new_boolean(st->k.hooks.fault_decode));
	json_object_object_add(o, "fault_note", json_object_new_string(st->k.hooks.fault_note));
	return o;
}

static void print_text(const struct collector *c, const struct kmod_status *km)
{
	const struct features *f = &c->feat;

	printf("iommutrace %s on kernel %s\n", IOMMUTRACE_VERSION, f->release);
	printf("  privileges: %s   tracefs: %s\n",
	       f->root ? "root" : (features_can_trace(f) ? "CAP_BPF+CAP_PERFMON" : "insufficient"),
	       f->tracefs_note);
	if (!f->btf_custom)
		printf("  BTF: %s\n", f->btf_path[0] ? f->btf_path : "none");
	else
		printf("  BTF: %s (custom, %u types); kernel's own: %s\n", f->btf_path,
		       f->btf_types,
		       f->btf ? "yes (fentry targets)" : "none (no fentry/fexit: kprobes)");
	printf("  kprobes: %s   fentry: %s\n", f->kprobes ? "yes" : "no (CONFIG_KPROBES off)",
	       f->fentry_err ? f->fentry_note : "yes");
	print_kmod(km);
	if (c->load_note[0])
		printf("  note: %s\n", c->load_note);
	printf("\n%-30s %-8s %s\n", "CAPABILITY", "SOURCE", "DETAIL");
	for (int cap = 0; cap < CAP_NR; cap++) {
		const struct cap_plan *cp = &c->plan.caps[cap];

		printf("%-30s %-8s %s\n", cap_label(cap), mech_name(cp->event_mech), cp->detail);
	}
	printf("\n%-22s %-8s %-30s %s\n", "HOOK", "SOURCE", "KERNEL SYMBOL", "STATUS / WHY");
	for (int h = 0; h < IT_HOOK_NR; h++) {
		const struct hook_def *d = &hook_defs[h];
		const struct hook_plan *hp = &c->plan.hooks[h];
		char label[40];

		snprintf(label, sizeof(label), "%s %s", d->is_tp ? "tp" : "fn", d->label);
		if (hp->mech == MECH_NONE)
			printf("%-22s %-8s %-30s %s\n", label, "none", "-", hp->reason);
		else
			printf("%-22s %-8s %-30s %s: %s\n", label, mech_name(hp->mech), hp->symbol,
			       hp->attached ? "attached" : "not attached", hp->reason);
	}
}

static json_object *probe_json(const struct collector *c, const struct kmod_status *km)
{
	const struct features *f = &c->feat;
	json_object *o = json_object_new_object(), *feat = json_object_new_object();
	json_object *caps = json_object_new_array(), *hooks = json_object_new_array();

	json_object_object_add(o, "type", json_object_new_string("probe"));
	json_object_object_add(o, "version", json_object_new_string(IOMMUTRACE_VERSION));
	json_object_object_add(o, "kernel", json_object_new_string(f->release));
	json_object_object_add(feat, "root", json_object_new_boolean(f->root));
	json_object_object_add(feat, "can_trace", json_object_new_boolean(features_can_trace(f)));
	json_object_object_add(feat, "btf", json_object_new_boolean(f->btf));
	json_object_object_add(feat, "btf_path",
			       f->btf_path[0] ? json_object_new_string(f->btf_path) : NULL);
	json_object_object_add(feat, "btf_custom", json_object_new_boolean(f->btf_custom));
	json_object_object_add(feat, "btf_types", json_object_new_int64(f->btf_types));
	json_object_object_add(feat, "tracefs", json_object_new_boolean(f->tracefs));
	json_object_object_add(feat, "tracefs_note", json_object_new_string(f->tracefs_note));
	json_object_object_add(feat, "kprobes", json_object_new_boolean(f->kprobes));
	json_object_object_add(feat, "fentry", json_object_new_boolean(f->fentry_err == 0));
	json_object_object_add(feat, "fentry_note", json_object_new_string(f->fentry_note));
	json_object_object_add(o, "features", feat);
	json_object_object_add(o, "kmod", kmod_json(km));
	if (c->load_note[0])
		json_object_object_add(o, "note", json_object_new_string(c->load_note));
	for (int cap = 0; cap < CAP_NR; cap++) {
		const struct cap_plan *cp = &c->plan.caps[cap];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(cap_name(cap)));
		json_object_object_add(j, "source",
				       json_object_new_string(mech_name(cp->event_mech)));
		json_object_object_add(j, "tracepoints",
				       json_object_new_boolean(cp->from_tracepoints));
		json_object_object_add(j, "hooks_used", json_object_new_int(cp->hooks_used));
		json_object_object_add(j, "hooks_total", json_object_new_int(cp->hooks_total));
		json_object_object_add(j, "detail", json_object_new_string(cp->detail));
		json_object_array_add(caps, j);
	}
	json_object_object_add(o, "capabilities", caps);
	for (int h = 0; h < IT_HOOK_NR; h++) {
		const struct hook_def *d = &hook_defs[h];
		const struct hook_plan *hp = &c->plan.hooks[h];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "hook", json_object_new_string(d->prog));
		json_object_object_add(
		    j, "kind", json_object_new_string(d->is_tp ? "tracepoint" : "function"));
		json_object_object_add(j, "capability", json_object_new_string(cap_name(d->cap)));
		json_object_object_add(j, "source", json_object_new_string(mech_name(hp->mech)));
		json_object_object_add(j, "symbol",
				       hp->symbol ? json_object_new_string(hp->symbol) : NULL);
		json_object_object_add(j, "attached", json_object_new_boolean(hp->attached));
		json_object_object_add(j, "reason", json_object_new_string(hp->reason));
		json_object_array_add(hooks, j);
	}
	json_object_object_add(o, "hooks", hooks);
	return o;
}

/* Per-hook hits per interval, only the hooks that saw something. */
static void watch(struct collector *c, const struct probe_args *a)
{
	struct snapshot prev, cur;
	long elapsed = 0, interval = a->common.interval_ms ? a->common.interval_ms : 1000;

	collector_snapshot(c, &prev);
	while (!g_stop && elapsed < a->watch_ms) {
		collector_poll(c, interval);
		elapsed += interval;
		if (collector_snapshot(c, &cur))
			break;
		if (a->common.json) {
			json_object *o = json_object_new_object(), *h = json_object_new_object();

			json_object_object_add(o, "type", json_object_new_string("probe_hits"));
			json_object_object_add(o, "elapsed_ms", json_object_new_int64(elapsed));
			for (int i = 0; i < IT_HOOK_NR; i++)
				json_object_object_add(
				    h, hook_defs[i].prog,
				    json_object_new_int64(cur.hooks[i] - prev.hooks[i]));
			json_object_object_add(o, "hits", h);
			json_object_object_add(
			    o, "ringbuf_dropped",
			    json_object_new_int64(cur.counters[IT_C_RB_DROPPED]));
			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else {
			printf("[%5.1fs]", elapsed / 1000.0);
			int shown = 0;

			for (int i = 0; i < IT_HOOK_NR; i++) {
				__u64 d = cur.hooks[i] - prev.hooks[i];

				if (!d)
					continue;
				printf("%s %s=%llu", shown++ ? "," : "",
				       c->plan.hooks[i].symbol ? c->plan.hooks[i].symbol
							       : hook_defs[i].prog,
				       (unsigned long long)d);
			}
			if (!shown)
				printf(" (no events)");
			printf("  [drops %llu", (unsigned long long)cur.counters[IT_C_RB_DROPPED]);
			for (int i = 0; i < IT_HOOK_NR; i++)
				if (cur.hook_misses[i] != prev.hook_misses[i])
					printf(", %s exits unmatched %llu", hook_defs[i].prog,
					       (unsigned long long)(cur.hook_misses[i] -
								    prev.hook_misses[i]));
			if (cur.recursion_misses)
				printf(", recursion misses %llu",
				       (unsigned long long)cur.recursion_misses);
			printf("]\n");
		}
		fflush(stdout);
		snapshot_free(&prev);
		prev = cur;
	}
	snapshot_free(&prev);
}

int cmd_probe(int argc, char **argv)
{
	const struct argp argp = {probe_options,
				  probe_parse,
				  NULL,
				  "Show, per capability, which kernel source iommutrace uses on "
				  "this kernel and why; load and attach them.",
				  cli_collector_children,
				  NULL,
				  NULL};
	struct probe_args a = {};
	struct kmod_status km;
	struct collector c;
	int r;

	r = argp_parse(&argp, argc, argv, 0, NULL, &a);
	if (r)
		return EXIT_USAGE;
	r = cli_open_collector(&c, NULL, NULL);
	if (r)
		return r;
	kmod_status(&c, &km);
	if (a.common.json) {
		json_object *o = probe_json(&c, &km);

		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		print_text(&c, &km);
	}
	if (!km.in_use)
		kmod_source_close(&km.k);
	fflush(stdout);
	if (a.watch_ms > 0) {
		cli_install_signals();
		if (!a.common.json)
			printf("\nLive events per source (every %.1fs for %.0fs):\n",
			       (a.common.interval_ms ? a.common.interval_ms : 1000) / 1000.0,
			       a.watch_ms / 1000.0);
		watch(&c, &a);
	}
	collector_close(&c);
	return EXIT_OK;
}
