// SPDX-License-Identifier: GPL-2.0
/*
 * test_bpf_logic.c: the BPF logic, run for real in the kernel with BPF_PROG_TEST_RUN on synthetic
 * arguments (map then unmap, nested IOVA allocation, mismatched unmaps, overflows), asserting the
 * exact map contents. Needs root (or CAP_BPF+CAP_PERFMON) and a kernel with BTF; skips otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "logic.skel.h"
#include "snapshot.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEV_A	0xffff888000a00000ULL /* synthetic struct device pointers: never dereferenced */
#define DEV_B	0xffff888000b00000ULL
#define IOVAD	0xffff888000c00000ULL
#define NEVENTS 16

static struct logic_bpf *skel;
static struct ring_buffer *rb;
static struct it_event events[NEVENTS];
static int nevents;
static int ncpu;

enum cfg { CFG_FN_EVENTS, CFG_TP_EVENTS, CFG_SMALL_LIVE };

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len >= sizeof(struct it_event) && nevents < NEVENTS)
		memcpy(&events[nevents++], data, sizeof(struct it_event));
	return 0;
}

static int setup_cfg(enum cfg cfg)
{
	struct bpf_program *p;

	nevents = 0;
	skel = logic_bpf__open();
	if (!skel)
		return -1;
	bpf_object__for_each_program(p, skel->obj)
	{
		const char *n = bpf_program__name(p);

		bpf_program__set_autoload(p, strncmp(n, "t_", 2) == 0 || strncmp(n, "tp_", 3) == 0);
	}
	skel->rodata->cfg_tp_dma_map = cfg == CFG_TP_EVENTS;
	skel->rodata->cfg_map_stacks = 1;
	skel->rodata->cfg_rb_wakeup_bytes = 0;
	skel->rodata->cfg_test_stack = 1;
	if (cfg == CFG_SMALL_LIVE)
		bpf_map__set_max_entries(skel->maps.live, 16);
	if (logic_bpf__load(skel)) {
		logic_bpf__destroy(skel);
		skel = NULL;
		return -1;
	}
	/* Armed long ago: an exit without its entry is a lost entry (test_attach_* arm anew). */
	skel->bss->it_armed_ns = 1;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	return rb ? 0 : -1;
}

static int setup_fn(void **state)
{
	(void)state;
	return setup_cfg(CFG_FN_EVENTS);
}

static int setup_tp(void **state)
{
	(void)state;
	return setup_cfg(CFG_TP_EVENTS);
}

static int setup_small(void **state)
{
	(void)state;
	return setup_cfg(CFG_SMALL_LIVE);
}

static int teardown(void **state)
{
	(void)state;
	ring_buffer__free(rb);
	logic_bpf__destroy(skel);
	rb = NULL;
	skel = NULL;
	return 0;
}

/* Run one program with the given u64 arguments as its raw_tp context. */
static void run_prog(struct bpf_program *prog, int n, ...)
{
	__u64 args[8] = {};
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		args[i] = va_arg(ap, __u64);
	va_end(ap);
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args,
		    .ctx_size_in = sizeof(__u64) * (n ? n : 1));
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &o), 0);
}
#define RUN(prog, ...) run_prog(skel->progs.prog, __VA_ARGS__)

/* Stack positions (one 16 KiB stack block): a DMA API call, and the IOVA call nested in it. */
#define SP_DMA	 0x43f00ULL
#define SP_IOVA	 0x43e00ULL
#define SP_OTHER 0x87f00ULL /* another stack (16 KiB block): an interrupt's */
/* Run an entry or exit program as if called at stack position sp. */
#define AT(sp, prog, ...)                                                                          \
	do {                                                                                       \
		RUN(t_set_sp, 1, (__u64)(sp));                                                     \
		RUN(prog, __VA_ARGS__);                                                            \
	} while (0)

static struct it_dev_stats dev_stats(__u64 dev)
{
	size_t stride = (sizeof(struct it_dev_stats) + 7) & ~7UL;
	void *buf = calloc(ncpu, stride);
	struct it_dev_stats s = {};

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.dev_stats), &dev, buf) == 0)
		percpu_sum(&s, buf, sizeof(s), ncpu);
	free(buf);
	return s;
}

static struct it_dom_stats dom_stats(__u64 dom, __u64 dev)
{
	size_t stride = (sizeof(struct it_dom_stats) + 7) & ~7UL;
	void *buf = calloc(ncpu, stride);
	struct it_dom_stats s = {};
	struct it_dom_key key = {.dom = dom, .dev = dev};

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.dom_stats), &key, buf) == 0)
		percpu_sum(&s, buf, sizeof(s), ncpu);
	free(buf);
	return s;
}

/* The per-stack IOVA records of dev, summed over CPUs and stacks; *nstacks: how many stacks. */
static struct it_iova_stack_val iova_stacks_of(__u64 dev, int *nstacks)
{
	int fd = bpf_map__fd(skel->maps.iova_stacks);
	struct it_iova_stack_key k, next;
	struct it_iova_stack_val sum = {}, *buf = calloc(ncpu, sizeof(*buf));
	int more;

