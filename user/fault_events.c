// SPDX-License-Identifier: GPL-2.0
/* fault_events.c: fault records from the pipeline, with their mapping (see fault_events.h). */
#include "fault_events.h"

#include "devices.h"
#include "fault_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fe_dev {
	char name[IT_NAME_LEN], driver[IT_NAME_LEN];
	__u64 dev;
	unsigned gen;  /* of maps */
	__u64 scan_ns; /* when maps were read (CLOCK_MONOTONIC, the BPF clock) */
	struct fm_mapping *maps;
	size_t nmaps, cap;
};

#define FE_UNMAP_HISTORY 65536 /* unmaps kept for matching late-read faults */

void fault_events_collector_opts(struct collector_opts *o, bool name_unmapper)
{
	o->unmap_history = FE_UNMAP_HISTORY;
	if (name_unmapper)
		o->unmap_stacks = true;
}

void fault_events_init(struct fault_events *fe, struct collector *c)
{
	memset(fe, 0, sizeof(*fe));
	fe->c = c;
	fe->gen = 1;
	fe->regs_ok = c && c->plan.hooks[IT_FN_DMAR_FAULT].attached;
}

void fault_events_free(struct fault_events *fe)
{
	for (size_t i = 0; i < fe->ndevs; i++)
		free(fe->devs[i].maps);
	free(fe->devs);
	memset(fe, 0, sizeof(*fe));
}

void fault_events_next_poll(struct fault_events *fe)
{
	fe->gen++;
}

const char *fault_src_name(unsigned src)
{
	switch (src) {
	case IT_FSRC_TRACEPOINT:
		return "tracepoint";
	case IT_FSRC_REGS:
		return "registers";
	case IT_FSRC_CONSOLE:
		return "console";
	case IT_FSRC_KMOD:
		return "kmod";
	default:
		return "none";
	}
}

/* By name (VT-d records and log lines) or by struct device (tracepoint). */
static struct fe_dev *fe_dev(struct fault_events *fe, const char *name, __u64 dev)
{
	struct it_dev_info info = {};
	struct dev_sysfs sf = {};
	struct fe_dev *d, *more;

	for (size_t i = 0; i < fe->ndevs; i++) {
		d = &fe->devs[i];
		if ((dev && d->dev == dev) || (!dev && strcmp(d->name, name) == 0)) {
			if (!d->dev && fe->c) /* the pipeline may have seen it since */
				d->dev = collector_find_dev(fe->c, d->name);
			return d;
		}
	}
	more = realloc(fe->devs, (fe->ndevs + 1) * sizeof(*more));
	if (!more)
		return NULL;
	fe->devs = more;
	d = &fe->devs[fe->ndevs++];
	memset(d, 0, sizeof(*d));
	if (dev) {
		if (fe->c)
			collector_dev_info(fe->c, dev, &info);
		name = info.name;
	} else if (fe->c) {
		dev = collector_find_dev(fe->c, name);
		if (dev)
			collector_dev_info(fe->c, dev, &info);
	}
	d->dev = dev;
	snprintf(d->name, sizeof(d->name), "%s", name);
	dev_sysfs_lookup("/sys", d->name, &sf);
	snprintf(d->driver, sizeof(d->driver), "%s", sf.driver[0] ? sf.driver : info.driver);
	return d;
}

static struct fm_mapping *fe_slot(struct fe_dev *d)
{
	if (d->nmaps == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct fm_mapping *v = realloc(d->maps, cap * sizeof(*v));

		if (!v)
			return NULL;
		d->maps = v;
		d->cap = cap;
	}
	return &d->maps[d->nmaps++];
}

static void add_live(void *ctx, const struct it_live_key *k, const struct it_live_val *v)
{
	struct fm_mapping *m = fe_slot(ctx);

	if (m)
		*m = (struct fm_mapping){.dma_addr = k->dma_addr,
					 .size = v->size,
					 .map_ns = v->map_ns,
					 .map_stack_id = v->stack_id,
					 .unmap_stack_id = -1,
					 .dir = v->dir};
}

static void add_hist(void *ctx, const struct it_unmap_rec *v)
{
	struct fm_mapping *m = fe_slot(ctx);

	if (m)
		*m = (struct fm_mapping){.dma_addr = v->dma_addr,
					 .size = v->size,
					 .map_ns = v->map_ns,
					 .unmap_ns = v->unmap_ns,
					 .map_stack_id = v->map_stack_id,
					 .unmap_stack_id = v->unmap_stack_id,
					 .dir = v->dir};
}

static void add_unmapped(void *ctx, const struct it_live_key *k, const struct it_unmapped_val *v)
{
	struct it_unmap_rec r = {.dev = k->dev,
				 .dma_addr = k->dma_addr,
				 .size = v->size,
				 .map_ns = v->map_ns,
				 .unmap_ns = v->unmap_ns,
				 .map_stack_id = v->map_stack_id,
				 .unmap_stack_id = v->unmap_stack_id,
				 .dir = v->dir};

	add_hist(ctx, &r);
}

