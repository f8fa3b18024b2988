// SPDX-License-Identifier: GPL-2.0
/*
 * counters.c: DMA map/unmap per device and IOVA alloc/free/cache misses per IOVA domain, from
 * kprobes (the dma:* tracepoints of 6.12 are not exported to modules). Handlers run with
 * preemption off and only add to this CPU's copy of the statistics: no locks, no atomics except
 * the one cmpxchg that claims a table slot the first time a device or domain is seen.
 */
#include "iommutrace_kmod.h"

#include <linux/device.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>

struct it_kmod_pcpu __percpu *itk_pcpu;
struct it_kmod_dev itk_devs[IT_KMOD_DEVS];
struct it_kmod_dom itk_doms[IT_KMOD_DOMS];

struct it_kmod_hookdef itk_hooks[ITK_H_NR] = {
    [ITK_H_DMA_MAP] = {"dma_map", NULL, true},
    [ITK_H_DMA_UNMAP] = {"dma_unmap", NULL, true},
    [ITK_H_DMA_MAP_SG] = {"dma_map_sg", NULL, false},
    [ITK_H_DMA_UNMAP_SG] = {"dma_unmap_sg", NULL, false},
    [ITK_H_ALLOC_IOVA_FAST] = {"alloc_iova_fast", NULL, false},
    [ITK_H_ALLOC_IOVA] = {"alloc_iova", NULL, false},
    [ITK_H_FREE_IOVA_FAST] = {"free_iova_fast", NULL, false},
    [ITK_H_DMAR_FAULT] = {"dmar_fault", NULL, false},
};

static inline unsigned long arg(struct pt_regs *regs, unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

static inline struct it_kmod_pcpu *pcpu(void)
{
	return this_cpu_ptr(itk_pcpu);
}

/* The device's slot; claims a free one the first time (name copied before it is published). */
static int dev_slot(struct it_kmod_pcpu *p, struct device *dev)
{
	int i;

	if (!dev)
		return 0;
	for (i = 1; i < IT_KMOD_DEVS; i++) {
		struct device *cur = READ_ONCE(itk_devs[i].dev);

		if (cur == dev)
			return i;
		if (cur)
			continue;
		cur = cmpxchg(&itk_devs[i].dev, NULL, dev);
		if (cur && cur != dev)
			continue;
		if (!cur) {
			const struct device_driver *drv = READ_ONCE(dev->driver);

			strscpy(itk_devs[i].name, dev_name(dev) ?: "?", IT_KMOD_NAME_LEN);
			strscpy(itk_devs[i].driver, drv && drv->name ? drv->name : "",
				IT_KMOD_NAME_LEN);
			smp_store_release(&itk_devs[i].ready, 1);
		}
		return i;
	}
	p->counters[ITK_C_DEV_OVERFLOW]++;
	return 0;
}

static int dom_slot(struct it_kmod_pcpu *p, void *iovad)
{
	int i;

	for (i = 1; i < IT_KMOD_DOMS; i++) {
		void *cur = READ_ONCE(itk_doms[i].iovad);

		if (cur == iovad)
			return i;
		if (cur)
			continue;
		cur = cmpxchg(&itk_doms[i].iovad, NULL, iovad);
		if (!cur || cur == iovad)
			return i;
	}
	p->counters[ITK_C_DOM_OVERFLOW]++;
	return 0;
}

static void note_map_dev(struct it_kmod_pcpu *p, int slot)
{
	p->map_task = current;
	p->map_dev = slot;
}

/* dma_map_page_attrs(dev, page, offset, size, dir, attrs) */
static int dma_map_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();
	int s = dev_slot(p, (struct device *)arg(regs, 0));

	p->hits[ITK_H_DMA_MAP]++;
	p->dev[s].map++;
	p->dev[s].map_bytes += arg(regs, 3);
	note_map_dev(p, s);
	return 0;
}

/* dma_unmap_page_attrs(dev, addr, size, dir, attrs) */
static int dma_unmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();
	int s = dev_slot(p, (struct device *)arg(regs, 0));

	p->hits[ITK_H_DMA_UNMAP]++;
	p->dev[s].unmap++;
	p->dev[s].unmap_bytes += arg(regs, 2);
	return 0;
}

