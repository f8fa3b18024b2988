// SPDX-License-Identifier: GPL-2.0
/* test_iova_report.c: the numbers behind `iommutrace iova` — rows, stacks, folded lines, advice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "iova_report.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define DEV_A 0xa000
#define DEV_B 0xb000

static struct dom_snap dom(__u64 key, __u64 dev, __u64 allocs, __u64 fail, __u64 frees)
{
	struct dom_snap d;

	memset(&d, 0, sizeof(d));
	d.key = key;
	d.dev = dev;
	d.st.allocs = allocs;
	d.st.alloc_fail = fail;
	d.st.frees = frees;
	d.st.size_class[0] = allocs;
	return d;
}

static void test_rows_per_device_over_interval(void **state)
{
	struct dom_snap p[] = {dom(1, DEV_A, 10, 0, 5), dom(2, 0, 4, 0, 4)};
	struct dom_snap c[] = {dom(1, DEV_A, 30, 1, 20), dom(3, DEV_A, 5, 0, 0), dom(2, 0, 4, 0, 4),
			       dom(4, DEV_B, 100, 0, 90)};
	struct snapshot prev = {.ndom = 2, .doms = p}, cur = {.ndom = 4, .doms = c};
	struct iova_row *rows, total;
	size_t n;

	(void)state;
	n = iova_rows(&cur, &prev, &rows);
	/* device 0 had no activity in the interval and nothing outstanding: left out */
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].dev, DEV_B); /* busiest first */
	assert_int_equal(rows[0].st.allocs, 100);
	assert_int_equal(rows[0].outstanding, 10);
	assert_int_equal(rows[1].dev, DEV_A);
	assert_int_equal(rows[1].st.allocs, 25); /* 20 in domain 1, 5 in the new domain 3 */
	assert_int_equal(rows[1].st.frees, 15);
	assert_int_equal(rows[1].st.size_class[0], 25);
	assert_int_equal(rows[1].outstanding, (30 - 1 - 20) + 5);
	iova_total(rows, n, &total);
	assert_int_equal(total.st.allocs, 125);
	assert_int_equal(total.outstanding, 24);
	free(rows);

	/* Without prev: since the start; device 0 sorts last. */
	n = iova_rows(&cur, NULL, &rows);
	assert_int_equal(n, 3);
	assert_int_equal(rows[2].dev, 0);
	assert_int_equal(rows[2].st.allocs, 4);
	free(rows);
}

static void test_classes_and_ratio(void **state)
{
	struct it_dom_stats st = {.allocs = 8, .cache_misses = 2};
	char b[16];

	(void)state;
	assert_string_equal(iova_class_label(b, sizeof(b), 0), "1");
	assert_string_equal(iova_class_label(b, sizeof(b), 5), "32");
	assert_string_equal(iova_class_label(b, sizeof(b), 10), "1024");
	assert_string_equal(iova_class_label(b, sizeof(b), IT_SIZE_CLASSES - 1), ">1024");
	assert_true(iova_class_cached(5));
	assert_false(iova_class_cached(6));
	st.size_class[5] = 1;
	st.size_class[6] = 2;
	st.size_class[11] = 3;
	assert_int_equal(iova_uncacheable(&st), 5);
	assert_true(iova_miss_ratio(&st) == 0.25);
	st.allocs = 0;
	assert_true(iova_miss_ratio(&st) == 0.0);
}

static struct iova_stack_snap stk(__u64 dev, __s32 id, __u64 allocs, __u64 misses, __u64 ns)
{
	struct iova_stack_snap s = {
	    .key = {.dev = dev, .stack_id = id},
	    .val = {.allocs = allocs, .misses = misses, .ns = ns, .timed = allocs}};
	return s;
}

static void test_stacks_delta_rank_merge(void **state)
{
	struct iova_stack_snap prev[] = {stk(DEV_A, 1, 10, 1, 1000), stk(DEV_A, 2, 5, 5, 500)};
	struct iova_stack_snap cur[] = {stk(DEV_A, 1, 12, 1, 1500), stk(DEV_A, 2, 5, 5, 500),
					stk(DEV_A, 3, 4, 4, 4000), stk(DEV_B, 4, 7, 0, 700)};
	struct iova_stack_snap *d;
	size_t n, idx[3], k;
	char *texts[3];

	(void)state;
	n = iova_stacks_delta(cur, 4, prev, 2, &d);
	assert_int_equal(n, 3); /* stack 2 had nothing new */
	assert_int_equal(d[0].val.allocs, 2);
	assert_int_equal(d[0].val.ns, 500);
	k = iova_top_stacks(d, n, DEV_A, false, IOVA_BY_TIME, 3, idx);
	assert_int_equal(k, 2);
	assert_int_equal(d[idx[0]].key.stack_id, 3);
	assert_int_equal(d[idx[1]].key.stack_id, 1);
	k = iova_top_stacks(d, n, 0, true, IOVA_BY_MISSES, 3, idx);
	assert_int_equal(k, 1); /* zero weights are not ranked */
	assert_int_equal(d[idx[0]].key.stack_id, 3);
	k = iova_top_stacks(d, n, 0, true, IOVA_BY_ALLOCS, 1, idx);
	assert_int_equal(k, 1);
	assert_int_equal(d[idx[0]].key.stack_id, 4);
	/* Stacks 1 and 3 of DEV_A read the same: merged into the first; DEV_B's stays apart. */
	texts[0] = strdup("a;b;alloc_iova_fast");
	texts[1] = strdup("a;b;alloc_iova_fast");
	texts[2] = strdup("a;b;alloc_iova_fast");
	n = iova_stacks_merge(d, texts, n);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].val.allocs, 6);
	assert_int_equal(d[0].val.misses, 4);
	assert_int_equal(d[1].key.dev, DEV_B);
	free(texts[0]);
	free(texts[1]);
	free(d);
}

