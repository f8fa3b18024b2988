/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * iommutrace.h: everything the BPF programs and user space exchange — map keys and values, ring
 * buffer records, hook and counter indices. Fixed-size __u* types only, so the layout is the same
 * on both sides.
 */
#ifndef IOMMUTRACE_H
#define IOMMUTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IT_HIST_SLOTS		 32 /* log2 buckets: slot i counts values in [2^i, 2^(i+1)) */
#define IT_SIZE_CLASSES		 12 /* IOVA size classes: up to 2^0 .. 2^10 pages, then larger */
#define IT_IOVA_CACHED_MAX_ORDER 5  /* alloc_iova_fast caches sizes up to 2^5 = 32 pages */
#define IT_CTX_DEPTH		 4  /* nested DMA/IOVA calls tracked per CPU */
#define IT_SG_MAX		 64 /* scatterlist entries walked per sg map/unmap */
#define IT_NAME_LEN		 32
#define IT_STACK_DEPTH		 64  /* frames kept per kernel stack */
#define IT_FRCD_MAX		 32  /* VT-d fault recording registers read per interrupt */
#define IT_TEXT_LEN		 192 /* kernel log line carried by IT_EV_CONSOLE */
#define IT_PASID_NONE		 0xffffffffu

/* DMA directions, as enum dma_data_direction. */
enum it_dir {
	IT_DIR_BIDIRECTIONAL = 0,
	IT_DIR_TO_DEVICE = 1,
	IT_DIR_FROM_DEVICE = 2,
	IT_DIR_NONE = 3,
};

/* What kind of DMA API call made a mapping. */
enum it_map_kind {
	IT_MAP_PAGE = 1,
	IT_MAP_SG = 2,
	IT_MAP_RESOURCE = 3,
	IT_MAP_COHERENT = 4,
};

/*
 * Every place in the kernel iommutrace can hook. User space chooses, per hook, a mechanism
 * (raw tracepoint, fentry/fexit, kprobe/kretprobe) and the kernel symbol; the programs count
 * their hits in the `hook_hits` per-CPU array under these indices.
 */
enum it_hook {
	/* tracepoints */
	IT_TP_DMA_MAP,	     /* dma:dma_map_page (6.12-6.17) / dma:dma_map_phys (6.18+) */
	IT_TP_DMA_UNMAP,     /* dma:dma_unmap_page / dma:dma_unmap_phys */
	IT_TP_DMA_MAP_RES,   /* dma:dma_map_resource */
	IT_TP_DMA_UNMAP_RES, /* dma:dma_unmap_resource */
	IT_TP_DMA_MAP_SG,    /* dma:dma_map_sg */
	IT_TP_DMA_UNMAP_SG,  /* dma:dma_unmap_sg */
	IT_TP_DMA_ALLOC,     /* dma:dma_alloc */
	IT_TP_DMA_FREE,	     /* dma:dma_free */
	IT_TP_SYNC_CPU,	     /* dma:dma_sync_single_for_cpu */
	IT_TP_SYNC_DEV,	     /* dma:dma_sync_single_for_device */
	IT_TP_SYNC_SG_CPU,   /* dma:dma_sync_sg_for_cpu */
	IT_TP_SYNC_SG_DEV,   /* dma:dma_sync_sg_for_device */
	IT_TP_IOMMU_MAP,     /* iommu:map */
	IT_TP_IOMMU_UNMAP,   /* iommu:unmap */
	IT_TP_IO_PAGE_FAULT, /* iommu:io_page_fault */
	IT_TP_CONSOLE,	     /* printk:console: the kernel's own fault lines (DMAR, AMD-Vi) */
	/* kernel functions */
	IT_FN_DMA_MAP,		/* dma_map_page_attrs */
	IT_FN_DMA_UNMAP,	/* dma_unmap_page_attrs */
	IT_FN_DMA_MAP_RES,	/* dma_map_resource */
	IT_FN_DMA_UNMAP_RES,	/* dma_unmap_resource */
	IT_FN_DMA_MAP_SG,	/* __dma_map_sg_attrs (dma_map_sg_attrs and dma_map_sgtable) */
	IT_FN_DMA_UNMAP_SG,	/* dma_unmap_sg_attrs */
	IT_FN_DMA_ALLOC,	/* dma_alloc_attrs */
	IT_FN_DMA_FREE,		/* dma_free_attrs */
	IT_FN_SYNC_CPU,		/* __dma_sync_single_for_cpu / dma_sync_single_for_cpu */
	IT_FN_SYNC_DEV,		/* __dma_sync_single_for_device / dma_sync_single_for_device */
	IT_FN_SYNC_SG_CPU,	/* __dma_sync_sg_for_cpu / dma_sync_sg_for_cpu */
	IT_FN_SYNC_SG_DEV,	/* __dma_sync_sg_for_device / dma_sync_sg_for_device */
	IT_FN_ALLOC_IOVA_FAST,	/* alloc_iova_fast */
	IT_FN_ALLOC_IOVA,	/* alloc_iova (nested in alloc_iova_fast: a per-CPU cache miss) */
	IT_FN_FREE_IOVA_FAST,	/* free_iova_fast */
	IT_FN_FQ_FLUSH_TIMEOUT, /* fq_flush_timeout */
	IT_FN_FQ_FLUSH_IOTLB,	/* fq_flush_iotlb */
	IT_FN_DMAR_FAULT,	/* dmar_fault (Intel VT-d fault interrupt) */
	IT_FN_DRIVER_UNBIND,	/* device_release_driver_internal: leaks are checked there */
	IT_HOOK_NR,
};

