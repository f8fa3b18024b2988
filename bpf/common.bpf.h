/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.bpf.h: the maps, load-time configuration and small helpers every iommutrace BPF
 * program shares. The maps are defined once in maps.bpf.c and declared extern here for the other
 * objects; bpftool's static linker joins them into one object and one skeleton.
 */
#ifndef IOMMUTRACE_COMMON_BPF_H
#define IOMMUTRACE_COMMON_BPF_H

#include "kernel_types.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "iommutrace.h"
#include <asm-generic/errno-base.h> /* E2BIG */

#ifdef IT_DEFINE_MAPS
#define IT_MAP
#define IT_CFG(type, name, val) const volatile type name = val
#else
#define IT_MAP			extern
#define IT_CFG(type, name, val) extern const volatile type name
#endif

/*
 * When tracing started (bpf_ktime_get_ns): user space sets it once every program is attached, and
 * until then every program returns at once. Hooks attach one after another (under QEMU's TCG that
 * takes seconds); armed together, no call is half-seen because one of its hooks came later. A
 * call already in progress at that instant ends with an exit whose entry was not seen: counted in
 * IT_C_ATTACH_INFLIGHT (it_exit_unmatched), not as a mismatch.
 */
#ifdef IT_DEFINE_MAPS
__u64 it_armed_ns = 0;
#else
extern __u64 it_armed_ns;
#endif

static __always_inline bool it_armed(void)
{
	return *(volatile __u64 *)&it_armed_ns != 0;
}

/* A raw tracepoint program NAME whose body runs only once tracing is armed. */
#define IT_RAW_TP(name)                                                                            \
	static __always_inline int name##_armed(u64 *ctx);                                         \
	SEC("raw_tp")                                                                              \
	int name(u64 *ctx)                                                                         \
	{                                                                                          \
		return it_armed() ? name##_armed(ctx) : 0;                                         \
	}                                                                                          \
	static __always_inline int name##_armed(u64 *ctx)

/* Configuration, set by user space before load. */
IT_CFG(__u32, cfg_tp_dma_map, 0);      /* map/unmap events come from dma:* tracepoints */
IT_CFG(__u32, cfg_tp_dma_sg, 0);       /* sg map/unmap events come from dma:* tracepoints */
IT_CFG(__u32, cfg_tp_dma_alloc, 0);    /* coherent alloc/free events come from dma:* tracepoints */
IT_CFG(__u32, cfg_map_stacks, 1);      /* capture the kernel stack of every tracked mapping */
IT_CFG(__u32, cfg_unmap_stacks, 0);    /* ... and of every unmap (use-after-unmap faults) */
IT_CFG(__u32, cfg_unmap_hist, 0);      /* entries of unmap_hist (a power of two), 0: off */
IT_CFG(__u64, cfg_rb_wakeup_bytes, 0); /* wake user space once this much is queued */
IT_CFG(__u32, cfg_test_stack, 0);      /* tests only: stack positions come from ctxstack.scratch */

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IT_HOOK_NR);
	__type(key, __u32);
	__type(value, __u64);
} hook_hits SEC(".maps");

/* Function exits that found no matching entry, per hook (see it_ctx_pop). */
IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IT_HOOK_NR);
	__type(key, __u32);
	__type(value, __u64);
} hook_misses SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IT_C_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 512);
	__type(key, __u64);
	__type(value, struct it_dev_stats);
} dev_stats SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 512);
	__type(key, struct it_dom_key);
	__type(value, struct it_dom_stats);
} dom_stats SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct it_iova_stack_key);
	__type(value, struct it_iova_stack_val);
} iova_stacks SEC(".maps");

/* Zero values to insert from: the stats structs are too large for the BPF stack. */
IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_dev_stats);
} dev_zero SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_dom_stats);
} dom_zero SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct it_dev_info);
} dev_info SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, __u64);
	__type(value, struct it_dom_info);
} dom_dev SEC(".maps");

/* Sized by user space (--max-mappings) before load. */
IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__type(key, struct it_live_key);
	__type(value, struct it_live_val);
} live SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct it_live_key);
	__type(value, struct it_unmapped_val);
} unmapped SEC(".maps");

/* PCI requester (segment << 16 | bus << 8 | devfn) -> struct device, filled by user space from
 * dev_info: attributes VT-d fault records, which name only the requester, to devices. */
IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} sid_dev SEC(".maps");

/* Sized by user space: 1 entry (off) unless a command wants the history. */
IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct it_unmap_rec);
} unmap_hist SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} unmap_hist_pos SEC(".maps");

/*
 * Kernel stacks of maps (and, for faults, unmaps). A stack whose hash bucket is taken by another
 * stack is lost (bpf_get_stackid without REUSE: ids already handed out must stay valid), so the
 * table is wide — 64 Ki buckets — and frames are capped at 64 to keep it at 32 MiB.
 */
IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 65536);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, IT_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

IT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_ctxstack);
} ctxstack SEC(".maps");

