/* SPDX-License-Identifier: GPL-2.0 */
/* stack_out.h: kernel stacks from the pipeline (collector_stack), symbolized, for output. */
#ifndef IOMMUTRACE_STACK_OUT_H
#define IOMMUTRACE_STACK_OUT_H

#include "collector.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

/* Where symbolized stacks come from: "outer;...;inner" for a stack id into buf ("" if unknown).
 * The collector (collector_stack) for live views; a recording's stack table for `report`. */
typedef const char *(*stack_sym_fn)(void *ctx, __s32 id, char *buf, size_t len);
struct stack_src {
	stack_sym_fn sym;
	void *ctx;
};

struct stack_src stack_src_collector(struct collector *c);
int stack_src_frames(const struct stack_src *s, __s32 id, const char **frames, int max, char *buf,
		     size_t len);
json_object *stack_src_json(const struct stack_src *s, __s32 id);
void stack_src_print(const struct stack_src *s, FILE *out, const char *label, __s32 id);
/* The innermost frame outside the DMA API / IOMMU / IOVA layers: the driver that called them. */
const char *stack_src_caller(const struct stack_src *s, __s32 id, char *out, size_t len);
/* The same from a symbolized stack string ("outer;...;inner"): that frame in buf, or "" in buf and
 * NULL when every frame belongs to those layers. */
const char *stack_caller_frame(char *buf, size_t len, const char *stack);

/* The same from the live collector: */

/* Frames innermost first into frames[] (pointing into buf); returns how many. */
int stack_frames(struct collector *c, __s32 id, const char **frames, int max, char *buf,
		 size_t len);
/* The stack as a JSON array of frames, innermost first; NULL (JSON null) if id < 0. */
json_object *stack_json(struct collector *c, __s32 id);
/* "    LABEL  f1 <- f2 <- ..." (10 frames at most); nothing if id < 0. */
void print_stack(struct collector *c, const char *label, __s32 id);

#endif
