// SPDX-License-Identifier: GPL-2.0
/* test_metrics.c: the Prometheus/OpenMetrics exposition — names, escaping, histogram buckets,
 * device folding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "metrics.h"

#include <stdio.h>
#include <string.h>

static void test_escape(void **state)
{
	struct strbuf b = {};

	metrics_escape(&b, "a\"b\\c\nd");
	assert_string_equal(b.s, "a\\\"b\\\\c\\nd");
	sb_free(&b);
}

static struct metrics_dev dev(const char *name, const char *driver, __u64 maps)
{
	struct metrics_dev d = {};

	snprintf(d.device, sizeof(d.device), "%s", name);
	snprintf(d.driver, sizeof(d.driver), "%s", driver);
	d.st.map = maps;
	return d;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_format(void **state)
{
	struct metrics_dev d[1] = {dev("0000:00:02.0", "nv\"me", 7)};
	struct snapshot s = {.rb_events = 3};
	struct metrics_input in = {.devs = d, .ndev = 1, .snap = &s};
	struct strbuf text = {}, om = {};

	d[0].st.map_bytes = 4096;
	d[0].io.allocs = 6;
	d[0].io.hist[IT_H_ALLOC][0] = 1; /* [1, 2) ns */
	d[0].io.hist[IT_H_ALLOC][9] = 4; /* [512, 1024) ns */
	d[0].io.hist[IT_H_ALLOC][31] = 1;
	d[0].issues[IT_ISSUE_UNMAP_DIRECTION] = 2;
	d[0].st.live_add = 5;
	d[0].st.live_del = 2;
	s.counters[IT_C_RB_DROPPED] = 9;
	assert_int_equal(metrics_format(&text, &in, false), 0);
	assert_non_null(strstr(text.s, "# HELP iommutrace_dma_map_total "));
	assert_non_null(strstr(text.s, "# TYPE iommutrace_dma_map_total counter\n"));
	assert_non_null(strstr(
	    text.s, "iommutrace_dma_map_total{device=\"0000:00:02.0\",driver=\"nv\\\"me\"} 7\n"));
	assert_non_null(strstr(text.s, "iommutrace_dma_map_bytes_total{device=\"0000:00:02.0\","
				       "driver=\"nv\\\"me\"} 4096\n"));
	assert_non_null(strstr(text.s, "iommutrace_live_mappings{device=\"0000:00:02.0\","
				       "driver=\"nv\\\"me\"} 3\n"));
	assert_non_null(strstr(text.s, "# TYPE iommutrace_iova_alloc_seconds histogram\n"));
	/* Cumulative buckets, le = the slot's upper bound in seconds. */
	assert_non_null(strstr(text.s,
			       "iommutrace_iova_alloc_seconds_bucket{device=\"0000:00:02.0\","
			       "driver=\"nv\\\"me\",le=\"2e-09\"} 1\n"));
	assert_non_null(strstr(text.s, ",le=\"5.12e-07\"} 1\n"));
	assert_non_null(strstr(text.s, ",le=\"1.024e-06\"} 5\n"));
	assert_non_null(strstr(text.s, ",le=\"2.147483648\"} 5\n"));
	assert_non_null(strstr(text.s, ",le=\"4.294967296\"} 6\n"));
	assert_non_null(strstr(text.s, ",le=\"+Inf\"} 6\n"));
	assert_non_null(strstr(text.s,
			       "iommutrace_iova_alloc_seconds_count{device=\"0000:00:02.0\","
			       "driver=\"nv\\\"me\"} 6\n"));
	assert_int_equal(count(text.s, "iommutrace_iova_alloc_seconds_bucket{"), IT_HIST_SLOTS + 1);
	assert_non_null(strstr(text.s, "iommutrace_dma_issues_total{device=\"0000:00:02.0\","
				       "driver=\"nv\\\"me\",kind=\"unmap_direction\"} 2\n"));
	assert_int_equal(count(text.s, "iommutrace_dma_issues_total{"), 1); /* zero kinds omitted */
	assert_non_null(strstr(text.s, "\niommutrace_ringbuf_dropped_total 9\n"));
	assert_null(strstr(text.s, "# EOF"));
	assert_null(strstr(text.s, "bpf_run_seconds")); /* stats off */
	assert_null(strstr(text.s, "source_up"));	/* no plan */
	/* Every sample line: a name, optional labels, one value. */
	for (char *line = strtok(text.s, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] != '#')
			assert_true(strncmp(line, "iommutrace_", 11) == 0 && strrchr(line, ' '));

	assert_int_equal(metrics_format(&om, &in, true), 0);
	assert_non_null(strstr(om.s, "# TYPE iommutrace_dma_map counter\n"));
	assert_non_null(strstr(om.s, "# TYPE iommutrace_live_mappings gauge\n"));
	assert_non_null(strstr(om.s, "\niommutrace_dma_map_total{"));
	assert_true(om.len > 6 && strcmp(om.s + om.len - 6, "# EOF\n") == 0);
	sb_free(&text);
	sb_free(&om);
}