static __always_inline void it_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline void it_hit(__u32 hook)
{
	__u64 *v = bpf_map_lookup_elem(&hook_hits, &hook);

	if (v)
		*v += 1;
}

static __always_inline void it_miss(__u32 hook)
{
	__u64 *v = bpf_map_lookup_elem(&hook_misses, &hook);

	it_count(IT_C_CTX_MISMATCH);
	if (v)
		*v += 1;
}

/* log2 bucket of a value, clamped to the histogram. */
static __always_inline __u32 it_log2(__u64 v)
{
	__u32 r = 0;

	if (v >= (1ULL << 32)) {
		v >>= 32;
		r += 32;
	}
	if (v >= (1ULL << 16)) {
		v >>= 16;
		r += 16;
	}
	if (v >= (1ULL << 8)) {
		v >>= 8;
		r += 8;
	}
	if (v >= (1ULL << 4)) {
		v >>= 4;
		r += 4;
	}
	if (v >= (1ULL << 2)) {
		v >>= 2;
		r += 2;
	}
	if (v >= (1ULL << 1)) {
		r += 1;
	}
	return r;
}

static __always_inline void it_hist_add(__u64 *hist, __u64 v)
{
	__u32 slot = it_log2(v);

	if (slot >= IT_HIST_SLOTS)
		slot = IT_HIST_SLOTS - 1;
	hist[slot & (IT_HIST_SLOTS - 1)] += 1;
}

/* Remember a device's name and driver the first time it is seen. */
static __always_inline void it_note_device(__u64 dev)
{
	struct it_dev_info info = {};
	struct device *d = (struct device *)dev;
	struct device_driver *drv;
	const char *name;

	if (!dev || bpf_map_lookup_elem(&dev_info, &dev))
		return;
	name = BPF_CORE_READ(d, kobj.name);
	if (name)
		bpf_probe_read_kernel_str(info.name, sizeof(info.name), name);
	drv = BPF_CORE_READ(d, driver);
	if (drv) {
		name = BPF_CORE_READ(drv, name);
		if (name)
			bpf_probe_read_kernel_str(info.driver, sizeof(info.driver), name);
	}
	bpf_map_update_elem(&dev_info, &dev, &info, BPF_NOEXIST);
}

/* This CPU's aggregates for a device, created on first use. */
static __always_inline struct it_dev_stats *it_dev(__u64 dev)
{
	struct it_dev_stats *s = bpf_map_lookup_elem(&dev_stats, &dev);
	__u32 zero = 0;

	if (s)
		return s;
	it_note_device(dev);
	s = bpf_map_lookup_elem(&dev_zero, &zero);
	if (!s)
		return 0;
	if (bpf_map_update_elem(&dev_stats, &dev, s, BPF_NOEXIST) && dev) {
		/* Table full: count it, and account the event to device 0. */
		it_count(IT_C_DEV_OVERFLOW);
		dev = 0;
		bpf_map_update_elem(&dev_stats, &dev, s, BPF_NOEXIST);
	}
	return bpf_map_lookup_elem(&dev_stats, &dev);
}

/* This CPU's IOVA aggregates for (domain, device), created on first use. */
static __always_inline struct it_dom_stats *it_dom(__u64 dom, __u64 dev)
{
	struct it_dom_key key = {.dom = dom, .dev = dev};
	struct it_dom_stats *s = bpf_map_lookup_elem(&dom_stats, &key);
	__u32 zero = 0;

	if (s)
		return s;
	s = bpf_map_lookup_elem(&dom_zero, &zero);
	if (!s)
		return 0;
	/* Only a full table sends the entry to (0, 0). (Not "dom || dev": dom may be a typed
	 * kernel pointer under fexit, and the verifier refuses OR-ing it with a scalar.) */
	if (bpf_map_update_elem(&dom_stats, &key, s, BPF_NOEXIST) == -E2BIG) {
		it_count(IT_C_DOM_OVERFLOW);
		key.dom = 0;
		key.dev = 0;
		bpf_map_update_elem(&dom_stats, &key, s, BPF_NOEXIST);
	}
	return bpf_map_lookup_elem(&dom_stats, &key);
}

static __always_inline __s32 it_stack(void *ctx)
{
	__s32 id = bpf_get_stackid(ctx, &stacks, 0);

	if (id < 0)
		it_count(IT_C_STACK_ERR);
	return id;
}

/* Batched wake-ups: wake the reader only once cfg_rb_wakeup_bytes are waiting (it also polls
 * every tick). */
static __always_inline __u64 it_wakeup_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_rb_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Queue a rare event; a full ring buffer counts the drop. */
static __always_inline void it_emit(struct it_event *e)
{
	if (bpf_ringbuf_output(&events, e, sizeof(*e), it_wakeup_flags()))
		it_count(IT_C_RB_DROPPED);
}

static __always_inline void it_event_init(struct it_event *e, __u16 type, __u64 dev)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->type = type;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->ts_ns = bpf_ktime_get_ns();
	e->dev = dev;
	e->stack_id = -1;
	e->map_stack_id = -1;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

#endif /* IOMMUTRACE_COMMON_BPF_H */
