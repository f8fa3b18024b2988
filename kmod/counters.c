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
	p->iova_task = NULL; /* a new DMA call: no alloc_iova_fast in progress yet */
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
	p->iova_task = NULL;
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
	p->iova_task = NULL;
	p->dev[s].unmap_sg++;
	p->dev[s].unmap_sg_nents += nents > 0 ? nents : 0;
	return 0;
}

/*
 * alloc_iova_fast(iovad, size, limit_pfn, flush_rcache). No return probe (kretprobes are the one
 * part of kprobes that kept racing with unregistration under load on 6.1): the call is remembered
 * on this CPU, and an alloc_iova by the same task before its next DMA call is its cache miss.
 */
static int alloc_fast_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();
	int d = dom_slot(p, (void *)arg(regs, 0));

	p->hits[ITK_H_ALLOC_IOVA_FAST]++;
	p->dom[d].allocs++;
	p->dom[d].alloc_pages += arg(regs, 1);
	if (d && p->map_task == current)
		WRITE_ONCE(itk_doms[d].dev, p->map_dev);
	p->iova_task = current;
	p->iova_dom = d;
	p->iova_nested = 0;
	return 0;
}

/* alloc_iova(iovad, size, limit_pfn, size_aligned): inside alloc_iova_fast, a cache miss */
static int alloc_iova_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct it_kmod_pcpu *p = pcpu();

	p->hits[ITK_H_ALLOC_IOVA]++;
	if (p->iova_task != current)
		return 0; /* not inside alloc_iova_fast: a direct caller */
	p->iova_nested++;
	if (p->iova_nested == 1)
		p->dom[p->iova_dom].cache_misses++;
	else if (p->iova_nested == 2)
		p->dom[p->iova_dom].flush_retries++; /* cache flushed, allocation retried */
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

/*
 * A post handler keeps a kprobe on int3 (never "optimized" into a jump): the handler then runs with
 * interrupts off, so a fault interrupt cannot arrive while this CPU is inside a kprobe — where the
 * kernel would skip our dmar_fault pre-handler as a nested kprobe (counted in nmissed) and that
 * interrupt's records would be lost.
 */
static void no_post(struct kprobe *kp, struct pt_regs *regs, unsigned long flags)
{
}

#define ITK_KPROBE(fn)                                                                             \
	{                                                                                          \
		.pre_handler = (fn), .post_handler = no_post                                       \
	}
static struct kprobe kp_map = ITK_KPROBE(dma_map_pre);
static struct kprobe kp_unmap = ITK_KPROBE(dma_unmap_pre);
static struct kprobe kp_map_sg = ITK_KPROBE(dma_map_sg_pre);
static struct kprobe kp_unmap_sg = ITK_KPROBE(dma_unmap_sg_pre);
static struct kprobe kp_alloc_iova = ITK_KPROBE(alloc_iova_pre);
static struct kprobe kp_free_fast = ITK_KPROBE(free_fast_pre);
static struct kprobe kp_alloc_fast = ITK_KPROBE(alloc_fast_pre);

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
    {ITK_H_ALLOC_IOVA_FAST, &kp_alloc_fast, {"alloc_iova_fast"}},
    {ITK_H_ALLOC_IOVA, &kp_alloc_iova, {"alloc_iova"}},
    {ITK_H_FREE_IOVA_FAST, &kp_free_fast, {"free_iova_fast"}},
};

unsigned long itk_hook_missed(enum it_kmod_hook h)
{
	size_t i;

	if (h == ITK_H_DMAR_FAULT)
		return itk_faults_missed();
	for (i = 0; i < ARRAY_SIZE(kp_defs); i++)
		if (kp_defs[i].hook == h && itk_hooks[h].symbol)
			return kp_defs[i].kp->nmissed;
	return 0;
}

/* One grace period for all of them: unregistering one at a time waits once per probe. */
static void unregister_all(void)
{
	struct kprobe *kps[ARRAY_SIZE(kp_defs)];
	size_t i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(kp_defs); i++) {
		if (!itk_hooks[kp_defs[i].hook].symbol)
			continue;
		kps[n++] = kp_defs[i].kp;
		itk_hooks[kp_defs[i].hook].symbol = NULL;
	}
	if (n)
		unregister_kprobes(kps, n);
}

/*
 * Past the function's endbr64 (IBT kernels) and its `call __fentry__` nop: there the kprobe is an
 * int3 one rather than an ftrace callback, so (with its post handler) it runs with interrupts off.
 * The argument registers are untouched at that point. Offset 0 if that is not an instruction
 * boundary (no ftrace, or another prologue).
 */
#define ITK_ENTRY_OFFSET                                                                           \
	((IS_ENABLED(CONFIG_X86_KERNEL_IBT) ? 4 : 0) + (IS_ENABLED(CONFIG_FUNCTION_TRACER) ? 5 : 0))

static int register_def(struct kp_def *d)
{
	static const unsigned int offsets[] = {ITK_ENTRY_OFFSET, 0};
	int i, r = -ENOENT;

	for (i = 0; i < 6 && d->names[i / 2]; i++) {
		struct kprobe *kp = d->kp;
		kprobe_pre_handler_t pre = kp->pre_handler;
		kprobe_post_handler_t post = kp->post_handler;

		memset(kp, 0, sizeof(*kp)); /* a failed registration may leave fields set */
		kp->pre_handler = pre;
		kp->post_handler = post;
		kp->symbol_name = d->names[i / 2];
		kp->offset = offsets[i % 2];
		r = register_kprobe(kp);
		if (r == 0) {
			itk_hooks[d->hook].symbol = d->names[i / 2];
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
