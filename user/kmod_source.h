/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod_source.h: the iommutrace kernel module as a source, for the collector — whether it is
 * loaded, which hooks it has, its counters as a snapshot (devices, IOVA domains, hook hits, fault
 * counters) and its decoded VT-d fault records as IT_EV_FAULT events (source IT_FSRC_KMOD), each
 * delivered once. What the module does not count stays zero and the plan says it is unavailable.
 */
#ifndef IOMMUTRACE_KMOD_SOURCE_H
#define IOMMUTRACE_KMOD_SOURCE_H

#include "kmod_parse.h"
#include "snapshot.h"
#include "sources.h"

#define KMOD_DIR_DEFAULT "/sys/kernel/debug/iommutrace"

struct kmod_source {
	char dir[256];
	int format;
	struct kmod_hooks hooks;
	struct kmod_dev *devs; /* as last read: slot -> name */
	size_t ndev;
	__u64 fault_seq; /* last record delivered */
	__u64 lost;	 /* records overwritten in the module's ring before they were read */
};

/* $IOMMUTRACE_KMOD_DIR, else KMOD_DIR_DEFAULT. */
const char *kmod_source_dir(void);
/* 0: loaded and readable; -ENOENT: not loaded; other <0: unusable. err says why (not 0). */
int kmod_source_open(struct kmod_source *k, const char *dir, char *err, size_t errlen);
void kmod_source_close(struct kmod_source *k);
/* Which hooks the module provides, as a plan (mechanism MECH_KMOD), the rest unavailable. */
void kmod_source_plan(const struct kmod_source *k, struct plan *p);
int kmod_source_snapshot(struct kmod_source *k, struct snapshot *s);
/* Deliver fault records not delivered yet; returns how many, <0 on a read error. */
typedef void (*kmod_event_fn)(void *ctx, const struct it_event *e);
int kmod_source_poll(struct kmod_source *k, kmod_event_fn fn, void *ctx);
/* Device keys are the module's slot numbers. */
int kmod_source_dev_info(const struct kmod_source *k, __u64 key, struct it_dev_info *info);
__u64 kmod_source_find_dev(struct kmod_source *k, const char *name);

#endif
