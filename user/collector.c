// SPDX-License-Identifier: GPL-2.0
/* collector.c: load, attach and read the BPF side (see collector.h). */
#include "collector.h"

#include "iommutrace.skel.h"
#include "kmod_source.h"
#include "ksyms.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Read kernel symbols again when the set of loaded modules changed, keeping the old ones. */
static void refresh_symbols(struct collector *c)
{
	unsigned long h = 5381;
	char line[512];
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		for (const char *p = line; *p; p++)
			h = h * 33 + (unsigned char)*p;
	fclose(f);
	if (c->ksyms && h == c->modules_hash)
		return;
	c->modules_hash = h;
	if (!c->ksyms)
		c->ksyms = ksyms_load();
	else
		ksyms_merge(c->ksyms, ksyms_load());
}

void collector_refresh_symbols(struct collector *c)
{
	refresh_symbols(c);
}

static int verbosity;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && verbosity < 2)
		return 0;
	if (level == LIBBPF_INFO && verbosity < 1)
		return 0;
	if (level == LIBBPF_WARN && verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void collector_default_opts(struct collector_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_mappings = 131072;
	o->ringbuf_kb = 1024;
}

static struct bpf_program *prog_by_name(struct collector *c, const char *prefix, const char *base)
{
	char name[96];

	snprintf(name, sizeof(name), "%s%s", prefix, base);
	return bpf_object__find_program_by_name(c->skel->obj, name);
}

/* The programs one hook uses under its chosen mechanism (entry, and exit if any). */
static int hook_progs(struct collector *c, int h, struct bpf_program **entry,
		      struct bpf_program **exit)
{
	const struct hook_def *d = &hook_defs[h];
	const struct hook_plan *hp = &c->plan.hooks[h];

	*entry = *exit = NULL;
	switch (hp->mech) {
	case MECH_RAW_TP:
		*entry = prog_by_name(c, "", d->prog);
		break;
	case MECH_FENTRY:
		*entry = prog_by_name(c, "fentry_", d->prog);
		if (d->has_exit)
			*exit = prog_by_name(c, "fexit_", d->prog);
		break;
	case MECH_KPROBE:
		*entry = prog_by_name(c, "kprobe_", d->prog);
		if (d->has_exit)
			*exit = prog_by_name(c, "kretprobe_", d->prog);
		break;
	default:
		return 0;
	}
	return *entry ? 0 : -ENOENT;
}

static int configure(struct collector *c)
{
	struct bpf_program *prog;
	struct iommutrace_bpf *s = c->skel;

	bpf_object__for_each_program(prog, s->obj) bpf_program__set_autoload(prog, false);
	for (int h = 0; h < IT_HOOK_NR; h++) {
		struct bpf_program *entry, *exit;

		if (hook_progs(c, h, &entry, &exit))
			return -ENOENT;
		if (!entry)
			continue;
		bpf_program__set_autoload(entry, true);
		if (exit)
			bpf_program__set_autoload(exit, true);
		if (c->plan.hooks[h].mech == MECH_FENTRY) {
			bpf_program__set_attach_target(entry, 0, c->plan.hooks[h].symbol);
			if (exit)
				bpf_program__set_attach_target(exit, 0, c->plan.hooks[h].symbol);
		}
	}
	s->rodata->cfg_tp_dma_map = cap_uses_tracepoints(&c->plan, CAP_DMA_MAP);
	s->rodata->cfg_tp_dma_sg = cap_uses_tracepoints(&c->plan, CAP_DMA_SG);
	s->rodata->cfg_tp_dma_alloc = cap_uses_tracepoints(&c->plan, CAP_DMA_COHERENT);
	s->rodata->cfg_map_stacks = !c->opts.no_stacks;
	s->rodata->cfg_unmap_stacks = !c->opts.no_stacks && c->opts.unmap_stacks;
	if (c->opts.unmap_history) {
		__u32 n = 1;

		while (n < c->opts.unmap_history)
			n <<= 1;
		s->rodata->cfg_unmap_hist = n;
		bpf_map__set_max_entries(s->maps.unmap_hist, n);
	}
	/* Wake the reader at a quarter full; it also polls on a timer. */
	s->rodata->cfg_rb_wakeup_bytes = (__u64)c->opts.ringbuf_kb * 1024 / 4;
	bpf_map__set_max_entries(s->maps.live, c->opts.max_mappings);
	bpf_map__set_max_entries(s->maps.events, c->opts.ringbuf_kb * 1024);
	return 0;
}

static int attach_one(struct collector *c, int h)
{
	struct hook_plan *hp = &c->plan.hooks[h];
	struct bpf_program *progs[2];
	const char *sym = hp->symbol;

	if (hook_progs(c, h, &progs[0], &progs[1]) || !progs[0])
		return 0;
	/* Exit first: a call in flight then yields an unmatched exit (counted), never an entry
	 * frame whose exit never comes. */
	for (int i = 1; i >= 0; i--) {
		struct bpf_link *l = NULL;

		if (!progs[i])
			continue;

		switch (hp->mech) {
		case MECH_RAW_TP:
			l = bpf_program__attach_raw_tracepoint(progs[i], strchr(sym, ':') + 1);
			break;
		case MECH_FENTRY:
			l = bpf_program__attach(progs[i]);
			break;
		case MECH_KPROBE:
			l = bpf_program__attach_kprobe(progs[i], i == 1, sym);
			break;
		default:
			break;
		}
		if (!l) {
			snprintf(hp->attach_err, sizeof(hp->attach_err), "attach failed: %s",
				 strerror(errno));
			return -1;
		}
		c->links[h][i] = l;
	}
	hp->attached = true;
	return 0;
}

int collector_attach(struct collector *c)
{
	int failed = 0;

	for (int h = 0; h < IT_HOOK_NR; h++) {
		if (c->plan.hooks[h].mech == MECH_NONE || c->links[h][0] || c->links[h][1])
			continue;
		if (attach_one(c, h) < 0) {
			c->plan.hooks[h].mech = MECH_NONE;
			snprintf(c->plan.hooks[h].reason, sizeof(c->plan.hooks[h].reason), "%s",
				 c->plan.hooks[h].attach_err);
			failed++;
		}
	}
	/* Every hook is attached: start counting, on all of them at once (it_armed in BPF). */
	c->armed_ns = clock_ns(CLOCK_MONOTONIC);
	c->skel->bss->it_armed_ns = c->armed_ns;
	return failed;
}

void collector_detach(struct collector *c)
{
	if (c->skel && c->skel->bss)
		c->skel->bss->it_armed_ns = 0;
	for (int h = 0; h < IT_HOOK_NR; h++)
		for (int i = 0; i < 2; i++) {
			bpf_link__destroy(c->links[h][i]);
			c->links[h][i] = NULL;
		}
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct collector *c = ctx;

	if (len < sizeof(struct it_event))
		return 0;
	c->rb_events++;
	if (c->opts.on_event)
		c->opts.on_event(c->opts.event_ctx, data);
	return 0;
}

static void map_unmap_hist(struct collector *c);

static int load(struct collector *c, char *err, size_t errlen)
{
	int r;

	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .btf_custom_path = c->feat.btf_custom ? c->feat.btf_path : NULL);

	c->skel = iommutrace_bpf__open_opts(&oo);
	if (!c->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	r = configure(c);
	if (r) {
		snprintf(err, errlen, "internal error: BPF program missing for a hook");
		return r;
	}
	r = iommutrace_bpf__load(c->skel);
	if (r) {
		snprintf(err, errlen,
			 "loading BPF programs failed: %s (run with -vv for the verifier log%s)",
			 strerror(-r),
			 c->feat.btf_custom ? "; is the --btf file this kernel's BTF?" : "");
		iommutrace_bpf__destroy(c->skel);
		c->skel = NULL;
		return r;
	}
	map_unmap_hist(c);
	return 0;
}

static bool plan_uses(const struct plan *p, enum it_mech m)
{
	for (int h = 0; h < IT_HOOK_NR; h++)
		if (p->hooks[h].mech == m)
			return true;
	return false;
}

/* Counters and faults from the kernel module; bpf_err: why BPF could not be used (auto). */
static int open_kmod(struct collector *c, const char *bpf_err, char *err, size_t errlen)
{
	struct kmod_source *k = calloc(1, sizeof(*k));
	int r;

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = kmod_source_open(k, kmod_source_dir(), err, errlen);
	if (r) {
		free(k);
		return r;
	}
	c->kmod = k;
	kmod_source_plan(k, &c->plan);
	if (bpf_err)
		snprintf(c->load_note, sizeof(c->load_note),
			 "BPF unavailable (%.150s): reading the iommutrace kernel module", bpf_err);
	else
		snprintf(c->load_note, sizeof(c->load_note),
			 "--source kmod: reading the iommutrace kernel module (%s)", k->dir);
	return 0;
}

static int open_bpf(struct collector *c, char *err, size_t errlen);

int collector_open(struct collector *c, const struct collector_opts *o, char *err, size_t errlen)
{
	char bpf_err[768], kmod_err[256];
	int r;

	memset(c, 0, sizeof(*c));
	c->stats_fd = -1;
	c->opts = *o;
	verbosity = o->verbose;
	libbpf_set_print(libbpf_print);
	if (features_detect(&c->feat, o->btf, sources_tracepoints(), sources_functions())) {
		snprintf(err, errlen, "%s", c->feat.btf_err);
		return -EINVAL;
	}
	if (o->source == COLLECTOR_SRC_KMOD)
		return open_kmod(c, NULL, err, errlen);
	r = open_bpf(c, bpf_err, sizeof(bpf_err));
	/* BPF could not load at all (no BTF, no privilege, lockdown, verifier): the module. */
	if (r && !c->skel && o->source == COLLECTOR_SRC_AUTO) {
		if (open_kmod(c, bpf_err, kmod_err, sizeof(kmod_err)) == 0)
			return 0;
		snprintf(err, errlen, "%s; no fallback: %s", bpf_err, kmod_err);
		return r;
	}
	if (r)
		snprintf(err, errlen, "%s", bpf_err);
	return r;
}

static int open_bpf(struct collector *c, char *err, size_t errlen)
{
	const struct collector_opts *o = &c->opts;
	const char *priv;
	int r;

	sources_plan(&c->feat, o->force_kprobe, &c->plan);
	priv = features_priv_problem(&c->feat);
	if (priv) {
		snprintf(err, errlen, "%s", priv);
		return -EPERM;
	}
	/* A --btf file stands in for the kernel's BTF in CO-RE (sources_plan() left fentry out). */
	if (!c->feat.btf_path[0]) {
		snprintf(
		    err, errlen,
		    "this kernel has no BTF (no /sys/kernel/btf/vmlinux: CONFIG_DEBUG_INFO_BTF "
		    "is off) and no --btf was given. Either give its BTF with --btf FILE (or "
		    "IOMMUTRACE_BTF=FILE): BTFHub's file for this kernel, or a minimal one "
		    "from its vmlinux with 'bpftool gen min_core_btf' (scripts/min-btf); "
		    "function hooks then use kprobes. Or load the kernel module instead (make "
		    "kmod; insmod build/kmod/<kernel>/iommutrace.ko; iommutrace --source kmod)");
		return -ENOTSUP;
	}
	c->ncpu = libbpf_num_possible_cpus();
	r = load(c, err, errlen);
	if (r && plan_uses(&c->plan, MECH_FENTRY)) {
		/* Some kernels refuse one fentry target: fall back to kprobes everywhere. */
		snprintf(c->load_note, sizeof(c->load_note),
			 "fentry programs failed to load (%s); fell back to kprobes", strerror(-r));
		sources_plan(&c->feat, true, &c->plan);
		r = load(c, err, errlen);
	}
	if (r)
		return r;
	collector_attach(c);
	sources_summarize(&c->plan);
	if (o->verbose) /* the kernel log's clock: to line events up with dmesg or ftrace */
		fprintf(stderr, "iommutrace: tracing since %llu.%06llu (CLOCK_MONOTONIC)\n",
			(unsigned long long)(c->armed_ns / 1000000000ULL),
			(unsigned long long)(c->armed_ns % 1000000000ULL / 1000));
	/* Kernel BPF stats cost two clock reads per program run: only when a view shows them. */
	if (o->bpf_stats)
		c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (o->track_modules)
		refresh_symbols(c); /* before reporting ready: a module may come and go quickly */
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), handle_event, c, NULL);
	if (!c->rb) {
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Tell BPF which struct device each PCI requester ID is (sid_dev), once a second. */
static void refresh_requesters(struct collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.dev_info), sfd = bpf_map__fd(c->skel->maps.sid_dev);
	struct it_dev_info info;
	__u64 k, next, now;
	unsigned seg, bus, slot, fn;
	bool more;

	now = clock_ns(CLOCK_MONOTONIC);
	if (now - c->sid_refresh_ns < 1000000000ULL)
		return;
	c->sid_refresh_ns = now;
	for (more = bpf_map_get_next_key(fd, NULL, &next) == 0; more;
	     more = bpf_map_get_next_key(fd, &k, &next) == 0) {
		k = next;
		if (!k || bpf_map_lookup_elem(fd, &k, &info) ||
		    sscanf(info.name, "%x:%x:%x.%x", &seg, &bus, &slot, &fn) != 4 || seg > 0xffff ||
		    bus > 0xff || slot > 0x1f || fn > 7)
			continue;
		__u32 sid = seg << 16 | bus << 8 | slot << 3 | fn;

		bpf_map_update_elem(sfd, &sid, &k, BPF_ANY);
	}
}

