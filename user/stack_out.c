// SPDX-License-Identifier: GPL-2.0
/* stack_out.c: kernel stacks from the pipeline, symbolized, as JSON arrays or text lines. */
#include "stack_out.h"

#include <stdio.h>
#include <string.h>

static const char *collector_sym(void *ctx, __s32 id, char *buf, size_t len)
{
	return collector_stack(ctx, id, buf, len);
}

struct stack_src stack_src_collector(struct collector *c)
{
	return (struct stack_src){collector_sym, c};
}

/*
 * A map's stack may have been taken inside the call's IOVA allocation (the BPF side walks the
 * stack once per map call and shares it, it_ctx_share_stack): it then starts with the allocator
 * and dma-iommu internals. Shown from the DMA API call, as a stack taken at the call's exit reads.
 * frames: innermost first. Returns how many to skip.
 */
static int alloc_frames_above_dma_call(const char *const *frames, int n)
{
	if (n == 0 || strncmp(frames[0], "alloc_iova", 10) != 0)
		return 0;
	for (int i = 1; i < n; i++)
		if (strncmp(frames[i], "dma_", 4) == 0 || strncmp(frames[i], "__dma_", 6) == 0)
			return i;
	return 0; /* no DMA API call below: an allocation of its own, kept whole */
}

/* Symbolized stack, innermost first (of a map: from its DMA API call). */
int stack_src_frames(const struct stack_src *s, __s32 id, const char **frames, int max, char *buf,
		     size_t len)
{
	int n = 0, skip;
	char *save, *tok;

	buf[0] = 0;
	s->sym(s->ctx, id, buf, len);
	for (tok = strtok_r(buf, ";", &save); tok && n < max; tok = strtok_r(NULL, ";", &save))
		frames[n++] = tok;
	/* Symbolized stacks are outermost first: reverse. */
	for (int i = 0; i < n / 2; i++) {
		const char *t = frames[i];

		frames[i] = frames[n - 1 - i];
		frames[n - 1 - i] = t;
	}
	skip = alloc_frames_above_dma_call(frames, n);
	if (skip)
		memmove(frames, frames + skip, (size_t)(n - skip) * sizeof(*frames));
	return n - skip;
}

json_object *stack_src_json(const struct stack_src *s, __s32 id)
{
	const char *frames[127];
	char buf[8192];
	json_object *a;
	int n;

	if (id < 0)
		return NULL;
	a = json_object_new_array();
	n = stack_src_frames(s, id, frames, 127, buf, sizeof(buf));
	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(frames[i]));
	return a;
}

void stack_src_print(const struct stack_src *s, FILE *out, const char *label, __s32 id)
{
	const char *frames[127];
	char buf[8192];
	int n;

	if (id < 0)
		return;
	n = stack_src_frames(s, id, frames, 127, buf, sizeof(buf));
	fprintf(out, "    %-7s", label);
	for (int i = 0; i < n && i < 10; i++)
		fprintf(out, "%s%s", i ? " <- " : "", frames[i]);
	fprintf(out, "%s\n", n > 10 ? " <- ..." : "");
}

int stack_frames(struct collector *c, __s32 id, const char **frames, int max, char *buf, size_t len)
{
	struct stack_src s = stack_src_collector(c);

	return stack_src_frames(&s, id, frames, max, buf, len);
}

json_object *stack_json(struct collector *c, __s32 id)
{
	struct stack_src s = stack_src_collector(c);

	return stack_src_json(&s, id);
}

void print_stack(struct collector *c, const char *label, __s32 id)
{
	struct stack_src s = stack_src_collector(c);

	stack_src_print(&s, stdout, label, id);
}

/* Frames of the DMA API, IOMMU and IOVA-allocator layers, and the tracing glue a stack taken in a
 * tracepoint starts with (the first n bytes of f): skipped to find the driver that called them. */
static bool dma_layer_frame(const char *f, size_t n)
{
	static const char *const prefixes[] = {
	    "dma_",	    "__dma_",	     "debug_dma_", "iommu_",	 "__iommu_", "intel_iommu_",
	    "amd_iommu_",   "alloc_iova",    "free_iova",  "queue_iova", "iova_",    "__traceiter_",
	    "__bpf_trace_", "bpf_trace_run", "bpf_prog_",  "[unknown]",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (n >= pl && strncmp(f, prefixes[i], pl) == 0)
			return true;
	}
	return false;
}

const char *stack_caller_frame(char *buf, size_t len, const char *stack)
{
	const char *end = stack ? stack + strlen(stack) : NULL;

	buf[0] = 0;
	/* "outer;...;inner": walk from the inner end. */
	while (end && end > stack) {
		const char *f = end;

		while (f > stack && f[-1] != ';')
			f--;
		if (end > f && !dma_layer_frame(f, (size_t)(end - f))) {
			snprintf(buf, len, "%.*s", (int)(end - f), f);
			return buf;
		}
		end = f > stack ? f - 1 : stack;
	}
	return NULL;
}

const char *stack_src_caller(const struct stack_src *s, __s32 id, char *out, size_t len)
{
	char buf[8192];

	out[0] = 0;
	if (id < 0)
		return NULL;
	buf[0] = 0;
	s->sym(s->ctx, id, buf, sizeof(buf));
	return stack_caller_frame(out, len, buf);
}