static void fe_match(struct fault_events *fe, struct fe_dev *d, struct fault_rec *r)
{
	if (!fe->c || !d->dev || r->intr || !r->decoded) {
		r->match.kind = FM_NONE;
		return;
	}
	/* The maps read earlier in this poll do, unless the fault came after they were read (a
	 * busy reader drains faults that happened seconds apart in one poll). */
	if (d->gen != fe->gen || r->ts_ns > d->scan_ns) {
		d->scan_ns = clock_ns(CLOCK_MONOTONIC);
		d->nmaps = 0;
		collector_live_scan(fe->c, d->dev, add_live, d);
		/* Every recent unmap, also of an IOVA mapped again since; else the last one of
		 * each address. */
		if (collector_unmap_hist_scan(fe->c, d->dev, add_hist, d) < 0)
			collector_unmapped_scan(fe->c, d->dev, add_unmapped, d);
		d->gen = fe->gen;
	}
	fault_match(d->maps, d->nmaps, r->iova, r->ts_ns, r->access, &r->match);
}

static enum fe_kind fe_fill(struct fault_events *fe, struct fault_rec *r, const char *name,
			    __u64 dev)
{
	struct fe_dev *d = fe_dev(fe, name, dev);

	if (!d)
		return FE_IGNORE;
	snprintf(r->device, sizeof(r->device), "%s", d->name);
	snprintf(r->driver, sizeof(r->driver), "%s", d->driver);
	r->dev = d->dev;
	fe_match(fe, d, r);
	return FE_FAULT;
}

enum fe_kind fault_events_decode(struct fault_events *fe, const struct it_event *e,
				 struct fault_rec *r)
{
	struct fault_line fl;
	char bdf[IT_NAME_LEN];

	memset(r, 0, sizeof(*r));
	r->ts_ns = e->ts_ns;
	r->reason = -1;
	r->pasid = IT_PASID_NONE;
	switch (e->type) {
	case IT_EV_FAULT:
		r->src = e->fault_src;
		r->iova = e->addr;
		r->access = e->fault_access;
		r->pasid = e->fault_pasid;
		if (e->fault_src == IT_FSRC_REGS && (e->fault_flags & IT_FEV_UNDECODED)) {
			/* handled by the kernel before it could be read: counted only */
			if (e->fault_flags & IT_FEV_NO_REQUESTER)
				return fe_fill(fe, r, "(unknown)", 0);
			return fe_fill(fe, r,
				       sid_to_bdf(bdf, sizeof(bdf), e->fault_seg, e->fault_sid),
				       e->dev);
		}
		r->decoded = true;
		if (e->fault_src == IT_FSRC_REGS || e->fault_src == IT_FSRC_KMOD) {
			const struct vtd_reason *vr = vtd_reason(e->fault_reason);

			r->reason = e->fault_reason;
			r->intr = vr->cls == FAULT_CLASS_INTR;
			if (r->intr)
				r->iova = e->addr >> 48; /* the interrupt index */
			return fe_fill(fe, r,
				       sid_to_bdf(bdf, sizeof(bdf), e->fault_seg, e->fault_sid),
				       e->dev);
		}
		r->flags = (__u32)e->aux;
		r->has_flags = true;
		r->access = tp_flags_access(r->flags);
		return fe_fill(fe, r, "", e->dev);
	case IT_EV_FAULT_IRQ:
		fe->regs_ok = false; /* no struct intel_iommu in BTF: log lines decode */
		fe->irqs_unread++;
		return FE_UNREAD;
	case IT_EV_CONSOLE: {
		const struct it_console_event *ce = (const void *)e;
		char text[IT_TEXT_LEN + 1];

		memcpy(text, ce->text, IT_TEXT_LEN);
		text[IT_TEXT_LEN] = 0;
		if (fault_line_parse(text, &fl))
			return FE_IGNORE;
		r->src = IT_FSRC_CONSOLE;
		r->decoded = true;
		r->iova = fl.addr;
		r->access = fl.access;
		r->pasid = fl.pasid;
		r->intr = fl.intr;
		if (fl.vendor == FL_INTEL)
			r->reason = fl.reason;
		else {
			r->flags = fl.flags;
			r->has_flags = true;
		}
		/* The registers (Intel) and the tracepoint (AMD) already counted this fault. */
		if (fl.vendor == FL_AMD || fe->regs_ok) {
			struct fe_dev *d = fe_dev(fe, fl.device, 0);

			if (!d)
				return FE_IGNORE;
			snprintf(r->device, sizeof(r->device), "%s", d->name);
			snprintf(r->driver, sizeof(r->driver), "%s", d->driver);
			return FE_PRINTED;
		}
		return fe_fill(fe, r, fl.device, 0);
	}
	default:
		return FE_IGNORE;
	}
}
