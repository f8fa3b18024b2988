/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sources.h: where each capability's data comes from on this kernel.
 *
 * Every hook (enum it_hook) has candidate kernel names in order of preference. For each one,
 * sources_plan() picks a mechanism — raw tracepoint for tracepoints; fentry/fexit, else
 * kprobe/kretprobe for functions — or none, with the reason the better ones were not used. It is
 * pure (it reads struct features only), so tests run it against any kernel description.
 */
#ifndef IOMMUTRACE_SOURCES_H
#define IOMMUTRACE_SOURCES_H

#include "kfeatures.h"
#include "iommutrace.h"

#include <stdbool.h>

enum it_mech {
	MECH_NONE = 0,
	MECH_RAW_TP,
	MECH_FENTRY,
	MECH_KPROBE,
	MECH_KMOD, /* the iommutrace kernel module (kmod/), read from debugfs */
};

enum it_cap {
	CAP_FAULTS,
	CAP_DMA_MAP,
	CAP_DMA_SG,
	CAP_DMA_COHERENT,
	CAP_DMA_SYNC,
	CAP_DMA_CONTEXT, /* latency of DMA calls and device attribution of iommu/iova events */
	CAP_IOVA,
	CAP_IOMMU_PGTABLE,
	CAP_FLUSH_QUEUE,
	CAP_DRIVER_UNBIND, /* mappings still live when a driver unbinds are leaks */
	CAP_NR,
};

struct hook_def {
	enum it_hook id;
	enum it_cap cap;
	bool is_tp;
	bool has_exit;	      /* functions: also an fexit/kretprobe program */
	const char *prog;     /* BPF program name (functions: without fentry_/kprobe_ prefix) */
	const char *names[4]; /* candidates: "cat:event" for tracepoints, symbols for functions */
	const char *label;    /* short human name */
};

struct hook_plan {
	enum it_mech mech;
	const char *symbol; /* the candidate chosen */
	char reason[256];   /* why this mechanism (and not a better one), or why none */
	bool attached;
	char attach_err[128];
};

struct cap_plan {
	enum it_mech event_mech; /* where the events come from: RAW_TP, or a function mechanism */
	bool from_tracepoints;
	int hooks_used, hooks_total;
	char detail[256];
};

struct plan {
	struct hook_plan hooks[IT_HOOK_NR];
	struct cap_plan caps[CAP_NR];
};

extern const struct hook_def hook_defs[IT_HOOK_NR];

const char *mech_name(enum it_mech m);
const char *cap_name(enum it_cap c);
const char *cap_label(enum it_cap c);

/* NULL-terminated lists of every tracepoint / function any hook may use (for features_detect). */
const char *const *sources_tracepoints(void);
const char *const *sources_functions(void);

/* Choose a mechanism per hook. force_kprobe: never use fentry (e.g. after fentry failed to load).
 */
void sources_plan(const struct features *f, bool force_kprobe, struct plan *p);
/* Recompute the per-capability summary from the hook plans (after attach results are known). */
void sources_summarize(struct plan *p);

/* Whether a capability has a source at all (DMA map/sg/coherent may come from their function
 * fallback, whose hooks count under CAP_DMA_CONTEXT: hooks_used alone does not say). */
static inline bool cap_available(const struct plan *p, enum it_cap c)
{
	return p->caps[c].event_mech != MECH_NONE;
}

/* The hooks a capability's events come from as tracepoints, and its function fallback. */
bool cap_uses_tracepoints(const struct plan *p, enum it_cap c);

#endif
