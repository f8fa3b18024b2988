// SPDX-License-Identifier: GPL-2.0
/* test_stack_out.c: kernel stacks for output — frames, and the driver that called the DMA layers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "stack_out.h"

#include <stdio.h>
#include <string.h>

static void test_caller_below_dma_layers(void **state)
{
	char b[64];

	(void)state;
	/* An IOVA allocation: the driver's rx refill asked for it. */
	assert_string_equal(
	    stack_caller_frame(b, sizeof(b),
			       "e1000e_poll [e1000e];e1000_alloc_rx_buffers [e1000e];"
			       "dma_map_page_attrs;iommu_dma_map_page;iommu_dma_alloc_iova;"
			       "alloc_iova_fast"),
	    "e1000_alloc_rx_buffers [e1000e]");
	/* An unmap seen at the IOMMU: VT-d and iommu core frames are skipped too. */
	assert_string_equal(
	    stack_caller_frame(b, sizeof(b),
			       "edu_irq [iommutrace_edu];edu_unmap [iommutrace_edu];"
			       "dma_unmap_page_attrs;__iommu_dma_unmap;iommu_unmap_fast;"
			       "__iommu_unmap;intel_iommu_unmap_pages"),
	    "edu_unmap [iommutrace_edu]");
	/* A stack taken in a tracepoint (6.12's dma:dma_map_page) starts with the tracing glue. */
	assert_string_equal(stack_caller_frame(b, sizeof(b),
					       "nvme_queue_rq [nvme];nvme_prep_rq.part.0 [nvme];"
					       "dma_map_page_attrs;__traceiter_dma_map_page;"
					       "__bpf_trace_dma_map_page;bpf_trace_run6;"
					       "bpf_prog_6deef7357e7b4530_tp_dma_map"),
			    "nvme_prep_rq.part.0 [nvme]");
	/* The innermost frame may already be the driver's. */
	assert_string_equal(stack_caller_frame(b, sizeof(b), "a;nvme_queue_rq [nvme]"),
			    "nvme_queue_rq [nvme]");
	/* The result is cut to the buffer. */
	assert_string_equal(stack_caller_frame(b, 5, "x;nvme_queue_rq"), "nvme");
}

static void test_no_caller(void **state)
{
	char b[64];

	(void)state;
	/* Only DMA/IOMMU frames (a truncated stack): no claim. */
	assert_null(stack_caller_frame(b, sizeof(b), "iommu_dma_map_page;alloc_iova_fast"));
	assert_string_equal(b, "");
	assert_null(stack_caller_frame(b, sizeof(b), "[unknown]"));
	assert_null(stack_caller_frame(b, sizeof(b), ""));
	assert_null(stack_caller_frame(b, sizeof(b), NULL));
	/* Empty frames are no frames. */
	assert_string_equal(stack_caller_frame(b, sizeof(b), "edu_run;;dma_map_page_attrs;"),
			    "edu_run");
}

/* A stack source like a recording's table: id 1 and 2 known, others unknown. */
static const char *fake_sym(void *ctx, __s32 id, char *buf, size_t len)
{
	(void)ctx;
	if (id == 1)
		snprintf(buf, len, "ret_from_fork;edu_thread;edu_map;dma_map_page_attrs");
	else if (id == 2)
		snprintf(buf, len, "dma_map_page_attrs;iommu_dma_map_page");
	else if (id == 4) /* a map's stack taken in its IOVA allocation */
		snprintf(buf, len,
			 "edu_thread;edu_map;dma_map_page_attrs;iommu_dma_map_page;"
			 "__iommu_dma_map;iommu_dma_alloc_iova;alloc_iova_fast");
	else if (id == 5) /* an allocation outside any DMA API call */
		snprintf(buf, len, "gen_run;alloc_iova_fast");
	else
		buf[0] = 0;
	return buf;
}

static void test_src_caller_and_frames(void **state)
{
	struct stack_src s = {fake_sym, NULL};
	const char *frames[8];
	char out[64], buf[256];

	(void)state;
	assert_string_equal(stack_src_caller(&s, 1, out, sizeof(out)), "edu_map");
	assert_null(stack_src_caller(&s, 2, out, sizeof(out)));
	assert_null(stack_src_caller(&s, 3, out, sizeof(out)));
	assert_null(stack_src_caller(&s, -1, out, sizeof(out)));
	assert_string_equal(out, "");
	/* Frames come innermost first. */
	assert_int_equal(stack_src_frames(&s, 1, frames, 8, buf, sizeof(buf)), 4);
	assert_string_equal(frames[0], "dma_map_page_attrs");
	assert_string_equal(frames[3], "ret_from_fork");
	/* A map's stack shared with its IOVA allocation reads from the DMA API call... */
	assert_int_equal(stack_src_frames(&s, 4, frames, 8, buf, sizeof(buf)), 3);
	assert_string_equal(frames[0], "dma_map_page_attrs");
	assert_string_equal(frames[2], "edu_thread");
	assert_string_equal(stack_src_caller(&s, 4, out, sizeof(out)), "edu_map");
	/* ... and an allocation with no DMA API call below stays whole. */
	assert_int_equal(stack_src_frames(&s, 5, frames, 8, buf, sizeof(buf)), 2);
	assert_string_equal(frames[0], "alloc_iova_fast");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_caller_below_dma_layers),
	    cmocka_unit_test(test_no_caller),
	    cmocka_unit_test(test_src_caller_and_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
