/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iova.bpf.h: entry/exit logic of the IOVA allocator hooks (wrapped by iova.bpf.c and the tests).
 * alloc_iova_fast() serves sizes up to 32 pages from per-CPU
 * magazines; a miss falls through to alloc_iova() (the rbtree under a lock), twice when it retries
 * after flushing the caches. Stats are kept per iova_domain (one per DMA domain, i.e. per IOMMU
 * group); the device comes from the DMA call in progress (ctx.bpf.h).
 */
#ifndef IOMMUTRACE_IOVA_BPF_H
#define IOMMUTRACE_IOVA_BPF_H

#include "ctx.bpf.h"

#define IT_PFN_LIMIT_32BIT (0xffffffffUL >> 12)

static __always_inline void it_dom_note_dev(__u64 dom, __u64 dev)
{
	struct it_dom_info *cur, info = {.dev = dev};

	if (!dev)
		return;
	cur = bpf_map_lookup_elem(&dom_dev, &dom);
	if (!cur || cur->dev != dev)
		bpf_map_update_elem(&dom_dev, &dom, &info, BPF_ANY);
}

/* unsigned long alloc_iova_fast(iovad, size, limit_pfn, flush_rcache) */
static __always_inline int alloc_iova_fast_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_ALLOC_IOVA_FAST);
	it_ctx_push(ctx, IT_FN_ALLOC_IOVA_FAST, 0, a[0], a[1], a[2] == IT_PFN_LIMIT_32BIT, 0);
	return 0;
}

static __always_inline void it_iova_alloc_done(struct it_frame *f, __u64 pfn, __u64 now)
{
	struct it_dom_stats *s = it_dom(f->arg);
	__u32 cls;

	it_dom_note_dev(f->arg, f->dev);
	if (!s)
		return;
	s->allocs += 1;
	s->alloc_pages += f->size;
	if (!pfn)
		s->alloc_fail += 1;
	if (f->nested >= 1)
		s->cache_misses += 1;
	if (f->nested >= 2)
		s->flush_retries += 1;
	if (f->nents)
		s->limit32 += 1;
	cls = it_log2(f->size);
	if (cls >= IT_SIZE_CLASSES)
		cls = IT_SIZE_CLASSES - 1;
	s->size_class[cls & 15] += 1;
	if (now) /* 0: latency unknown */
		it_hist_add(s->hist[IT_H_ALLOC], now - f->t0);
}

static __always_inline int alloc_iova_fast_exit(void *ctx, u64 ret, u64 *args)
{
	struct it_frame f = {};

	if (it_ctx_pop(ctx, IT_FN_ALLOC_IOVA_FAST, &f)) {
		it_iova_alloc_done(&f, ret, bpf_ktime_get_ns());
	} else if (args) {
		/* The entry was skipped by the kernel; fexit still has the arguments. */
		f.arg = args[0];
		f.size = args[1];
		f.nents = args[2] == IT_PFN_LIMIT_32BIT;
		f.dev = it_ctx_dev();
		it_iova_alloc_done(&f, ret, 0);
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
	struct it_dom_stats *s;
	struct it_frame f = {};
	bool popped = it_ctx_pop(ctx, IT_FN_FREE_IOVA_FAST, &f);

	if (!popped && args) { /* entry skipped by the kernel: fexit has the arguments */
		f.arg = args[0];
		f.size = args[2];
	} else if (!popped) {
		return 0;
	}
	s = it_dom(f.arg);
	if (!s)
		return 0;
	s->frees += 1;
	s->free_pages += f.size;
	if (popped)
		it_hist_add(s->hist[IT_H_FREE], bpf_ktime_get_ns() - f.t0);
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
