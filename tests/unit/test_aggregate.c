// SPDX-License-Identifier: GPL-2.0
/* test_aggregate.c: per-CPU merging, deltas, histograms, symbolization, sysfs device lookup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices.h"
#include "hist.h"
#include "ksyms.h"
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_percpu_sum_and_delta(void **state)
{
	struct it_dev_stats cpus[3], sum, later, d;

	(void)state;
	memset(cpus, 0, sizeof(cpus));
	cpus[0].map = 5;
	cpus[1].map = 7;
	cpus[2].map = 1;
	cpus[2].hist[IT_H_MAP][10] = 4;
	cpus[0].live_add = 3;
	cpus[1].live_del = 2;
	percpu_sum(&sum, cpus, sizeof(sum), 3);
	assert_int_equal(sum.map, 13);
	assert_int_equal(sum.hist[IT_H_MAP][10], 4);
	assert_int_equal(dev_live(&sum), 1);
	later = sum;
	later.map = 20;
	u64_struct_delta(&d, &later, &sum, sizeof(d));
	assert_int_equal(d.map, 7);
	assert_int_equal(d.hist[IT_H_MAP][10], 0);
	/* A counter that went backwards (table entry recreated) never yields a huge delta. */
	u64_struct_delta(&d, &sum, &later, sizeof(d));
	assert_int_equal(d.map, 0);
}

static void test_snapshot_sort_and_find(void **state)
{
	struct dev_snap devs[3] = {};
	struct snapshot s = {.ndev = 3, .devs = devs};

	(void)state;
	devs[0].key = 0;
	devs[1].key = 0x20;
	strcpy(devs[1].info.name, "0000:00:02.0");
	devs[2].key = 0x10;
	strcpy(devs[2].info.name, "0000:00:01.0");
	snapshot_sort(&s);
	assert_string_equal(s.devs[0].info.name, "0000:00:01.0");
	assert_int_equal(s.devs[2].key, 0); /* unattributed last */
	assert_ptr_equal(snapshot_dev(&s, 0x20), &s.devs[1]);
	assert_null(snapshot_dev(&s, 0x99));
}

static void test_hist_quantiles(void **state)
{
	__u64 h[IT_HIST_SLOTS] = {};
	char buf[32];

	(void)state;
	assert_int_equal(hist_quantile(h, IT_HIST_SLOTS, 0.5), 0);
	h[9] = 90;  /* 512..1023 ns */
	h[12] = 10; /* 4096..8191 ns */
	assert_int_equal(hist_total(h, IT_HIST_SLOTS), 100);
	assert_int_equal(hist_quantile(h, IT_HIST_SLOTS, 0.5), 1023);
	assert_int_equal(hist_quantile(h, IT_HIST_SLOTS, 0.90), 1023);
	assert_int_equal(hist_quantile(h, IT_HIST_SLOTS, 0.99), 8191);
	assert_int_equal(hist_max(h, IT_HIST_SLOTS), 8191);
	assert_string_equal(fmt_ns(buf, sizeof(buf), 340), "340ns");
	assert_string_equal(fmt_ns(buf, sizeof(buf), 1500), "1.5us");
	assert_string_equal(fmt_ns(buf, sizeof(buf), 2000000), "2.0ms");
}

static void test_ksyms_lookup(void **state)
{
	static const char text[] = "ffffffff81000000 T _stext\n"
				   "ffffffff81411000 T dma_map_page_attrs\n"
				   "ffffffff81411800 t __dma_map_sg_attrs\n"
				   "ffffffff81500000 D some_data\n"
				   "ffffffffc0100000 t nvme_queue_rq\t[nvme]\n"
				   "0000000000000000 T hidden\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct ksyms *k = ksyms_parse(f);

	(void)state;
	fclose(f);
	assert_non_null(k);
	assert_string_equal(ksyms_name(k, 0xffffffff81411010ULL), "dma_map_page_attrs");
	assert_string_equal(ksyms_name(k, 0xffffffff81411800ULL), "__dma_map_sg_attrs");
	assert_string_equal(ksyms_name(k, 0xffffffffc0100044ULL), "nvme_queue_rq [nvme]");
	assert_null(ksyms_name(k, 0x1000));
	ksyms_free(k);
}

static void mkfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_sysfs_device_lookup(void **state)
{
	char root[] = "/tmp/it-sysfs-XXXXXX", p[512], t[512];
	struct dev_sysfs d;
	char label[64];

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p),
		 "mkdir -p %s/bus/pci/devices/0000:00:02.0 %s/bus/pci/drivers/nvme "
		 "%s/kernel/iommu_groups/7",
		 root, root, root);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:00:02.0/driver", root);
	snprintf(t, sizeof(t), "%s/bus/pci/drivers/nvme", root);
	assert_int_equal(symlink(t, p), 0);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:00:02.0/iommu_group", root);
	snprintf(t, sizeof(t), "%s/kernel/iommu_groups/7", root);
	assert_int_equal(symlink(t, p), 0);
	snprintf(p, sizeof(p), "%s/kernel/iommu_groups/7/type", root);
	mkfile(p, "DMA-FQ\n");
	assert_int_equal(dev_sysfs_lookup(root, "0000:00:02.0", &d), 0);
	assert_string_equal(d.driver, "nvme");
	assert_int_equal(d.group, 7);
	assert_string_equal(d.group_type, "DMA-FQ");
	assert_int_equal(dev_sysfs_lookup(root, "0000:00:09.0", &d), -1);
	assert_int_equal(d.group, -1);
	assert_int_equal(dev_sysfs_lookup(root, "../../etc", &d), -1);
	assert_string_equal(dev_label(label, sizeof(label), "0000:00:02.0", "nvme"),
			    "0000:00:02.0 nvme");
	assert_string_equal(dev_label(label, sizeof(label), "", ""), "(no device)");
	snprintf(p, sizeof(p), "rm -rf %s", root);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_percpu_sum_and_delta),
	    cmocka_unit_test(test_snapshot_sort_and_find),
	    cmocka_unit_test(test_hist_quantiles),
	    cmocka_unit_test(test_ksyms_lookup),
	    cmocka_unit_test(test_sysfs_device_lookup),
	};
	return cmocka_run_group_tests_name("aggregate", tests, NULL, NULL);
}
