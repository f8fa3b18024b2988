// SPDX-License-Identifier: GPL-2.0
/* checkview.c: findings as text and JSON (see checkview.h). */
#include "checkview.h"

#include <json-c/json.h>
#include <string.h>

bool check_event_is_finding(const struct it_event *e, bool translated)
{
	if (e->type != IT_EV_DMA_ISSUE)
		return false;
	return !(e->kind == IT_ISSUE_UNKNOWN_UNMAP && !(e->aux & IT_FF_PGT_SEEN) && !translated);
}

void check_leak_event(struct it_event *e, const struct it_live_key *k, const struct it_live_val *v,
		      __s32 op_stack_id)
{
	memset(e, 0, sizeof(*e));
	e->type = IT_EV_DMA_ISSUE;
	e->kind = IT_ISSUE_LEAK;
	e->dev = k->dev;
	e->addr = k->dma_addr;
	e->map_dir = v->dir;
	e->dir = IT_DIR_NONE;
	e->map_size = v->size;
	e->size = v->size; /* bytes leaked by this mapping */
	e->map_nents = v->nents;
	e->map_stack_id = v->stack_id;
	e->stack_id = op_stack_id;
	e->pid = v->pid;
	e->map_ns = v->map_ns;
	e->ts_ns = v->map_ns;
}

bool check_mapped_before_unbind(const struct it_live_val *v, __u64 unbind_ns)
{
	return v->map_ns <= unbind_ns;
}

bool check_unbind_leak(struct it_event *e, const struct it_event *unbind,
		       const struct it_live_key *k, const struct it_live_val *v)
{
	if (!check_mapped_before_unbind(v, unbind->ts_ns))
		return false;
	check_leak_event(e, k, v, unbind->stack_id);
	return true;
}

static const char *op_label(unsigned kind)
{
	switch (kind) {
	case IT_ISSUE_SYNC_DIRECTION:
	case IT_ISSUE_SYNC_RANGE:
	case IT_ISSUE_SYNC_UNMAPPED:
		return "sync";
	case IT_ISSUE_LEAK:
		return "unbind";
	default:
		return "unmap";
	}
}

bool check_fault_finding(const struct fault_rec *r, struct finding *one)
{
	if (r->match.kind != FM_INSIDE || !fm_forbids(r->access, r->match.m.dir))
		return false;
	memset(one, 0, sizeof(*one));
	one->kind = IT_ISSUE_FAULT_IN_MAPPING;
	one->op_stack_id = -1;
	one->count = 1;
	one->dev = r->dev;
	snprintf(one->device, sizeof(one->device), "%s", r->device);
	snprintf(one->driver, sizeof(one->driver), "%s", r->driver);
	one->dma_addr = r->match.m.dma_addr;
	one->map_dir = r->match.m.dir;
	/* The device's access, as a direction: a write moves data from the device. */
	one->op_dir = r->access == IT_ACC_WRITE ? IT_DIR_FROM_DEVICE : IT_DIR_TO_DEVICE;
	one->map_size = r->match.m.size;
	one->op_size = FM_PAGE;
	one->map_stack_id = r->match.m.map_stack_id;
	one->first_ns = one->last_ns = r->ts_ns;
	return true;
}

void check_print_finding_text(const struct check_view *v, const struct finding *f)
{
	FILE *o = v->out;

	fprintf(o, "%-16s %s %s  x%llu\n", issue_kind_name(f->kind), f->device[0] ? f->device : "?",
		f->driver, (unsigned long long)f->count);
	if (f->kind == IT_ISSUE_LEAK)
		fprintf(o, "    %llu mapping(s) still live: first at 0x%llx, %s %llu bytes\n",
			(unsigned long long)f->count, (unsigned long long)f->dma_addr,
			dir_name(f->map_dir), (unsigned long long)f->map_size);
	else if (f->kind == IT_ISSUE_FAULT_IN_MAPPING)
		fprintf(
		    o, "    dma 0x%llx: mapped %s %llu bytes, and the device %s it (IOMMU fault)\n",
		    (unsigned long long)f->dma_addr, dir_name(f->map_dir),
		    (unsigned long long)f->map_size,
		    f->op_dir == IT_DIR_FROM_DEVICE ? "wrote into" : "read");
	else if (f->kind == IT_ISSUE_UNKNOWN_UNMAP)
		fprintf(
		    o, "    dma 0x%llx: %s %s %llu bytes, but the IOMMU had nothing mapped there\n",
		    (unsigned long long)f->dma_addr, op_label(f->kind), dir_name(f->op_dir),
		    (unsigned long long)f->op_size);
	else
		fprintf(o, "    dma 0x%llx: mapped %s %llu bytes%s, %s %s %llu bytes\n",
			(unsigned long long)f->dma_addr, dir_name(f->map_dir),
			(unsigned long long)f->map_size,
			f->kind == IT_ISSUE_UNMAP_NENTS ? " (sg)" : "", op_label(f->kind),
			dir_name(f->op_dir), (unsigned long long)f->op_size);
	if (f->kind == IT_ISSUE_UNMAP_NENTS)
		fprintf(o, "    sg nents: mapped with %u, unmapped with %u\n", f->map_nents,
			f->op_nents);
	stack_src_print(&v->stacks, o, "map:", f->map_stack_id);
	stack_src_print(&v->stacks, o, op_label(f->kind), f->op_stack_id);
}

