/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctx.bpf.h: the DMA/IOVA calls in progress on each CPU.
 *
 * iommu:map and alloc_iova_fast carry no device. The kernel reaches them from a dma_map_* call on
 * the same CPU (dma_map_page_attrs -> iommu_dma_map_page -> alloc_iova_fast -> iommu_map ->
 * trace map), so the entry hooks push a frame, the exit hooks pop it, and anything in between is
 * attributed to the innermost frame's device. An interrupt that maps on the same CPU nests above
 * and is popped before the interrupted call resumes, so the stack discipline holds. A frame is
 * matched by hook, task and stack (it_stack_pos): when the kernel skips a nested call's entry
 * program (its BPF recursion guard), that call's exit finds no frame instead of taking the
 * interrupted call's; a frame left behind by a missed exit is dropped (counted as a mismatch).
 * An exit with no frame at all right after tracing started is a call that was in progress then.
 */
#ifndef IOMMUTRACE_CTX_BPF_H
#define IOMMUTRACE_CTX_BPF_H

#include "iova_acct.bpf.h"

#define IT_CTX_STALE_NS 1000000000ULL
/*
 * Where on which stack this call runs. Entry and exit programs get a context that lives on the
 * current stack (the trampoline's frame for fentry/fexit, pt_regs for kprobes). x86-64 stacks are
 * 16 KiB-aligned blocks, and interrupts run on the per-CPU IRQ stack: the block tells an
 * interrupt-nested call from the call it interrupted even though both run for the same task, and
 * the address within the block orders calls nested on one stack (it grows down).
 */
#define IT_STACK_SHIFT 14

static __always_inline __u64 it_stack_pos(struct it_ctxstack *s, void *ctx)
{
	if (cfg_test_stack) /* BPF_PROG_TEST_RUN copies ctx to the heap: tests set the position */
		return s->scratch;
	/* The verifier allows no arithmetic on a ctx pointer, but a privileged program may store
	 * it in a map value and read it back as a number. */
	*(volatile __u64 *)&s->scratch = (__u64)ctx;
	return *(volatile __u64 *)&s->scratch;
}

static __always_inline bool it_same_stack(__u64 a, __u64 b)
{
	return (a >> IT_STACK_SHIFT) == (b >> IT_STACK_SHIFT);
}

static __always_inline struct it_ctxstack *it_ctx(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ctxstack, &zero);
}

/*
 * A call whose exit program the kernel skipped still happened: count it where the exit would have
 * (without latency, and without a live-table entry since its address is unknown).
 */
static __always_inline void it_frame_lost(struct it_frame *f)
{
	struct it_dev_stats *d;

	it_miss(f->hook);
	switch (f->hook) {
	case IT_FN_DMA_MAP:
	case IT_FN_DMA_MAP_RES:
		if (!cfg_tp_dma_map && (d = it_dev(f->dev))) {
			d->map += 1;
			d->map_bytes += f->size;
		}
		break;
	case IT_FN_DMA_MAP_SG:
		if (!cfg_tp_dma_sg && (d = it_dev(f->dev)))
			d->map_sg += 1;
		break;
	case IT_FN_ALLOC_IOVA_FAST: /* its result is unknown: counted as a success */
		it_iova_alloc_account(f, 1, 0);
		break;
	case IT_FN_FREE_IOVA_FAST:
		it_iova_free_account(f->arg, f->dev, f->size, 0);
		break;
	}
}

/*
 * An exit whose entry is not on the stack. Within a second of arming (no DMA API call lasts longer)
 * it is a call that was already in progress when tracing started: counted as such, and the exit
 * program still counts what its arguments tell. Later it is an entry the kernel skipped.
 */
static __always_inline void it_exit_unmatched(__u32 hook)
{
	if (bpf_ktime_get_ns() - it_armed_ns < IT_CTX_STALE_NS)
		it_count(IT_C_ATTACH_INFLIGHT);
	else
		it_miss(hook);
}

