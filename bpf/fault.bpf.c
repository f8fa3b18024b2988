// SPDX-License-Identifier: GPL-2.0
/*
 * fault.bpf.c: IOMMU faults. iommu:io_page_fault is reported by AMD-Vi, ARM SMMU and every driver
 * that calls report_iommu_fault(); Intel VT-d does not call it, so its fault interrupt handler
 * dmar_fault() is hooked to count every fault interrupt, including those the kernel no longer
 * prints once its rate limit is reached.
 */
#include "common.bpf.h"
#include "hooks.bpf.h"

/* io_page_fault (struct device *dev, unsigned long iova, int flags) */
SEC("raw_tp")
int tp_io_page_fault(u64 *ctx)
{
	struct it_dev_stats *s;
	struct it_event e = {};

	it_hit(IT_TP_IO_PAGE_FAULT);
	s = it_dev(ctx[0]);
	if (s)
		s->faults += 1;
	it_event_init(&e, IT_EV_FAULT, ctx[0]);
	e.addr = ctx[1];
	e.aux = (__u32)ctx[2];
	it_emit(&e);
	return 0;
}

/* irqreturn_t dmar_fault(int irq, void *dev_id): dev_id is the struct intel_iommu */
static __always_inline int dmar_fault_entry(void *ctx, u64 *a)
{
	struct it_event e = {};

	it_hit(IT_FN_DMAR_FAULT);
	it_count(IT_C_FAULT_IRQ);
	it_event_init(&e, IT_EV_FAULT_IRQ, 0);
	e.aux = a[1];
	it_emit(&e);
	return 0;
}
IT_FUNC_ENTRY(dmar_fault)
