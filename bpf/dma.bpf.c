// SPDX-License-Identifier: GPL-2.0
/*
 * dma.bpf.c: DMA API hooks. The dma:* tracepoints (6.12+) deliver map/unmap/sync events where they
 * exist; the function hooks (dma_map_page_attrs and friends, via fentry/fexit or kprobes) always
 * give latency and the per-CPU call context that attributes iommu:map and IOVA allocations to a
 * device, and deliver the events themselves on kernels without the tracepoints.
 */
#include "dma.bpf.h"
#include "hooks.bpf.h"

/* --- tracepoints: raw_tp, arguments as in TP_PROTO ------------------------------------------ */

/* dma_map_page / dma_map_phys / dma_map_resource (dev, phys, dma_addr, size, dir, attrs) */
static __always_inline int tp_map(u64 *ctx, __u32 hook, __u8 kind)
{
	it_hit(hook);
	it_dma_map(ctx, ctx[0], ctx[2], ctx[3], ctx[4], kind);
	return 0;
}

/* dma_unmap_page / dma_unmap_phys / dma_unmap_resource (dev, dma_addr, size, dir, attrs) */
static __always_inline int tp_unmap(u64 *ctx, __u32 hook, __u8 kind)
{
	it_hit(hook);
	it_dma_unmap(ctx, ctx[0], ctx[1], ctx[2], ctx[3], kind);
	return 0;
}

SEC("raw_tp")
int tp_dma_map(u64 *ctx)
{
	return tp_map(ctx, IT_TP_DMA_MAP, IT_MAP_PAGE);
}

SEC("raw_tp")
int tp_dma_unmap(u64 *ctx)
{
	return tp_unmap(ctx, IT_TP_DMA_UNMAP, IT_MAP_PAGE);
}

SEC("raw_tp")
int tp_dma_map_res(u64 *ctx)
{
	return tp_map(ctx, IT_TP_DMA_MAP_RES, IT_MAP_RESOURCE);
}

SEC("raw_tp")
int tp_dma_unmap_res(u64 *ctx)
{
	return tp_unmap(ctx, IT_TP_DMA_UNMAP_RES, IT_MAP_RESOURCE);
}

/* dma_map_sg (dev, sgl, nents, ents, dir, attrs) */
SEC("raw_tp")
int tp_dma_map_sg(u64 *ctx)
{
	it_hit(IT_TP_DMA_MAP_SG);
	it_dma_map_sg(ctx, ctx[0], (struct scatterlist *)ctx[1], ctx[2], ctx[3], ctx[4]);
	return 0;
}

/* dma_unmap_sg (dev, sgl, nents, dir, attrs) */
SEC("raw_tp")
int tp_dma_unmap_sg(u64 *ctx)
{
	it_hit(IT_TP_DMA_UNMAP_SG);
	it_dma_unmap_sg(ctx, ctx[0], (struct scatterlist *)ctx[1], ctx[2], ctx[3]);
	return 0;
}

/* dma_alloc (dev, virt, dma_addr, size, dir, gfp, attrs) */
SEC("raw_tp")
int tp_dma_alloc(u64 *ctx)
{
	it_hit(IT_TP_DMA_ALLOC);
	if (ctx[1])
		it_dma_map(ctx, ctx[0], ctx[2], ctx[3], IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT);
	return 0;
}

/* dma_free (dev, virt, dma_addr, size, dir, attrs) */
SEC("raw_tp")
int tp_dma_free(u64 *ctx)
{
	it_hit(IT_TP_DMA_FREE);
	it_dma_unmap(ctx, ctx[0], ctx[2], ctx[3], IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT);
	return 0;
}

/* dma_sync_single_for_{cpu,device} (dev, addr, size, dir), dma_sync_sg_for_* (dev, sgl, n, dir) */
SEC("raw_tp")
int tp_sync_cpu(u64 *ctx)
{
	it_hit(IT_TP_SYNC_CPU);
	it_dma_sync(ctx[0], false);
	return 0;
}

