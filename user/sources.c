// SPDX-License-Identifier: GPL-2.0
/* sources.c: the hook table and the per-kernel choice of mechanism (see sources.h). */
#include "sources.h"

#include <stdio.h>
#include <string.h>

#define TP(id_, cap_, prog_, label_, ...)                                                          \
	[id_] = {.id = id_,                                                                        \
		 .cap = cap_,                                                                      \
		 .is_tp = true,                                                                    \
		 .prog = prog_,                                                                    \
		 .label = label_,                                                                  \
		 .names = {__VA_ARGS__}}
#define FN(id_, cap_, exit_, prog_, label_, ...)                                                   \
	[id_] = {.id = id_,                                                                        \
		 .cap = cap_,                                                                      \
		 .has_exit = exit_,                                                                \
		 .prog = prog_,                                                                    \
		 .label = label_,                                                                  \
		 .names = {__VA_ARGS__}}

const struct hook_def hook_defs[IT_HOOK_NR] = {
    TP(IT_TP_DMA_MAP, CAP_DMA_MAP, "tp_dma_map", "dma map", "dma:dma_map_phys", "dma:dma_map_page"),
    TP(IT_TP_DMA_UNMAP, CAP_DMA_MAP, "tp_dma_unmap", "dma unmap", "dma:dma_unmap_phys",
       "dma:dma_unmap_page"),
    TP(IT_TP_DMA_MAP_RES, CAP_DMA_MAP, "tp_dma_map_res", "dma map resource",
       "dma:dma_map_resource"),
    TP(IT_TP_DMA_UNMAP_RES, CAP_DMA_MAP, "tp_dma_unmap_res", "dma unmap resource",
       "dma:dma_unmap_resource"),
    TP(IT_TP_DMA_MAP_SG, CAP_DMA_SG, "tp_dma_map_sg", "dma map sg", "dma:dma_map_sg"),
    TP(IT_TP_DMA_UNMAP_SG, CAP_DMA_SG, "tp_dma_unmap_sg", "dma unmap sg", "dma:dma_unmap_sg"),
    TP(IT_TP_DMA_ALLOC, CAP_DMA_COHERENT, "tp_dma_alloc", "dma alloc", "dma:dma_alloc"),
    TP(IT_TP_DMA_FREE, CAP_DMA_COHERENT, "tp_dma_free", "dma free", "dma:dma_free"),
    TP(IT_TP_SYNC_CPU, CAP_DMA_SYNC, "tp_sync_cpu", "sync for cpu", "dma:dma_sync_single_for_cpu"),
    TP(IT_TP_SYNC_DEV, CAP_DMA_SYNC, "tp_sync_dev", "sync for device",
       "dma:dma_sync_single_for_device"),
    TP(IT_TP_SYNC_SG_CPU, CAP_DMA_SYNC, "tp_sync_sg_cpu", "sync sg for cpu",
       "dma:dma_sync_sg_for_cpu"),
    TP(IT_TP_SYNC_SG_DEV, CAP_DMA_SYNC, "tp_sync_sg_dev", "sync sg for device",
       "dma:dma_sync_sg_for_device"),
    TP(IT_TP_IOMMU_MAP, CAP_IOMMU_PGTABLE, "tp_iommu_map", "iommu map", "iommu:map"),
    TP(IT_TP_IOMMU_UNMAP, CAP_IOMMU_PGTABLE, "tp_iommu_unmap", "iommu unmap", "iommu:unmap"),
    TP(IT_TP_IO_PAGE_FAULT, CAP_FAULTS, "tp_io_page_fault", "io page fault", "iommu:io_page_fault"),
    TP(IT_TP_CONSOLE, CAP_FAULTS, "tp_console", "fault log lines", "printk:console"),
    FN(IT_FN_DMA_MAP, CAP_DMA_CONTEXT, true, "dma_map_page", "dma map", "dma_map_page_attrs",
       "dma_map_phys"),
    FN(IT_FN_DMA_UNMAP, CAP_DMA_CONTEXT, true, "dma_unmap_page", "dma unmap",
       "dma_unmap_page_attrs", "dma_unmap_phys"),
    FN(IT_FN_DMA_MAP_RES, CAP_DMA_CONTEXT, true, "dma_map_res", "dma map resource",
       "dma_map_resource"),
    FN(IT_FN_DMA_UNMAP_RES, CAP_DMA_CONTEXT, true, "dma_unmap_res", "dma unmap resource",
       "dma_unmap_resource"),
    FN(IT_FN_DMA_MAP_SG, CAP_DMA_CONTEXT, true, "dma_map_sg", "dma map sg", "__dma_map_sg_attrs"),
    FN(IT_FN_DMA_UNMAP_SG, CAP_DMA_CONTEXT, true, "dma_unmap_sg", "dma unmap sg",
       "dma_unmap_sg_attrs"),
    FN(IT_FN_DMA_ALLOC, CAP_DMA_CONTEXT, true, "dma_alloc", "dma alloc", "dma_alloc_attrs"),
    FN(IT_FN_DMA_FREE, CAP_DMA_CONTEXT, true, "dma_free", "dma free", "dma_free_attrs"),
    FN(IT_FN_SYNC_CPU, CAP_DMA_SYNC, false, "sync_cpu", "sync for cpu", "__dma_sync_single_for_cpu",
       "dma_sync_single_for_cpu"),
    FN(IT_FN_SYNC_DEV, CAP_DMA_SYNC, false, "sync_dev", "sync for device",
       "__dma_sync_single_for_device", "dma_sync_single_for_device"),
    FN(IT_FN_SYNC_SG_CPU, CAP_DMA_SYNC, false, "sync_sg_cpu", "sync sg for cpu",
       "__dma_sync_sg_for_cpu", "dma_sync_sg_for_cpu"),
    FN(IT_FN_SYNC_SG_DEV, CAP_DMA_SYNC, false, "sync_sg_dev", "sync sg for device",
       "__dma_sync_sg_for_device", "dma_sync_sg_for_device"),
    FN(IT_FN_ALLOC_IOVA_FAST, CAP_IOVA, true, "alloc_iova_fast", "iova alloc", "alloc_iova_fast"),
    FN(IT_FN_ALLOC_IOVA, CAP_IOVA, false, "alloc_iova", "iova rbtree alloc", "alloc_iova"),
    FN(IT_FN_FREE_IOVA_FAST, CAP_IOVA, true, "free_iova_fast", "iova free", "free_iova_fast"),
    FN(IT_FN_FQ_FLUSH_TIMEOUT, CAP_FLUSH_QUEUE, false, "fq_flush_timeout", "flush-queue timer",
       "fq_flush_timeout"),
    FN(IT_FN_FQ_FLUSH_IOTLB, CAP_FLUSH_QUEUE, false, "fq_flush_iotlb", "flush-queue flush",
       "fq_flush_iotlb"),
    FN(IT_FN_DMAR_FAULT, CAP_FAULTS, false, "dmar_fault", "VT-d fault irq", "dmar_fault"),
    FN(IT_FN_DRIVER_UNBIND, CAP_DRIVER_UNBIND, true, "driver_unbind", "driver unbind",
       "device_release_driver_internal"),
};