static void test_fold(void **state)
{
	struct metrics_dev d[5] = {dev("a", "x", 1), dev("b", "x", 50), dev("c", "y", 3),
				   dev("d", "y", 40), dev("e", "z", 2)};
	struct snapshot s = {};
	struct metrics_input in = {.devs = d, .snap = &s};
	struct strbuf b = {};

	d[0].issues[IT_ISSUE_LEAK] = 1;
	d[4].issues[IT_ISSUE_LEAK] = 2;
	in.ndev = metrics_fold(d, 5, 3);
	assert_int_equal(in.ndev, 3);
	assert_string_equal(d[0].device, "b");
	assert_string_equal(d[1].device, "d");
	assert_string_equal(d[2].device, METRICS_OTHER);
	assert_int_equal(d[2].st.map, 3 + 2 + 1);
	assert_int_equal(d[2].issues[IT_ISSUE_LEAK], 3);
	assert_int_equal(metrics_format(&b, &in, false), 0);
	assert_non_null(
	    strstr(b.s, "iommutrace_dma_map_total{device=\"other\",driver=\"other\"} 6\n"));
	assert_int_equal(count(b.s, "iommutrace_dma_map_total{"), 3);
	sb_free(&b);
	/* Under the cap nothing is folded. */
	assert_int_equal(metrics_fold(d, 3, 32), 3);
}

static void test_faults(void **state)
{
	struct metrics_dev d[1] = {dev("0000:00:03.0", "edu", 1)};
	struct metrics_fault f[4] = {
	    {"0000:00:03.0", "PTE Write access is not set", 40},
	    {"0000:00:05.0", "write fault", 2},
	    {"0000:00:06.0", "write fault", 3},
	    {"0000:00:06.0", "PTE Read access is not set", 1},
	};
	struct snapshot s = {};
	struct metrics_input in = {.devs = d, .ndev = 1, .snap = &s, .faults = f, .nfaults = 4};
	struct strbuf b = {};

	assert_int_equal(metrics_format(&b, &in, false), 0);
	assert_non_null(strstr(b.s, "# TYPE iommutrace_faults_total counter\n"));
	assert_non_null(strstr(b.s, "iommutrace_faults_total{device=\"0000:00:03.0\",reason=\"PTE "
				    "Write access is not set\"} 40\n"));
	/* Devices without a label of their own: summed per reason under "other". */
	assert_non_null(strstr(b.s, "iommutrace_faults_total{device=\"other\",reason=\"write "
				    "fault\"} 5\n"));
	assert_non_null(strstr(b.s, "iommutrace_faults_total{device=\"other\",reason=\"PTE Read "
				    "access is not set\"} 1\n"));
	assert_int_equal(count(b.s, "iommutrace_faults_total{"), 3);
	sb_free(&b);
}

static void test_sources(void **state)
{
	struct plan p = {};
	struct snapshot s = {.bpf_run_ns = 1500000000};
	struct metrics_input in = {.snap = &s, .plan = &p, .bpf_stats = true};
	struct strbuf b = {};

	p.caps[CAP_IOVA].hooks_used = 2;
	p.caps[CAP_IOVA].event_mech = MECH_FENTRY;
	assert_int_equal(metrics_format(&b, &in, false), 0);
	assert_non_null(
	    strstr(b.s, "iommutrace_source_up{capability=\"iova\",mechanism=\"fentry\"} 1\n"));
	assert_non_null(
	    strstr(b.s, "iommutrace_source_up{capability=\"faults\",mechanism=\"none\"} 0\n"));
	assert_non_null(strstr(b.s, "iommutrace_bpf_run_seconds_total 1.500000000\n"));
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),  cmocka_unit_test(test_format),
	    cmocka_unit_test(test_fold),    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
