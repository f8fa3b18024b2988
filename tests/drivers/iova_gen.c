// SPDX-License-Identifier: GPL-2.0
/*
 * iommutrace_iovagen: a load generator for the IOVA allocator with known counts, the ground truth
 * for `iommutrace iova`.
 *
 *   insmod iommutrace_iovagen.ko [rounds=N]
 *
 * At load time it creates two IOVA domains of its own (init_iova_domain +
 * iova_domain_init_rcaches) and, on one CPU (migration disabled), drives alloc_iova_fast and
 * free_iova_fast through a pattern whose per-CPU cache behaviour is unambiguous on any magazine
 * size (127 or 128):
 *   cold      N 1-page allocations on a fresh cache: all miss
 *   warm      free them, allocate N again: all hit (N fits the CPU's two magazines)
 *   burst     free N, allocate N + N/2: N hit, N/2 miss; free all
 *   mtu       3-page allocations (a 9000-byte buffer; the 4-page class): cold, then warm
 *   huge      64- and 33-page allocations (above 32 pages, never cached): all miss
 *   first32   8-page allocations below 4 GiB without flush (the DMA layer's first attempt)
 *   fallback  (second domain, starting at 4 GiB) 32-bit first attempts that fail, each followed by
 *             the full-limit allocation, until its 16-page window is full
 *   flush     free those (cached), ask for 2 pages: no room until every cache is flushed, so
 *             alloc_iova_fast flushes and retries once
 * It counts what it did: allocations, frees, size classes (pages rounded up to a power of two)
 * and misses — observed, not assumed: an allocation missed if it failed, its size is never
 * cached, or the page frame it got was not one it had freed into that cache; the flush retry is
 * proven by the 2-page allocation succeeding in a window its own cached IOVAs filled. Results are
 * module parameters under /sys/module/iommutrace_iovagen/parameters/ and one line in the kernel
 * log; both domains are torn down before loading completes. Each phase is its own noinline
 * function, so it appears by name in the stacks iommutrace reports.
 */
#include <linux/iova.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#define GEN_CLASSES	 12  /* as iommutrace's size classes: up to 2^0 .. 2^10 pages, then more */
#define GEN_CACHED_ORDER 5   /* sizes up to 2^5 pages are cached */
#define GEN_MAX		 512 /* pfns remembered per domain and size */
#define GEN_LIMIT_HI	 (((1UL << 40) >> PAGE_SHIFT) - 1)
#define GEN_LIMIT_32	 (0xffffffffUL >> PAGE_SHIFT)
#define GEN_B_START	 (1UL << (32 - PAGE_SHIFT)) /* the second domain starts at 4 GiB */
#define GEN_B_PAGES	 16

static int rounds = 200;
module_param(rounds, int, 0444);
MODULE_PARM_DESC(rounds, "N, the cold/warm burst size (1..200)");

static unsigned long allocs, frees, misses, alloc_fail, flush_retries, limit32, limit32_fail;
static unsigned long classes[GEN_CLASSES];
static unsigned int nclasses = GEN_CLASSES;
static int cpu = -1, ok;
module_param(allocs, ulong, 0444);
module_param(frees, ulong, 0444);
module_param(misses, ulong, 0444);
module_param(alloc_fail, ulong, 0444);
module_param(flush_retries, ulong, 0444);
module_param(limit32, ulong, 0444);
module_param(limit32_fail, ulong, 0444);
module_param_array(classes, ulong, &nclasses, 0444);
module_param(cpu, int, 0444);
module_param(ok, int, 0444);
MODULE_PARM_DESC(ok, "1 if every allocation behaved as the pattern requires");

/* One domain and, per cacheable size class, the pfns freed into its cache and not yet reused. */
struct gen_dom {
	struct iova_domain iovad;
	unsigned long cached[GEN_CACHED_ORDER + 1][GEN_MAX];
	int ncached[GEN_CACHED_ORDER + 1];
};