/* Global counters (per-CPU array `counters`). Every loss is counted here and shown. */
enum it_counter {
	IT_C_RB_DROPPED,    /* ring buffer full: event lost */
	IT_C_LIVE_OVERFLOW, /* live-mapping table full: mapping not tracked */
	IT_C_DEV_OVERFLOW,  /* per-device table full: event counted under device 0 */
	IT_C_DOM_OVERFLOW,  /* per-domain table full */
	IT_C_CTX_OVERFLOW,  /* DMA/IOVA calls nested deeper than IT_CTX_DEPTH */
	IT_C_CTX_MISMATCH,  /* a function exit without its entry (missed kretprobe, migration) */
	IT_C_STACK_ERR,	    /* stack capture failed (stack map full or unwinder error) */
	IT_C_MAP_ERRORS,    /* dma_map_* returned an error */
	IT_C_FQ_TIMEOUT,    /* fq_flush_timeout calls */
	IT_C_FQ_FLUSH,	    /* fq_flush_iotlb calls */
	IT_C_FAULT_IRQ,	    /* dmar_fault interrupts */
	IT_C_FAULT_RECORDS, /* VT-d fault records read from the recording registers */
	IT_C_FAULT_UNREAD,  /* dmar_fault calls whose registers could not be read */
	IT_C_FAULT_HW_OVERFLOW, /* dmar_fault calls that found FSTS.PFO: the IOMMU dropped faults */
	IT_C_FAULT_REGS_TRUNC,	/* pending records past IT_FRCD_MAX (counted by the kernel only) */
	IT_C_FAULT_LATE,	/* records the kernel handled before they could be read */
	IT_C_IOVA_STACK_OVERFLOW, /* per-stack IOVA table full: allocation not counted per stack */
	IT_C_ATTACH_INFLIGHT, /* a function exit whose call was in progress when tracing started */
	IT_C_NR,
};

/* Latency histograms kept per device. */
enum it_dev_hist { IT_H_MAP, IT_H_UNMAP, IT_H_DEV_NR };
/* Latency histograms kept per IOVA domain. */
enum it_dom_hist { IT_H_ALLOC, IT_H_FREE, IT_H_DOM_NR };