int collector_poll(struct collector *c, int timeout_ms)
{
	int r, more;

	if (c->kmod) {
		struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL); /* a signal ends the wait early, as poll() would */
		return kmod_source_poll(c->kmod, c->opts.on_event, c->opts.event_ctx);
	}
	r = ring_buffer__poll(c->rb, timeout_ms);

	refresh_requesters(c);
	if (r < 0 && r != -EINTR)
		return r;
	if (c->opts.track_modules)
		refresh_symbols(c);
	/* Records are queued without a wake-up until a watermark: drain them on every tick. */
	more = ring_buffer__consume(c->rb);
	if (more < 0)
		return more;
	return (r > 0 ? r : 0) + more;
}

static int read_percpu_array(int fd, __u32 n, __u64 *out, int ncpu)
{
	__u64 *vals = calloc(ncpu, sizeof(__u64));

	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < n; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals) == 0)
			for (int cpu = 0; cpu < ncpu; cpu++)
				out[k] += vals[cpu];
	}
	free(vals);
	return 0;
}

/*
 * Read a per-CPU hash of all-__u64 values into an array of records: the key (key_size bytes) at
 * the record's start, the value summed over CPUs at val_off.
 */
static int read_percpu_hash(int fd, size_t key_size, size_t vsize, int ncpu, void **out,
			    size_t rec_size, size_t val_off, size_t *count)
{
	size_t stride = (vsize + 7) & ~(size_t)7, n = 0, cap = 16;
	void *percpu = malloc(stride * ncpu), *recs = calloc(cap, rec_size);
	__u64 key[4], next[4]; /* keys up to 32 bytes */
	int r = 0, more;

	if (!percpu || !recs || key_size > sizeof(key)) {
		free(percpu);
		free(recs);
		return -ENOMEM;
	}
	for (more = bpf_map_get_next_key(fd, NULL, next) == 0; more;
	     more = bpf_map_get_next_key(fd, key, next) == 0) {
		memcpy(key, next, key_size);
		if (bpf_map_lookup_elem(fd, key, percpu))
			continue;
		if (n == cap) {
			void *bigger = realloc(recs, cap * 2 * rec_size);

			if (!bigger) {
				r = -ENOMEM;
				break;
			}
			recs = bigger;
			memset((char *)recs + cap * rec_size, 0, cap * rec_size);
			cap *= 2;
		}
		char *rec = (char *)recs + n * rec_size;

		memcpy(rec, key, key_size);
		percpu_sum(rec + val_off, percpu, vsize, ncpu);
		n++;
	}
	free(percpu);
	*out = recs;
	*count = n;
	return r;
}