static int gen_class(unsigned long pages)
{
	int c = pages > 1 ? order_base_2(pages) : 0;

	return c < GEN_CLASSES ? c : GEN_CLASSES - 1;
}

static bool take_cached(struct gen_dom *d, int c, unsigned long pfn)
{
	for (int i = 0; i < d->ncached[c]; i++) {
		if (d->cached[c][i] == pfn) {
			d->cached[c][i] = d->cached[c][--d->ncached[c]];
			return true;
		}
	}
	return false;
}

static unsigned long gen_alloc(struct gen_dom *d, unsigned long pages, unsigned long limit,
			       bool flush)
{
	unsigned long pfn = alloc_iova_fast(&d->iovad, pages, limit, flush);
	int c = gen_class(pages);

	allocs++;
	classes[c]++;
	if (limit == GEN_LIMIT_32 && !flush) {
		limit32++;
		limit32_fail += !pfn;
	}
	if (!pfn)
		alloc_fail++;
	if (!pfn || c > GEN_CACHED_ORDER || !take_cached(d, c, pfn))
		misses++;
	return pfn;
}

static void gen_free(struct gen_dom *d, unsigned long pfn, unsigned long pages)
{
	int c = gen_class(pages);

	free_iova_fast(&d->iovad, pfn, pages);
	frees++;
	if (c <= GEN_CACHED_ORDER && d->ncached[c] < GEN_MAX)
		d->cached[c][d->ncached[c]++] = pfn;
}

/* Allocate n of `pages` into pfns[]; false if any failed. */
static bool alloc_n(struct gen_dom *d, unsigned long *pfns, int n, unsigned long pages,
		    unsigned long limit, bool flush)
{
	bool good = true;

	for (int i = 0; i < n; i++) {
		pfns[i] = gen_alloc(d, pages, limit, flush);
		good &= pfns[i] != 0;
	}
	return good;
}

static void free_n(struct gen_dom *d, unsigned long *pfns, int n, unsigned long pages)
{
	for (int i = 0; i < n; i++)
		if (pfns[i])
			gen_free(d, pfns[i], pages);
}

/* Expect exactly `want` more misses from what fn-like code between the marks did. */
static bool misses_since(unsigned long before, unsigned long want, const char *phase)
{
	if (misses - before == want)
		return true;
	pr_err("iommutrace_iovagen: %s: %lu misses, the pattern needs %lu\n", phase,
	       misses - before, want);
	return false;
}

/* n allocations of `pages` on a cold cache (all miss), freed, then n again (all hit), freed. */
static bool cold_then_warm(struct gen_dom *d, unsigned long *pfns, int n, unsigned long pages,
			   unsigned long limit, bool flush, const char *phase)
{
	unsigned long m = misses;
	bool good = alloc_n(d, pfns, n, pages, limit, flush) && misses_since(m, n, phase);

	free_n(d, pfns, n, pages);
	m = misses;
	good &= alloc_n(d, pfns, n, pages, limit, flush) && misses_since(m, 0, phase);
	free_n(d, pfns, n, pages);
	return good;
}

static noinline bool gen_cold_warm_burst(struct gen_dom *d, unsigned long *pfns, int n)
{
	bool good = cold_then_warm(d, pfns, n, 1, GEN_LIMIT_HI, true, "cold/warm");
	unsigned long m = misses;

	good &=
	    alloc_n(d, pfns, n + n / 2, 1, GEN_LIMIT_HI, true) && misses_since(m, n / 2, "burst");
	free_n(d, pfns, n + n / 2, 1);
	return good;
}

static noinline bool gen_mtu(struct gen_dom *d, unsigned long *pfns)
{
	return cold_then_warm(d, pfns, 10, 3, GEN_LIMIT_HI, true, "mtu");
}