/* Per-device aggregates, per CPU (map `dev_stats`, key: struct device pointer). */
struct it_dev_stats {
	__u64 map; /* dma_map_page/_phys/_resource calls that succeeded */
	__u64 map_bytes;
	__u64 unmap;
	__u64 unmap_bytes;
	__u64 map_sg;	   /* sg list mappings */
	__u64 map_sg_ents; /* DMA segments they produced */
	__u64 map_sg_bytes;
	__u64 unmap_sg;
	__u64 alloc; /* coherent allocations */
	__u64 alloc_bytes;
	__u64 free;
	__u64 sync_cpu;
	__u64 sync_dev;
	__u64 pgt_map; /* iommu:map events attributed to this device */
	__u64 pgt_map_bytes;
	__u64 pgt_unmap;
	__u64 pgt_unmap_bytes;
	__u64 faults;	/* iommu:io_page_fault */
	__u64 live_add; /* entries added to / removed from the live-mapping table */
	__u64 live_del;
	__u64 issues;				/* DMA API misuse findings */
	__u64 hist[IT_H_DEV_NR][IT_HIST_SLOTS]; /* ns */
	/* unmaps and frees of addresses not in the live-mapping table: mapped before tracing began
	 * (or not tracked: the table was full, the map's exit was skipped) */
	__u64 unmap_untracked;
};

/* Per-IOVA-domain aggregates, per CPU (map `dom_stats`, key: struct iova_domain pointer). */
struct it_dom_stats {
	__u64 allocs;	     /* alloc_iova_fast calls */
	__u64 alloc_fail;    /* ... that returned 0 */
	__u64 alloc_pages;   /* pages requested */
	__u64 cache_misses;  /* alloc_iova_fast calls that fell through to alloc_iova */
	__u64 flush_retries; /* ... that fell through twice (cache flush and retry) */
	__u64 limit32;	     /* 32-bit-limit first attempts (below 4 GiB, no cache flush) */
	__u64 limit32_fail;  /* ... that failed: the caller retries with the full limit */
	__u64 frees;	     /* free_iova_fast calls */
	__u64 free_pages;
	/* by order_base_2(pages) as the caches bin them: class c holds sizes up to 2^c pages;
	 * classes above IT_IOVA_CACHED_MAX_ORDER are never cached */
	__u64 size_class[IT_SIZE_CLASSES];
	__u64 hist[IT_H_DOM_NR][IT_HIST_SLOTS]; /* ns */
};

/*
 * Key of `dom_stats`: IOVA activity per (domain, device). The device is the DMA call's in progress
 * (0 outside one); a free outside a DMA call (the flush queue's deferred frees) goes to the device
 * that last allocated from the domain.
 */
struct it_dom_key {
	__u64 dom; /* struct iova_domain pointer */
	__u64 dev; /* struct device pointer, 0 if none */
};

/* Per-CPU IOVA allocations per (device, kernel stack) (map `iova_stacks`). */
struct it_iova_stack_key {
	__u64 dev;
	__s32 stack_id; /* in `stacks`; <0 if not captured */
	__u32 pad;
};
struct it_iova_stack_val {
	__u64 allocs;
	__u64 misses; /* per-CPU cache misses (fell through to alloc_iova) */
	__u64 ns;     /* total time in alloc_iova_fast (calls with a known latency) */
	__u64 timed;  /* calls ns covers */
};

/* Which device last allocated from an IOVA domain (map `dom_dev`). */
struct it_dom_info {
	__u64 dev;
};

/* Name of a device, filled in by BPF when it first sees the device (map `dev_info`). */
struct it_dev_info {
	char name[IT_NAME_LEN];	  /* dev_name(): the PCI address for PCI devices */
	char driver[IT_NAME_LEN]; /* dev->driver->name, empty if unbound */
};