/* Runs the kernel skipped because a program was already running on that CPU; run time and runs
 * (non-zero only while BPF stats are enabled). */
static void collector_prog_stats(struct collector *c, struct snapshot *s)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, c->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		s->recursion_misses += info.recursion_misses;
		s->bpf_run_ns += info.run_time_ns;
		s->bpf_run_cnt += info.run_cnt;
	}
}

int collector_snapshot(struct collector *c, struct snapshot *s)
{
	struct iommutrace_bpf *k = c->skel;
	void *recs;
	int r;

	if (c->kmod)
		return kmod_source_snapshot(c->kmod, s);
	memset(s, 0, sizeof(*s));
	s->ts_ns = clock_ns(CLOCK_MONOTONIC);
	read_percpu_array(bpf_map__fd(k->maps.hook_hits), IT_HOOK_NR, s->hooks, c->ncpu);
	read_percpu_array(bpf_map__fd(k->maps.hook_misses), IT_HOOK_NR, s->hook_misses, c->ncpu);
	read_percpu_array(bpf_map__fd(k->maps.counters), IT_C_NR, s->counters, c->ncpu);
	collector_prog_stats(c, s);
	s->rb_events = c->rb_events;
	r = read_percpu_hash(bpf_map__fd(k->maps.dev_stats), sizeof(__u64),
			     sizeof(struct it_dev_stats), c->ncpu, &recs, sizeof(struct dev_snap),
			     offsetof(struct dev_snap, st), &s->ndev);
	if (r)
		return r;
	s->devs = recs;
	for (size_t i = 0; i < s->ndev; i++)
		bpf_map_lookup_elem(bpf_map__fd(k->maps.dev_info), &s->devs[i].key,
				    &s->devs[i].info);
	r = read_percpu_hash(bpf_map__fd(k->maps.dom_stats), sizeof(struct it_dom_key),
			     sizeof(struct it_dom_stats), c->ncpu, &recs, sizeof(struct dom_snap),
			     offsetof(struct dom_snap, st), &s->ndom);
	if (r)
		return r;
	s->doms = recs;
	snapshot_sort(s);
	return 0;
}

