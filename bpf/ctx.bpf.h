/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctx.bpf.h: the DMA/IOVA calls in progress on each CPU.
 *
 * iommu:map and alloc_iova_fast carry no device. The kernel reaches them from a dma_map_* call on
 * the same CPU (dma_map_page_attrs -> iommu_dma_map_page -> alloc_iova_fast -> iommu_map ->
 * trace map), so the entry hooks push a frame, the exit hooks pop it, and anything in between is
 * attributed to the innermost frame's device. An interrupt that maps on the same CPU nests above
 * and is popped before the interrupted call resumes, so the stack discipline holds; a frame left
 * behind by a missed exit is found by the task check and dropped (counted as a mismatch).
 */
#ifndef IOMMUTRACE_CTX_BPF_H
#define IOMMUTRACE_CTX_BPF_H

#include "common.bpf.h"

#define IT_CTX_STALE_NS 1000000000ULL

static __always_inline struct it_ctxstack *it_ctx(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ctxstack, &zero);
}

/* The innermost call in progress on this CPU, or NULL. */
static __always_inline struct it_frame *it_ctx_top(void)
{
	struct it_ctxstack *s = it_ctx();
	__u32 d;

	if (!s)
		return 0;
	d = s->depth;
	if (d == 0 || d > IT_CTX_DEPTH)
		return 0;
	return &s->f[(d - 1) & (IT_CTX_DEPTH - 1)];
}

/* Device of the innermost DMA call in progress, 0 if none. */
static __always_inline __u64 it_ctx_dev(void)
{
	struct it_frame *f = it_ctx_top();

	return f ? f->dev : 0;
}

/*
 * Start a call. dev == 0 inherits the enclosing call's device. Returns the new frame, or NULL when
 * nested too deep (the call is then still counted, its depth kept so the exit balances).
 */
static __always_inline struct it_frame *it_ctx_push(__u32 hook, __u64 dev, __u64 arg, __u64 size,
						     __u32 nents, __u8 dir)
{
	struct it_ctxstack *s = it_ctx();
	__u64 now = bpf_ktime_get_ns();
	struct it_frame *f;
	__u32 d;

	if (!s)
		return 0;
	d = s->depth;
	/* No DMA API call lasts a second: an older frame on top lost its exit. */
	if (d > 0 && d <= IT_CTX_DEPTH) {
		struct it_frame *top = &s->f[(d - 1) & (IT_CTX_DEPTH - 1)];

		if (now - top->t0 > IT_CTX_STALE_NS) {
			it_miss(top->hook);
			d -= 1;
		}
	}
	if (d >= IT_CTX_DEPTH) {
		if (d < 255)
			s->depth = d + 1;
		it_count(IT_C_CTX_OVERFLOW);
		return 0;
	}
	/* Keep the masks: the verifier needs the index bounded where it is used. */
	barrier_var(d);
	if (!dev && d > 0)
		dev = s->f[(d - 1) & (IT_CTX_DEPTH - 1)].dev;
	barrier_var(d);
	f = &s->f[d & (IT_CTX_DEPTH - 1)];
	f->task = bpf_get_current_task();
	f->dev = dev;
	f->arg = arg;
	f->size = size;
	f->nents = nents;
	f->hook = hook;
	f->dir = dir;
	f->nested = 0;
	s->depth = d + 1;
	f->t0 = now;
	return f;
}

/*
 * End a call: returns its frame (valid until the next push on this CPU), or NULL if no matching
 * entry is on the stack. Frames above the match are stale (their exits were missed) and dropped.
 */
static __always_inline struct it_frame *it_ctx_pop(__u32 hook)
{
	struct it_ctxstack *s = it_ctx();
	__u64 task = bpf_get_current_task();
	__u32 d, i;

	if (!s)
		return 0;
	d = s->depth;
	if (d == 0) {
		it_miss(hook);
		return 0;
	}
	if (d > IT_CTX_DEPTH) {
		/* This exit belongs to a call that was too deep to record. */
		s->depth = d - 1;
		return 0;
	}
	for (i = 0; i < IT_CTX_DEPTH; i++) {
		struct it_frame *f;

		if (i >= d)
			break;
		f = &s->f[(d - 1 - i) & (IT_CTX_DEPTH - 1)];
		if (f->hook == hook && f->task == task) {
			if (i) /* the innermost stale frame lost its exit */
				it_miss(s->f[(d - 1) & (IT_CTX_DEPTH - 1)].hook);
			s->depth = d - 1 - i;
			return f;
		}
	}
	it_miss(hook);
	return 0;
}

#endif /* IOMMUTRACE_CTX_BPF_H */