SEC("raw_tp")
int tp_sync_dev(u64 *ctx)
{
	it_hit(IT_TP_SYNC_DEV);
	it_dma_sync(ctx[0], true);
	return 0;
}

SEC("raw_tp")
int tp_sync_sg_cpu(u64 *ctx)
{
	it_hit(IT_TP_SYNC_SG_CPU);
	it_dma_sync(ctx[0], false);
	return 0;
}

SEC("raw_tp")
int tp_sync_sg_dev(u64 *ctx)
{
	it_hit(IT_TP_SYNC_SG_DEV);
	it_dma_sync(ctx[0], true);
	return 0;
}

/* --- functions ---------------------------------------------------------------------------------- */

/* dma_addr_t dma_map_page_attrs(dev, page, offset, size, dir, attrs) */
static __always_inline int dma_map_page_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_MAP);
	it_ctx_push(IT_FN_DMA_MAP, a[0], 0, a[3], 0, a[4]);
	return 0;
}

static __always_inline int dma_map_page_exit(void *ctx, u64 ret)
{
	struct it_frame *f = it_dma_call_done(IT_FN_DMA_MAP, IT_H_MAP);

	if (f && !cfg_tp_dma_map)
		it_dma_map(ctx, f->dev, ret, f->size, f->dir, IT_MAP_PAGE);
	return 0;
}
IT_FUNC_ENTRY(dma_map_page)
IT_FUNC_EXIT(dma_map_page, 6)

/* void dma_unmap_page_attrs(dev, addr, size, dir, attrs) */
static __always_inline int dma_unmap_page_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_UNMAP);
	it_ctx_push(IT_FN_DMA_UNMAP, a[0], a[1], a[2], 0, a[3]);
	if (!cfg_tp_dma_map)
		it_dma_unmap(ctx, a[0], a[1], a[2], a[3], IT_MAP_PAGE);
	return 0;
}

static __always_inline int dma_unmap_page_exit(void *ctx, u64 ret)
{
	it_dma_call_done(IT_FN_DMA_UNMAP, IT_H_UNMAP);
	return 0;
}
IT_FUNC_ENTRY(dma_unmap_page)
IT_FUNC_EXIT(dma_unmap_page, 5)

/* dma_addr_t dma_map_resource(dev, phys_addr, size, dir, attrs) */
static __always_inline int dma_map_res_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_MAP_RES);
	it_ctx_push(IT_FN_DMA_MAP_RES, a[0], 0, a[2], 0, a[3]);
	return 0;
}

static __always_inline int dma_map_res_exit(void *ctx, u64 ret)
{
	struct it_frame *f = it_dma_call_done(IT_FN_DMA_MAP_RES, IT_H_MAP);

	if (f && !cfg_tp_dma_map)
		it_dma_map(ctx, f->dev, ret, f->size, f->dir, IT_MAP_RESOURCE);
	return 0;
}
IT_FUNC_ENTRY(dma_map_res)
IT_FUNC_EXIT(dma_map_res, 5)

/* void dma_unmap_resource(dev, addr, size, dir, attrs) */
static __always_inline int dma_unmap_res_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_UNMAP_RES);
	it_ctx_push(IT_FN_DMA_UNMAP_RES, a[0], a[1], a[2], 0, a[3]);
	if (!cfg_tp_dma_map)
		it_dma_unmap(ctx, a[0], a[1], a[2], a[3], IT_MAP_RESOURCE);
	return 0;
}

static __always_inline int dma_unmap_res_exit(void *ctx, u64 ret)
{
	it_dma_call_done(IT_FN_DMA_UNMAP_RES, IT_H_UNMAP);
	return 0;
}
IT_FUNC_ENTRY(dma_unmap_res)
IT_FUNC_EXIT(dma_unmap_res, 5)

/* int __dma_map_sg_attrs(dev, sg, nents, dir, attrs): both dma_map_sg_attrs and dma_map_sgtable */
static __always_inline int dma_map_sg_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_MAP_SG);
	it_ctx_push(IT_FN_DMA_MAP_SG, a[0], a[1], 0, a[2], a[3]);
	return 0;
}

