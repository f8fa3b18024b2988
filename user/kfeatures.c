// SPDX-License-Identifier: GPL-2.0
/* features.c: probe the running kernel for what iommutrace can hook (see kfeatures.h). */
#include "kfeatures.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool name_set_has(const struct name_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

int name_set_add(struct name_set *s, const char *name)
{
	if (name_set_has(s, name))
		return 0;
	if (s->n >= FEAT_MAX_NAMES)
		return -ENOSPC;
	s->names[s->n] = strdup(name);
	if (!s->names[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static void name_set_free(struct name_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	s->n = 0;
}

void features_free(struct features *f)
{
	name_set_free(&f->tracepoints);
	name_set_free(&f->functions);
	name_set_free(&f->btf_funcs);
}

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static void detect_caps(struct features *f)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};

	f->root = geteuid() == 0;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return;
#define HAS_CAP(c) ((data[(c) / 32].effective >> ((c) % 32)) & 1)
	f->cap_sys_admin = HAS_CAP(CAP_SYS_ADMIN);
	f->cap_perfmon = HAS_CAP(CAP_PERFMON);
	f->cap_bpf = HAS_CAP(CAP_BPF);
#undef HAS_CAP
}

bool features_can_trace(const struct features *f)
{
	return f->cap_sys_admin || (f->cap_bpf && f->cap_perfmon);
}

const char *features_priv_problem(const struct features *f)
{
	if (features_can_trace(f))
		return NULL;
	if (f->cap_bpf)
		return "missing CAP_PERFMON (needed with CAP_BPF to attach tracing programs); run "
		       "as "
		       "root or grant CAP_BPF+CAP_PERFMON";
	if (f->cap_perfmon)
		return "missing CAP_BPF (needed to load BPF programs); run as root or grant "
		       "CAP_BPF+CAP_PERFMON";
	return "missing CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run as root, or grant them "
	       "with "
	       "setcap cap_bpf,cap_perfmon+ep";
}

/* Find tracefs; mount it at /sys/kernel/tracing if we may and it is not mounted. */
static void detect_tracefs(struct features *f)
{
	static const char *const paths[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char p[96];

		snprintf(p, sizeof(p), "%s/events", paths[i]);
		if (path_exists(p)) {
			snprintf(f->tracefs_path, sizeof(f->tracefs_path), "%s", paths[i]);
			f->tracefs = true;
			snprintf(f->tracefs_note, sizeof(f->tracefs_note), "%s", paths[i]);
			return;
		}
	}
	if (path_exists("/sys/kernel/tracing") &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0) {
		snprintf(f->tracefs_path, sizeof(f->tracefs_path), "/sys/kernel/tracing");
		f->tracefs = true;
		snprintf(f->tracefs_note, sizeof(f->tracefs_note),
			 "/sys/kernel/tracing (was not mounted: mounted it)");
		return;
	}
	snprintf(f->tracefs_note, sizeof(f->tracefs_note),
		 "not mounted (%s); mount it with: mount -t tracefs tracefs /sys/kernel/tracing",
		 strerror(errno));
}

/* A tracepoint exists if tracefs lists it, or (without tracefs) if BTF has its btf_trace_ type. */
static void detect_tracepoints(struct features *f, struct btf *btf, const char *const *tps)
{
	for (; tps && *tps; tps++) {
		const char *colon = strchr(*tps, ':');
		char p[256], t[128];
		bool found = false;

		if (!colon)
			continue;
		if (f->tracefs) {
			snprintf(p, sizeof(p), "%s/events/%.*s/%s", f->tracefs_path,
				 (int)(colon - *tps), *tps, colon + 1);
			found = path_exists(p);
		} else if (btf) {
			snprintf(t, sizeof(t), "btf_trace_%s", colon + 1);
			found = btf__find_by_name_kind(btf, t, BTF_KIND_TYPEDEF) > 0;
		}
		if (found)
			name_set_add(&f->tracepoints, *tps);
	}
}

static bool in_list(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static void detect_functions(struct features *f, struct btf *btf, const char *const *fns)
{
	FILE *fp = fopen("/proc/kallsyms", "r");
	char line[512];

	if (fp) {
		while (fgets(line, sizeof(line), fp)) {
			char type, name[256];
			unsigned long long addr;

			if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
				continue;
			if ((type == 't' || type == 'T') && in_list(fns, name))
				name_set_add(&f->functions, name);
		}
		fclose(fp);
	}
	for (; btf && fns && *fns; fns++)
		if (btf__find_by_name_kind(btf, *fns, BTF_KIND_FUNC) > 0)
			name_set_add(&f->btf_funcs, *fns);
}

/*
 * Try to load and attach an empty fentry program on a real function: some kernels or sandboxes
 * refuse fentry (EPERM, no trampoline support) even with BTF present.
 */
static void detect_fentry(struct features *f, struct btf *btf)
{
	struct bpf_insn insns[] = {
	    {.code = 0xb7, .dst_reg = 0, .imm = 0}, /* r0 = 0 */
	    {.code = 0x95},			    /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id = -1, prog, link;

	if (!btf) {
		f->fentry_err = -ENOENT;
		snprintf(f->fentry_note, sizeof(f->fentry_note), "no kernel BTF%s",
			 f->btf_custom ? " (fentry targets are the running kernel's own BTF; --btf "
					 "serves CO-RE only)"
				       : "");
		return;
	}
	for (size_t i = 0; i < f->btf_funcs.n && id < 0; i++)
		id = btf__find_by_name_kind(btf, f->btf_funcs.names[i], BTF_KIND_FUNC);
	if (id < 0) {
		f->fentry_err = -ENOENT;
		snprintf(f->fentry_note, sizeof(f->fentry_note), "no hooked function has BTF");
		return;
	}
	opts.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "it_fentry_probe", "GPL", insns, 2, &opts);
	if (prog < 0) {
		f->fentry_err = -errno;
		snprintf(f->fentry_note, sizeof(f->fentry_note),
			 "fentry program refused at load: %s", strerror(errno));
		return;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0) {
		f->fentry_err = -errno;
		snprintf(f->fentry_note, sizeof(f->fentry_note), "fentry attach refused: %s%s",
			 strerror(errno), errno == EPERM ? " (kernel or sandbox policy)" : "");
	} else {
		f->fentry_err = 0;
		snprintf(f->fentry_note, sizeof(f->fentry_note), "works");
		close(link);
	}
	close(prog);
}

/* The --btf file: raw BTF (BTFHub, bpftool gen min_core_btf) or an ELF with a .BTF section. */
static struct btf *load_custom_btf(struct features *f, const char *path)
{
	struct btf *btf;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		snprintf(f->btf_err, sizeof(f->btf_err), "cannot use BTF file %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	close(fd);
	btf = btf__parse(path, NULL);
	if (!btf) {
		snprintf(f->btf_err, sizeof(f->btf_err),
			 "cannot use BTF file %s: not BTF (neither a raw BTF file nor an ELF file "
			 "with a .BTF section)",
			 path);
		return NULL;
	}
	f->btf_custom = true;
	snprintf(f->btf_path, sizeof(f->btf_path), "%s", path);
	return btf;
}

int features_detect(struct features *f, const char *btf_path, const char *const *tracepoints,
		    const char *const *functions)
{
	struct utsname u;
	struct btf *kbtf = NULL, *cbtf = NULL, *btf;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	detect_caps(f);
	f->btf = path_exists(KERNEL_BTF);
	if (f->btf) {
		kbtf = btf__load_vmlinux_btf();
		if (!kbtf)
			f->btf = false;
		else
			snprintf(f->btf_path, sizeof(f->btf_path), KERNEL_BTF);
	}
	if (btf_path && *btf_path) {
		cbtf = load_custom_btf(f, btf_path);
		if (!cbtf) {
			btf__free(kbtf);
			return -1;
		}
	}
	/* Types from the file given, where the kernel's may be missing; fentry targets (function
	 * records and the trial) only from the kernel's own BTF, which the kernel resolves them in.
	 */
	btf = cbtf ? cbtf : kbtf;
	if (btf)
		f->btf_types = btf__type_cnt(btf) - 1;
	detect_tracefs(f);
	f->kprobes = path_exists("/sys/bus/event_source/devices/kprobe/type");
	detect_tracepoints(f, btf, tracepoints);
	detect_functions(f, kbtf, functions);
	if (features_can_trace(f)) {
		detect_fentry(f, kbtf);
	} else {
		f->fentry_err = -EPERM;
		snprintf(f->fentry_note, sizeof(f->fentry_note), "not tried: no privileges");
	}
	btf__free(cbtf);
	btf__free(kbtf);
	return 0;
}