	*nstacks = 0;
	for (more = bpf_map_get_next_key(fd, NULL, &next) == 0; more;
	     more = bpf_map_get_next_key(fd, &k, &next) == 0) {
		struct it_iova_stack_val one;

		k = next;
		if (k.dev != dev || bpf_map_lookup_elem(fd, &k, buf))
			continue;
		percpu_sum(&one, buf, sizeof(one), ncpu);
		sum.allocs += one.allocs;
		sum.misses += one.misses;
		sum.ns += one.ns;
		sum.timed += one.timed;
		(*nstacks)++;
	}
	free(buf);
	return sum;
}

static __u64 counter(__u32 idx)
{
	__u64 *v = calloc(ncpu, sizeof(__u64)), sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &idx, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

static __u32 ctx_depth(void)
{
	struct it_ctxstack *v = calloc(ncpu, sizeof(*v));
	__u32 zero = 0, d = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.ctxstack), &zero, v) == 0)
		for (int i = 0; i < ncpu; i++)
			d += v[i].depth;
	free(v);
	return d;
}

static int live_get(__u64 dev, __u64 addr, struct it_live_val *v)
{
	struct it_live_key k = {.dev = dev, .dma_addr = addr};

	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.live), &k, v);
}

static __u64 hist_count(const __u64 *h)
{
	__u64 t = 0;

	for (int i = 0; i < IT_HIST_SLOTS; i++)
		t += h[i];
	return t;
}

/* dma_map_page_attrs -> alloc_iova_fast -> iommu:map -> return: everything lands on DEV_A. */
static void map_one(__u64 dev, __u64 addr, __u64 size, __u64 dir)
{
	AT(SP_DMA, t_dma_map_page_entry, 5, dev, 0x1000ULL, 0ULL, size, dir);
	/* the DMA layer's first attempt: below 4 GiB, no cache flush */
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, (size + 4095) / 4096, 0xfffffULL, 0ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, addr >> 12);
	RUN(tp_iommu_map, 3, addr, 0x5000000ULL, size);
	AT(SP_DMA, t_dma_map_page_exit, 1, addr);
}

static void unmap_one(__u64 dev, __u64 addr, __u64 size, __u64 dir)
{
	AT(SP_DMA, t_dma_unmap_page_entry, 5, dev, addr, size, dir, 0ULL);
	RUN(tp_iommu_unmap, 3, addr, size, size);
	AT(SP_IOVA, t_free_iova_fast_entry, 3, IOVAD, addr >> 12, (size + 4095) / 4096);
	AT(SP_IOVA, t_free_iova_fast_exit, 1, 0ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
}

static void test_map_unmap_attribution(void **state)
{
	struct it_live_val v;
	struct it_dev_stats s;
	struct it_dom_stats d;
	struct it_dom_info di;
	__u64 iovad = IOVAD;

	(void)state;
	map_one(DEV_A, 0xfffff000ULL, 4096, IT_DIR_TO_DEVICE);
	s = dev_stats(DEV_A);
	assert_int_equal(s.map, 1);
	assert_int_equal(s.map_bytes, 4096);
	assert_int_equal(s.pgt_map, 1);
	assert_int_equal(s.pgt_map_bytes, 4096);
	assert_int_equal(s.live_add, 1);
	assert_int_equal(hist_count(s.hist[IT_H_MAP]), 1);
	assert_int_equal(dev_stats(0).pgt_map, 0);
	assert_int_equal(live_get(DEV_A, 0xfffff000ULL, &v), 0);
	assert_int_equal(v.dir, IT_DIR_TO_DEVICE);
	assert_int_equal(v.kind, IT_MAP_PAGE);
	assert_int_equal(v.size, 4096);
	assert_true(v.stack_id >= 0);
	d = dom_stats(IOVAD, DEV_A);
	assert_int_equal(d.allocs, 1);
	assert_int_equal(d.cache_misses, 0);
	assert_int_equal(d.limit32, 1);
	assert_int_equal(d.limit32_fail, 0);
	assert_int_equal(d.size_class[0], 1);
	assert_int_equal(dom_stats(IOVAD, 0).allocs, 0);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.dom_dev), &iovad, &di), 0);
	assert_true(di.dev == DEV_A);
	assert_int_equal(ctx_depth(), 0);

	unmap_one(DEV_A, 0xfffff000ULL, 4096, IT_DIR_TO_DEVICE);
	s = dev_stats(DEV_A);
	assert_int_equal(s.unmap, 1);
	assert_int_equal(s.pgt_unmap, 1);
	assert_int_equal(s.live_del, 1);
	assert_int_equal(s.issues, 0);
	assert_int_equal(hist_count(s.hist[IT_H_UNMAP]), 1);
	assert_int_not_equal(live_get(DEV_A, 0xfffff000ULL, &v), 0);
	d = dom_stats(IOVAD, DEV_A);
	assert_int_equal(d.frees, 1);
	assert_int_equal(d.free_pages, 1);
	assert_int_equal(ctx_depth(), 0);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 0);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 0);
}