int collector_iova_stacks(struct collector *c, struct iova_stack_snap **out, size_t *n)
{
	void *recs = NULL;
	int r;

	if (!c->skel) { /* the kernel module keeps no stacks */
		*out = NULL;
		*n = 0;
		return 0;
	}
	r = read_percpu_hash(bpf_map__fd(c->skel->maps.iova_stacks),
			     sizeof(struct it_iova_stack_key), sizeof(struct it_iova_stack_val),
			     c->ncpu, &recs, sizeof(struct iova_stack_snap),
			     offsetof(struct iova_stack_snap, val), n);

	*out = recs;
	return r;
}

const char *collector_stack(struct collector *c, __s32 stack_id, char *buf, size_t len)
{
	__u64 ips[IT_STACK_DEPTH] = {};
	size_t n = 0;
	int depth = 0;

	buf[0] = 0;
	if (!c->skel || stack_id < 0 ||
	    bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &stack_id, ips))
		return buf;
	if (!c->ksyms)
		c->ksyms = ksyms_load();
	while (depth < IT_STACK_DEPTH && ips[depth])
		depth++;
	/* Outermost first, as flame graphs read them; the innermost tracing frames dropped, and a
	 * function repeated by its trampoline shown once. */
	const char *prev = NULL;
	int inner = 0;

	while (inner < depth && ksyms_is_tracing_frame(ksyms_name(c->ksyms, ips[inner]) ?: ""))
		inner++;
	for (int i = depth - 1; i >= inner && n < len; i--) {
		const char *sym = c->ksyms ? ksyms_name(c->ksyms, ips[i]) : NULL;

		if (sym && ksyms_is_tracing_frame(sym))
			continue;
		if (sym && prev && strcmp(sym, prev) == 0)
			continue;
		prev = sym;
		n += snprintf(buf + n, len - n, "%s%s", n ? ";" : "", sym ? sym : "[unknown]");
	}
	return buf;
}

