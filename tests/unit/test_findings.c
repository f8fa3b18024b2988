// SPDX-License-Identifier: GPL-2.0
/* test_findings.c: deduplication, filtering and naming of DMA API findings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checkview.h"
#include "findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct it_event ev(__u16 kind, __u64 dev, __s32 map_stack, __s32 op_stack, __u64 ts)
{
	struct it_event e = {.type = IT_EV_DMA_ISSUE,
			     .kind = kind,
			     .dev = dev,
			     .addr = 0x1000,
			     .size = 4096,
			     .map_size = 8192,
			     .dir = IT_DIR_FROM_DEVICE,
			     .map_dir = IT_DIR_TO_DEVICE,
			     .stack_id = op_stack,
			     .map_stack_id = map_stack,
			     .ts_ns = ts};
	return e;
}

static void test_dedupe_by_stack_pair(void **state)
{
	struct findings f = {};
	struct it_event e;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		e = ev(IT_ISSUE_UNMAP_DIRECTION, 0xa, 1, 2, 100 + i);
		assert_non_null(findings_add_event(&f, &e, "0000:00:03.0", "edu"));
	}
	e = ev(IT_ISSUE_UNMAP_DIRECTION, 0xa, 1, 3, 5); /* another offending stack */
	findings_add_event(&f, &e, "0000:00:03.0", "edu");
	e = ev(IT_ISSUE_UNMAP_SIZE, 0xa, 1, 2, 7); /* another kind */
	findings_add_event(&f, &e, "0000:00:03.0", "edu");
	e = ev(IT_ISSUE_UNMAP_DIRECTION, 0xb, 1, 2, 9); /* another device */
	findings_add_event(&f, &e, "0000:00:02.0", "nvme");
	assert_int_equal(f.n, 4);
	assert_int_equal(f.v[0].count, 1000);
	assert_int_equal(f.v[0].first_ns, 100);
	assert_int_equal(f.v[0].last_ns, 1099);
	assert_int_equal(f.v[0].map_dir, IT_DIR_TO_DEVICE);
	assert_int_equal(f.v[0].op_dir, IT_DIR_FROM_DEVICE);
	findings_sort(&f);
	assert_int_equal(f.v[0].kind, IT_ISSUE_UNMAP_DIRECTION);
	assert_string_equal(f.v[0].device, "0000:00:02.0");
	assert_int_equal(findings_filter(&f, NULL, "edu"), 3);
	assert_int_equal(findings_filter(&f, "0000:00:03.0", NULL), 3);
	assert_int_equal(findings_filter(&f, "0000:00:09.0", NULL), 0);
	findings_free(&f);
}

static void test_names(void **state)
{
	static const char *const want[] = {
	    "unmap_direction", "unmap_size", "sg_nents",      "double_unmap", "unknown_unmap",
	    "sync_direction",  "sync_range", "sync_unmapped", "leak",	      "fault_in_mapping"};

	(void)state;
	for (unsigned k = IT_ISSUE_UNMAP_DIRECTION; k < IT_ISSUE_NR; k++)
		assert_string_equal(issue_kind_name(k), want[k - 1]);
	assert_string_equal(issue_kind_name(0), "?");
	assert_string_equal(issue_kind_name(999), "?");
	assert_string_equal(dir_name(IT_DIR_TO_DEVICE), "DMA_TO_DEVICE");
	assert_string_equal(dir_name(IT_DIR_NONE), "-");
}

/* At a driver unbind, the live mappings made before it are leaks; those made after it belong to
 * the next driver bound (a reader that ran late sees them) and are not. */