static void test_unmap_direction_and_size(void **state)
{
	(void)state;
	map_one(DEV_A, 0x10000ULL, 8192, IT_DIR_TO_DEVICE);
	unmap_one(DEV_A, 0x10000ULL, 8192, IT_DIR_FROM_DEVICE);
	map_one(DEV_B, 0x20000ULL, 8192, IT_DIR_FROM_DEVICE);
	unmap_one(DEV_B, 0x20000ULL, 4096, IT_DIR_FROM_DEVICE);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 2);
	assert_int_equal(events[0].type, IT_EV_DMA_ISSUE);
	assert_int_equal(events[0].kind, IT_ISSUE_UNMAP_DIRECTION);
	assert_true(events[0].dev == DEV_A);
	assert_int_equal(events[0].map_dir, IT_DIR_TO_DEVICE);
	assert_int_equal(events[0].dir, IT_DIR_FROM_DEVICE);
	assert_int_equal(events[0].addr, 0x10000);
	assert_true(events[0].map_stack_id >= 0 && events[0].stack_id >= 0);
	assert_int_equal(events[1].kind, IT_ISSUE_UNMAP_SIZE);
	assert_true(events[1].dev == DEV_B);
	assert_int_equal(events[1].map_size, 8192);
	assert_int_equal(events[1].size, 4096);
	assert_int_equal(dev_stats(DEV_A).issues, 1);
	assert_int_equal(dev_stats(DEV_B).issues, 1);
	/* Both mappings are gone from the live table whatever the mismatch. */
	assert_int_equal(dev_stats(DEV_A).live_del, 1);
	assert_int_equal(dev_stats(DEV_B).live_del, 1);
}

static void test_iova_cache_miss_and_retry(void **state)
{
	struct it_dom_stats d;

	(void)state;
	/* A hit, a miss (one nested alloc_iova), and a miss that retried after a flush (two). */
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 2ULL, 0xfffffffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x1234ULL);
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 8ULL, 0xfffffffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_entry, 4, IOVAD, 8ULL, 0xfffffffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x2000ULL);
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 64ULL, 0xfffffffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_entry, 4, IOVAD, 64ULL, 0xfffffffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_entry, 4, IOVAD, 64ULL, 0xfffffffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0ULL);
	/* alloc_iova outside alloc_iova_fast is not a cache miss. */
	AT(SP_IOVA, t_alloc_iova_entry, 4, IOVAD, 1ULL, 0xfffffULL, 1ULL);
	d = dom_stats(IOVAD, 0);
	assert_int_equal(d.allocs, 3);
	assert_int_equal(d.alloc_pages, 74);
	assert_int_equal(d.cache_misses, 2);
	assert_int_equal(d.flush_retries, 1);
	assert_int_equal(d.alloc_fail, 1);
	assert_int_equal(d.limit32, 0);
	assert_int_equal(d.size_class[1], 1); /* 2 pages */
	assert_int_equal(d.size_class[3], 1); /* 8 pages */
	assert_int_equal(d.size_class[6], 1); /* 64 pages: above the cached sizes */
	assert_int_equal(hist_count(d.hist[IT_H_ALLOC]), 3);
	assert_int_equal(ctx_depth(), 0);
	/* No DMA call in progress: the domain has no device. */
	__u64 iovad = IOVAD;
	struct it_dom_info di;
	assert_int_not_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.dom_dev), &iovad, &di), 0);
}

/* Size classes as the caches bin them: the next power of two of the pages, "more" past 1024. */
static void test_iova_size_classes(void **state)
{
	static const __u64 pages[] = {1, 2, 3, 4, 5, 32, 33, 64, 1024, 1025, 100000};
	static const int cls[] = {0, 1, 2, 2, 3, 5, 6, 6, 10, 11, 11};
	int want[IT_SIZE_CLASSES] = {};
	struct it_dom_stats d;

	(void)state;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, pages[i], 0xfffffffffULL, 1ULL);
		AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x100ULL);
		want[cls[i]]++;
	}
	d = dom_stats(IOVAD, 0);
	for (int c = 0; c < IT_SIZE_CLASSES; c++)
		assert_int_equal(d.size_class[c], want[c]);
}

/*
 * The DMA layer's 32-bit first attempt (limit 4 GiB, no flush) that fails, then its full-limit
 * retry; a 32-bit device's only attempt (limit 4 GiB with flush) is not a first attempt.
 */
static void test_iova_limit32_first_and_fallback(void **state)
{
	struct it_dom_stats d;

	(void)state;
	AT(SP_DMA, t_dma_map_page_entry, 5, DEV_A, 0x1000ULL, 0ULL, 4096ULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 1ULL, 0xfffffULL, 0ULL);
	AT(SP_IOVA, t_alloc_iova_entry, 4, IOVAD, 1ULL, 0xfffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0ULL);
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 1ULL, 0xfffffffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x123456ULL);
	AT(SP_DMA, t_dma_map_page_exit, 1, 0x123456000ULL);
	/* a 32-bit-only caller (another domain, no DMA call: unattributed) */
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD + 0x2000, 1ULL, 0xfffffULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x77ULL);
	d = dom_stats(IOVAD, DEV_A);
	assert_int_equal(d.allocs, 2);
	assert_int_equal(d.limit32, 1);
	assert_int_equal(d.limit32_fail, 1);
	assert_int_equal(d.alloc_fail, 1);
	assert_int_equal(d.cache_misses, 1);
	d = dom_stats(IOVAD + 0x2000, 0);
	assert_int_equal(d.allocs, 1);
	assert_int_equal(d.limit32, 0);
}

