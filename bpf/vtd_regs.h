/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * vtd_regs.h: the Intel VT-d fault registers iommutrace reads at the fault interrupt (layout from
 * drivers/iommu/intel/iommu.h, VT-d spec 11.4.9), shared by the BPF side (bpf/fault.bpf.c) and the
 * kernel module (kmod/faults.c). Reads only: neither ever writes these registers.
 */
#ifndef IOMMUTRACE_VTD_REGS_H
#define IOMMUTRACE_VTD_REGS_H

#define DMAR_CAP_REG	    0x08
#define DMAR_FSTS_REG	    0x34
#define DMA_FSTS_PFO	    (1u << 0)
#define DMA_FSTS_PPF	    (1u << 1)
#define DMA_FSTS_ANY	    0xffu /* PFO PPF AFO APF IQE ICE ITE PRO: every cause of the interrupt */
#define DMA_FRCD_F	    (1u << 31)
#define FRCD_LEN	    16
#define cap_fault_off(c)    ((((c) >> 24) & 0x3ff) * 16)
#define cap_num_fault(c)    ((((c) >> 40) & 0xff) + 1)
#define fsts_fault_index(s) (((s) >> 8) & 0xff)

#endif