/* Whether frame f belongs to the call running now (same task, same stack). */
static __always_inline bool it_ctx_mine(struct it_frame *f, void *ctx)
{
	struct it_ctxstack *s = it_ctx();

	return s && f->task == bpf_get_current_task() &&
	       it_same_stack(f->stk, it_stack_pos(s, ctx));
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

#define IT_PGT_AFTER_ALLOC_NS 10000000ULL /* 10 ms */

/* Remember the device of an IOVA allocation that just returned in this context. */
static __always_inline void it_note_alloc(void *ctx, __u64 dev)
{
	struct it_ctxstack *s = it_ctx();

	if (!s)
		return;
	s->alloc_stk = it_stack_pos(s, ctx);
	s->alloc_task = bpf_get_current_task();
	s->alloc_ns = bpf_ktime_get_ns();
	s->alloc_dev = dev;
}

/*
 * The device of an iommu:map: the DMA call in progress in this context; if the kernel skipped
 * that call's entry program (an interrupt nested in it), the device of the IOVA allocated just
 * before in this context (the DMA layer allocates the IOVA, then maps it); else none. A frame of
 * another context (a call this one interrupted) is not its call.
 */
static __always_inline __u64 it_pgt_dev(void *ctx)
{
	struct it_ctxstack *s = it_ctx();
	struct it_frame *f = it_ctx_top();

	if (!s)
		return 0;
	if (f && it_ctx_mine(f, ctx))
		return f->dev;
	if (s->alloc_task == bpf_get_current_task() &&
	    it_same_stack(s->alloc_stk, it_stack_pos(s, ctx)) &&
	    bpf_ktime_get_ns() - s->alloc_ns < IT_PGT_AFTER_ALLOC_NS)
		return s->alloc_dev;
	return 0;
}

/* Is the innermost call in progress on this CPU (after a pop: the interrupted one) an unmap? */
static __always_inline bool it_ctx_in_unmap(struct it_ctxstack *s)
{
	__u32 d = s->depth, h;

	if (d == 0 || d > IT_CTX_DEPTH)
		return false;
	h = s->f[(d - 1) & (IT_CTX_DEPTH - 1)].hook;
	return h == IT_FN_DMA_UNMAP || h == IT_FN_DMA_UNMAP_RES || h == IT_FN_DMA_UNMAP_SG;
}

/* Calls whose exit (or tracepoint) adds live mappings. */
static __always_inline bool it_hook_maps(__u32 hook)
{
	return hook == IT_FN_DMA_MAP || hook == IT_FN_DMA_MAP_RES || hook == IT_FN_DMA_MAP_SG ||
	       hook == IT_FN_DMA_ALLOC;
}

/*
 * One stack walk per map call: the IOVA allocation inside a map call captures the kernel stack
 * (for the per-stack IOVA table) and leaves it in the enclosing map call's frame, whose live
 * mappings then reuse it (the same driver path, seen from two frames deeper) instead of walking
 * the stack again at the exit. Only a frame of this context (not a call this one interrupted).
 */
static __always_inline void it_ctx_share_stack(void *ctx, __s32 stack_id)
{
	struct it_ctxstack *s = it_ctx();
	struct it_frame *p;
	__u32 d;

	if (!s || stack_id < 0)
		return;
	d = s->depth;
	if (d < 2 || d > IT_CTX_DEPTH)
		return;
	barrier_var(d);
	p = &s->f[(d - 2) & (IT_CTX_DEPTH - 1)];
	if (p->stack_id < 0 && it_hook_maps(p->hook) && it_ctx_mine(p, ctx))
		p->stack_id = stack_id;
}

/* The stack a map call in progress in this context (on dev) already has, for a tracepoint that
 * fires inside it; -1 if none. */
static __always_inline __s32 it_ctx_call_stack(void *ctx, __u64 dev)
{
	struct it_frame *f = it_ctx_top();

	if (f && f->stack_id >= 0 && f->dev == dev && it_hook_maps(f->hook) && it_ctx_mine(f, ctx))
		return f->stack_id;
	return -1;
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
static __always_inline struct it_frame *it_ctx_push(void *ctx, __u32 hook, __u64 dev, __u64 arg,
						    __u64 size, __u32 nents, __u8 dir)
{
	struct it_ctxstack *s = it_ctx();
	__u64 now = bpf_ktime_get_ns(), task = bpf_get_current_task(), stk;
	__u32 d, i;
	struct it_frame *f;

	if (!s)
		return 0;
	stk = it_stack_pos(s, ctx);
	d = s->depth;
	/*
	 * Frames whose exit was lost (the kernel's recursion guard skipped an exit program) must
	 * not pile up. While a call is live, whatever nests in it runs below its frame on its
	 * stack; so a frame on this stack at or below this call's position, or another task's frame
	 * on it (only the per-CPU IRQ stack is shared, and nesting in one interrupt keeps the
	 * task), is a call that has returned. Also, no DMA API call lasts a second.
	 */
	for (i = 0; i < IT_CTX_DEPTH && d > 0 && d <= IT_CTX_DEPTH; i++) {
		__u32 idx = d - 1;
		struct it_frame *top;

		barrier_var(idx);
		top = &s->f[idx & (IT_CTX_DEPTH - 1)];
		if (!(it_same_stack(top->stk, stk) && (top->task != task || stk >= top->stk)) &&
		    now - top->t0 <= IT_CTX_STALE_NS)
			break;
		it_frame_lost(top);
		d -= 1;
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
	/* Reserve the slot first: an interrupt arriving now nests above it. */
	s->depth = d + 1;
	f->t0 = now;
	f->stk = stk;
	f->task = task;
	f->hook = hook;
	f->dev = dev;
	f->arg = arg;
	f->size = size;
	f->nents = nents;
	f->dir = dir;
	f->nested = 0;
	f->flags = 0;
	f->stack_id = -1;
	return f;
}

/*
 * End a call: copies its frame to *out and returns true, or false if no matching entry is on the
 * stack. A copy, because an interrupt may reuse the slot as soon as it is released. Frames above
 * the match are stale (their exits were missed) and dropped.
 */
static __always_inline bool it_ctx_pop(void *ctx, __u32 hook, struct it_frame *out)
{
	struct it_ctxstack *s = it_ctx();
	__u64 task = bpf_get_current_task();
	struct it_frame *top_frame;
	__u32 d, i, top;
	__u64 stk;

	if (!s)
		return false;
	stk = it_stack_pos(s, ctx);
	d = s->depth;
	if (d == 0) {
		it_exit_unmatched(hook);
		return false;
	}
	if (d > IT_CTX_DEPTH) {
		/* This exit belongs to a call that was too deep to record. */
		s->depth = d - 1;
		return false;
	}
	top = d - 1;
	barrier_var(top);
	top_frame = &s->f[top & (IT_CTX_DEPTH - 1)];
	for (i = 0; i < IT_CTX_DEPTH; i++) {
		__u32 idx = d - 1 - i;
		struct it_frame *f;

		if (i >= d)
			break;
		barrier_var(idx);
		f = &s->f[idx & (IT_CTX_DEPTH - 1)];
		if (f->hook == hook && f->task == task && it_same_stack(f->stk, stk)) {
			*out = *f;
			if (i) /* the innermost stale frame lost its exit */
				it_frame_lost(top_frame);
			s->depth = idx;
			return true;
		}
	}
	it_exit_unmatched(hook);
	return false;
}

#endif /* IOMMUTRACE_CTX_BPF_H */
