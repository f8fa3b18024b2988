// SPDX-License-Identifier: GPL-2.0
/* ksyms.c: sorted /proc/kallsyms for stack symbolization (see ksyms.h). */
#include "ksyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ksym {
	__u64 addr;
	char *name;
};

struct ksyms {
	struct ksym *syms;
	size_t n;
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct ksyms *ksyms_parse(void *stdio_file)
{
	FILE *f = stdio_file;
	struct ksyms *k = calloc(1, sizeof(*k));
	size_t cap = 0;
	char line[512];

	if (!k)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		/* "ffffffff81000000 T name\t[module]": parsed by hand, sscanf is slow under TCG. */
		char *end, *name, *mod;
		unsigned long long addr = strtoull(line, &end, 16);
		char type;

		if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
			continue;
		type = end[1];
		if (!addr || (type != 't' && type != 'T'))
			continue;
		name = end + 3;
		name[strcspn(name, "\n")] = 0;
		mod = strchr(name, '\t');
		if (mod)
			*mod++ = 0;
		if (k->n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			struct ksym *s = realloc(k->syms, ncap * sizeof(*s));

			if (!s)
				break;
			k->syms = s;
			cap = ncap;
		}
		if (mod && mod[0] == '[') {
			char full[400];

			snprintf(full, sizeof(full), "%s %s", name, mod);
			k->syms[k->n].name = strdup(full);
		} else {
			k->syms[k->n].name = strdup(name);
		}
		if (!k->syms[k->n].name)
			break;
		k->syms[k->n++].addr = addr;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), ksym_cmp);
	return k;
}

struct ksyms *ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	struct ksyms *k;

	if (!f)
		return NULL;
	k = ksyms_parse(f);
	fclose(f);
	return k;
}

const char *ksyms_name(const struct ksyms *k, __u64 addr)
{
	size_t lo = 0, hi = k ? k->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? k->syms[lo - 1].name : NULL;
}

void ksyms_merge(struct ksyms *k, struct ksyms *more)
{
	size_t n = 0;
	struct ksym *all;

	if (!more)
		return;
	all = realloc(k->syms, (k->n + more->n) * sizeof(*all));
	if (!all) {
		ksyms_free(more);
		return;
	}
	memcpy(all + k->n, more->syms, more->n * sizeof(*all));
	k->syms = all;
	k->n += more->n;
	free(more->syms);
	free(more);
	qsort(k->syms, k->n, sizeof(*k->syms), ksym_cmp);
	/* Drop exact duplicates (same address and name). */
	for (size_t i = 0; i < k->n; i++) {
		if (n && k->syms[n - 1].addr == k->syms[i].addr &&
		    strcmp(k->syms[n - 1].name, k->syms[i].name) == 0) {
			free(k->syms[i].name);
			continue;
		}
		k->syms[n++] = k->syms[i];
	}
	k->n = n;
}

int ksyms_is_tracing_frame(const char *name)
{
	static const char *const prefixes[] = {
	    "bpf_prog_",
	    "bpf_trace_run",
	    "__bpf_trace_",
	    "bpf_trampoline_",
	    "ftrace_trampoline",
	    "kprobe_ftrace_handler",
	    "ftrace_regs_call",
	    "ftrace_call",
	    "arch_ftrace_ops_list_func",
	    "__kretprobe_trampoline",
	    "kretprobe_trampoline",
	    "arch_rethook_trampoline",
	    "rethook_trampoline_handler",
	    "__bpf_prog_enter",
	    "__bpf_prog_exit",
	    "trace_call_bpf",
	    "kprobe_perf_func",
	    "kprobe_dispatcher",
	    "kretprobe_dispatcher",
	    "kretprobe_perf_func",
	    "aggr_pre_handler",
	};

	if (strstr(name, " [bpf]"))
		return 1;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->syms[i].name);
	free(k->syms);
	free(k);
}