static noinline bool gen_huge(struct gen_dom *d, unsigned long *pfns)
{
	unsigned long m = misses;
	bool good = alloc_n(d, pfns, 20, 64, GEN_LIMIT_HI, true);

	free_n(d, pfns, 20, 64);
	good &= alloc_n(d, pfns, 20, 33, GEN_LIMIT_HI, true);
	free_n(d, pfns, 20, 33);
	return good && misses_since(m, 40, "huge");
}

static noinline bool gen_first32(struct gen_dom *d, unsigned long *pfns)
{
	return cold_then_warm(d, pfns, 10, 8, GEN_LIMIT_32, false, "first32");
}

/* On a domain above 4 GiB the 32-bit attempt always fails; then the DMA layer's fallback. */
static noinline bool gen_fallback(struct gen_dom *d, unsigned long *pfns)
{
	unsigned long m = misses;
	bool good = true;

	for (int i = 0; i < GEN_B_PAGES; i++) {
		good &= gen_alloc(d, 1, GEN_LIMIT_32, false) == 0;
		pfns[i] = gen_alloc(d, 1, GEN_B_START + GEN_B_PAGES - 1, true);
		good &= pfns[i] != 0;
	}
	return good && misses_since(m, 2 * GEN_B_PAGES, "fallback");
}

/* The window is full of cached 1-page IOVAs: a 2-page one fits only after a cache flush. */
static noinline bool gen_flush(struct gen_dom *d, unsigned long *pfns)
{
	unsigned long m = misses, pfn;

	free_n(d, pfns, GEN_B_PAGES, 1);
	pfn = gen_alloc(d, 2, GEN_B_START + GEN_B_PAGES - 1, true);
	if (!pfn)
		return false;
	flush_retries++;
	memset(d->ncached, 0, sizeof(d->ncached)); /* the flush emptied every cache */
	gen_free(d, pfn, 2);
	return misses_since(m, 1, "flush");
}

static int gen_domain(struct gen_dom *d, unsigned long start_pfn)
{
	init_iova_domain(&d->iovad, PAGE_SIZE, start_pfn);
	return iova_domain_init_rcaches(&d->iovad);
}

static int __init iovagen_init(void)
{
	struct gen_dom *a, *b;
	unsigned long *pfns;
	bool good;
	int r;

	if (rounds < 1 || rounds > 200)
		return -EINVAL;
	r = iova_cache_get();
	if (r)
		return r;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	pfns = kcalloc(GEN_MAX, sizeof(*pfns), GFP_KERNEL);
	r = -ENOMEM;
	if (!a || !b || !pfns)
		goto out;
	r = gen_domain(a, 1);
	if (r)
		goto out;
	r = gen_domain(b, GEN_B_START);
	if (r) {
		put_iova_domain(&a->iovad);
		goto out;
	}
	migrate_disable(); /* one CPU: its caches decide every hit and miss */
	cpu = raw_smp_processor_id();
	good = gen_cold_warm_burst(a, pfns, rounds);
	good &= gen_mtu(a, pfns);
	good &= gen_huge(a, pfns);
	good &= gen_first32(a, pfns);
	good &= gen_fallback(b, pfns);
	good &= gen_flush(b, pfns);
	migrate_enable();
	put_iova_domain(&a->iovad);
	put_iova_domain(&b->iovad);
	ok = good;
	pr_info(
	    "iommutrace_iovagen: cpu=%d allocs=%lu frees=%lu misses=%lu alloc_fail=%lu "
	    "flush_retries=%lu limit32=%lu limit32_fail=%lu classes=%lu,%lu,%lu,%lu,%lu,%lu,%lu "
	    "ok=%d\n",
	    cpu, allocs, frees, misses, alloc_fail, flush_retries, limit32, limit32_fail,
	    classes[0], classes[1], classes[2], classes[3], classes[4], classes[5], classes[6], ok);
	r = 0;
out:
	kfree(pfns);
	kfree(b);
	kfree(a);
	iova_cache_put();
	return r;
}

static void __exit iovagen_exit(void)
{
}

module_init(iovagen_init);
module_exit(iovagen_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iommutrace test: IOVA allocator load with known counts");
