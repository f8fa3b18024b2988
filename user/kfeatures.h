/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfeatures.h: what the running kernel offers iommutrace — privileges, BTF, tracefs, kprobes,
 * fentry, and which tracepoints and functions exist. Filled once by features_detect(); the source
 * choice (sources.c) reads only this struct, so tests can describe any kernel by hand.
 */
#ifndef IOMMUTRACE_FEATURES_H
#define IOMMUTRACE_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#define FEAT_MAX_NAMES 96

struct name_set {
	size_t n;
	char *names[FEAT_MAX_NAMES];
};

struct features {
	char release[128];
	bool root;
	bool cap_bpf, cap_perfmon, cap_sys_admin;
	bool btf;	    /* the kernel's own, /sys/kernel/btf/vmlinux (fentry needs it) */
	bool btf_custom;    /* btf_path is a file given with --btf, not the kernel's */
	char btf_path[256]; /* the BTF for CO-RE relocations and type lookups; "" if none */
	unsigned btf_types; /* types in it */
	char btf_err[320];  /* why the --btf file cannot be used, if features_detect() failed */
	bool tracefs;	    /* tracefs mounted (or mounted by us) */
	char tracefs_path[64];
	char tracefs_note[160]; /* how it was found, or how to mount it */
	bool kprobes;		/* kprobe PMU: CONFIG_KPROBES */
	int fentry_err;		/* 0: fentry/fexit work; else -errno of the trial */
	char fentry_note[160];
	struct name_set tracepoints; /* "dma:dma_map_page" form, only those iommutrace asks about */
	struct name_set functions;   /* text symbols in /proc/kallsyms, likewise */
	struct name_set btf_funcs;   /* functions with a BTF FUNC record (fentry can target them) */
};

/*
 * Detect everything for the given candidate names (NULL-terminated lists). btf_path (NULL: none)
 * replaces the kernel's BTF for CO-RE and type lookups; fentry still needs the kernel's own.
 * Returns -1 with btf_err set if btf_path cannot be read or is no BTF, else 0.
 */
int features_detect(struct features *f, const char *btf_path, const char *const *tracepoints,
		    const char *const *functions);
void features_free(struct features *f);

bool name_set_has(const struct name_set *s, const char *name);
int name_set_add(struct name_set *s, const char *name);

/* Enough privilege to load and attach tracing BPF programs. */
bool features_can_trace(const struct features *f);
/* A one-line explanation of missing privileges, or NULL. */
const char *features_priv_problem(const struct features *f);

#endif
