/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_fn.bpf.h: entry/exit logic of the DMA API function hooks (dma_map_page_attrs and friends).
 * dma.bpf.c wraps each in fentry/fexit and kprobe/kretprobe programs; the BPF logic tests wrap
 * the same functions in raw_tp programs and run them with BPF_PROG_TEST_RUN.
 * NAME_entry(ctx, a): a[] holds the call's arguments. NAME_exit(ctx, ret, args): args are the
 * arguments under fexit, NULL under kretprobe.
 */
#ifndef IOMMUTRACE_DMA_FN_BPF_H
#define IOMMUTRACE_DMA_FN_BPF_H

#include "dma.bpf.h"

/*
 * A single-address map returned (dma_map_page_attrs, dma_map_resource). Its size and direction
 * are arguments size_arg and dir_arg: used from fexit's arguments when the kernel skipped the
 * entry program.
 */
static __always_inline void it_fn_map_exit(void *ctx, __u32 hook, u64 ret, u64 *args, __u8 kind,
					   int size_arg, int dir_arg)
{
	struct it_frame f;

	if (it_dma_call_done(ctx, hook, IT_H_MAP, &f)) {
		if (!cfg_tp_dma_map)
			it_dma_map(ctx, f.dev, ret, f.size, f.dir, kind, f.stack_id);
	} else if (args && !cfg_tp_dma_map) {
		it_dma_map(ctx, args[0], ret, args[size_arg], args[dir_arg], kind, -1);
	}
}

/* A single-address unmap starts: (dev, addr, size, dir, attrs) for page and resource alike. */
static __always_inline void it_fn_unmap_entry(void *ctx, __u32 hook, u64 *a, __u8 kind)
{
	it_hit(hook);
	it_ctx_push(ctx, hook, a[0], a[1], a[2], 0, a[3]);
	if (!cfg_tp_dma_map)
		it_dma_unmap(ctx, a[0], a[1], a[2], a[3], kind);
}

static __always_inline void it_fn_unmap_exit(void *ctx, __u32 hook)
{
	struct it_frame f;

	struct it_ctxstack *cs = it_ctx();

	if (!it_dma_call_done(ctx, hook, IT_H_UNMAP, &f) || !(f.flags & IT_FF_UNMAP_CAND))
		return;
	/* We interrupted the iommu:unmap program, or an unmap that may be about to run it: the
	 * kernel may skip that program for this call, so missing evidence proves nothing. */
	if (cs && (cs->pgt_busy || it_ctx_in_unmap(cs)))
		f.flags |= IT_FF_PGT_LOST;
	it_unmap_untracked(ctx, f.dev, f.cand_addr, f.cand_size, f.dir, f.flags, true);
}

/* dma_addr_t dma_map_page_attrs(dev, page, offset, size, dir, attrs) */
static __always_inline int dma_map_page_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_MAP);
	it_ctx_push(ctx, IT_FN_DMA_MAP, a[0], 0, a[3], 0, a[4]);
	return 0;
}

static __always_inline int dma_map_page_exit(void *ctx, u64 ret, u64 *args)
{
	it_fn_map_exit(ctx, IT_FN_DMA_MAP, ret, args, IT_MAP_PAGE, 3, 4);
	return 0;
}

/* void dma_unmap_page_attrs(dev, addr, size, dir, attrs) */
static __always_inline int dma_unmap_page_entry(void *ctx, u64 *a)
{
	it_fn_unmap_entry(ctx, IT_FN_DMA_UNMAP, a, IT_MAP_PAGE);
	return 0;
}

static __always_inline int dma_unmap_page_exit(void *ctx, u64 ret, u64 *args)
{
	it_fn_unmap_exit(ctx, IT_FN_DMA_UNMAP);
	return 0;
}

/* dma_addr_t dma_map_resource(dev, phys_addr, size, dir, attrs) */
static __always_inline int dma_map_res_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_MAP_RES);
	it_ctx_push(ctx, IT_FN_DMA_MAP_RES, a[0], 0, a[2], 0, a[3]);
	return 0;
}

static __always_inline int dma_map_res_exit(void *ctx, u64 ret, u64 *args)
{
	it_fn_map_exit(ctx, IT_FN_DMA_MAP_RES, ret, args, IT_MAP_RESOURCE, 2, 3);
	return 0;
}

/* void dma_unmap_resource(dev, addr, size, dir, attrs) */
static __always_inline int dma_unmap_res_entry(void *ctx, u64 *a)
{
	it_fn_unmap_entry(ctx, IT_FN_DMA_UNMAP_RES, a, IT_MAP_RESOURCE);
	return 0;
}

static __always_inline int dma_unmap_res_exit(void *ctx, u64 ret, u64 *args)
{
	it_fn_unmap_exit(ctx, IT_FN_DMA_UNMAP_RES);
	return 0;
}