/* The function hooks that deliver a capability's events when its tracepoints are missing. */
static const enum it_hook fn_fallback[][4] = {
    [CAP_DMA_MAP] = {IT_FN_DMA_MAP, IT_FN_DMA_UNMAP, IT_FN_DMA_MAP_RES, IT_FN_DMA_UNMAP_RES},
    [CAP_DMA_SG] = {IT_FN_DMA_MAP_SG, IT_FN_DMA_UNMAP_SG},
    [CAP_DMA_COHERENT] = {IT_FN_DMA_ALLOC, IT_FN_DMA_FREE},
};

static const char *const cap_names[CAP_NR] = {
    [CAP_FAULTS] = "faults",
    [CAP_DMA_MAP] = "dma_map",
    [CAP_DMA_SG] = "dma_sg",
    [CAP_DMA_COHERENT] = "dma_coherent",
    [CAP_DMA_SYNC] = "dma_sync",
    [CAP_DMA_CONTEXT] = "dma_context",
    [CAP_IOVA] = "iova",
    [CAP_IOMMU_PGTABLE] = "iommu_pgtable",
    [CAP_FLUSH_QUEUE] = "flush_queue",
    [CAP_DRIVER_UNBIND] = "driver_unbind",
};

static const char *const cap_labels[CAP_NR] = {
    [CAP_FAULTS] = "IOMMU faults",
    [CAP_DMA_MAP] = "DMA map/unmap",
    [CAP_DMA_SG] = "DMA sg map/unmap",
    [CAP_DMA_COHERENT] = "DMA coherent alloc/free",
    [CAP_DMA_SYNC] = "DMA sync",
    [CAP_DMA_CONTEXT] = "DMA latency + device context",
    [CAP_IOVA] = "IOVA alloc/free",
    [CAP_IOMMU_PGTABLE] = "IOMMU page-table map/unmap",
    [CAP_FLUSH_QUEUE] = "flush queue (lazy mode)",
    [CAP_DRIVER_UNBIND] = "driver unbind (leak check)",
};

