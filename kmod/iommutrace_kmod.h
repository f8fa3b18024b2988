/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommutrace_kmod.h: what the parts of iommutrace.ko share — the per-CPU statistics block, the
 * device and IOVA-domain tables, the hook list, and the fault ring. The debugfs text format these
 * are printed in is documented in docs/KMOD.md (format version IT_KMOD_FORMAT).
 */
#ifndef IOMMUTRACE_KMOD_H
#define IOMMUTRACE_KMOD_H

#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#define IT_KMOD_FORMAT	 1
#define IT_KMOD_NAME_LEN 32
#define IT_KMOD_DEVS	 32  /* slot 0 is "other": devices past the table */
#define IT_KMOD_DOMS	 32  /* slot 0 is "other" */
#define IT_KMOD_RING	 512 /* decoded fault records kept */
#define IT_KMOD_SIDS	 16  /* requesters counted per fault source id (+ other) */
#define IT_KMOD_FRCD_MAX 256 /* fault recording registers read per interrupt, at most */

enum it_kmod_hook {
	ITK_H_DMA_MAP,
	ITK_H_DMA_UNMAP,
	ITK_H_DMA_MAP_SG,
	ITK_H_DMA_UNMAP_SG,
	ITK_H_ALLOC_IOVA_FAST,
	ITK_H_ALLOC_IOVA,
	ITK_H_FREE_IOVA_FAST,
	ITK_H_DMAR_FAULT,
	ITK_H_NR,
};

enum it_kmod_counter {
	ITK_C_DEV_OVERFLOW,	 /* events of devices past the device table (slot 0) */
	ITK_C_DOM_OVERFLOW,	 /* events of domains past the domain table (slot 0) */
	ITK_C_CTX_MISMATCH,	 /* alloc_iova_fast returned on another CPU than it started */
	ITK_C_FAULT_IRQ,	 /* dmar_fault calls */
	ITK_C_FAULT_RECORDS,	 /* fault records read and decoded */
	ITK_C_FAULT_UNREAD,	 /* dmar_fault calls whose registers were not read */
	ITK_C_FAULT_HW_OVERFLOW, /* FSTS.PFO seen: the IOMMU itself dropped faults */
	ITK_C_FAULT_REGS_TRUNC,	 /* pending records past IT_KMOD_FRCD_MAX */
	ITK_C_NR,
};

struct it_kmod_dev_stats {
	u64 map, map_bytes, unmap, unmap_bytes;
	u64 map_sg, map_sg_nents, map_sg_bytes, unmap_sg, unmap_sg_nents;
};

struct it_kmod_dom_stats {
	u64 allocs, alloc_fail, alloc_pages, cache_misses, flush_retries, frees, free_pages;
};

/* One per CPU: the hot path only ever adds to its own CPU's copy. */
struct it_kmod_pcpu {
	u64 hits[ITK_H_NR];
	u64 counters[ITK_C_NR];
	struct it_kmod_dev_stats dev[IT_KMOD_DEVS];
	struct it_kmod_dom_stats dom[IT_KMOD_DOMS];
	/* alloc_iova_fast in progress on this CPU: alloc_iova calls inside it are cache misses */
	struct task_struct *iova_task;
	unsigned int iova_nested;
	int iova_dom;
	/* the last DMA map call on this CPU: the device an IOVA allocation is for */
	struct task_struct *map_task;
	int map_dev;
};

struct it_kmod_dev {
	struct device *dev; /* identity only, claimed once with cmpxchg, never dereferenced later */
	int ready;	    /* name and driver written (release/acquire) */
	char name[IT_KMOD_NAME_LEN];
	char driver[IT_KMOD_NAME_LEN];
};

struct it_kmod_dom {
	void *iovad; /* struct iova_domain *, identity only */
	int dev;     /* device slot that last allocated from it, -1 unknown */
};

struct it_kmod_fault {
	u64 seq;   /* 1, 2, ... in the order read */
	u64 ts_ns; /* ktime_get_ns(), CLOCK_MONOTONIC */
	u64 addr;
	u32 fsts;
	u32 pasid; /* 0xffffffff: none */
	u16 sid;
	u8 write;
	u8 reason;
};

struct it_kmod_hookdef {
	const char *name;
	const char *symbol; /* the one registered, NULL if none */
	bool required;
};

extern struct it_kmod_pcpu __percpu *itk_pcpu;
extern struct it_kmod_dev itk_devs[IT_KMOD_DEVS];
extern struct it_kmod_dom itk_doms[IT_KMOD_DOMS];
extern struct it_kmod_hookdef itk_hooks[ITK_H_NR];
/* Runs of a hook the kernel skipped (a kprobe hit while another kprobe ran on that CPU). */
unsigned long itk_hook_missed(enum it_kmod_hook h);

/* faults.c */
struct it_kmod_fault_view {
	u64 seq; /* records written so far */
	bool decode_on;
	char decode_note[128];
	u16 sids[IT_KMOD_SIDS];
	u64 sid_count[IT_KMOD_SIDS + 1]; /* [IT_KMOD_SIDS]: other */
	unsigned int nsids;
};
int itk_faults_init(void);
unsigned long itk_faults_missed(void);
void itk_faults_exit(void);
/* Copy the ring (oldest first) into out (IT_KMOD_RING entries, or NULL for the view only);
 * returns how many records there are. */
unsigned int itk_faults_copy(struct it_kmod_fault *out, struct it_kmod_fault_view *view);

/* counters.c */
int itk_counters_init(void);
void itk_counters_exit(void);

/* output.c */
int itk_debugfs_init(void);
void itk_debugfs_exit(void);

#endif
