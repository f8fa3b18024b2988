/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_types.h: the few kernel types iommutrace reads, declared by hand with
 * preserve_access_index so that CO-RE relocates every field access against the running kernel's
 * BTF. Only fields we read are listed; their offsets here do not matter. `make vmlinux-h`
 * regenerates a full build/vmlinux.h from this machine's BTF for reference.
 */
#ifndef IOMMUTRACE_KERNEL_TYPES_H
#define IOMMUTRACE_KERNEL_TYPES_H

#include <linux/bpf.h>
#include <linux/types.h>

/* Tell bpf_tracing.h to use the kernel's pt_regs field names (di, si, ...). */
#define __VMLINUX_H__

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef u64 dma_addr_t;
typedef u64 phys_addr_t;
typedef _Bool bool;
#define true 1
#define false 0

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip,
	    cs, flags, sp, ss;
};

struct kobject {
	const char *name;
};

struct device_driver {
	const char *name;
};

struct device {
	struct kobject kobj;
	struct device_driver *driver;
};

struct scatterlist {
	unsigned long page_link;
	unsigned int offset;
	unsigned int length;
	dma_addr_t dma_address;
	unsigned int dma_length; /* CONFIG_NEED_SG_DMA_LENGTH: set on x86 */
};

struct sg_table {
	struct scatterlist *sgl;
	unsigned int nents;
	unsigned int orig_nents;
};

struct task_struct {
	int pid;
	int tgid;
};

/* drivers/iommu/intel/iommu.h: the fault handler's dev_id */
struct intel_iommu {
	void *reg; /* MMIO registers */
	u64 cap;
	u16 segment;
};

#pragma clang attribute pop

#endif /* IOMMUTRACE_KERNEL_TYPES_H */
