/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod_parse.h: the text tables of the iommutrace kernel module (/sys/kernel/debug/iommutrace/,
 * format in docs/KMOD.md) parsed into structs. Pure: text in, structs out, no I/O; malformed
 * input gives -1 and a message naming the file and line.
 */
#ifndef IOMMUTRACE_KMOD_PARSE_H
#define IOMMUTRACE_KMOD_PARSE_H

#include "iommutrace.h"

#include <stdbool.h>
#include <stddef.h>

#define KMOD_FORMAT    1 /* the format this build reads */
#define KMOD_HOOKS_MAX 16
#define KMOD_SYM_LEN   64
#define KMOD_NOTE_LEN  160
#define KMOD_SIDS_MAX  64

struct kmod_hook {
	char name[IT_NAME_LEN];
	char symbol[KMOD_SYM_LEN]; /* empty: not hooked on this kernel */
	__u64 hits;
	__u64 missed; /* runs the kernel skipped (nested kprobe) */
};

struct kmod_hooks {
	size_t n;
	struct kmod_hook v[KMOD_HOOKS_MAX];
	bool fault_decode;
	char fault_note[KMOD_NOTE_LEN]; /* why decoding is off */
};

struct kmod_counters {
	__u64 device_overflow, domain_overflow, context_mismatch;
	__u64 fault_irqs, fault_records, fault_unread, fault_hw_overflow, fault_regs_truncated;
	__u64 kretprobe_missed;
};

struct kmod_dev {
	int slot; /* 0: devices past the module's table */
	char name[IT_NAME_LEN], driver[IT_NAME_LEN];
	/* the counts, in the order of the file (parsed as one array: keep them consecutive) */
	__u64 map, map_bytes, unmap, unmap_bytes;
	__u64 map_sg, map_sg_nents, map_sg_bytes, unmap_sg, unmap_sg_nents;
};

struct kmod_dom {
	int slot; /* 0: domains past the module's table */
	int dev;  /* device slot that last allocated from it, -1 unknown */
	/* the counts, in the order of the file (keep them consecutive) */
	__u64 allocs, alloc_fail, alloc_pages, cache_misses, flush_retries, frees, free_pages;
};

struct kmod_fault {
	__u64 seq, ts_ns, addr;
	__u16 sid;
	bool write;
	__u8 reason;
	__u32 pasid; /* IT_PASID_NONE: none */
	__u32 fsts;
};

struct kmod_faults {
	bool decode;
	char note[KMOD_NOTE_LEN];
	__u64 seq;  /* records written since load */
	__u32 ring; /* records the module keeps */
	size_t nsids;
	__u16 sids[KMOD_SIDS_MAX];
	__u64 sid_count[KMOD_SIDS_MAX];
	__u64 other_count;
	size_t n;
	struct kmod_fault *v; /* oldest first; free() it */
};

int kmod_parse_version(const char *text, int *format, char *err, size_t errlen);
int kmod_parse_hooks(const char *text, struct kmod_hooks *out, char *err, size_t errlen);
int kmod_parse_counters(const char *text, struct kmod_counters *out, char *err, size_t errlen);
/* *out is malloc()ed (free it), also on error. */
int kmod_parse_devices(const char *text, struct kmod_dev **out, size_t *n, char *err,
		       size_t errlen);
int kmod_parse_domains(const char *text, struct kmod_dom **out, size_t *n, char *err,
		       size_t errlen);
int kmod_parse_faults(const char *text, struct kmod_faults *out, char *err, size_t errlen);

#endif
