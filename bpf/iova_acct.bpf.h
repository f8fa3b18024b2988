/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iova_acct.bpf.h: how one IOVA allocation or free is counted — per (domain, device) in
 * `dom_stats` and per (device, stack) in `iova_stacks`. Used by the allocator hooks (iova.bpf.h)
 * and for calls whose exit the kernel skipped (ctx.bpf.h).
 */
#ifndef IOMMUTRACE_IOVA_ACCT_BPF_H
#define IOMMUTRACE_IOVA_ACCT_BPF_H

#include "common.bpf.h"

/* order_base_2(pages): the per-CPU caches bin a size under its next power of two. */
static __always_inline __u32 it_iova_class(__u64 pages)
{
	__u32 c = pages > 1 ? it_log2(pages - 1) + 1 : 0;

	return c < IT_SIZE_CLASSES ? c : IT_SIZE_CLASSES - 1;
}

static __always_inline void it_dom_note_dev(__u64 dom, __u64 dev)
{
	struct it_dom_info *cur, info = {.dev = dev};

	if (!dev)
		return;
	cur = bpf_map_lookup_elem(&dom_dev, &dom);
	if (!cur || cur->dev != dev)
		bpf_map_update_elem(&dom_dev, &dom, &info, BPF_ANY);
}

/* The device an allocation or free belongs to: the DMA call's in progress, else the domain's last
 * allocator (the flush queue frees from a timer, long after the unmap; an allocation whose DMA
 * call's entry program the kernel skipped has no call in progress). */
static __always_inline __u64 it_iova_dom_dev(__u64 dom, __u64 dev)
{
	struct it_dom_info *cur;

	if (dev)
		return dev;
	cur = bpf_map_lookup_elem(&dom_dev, &dom);
	return cur ? cur->dev : 0;
}

static __always_inline void it_iova_stack_add(struct it_frame *f, __u64 dev, __u64 ns)
{
	struct it_iova_stack_key key = {.dev = dev, .stack_id = f->stack_id};
	struct it_iova_stack_val *v, zero = {};

	if (!cfg_map_stacks)
		return;
	if (key.stack_id < 0)
		key.stack_id = -1;
	v = bpf_map_lookup_elem(&iova_stacks, &key);
	if (!v) {
		if (bpf_map_update_elem(&iova_stacks, &key, &zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&iova_stacks, &key)) {
			it_count(IT_C_IOVA_STACK_OVERFLOW);
			return;
		}
		v = bpf_map_lookup_elem(&iova_stacks, &key);
		if (!v)
			return;
	}
	v->allocs += 1;
	v->misses += f->nested >= 1;
	if (ns) {
		v->ns += ns;
		v->timed += 1;
	}
}

/*
 * An alloc_iova_fast call returned pfn (0: failed). f: its frame (arg = domain, size = pages,
 * nents = 32-bit-limit first attempt, nested = alloc_iova calls inside). ns: its latency, 0 if
 * unknown. Returns the device it was counted for.
 */
static __always_inline __u64 it_iova_alloc_account(struct it_frame *f, __u64 pfn, __u64 ns)
{
	__u64 dev = it_iova_dom_dev(f->arg, f->dev);
	struct it_dom_stats *s = it_dom(f->arg, dev);

	it_dom_note_dev(f->arg, f->dev);
	it_iova_stack_add(f, dev, ns);
	if (!s)
		return dev;
	s->allocs += 1;
	s->alloc_pages += f->size;
	if (!pfn)
		s->alloc_fail += 1;
	if (f->nested >= 1)
		s->cache_misses += 1;
	if (f->nested >= 2)
		s->flush_retries += 1;
	if (f->nents) {
		s->limit32 += 1;
		if (!pfn)
			s->limit32_fail += 1;
	}
	s->size_class[it_iova_class(f->size) & 15] += 1;
	if (ns)
		it_hist_add(s->hist[IT_H_ALLOC], ns);
	return dev;
}

/* A free_iova_fast call of `pages` from domain dom; ns: its latency, 0 if unknown. */
static __always_inline void it_iova_free_account(__u64 dom, __u64 dev, __u64 pages, __u64 ns)
{
	struct it_dom_stats *s = it_dom(dom, it_iova_dom_dev(dom, dev));

	if (!s)
		return;
	s->frees += 1;
	s->free_pages += pages;
	if (ns)
		it_hist_add(s->hist[IT_H_FREE], ns);
}

#endif /* IOMMUTRACE_IOVA_ACCT_BPF_H */
