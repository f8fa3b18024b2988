// SPDX-License-Identifier: GPL-2.0
/* test_sources.c: the per-kernel source choice, on hand-written descriptions of real kernels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sources.h"

#include <errno.h>
#include <string.h>

static void add_all(struct name_set *s, const char *const *names)
{
	for (; *names; names++)
		name_set_add(s, *names);
}

static const char *const tp_612[] = {
    "dma:dma_map_page",
    "dma:dma_unmap_page",
    "dma:dma_map_resource",
    "dma:dma_unmap_resource",
    "dma:dma_map_sg",
    "dma:dma_unmap_sg",
    "dma:dma_alloc",
    "dma:dma_free",
    "dma:dma_sync_single_for_cpu",
    "dma:dma_sync_single_for_device",
    "dma:dma_sync_sg_for_cpu",
    "dma:dma_sync_sg_for_device",
    "iommu:map",
    "iommu:unmap",
    "iommu:io_page_fault",
    NULL,
};
static const char *const tp_61[] = {"iommu:map", "iommu:unmap", "iommu:io_page_fault", NULL};
static const char *const tp_618[] = {
    "dma:dma_map_phys",
    "dma:dma_unmap_phys",
    "dma:dma_map_sg",
    "dma:dma_unmap_sg",
    "dma:dma_alloc",
    "dma:dma_free",
    "dma:dma_sync_single_for_cpu",
    "dma:dma_sync_single_for_device",
    "dma:dma_sync_sg_for_cpu",
    "dma:dma_sync_sg_for_device",
    "iommu:map",
    "iommu:unmap",
    "iommu:io_page_fault",
    NULL,
};
/* Function visibility measured in the lab (kallsyms). */
static const char *const fn_61[] = {
    "dma_map_page_attrs",
    "dma_unmap_page_attrs",
    "dma_map_resource",
    "dma_unmap_resource",
    "__dma_map_sg_attrs",
    "dma_unmap_sg_attrs",
    "dma_alloc_attrs",
    "dma_free_attrs",
    "dma_sync_single_for_cpu",
    "dma_sync_single_for_device",
    "dma_sync_sg_for_cpu",
    "dma_sync_sg_for_device",
    "alloc_iova_fast",
    "alloc_iova",
    "free_iova_fast",
    "fq_flush_timeout",
    "fq_flush_iotlb",
    "dmar_fault",
    NULL,
};
static const char *const fn_612[] = {
    "dma_map_page_attrs",
    "dma_unmap_page_attrs",
    "dma_map_resource",
    "dma_unmap_resource",
    "__dma_map_sg_attrs",
    "dma_unmap_sg_attrs",
    "dma_alloc_attrs",
    "dma_free_attrs",
    "__dma_sync_single_for_cpu",
    "__dma_sync_single_for_device",
    "__dma_sync_sg_for_cpu",
    "__dma_sync_sg_for_device",
    "alloc_iova_fast",
    "alloc_iova",
    "free_iova_fast",
    "fq_flush_timeout",
    "fq_flush_iotlb",
    "dmar_fault",
    NULL,
};

static void kernel(struct features *f, const char *const *tps, const char *const *fns, bool fentry,
		   bool kprobes)
{
	memset(f, 0, sizeof(*f));
	f->btf = true;
	f->tracefs = true;
	f->cap_sys_admin = true;
	f->kprobes = kprobes;
	f->fentry_err = fentry ? 0 : -EPERM;
	strcpy(f->fentry_note, fentry ? "works" : "fentry attach refused: Operation not permitted");
	add_all(&f->tracepoints, tps);
	add_all(&f->functions, fns);
	add_all(&f->btf_funcs, fns);
}

static void test_612_uses_dma_tracepoints_and_fentry(void **state)
{
	struct features f;
	struct plan p;

	(void)state;
	kernel(&f, tp_612, fn_612, true, true);
	sources_plan(&f, false, &p);
	assert_int_equal(p.hooks[IT_TP_DMA_MAP].mech, MECH_RAW_TP);
	assert_string_equal(p.hooks[IT_TP_DMA_MAP].symbol, "dma:dma_map_page");
	assert_true(p.caps[CAP_DMA_MAP].from_tracepoints);
	assert_int_equal(p.caps[CAP_DMA_MAP].event_mech, MECH_RAW_TP);
	assert_int_equal(p.hooks[IT_FN_DMA_MAP].mech, MECH_FENTRY);
	assert_int_equal(p.hooks[IT_FN_ALLOC_IOVA_FAST].mech, MECH_FENTRY);
	/* The sync tracepoints make the sync function hooks unnecessary. */
	assert_int_equal(p.hooks[IT_FN_SYNC_CPU].mech, MECH_NONE);
	assert_non_null(strstr(p.hooks[IT_FN_SYNC_CPU].reason, "not needed"));
	assert_int_equal(p.caps[CAP_FAULTS].hooks_used, 2);
	features_free(&f);
}