/* Lazy mode frees from the flush-queue timer, outside any DMA call: they go to the device that
 * allocated from the domain; a domain no device allocated from keeps them unattributed. */
static void test_iova_free_outside_dma_call(void **state)
{
	(void)state;
	map_one(DEV_A, 0x8000ULL, 4096, IT_DIR_FROM_DEVICE);
	AT(SP_IOVA, t_free_iova_fast_entry, 3, IOVAD, 0x8ULL, 1ULL);
	AT(SP_IOVA, t_free_iova_fast_exit, 1, 0ULL);
	AT(SP_IOVA, t_free_iova_fast_entry, 3, IOVAD + 0x1000, 0x9ULL, 4ULL);
	AT(SP_IOVA, t_free_iova_fast_exit, 1, 0ULL);
	assert_int_equal(dom_stats(IOVAD, DEV_A).frees, 1);
	assert_int_equal(hist_count(dom_stats(IOVAD, DEV_A).hist[IT_H_FREE]), 1);
	assert_int_equal(dom_stats(IOVAD, 0).frees, 0);
	assert_int_equal(dom_stats(IOVAD + 0x1000, 0).frees, 1);
	assert_int_equal(dom_stats(IOVAD + 0x1000, 0).free_pages, 4);
}

/* An allocation with no DMA call in progress (the kernel skipped that call's entry program: an
 * interrupt nested in the same program) goes to the device that allocated from its domain before,
 * like a free, not to "no device"; a domain no device allocated from keeps it unattributed. */
static void test_iova_alloc_outside_dma_call(void **state)
{
	int n;

	(void)state;
	map_one(DEV_A, 0x8000ULL, 4096, IT_DIR_FROM_DEVICE);
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 1ULL, 0xfffffULL, 0ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x9ULL);
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD + 0x1000, 2ULL, 0xfffffULL, 0ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0xaULL);
	assert_int_equal(dom_stats(IOVAD, DEV_A).allocs, 2);
	assert_int_equal(dom_stats(IOVAD, DEV_A).limit32, 2);
	assert_int_equal(dom_stats(IOVAD, 0).allocs, 0);
	assert_int_equal(dom_stats(IOVAD + 0x1000, 0).allocs, 1);
	assert_int_equal(dom_stats(IOVAD + 0x1000, 0).alloc_pages, 2);
	assert_int_equal(iova_stacks_of(DEV_A, &n).allocs, 2);
	assert_int_equal(n, 1);
	assert_int_equal(ctx_depth(), 0);
}

/* iommu:map carries no device. When the kernel skipped the DMA call's entry program, the map that
 * follows an IOVA allocation in the same context is that allocation's device's; a call another
 * context interrupted (here: on another stack) is not this map's call. */
static void test_pgt_map_after_skipped_entry(void **state)
{
	(void)state;
	map_one(DEV_A, 0x8000ULL, 4096, IT_DIR_FROM_DEVICE); /* IOVAD is DEV_A's */
	assert_int_equal(dev_stats(DEV_A).pgt_map, 1);
	/* DEV_A's dma_map entry skipped: no frame, but the allocation names the domain */
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 1ULL, 0xfffffULL, 0ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x9ULL);
	RUN(tp_iommu_map, 3, 0x9000ULL, 0x5000000ULL, 4096ULL);
	assert_int_equal(dev_stats(DEV_A).pgt_map, 2);
	/* DEV_B's call is in progress on the task stack; a map on another stack is not its */
	AT(SP_DMA, t_dma_map_page_entry, 5, DEV_B, 0x1000ULL, 0ULL, 4096ULL, 1ULL);
	RUN(t_set_sp, 1, SP_OTHER);
	RUN(tp_iommu_map, 3, 0xa000ULL, 0x5001000ULL, 4096ULL);
	assert_int_equal(dev_stats(DEV_B).pgt_map, 0);
	assert_int_equal(dev_stats(DEV_A).pgt_map, 2);
	/* ... while its own map is */
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD + 0x1000, 1ULL, 0xfffffULL, 0ULL);
	AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0xbULL);
	RUN(tp_iommu_map, 3, 0xb000ULL, 0x5002000ULL, 4096ULL);
	AT(SP_DMA, t_dma_map_page_exit, 1, 0xb000ULL);
	assert_int_equal(dev_stats(DEV_B).pgt_map, 1);
	assert_int_equal(ctx_depth(), 0);
}

