/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collector.h: the one owner of the BPF side. It detects what the kernel offers, chooses a source
 * per hook (sources.c), loads and attaches, reads the per-CPU aggregates into snapshots, drains the
 * ring buffer into a callback, and symbolizes kernel stacks. Commands never touch BPF maps.
 */
#ifndef IOMMUTRACE_COLLECTOR_H
#define IOMMUTRACE_COLLECTOR_H

#include "kfeatures.h"
#include "snapshot.h"
#include "sources.h"

#include <stdbool.h>
#include <stddef.h>

struct iommutrace_bpf;
struct ring_buffer;
struct bpf_link;
struct ksyms;
struct kmod_source;

typedef void (*collector_event_fn)(void *ctx, const struct it_event *e);

/* Where counters and faults come from (--source). */
enum collector_source {
	COLLECTOR_SRC_AUTO = 0, /* BPF; the kernel module if BPF cannot load and it is loaded */
	COLLECTOR_SRC_BPF,
	COLLECTOR_SRC_KMOD,
};

struct collector_opts {
	enum collector_source source;
	__u32 max_mappings;  /* live-mapping table size */
	__u32 ringbuf_kb;    /* ring buffer size (power of two, >= 4) */
	bool no_stacks;	     /* do not capture map stacks */
	bool unmap_stacks;   /* also capture unmap stacks (who unmapped a faulting address) */
	__u32 unmap_history; /* keep the last N unmaps (fault correlation), 0: off */
	bool force_kprobe;   /* never use fentry */
	bool track_modules;  /* keep kernel symbols of modules loaded while running (stacks) */
	int verbose;	     /* libbpf debug output */
	bool bpf_stats;	     /* enable kernel BPF run-time stats (snapshot bpf_run_ns) */
	const char *btf;     /* --btf FILE: the BTF for CO-RE, not the kernel's (NULL: its own) */
	collector_event_fn on_event;
	void *event_ctx;
};

struct collector {
	struct collector_opts opts;
	struct features feat;
	struct plan plan;
	struct iommutrace_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[IT_HOOK_NR][2]; /* entry, exit */
	struct ksyms *ksyms;
	int ncpu;
	__u64 rb_events;
	char load_note[256];	    /* e.g. "fentry failed to load: ..., fell back to kprobes" */
	unsigned long modules_hash; /* of /proc/modules when symbols were last read */
	__u64 sid_refresh_ns;	    /* when sid_dev was last filled */
	const struct it_unmap_rec *hist; /* unmap history ring, mmap()ed; NULL if off */
	const __u64 *hist_pos;
	size_t hist_n, hist_bytes;
	int stats_fd;		  /* bpf_enable_stats(BPF_STATS_RUN_TIME), -1 if off */
	struct kmod_source *kmod; /* set: counters come from the kernel module, not BPF */
	__u64 armed_ns; /* CLOCK_MONOTONIC when every program was attached and tracing began */
};

void collector_default_opts(struct collector_opts *o);
/* Detect, plan, load, attach. On error returns <0 with a user-facing message in err. */
int collector_open(struct collector *c, const struct collector_opts *o, char *err, size_t errlen);
/* Attach every planned hook not attached yet, then arm tracing (all programs start counting at
 * once; armed_ns). A hook that fails is planned out with its reason; returns how many failed. */
int collector_attach(struct collector *c);
/* Disarm, then detach every program; the maps keep what was counted. */
void collector_detach(struct collector *c);
/* Wait up to timeout_ms for ring buffer records and deliver them; returns records handled. */
int collector_poll(struct collector *c, int timeout_ms);
int collector_snapshot(struct collector *c, struct snapshot *s);
/* IOVA allocations per (device, stack) so far, merged across CPUs (free() the array). */
int collector_iova_stacks(struct collector *c, struct iova_stack_snap **out, size_t *n);
/* Symbolized kernel stack "a;b;c" (outermost first) for a stack id, into buf, without the
 * tracing machinery's own frames (BPF programs, trampolines, kprobe handlers). */
const char *collector_stack(struct collector *c, __s32 stack_id, char *buf, size_t len);
/* Read kernel symbols again if modules came or went (a stack symbolized right away, while its
 * module may have loaded since the last poll). */
void collector_refresh_symbols(struct collector *c);
/* Name and driver of a device key as the BPF side recorded them; -1 if unknown. */
int collector_dev_info(struct collector *c, __u64 dev, struct it_dev_info *info);
/* Call fn for every live mapping (of dev, or all if dev is 0). */
typedef void (*collector_live_fn)(void *ctx, const struct it_live_key *k,
				  const struct it_live_val *v);
int collector_live_scan(struct collector *c, __u64 dev, collector_live_fn fn, void *ctx);
/* Recently unmapped addresses (the `unmapped` LRU), for one device (dev 0: all). */
typedef void (*collector_unmapped_fn)(void *ctx, const struct it_live_key *k,
				      const struct it_unmapped_val *v);
int collector_unmapped_scan(struct collector *c, __u64 dev, collector_unmapped_fn fn, void *ctx);
/* The unmap history (collector_opts.unmap_history) for one device (dev 0: all); -1 if off. */
typedef void (*collector_hist_fn)(void *ctx, const struct it_unmap_rec *r);
int collector_unmap_hist_scan(struct collector *c, __u64 dev, collector_hist_fn fn, void *ctx);
/* The struct device the pipeline saw with this name ("0000:00:03.0"), 0 if none yet. */
__u64 collector_find_dev(struct collector *c, const char *name);
void collector_close(struct collector *c);

#endif