/* __dma_map_sg_attrs / dma_map_sg_attrs(dev, sg, nents, dir, attrs) */
static int dma_map_sg_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();
	int s = dev_slot(p, (struct device *)arg(regs, 0));
	struct scatterlist *sg = (struct scatterlist *)arg(regs, 1);
	int nents = (int)arg(regs, 2), i;
	u64 bytes = 0;

	p->hits[ITK_H_DMA_MAP_SG]++;
	p->dev[s].map_sg++;
	p->dev[s].map_sg_nents += nents > 0 ? nents : 0;
	for (i = 0; sg && i < nents && i < 128; i++, sg = sg_next(sg))
		bytes += sg->length;
	p->dev[s].map_sg_bytes += bytes;
	note_map_dev(p, s);
	return 0;
}

/* dma_unmap_sg_attrs(dev, sg, nents, dir, attrs) */
static int dma_unmap_sg_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();
	int s = dev_slot(p, (struct device *)arg(regs, 0));
	int nents = (int)arg(regs, 2);

	p->hits[ITK_H_DMA_UNMAP_SG]++;
	p->dev[s].unmap_sg++;
	p->dev[s].unmap_sg_nents += nents > 0 ? nents : 0;
	return 0;
}

/* alloc_iova_fast(iovad, size, limit_pfn, flush_rcache): the per-instance data of the call. */
struct iova_call {
	int dom;
	int cpu;
	struct task_struct *saved_task;
	unsigned int saved_nested;
};

static int alloc_fast_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct iova_call *c = (struct iova_call *)ri->data;
	struct it_kmod_pcpu *p = pcpu();
	unsigned long pages = arg(regs, 1);
	int d = dom_slot(p, (void *)arg(regs, 0));

	p->hits[ITK_H_ALLOC_IOVA_FAST]++;
	p->dom[d].allocs++;
	p->dom[d].alloc_pages += pages;
	if (d && p->map_task == current)
		WRITE_ONCE(itk_doms[d].dev, p->map_dev);
	c->dom = d;
	c->cpu = smp_processor_id();
	c->saved_task = p->iova_task;
	c->saved_nested = p->iova_nested;
	p->iova_task = current;
	p->iova_nested = 0;
	return 0;
}

static int alloc_fast_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct iova_call *c = (struct iova_call *)ri->data;
	struct it_kmod_pcpu *p = pcpu();

	if (!regs_return_value(regs))
		p->dom[c->dom].alloc_fail++;
	if (c->cpu != smp_processor_id() || p->iova_task != current) {
		/* migrated while allocating: its nested alloc_iova calls were not seen here */
		p->counters[ITK_C_CTX_MISMATCH]++;
		return 0;
	}
	if (p->iova_nested >= 1)
		p->dom[c->dom].cache_misses++;
	if (p->iova_nested >= 2)
		p->dom[c->dom].flush_retries++;
	p->iova_task = c->saved_task;
	p->iova_nested = c->saved_nested;
	return 0;
}

/* alloc_iova(iovad, size, limit_pfn, size_aligned): inside alloc_iova_fast, a cache miss */
static int alloc_iova_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();

	p->hits[ITK_H_ALLOC_IOVA]++;
	if (p->iova_task == current)
		p->iova_nested++;
	return 0;
}

/* free_iova_fast(iovad, pfn, size) */
static int free_fast_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();
	int d = dom_slot(p, (void *)arg(regs, 0));

	p->hits[ITK_H_FREE_IOVA_FAST]++;
	p->dom[d].frees++;
	p->dom[d].free_pages += arg(regs, 2);
	return 0;
}

/* Candidates per hook, best first. */
static struct kprobe kp_map = {.pre_handler = dma_map_pre};
static struct kprobe kp_unmap = {.pre_handler = dma_unmap_pre};
static struct kprobe kp_map_sg = {.pre_handler = dma_map_sg_pre};
static struct kprobe kp_unmap_sg = {.pre_handler = dma_unmap_sg_pre};
static struct kprobe kp_alloc_iova = {.pre_handler = alloc_iova_pre};
static struct kprobe kp_free_fast = {.pre_handler = free_fast_pre};
static struct kretprobe krp_alloc_fast = {
    .entry_handler = alloc_fast_entry,
    .handler = alloc_fast_ret,
    .data_size = sizeof(struct iova_call),
    .maxactive = 64,
};

