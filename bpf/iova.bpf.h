/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iova.bpf.h: entry/exit logic of the IOVA allocator hooks (wrapped by iova.bpf.c and the tests).
 * alloc_iova_fast() serves sizes up to 32 pages from per-CPU
 * magazines; a miss falls through to alloc_iova() (the rbtree under a lock), twice when it retries
 * after flushing the caches. The DMA layer (iommu_dma_alloc_iova) first tries below 4 GiB without
 * a flush (limit 2^32 >> 12, flush_rcache false) for PCI devices that may go above, then the full
 * limit. Stats are kept per (iova_domain, device) and per (device, stack); the device comes from
 * the DMA call in progress (ctx.bpf.h), accounting in iova_acct.bpf.h.
 */
#ifndef IOMMUTRACE_IOVA_BPF_H
#define IOMMUTRACE_IOVA_BPF_H

#include "ctx.bpf.h"

#define IT_PFN_LIMIT_32BIT (0xffffffffUL >> 12)

/* The 32-bit first attempt: limit_pfn at 4 GiB and no cache flush on failure. */
static __always_inline __u32 it_iova_first32(u64 limit_pfn, u64 flush_rcache)
{
	return limit_pfn == IT_PFN_LIMIT_32BIT && !(flush_rcache & 0xff);
}

/* unsigned long alloc_iova_fast(iovad, size, limit_pfn, flush_rcache) */
static __always_inline int alloc_iova_fast_entry(void *ctx, u64 *a)
{
	struct it_frame *f;

	it_hit(IT_FN_ALLOC_IOVA_FAST);
	f = it_ctx_push(ctx, IT_FN_ALLOC_IOVA_FAST, 0, a[0], a[1], it_iova_first32(a[2], a[3]), 0);
	if (f && cfg_map_stacks) {
		f->stack_id = it_stack(ctx);
		it_ctx_share_stack(ctx, f->stack_id);
	}
	return 0;
}

static __always_inline int alloc_iova_fast_exit(void *ctx, u64 ret, u64 *args)
{
	struct it_frame f = {};

	if (it_ctx_pop(ctx, IT_FN_ALLOC_IOVA_FAST, &f)) {
		it_note_alloc(ctx,
			      it_iova_alloc_account(&f, ret, (bpf_ktime_get_ns() - f.t0) ?: 1));
	} else if (args) {
		/* The entry was skipped by the kernel; fexit still has the arguments. */
		f.arg = args[0];
		f.size = args[1];
		f.nents = it_iova_first32(args[2], args[3]);
		f.dev = it_ctx_dev();
		f.stack_id = cfg_map_stacks ? it_stack(ctx) : -1;
		it_note_alloc(ctx, it_iova_alloc_account(&f, ret, 0));
	}
	return 0;
}

/* struct iova *alloc_iova(iovad, size, limit_pfn, size_aligned): inside alloc_iova_fast, a miss */
static __always_inline int alloc_iova_entry(void *ctx, u64 *a)
{
	struct it_frame *f = it_ctx_top();

	it_hit(IT_FN_ALLOC_IOVA);
	if (f && f->hook == IT_FN_ALLOC_IOVA_FAST && it_ctx_mine(f, ctx) && f->nested < 255)
		f->nested += 1;
	return 0;
}

/* void free_iova_fast(iovad, pfn, size) */
static __always_inline int free_iova_fast_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_FREE_IOVA_FAST);
	it_ctx_push(ctx, IT_FN_FREE_IOVA_FAST, 0, a[0], a[2], 0, 0);
	return 0;
}

static __always_inline int free_iova_fast_exit(void *ctx, u64 ret, u64 *args)
{
	struct it_frame f = {};

	if (it_ctx_pop(ctx, IT_FN_FREE_IOVA_FAST, &f))
		it_iova_free_account(f.arg, f.dev, f.size, (bpf_ktime_get_ns() - f.t0) ?: 1);
	else if (args) /* entry skipped by the kernel: fexit has the arguments */
		it_iova_free_account(args[0], it_ctx_dev(), args[2], 0);
	return 0;
}

/* Flush queue (lazy mode): the timer and each IOTLB flush. */
static __always_inline int fq_flush_timeout_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_FQ_FLUSH_TIMEOUT);
	it_count(IT_C_FQ_TIMEOUT);
	return 0;
}

static __always_inline int fq_flush_iotlb_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_FQ_FLUSH_IOTLB);
	it_count(IT_C_FQ_FLUSH);
	return 0;
}

#endif /* IOMMUTRACE_IOVA_BPF_H */