/* Allocations are aggregated per (device, stack) in the kernel: count, misses, time. */
static void test_iova_per_stack(void **state)
{
	struct it_iova_stack_val a, b;
	int na, nb;

	(void)state;
	for (int i = 0; i < 5; i++)
		map_one(DEV_A, 0x10000ULL + i * 0x1000, 4096, IT_DIR_TO_DEVICE);
	for (int i = 0; i < 3; i++) {
		AT(SP_DMA, t_dma_map_page_entry, 5, DEV_B, 0x1000ULL, 0ULL, 4096ULL, 1ULL);
		AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 1ULL, 0xfffffffffULL, 1ULL);
		AT(SP_IOVA, t_alloc_iova_entry, 4, IOVAD, 1ULL, 0xfffffffffULL, 1ULL);
		AT(SP_IOVA, t_alloc_iova_fast_exit, 1, 0x30ULL + i);
		AT(SP_DMA, t_dma_map_page_exit, 1, (0x30ULL + i) << 12);
	}
	a = iova_stacks_of(DEV_A, &na);
	b = iova_stacks_of(DEV_B, &nb);
	assert_int_equal(na, 1); /* one call path */
	assert_int_equal(a.allocs, 5);
	assert_int_equal(a.misses, 0);
	assert_int_equal(a.timed, 5);
	assert_true(a.ns > 0);
	assert_int_equal(nb, 1);
	assert_int_equal(b.allocs, 3);
	assert_int_equal(b.misses, 3);
	assert_int_equal(b.timed, 3);
	assert_int_equal(counter(IT_C_IOVA_STACK_OVERFLOW), 0);
}

static void test_exit_without_entry(void **state)
{
	(void)state;
	AT(SP_DMA, t_dma_map_page_exit, 1, 0x1000ULL);
	AT(SP_IOVA, t_free_iova_fast_exit, 1, 0ULL);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 2);
	assert_int_equal(dev_stats(0).map, 0);
	assert_int_equal(ctx_depth(), 0);
	/* A stale frame (its exit was missed) is dropped when an outer exit matches below it. */
	AT(SP_DMA, t_dma_map_page_entry, 5, DEV_A, 0ULL, 0ULL, 4096ULL, 1ULL);
	AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 1ULL, 0xfffffULL, 1ULL);
	AT(SP_DMA, t_dma_map_page_exit, 1, 0x3000ULL);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 3);
	assert_int_equal(ctx_depth(), 0);
	assert_int_equal(dev_stats(DEV_A).map, 1);
}

/* An exit skipped by the kernel leaves a frame; the next call on the same stack drops it. */
static void test_lost_exit_does_not_pile_up(void **state)
{
	(void)state;
	for (int i = 0; i < 10; i++) {
		AT(SP_DMA, t_dma_map_page_entry, 5, DEV_B, 0ULL, 0ULL, 4096ULL, 1ULL);
		AT(SP_IOVA, t_alloc_iova_fast_entry, 4, IOVAD, 1ULL, 0xfffffULL, 1ULL);
		/* both exits lost */
	}
	assert_int_equal(ctx_depth(), 2);
	map_one(DEV_A, 0x7000ULL, 4096, IT_DIR_TO_DEVICE);
	assert_int_equal(ctx_depth(), 0);
	assert_int_equal(counter(IT_C_CTX_OVERFLOW), 0);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 20);
	assert_int_equal(dev_stats(DEV_A).map, 1);
	assert_int_equal(dev_stats(DEV_A).pgt_map, 1);
	/* The calls whose exits were lost still happened: counted, without latency. */
	assert_int_equal(dev_stats(DEV_B).map, 10);
	assert_int_equal(dev_stats(DEV_B).live_add, 0);
	assert_int_equal(hist_count(dev_stats(DEV_B).hist[IT_H_MAP]), 0);
	/* The lost allocations ran inside DEV_B's lost maps. */
	assert_int_equal(dom_stats(IOVAD, DEV_B).allocs, 10);
	assert_int_equal(hist_count(dom_stats(IOVAD, DEV_B).hist[IT_H_ALLOC]), 0);
	assert_int_equal(dom_stats(IOVAD, DEV_A).allocs, 1);
	assert_int_equal(hist_count(dom_stats(IOVAD, DEV_A).hist[IT_H_ALLOC]), 1);
}

/* A hardirq nested in a softirq runs on the same IRQ stack, deeper: the outer frame stays live. */
static void test_nested_on_same_stack_keeps_outer(void **state)
{
	(void)state;
	AT(SP_DMA, t_dma_map_page_entry, 5, DEV_A, 0ULL, 0ULL, 4096ULL, 1ULL);
	AT(SP_DMA - 0x800, t_dma_map_page_entry, 5, DEV_B, 0ULL, 0ULL, 4096ULL, 1ULL);
	AT(SP_DMA - 0x800, t_dma_map_page_exit, 1, 0x5000ULL);
	AT(SP_DMA, t_dma_map_page_exit, 1, 0x6000ULL);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 0);
	assert_int_equal(dev_stats(DEV_A).map, 1);
	assert_int_equal(dev_stats(DEV_B).map, 1);
	assert_int_equal(hist_count(dev_stats(DEV_A).hist[IT_H_MAP]), 1);
	assert_int_equal(ctx_depth(), 0);
}

