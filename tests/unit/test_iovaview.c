// SPDX-License-Identifier: GPL-2.0
/* test_iovaview.c: the iova view's output — the culprit of each top stack and in the advice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "iovaview.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEV_A	  0xa000
#define ID_LOST	  5
#define ID_DRIVER 6

/* Stack ids as the collector would symbolize them; ID_LOST has gone from the stack map. */
static const char *sym(void *ctx, __s32 id, char *buf, size_t len)
{
	(void)ctx;
	if (id == ID_DRIVER)
		snprintf(buf, len,
			 "nvme_queue_rq;dma_map_page_attrs;iommu_dma_map_page;"
			 "alloc_iova_fast");
	else
		buf[0] = 0;
	return buf;
}

static void names(void *ctx, __u64 dev, struct iova_names *n)
{
	(void)ctx;
	memset(n, 0, sizeof(*n));
	n->sf.group = -1;
	snprintf(n->name, sizeof(n->name), "%s", dev ? "0000:00:02.0" : "(none)");
	snprintf(n->driver, sizeof(n->driver), "%s", dev ? "nvme" : "");
}

/* iovaview_report()'s stdout as one string (free() it). */
static char *report_output(const struct iova_view *v)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	long len;
	char *out;

	assert_non_null(tmp);
	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	iovaview_report(v);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	len = ftell(tmp);
	out = calloc(1, (size_t)len + 1);
	rewind(tmp);
	assert_int_equal(fread(out, 1, (size_t)len, tmp), (size_t)len);
	fclose(tmp);
	return out;
}

/* The heaviest stack of DEV_A has id `heavy`; a lighter one has the other id. */
static char *report_with_heaviest(__s32 heavy, bool json)
{
	struct dom_snap d = {.key = 1, .dev = DEV_A};
	struct iova_stack_snap st[2] = {
	    {.key = {.dev = DEV_A, .stack_id = heavy},
	     .val = {.allocs = 900, .ns = 90000, .timed = 900}},
	    {.key = {.dev = DEV_A, .stack_id = heavy == ID_LOST ? ID_DRIVER : ID_LOST},
	     .val = {.allocs = 100, .ns = 10000, .timed = 100}},
	};
	struct snapshot prev = {0}, cur = {.ndom = 1, .doms = &d};
	struct iova_view v = {.sym = {.sym = sym},
			      .names = names,
			      .ncpu = 2,
			      .json = json,
			      .final = true,
			      .top = 5,
			      .cur = &cur,
			      .prev = &prev,
			      .stacks = st,
			      .nstacks = 2,
			      .secs = 1};

	d.st.allocs = d.st.frees = 1000;
	d.st.size_class[2] = 1000; /* all 4-page buffers: the size-class advice names the culprit */
	return report_output(&v);
}

static json_object *device_row(const char *out)
{
	char *copy = strdup(out), *save = NULL;
	json_object *row = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line && !row;
	     line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line), *dev;

		assert_non_null(o);
		if (json_object_object_get_ex(o, "device", &dev) &&
		    json_object_is_type(dev, json_type_string))
			row = o;
		else
			json_object_put(o);
	}
	free(copy);
	assert_non_null(row);
	return row;
}

/* The culprit of the i-th heaviest stack by allocation time. */
static const char *culprit_of(json_object *row, size_t i)
{
	json_object *stacks, *top, *c;

	assert_true(json_object_object_get_ex(row, "top_stacks", &stacks));
	top = json_object_array_get_idx(stacks, i);
	assert_non_null(top);
	assert_true(json_object_object_get_ex(top, "culprit", &c));
	return c ? json_object_get_string(c) : NULL;
}

static void test_lost_stack_has_no_culprit(void **state)
{
	char *out = report_with_heaviest(ID_LOST, true);
	json_object *row = device_row(out), *advice;
	const char *text;

	(void)state;
	assert_null(culprit_of(row, 0)); /* the lost stack: null, not a placeholder */
	assert_string_equal(culprit_of(row, 1), "nvme_queue_rq");
	assert_true(json_object_object_get_ex(row, "advice", &advice));
	text = json_object_to_json_string(advice);
	assert_non_null(strstr(text, "4-page (16 KiB) buffers"));
	assert_null(strstr(text, "[stack")); /* no "from [stack 5 lost]" */
	assert_null(strstr(text, " from "));
	json_object_put(row);
	free(out);
}

static void test_advice_names_the_driver(void **state)
{
	char *out = report_with_heaviest(ID_DRIVER, false);

	(void)state;
	assert_non_null(strstr(out, "4-page (16 KiB) buffers from nvme_queue_rq"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lost_stack_has_no_culprit),
	    cmocka_unit_test(test_advice_names_the_driver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
