// SPDX-License-Identifier: GPL-2.0
/* test_topview.c: the per-device table of top/report — rates, missing sources, sort, filter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "topview.h"

#include <stdio.h>
#include <string.h>

static struct dev_snap devs_prev[2], devs_cur[2];
static struct dom_snap doms_cur[1];

static void snaps(struct snapshot *prev, struct snapshot *cur)
{
	memset(devs_prev, 0, sizeof(devs_prev));
	memset(devs_cur, 0, sizeof(devs_cur));
	memset(doms_cur, 0, sizeof(doms_cur));
	devs_prev[0].key = devs_cur[0].key = 0x10;
	snprintf(devs_cur[0].info.name, IT_NAME_LEN, "0000:00:02.0");
	snprintf(devs_cur[0].info.driver, IT_NAME_LEN, "nvme");
	devs_prev[0].st.map = 100;
	devs_cur[0].st.map = 300;
	devs_cur[0].st.map_sg = 100;
	devs_cur[0].st.map_bytes = 4000000;
	devs_cur[0].st.unmap = 250;
	devs_cur[0].st.live_add = 10;
	devs_cur[0].st.live_del = 4;
	devs_cur[0].st.faults = 500;
	devs_cur[0].st.hist[IT_H_MAP][9] = 99;
	devs_cur[0].st.hist[IT_H_MAP][12] = 1;
	devs_cur[1].key = 0x20;
	snprintf(devs_cur[1].info.name, IT_NAME_LEN, "0000:00:01.0");
	snprintf(devs_cur[1].info.driver, IT_NAME_LEN, "e1000e");
	devs_cur[1].st.map = 50;
	doms_cur[0].key = 0x99;
	doms_cur[0].dev = 0x10;
	doms_cur[0].st.allocs = 200;
	doms_cur[0].st.cache_misses = 50;
	*prev = (struct snapshot){.ts_ns = 0, .ndev = 1, .devs = devs_prev};
	*cur = (struct snapshot){
	    .ts_ns = 2000000000, .ndev = 2, .devs = devs_cur, .ndom = 1, .doms = doms_cur};
}

static void test_row_rates(void **state)
{
	struct snapshot prev, cur;
	struct top_row r;
	struct dev_sysfs sf = {.driver = "nvme", .group = 3, .group_type = "DMA-FQ"};
	char buf[64];

	snaps(&prev, &cur);
	top_row_fill(&r, &cur, &prev, &devs_cur[0], &sf, 2.0, 0);
	assert_true(r.v[COL_MAP] == (200 + 100) / 2.0);
	assert_true(r.v[COL_UNMAP] == 250 / 2.0);
	assert_true(r.v[COL_MBPS] == 2.0);
	assert_true(r.v[COL_LIVE] == 6);
	assert_true(r.v[COL_IOVA] == 100);
	assert_true(r.v[COL_MISS] == 25.0);
	assert_true(r.v[COL_FAULTS] == 250);
	assert_true(top_row_storm(&r));
	assert_string_equal(top_cell(&r, COL_GROUP, buf, sizeof(buf)), "3:DMA-FQ");
	assert_string_equal(top_cell(&r, COL_MAP, buf, sizeof(buf)), "150");
	assert_string_equal(top_cell(&r, COL_MBPS, buf, sizeof(buf)), "2.00");
	assert_string_equal(top_cell(&r, COL_MISS, buf, sizeof(buf)), "25.0");
	/* p99 of 99 values in [512, 1024) ns and one in [4096, 8192): the bucket's upper bound. */
	assert_string_equal(top_cell(&r, COL_MAP_P99, buf, sizeof(buf)), "1.0us");
	/* No previous snapshot: the totals are the interval. */
	top_row_fill(&r, &cur, NULL, &devs_cur[0], NULL, 1.0, 0);
	assert_true(r.v[COL_MAP] == 400);
	assert_int_equal(r.group, -1);
	assert_string_equal(r.driver, "nvme");
}