int collector_dev_info(struct collector *c, __u64 dev, struct it_dev_info *info)
{
	if (c->kmod)
		return kmod_source_dev_info(c->kmod, dev, info);
	memset(info, 0, sizeof(*info));
	return bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.dev_info), &dev, info) ? -1 : 0;
}

/* Walk a hash keyed by struct it_live_key, one device's entries (dev 0: all), into val; exactly
 * one of the callbacks is set. */
struct key_scan {
	collector_live_fn live;
	collector_unmapped_fn unmapped;
	void *ctx;
};

static int scan_by_dev(int fd, __u64 dev, void *val, const struct key_scan *cb)
{
	struct it_live_key k, next;
	int n = 0;
	bool more;

	for (more = bpf_map_get_next_key(fd, NULL, &next) == 0; more;
	     more = bpf_map_get_next_key(fd, &k, &next) == 0) {
		k = next;
		if ((dev && k.dev != dev) || bpf_map_lookup_elem(fd, &k, val))
			continue;
		if (cb->live)
			cb->live(cb->ctx, &k, val);
		else
			cb->unmapped(cb->ctx, &k, val);
		n++;
	}
	return n;
}

int collector_live_scan(struct collector *c, __u64 dev, collector_live_fn fn, void *ctx)
{
	struct key_scan cb = {.live = fn, .ctx = ctx};
	struct it_live_val v;

	if (!c->skel) /* the kernel module tracks no mappings */
		return 0;
	return scan_by_dev(bpf_map__fd(c->skel->maps.live), dev, &v, &cb);
}