const char *cap_name(enum it_cap c)
{
	return c < CAP_NR ? cap_names[c] : "?";
}

const char *cap_label(enum it_cap c)
{
	return c < CAP_NR ? cap_labels[c] : "?";
}

const char *mech_name(enum it_mech m)
{
	switch (m) {
	case MECH_RAW_TP:
		return "raw_tp";
	case MECH_FENTRY:
		return "fentry";
	case MECH_KPROBE:
		return "kprobe";
	case MECH_KMOD:
		return "kmod";
	default:
		return "none";
	}
}

static const char *tp_list[IT_HOOK_NR * 4 + 1];
static const char *fn_list[IT_HOOK_NR * 4 + 1];

static const char *const *build_list(bool tp, const char **list)
{
	size_t n = 0;

	if (list[0])
		return list;
	for (int h = 0; h < IT_HOOK_NR; h++) {
		if (hook_defs[h].is_tp != tp)
			continue;
		for (int i = 0; i < 4 && hook_defs[h].names[i]; i++)
			list[n++] = hook_defs[h].names[i];
	}
	list[n] = NULL;
	return list;
}

const char *const *sources_tracepoints(void)
{
	return build_list(true, tp_list);
}

const char *const *sources_functions(void)
{
	return build_list(false, fn_list);
}

static void plan_tracepoint(const struct features *f, const struct hook_def *d,
			    struct hook_plan *hp)
{
	for (int i = 0; i < 4 && d->names[i]; i++) {
		if (name_set_has(&f->tracepoints, d->names[i])) {
			hp->mech = MECH_RAW_TP;
			hp->symbol = d->names[i];
			snprintf(hp->reason, sizeof(hp->reason),
				 "raw tracepoint: arguments read directly, no BTF needed");
			return;
		}
	}
	hp->mech = MECH_NONE;
	if (!f->tracefs && !f->btf) {
		snprintf(hp->reason, sizeof(hp->reason),
			 "cannot tell: tracefs not mounted and no kernel BTF");
		return;
	}
	int n = snprintf(hp->reason, sizeof(hp->reason), "no tracepoint ");
	for (int i = 0; i < 4 && d->names[i]; i++)
		n += snprintf(hp->reason + n, sizeof(hp->reason) - n, "%s%s", i ? " or " : "",
			      d->names[i]);
	snprintf(hp->reason + n, sizeof(hp->reason) - n, " on this kernel%s",
		 strncmp(d->names[0], "dma:", 4) == 0 ? " (dma:* tracepoints appeared in 6.12)"
						      : "");
}

static void plan_function(const struct features *f, const struct hook_def *d, bool force_kprobe,
			  struct hook_plan *hp)
{
	const char *sym = NULL;

	for (int i = 0; i < 4 && d->names[i] && !sym; i++)
		if (name_set_has(&f->functions, d->names[i]))
			sym = d->names[i];
	if (!sym) {
		int n = 0;

		hp->reason[0] = 0;
		for (int i = 0; i < 4 && d->names[i]; i++)
			n += snprintf(hp->reason + n, sizeof(hp->reason) - n, "%s%s", i ? ", " : "",
				      d->names[i]);
		snprintf(hp->reason + n, sizeof(hp->reason) - n,
			 ": not in /proc/kallsyms (inlined or absent on this kernel)");
		hp->mech = MECH_NONE;
		return;
	}
	hp->symbol = sym;
	char why_not_fentry[192];

	if (force_kprobe)
		snprintf(why_not_fentry, sizeof(why_not_fentry), "fentry failed to load");
	else if (!f->btf)
		snprintf(why_not_fentry, sizeof(why_not_fentry), "no kernel BTF");
	else if (!name_set_has(&f->btf_funcs, sym))
		snprintf(why_not_fentry, sizeof(why_not_fentry), "%s has no BTF record", sym);
	else if (f->fentry_err)
		snprintf(why_not_fentry, sizeof(why_not_fentry), "%s", f->fentry_note);
	else {
		hp->mech = MECH_FENTRY;
		snprintf(hp->reason, sizeof(hp->reason), "fentry%s: cheapest function hook",
			 d->has_exit ? "/fexit" : "");
		return;
	}
	if (f->kprobes) {
		hp->mech = MECH_KPROBE;
		snprintf(hp->reason, sizeof(hp->reason), "kprobe%s (fentry unavailable: %s)",
			 d->has_exit ? "/kretprobe" : "", why_not_fentry);
		return;
	}
	hp->mech = MECH_NONE;
	snprintf(
	    hp->reason, sizeof(hp->reason),
	    "fentry unavailable (%s) and no kprobe support in this kernel (CONFIG_KPROBES off)",
	    why_not_fentry);
}