/* int __dma_map_sg_attrs(dev, sg, nents, dir, attrs): both dma_map_sg_attrs and dma_map_sgtable */
static __always_inline int dma_map_sg_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_MAP_SG);
	it_ctx_push(ctx, IT_FN_DMA_MAP_SG, a[0], a[1], 0, a[2], a[3]);
	return 0;
}

static __always_inline int dma_map_sg_exit(void *ctx, u64 ret, u64 *args)
{
	struct it_frame f;

	if (it_dma_call_done(ctx, IT_FN_DMA_MAP_SG, IT_H_MAP, &f) && !cfg_tp_dma_sg)
		it_dma_map_sg(ctx, f.dev, (struct scatterlist *)f.arg, f.nents, (__s32)ret, f.dir,
			      f.stack_id);
	return 0;
}

/* void dma_unmap_sg_attrs(dev, sg, nents, dir, attrs) (dma_unmap_sgtable is inline over it) */
static __always_inline int dma_unmap_sg_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_UNMAP_SG);
	it_ctx_push(ctx, IT_FN_DMA_UNMAP_SG, a[0], a[1], 0, a[2], a[3]);
	if (!cfg_tp_dma_sg)
		it_dma_unmap_sg(ctx, a[0], (struct scatterlist *)a[1], a[2], a[3]);
	return 0;
}

static __always_inline int dma_unmap_sg_exit(void *ctx, u64 ret, u64 *args)
{
	struct it_frame f;

	it_dma_call_done(ctx, IT_FN_DMA_UNMAP_SG, IT_H_UNMAP, &f);
	return 0;
}

/* void *dma_alloc_attrs(dev, size, dma_addr_t *dma_handle, gfp, attrs) */
static __always_inline int dma_alloc_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_ALLOC);
	it_ctx_push(ctx, IT_FN_DMA_ALLOC, a[0], a[2], a[1], 0, IT_DIR_BIDIRECTIONAL);
	return 0;
}

static __always_inline int dma_alloc_exit(void *ctx, u64 ret, u64 *args)
{
	dma_addr_t handle = 0;
	struct it_frame f;

	if (!it_ctx_pop(ctx, IT_FN_DMA_ALLOC, &f) || !ret || cfg_tp_dma_alloc)
		return 0;
	if (bpf_probe_read_kernel(&handle, sizeof(handle), (void *)f.arg) == 0)
		it_dma_map(ctx, f.dev, handle, f.size, IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT,
			   f.stack_id);
	return 0;
}

/* void dma_free_attrs(dev, size, cpu_addr, dma_handle, attrs) */
static __always_inline int dma_free_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_FREE);
	it_ctx_push(ctx, IT_FN_DMA_FREE, a[0], a[3], a[1], 0, IT_DIR_BIDIRECTIONAL);
	if (!cfg_tp_dma_alloc)
		it_dma_unmap(ctx, a[0], a[3], a[1], IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT);
	return 0;
}

static __always_inline int dma_free_exit(void *ctx, u64 ret, u64 *args)
{
	struct it_frame f;

	it_ctx_pop(ctx, IT_FN_DMA_FREE, &f);
	return 0;
}

/* Syncs: entry only. (dev, addr, size, dir) and (dev, sg, nelems, dir) */
/* Syncs, entry only: (dev, addr, size, dir) and (dev, sg, nelems, dir). */
static __always_inline int sync_cpu_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_SYNC_CPU);
	it_dma_sync(ctx, a[0], a[1], a[2], a[3], false);
	return 0;
}

static __always_inline int sync_dev_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_SYNC_DEV);
	it_dma_sync(ctx, a[0], a[1], a[2], a[3], true);
	return 0;
}

static __always_inline int sync_sg_cpu_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_SYNC_SG_CPU);
	it_dma_sync_count(a[0], false);
	return 0;
}

static __always_inline int sync_sg_dev_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_SYNC_SG_DEV);
	it_dma_sync_count(a[0], true);
	return 0;
}

/*
 * void device_release_driver_internal(dev, drv, parent): at its exit the driver's remove has run,
 * so what is still live for dev is leaked; user space reports it on this event.
 */
static __always_inline int driver_unbind_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DRIVER_UNBIND);
	it_ctx_push(ctx, IT_FN_DRIVER_UNBIND, a[0], 0, 0, 0, IT_DIR_NONE);
	return 0;
}

static __always_inline int driver_unbind_exit(void *ctx, u64 ret, u64 *args)
{
	struct it_event e = {};
	struct it_frame f;

	if (!it_ctx_pop(ctx, IT_FN_DRIVER_UNBIND, &f))
		return 0;
	it_event_init(&e, IT_EV_UNBIND, f.dev);
	e.stack_id = it_stack(ctx);
	it_emit(&e);
	return 0;
}

#endif /* IOMMUTRACE_DMA_FN_BPF_H */