/* Map the unmap history ring read-only (after load). */
static void map_unmap_hist(struct collector *c)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t n = c->skel->rodata->cfg_unmap_hist, bytes;
	void *h, *p;

	if (!n)
		return;
	bytes = (n * sizeof(struct it_unmap_rec) + pg - 1) / pg * pg;
	h = mmap(NULL, bytes, PROT_READ, MAP_SHARED, bpf_map__fd(c->skel->maps.unmap_hist), 0);
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, bpf_map__fd(c->skel->maps.unmap_hist_pos), 0);
	if (h == MAP_FAILED || p == MAP_FAILED) {
		if (h != MAP_FAILED)
			munmap(h, bytes);
		if (p != MAP_FAILED)
			munmap(p, pg);
		return;
	}
	c->hist = h;
	c->hist_pos = p;
	c->hist_n = n;
	c->hist_bytes = bytes;
}

int collector_unmap_hist_scan(struct collector *c, __u64 dev, collector_hist_fn fn, void *ctx)
{
	__u64 pos, n;
	int found = 0;

	if (!c->hist)
		return -1;
	pos = __atomic_load_n(c->hist_pos, __ATOMIC_ACQUIRE);
	n = pos < c->hist_n ? pos : c->hist_n;
	for (__u64 i = 0; i < n; i++) {
		struct it_unmap_rec r = c->hist[i];

		if (!dev || r.dev == dev) {
			fn(ctx, &r);
			found++;
		}
	}
	return found;
}

int collector_unmapped_scan(struct collector *c, __u64 dev, collector_unmapped_fn fn, void *ctx)
{
	struct key_scan cb = {.unmapped = fn, .ctx = ctx};
	struct it_unmapped_val v;

	if (!c->skel)
		return 0;
	return scan_by_dev(bpf_map__fd(c->skel->maps.unmapped), dev, &v, &cb);
}

__u64 collector_find_dev(struct collector *c, const char *name)
{
	struct it_dev_info info;
	__u64 k, next;
	bool more;
	int fd;

	if (c->kmod)
		return kmod_source_find_dev(c->kmod, name);
	fd = bpf_map__fd(c->skel->maps.dev_info);

	for (more = bpf_map_get_next_key(fd, NULL, &next) == 0; more;
	     more = bpf_map_get_next_key(fd, &k, &next) == 0) {
		k = next;
		if (k && bpf_map_lookup_elem(fd, &k, &info) == 0 &&
		    strncmp(info.name, name, sizeof(info.name)) == 0)
			return k;
	}
	return 0;
}

void collector_close(struct collector *c)
{
	if (c->kmod) {
		kmod_source_close(c->kmod);
		free(c->kmod);
	}
	if (c->hist) {
		munmap((void *)c->hist, c->hist_bytes);
		munmap((void *)c->hist_pos, sysconf(_SC_PAGESIZE));
	}
	ring_buffer__free(c->rb);
	collector_detach(c);
	iommutrace_bpf__destroy(c->skel);
	ksyms_free(c->ksyms);
	features_free(&c->feat);
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	memset(c, 0, sizeof(*c));
	c->stats_fd = -1;
}
