// SPDX-License-Identifier: GPL-2.0
/* kmod_source.c: the kernel module's debugfs tables as a collector source (see kmod_source.h). */
#include "kmod_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The module's hook names and the pipeline hooks they stand for. */
static const struct {
	const char *name;
	enum it_hook hook;
} hook_map[] = {
    {"dma_map", IT_FN_DMA_MAP},
    {"dma_unmap", IT_FN_DMA_UNMAP},
    {"dma_map_sg", IT_FN_DMA_MAP_SG},
    {"dma_unmap_sg", IT_FN_DMA_UNMAP_SG},
    {"alloc_iova_fast", IT_FN_ALLOC_IOVA_FAST},
    {"alloc_iova", IT_FN_ALLOC_IOVA},
    {"free_iova_fast", IT_FN_FREE_IOVA_FAST},
    {"dmar_fault", IT_FN_DMAR_FAULT},
};

const char *kmod_source_dir(void)
{
	const char *d = getenv("IOMMUTRACE_KMOD_DIR");

	return d && *d ? d : KMOD_DIR_DEFAULT;
}

/* The whole file, NUL-terminated, malloc()ed; NULL with errno set. */
static char *read_file(const struct kmod_source *k, const char *name)
{
	char path[320], *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/%s", k->dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			char *more = realloc(buf, cap + 65536);

			if (!more) {
				errno = ENOMEM;
				goto fail;
			}
			buf = more;
			cap += 65536;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	buf[len] = 0;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

static int read_err(const struct kmod_source *k, const char *name, char *err, size_t errlen)
{
	int e = errno;

	snprintf(err, errlen, "cannot read %s/%s: %s", k->dir, name, strerror(e));
	return -e;
}

static int read_hooks(struct kmod_source *k, char *err, size_t errlen)
{
	char *t = read_file(k, "hooks");
	int r;

	if (!t)
		return read_err(k, "hooks", err, errlen);
	r = kmod_parse_hooks(t, &k->hooks, err, errlen);
	free(t);
	return r ? -EINVAL : 0;
}

static int read_faults(struct kmod_source *k, struct kmod_faults *f, char *err, size_t errlen)
{
	char *t = read_file(k, "faults");
	int r;

	if (!t)
		return read_err(k, "faults", err, errlen);
	r = kmod_parse_faults(t, f, err, errlen);
	free(t);
	return r ? -EINVAL : 0;
}

int kmod_source_open(struct kmod_source *k, const char *dir, char *err, size_t errlen)
{
	struct kmod_faults f;
	char *t;
	int r;

	memset(k, 0, sizeof(*k));
	snprintf(k->dir, sizeof(k->dir), "%s", dir);
	t = read_file(k, "version");
	if (!t) {
		r = errno;
		if (r == ENOENT)
			snprintf(err, errlen,
				 "the iommutrace kernel module is not loaded (no %s; load it with "
				 "insmod build/kmod/<kernel>/iommutrace.ko, debugfs mounted)",
				 k->dir);
		else
			read_err(k, "version", err, errlen);
		return -r;
	}
	r = kmod_parse_version(t, &k->format, err, errlen);
	free(t);
	if (r)
		return -EINVAL;
	if (k->format != KMOD_FORMAT) {
		snprintf(err, errlen,
			 "the loaded iommutrace module writes format %d, this iommutrace reads "
			 "format %d: rebuild and reload the module from this tree",
			 k->format, KMOD_FORMAT);
		return -EPROTO;
	}
	r = read_hooks(k, err, errlen);
	if (r)
		return r;
	/* Faults from before we started are not ours to report. */
	r = read_faults(k, &f, err, errlen);
	if (r)
		return r;
	k->fault_seq = f.seq;
	free(f.v);
	return 0;
}

void kmod_source_close(struct kmod_source *k)
{
	free(k->devs);
	memset(k, 0, sizeof(*k));
}

void kmod_source_plan(const struct kmod_source *k, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	for (int h = 0; h < IT_HOOK_NR; h++)
		snprintf(p->hooks[h].reason, sizeof(p->hooks[h].reason),
			 "not provided by the iommutrace kernel module");
	for (size_t i = 0; i < k->hooks.n; i++) {
		const struct kmod_hook *kh = &k->hooks.v[i];

		for (size_t j = 0; j < sizeof(hook_map) / sizeof(hook_map[0]); j++) {
			struct hook_plan *hp = &p->hooks[hook_map[j].hook];

			if (strcmp(kh->name, hook_map[j].name) != 0)
				continue;
			if (!kh->symbol[0]) {
				snprintf(hp->reason, sizeof(hp->reason),
					 "the iommutrace kernel module could not hook it on this "
					 "kernel");
				continue;
			}
			hp->mech = MECH_KMOD;
			hp->symbol = kh->symbol;
			hp->attached = true;
			snprintf(hp->reason, sizeof(hp->reason),
				 "iommutrace kernel module (kprobe)");
			if (hook_map[j].hook == IT_FN_DMAR_FAULT && !k->hooks.fault_decode) {
				hp->attached = false; /* interrupts counted, records not read */
				snprintf(hp->reason, sizeof(hp->reason),
					 "iommutrace kernel module: fault records not decoded (%s)",
					 k->hooks.fault_note);
			}
		}
	}
	sources_summarize(p);
	/* DMA map/unmap counts come from the module's function hooks (the pipeline's own summary
	 * looks for tracepoints first). */
	for (int c = CAP_DMA_MAP; c <= CAP_DMA_SG; c++) {
		const struct hook_plan *map =
		    &p->hooks[c == CAP_DMA_MAP ? IT_FN_DMA_MAP : IT_FN_DMA_MAP_SG];
		const struct hook_plan *unmap = map + 1; /* map/unmap are consecutive */
		struct cap_plan *cp = &p->caps[c];

		if (map->mech != MECH_KMOD || unmap->mech != MECH_KMOD)
			continue;
		cp->hooks_used = 2;
		cp->event_mech = MECH_KMOD;
		snprintf(cp->detail, sizeof(cp->detail), "%s, %s (iommutrace kernel module)",
			 map->symbol, unmap->symbol);
	}
	/* The module hooks the DMA calls for counting only: no latency, no attribution of
	 * page-table updates. */
	p->caps[CAP_DMA_CONTEXT].hooks_used = 0;
	p->caps[CAP_DMA_CONTEXT].event_mech = MECH_NONE;
	snprintf(p->caps[CAP_DMA_CONTEXT].detail, sizeof(p->caps[CAP_DMA_CONTEXT].detail),
		 "unavailable: the iommutrace kernel module counts DMA calls, it does not time "
		 "them");
}

static int snapshot_devs(struct kmod_source *k, struct snapshot *s, char *err, size_t errlen)
{
	char *t = read_file(k, "devices");
	struct kmod_dev *d;
	size_t n, used = 0;
	int r;

	if (!t)
		return read_err(k, "devices", err, errlen);
	r = kmod_parse_devices(t, &d, &n, err, errlen);
	free(t);
	if (r) {
		free(d);
		return -EINVAL;
	}
	s->devs = calloc(n ? n : 1, sizeof(*s->devs));
	if (!s->devs) {
		free(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct dev_snap *o = &s->devs[used];
		const struct kmod_dev *x = &d[i];

		/* The "other" row only when devices overflowed the module's table. */
		if (x->slot == 0 && !(x->map | x->unmap | x->map_sg | x->unmap_sg))
			continue;
		o->key = x->slot;
		snprintf(o->info.name, sizeof(o->info.name), "%s", x->name);
		snprintf(o->info.driver, sizeof(o->info.driver), "%s", x->driver);
		o->st.map = x->map;
		o->st.map_bytes = x->map_bytes;
		o->st.unmap = x->unmap;
		o->st.unmap_bytes = x->unmap_bytes;
		o->st.map_sg = x->map_sg;
		o->st.map_sg_bytes = x->map_sg_bytes;
		o->st.unmap_sg = x->unmap_sg;
		used++;
	}
	s->ndev = used;
	free(k->devs);
	k->devs = d;
	k->ndev = n;
	return 0;
}

static int snapshot_doms(struct kmod_source *k, struct snapshot *s, char *err, size_t errlen)
{
	char *t = read_file(k, "domains");
	struct kmod_dom *d;
	size_t n;
	int r;

	if (!t)
		return read_err(k, "domains", err, errlen);
	r = kmod_parse_domains(t, &d, &n, err, errlen);
	free(t);
	if (r) {
		free(d);
		return -EINVAL;
	}
	s->doms = calloc(n ? n : 1, sizeof(*s->doms));
	if (!s->doms) {
		free(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct dom_snap *o = &s->doms[i];

		o->key = d[i].slot;
		o->dev = d[i].dev > 0 ? (__u64)d[i].dev : 0;
		o->st.allocs = d[i].allocs;
		o->st.alloc_fail = d[i].alloc_fail;
		o->st.alloc_pages = d[i].alloc_pages;
		o->st.cache_misses = d[i].cache_misses;
		o->st.flush_retries = d[i].flush_retries;
		o->st.frees = d[i].frees;
		o->st.free_pages = d[i].free_pages;
	}
	s->ndom = n;
	free(d);
	return 0;
}

static int snapshot_counters(struct kmod_source *k, struct snapshot *s, char *err, size_t errlen)
{
	struct kmod_counters c;
	char *t = read_file(k, "counters");
	int r;

	if (!t)
		return read_err(k, "counters", err, errlen);
	r = kmod_parse_counters(t, &c, err, errlen);
	free(t);
	if (r)
		return -EINVAL;
	s->counters[IT_C_RB_DROPPED] = k->lost;
	s->counters[IT_C_DEV_OVERFLOW] = c.device_overflow;
	s->counters[IT_C_DOM_OVERFLOW] = c.domain_overflow;
	s->counters[IT_C_CTX_MISMATCH] = c.context_mismatch + c.kretprobe_missed;
	s->counters[IT_C_FAULT_IRQ] = c.fault_irqs;
	s->counters[IT_C_FAULT_RECORDS] = c.fault_records;
	s->counters[IT_C_FAULT_UNREAD] = c.fault_unread;
	s->counters[IT_C_FAULT_HW_OVERFLOW] = c.fault_hw_overflow;
	s->counters[IT_C_FAULT_REGS_TRUNC] = c.fault_regs_truncated;
	return 0;
}

int kmod_source_snapshot(struct kmod_source *k, struct snapshot *s)
{
	char err[256];
	int r;

	memset(s, 0, sizeof(*s));
	s->ts_ns = clock_ns(CLOCK_MONOTONIC);
	r = read_hooks(k, err, sizeof(err));
	if (!r)
		r = snapshot_counters(k, s, err, sizeof(err));
	if (!r)
		r = snapshot_devs(k, s, err, sizeof(err));
	if (!r)
		r = snapshot_doms(k, s, err, sizeof(err));
	if (r) {
		fprintf(stderr, "iommutrace: %s\n", err);
		snapshot_free(s);
		return r;
	}
	for (size_t i = 0; i < k->hooks.n; i++) {
		const struct kmod_hook *h = &k->hooks.v[i];

		/* Skipped runs: a kprobe hit while another ran on that CPU. For the fault
		 * interrupt that is an interrupt whose records were not read. */
		s->recursion_misses += h->missed;
		if (strcmp(h->name, "dmar_fault") == 0) {
			s->counters[IT_C_FAULT_IRQ] += h->missed;
			s->counters[IT_C_FAULT_UNREAD] += h->missed;
		}
		for (size_t j = 0; j < sizeof(hook_map) / sizeof(hook_map[0]); j++)
			if (strcmp(h->name, hook_map[j].name) == 0)
				s->hooks[hook_map[j].hook] = h->hits;
	}
	snapshot_sort(s);
	return 0;
}

int kmod_source_poll(struct kmod_source *k, kmod_event_fn fn, void *ctx)
{
	struct kmod_faults f;
	char err[256];
	int n = 0;

	if (read_faults(k, &f, err, sizeof(err))) {
		fprintf(stderr, "iommutrace: %s\n", err);
		return -EIO;
	}
	if (f.seq < k->fault_seq) /* the module was reloaded: its sequence started over */
		k->fault_seq = 0;
	if (f.n && f.v[0].seq > k->fault_seq + 1)
		k->lost += f.v[0].seq - k->fault_seq - 1;
	for (size_t i = 0; i < f.n; i++) {
		const struct kmod_fault *x = &f.v[i];
		struct it_event e = {0};

		if (x->seq <= k->fault_seq)
			continue;
		e.type = IT_EV_FAULT;
		e.ts_ns = x->ts_ns;
		e.addr = x->addr;
		e.aux = x->fsts;
		e.stack_id = e.map_stack_id = -1;
		e.fault_sid = x->sid;
		e.fault_src = IT_FSRC_KMOD;
		e.fault_access = x->write ? IT_ACC_WRITE : IT_ACC_READ;
		e.fault_reason = x->reason;
		e.fault_pasid = x->pasid;
		if (fn)
			fn(ctx, &e);
		n++;
	}
	if (f.seq > k->fault_seq)
		k->fault_seq = f.seq;
	free(f.v);
	return n;
}

int kmod_source_dev_info(const struct kmod_source *k, __u64 key, struct it_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < k->ndev; i++)
		if ((__u64)k->devs[i].slot == key && key) {
			snprintf(info->name, sizeof(info->name), "%s", k->devs[i].name);
			snprintf(info->driver, sizeof(info->driver), "%s", k->devs[i].driver);
			return 0;
		}
	return -1;
}

__u64 kmod_source_find_dev(struct kmod_source *k, const char *name)
{
	for (size_t i = 0; i < k->ndev; i++)
		if (k->devs[i].slot && strcmp(k->devs[i].name, name) == 0)
			return k->devs[i].slot;
	return 0;
}
