// SPDX-License-Identifier: GPL-2.0
/*
 * test_kmod.c: the kernel module's debugfs tables — parsed from sample text as the module prints
 * it (and malformed variants), then read as a collector source from a directory of such files:
 * snapshot, plan, and fault records delivered once each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmod_parse.h"
#include "kmod_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hooks_txt[] =
    "# iommutrace-kmod hooks format 1: hook NAME SYMBOL|- HITS MISSED\n"
    "hook dma_map dma_map_page_attrs 1117 0\n"
    "hook dma_unmap dma_unmap_page_attrs 1116 0\n"
    "hook dma_map_sg __dma_map_sg_attrs 3 0\n"
    "hook dma_unmap_sg dma_unmap_sg_attrs 3 0\n"
    "hook alloc_iova_fast - 0 0\n"
    "hook dmar_fault dmar_fault 15 2\n"
    "fault_decode off layout check failed: cap 0x1 != CAP register 0x2\n";

static const char counters_txt[] = "# iommutrace-kmod counters format 1: counter NAME VALUE\n"
				   "counter device_overflow 2\n"
				   "counter fault_irqs 15\n"
				   "counter fault_records 14\n"
				   "counter something_new 99\n"
				   "counter kretprobe_missed 1\n";

static const char devices_txt[] =
    "# iommutrace-kmod devices format 1: dev SLOT NAME DRIVER map map_bytes unmap unmap_bytes "
    "map_sg map_sg_nents map_sg_bytes unmap_sg unmap_sg_nents\n"
    "dev 0 - - 0 0 0 0 0 0 0 0 0\n"
    "dev 1 0000:00:02.0 nvme 500 2048000 499 2043904 7 9 36864 7 9\n"
    "dev 2 0000:00:03.0 - 15 61440 15 61440 0 0 0 0 0\n";

static const char domains_txt[] =
    "# iommutrace-kmod domains format 1: dom SLOT DEVSLOT|- allocs alloc_fail alloc_pages "
    "cache_misses flush_retries frees free_pages\n"
    "dom 0 - 0 0 0 0 0 0 0\n"
    "dom 1 1 500 1 500 3 1 499 499\n"
    "dom 2 - 4 0 4 0 0 4 4\n";

static const char faults_txt[] =
    "# iommutrace-kmod faults format 1: fault SEQ TS_NS SID ADDR read|write REASON PASID|- FSTS\n"
    "decode on -\n"
    "seq 3\n"
    "ring 512\n"
    "source 0018 3\n"
    "source other 0\n"
    "fault 1 100 0018 0xffff000 write 0x05 - 0x2\n"
    "fault 2 200 0018 0xffff000 write 0x05 - 0x2\n"
    "fault 3 300 0018 0x1000 read 0x06 7 0x2\n";

static void test_parse_version(void **state)
{
	char err[256];
	int f = 0;

	(void)state;
	assert_int_equal(kmod_parse_version("iommutrace-kmod format 1\n", &f, err, sizeof(err)), 0);
	assert_int_equal(f, 1);
	assert_int_equal(kmod_parse_version("", &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(kmod_parse_version("iommutrace-kmod format x\n", &f, err, sizeof(err)),
			 -1);
	assert_int_equal(kmod_parse_version("something else\n", &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "version, line 1"));
}

static void test_parse_hooks(void **state)
{
	struct kmod_hooks h;
	char err[256];

	(void)state;
	assert_int_equal(kmod_parse_hooks(hooks_txt, &h, err, sizeof(err)), 0);
	assert_int_equal(h.n, 6);
	assert_string_equal(h.v[0].name, "dma_map");
	assert_string_equal(h.v[0].symbol, "dma_map_page_attrs");
	assert_int_equal(h.v[0].hits, 1117);
	assert_string_equal(h.v[4].symbol, ""); /* "-": not hooked */
	assert_int_equal(h.v[5].missed, 2);
	assert_false(h.fault_decode);
	assert_string_equal(h.fault_note, "layout check failed: cap 0x1 != CAP register 0x2");
	assert_int_equal(kmod_parse_hooks("hook dma_map x\n", &h, err, sizeof(err)), -1);
	assert_int_equal(kmod_parse_hooks("hook dma_map x -5 0\n", &h, err, sizeof(err)), -1);
	assert_int_equal(kmod_parse_hooks("hook dma_map x 5 0 1\n", &h, err, sizeof(err)), -1);
	assert_int_equal(kmod_parse_hooks("#\nfault_decode maybe\n", &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hooks, line 2"));
}

static void test_parse_counters(void **state)
{
	struct kmod_counters c;
	char err[256];

	(void)state;
	assert_int_equal(kmod_parse_counters(counters_txt, &c, err, sizeof(err)), 0);
	assert_int_equal(c.device_overflow, 2);
	assert_int_equal(c.fault_irqs, 15);
	assert_int_equal(c.fault_records, 14);
	assert_int_equal(c.kretprobe_missed, 1);
	assert_int_equal(c.fault_unread, 0); /* absent: zero */
	assert_int_equal(kmod_parse_counters("counter fault_irqs\n", &c, err, sizeof(err)), -1);
	assert_int_equal(kmod_parse_counters("counter fault_irqs 1x\n", &c, err, sizeof(err)), -1);
	assert_int_equal(kmod_parse_counters("counter fault_irqs 99999999999999999999999\n", &c,
					     err, sizeof(err)),
			 -1);
}

static void test_parse_devices_domains(void **state)
{
	struct kmod_dev *d;
	struct kmod_dom *m;
	size_t n;
	char err[256];

	(void)state;
	assert_int_equal(kmod_parse_devices(devices_txt, &d, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(d[1].slot, 1);
	assert_string_equal(d[1].name, "0000:00:02.0");
	assert_string_equal(d[1].driver, "nvme");
	assert_int_equal(d[1].map, 500);
	assert_int_equal(d[1].unmap_bytes, 2043904);
	assert_int_equal(d[1].map_sg_bytes, 36864);
	assert_int_equal(d[1].unmap_sg_nents, 9);
	assert_string_equal(d[2].driver, "");
	free(d);
	/* one field short, a negative number, too many fields */
	assert_int_equal(
	    kmod_parse_devices("dev 1 a b 1 2 3 4 5 6 7 8\n", &d, &n, err, sizeof(err)), -1);
	free(d);
	assert_int_equal(
	    kmod_parse_devices("dev 1 a b 1 2 3 4 5 6 7 8 -9\n", &d, &n, err, sizeof(err)), -1);
	free(d);
	assert_int_equal(kmod_parse_devices("dev 1 a b 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
					    &d, &n, err, sizeof(err)),
			 -1);
	free(d);

	assert_int_equal(kmod_parse_domains(domains_txt, &m, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(m[1].dev, 1);
	assert_int_equal(m[1].cache_misses, 3);
	assert_int_equal(m[1].flush_retries, 1);
	assert_int_equal(m[2].dev, -1);
	free(m);
	assert_int_equal(kmod_parse_domains("dom 1 x 1 2 3 4 5 6 7\n", &m, &n, err, sizeof(err)),
			 -1);
	free(m);
}

static void test_parse_faults(void **state)
{
	struct kmod_faults f;
	char err[256];

	(void)state;
	assert_int_equal(kmod_parse_faults(faults_txt, &f, err, sizeof(err)), 0);
	assert_true(f.decode);
	assert_int_equal(f.seq, 3);
	assert_int_equal(f.ring, 512);
	assert_int_equal(f.nsids, 1);
	assert_int_equal(f.sids[0], 0x18);
	assert_int_equal(f.sid_count[0], 3);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.v[0].addr, 0xffff000);
	assert_true(f.v[0].write);
	assert_int_equal(f.v[0].reason, 5);
	assert_int_equal(f.v[0].pasid, IT_PASID_NONE);
	assert_false(f.v[2].write);
	assert_int_equal(f.v[2].pasid, 7);
	assert_int_equal(f.v[2].ts_ns, 300);
	free(f.v);

	static const char *const bad[] = {
	    "seq 1\nfault 1 100 18 0x1000 write 0x05 - 0x2\n",	    /* sid not 4 digits */
	    "seq 1\nfault 1 100 0018 0x1000 sideways 0x05 - 0x2\n", /* access */
	    "seq 1\nfault 1 100 0018 0x1000 write 0x105 - 0x2\n",   /* reason > 0xff */
	    "seq 1\nfault 1 100 0018 0x1000 write 0x05\n",	    /* truncated */
	    "seq 2\nfault 2 1 0018 0x1 read 1 - 0\nfault 1 1 0018 0x1 read 1 - 0\n", /* order */
	    "fault 1 100 0018 0x1000 write 0x05 - 0x2\n",			     /* no seq */
	    "seq 1\nfault 5 100 0018 0x1000 write 0x05 - 0x2\n", /* newer than seq */
	    "seq 1\nring 0\n",
	    "seq 1\nsource zz 3\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = kmod_parse_faults(bad[i], &f, err, sizeof(err));

		free(f.v);
		if (r != -1)
			fail_msg("accepted malformed faults text %zu: %s", i, bad[i]);
		assert_non_null(strstr(err, "kernel module faults, line"));
	}
	/* an over-long line is an error, not a crash */
	char *big = malloc(4096);

	memset(big, 'x', 4095);
	big[4095] = 0;
	assert_int_equal(kmod_parse_faults(big, &f, err, sizeof(err)), -1);
	free(f.v);
	free(big);
}

/* A directory with the module's files, as debugfs has them. */
static char dir[64];

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_kmod.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	put("version", "iommutrace-kmod format 1\n");
	put("hooks", hooks_txt);
	put("counters", counters_txt);
	put("devices", devices_txt);
	put("domains", domains_txt);
	put("faults", faults_txt);
	return 0;
}

static int teardown_dir(void **state)
{
	static const char *const files[] = {"version", "hooks",	  "counters",
					    "devices", "domains", "faults"};
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

static void test_source_snapshot_plan(void **state)
{
	struct kmod_source k;
	struct snapshot s;
	struct plan p;
	struct it_dev_info info;
	char err[256];

	(void)state;
	assert_int_equal(kmod_source_open(&k, dir, err, sizeof(err)), 0);
	assert_int_equal(kmod_source_snapshot(&k, &s), 0);
	assert_int_equal(s.ndev, 2); /* the empty "other" row left out */
	assert_string_equal(s.devs[0].info.name, "0000:00:02.0");
	assert_int_equal(s.devs[0].key, 1);
	assert_int_equal(s.devs[0].st.map, 500);
	assert_int_equal(s.devs[0].st.map_sg, 7);
	assert_int_equal(s.devs[0].st.map_sg_bytes, 36864);
	assert_int_equal(s.ndom, 3);
	assert_non_null(snapshot_dom(&s, 1, 1)); /* domain 1, attributed to device 1 */
	assert_int_equal(snapshot_dom(&s, 1, 1)->st.cache_misses, 3);
	assert_int_equal(s.counters[IT_C_FAULT_IRQ], 17); /* 2 skipped by the kernel */
	assert_int_equal(s.counters[IT_C_FAULT_UNREAD], 2);
	assert_int_equal(s.recursion_misses, 2);
	assert_int_equal(s.counters[IT_C_DEV_OVERFLOW], 2);
	assert_int_equal(s.counters[IT_C_CTX_MISMATCH], 1);
	assert_int_equal(s.hooks[IT_FN_DMA_MAP], 1117);
	assert_int_equal(s.hooks[IT_FN_DMAR_FAULT], 15);
	snapshot_free(&s);
	assert_int_equal(kmod_source_dev_info(&k, 2, &info), 0);
	assert_string_equal(info.name, "0000:00:03.0");
	assert_int_equal(kmod_source_find_dev(&k, "0000:00:02.0"), 1);
	assert_int_equal(kmod_source_find_dev(&k, "0000:00:09.0"), 0);

	kmod_source_plan(&k, &p);
	assert_int_equal(p.hooks[IT_FN_DMA_MAP].mech, MECH_KMOD);
	assert_string_equal(p.hooks[IT_FN_DMA_MAP].symbol, "dma_map_page_attrs");
	assert_int_equal(p.hooks[IT_FN_ALLOC_IOVA_FAST].mech, MECH_NONE); /* "-" in hooks */
	assert_int_equal(p.hooks[IT_TP_IOMMU_MAP].mech, MECH_NONE);
	/* decoding off: the fault hook is there but its records are not read */
	assert_int_equal(p.hooks[IT_FN_DMAR_FAULT].mech, MECH_KMOD);
	assert_false(p.hooks[IT_FN_DMAR_FAULT].attached);
	assert_non_null(strstr(p.hooks[IT_FN_DMAR_FAULT].reason, "layout check failed"));
	assert_int_equal(p.caps[CAP_DMA_MAP].event_mech, MECH_KMOD);
	assert_int_equal(p.caps[CAP_DMA_MAP].hooks_used, 2);
	assert_int_equal(p.caps[CAP_DMA_CONTEXT].hooks_used, 0);
	assert_int_equal(p.caps[CAP_IOMMU_PGTABLE].hooks_used, 0);
	assert_string_equal(mech_name(MECH_KMOD), "kmod");
	kmod_source_close(&k);
}

struct got {
	int n;
	struct it_event e[8];
};

static void on_event(void *ctx, const struct it_event *e)
{
	struct got *g = ctx;

	if (g->n < 8)
		g->e[g->n] = *e;
	g->n++;
}

static void test_source_faults_once(void **state)
{
	struct kmod_source k;
	struct got g = {0};
	char err[256];

	(void)state;
	put("faults", faults_txt);
	assert_int_equal(kmod_source_open(&k, dir, err, sizeof(err)), 0);
	/* records from before the start are not reported */
	assert_int_equal(kmod_source_poll(&k, on_event, &g), 0);
	put("faults", "decode on -\nseq 5\nring 512\n"
		      "fault 3 300 0018 0x1000 read 0x06 7 0x2\n"
		      "fault 4 400 0018 0x2000 write 0x05 - 0x2\n"
		      "fault 5 500 0300 0x3000 read 0x06 - 0x2\n");
	assert_int_equal(kmod_source_poll(&k, on_event, &g), 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.e[0].type, IT_EV_FAULT);
	assert_int_equal(g.e[0].fault_src, IT_FSRC_KMOD);
	assert_int_equal(g.e[0].addr, 0x2000);
	assert_int_equal(g.e[0].fault_access, IT_ACC_WRITE);
	assert_int_equal(g.e[0].fault_reason, 5);
	assert_int_equal(g.e[0].fault_pasid, IT_PASID_NONE);
	assert_int_equal(g.e[1].fault_sid, 0x300);
	assert_int_equal(g.e[1].ts_ns, 500);
	assert_int_equal(kmod_source_poll(&k, on_event, &g), 0); /* each once */
	/* the ring wrapped past what we read: the gap is counted as lost */
	put("faults", "decode on -\nseq 20\nring 2\n"
		      "fault 19 1900 0018 0x1000 read 0x06 - 0x2\n"
		      "fault 20 2000 0018 0x1000 read 0x06 - 0x2\n");
	assert_int_equal(kmod_source_poll(&k, on_event, &g), 2);
	assert_int_equal(k.lost, 13);
	/* malformed file: an error, nothing delivered */
	put("faults", "seq 21\nfault 21 1 0018\n");
	assert_true(kmod_source_poll(&k, on_event, &g) < 0);
	assert_int_equal(g.n, 4);
	kmod_source_close(&k);
	put("faults", faults_txt);
}

static void test_source_missing(void **state)
{
	struct kmod_source k;
	char err[256];

	(void)state;
	assert_int_equal(kmod_source_open(&k, "/nonexistent/iommutrace", err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "not loaded"));
	put("version", "iommutrace-kmod format 2\n");
	assert_true(kmod_source_open(&k, dir, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "format 2"));
	put("version", "iommutrace-kmod format 1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_version),      cmocka_unit_test(test_parse_hooks),
	    cmocka_unit_test(test_parse_counters),     cmocka_unit_test(test_parse_devices_domains),
	    cmocka_unit_test(test_parse_faults),       cmocka_unit_test(test_source_snapshot_plan),
	    cmocka_unit_test(test_source_faults_once), cmocka_unit_test(test_source_missing),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