static void test_folded_line_format(void **state)
{
	char b[256];
	regex_t re;

	(void)state;
	/* flamegraph.pl: frames separated by ';', root first, then a space and the count */
	assert_int_equal(regcomp(&re, "^[^; ]+(;[^;]+)* [0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
	iova_folded_line(b, sizeof(b), "nvme:0000:00:04.0",
			 "entry_SYSCALL_64;nvme_queue_rq [nvme];alloc_iova_fast", 42);
	assert_string_equal(b, "nvme:0000:00:04.0;entry_SYSCALL_64;nvme_queue_rq [nvme];"
			       "alloc_iova_fast 42");
	assert_int_equal(regexec(&re, b, 0, NULL, 0), 0);
	/* What would break the format is replaced; empty frames dropped. */
	iova_folded_line(b, sizeof(b), "no device", "a;;b\nc;", 7);
	assert_string_equal(b, "no_device;a;b_c 7");
	assert_int_equal(regexec(&re, b, 0, NULL, 0), 0);
	iova_folded_line(b, sizeof(b), "", "", 1);
	assert_string_equal(b, "[unknown] 1");
	/* Truncation keeps the count. */
	iova_folded_line(b, 24, "root", "aaaaaaaaaa;bbbbbbbbbb;cccccccccc", 123);
	assert_true(strlen(b) < 24);
	regfree(&re);
}

static int find(char lines[][256], int n, const char *needle)
{
	for (int i = 0; i < n; i++)
		if (strstr(lines[i], needle))
			return i;
	return -1;
}

static void test_advice(void **state)
{
	struct iova_row r;
	char lines[8][256];
	int n;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* 92% 8-page buffers, 40% misses with 300 in flight per CPU (2 CPUs) */
	r.st.allocs = 1000;
	r.st.size_class[3] = 920;
	r.st.size_class[0] = 80;
	r.st.cache_misses = 400;
	r.outstanding = 600;
	n = iova_advice(&r, "DMA-FQ", "mlx5e_xmit [mlx5_core]", 2, lines, 8);
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "92% of allocations are 8-page (32 KiB) buffers from "
				      "mlx5e_xmit [mlx5_core]: batching them with dma_map_sg or "
				      "reusing mappings avoids the allocator");
	assert_true(strstr(lines[1], "miss ratio 40% with 300 in flight per CPU: more than") != 0);
	/* few in flight: the other explanation */
	r.outstanding = 10;
	n = iova_advice(&r, "DMA-FQ", "", 2, lines, 8);
	assert_true(find(lines, n, "run dry") >= 0);
	/* uncacheable sizes, strict mode, 32-bit fallbacks, flush retries, failures */
	memset(&r, 0, sizeof(r));
	r.st.allocs = 200;
	r.st.frees = 200;
	r.st.size_class[7] = 190;
	r.st.size_class[0] = 10;
	r.st.cache_misses = 190;
	r.st.limit32_fail = 3;
	r.st.alloc_fail = 5;
	r.st.flush_retries = 1;
	n = iova_advice(&r, "DMA", "", 4, lines, 8);
	assert_true(find(lines, n, "95% of allocations are larger than 32 pages") >= 0);
	assert_int_equal(find(lines, n, "miss ratio"), -1); /* misses explained by the sizes */
	assert_true(find(lines, n, "3 first attempts below 4 GiB failed") >= 0);
	assert_true(find(lines, n, "1 allocations found no free IOVA space") >= 0);
	assert_true(find(lines, n, "2 allocations failed outright") >= 0);
	assert_true(find(lines, n, "strict invalidation") >= 0);
	/* too few allocations decide nothing; max is respected */
	r.st.allocs = 50;
	r.st.limit32_fail = r.st.flush_retries = r.st.alloc_fail = 0;
	r.st.frees = 50;
	assert_int_equal(iova_advice(&r, "DMA", "", 4, lines, 8), 0);
	r.st.limit32_fail = r.st.flush_retries = 1;
	assert_int_equal(iova_advice(&r, "DMA", "", 4, lines, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_per_device_over_interval),
	    cmocka_unit_test(test_classes_and_ratio),
	    cmocka_unit_test(test_stacks_delta_rank_merge),
	    cmocka_unit_test(test_folded_line_format),
	    cmocka_unit_test(test_advice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