static void test_unbind_leak(void **state)
{
	struct it_event unbind = {.type = IT_EV_UNBIND, .dev = 0xa, .ts_ns = 5000, .stack_id = 7};
	struct it_live_key k = {.dev = 0xa, .dma_addr = 0xfffff000};
	struct it_live_val before = {
	    .size = 4096, .map_ns = 4000, .stack_id = 3, .dir = IT_DIR_TO_DEVICE};
	struct it_live_val after = before;
	struct it_event e;

	(void)state;
	after.map_ns = 5001;
	assert_true(check_unbind_leak(&e, &unbind, &k, &before));
	assert_int_equal(e.kind, IT_ISSUE_LEAK);
	assert_int_equal(e.dev, 0xa);
	assert_int_equal(e.addr, 0xfffff000);
	assert_int_equal(e.map_dir, IT_DIR_TO_DEVICE);
	assert_int_equal(e.size, 4096);
	assert_int_equal(e.stack_id, 7);
	assert_int_equal(e.map_stack_id, 3);
	assert_false(check_unbind_leak(&e, &unbind, &k, &after));
	before.map_ns = 5000; /* mapped in the unbind's own nanosecond: still the old driver's */
	assert_true(check_unbind_leak(&e, &unbind, &k, &before));
}

static void test_live_groups(void **state)
{
	struct live_groups g = {};
	struct it_live_val rx = {
	    .size = 2048, .map_ns = 300, .stack_id = 5, .dir = IT_DIR_FROM_DEVICE};
	struct it_live_val tx = {
	    .size = 1500, .map_ns = 200, .stack_id = 6, .dir = IT_DIR_TO_DEVICE};
	struct it_live_val io = {
	    .size = 4096, .map_ns = 100, .stack_id = 9, .dir = IT_DIR_TO_DEVICE};

	(void)state;
	for (int i = 0; i < 256; i++) {
		rx.map_ns = 300 + i;
		assert_int_equal(live_groups_add(&g, 0xe, &rx, "0000:00:01.0", "e1000e"), 0);
	}
	live_groups_add(&g, 0xe, &tx, "0000:00:01.0", "e1000e");
	tx.dir = IT_DIR_BIDIRECTIONAL; /* same stack, another direction: mixed */
	live_groups_add(&g, 0xe, &tx, "0000:00:01.0", "e1000e");
	live_groups_add(&g, 0xa, &io, "0000:00:02.0", "nvme");
	assert_int_equal(g.n, 3);
	assert_int_equal(g.count, 259);
	assert_int_equal(g.bytes, 256 * 2048 + 2 * 1500 + 4096);
	live_groups_sort(&g);
	/* By device, then the biggest group first. */
	assert_string_equal(g.v[0].device, "0000:00:01.0");
	assert_int_equal(g.v[0].count, 256);
	assert_int_equal(g.v[0].oldest_map_ns, 300);
	assert_int_equal(g.v[0].dir, IT_DIR_FROM_DEVICE);
	assert_int_equal(g.v[1].count, 2);
	assert_int_equal(g.v[1].dir, IT_DIR_NONE);
	assert_string_equal(g.v[2].driver, "nvme");
	/* Filtering keeps the totals true to what is shown. */
	assert_int_equal(live_groups_filter(&g, NULL, "nvme"), 1);
	assert_int_equal(g.count, 1);
	assert_int_equal(g.bytes, 4096);
	assert_int_equal(live_groups_filter(&g, "0000:00:01.0", NULL), 0);
	assert_int_equal(g.count, 0);
	live_groups_free(&g);
	assert_null(g.v);
}

static const char *fake_sym(void *ctx, __s32 id, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len,
		 "e1000e_poll [e1000e];e1000_alloc_rx_buffers [e1000e];dma_map_page_attrs#%d", id);
	return buf;
}

/* Stacks 1-3 map from the rx refill, 4-5 from the transmit path, 6 is unknown. */
static const char *fake_site(void *ctx, __s32 id, char *buf, size_t len)
{
	(void)ctx;
	if (id == 6)
		return NULL;
	snprintf(buf, len, "%s",
		 id <= 3 ? "e1000_alloc_rx_buffers [e1000e]" : "e1000_xmit_frame [e1000e]");
	return buf;
}

/* Stack s (1..6) maps s times, 2048 bytes each, the first one at s seconds. */
static void add_stacks(struct live_groups *g)
{
	struct it_live_val v = {.size = 2048, .dir = IT_DIR_FROM_DEVICE};

	for (int s = 1; s <= 6; s++) {
		v.stack_id = s;
		for (int i = 0; i < s; i++) {
			v.map_ns = s * 1000000000ULL + i;
			live_groups_add(g, 0xe, &v, "0000:00:01.0", "e1000e");
		}
	}
	v.stack_id = 1;
	live_groups_add(g, 0xa, &v, "0000:00:02.0", "nvme"); /* another device, same site: apart */
}

