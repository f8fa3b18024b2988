/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma.bpf.h: what happens on a DMA API call — per-device counts, the live-mapping table and the
 * map/unmap consistency checks. The programs in dma.bpf.c (tracepoints, fentry/fexit and
 * kprobe/kretprobe) only extract arguments and call these.
 */
#ifndef IOMMUTRACE_DMA_BPF_H
#define IOMMUTRACE_DMA_BPF_H

#include "ctx.bpf.h"

#define IT_DMA_MAPPING_ERROR (~(__u64)0)

/*
 * The kernel stack recorded with a call's live mappings: the one the call already has (its IOVA
 * allocation's, it_ctx_share_stack) or else a fresh one; -1 without --stacks.
 */
static __always_inline __s32 it_map_stack(void *ctx, __s32 call_stack)
{
	if (!cfg_map_stacks)
		return -1;
	return call_stack >= 0 ? call_stack : it_stack(ctx);
}

static __always_inline void it_live_add(struct it_dev_stats *s, __u64 dev, __u64 addr, __u64 size,
					__u8 dir, __u8 kind, __u16 nents, __s32 stack_id)
{
	struct it_live_key k = {.dev = dev, .dma_addr = addr};
	struct it_live_val v = {
	    .size = size,
	    .map_ns = bpf_ktime_get_ns(),
	    .stack_id = stack_id,
	    .pid = bpf_get_current_pid_tgid() >> 32,
	    .nents = nents,
	    .dir = dir,
	    .kind = kind,
	};

	/* BPF_ANY: a stale entry at the same address (its unmap was missed) is replaced. */
	if (bpf_map_update_elem(&live, &k, &v, BPF_ANY)) {
		it_count(IT_C_LIVE_OVERFLOW);
		return;
	}
	if (s)
		s->live_add += 1;
}

/* Report DMA API misuse: the offending call (addr, size, dir) against the mapping it concerns. */
static __always_inline void it_issue(void *ctx, struct it_dev_stats *s, __u16 kind, __u64 dev,
				     __u64 addr, __u64 size, __u8 dir, __u16 nents, __u64 map_size,
				     __u64 map_ns, __u8 map_dir, __u16 map_nents, __s32 map_stack)
{
	struct it_event e = {};

	it_event_init(&e, IT_EV_DMA_ISSUE, dev);
	e.kind = kind;
	e.addr = addr;
	e.size = size;
	e.dir = dir;
	e.nents = nents;
	e.map_size = map_size;
	e.map_ns = map_ns;
	e.map_dir = map_dir;
	e.map_nents = map_nents;
	e.map_stack_id = map_stack;
	e.stack_id = it_stack(ctx);
	if (s)
		s->issues += 1;
	it_emit(&e);
}

static __always_inline void it_issue_live(void *ctx, struct it_dev_stats *s, __u16 kind, __u64 dev,
					  __u64 addr, __u64 size, __u8 dir, __u16 nents,
					  struct it_live_val *m)
{
	it_issue(ctx, s, kind, dev, addr, size, dir, nents, m->size, m->map_ns, m->dir, m->nents,
		 m->stack_id);
}

/* Append to the unmap history ring (a slot being rewritten while read is rare and harmless). */
static __always_inline void it_unmap_hist(struct it_live_key *k, struct it_unmapped_val *u)
{
	__u32 zero = 0, slot;
	__u64 *pos = bpf_map_lookup_elem(&unmap_hist_pos, &zero);
	struct it_unmap_rec *r;

	if (!pos)
		return;
	slot = __sync_fetch_and_add(pos, 1) & (cfg_unmap_hist - 1);
	r = bpf_map_lookup_elem(&unmap_hist, &slot);
	if (!r)
		return;
	r->dev = k->dev;
	r->dma_addr = k->dma_addr;
	r->size = u->size;
	r->map_ns = u->map_ns;
	r->unmap_ns = u->unmap_ns;
	r->map_stack_id = u->map_stack_id;
	r->unmap_stack_id = u->unmap_stack_id;
	r->dir = u->dir;
}

/* Remember an unmapped address for a while, to tell a later double unmap or late sync. */
static __always_inline void it_note_unmapped(void *ctx, struct it_live_key *k,
					     struct it_live_val *m)
{
	struct it_unmapped_val u = {
	    .size = m->size,
	    .unmap_ns = bpf_ktime_get_ns(),
	    .map_stack_id = m->stack_id,
	    .unmap_stack_id = -1,
	    .dir = m->dir,
	    .map_ns = m->map_ns,
	};

	if (cfg_unmap_stacks)
		u.unmap_stack_id = it_stack(ctx);
	bpf_map_update_elem(&unmapped, k, &u, BPF_ANY);
	if (cfg_unmap_hist)
		it_unmap_hist(k, &u);
}

