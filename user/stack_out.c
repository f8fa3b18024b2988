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

/* Symbolized stack, innermost first. */
int stack_src_frames(const struct stack_src *s, __s32 id, const char **frames, int max, char *buf,
		     size_t len)
{
	int n = 0;
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
	return n;
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

/* Frames of the DMA API and IOMMU layers, skipped to find who called them. */
static bool api_frame(const char *f)
{
	static const char *const prefixes[] = {"dma_",	 "__dma_",     "iommu_",      "__iommu_",
					       "intel_", "debug_dma_", "dma_direct_", NULL};

	for (int i = 0; prefixes[i]; i++)
		if (strncmp(f, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

const char *stack_src_caller(const struct stack_src *s, __s32 id, char *out, size_t len)
{
	const char *frames[127];
	char buf[8192];
	int n;

	out[0] = 0;
	if (id < 0)
		return NULL;
	n = stack_src_frames(s, id, frames, 127, buf, sizeof(buf));
	for (int i = 0; i < n; i++) {
		if (!api_frame(frames[i])) {
			snprintf(out, len, "%s", frames[i]);
			return out;
		}
	}
	return NULL;
}

const char *stack_caller(struct collector *c, __s32 id, char *out, size_t len)
{
	struct stack_src s = stack_src_collector(c);

	return stack_src_caller(&s, id, out, len);
}