/* One map site reached through many stacks is one group; the biggest stack is its example. */
static void test_live_by_site(void **state)
{
	struct live_groups g = {};

	(void)state;
	add_stacks(&g);
	assert_int_equal(g.n, 7);
	live_groups_by_site(&g, fake_site, NULL);
	live_groups_sort(&g);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.count, 22);
	/* e1000e: transmit 4+5=9 > rx 1+2+3=6 > unknown 6 (count ties keep either order) */
	assert_string_equal(g.v[0].site, "e1000_xmit_frame [e1000e]");
	assert_int_equal(g.v[0].count, 9);
	assert_int_equal(g.v[0].stacks, 2);
	assert_int_equal(g.v[0].map_stack_id, 5);
	assert_int_equal(g.v[0].oldest_map_ns, 4000000000ULL);
	for (int i = 1; i <= 2; i++) {
		if (g.v[i].site[0]) {
			assert_string_equal(g.v[i].site, "e1000_alloc_rx_buffers [e1000e]");
			assert_int_equal(g.v[i].stacks, 3);
			assert_int_equal(g.v[i].map_stack_id, 3);
			assert_int_equal(g.v[i].oldest_map_ns, 1000000000ULL);
		} else {
			assert_int_equal(g.v[i].map_stack_id, 6);
		}
		assert_int_equal(g.v[i].count, 6);
	}
	assert_string_equal(g.v[3].driver, "nvme");
	assert_int_equal(g.v[3].count, 1);
	live_groups_free(&g);
}

/* The live view: text per device with its biggest groups, JSON one object per group. */
static void test_print_live(void **state)
{
	struct live_groups g = {};
	char *text = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	struct check_view view = {{fake_sym, NULL}, o};

	(void)state;
	add_stacks(&g);
	live_groups_by_site(&g, fake_site, NULL);
	live_groups_filter(&g, NULL, "e1000e");
	live_groups_sort(&g);
	check_print_live(&view, &g, false, 7500000000ULL);
	fflush(o);
	assert_non_null(strstr(text, "still mapped at the end"));
	assert_non_null(strstr(text, "21 mapping(s), 43008 bytes\n"));
	assert_non_null(
	    strstr(text, "0000:00:01.0 e1000e: 21 mapping(s), 43008 bytes, from 3 place(s)"));
	assert_non_null(strstr(text, "9 x DMA_FROM_DEVICE, 18432 bytes, oldest 3.5s, mapped by "
				     "e1000_xmit_frame [e1000e] (2 stacks), e.g."));
	assert_non_null(strstr(text, "dma_map_page_attrs#5 <- e1000_alloc_rx_buffers [e1000e]"));
	assert_non_null(strstr(text, "mapped by ? (1 stack)"));
	assert_null(strstr(text, "nvme"));
	fclose(o);
	free(text);
	text = NULL;
	o = open_memstream(&text, &len);
	view.out = o;
	check_print_live(&view, &g, true, 7500000000ULL);
	fflush(o);
	assert_non_null(
	    strstr(text, "{\"type\":\"live_mappings\",\"device\":\"0000:00:01.0\","
			 "\"driver\":\"e1000e\",\"map_dir\":\"DMA_FROM_DEVICE\",\"count\":9,"
			 "\"bytes\":18432,\"oldest_s\":3.5,\"site\":\"e1000_xmit_frame [e1000e]\","
			 "\"stacks\":2,\"map_stack\":["));
	assert_non_null(strstr(text, "\"site\":null"));
	fclose(o);
	free(text);
	live_groups_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dedupe_by_stack_pair), cmocka_unit_test(test_names),
	    cmocka_unit_test(test_unbind_leak),		 cmocka_unit_test(test_live_groups),
	    cmocka_unit_test(test_live_by_site),	 cmocka_unit_test(test_print_live),
	};
	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
