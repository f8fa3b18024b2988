/* SPDX-License-Identifier: GPL-2.0 */
/* ksyms.h: kernel address to symbol (vmlinux and modules) from /proc/kallsyms. */
#ifndef IOMMUTRACE_KSYMS_H
#define IOMMUTRACE_KSYMS_H

#include <linux/types.h>

struct ksyms;

struct ksyms *ksyms_load(void);
/* Parse kallsyms-format text from a stream (tests use this). */
struct ksyms *ksyms_parse(void *stdio_file);
/* "func" or "func [module]" for the symbol containing addr; NULL if below every symbol. */
const char *ksyms_name(const struct ksyms *k, __u64 addr);
/* Add the symbols of another parse (e.g. a module loaded since) without forgetting old ones,
 * so stacks of a module unloaded since still resolve. Frees `more`. */
void ksyms_merge(struct ksyms *k, struct ksyms *more);
/* Kernel tracing machinery (BPF programs, trampolines, kprobe/ftrace handlers): not the caller. */
int ksyms_is_tracing_frame(const char *name);
void ksyms_free(struct ksyms *k);

#endif