static void test_missing_sources(void **state)
{
	struct snapshot prev, cur;
	struct plan p = {};
	struct top_row r;
	char line[512], buf[64];

	snaps(&prev, &cur);
	/* DMA map from its function fallback (6.1): no tracepoint hooks used, yet available. */
	p.caps[CAP_DMA_MAP].event_mech = MECH_FENTRY;
	unsigned m = top_missing_columns(&p);

	assert_true(m & (1u << COL_FAULTS));
	assert_true(m & (1u << COL_IOVA));
	assert_true(m & (1u << COL_IOVA_P99));
	assert_false(m & (1u << COL_MAP));
	top_row_fill(&r, &cur, &prev, &devs_cur[0], NULL, 2.0, m);
	assert_string_equal(top_cell(&r, COL_FAULTS, buf, sizeof(buf)), "-");
	assert_string_equal(top_cell(&r, COL_MISS, buf, sizeof(buf)), "-");
	assert_false(top_row_storm(&r)); /* no fault source: no storm claimed */
	top_row_line(&r, line, sizeof(line));
	char hdr[512];

	top_header_line(hdr, sizeof(hdr));
	assert_int_equal(strlen(line), strlen(hdr));
	assert_true(strncmp(hdr, "DEVICE", 6) == 0);
	assert_true(strncmp(line, "0000:00:02.0", 12) == 0);
	/* No attributed device: a one-word name so the columns split on spaces. */
	struct dev_snap none = {.key = 0};

	top_row_fill(&r, &cur, &prev, &none, NULL, 1.0, 0);
	assert_string_equal(top_cell(&r, COL_DEVICE, buf, sizeof(buf)), "(none)");
	assert_string_equal(top_cell(&r, COL_DRIVER, buf, sizeof(buf)), "-");
}

static void test_sort_and_filter(void **state)
{
	struct top_row rows[4] = {};
	const char *names[] = {"0000:00:03.0", "0000:00:01.0", "", "0000:00:02.0"};
	const char *drivers[] = {"iommutrace_edu", "e1000e", "", "nvme"};
	double maps[] = {5, 50, 1000, 20};

	for (int i = 0; i < 4; i++) {
		snprintf(rows[i].device, IT_NAME_LEN, "%s", names[i]);
		snprintf(rows[i].driver, IT_NAME_LEN, "%s", drivers[i]);
		rows[i].v[COL_MAP] = maps[i];
	}
	top_sort(rows, 4, COL_MAP, true);
	assert_string_equal(rows[0].driver, "e1000e");
	assert_string_equal(rows[1].driver, "nvme");
	assert_string_equal(rows[2].driver, "iommutrace_edu");
	assert_string_equal(rows[3].device, ""); /* unattributed last, whatever its rate */
	top_sort(rows, 4, COL_DEVICE, false);
	assert_string_equal(rows[0].device, "0000:00:01.0");
	assert_string_equal(rows[2].device, "0000:00:03.0");
	top_sort(rows, 4, COL_DEVICE, true);
	assert_string_equal(rows[0].device, "0000:00:03.0");
	assert_string_equal(rows[3].device, "");
	assert_int_equal(top_col_by_key('m'), COL_MAP);
	assert_int_equal(top_col_by_key('d'), COL_DEVICE);
	assert_int_equal(top_col_by_key('Z'), -1);
	assert_true(top_col_desc_default(COL_MAP));
	assert_false(top_col_desc_default(COL_DRIVER));
	for (int c = 0; c < COL_NR; c++)
		for (int d = c + 1; d < COL_NR; d++)
			assert_int_not_equal(top_col_key(c), top_col_key(d));
	assert_int_equal(top_filter(rows, 4, "NVM"), 1);
	assert_string_equal(rows[0].driver, "nvme");
	assert_int_equal(top_filter(rows, 1, ""), 1);
	assert_int_equal(top_filter(rows, 1, "00:02"), 1);
	assert_int_equal(top_filter(rows, 1, "e1000e"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_row_rates),
	    cmocka_unit_test(test_missing_sources),
	    cmocka_unit_test(test_sort_and_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
