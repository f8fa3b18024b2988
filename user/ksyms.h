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
void ksyms_free(struct ksyms *k);

#endif