void check_print_finding_json(const struct check_view *v, const struct finding *f)
{
	json_object *o = json_object_new_object();
	char addr[32];

	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)f->dma_addr);
	json_object_object_add(o, "type", json_object_new_string("dma_issue"));
	json_object_object_add(o, "kind", json_object_new_string(issue_kind_name(f->kind)));
	json_object_object_add(o, "device", json_object_new_string(f->device));
	json_object_object_add(o, "driver", json_object_new_string(f->driver));
	json_object_object_add(o, "dma_addr", json_object_new_string(addr));
	json_object_object_add(o, "map_dir", json_object_new_string(dir_name(f->map_dir)));
	json_object_object_add(o, "op_dir", json_object_new_string(dir_name(f->op_dir)));
	json_object_object_add(o, "map_size", json_object_new_int64(f->map_size));
	json_object_object_add(o, "op_size", json_object_new_int64(f->op_size));
	json_object_object_add(o, "map_nents", json_object_new_int(f->map_nents));
	json_object_object_add(o, "op_nents", json_object_new_int(f->op_nents));
	json_object_object_add(o, "map_stack", stack_src_json(&v->stacks, f->map_stack_id));
	json_object_object_add(o, "op_stack", stack_src_json(&v->stacks, f->op_stack_id));
	json_object_object_add(o, "count", json_object_new_int64(f->count));
	fprintf(v->out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

void check_print(const struct check_view *v, const struct findings *f, bool json, double secs)
{
	__u64 total = 0;

	if (json) {
		for (size_t i = 0; i < f->n; i++)
			check_print_finding_json(v, &f->v[i]);
		return;
	}
	for (size_t i = 0; i < f->n; i++)
		total += f->v[i].count;
	fprintf(v->out, "iommutrace check: %zu finding(s), %llu occurrence(s) in %.1fs\n", f->n,
		(unsigned long long)total, secs);
	for (size_t i = 0; i < f->n; i++)
		check_print_finding_text(v, &f->v[i]);
}

#define CHECK_LIVE_STACKS 3 /* map sites shown per device in the text view */

/* JSON: one "live_mappings" object per group. Text: per device the total and its biggest groups
 * with an example stack. now_ns: CLOCK_MONOTONIC now, for the ages. */
void check_print_live(const struct check_view *v, const struct live_groups *g, bool json,
		      __u64 now_ns)
{
	size_t shown = 0;

	for (size_t i = 0; i < g->n; i++) {
		const struct live_group *x = &g->v[i];
		double age = now_ns > x->oldest_map_ns ? (now_ns - x->oldest_map_ns) / 1e9 : 0;

		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "type", json_object_new_string("live_mappings"));
			json_object_object_add(o, "device", json_object_new_string(x->device));
			json_object_object_add(o, "driver", json_object_new_string(x->driver));
			json_object_object_add(o, "map_dir",
					       json_object_new_string(dir_name(x->dir)));
			json_object_object_add(o, "count", json_object_new_int64(x->count));
			json_object_object_add(o, "bytes", json_object_new_int64(x->bytes));
			json_object_object_add(o, "oldest_s", json_object_new_double(age));
			json_object_object_add(o, "site",
					       x->site[0] ? json_object_new_string(x->site) : NULL);
			json_object_object_add(o, "stacks", json_object_new_int64(x->stacks));
			json_object_object_add(o, "map_stack",
					       stack_src_json(&v->stacks, x->map_stack_id));
			fprintf(v->out, "%s\n",
				json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
			continue;
		}
		if (i == 0)
			fprintf(
			    v->out,
			    "still mapped at the end (not findings: in flight, or held by a bound "
			    "driver; unbind it, or use --leak-age): %llu mapping(s), %llu bytes\n",
			    (unsigned long long)g->count, (unsigned long long)g->bytes);
		if (i == 0 || strcmp(x->device, g->v[i - 1].device) != 0) {
			__u64 n = 0, bytes = 0;
			size_t sites = 0;

			for (size_t j = i; j < g->n && strcmp(g->v[j].device, x->device) == 0;
			     j++) {
				n += g->v[j].count;
				bytes += g->v[j].bytes;
				sites++;
			}
			fprintf(v->out, "  %s %s: %llu mapping(s), %llu bytes, from %zu place(s)\n",
				x->device[0] ? x->device : "?", x->driver, (unsigned long long)n,
				(unsigned long long)bytes, sites);
			shown = 0;
		}
		if (shown++ >= CHECK_LIVE_STACKS)
			continue;
		fprintf(
		    v->out,
		    "    %llu x %s, %llu bytes, oldest %.1fs, mapped by %s (%u stack%s), e.g.\n",
		    (unsigned long long)x->count, dir_name(x->dir), (unsigned long long)x->bytes,
		    age, x->site[0] ? x->site : "?", x->stacks, x->stacks == 1 ? "" : "s");
		stack_src_print(&v->stacks, v->out, "  map:", x->map_stack_id);
	}
}
