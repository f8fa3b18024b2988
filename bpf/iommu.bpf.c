// SPDX-License-Identifier: GPL-2.0
/*
 * iommu.bpf.c: IOMMU page-table updates (iommu:map / iommu:unmap). The records carry no device;
 * they are attributed to the DMA call in progress on this CPU (ctx.bpf.h; a map whose call's entry
 * the kernel skipped, to the IOVA allocation just before it: it_pgt_dev()), else to device 0.
 */
#include "ctx.bpf.h"

/* map (unsigned long iova, phys_addr_t paddr, size_t size) */
IT_RAW_TP(tp_iommu_map)
{
	struct it_dev_stats *s;

	it_hit(IT_TP_IOMMU_MAP);
	s = it_dev(it_pgt_dev(ctx));
	if (s) {
		s->pgt_map += 1;
		s->pgt_map_bytes += ctx[2];
	}
	return 0;
}

/* unmap (unsigned long iova, size_t size, size_t unmapped_size) */
IT_RAW_TP(tp_iommu_unmap)
{
	struct it_ctxstack *cs;
	struct it_dev_stats *s;
	struct it_frame *f;

	it_hit(IT_TP_IOMMU_UNMAP);
	/* While this runs, the kernel skips it for an iommu:unmap in a nested interrupt: a DMA
	 * unmap in that interrupt must not read the missing event as "nothing was mapped". */
	cs = it_ctx();
	if (cs)
		cs->pgt_busy = 1;
	f = it_ctx_top();
	/* Evidence for the unknown-unmap check: did this dma_unmap unmap anything? */
	if (f && (f->hook == IT_FN_DMA_UNMAP || f->hook == IT_FN_DMA_UNMAP_RES))
		f->flags |= IT_FF_PGT_SEEN | (ctx[2] < ctx[1] ? IT_FF_PGT_SHORT : 0);
	s = it_dev(f ? f->dev : 0);
	if (s) {
		s->pgt_unmap += 1;
		s->pgt_unmap_bytes += ctx[2];
	}
	if (cs)
		cs->pgt_busy = 0;
	return 0;
}