/* Live-mapping table (map `live`): one entry per DMA mapping made while iommutrace runs. */
struct it_live_key {
	__u64 dev;
	__u64 dma_addr;
};
struct it_live_val {
	__u64 size;
	__u64 map_ns;	/* bpf_ktime_get_ns() at map time */
	__s32 stack_id; /* kernel stack of the map call in `stacks`, <0 if not captured */
	__u32 pid;
	__u16 nents; /* sg: nents passed to map (unmap must pass the same) */
	__u8 dir;    /* enum it_dir */
	__u8 kind;   /* enum it_map_kind */
	__u32 pad;
};

/* The DMA/IOVA calls in progress on each CPU, innermost last (see ctx.bpf.h). */
struct it_frame {
	__u64 task; /* current task when the call started */
	__u64 stk;  /* where on which stack the call runs (ctx.bpf.h) */
	__u64 dev;  /* device of this call, or inherited from the enclosing DMA call */
	__u64 t0;   /* entry time, ns */
	__u64 arg;  /* dma address, sg pointer, iova_domain or dma_handle pointer */
	__u64 size;
	__u32 nents;
	__u16 hook; /* enum it_hook of the function */
	__u8 dir;
	__u8 nested;	 /* alloc_iova calls seen inside this alloc_iova_fast */
	__u32 flags;	 /* IT_FF_* */
	__s32 stack_id;	 /* kernel stack, <0 if none: an IOVA allocation's, also shared with its map
			    call */
	__u64 cand_addr; /* unmap of an untracked address: decided at the exit (IT_FF_UNMAP_CAND) */
	__u64 cand_size;
};

enum it_frame_flags {
	IT_FF_UNMAP_CAND = 1, /* the unmap's address was not in the live table */
	IT_FF_PGT_SHORT = 2,  /* iommu:unmap inside this call unmapped less than asked */
	IT_FF_PGT_SEEN = 4,   /* iommu:unmap fired inside this call */
	IT_FF_PGT_LOST = 8,   /* ... or may have: the kernel skipped our iommu:unmap program */
};

struct it_ctxstack {
	__u32 depth;
	__u32 pgt_busy; /* the iommu:unmap program is running on this CPU (see tp_iommu_unmap) */
	__u64 scratch;	/* see it_stack_pos() */
	struct it_frame f[IT_CTX_DEPTH];
	/* The last IOVA allocation on this CPU: its device, task, stack position and time (an
	 * iommu:map right after it in the same context maps that IOVA; see it_pgt_dev()). */
	__u64 alloc_dev, alloc_task, alloc_stk, alloc_ns;
};

/* Ring buffer records: rare events only. */
enum it_event_type {
	IT_EV_FAULT = 1,     /* iommu:io_page_fault */
	IT_EV_FAULT_IRQ = 2, /* a VT-d fault interrupt (dmar_fault) */
	IT_EV_DMA_ISSUE = 3, /* DMA API misuse seen at unmap/sync time */
	IT_EV_UNBIND = 4,    /* a driver is being unbound from dev: its live mappings are leaks */
	IT_EV_CONSOLE = 5,   /* a kernel log line about a fault (struct it_console_event) */
};

/* Where a fault record's details come from. */
enum it_fault_src {
	IT_FSRC_NONE = 0,
	IT_FSRC_TRACEPOINT =
	    1,		     /* iommu:io_page_fault (report_iommu_fault: AMD-Vi, ARM SMMU, ...) */
	IT_FSRC_REGS = 2,    /* VT-d fault recording registers, read at dmar_fault entry */
	IT_FSRC_CONSOLE = 3, /* the kernel's own decoded log line */
	IT_FSRC_KMOD = 4,    /* the iommutrace kernel module */
};

/* it_event.fault_flags */
enum {
	IT_FEV_UNDECODED = 1,	 /* counted, but the record could not be read */
	IT_FEV_NO_REQUESTER = 2, /* ... and its requester is unknown */
};