/*
 * An unmap of an address that is not live. It may be a mapping made before iommutrace started
 * (or whose map it missed) — unless the IOMMU shows nothing was mapped there: iommu:unmap inside
 * the call unmapped less than asked, or never fired (the kernel WARNs and returns early when the
 * IOVA is not mapped). flags carries that evidence (IT_FF_*). Then, if it was unmapped recently, it
 * is a double unmap, else unknown. Without a frame (no function hooks) only double unmaps are
 * found, without that evidence. User space keeps a "never fired" unknown unmap only for devices
 * whose IOMMU group translates (DMA, DMA-FQ).
 */
static __always_inline void it_unmap_untracked(void *ctx, __u64 dev, __u64 addr, __u64 size,
					       __u8 dir, __u32 flags, bool have_frame)
{
	struct it_live_key k = {.dev = dev, .dma_addr = addr};
	struct it_unmapped_val *u = bpf_map_lookup_elem(&unmapped, &k);
	struct it_dev_stats *s = it_dev(dev);
	struct it_event e = {};

	/* The IOMMU unmapped a whole mapping: a real one whose map we did not see (made before we
	 * started, or its exit program skipped by the kernel), not a double or unknown unmap. */
	if (have_frame && (flags & IT_FF_PGT_SEEN) && !(flags & IT_FF_PGT_SHORT))
		return;
	/* The page-table evidence may have been dropped by the kernel: decide nothing. */
	if (flags & IT_FF_PGT_LOST)
		return;
	if (u) {
		it_issue(ctx, s, IT_ISSUE_DOUBLE_UNMAP, dev, addr, size, dir, 0, u->size, 0, u->dir,
			 0, u->map_stack_id);
		return;
	}
	if (!have_frame)
		return;
	it_event_init(&e, IT_EV_DMA_ISSUE, dev);
	e.kind = IT_ISSUE_UNKNOWN_UNMAP;
	e.addr = addr;
	e.size = size;
	e.dir = dir;
	e.map_dir = IT_DIR_NONE;
	e.aux = flags;
	e.stack_id = it_stack(ctx);
	if (s)
		s->issues += 1;
	it_emit(&e);
}

/* A mapping was made: count it and remember it. call_stack: the call's stack if it has one, or
 * -1 (it_map_stack). */
static __always_inline void it_dma_map(void *ctx, __u64 dev, __u64 addr, __u64 size, __u8 dir,
				       __u8 kind, __s32 call_stack)
{
	struct it_dev_stats *s;

	if (addr == IT_DMA_MAPPING_ERROR) {
		it_count(IT_C_MAP_ERRORS);
		return;
	}
	s = it_dev(dev);
	if (s) {
		if (kind == IT_MAP_COHERENT) {
			s->alloc += 1;
			s->alloc_bytes += size;
		} else {
			s->map += 1;
			s->map_bytes += size;
		}
	}
	it_live_add(s, dev, addr, size, dir, kind, 0, it_map_stack(ctx, call_stack));
}

/* A mapping goes away: check it against what was mapped, then forget it. */
static __always_inline void it_dma_unmap(void *ctx, __u64 dev, __u64 addr, __u64 size, __u8 dir,
					 __u8 kind)
{
	struct it_live_key k = {.dev = dev, .dma_addr = addr};
	struct it_dev_stats *s = it_dev(dev);
	struct it_live_val *m;

	if (s) {
		if (kind == IT_MAP_COHERENT) {
			s->free += 1;
		} else {
			s->unmap += 1;
			s->unmap_bytes += size;
		}
	}
	m = bpf_map_lookup_elem(&live, &k);
	if (!m) {
		struct it_frame *f = it_ctx_top();

		if (s)
			s->unmap_untracked += 1;

		/* Inside the unmap function call: decide at its exit, after iommu:unmap. */
		if (f && f->dev == dev &&
		    (f->hook == IT_FN_DMA_UNMAP || f->hook == IT_FN_DMA_UNMAP_RES)) {
			f->flags |= IT_FF_UNMAP_CAND;
			f->cand_addr = addr;
			f->cand_size = size;
		} else if (kind != IT_MAP_COHERENT) {
			it_unmap_untracked(ctx, dev, addr, size, dir, 0, false);
		}
		return;
	}
	if (kind != IT_MAP_COHERENT && m->dir != dir)
		it_issue_live(ctx, s, IT_ISSUE_UNMAP_DIRECTION, dev, addr, size, dir, 0, m);
	else if (m->size != size)
		it_issue_live(ctx, s, IT_ISSUE_UNMAP_SIZE, dev, addr, size, dir, 0, m);
	it_note_unmapped(ctx, &k, m);
	if (bpf_map_delete_elem(&live, &k) == 0 && s)
		s->live_del += 1;
}

/* The next entry of a scatterlist (sg_next(), following chain links). */
static __always_inline struct scatterlist *it_sg_next(struct scatterlist *sg, __u64 sgsz)
{
	unsigned long link;

	sg = (void *)sg + sgsz;
	link = BPF_CORE_READ(sg, page_link);
	if (link & 0x1) /* SG_CHAIN */
		sg = (struct scatterlist *)(link & ~0x3UL);
	return sg;
}

