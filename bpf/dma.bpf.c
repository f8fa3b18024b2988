// SPDX-License-Identifier: GPL-2.0
/*
 * dma.bpf.c: DMA API hooks. The dma:* tracepoints (6.12+) deliver map/unmap/sync events where they
 * exist; the function hooks (dma_map_page_attrs and friends, via fentry/fexit or kprobes) always
 * give latency and the per-CPU call context that attributes iommu:map and IOVA allocations to a
 * device, and deliver the events themselves on kernels without the tracepoints.
 */
#include "dma_fn.bpf.h"
#include "hooks.bpf.h"

/* --- tracepoints: raw_tp, arguments as in TP_PROTO ------------------------------------------ */

/* dma_map_page / dma_map_phys / dma_map_resource (dev, phys, dma_addr, size, dir, attrs) */
static __always_inline int tp_map(u64 *ctx, __u32 hook, __u8 kind)
{
	it_hit(hook);
	it_dma_map(ctx, ctx[0], ctx[2], ctx[3], ctx[4], kind, it_ctx_call_stack(ctx, ctx[0]));
	return 0;
}

/* dma_unmap_page / dma_unmap_phys / dma_unmap_resource (dev, dma_addr, size, dir, attrs) */
static __always_inline int tp_unmap(u64 *ctx, __u32 hook, __u8 kind)
{
	it_hit(hook);
	it_dma_unmap(ctx, ctx[0], ctx[1], ctx[2], ctx[3], kind);
	return 0;
}

IT_RAW_TP(tp_dma_map)
{
	return tp_map(ctx, IT_TP_DMA_MAP, IT_MAP_PAGE);
}

IT_RAW_TP(tp_dma_unmap)
{
	return tp_unmap(ctx, IT_TP_DMA_UNMAP, IT_MAP_PAGE);
}

IT_RAW_TP(tp_dma_map_res)
{
	return tp_map(ctx, IT_TP_DMA_MAP_RES, IT_MAP_RESOURCE);
}

IT_RAW_TP(tp_dma_unmap_res)
{
	return tp_unmap(ctx, IT_TP_DMA_UNMAP_RES, IT_MAP_RESOURCE);
}

/* dma_map_sg (dev, sgl, nents, ents, dir, attrs) */
IT_RAW_TP(tp_dma_map_sg)
{
	it_hit(IT_TP_DMA_MAP_SG);
	it_dma_map_sg(ctx, ctx[0], (struct scatterlist *)ctx[1], ctx[2], ctx[3], ctx[4],
		      it_ctx_call_stack(ctx, ctx[0]));
	return 0;
}

/* dma_unmap_sg (dev, sgl, nents, dir, attrs) */
IT_RAW_TP(tp_dma_unmap_sg)
{
	it_hit(IT_TP_DMA_UNMAP_SG);
	it_dma_unmap_sg(ctx, ctx[0], (struct scatterlist *)ctx[1], ctx[2], ctx[3]);
	return 0;
}

/* dma_alloc (dev, virt, dma_addr, size, dir, gfp, attrs) */
IT_RAW_TP(tp_dma_alloc)
{
	it_hit(IT_TP_DMA_ALLOC);
	if (ctx[1])
		it_dma_map(ctx, ctx[0], ctx[2], ctx[3], IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT,
			   it_ctx_call_stack(ctx, ctx[0]));
	return 0;
}

/* dma_free (dev, virt, dma_addr, size, dir, attrs) */
IT_RAW_TP(tp_dma_free)
{
	it_hit(IT_TP_DMA_FREE);
	it_dma_unmap(ctx, ctx[0], ctx[2], ctx[3], IT_DIR_BIDIRECTIONAL, IT_MAP_COHERENT);
	return 0;
}

/* dma_sync_single_for_{cpu,device} (dev, addr, size, dir), dma_sync_sg_for_* (dev, sgl, n, dir) */
IT_RAW_TP(tp_sync_cpu)
{
	it_hit(IT_TP_SYNC_CPU);
	it_dma_sync(ctx, ctx[0], ctx[1], ctx[2], ctx[3], false);
	return 0;
}

IT_RAW_TP(tp_sync_dev)
{
	it_hit(IT_TP_SYNC_DEV);
	it_dma_sync(ctx, ctx[0], ctx[1], ctx[2], ctx[3], true);
	return 0;
}

IT_RAW_TP(tp_sync_sg_cpu)
{
	it_hit(IT_TP_SYNC_SG_CPU);
	it_dma_sync_count(ctx[0], false);
	return 0;
}

IT_RAW_TP(tp_sync_sg_dev)
{
	it_hit(IT_TP_SYNC_SG_DEV);
	it_dma_sync_count(ctx[0], true);
	return 0;
}

/* --- functions: logic in dma_fn.bpf.h ------------------------------------------------------- */

IT_FUNC_ENTRY(dma_map_page)
IT_FUNC_EXIT(dma_map_page, 6)
IT_FUNC_ENTRY(dma_unmap_page)
IT_FUNC_EXIT(dma_unmap_page, 5)
IT_FUNC_ENTRY(dma_map_res)
IT_FUNC_EXIT(dma_map_res, 5)
IT_FUNC_ENTRY(dma_unmap_res)
IT_FUNC_EXIT(dma_unmap_res, 5)
IT_FUNC_ENTRY(dma_map_sg)
IT_FUNC_EXIT(dma_map_sg, 5)
IT_FUNC_ENTRY(dma_unmap_sg)
IT_FUNC_EXIT(dma_unmap_sg, 5)
IT_FUNC_ENTRY(dma_alloc)
IT_FUNC_EXIT(dma_alloc, 5)
IT_FUNC_ENTRY(dma_free)
IT_FUNC_EXIT(dma_free, 5)
IT_FUNC_ENTRY(sync_cpu)
IT_FUNC_ENTRY(sync_dev)
IT_FUNC_ENTRY(sync_sg_cpu)
IT_FUNC_ENTRY(sync_sg_dev)
IT_FUNC_ENTRY(driver_unbind)
IT_FUNC_EXIT(driver_unbind, 3)
