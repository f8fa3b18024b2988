/* SPDX-License-Identifier: GPL-2.0 */
/*
 * checkview.h: the output of the check view — findings as text or JSON lines with both stacks —
 * shared by `iommutrace check` (stacks from the live collector) and `iommutrace report` (stacks
 * from a recording). Which ring-buffer events become findings is decided here too.
 */
#ifndef IOMMUTRACE_CHECKVIEW_H
#define IOMMUTRACE_CHECKVIEW_H

#include "fault_events.h"
#include "findings.h"
#include "stack_out.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct check_view {
	struct stack_src stacks;
	FILE *out;
};

/* Whether a DMA-issue event is a finding: an unknown unmap of a device whose DMA is not translated
 * by the IOMMU, with no page-table evidence, is not. */
bool check_event_is_finding(const struct it_event *e, bool translated);
/* A leaked mapping (live at unbind or too old) as a DMA-issue event of kind IT_ISSUE_LEAK:
 * op_stack_id is the unbind's stack (-1 for the age check). findings_add_event() takes it like a
 * ring-buffer record, and `record` writes it as one. */
void check_leak_event(struct it_event *e, const struct it_live_key *k, const struct it_live_val *v,
		      __s32 op_stack_id);
/* Whether a mapping found live after a driver unbind at unbind_ns was that driver's (a leak) and
 * not made after the unbind by the next driver bound, seen because the reader ran late. */
bool check_mapped_before_unbind(const struct it_live_val *v, __u64 unbind_ns);
/* The leak event of such a mapping for the driver-unbind event unbind; false (no leak) when it was
 * made after the unbind. */
bool check_unbind_leak(struct it_event *e, const struct it_event *unbind,
		       const struct it_live_key *k, const struct it_live_val *v);

/* A device fault inside a live mapping whose direction forbids that access (a write into a
 * DMA_TO_DEVICE buffer, a read of a DMA_FROM_DEVICE one) as a finding of kind
 * IT_ISSUE_FAULT_IN_MAPPING in *one (dev: r->dev); false if the fault is not one. */
bool check_fault_finding(const struct fault_rec *r, struct finding *one);

void check_print_finding_text(const struct check_view *v, const struct finding *f);
void check_print_finding_json(const struct check_view *v, const struct finding *f);
/* Every finding (sorted already): JSON lines, or a summary line over secs and each finding. */
void check_print(const struct check_view *v, const struct findings *f, bool json, double secs);
/* The mappings still live at the end (sorted already): one "live_mappings" JSON line per (device,
 * map stack), or per device its total and heaviest map stacks. now_ns: CLOCK_MONOTONIC, for ages.
 */
void check_print_live(const struct check_view *v, const struct live_groups *g, bool json,
		      __u64 now_ns);

#endif