struct kp_def {
	enum it_kmod_hook hook;
	struct kprobe *kp;
	const char *names[3];
};

static struct kp_def kp_defs[] = {
    {ITK_H_DMA_MAP, &kp_map, {"dma_map_page_attrs"}},
    {ITK_H_DMA_UNMAP, &kp_unmap, {"dma_unmap_page_attrs"}},
    {ITK_H_DMA_MAP_SG, &kp_map_sg, {"__dma_map_sg_attrs", "dma_map_sg_attrs"}},
    {ITK_H_DMA_UNMAP_SG, &kp_unmap_sg, {"dma_unmap_sg_attrs"}},
    {ITK_H_ALLOC_IOVA, &kp_alloc_iova, {"alloc_iova"}},
    {ITK_H_FREE_IOVA_FAST, &kp_free_fast, {"free_iova_fast"}},
};

static bool krp_registered;

unsigned long itk_kretprobe_missed(void)
{
	return krp_registered ? krp_alloc_fast.nmissed : 0;
}

static void unregister_all(void)
{
	size_t i;

	if (krp_registered)
		unregister_kretprobe(&krp_alloc_fast);
	krp_registered = false;
	itk_hooks[ITK_H_ALLOC_IOVA_FAST].symbol = NULL;
	for (i = 0; i < ARRAY_SIZE(kp_defs); i++) {
		if (!itk_hooks[kp_defs[i].hook].symbol)
			continue;
		unregister_kprobe(kp_defs[i].kp);
		itk_hooks[kp_defs[i].hook].symbol = NULL;
	}
}

static int register_def(struct kp_def *d)
{
	int i, r = -ENOENT;

	for (i = 0; i < 3 && d->names[i]; i++) {
		struct kprobe *kp = d->kp;
		kprobe_pre_handler_t pre = kp->pre_handler;

		memset(kp, 0, sizeof(*kp)); /* a failed registration may leave fields set */
		kp->pre_handler = pre;
		kp->symbol_name = d->names[i];
		r = register_kprobe(kp);
		if (r == 0) {
			itk_hooks[d->hook].symbol = d->names[i];
			return 0;
		}
	}
	return r;
}

int itk_counters_init(void)
{
	size_t i;
	int r;

	itk_pcpu = alloc_percpu(struct it_kmod_pcpu);
	if (!itk_pcpu)
		return -ENOMEM;
	/* The exit probe of alloc_iova_fast first: it must never see a call without its entry. */
	krp_alloc_fast.kp.symbol_name = "alloc_iova_fast";
	r = register_kretprobe(&krp_alloc_fast);
	if (r == 0) {
		krp_registered = true;
		itk_hooks[ITK_H_ALLOC_IOVA_FAST].symbol = "alloc_iova_fast";
	} else {
		pr_info("iommutrace: alloc_iova_fast not hookable (%d): no IOVA counters\n", r);
	}
	for (i = 0; i < ARRAY_SIZE(kp_defs); i++) {
		struct it_kmod_hookdef *h = &itk_hooks[kp_defs[i].hook];

		r = register_def(&kp_defs[i]);
		if (r && h->required) {
			pr_err(
			    "iommutrace: cannot hook %s (%s: error %d): this kernel lacks a hook "
			    "the module needs; not loading\n",
			    h->name, kp_defs[i].names[0], r);
			unregister_all();
			free_percpu(itk_pcpu);
			itk_pcpu = NULL;
			return r;
		}
		if (r)
			pr_info("iommutrace: %s not hookable (%s: error %d): counted as "
				"unavailable\n",
				h->name, kp_defs[i].names[0], r);
	}
	return 0;
}

void itk_counters_exit(void)
{
	/* unregister_k*probe waits until no handler runs any more (synchronize_rcu). */
	unregister_all();
	free_percpu(itk_pcpu);
	itk_pcpu = NULL;
}
