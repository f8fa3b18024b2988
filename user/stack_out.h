/* SPDX-License-Identifier: GPL-2.0 */
/* stack_out.h: kernel stacks from the pipeline (collector_stack), symbolized, for output. */
#ifndef IOMMUTRACE_STACK_OUT_H
#define IOMMUTRACE_STACK_OUT_H

#include "collector.h"

#include <json-c/json.h>
#include <stddef.h>

/* Frames innermost first into frames[] (pointing into buf); returns how many. */
int stack_frames(struct collector *c, __s32 id, const char **frames, int max, char *buf,
		 size_t len);
/* The stack as a JSON array of frames, innermost first; NULL (JSON null) if id < 0. */
json_object *stack_json(struct collector *c, __s32 id);
/* "    LABEL  f1 <- f2 <- ..." (10 frames at most); nothing if id < 0. */
void print_stack(struct collector *c, const char *label, __s32 id);
/* The innermost frame outside the DMA API / IOMMU layers: the driver that called them. */
const char *stack_caller(struct collector *c, __s32 id, char *out, size_t len);

#endif