/* An sg list was mapped into `ents` DMA segments: count them and remember each. */
static __always_inline void it_dma_map_sg(void *ctx, __u64 dev, struct scatterlist *sg, __u32 nents,
					  __s32 ents, __u8 dir, __s32 call_stack)
{
	__u64 sgsz = bpf_core_type_size(struct scatterlist);
	struct it_dev_stats *s = it_dev(dev);
	__s32 stack_id;
	__u32 i;

	if (ents <= 0) {
		it_count(IT_C_MAP_ERRORS);
		return;
	}
	if (s) {
		s->map_sg += 1;
		s->map_sg_ents += ents;
	}
	stack_id = it_map_stack(ctx, call_stack); /* one for all segments */
	for (i = 0; i < IT_SG_MAX && i < (__u32)ents && sg; i++) {
		__u64 addr = BPF_CORE_READ(sg, dma_address);
		__u32 len = BPF_CORE_READ(sg, dma_length);

		if (s)
			s->map_sg_bytes += len;
		it_live_add(s, dev, addr, len, dir, IT_MAP_SG, nents, stack_id);
		sg = it_sg_next(sg, sgsz);
	}
}

static __always_inline void it_dma_unmap_sg(void *ctx, __u64 dev, struct scatterlist *sg,
					    __u32 nents, __u8 dir)
{
	__u64 sgsz = bpf_core_type_size(struct scatterlist);
	struct it_dev_stats *s = it_dev(dev);
	__u32 i;

	if (s)
		s->unmap_sg += 1;
	for (i = 0; i < IT_SG_MAX && i < nents && sg; i++) {
		struct it_live_key k = {.dev = dev};
		struct it_live_val *m;
		__u32 len = BPF_CORE_READ(sg, dma_length);

		if (!len)
			break;
		k.dma_addr = BPF_CORE_READ(sg, dma_address);
		m = bpf_map_lookup_elem(&live, &k);
		if (!m) {
			if (i == 0 && s) /* mapped before tracing began */
				s->unmap_untracked += 1;
		} else {
			if (i == 0 && m->dir != dir)
				it_issue_live(ctx, s, IT_ISSUE_UNMAP_DIRECTION, dev, k.dma_addr,
					      len, dir, nents, m);
			else if (i == 0 && m->nents != nents)
				it_issue_live(ctx, s, IT_ISSUE_UNMAP_NENTS, dev, k.dma_addr, len,
					      dir, nents, m);
			it_note_unmapped(ctx, &k, m);
			if (bpf_map_delete_elem(&live, &k) == 0 && s)
				s->live_del += 1;
		}
		sg = it_sg_next(sg, sgsz);
	}
}

/* Count a sync of either kind; returns the device's stats. */
static __always_inline struct it_dev_stats *it_dma_sync_count(__u64 dev, bool for_device)
{
	struct it_dev_stats *s = it_dev(dev);

	if (!s)
		return 0;
	if (for_device)
		s->sync_dev += 1;
	else
		s->sync_cpu += 1;
	return s;
}

/* dma_sync_single_for_{cpu,device}: count, and check against the mapping (the kernel's rules). */
static __always_inline void it_dma_sync(void *ctx, __u64 dev, __u64 addr, __u64 size, __u8 dir,
					bool for_device)
{
	struct it_live_key k = {.dev = dev, .dma_addr = addr};
	struct it_dev_stats *s = it_dma_sync_count(dev, for_device);
	struct it_unmapped_val *u;
	struct it_live_val *m;

	if (!s)
		return;
	m = bpf_map_lookup_elem(&live, &k);
	if (m) {
		if (size > m->size)
			it_issue_live(ctx, s, IT_ISSUE_SYNC_RANGE, dev, addr, size, dir, 0, m);
		else if (m->dir != IT_DIR_BIDIRECTIONAL && dir != m->dir)
			it_issue_live(ctx, s, IT_ISSUE_SYNC_DIRECTION, dev, addr, size, dir, 0, m);
		return;
	}
	/* Only a recently unmapped address is a finding: a sync inside a mapping at an offset
	 * (dma_sync_single_range_*) is not looked up. */
	u = bpf_map_lookup_elem(&unmapped, &k);
	if (u)
		it_issue(ctx, s, IT_ISSUE_SYNC_UNMAPPED, dev, addr, size, dir, 0, u->size, 0,
			 u->dir, 0, u->map_stack_id);
}

/* A dma_map_* / dma_unmap_* function returned: its frame into *f, its latency to the device. */
static __always_inline bool it_dma_call_done(void *ctx, __u32 hook, __u32 hist, struct it_frame *f)
{
	struct it_dev_stats *s;

	if (!it_ctx_pop(ctx, hook, f))
		return false;
	s = it_dev(f->dev);
	if (s)
		it_hist_add(s->hist[hist & 1], bpf_ktime_get_ns() - f->t0);
	return true;
}

#endif /* IOMMUTRACE_DMA_BPF_H */