/* fexit sees the arguments: an exit whose entry the kernel skipped still records the call. */
static void test_exit_args_when_entry_lost(void **state)
{
	struct it_live_val v;

	(void)state;
	AT(SP_DMA, t_fexit_dma_map_page, 7, DEV_A, 0x1000ULL, 0ULL, 8192ULL, 2ULL, 0ULL, 0x9000ULL);
	AT(SP_IOVA, t_fexit_alloc_iova_fast, 5, IOVAD, 2ULL, 0xfffffULL, 0ULL, 0x9ULL);
	AT(SP_IOVA, t_fexit_free_iova_fast, 4, IOVAD, 0x9ULL, 2ULL, 0ULL);
	assert_int_equal(dev_stats(DEV_A).map, 1);
	assert_int_equal(live_get(DEV_A, 0x9000ULL, &v), 0);
	assert_int_equal(v.size, 8192);
	assert_int_equal(v.dir, IT_DIR_FROM_DEVICE);
	assert_int_equal(dom_stats(IOVAD, 0).allocs, 1);
	assert_int_equal(dom_stats(IOVAD, 0).limit32, 1);
	assert_int_equal(dom_stats(IOVAD, 0).frees, 1);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 3);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Until user space arms tracing (every hook attached), no program counts anything. */
static void test_attach_nothing_before_armed(void **state)
{
	(void)state;
	skel->bss->it_armed_ns = 0;
	RUN(tp_dma_map, 6, DEV_A, 0x100000ULL, 0x40000ULL, 4096ULL, 2ULL, 0ULL);
	RUN(tp_iommu_map, 3, 0x40000ULL, 0x100000ULL, 4096ULL);
	RUN(tp_dma_unmap, 5, DEV_A, 0x50000ULL, 4096ULL, 2ULL, 0ULL);
	RUN(tp_io_page_fault, 3, DEV_A, 0x7000ULL, 0x30ULL);
	assert_int_equal(dev_stats(DEV_A).map, 0);
	assert_int_equal(dev_stats(DEV_A).faults, 0);
	assert_int_equal(live_get(DEV_A, 0x40000ULL, &(struct it_live_val){0}), -ENOENT);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 0);
	skel->bss->it_armed_ns = mono_ns();
	RUN(tp_dma_map, 6, DEV_A, 0x100000ULL, 0x40000ULL, 4096ULL, 2ULL, 0ULL);
	assert_int_equal(dev_stats(DEV_A).map, 1);
}

/*
 * Calls already in progress when tracing starts end with exits whose entries were never seen:
 * counted as in flight at attach, not as mismatches; what fexit's arguments tell still counts,
 * on the call's own device; an unmap of a mapping made before attach is no finding.
 */
static void test_attach_calls_in_flight(void **state)
{
	struct it_live_val v;

	(void)state;
	skel->bss->it_armed_ns = mono_ns();
	AT(SP_DMA, t_fexit_dma_map_page, 7, DEV_B, 0x1000ULL, 0ULL, 4096ULL, 1ULL, 0ULL, 0xa000ULL);
	AT(SP_IOVA, t_free_iova_fast_exit, 1, 0ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	AT(SP_DMA, t_dma_map_sg_exit, 1, 2ULL);
	assert_int_equal(counter(IT_C_ATTACH_INFLIGHT), 4);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 0);
	assert_int_equal(dev_stats(DEV_B).map, 1);
	assert_int_equal(dev_stats(0).map, 0);
	assert_int_equal(live_get(DEV_B, 0xa000ULL, &v), 0);
	assert_int_equal(v.dir, IT_DIR_TO_DEVICE);
	/* An unmap whose mapping was made before attach: the IOMMU tore down a whole mapping. */
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0xd000ULL, 4096ULL, 1ULL, 0ULL);
	RUN(tp_iommu_unmap, 3, 0xd000ULL, 4096ULL, 4096ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 0);
	assert_int_equal(ctx_depth(), 0);
	assert_int_equal(dev_stats(DEV_A).unmap, 1);
	assert_int_equal(dev_stats(DEV_A).unmap_untracked, 1);
	assert_int_equal(dev_stats(DEV_B).unmap_untracked, 0);
	/* A second after arming, an exit without its entry is a lost entry again. */
	skel->bss->it_armed_ns = mono_ns() - 2000000000ULL;
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	assert_int_equal(counter(IT_C_CTX_MISMATCH), 1);
	assert_int_equal(counter(IT_C_ATTACH_INFLIGHT), 4);
}

static void test_mapping_error_not_tracked(void **state)
{
	(void)state;
	AT(SP_DMA, t_dma_map_page_entry, 5, DEV_A, 0ULL, 0ULL, 4096ULL, 1ULL);
	AT(SP_DMA, t_dma_map_page_exit, 1, ~0ULL);
	assert_int_equal(counter(IT_C_MAP_ERRORS), 1);
	assert_int_equal(dev_stats(DEV_A).map, 0);
	assert_int_equal(dev_stats(DEV_A).live_add, 0);
}