static void test_61_falls_back_to_functions_and_says_why(void **state)
{
	struct features f;
	struct plan p;

	(void)state;
	kernel(&f, tp_61, fn_61, true, true);
	sources_plan(&f, false, &p);
	assert_int_equal(p.hooks[IT_TP_DMA_MAP].mech, MECH_NONE);
	assert_non_null(strstr(p.hooks[IT_TP_DMA_MAP].reason, "appeared in 6.12"));
	assert_false(p.caps[CAP_DMA_MAP].from_tracepoints);
	assert_int_equal(p.caps[CAP_DMA_MAP].event_mech, MECH_FENTRY);
	assert_non_null(strstr(p.caps[CAP_DMA_MAP].detail, "dma_map_page_attrs"));
	assert_int_equal(p.hooks[IT_FN_SYNC_CPU].mech, MECH_FENTRY);
	assert_string_equal(p.hooks[IT_FN_SYNC_CPU].symbol, "dma_sync_single_for_cpu");
	features_free(&f);
}

static void test_kprobe_when_fentry_refused(void **state)
{
	struct features f;
	struct plan p;

	(void)state;
	kernel(&f, tp_61, fn_61, false, true);
	sources_plan(&f, false, &p);
	assert_int_equal(p.hooks[IT_FN_ALLOC_IOVA_FAST].mech, MECH_KPROBE);
	assert_non_null(strstr(p.hooks[IT_FN_ALLOC_IOVA_FAST].reason, "Operation not permitted"));
	/* force_kprobe (after an fentry load failure) overrides working fentry. */
	features_free(&f);
	kernel(&f, tp_61, fn_61, true, true);
	sources_plan(&f, true, &p);
	assert_int_equal(p.hooks[IT_FN_DMA_MAP].mech, MECH_KPROBE);
	assert_non_null(strstr(p.hooks[IT_FN_DMA_MAP].reason, "failed to load"));
	features_free(&f);
}

/* The build host: 6.18, no kprobes, fentry refused, iommu/dma tracepoints present. */
static void test_618_host_tracepoints_only(void **state)
{
	static const char *const fn_618[] = {"dma_map_page_attrs", "alloc_iova_fast", NULL};
	struct features f;
	struct plan p;

	(void)state;
	kernel(&f, tp_618, fn_618, false, false);
	sources_plan(&f, false, &p);
	assert_string_equal(p.hooks[IT_TP_DMA_MAP].symbol, "dma:dma_map_phys");
	assert_true(p.caps[CAP_DMA_MAP].from_tracepoints);
	assert_int_equal(p.hooks[IT_FN_ALLOC_IOVA_FAST].mech, MECH_NONE);
	assert_non_null(strstr(p.hooks[IT_FN_ALLOC_IOVA_FAST].reason, "CONFIG_KPROBES"));
	assert_non_null(strstr(p.hooks[IT_FN_DMAR_FAULT].reason, "inlined or absent"));
	assert_int_equal(p.caps[CAP_IOVA].hooks_used, 0);
	assert_non_null(strstr(p.caps[CAP_IOVA].detail, "unavailable"));
	assert_int_equal(p.hooks[IT_TP_DMA_MAP_RES].mech, MECH_NONE);
	features_free(&f);
}

static void test_no_btf_no_fentry(void **state)
{
	struct features f;
	struct plan p;

	(void)state;
	kernel(&f, tp_61, fn_61, true, true);
	f.btf = false;
	sources_plan(&f, false, &p);
	assert_int_equal(p.hooks[IT_FN_DMA_MAP].mech, MECH_KPROBE);
	assert_non_null(strstr(p.hooks[IT_FN_DMA_MAP].reason, "no kernel BTF"));
	features_free(&f);
}

static void test_candidate_lists_cover_every_hook(void **state)
{
	const char *const *tps = sources_tracepoints(), *const *fns = sources_functions();
	int ntp = 0, nfn = 0;

	(void)state;
	for (; *tps; tps++)
		ntp++, assert_non_null(strchr(*tps, ':'));
	for (; *fns; fns++)
		nfn++, assert_null(strchr(*fns, ':'));
	assert_true(ntp >= 15);
	assert_true(nfn >= 18);
	for (int h = 0; h < IT_HOOK_NR; h++) {
		assert_int_equal(hook_defs[h].id, h);
		assert_non_null(hook_defs[h].prog);
		assert_non_null(hook_defs[h].names[0]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_612_uses_dma_tracepoints_and_fentry),
	    cmocka_unit_test(test_61_falls_back_to_functions_and_says_why),
	    cmocka_unit_test(test_kprobe_when_fentry_refused),
	    cmocka_unit_test(test_618_host_tracepoints_only),
	    cmocka_unit_test(test_no_btf_no_fentry),
	    cmocka_unit_test(test_candidate_lists_cover_every_hook),
	};
	return cmocka_run_group_tests_name("sources", tests, NULL, NULL);
}