bool cap_uses_tracepoints(const struct plan *p, enum it_cap c)
{
	return p->caps[c].from_tracepoints;
}

/* The first tracepoint hook of a capability (map/unmap pairs are consecutive in enum it_hook). */
static const struct hook_def *first_tp(enum it_cap c)
{
	for (int h = 0; h < IT_HOOK_NR; h++)
		if (hook_defs[h].cap == c && hook_defs[h].is_tp)
			return &hook_defs[h];
	return NULL;
}

/* Map/unmap pairs must come from one place: the tracepoints only if both exist. */
static void summarize_pair(struct plan *p, enum it_cap c, struct cap_plan *cp)
{
	const struct hook_def *tp = first_tp(c);
	const struct hook_plan *map = &p->hooks[tp->id], *unmap = &p->hooks[tp->id + 1];
	const struct hook_plan *fn = &p->hooks[fn_fallback[c][0]];

	if (map->mech != MECH_NONE && unmap->mech != MECH_NONE) {
		cp->from_tracepoints = true;
		cp->event_mech = MECH_RAW_TP;
		snprintf(cp->detail, sizeof(cp->detail), "%s, %s", map->symbol, unmap->symbol);
	} else if (fn->mech != MECH_NONE) {
		cp->event_mech = fn->mech;
		snprintf(cp->detail, sizeof(cp->detail), "%s and its unmap (%s)", fn->symbol,
			 map->reason);
	} else {
		snprintf(cp->detail, sizeof(cp->detail), "unavailable: %s; %s", map->reason,
			 fn->reason);
	}
}

static void summarize_set(struct plan *p, enum it_cap c, struct cap_plan *cp)
{
	const struct hook_plan *first_reason = NULL;
	size_t n = 0;

	for (int h = 0; h < IT_HOOK_NR; h++) {
		const struct hook_plan *hp = &p->hooks[h];

		if (hook_defs[h].cap != c)
			continue;
		if (hp->mech == MECH_NONE) {
			if (!first_reason)
				first_reason = hp;
			continue;
		}
		if (cp->event_mech == MECH_NONE)
			cp->event_mech = hp->mech;
		if (hook_defs[h].is_tp)
			cp->from_tracepoints = true;
		if (n < sizeof(cp->detail))
			n += snprintf(cp->detail + n, sizeof(cp->detail) - n, "%s%s", n ? ", " : "",
				      hp->symbol);
	}
	if (cp->hooks_used == 0)
		snprintf(cp->detail, sizeof(cp->detail), "unavailable: %s",
			 first_reason ? first_reason->reason : "no hooks");
}

void sources_summarize(struct plan *p)
{
	for (int c = 0; c < CAP_NR; c++) {
		struct cap_plan *cp = &p->caps[c];

		memset(cp, 0, sizeof(*cp));
		for (int h = 0; h < IT_HOOK_NR; h++) {
			if (hook_defs[h].cap != (enum it_cap)c)
				continue;
			cp->hooks_total++;
			cp->hooks_used += p->hooks[h].mech != MECH_NONE;
		}
		if (c == CAP_DMA_MAP || c == CAP_DMA_SG || c == CAP_DMA_COHERENT)
			summarize_pair(p, c, cp);
		else
			summarize_set(p, c, cp);
	}
}

void sources_plan(const struct features *f, bool force_kprobe, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	for (int h = 0; h < IT_HOOK_NR; h++) {
		const struct hook_def *d = &hook_defs[h];
		struct hook_plan *hp = &p->hooks[h];

		if (d->is_tp)
			plan_tracepoint(f, d, hp);
		else
			plan_function(f, d, force_kprobe, hp);
	}
	/* Sync functions only stand in for missing sync tracepoints. */
	for (int h = IT_FN_SYNC_CPU; h <= IT_FN_SYNC_SG_DEV; h++) {
		const struct hook_plan *tp = &p->hooks[IT_TP_SYNC_CPU + (h - IT_FN_SYNC_CPU)];

		if (tp->mech != MECH_NONE && p->hooks[h].mech != MECH_NONE) {
			p->hooks[h].mech = MECH_NONE;
			snprintf(p->hooks[h].reason, sizeof(p->hooks[h].reason),
				 "not needed: tracepoint %s covers it", tp->symbol);
		}
	}
	sources_summarize(p);
}