/* With dma:* tracepoints, the function hooks give latency and context but do not double count. */
static void test_tracepoint_events_counted_once(void **state)
{
	struct it_dev_stats s;
	struct it_live_val v;

	(void)state;
	AT(SP_DMA, t_dma_map_page_entry, 5, DEV_A, 0ULL, 0ULL, 4096ULL, 2ULL);
	RUN(tp_iommu_map, 3, 0x40000ULL, 0x100000ULL, 4096ULL);
	RUN(tp_dma_map, 6, DEV_A, 0x100000ULL, 0x40000ULL, 4096ULL, 2ULL, 0ULL);
	AT(SP_DMA, t_dma_map_page_exit, 1, 0x40000ULL);
	s = dev_stats(DEV_A);
	assert_int_equal(s.map, 1);
	assert_int_equal(s.pgt_map, 1);
	assert_int_equal(hist_count(s.hist[IT_H_MAP]), 1);
	assert_int_equal(live_get(DEV_A, 0x40000ULL, &v), 0);
	assert_int_equal(v.dir, IT_DIR_FROM_DEVICE);
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0x40000ULL, 4096ULL, 2ULL, 0ULL);
	RUN(tp_dma_unmap, 5, DEV_A, 0x40000ULL, 4096ULL, 2ULL, 0ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	s = dev_stats(DEV_A);
	assert_int_equal(s.unmap, 1);
	assert_int_equal(s.live_del, 1);
	assert_int_equal(s.issues, 0);
}

static void test_live_table_overflow_counted(void **state)
{
	(void)state;
	for (__u64 i = 0; i < 20; i++)
		RUN(tp_dma_map, 6, DEV_A, 0ULL, 0x100000ULL + i * 4096, 4096ULL, 1ULL, 0ULL);
	assert_int_equal(dev_stats(DEV_A).map, 20);
	assert_int_equal(dev_stats(DEV_A).live_add, 16);
	assert_int_equal(counter(IT_C_LIVE_OVERFLOW), 4);
}

static void test_io_page_fault_event(void **state)
{
	(void)state;
	RUN(tp_io_page_fault, 3, DEV_B, 0xdead000ULL, 0x2ULL);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 1);
	assert_int_equal(events[0].type, IT_EV_FAULT);
	assert_true(events[0].dev == DEV_B);
	assert_int_equal(events[0].addr, 0xdead000);
	assert_int_equal(events[0].aux, 2);
	assert_int_equal(dev_stats(DEV_B).faults, 1);
	assert_int_equal(counter(IT_C_RB_DROPPED), 0);
}

static void test_coherent_alloc_free(void **state)
{
	__u64 handle_slot[1] = {0};

	(void)state;
	/* dma_alloc_attrs writes the handle through a pointer: a real user-space pointer here
	 * cannot be read by bpf_probe_read_kernel, so the allocation counts only with a handle. */
	AT(SP_DMA, t_dma_alloc_entry, 5, DEV_A, 8192ULL, (__u64)(unsigned long)handle_slot, 0ULL,
	   0ULL);
	AT(SP_DMA, t_dma_alloc_exit, 1, 0ULL); /* allocation failed: nothing tracked */
	assert_int_equal(dev_stats(DEV_A).alloc, 0);
	assert_int_equal(ctx_depth(), 0);
}

/* Unmap of an untracked address: the IOMMU's evidence decides between a real mapping we did not
 * see, a double unmap and an unknown one. */
static void test_double_and_unknown_unmap(void **state)
{
	(void)state;
	/* Mapped and unmapped while traced, then unmapped again: nothing left in the IOMMU. */
	map_one(DEV_A, 0x8000ULL, 4096, IT_DIR_TO_DEVICE);
	unmap_one(DEV_A, 0x8000ULL, 4096, IT_DIR_TO_DEVICE);
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0x8000ULL, 4096ULL, 1ULL, 0ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL); /* no iommu:unmap: the kernel returned early */
	/* Never mapped. */
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0x9000ULL, 4096ULL, 1ULL, 0ULL);
	RUN(tp_iommu_unmap, 3, 0x9000ULL, 4096ULL, 0ULL); /* unmapped 0 of 4096 */
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	/* Mapped before we started: the IOMMU unmaps it in full, no finding. */
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0xa000ULL, 4096ULL, 1ULL, 0ULL);
	RUN(tp_iommu_unmap, 3, 0xa000ULL, 4096ULL, 4096ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	/* Its address was unmapped before, but the IOMMU had it mapped again (a map we missed). */
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0x8000ULL, 4096ULL, 1ULL, 0ULL);
	RUN(tp_iommu_unmap, 3, 0x8000ULL, 4096ULL, 4096ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 2);
	assert_int_equal(events[0].kind, IT_ISSUE_DOUBLE_UNMAP);
	assert_int_equal(events[0].addr, 0x8000);
	assert_true(events[0].map_stack_id >= 0);
	assert_int_equal(events[1].kind, IT_ISSUE_UNKNOWN_UNMAP);
	assert_int_equal(events[1].addr, 0x9000);
	assert_true(events[1].aux & IT_FF_PGT_SEEN);
	assert_true(events[1].aux & IT_FF_PGT_SHORT);
}

/* An unmap that nests while the iommu:unmap program runs (the kernel then skips the program for
 * the nested iommu:unmap) has no evidence: no unknown or double unmap. */
static void test_unknown_unmap_needs_evidence(void **state)
{
	struct it_ctxstack *v = calloc(ncpu, sizeof(*v));
	__u32 zero = 0;

	(void)state;
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.ctxstack), &zero, v), 0);
	v[0].pgt_busy = 1; /* as if an interrupted tp_iommu_unmap were running on CPU 0 */
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.ctxstack), &zero, v, 0), 0);
	free(v);
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0xd000ULL, 4096ULL, 1ULL, 0ULL);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 0);
}