static __always_inline int dma_map_sg_exit(void *ctx, u64 ret)
{
	struct it_frame *f = it_dma_call_done(IT_FN_DMA_MAP_SG, IT_H_MAP);

	if (f && !cfg_tp_dma_sg)
		it_dma_map_sg(ctx, f->dev, (struct scatterlist *)f->arg, f->nents, (__s32)ret, f->dir);
	return 0;
}
IT_FUNC_ENTRY(dma_map_sg)
IT_FUNC_EXIT(dma_map_sg, 5)

/* void dma_unmap_sg_attrs(dev, sg, nents, dir, attrs) (dma_unmap_sgtable is inline over it) */
static __always_inline int dma_unmap_sg_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_UNMAP_SG);
	it_ctx_push(IT_FN_DMA_UNMAP_SG, a[0], a[1], 0, a[2], a[3]);
	if (!cfg_tp_dma_sg)
		it_dma_unmap_sg(ctx, a[0], (struct scatterlist *)a[1], a[2], a[3]);
	return 0;
}

static __always_inline int dma_unmap_sg_exit(void *ctx, u64 ret)
{
	it_dma_call_done(IT_FN_DMA_UNMAP_SG, IT_H_UNMAP);
	return 0;
}
IT_FUNC_ENTRY(dma_unmap_sg)
IT_FUNC_EXIT(dma_unmap_sg, 5)

/* void *dma_alloc_attrs(dev, size, dma_addr_t *dma_handle, gfp, attrs) */
static __always_inline int dma_alloc_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_ALLOC);
	it_ctx_push(IT_FN_DMA_ALLOC, a[0], a[2], a[1], 0, IT_DIR_BIDIRECTIONAL);
	return 0;
}

static __always_inline int dma_alloc_exit(void *ctx, u64 ret)
{
	struct it_frame *f = it_ctx_pop(IT_FN_DMA_ALLOC);
	dma_addr_t handle = 0;

	if (!f || !ret || cfg_tp_dma_alloc)
		return 0;
	if (bpf_probe_read_kernel(&handle, sizeof(handle), (void *)f->arg) == 0)
		it_dma_map(ctx, f->dev, handle, f->size, IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT);
	return 0;
}
IT_FUNC_ENTRY(dma_alloc)
IT_FUNC_EXIT(dma_alloc, 5)

/* void dma_free_attrs(dev, size, cpu_addr, dma_handle, attrs) */
static __always_inline int dma_free_entry(void *ctx, u64 *a)
{
	it_hit(IT_FN_DMA_FREE);
	it_ctx_push(IT_FN_DMA_FREE, a[0], a[3], a[1], 0, IT_DIR_BIDIRECTIONAL);
	if (!cfg_tp_dma_alloc)
		it_dma_unmap(ctx, a[0], a[3], a[1], IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT);
	return 0;
}

static __always_inline int dma_free_exit(void *ctx, u64 ret)
{
	it_ctx_pop(IT_FN_DMA_FREE);
	return 0;
}
IT_FUNC_ENTRY(dma_free)
IT_FUNC_EXIT(dma_free, 5)

/* Syncs: entry only. (dev, addr, size, dir) and (dev, sg, nelems, dir) */
#define IT_SYNC_HOOK(name, hook, for_device)                                                       \
	static __always_inline int name##_entry(void *ctx, u64 *a)                                 \
	{                                                                                          \
		it_hit(hook);                                                                      \
		it_dma_sync(a[0], for_device);                                                     \
		return 0;                                                                          \
	}                                                                                          \
	IT_FUNC_ENTRY(name)
IT_SYNC_HOOK(sync_cpu, IT_FN_SYNC_CPU, false)
IT_SYNC_HOOK(sync_dev, IT_FN_SYNC_DEV, true)
IT_SYNC_HOOK(sync_sg_cpu, IT_FN_SYNC_SG_CPU, false)
IT_SYNC_HOOK(sync_sg_dev, IT_FN_SYNC_SG_DEV, true)