/* Access that faulted. */
enum it_access {
	IT_ACC_UNKNOWN = 0,
	IT_ACC_READ = 1,
	IT_ACC_WRITE = 2,
};

enum it_issue_kind {
	IT_ISSUE_UNMAP_DIRECTION = 1,
	IT_ISSUE_UNMAP_SIZE = 2,
	IT_ISSUE_UNMAP_NENTS = 3,
	IT_ISSUE_DOUBLE_UNMAP = 4,   /* unmap of an address already unmapped */
	IT_ISSUE_UNKNOWN_UNMAP = 5,  /* unmap of an address the IOMMU had no mapping for */
	IT_ISSUE_SYNC_DIRECTION = 6, /* sync with a direction the mapping does not allow */
	IT_ISSUE_SYNC_RANGE = 7,     /* sync beyond the mapped size */
	IT_ISSUE_SYNC_UNMAPPED = 8,  /* sync of an address already unmapped */
	IT_ISSUE_LEAK = 9,	     /* found by user space: live at unbind or too old */
	IT_ISSUE_FAULT_IN_MAPPING = 10,
	IT_ISSUE_NR,
};

/* Recently unmapped addresses (map `unmapped`, LRU): tells a double unmap from an unknown one. */
struct it_unmapped_val {
	__u64 size; /* as mapped */
	__u64 unmap_ns;
	__s32 map_stack_id;
	__s32 unmap_stack_id;
	__u8 dir; /* as mapped */
	__u8 pad[7];
	__u64 map_ns;
};

/*
 * Unmap history (map `unmap_hist`, an mmap-able array used as a ring; `unmap_hist_pos` counts
 * the records written): every unmap while a command asks for it, so a fault reported after the
 * driver unmapped (and maybe re-mapped the same IOVA) still finds the mapping it hit.
 */
struct it_unmap_rec {
	__u64 dev;
	__u64 dma_addr;
	__u64 size;
	__u64 map_ns;
	__u64 unmap_ns;
	__s32 map_stack_id;
	__s32 unmap_stack_id;
	__u8 dir;
	__u8 pad[7];
};

struct it_event {
	__u16 type; /* enum it_event_type */
	__u16 cpu;
	__u32 pid;
	__u64 ts_ns;
	__u64 dev;  /* struct device pointer (key of dev_info), 0 if unknown */
	__u64 addr; /* faulting IOVA / DMA address */
	__u64 size; /* op size */
	__u64 map_size;
	__u64 map_ns;
	__u64 aux;	    /* fault flags; iommu pointer for fault irqs */
	__s32 stack_id;	    /* the offending call's kernel stack */
	__s32 map_stack_id; /* the mapping's kernel stack */
	__u16 kind;	    /* enum it_issue_kind */
	__u8 dir;	    /* op direction */
	__u8 map_dir;
	__u16 nents;
	__u16 map_nents;
	char comm[16];
	/* IT_EV_FAULT: dev is the struct device when known (tracepoint), else 0 and the requester
	 * is (fault_seg, fault_sid); aux holds the raw flags (tracepoint) or FSTS (registers). */
	__u16 fault_sid;   /* PCI requester id: bus << 8 | devfn */
	__u16 fault_seg;   /* PCI segment (domain) */
	__u8 fault_src;	   /* enum it_fault_src */
	__u8 fault_access; /* enum it_access */
	__u8 fault_reason; /* VT-d fault reason code (0: none) */
	__u8 fault_flags;  /* IT_FEV_* */
	__u32 fault_pasid; /* IT_PASID_NONE when the request had none */
	__u32 fault_pad2;
};

/* IT_EV_CONSOLE: the header says when and on which CPU; text is NUL-terminated. */
struct it_console_event {
	struct it_event h;
	char text[IT_TEXT_LEN];
};

#endif /* IOMMUTRACE_H */