/* An unmap in an interrupt that hit another unmap (before or inside its iommu:unmap program,
 * which the kernel then skips for the nested call) decides nothing; the outer one still does. */
static void test_unknown_unmap_nested_in_unmap(void **state)
{
	(void)state;
	AT(SP_DMA, t_dma_unmap_page_entry, 5, DEV_A, 0xd000ULL, 4096ULL, 1ULL, 0ULL);
	AT(SP_DMA - 0x800, t_dma_unmap_page_entry, 5, DEV_B, 0xe000ULL, 4096ULL, 2ULL, 0ULL);
	AT(SP_DMA - 0x800, t_dma_unmap_page_exit, 1, 0ULL);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 0);
	AT(SP_DMA, t_dma_unmap_page_exit, 1, 0ULL);
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 1);
	assert_int_equal(events[0].kind, IT_ISSUE_UNKNOWN_UNMAP);
	assert_int_equal(events[0].dev, DEV_A);
}

/* io_page_fault: counted for the device, one fault record with the flags and the access. */
static void test_io_page_fault(void **state)
{
	(void)state;
	RUN(tp_io_page_fault, 3, DEV_A, 0x7000ULL, 0x30ULL); /* AMD flags: PR | RW */
	RUN(tp_io_page_fault, 3, DEV_A, 0x8000ULL, 0x0ULL);  /* IOMMU_FAULT_READ */
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 2);
	assert_int_equal(events[0].type, IT_EV_FAULT);
	assert_int_equal(events[0].fault_src, IT_FSRC_TRACEPOINT);
	assert_int_equal(events[0].dev, DEV_A);
	assert_int_equal(events[0].addr, 0x7000);
	assert_int_equal(events[0].aux, 0x30);
	assert_int_equal(events[0].fault_access, IT_ACC_WRITE);
	assert_int_equal(events[1].fault_access, IT_ACC_READ);
	assert_int_equal(events[1].fault_pasid, IT_PASID_NONE);
	assert_int_equal(dev_stats(DEV_A).faults, 2);
}

static void test_sync_checks(void **state)
{
	(void)state;
	map_one(DEV_A, 0xb000ULL, 4096, IT_DIR_TO_DEVICE);
	RUN(tp_sync_cpu, 4, DEV_A, 0xb000ULL, 4096ULL, (__u64)IT_DIR_FROM_DEVICE); /* direction */
	RUN(tp_sync_dev, 4, DEV_A, 0xb000ULL, 4096ULL, (__u64)IT_DIR_TO_DEVICE);   /* fine */
	RUN(tp_sync_dev, 4, DEV_A, 0xb000ULL, 8192ULL, (__u64)IT_DIR_TO_DEVICE);   /* range */
	unmap_one(DEV_A, 0xb000ULL, 4096, IT_DIR_TO_DEVICE);
	RUN(tp_sync_cpu, 4, DEV_A, 0xb000ULL, 4096ULL, (__u64)IT_DIR_TO_DEVICE); /* unmapped */
	RUN(tp_sync_cpu, 4, DEV_A, 0xc123ULL, 64ULL, (__u64)IT_DIR_TO_DEVICE);	 /* unknown: none */
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 3);
	assert_int_equal(events[0].kind, IT_ISSUE_SYNC_DIRECTION);
	assert_int_equal(events[1].kind, IT_ISSUE_SYNC_RANGE);
	assert_int_equal(events[1].map_size, 4096);
	assert_int_equal(events[1].size, 8192);
	assert_int_equal(events[2].kind, IT_ISSUE_SYNC_UNMAPPED);
	assert_int_equal(dev_stats(DEV_A).sync_cpu, 3);
	assert_int_equal(dev_stats(DEV_A).sync_dev, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_map_unmap_attribution, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_direction_and_size, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_iova_cache_miss_and_retry, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_iova_size_classes, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_iova_limit32_first_and_fallback, setup_fn,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_iova_free_outside_dma_call, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_iova_alloc_outside_dma_call, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_pgt_map_after_skipped_entry, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_iova_per_stack, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_exit_without_entry, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_exit_does_not_pile_up, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_exit_args_when_entry_lost, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_nested_on_same_stack_keeps_outer, setup_fn,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mapping_error_not_tracked, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_attach_nothing_before_armed, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_attach_calls_in_flight, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_tracepoint_events_counted_once, setup_tp,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_live_table_overflow_counted, setup_small,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_io_page_fault_event, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_coherent_alloc_free, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_double_and_unknown_unmap, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_checks, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_unmap_needs_evidence, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_unmap_nested_in_unmap, setup_fn, teardown),
	    cmocka_unit_test_setup_teardown(test_io_page_fault, setup_fn, teardown),
	};
	cpu_set_t one;

	if (geteuid() != 0) {
		printf("SKIP: BPF logic tests need root (CAP_BPF+CAP_PERFMON) to load programs\n");
		return 0;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		printf("SKIP: BPF logic tests need kernel BTF (/sys/kernel/btf/vmlinux)\n");
		return 0;
	}
	/* Entry and exit of one call must run on the same CPU, as in the kernel. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	ncpu = libbpf_num_possible_cpus();
	return cmocka_run_group_tests_name("bpf_logic", tests, NULL, NULL);
}
