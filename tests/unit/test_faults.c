// SPDX-License-Identifier: GPL-2.0
/* test_faults.c: fault decoding (VT-d reasons, AMD flags, the kernel's log lines), the
 * fault-to-mapping match and its diagnoses, and per-device storm accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fault_decode.h"
#include "fault_match.h"
#include "fault_storm.h"

#include <string.h>

#define MS 1000000ULL

static void test_vtd_reasons(void **state)
{
	(void)state;
	assert_string_equal(vtd_reason(5)->text, "PTE Write access is not set");
	assert_non_null(strstr(vtd_reason(5)->cause, "DMA_TO_DEVICE"));
	assert_string_equal(vtd_reason(6)->text, "PTE Read access is not set");
	assert_int_equal(vtd_reason(0x22)->cls, FAULT_CLASS_INTR);
	assert_string_equal(vtd_reason(0x22)->text, "Present field in the IRTE entry is clear");
	assert_string_equal(vtd_reason(0x30)->text, "SM: Invalid Root Table Address");
	assert_string_equal(
	    vtd_reason(0x90)->text,
	    "SM: A/D bit update needed in first-level entry when set up in no snoop");
	assert_int_equal(vtd_reason(0x85)->cls, FAULT_CLASS_DMA);
	assert_string_equal(vtd_reason(0x33)->text, "Unknown"); /* a hole in the SM table */
	assert_string_equal(vtd_reason(0xff)->text, "Unknown");
	assert_int_equal(vtd_reason(0xff)->cls, FAULT_CLASS_UNKNOWN);
}

static void test_amd_flags(void **state)
{
	char buf[256];

	(void)state;
	amd_flags_text(AMD_EV_PR | AMD_EV_RW, buf, sizeof(buf));
	assert_string_equal(buf, "write, page present (permission fault)");
	amd_flags_text(0, buf, sizeof(buf));
	assert_string_equal(buf, "read, page not present");
	amd_flags_text(AMD_EV_TR | AMD_EV_I, buf, sizeof(buf));
	assert_non_null(strstr(buf, "translation request"));
	assert_non_null(strstr(buf, "interrupt request"));
	assert_non_null(strstr(amd_flags_meaning(AMD_EV_PR | AMD_EV_RW), "DMA_TO_DEVICE"));
	assert_non_null(strstr(amd_flags_meaning(0), "unmapped"));
	assert_non_null(strstr(amd_flags_meaning(AMD_EV_I), "MSI"));
	/* io_page_fault flags: generic IOMMU_FAULT_WRITE, or AMD's raw event flags */
	assert_false(tp_flags_are_amd(1));
	assert_int_equal(tp_flags_access(1), IT_ACC_WRITE);
	assert_int_equal(tp_flags_access(0), IT_ACC_READ);
	assert_true(tp_flags_are_amd(0x30));
	assert_int_equal(tp_flags_access(0x30), IT_ACC_WRITE);
	assert_int_equal(tp_flags_access(0x10), IT_ACC_READ);
}

static void test_parse_intel_lines(void **state)
{
	struct fault_line l;

	(void)state;
	assert_int_equal(fault_line_parse("DMAR: [DMA Write NO_PASID] Request device [00:03.0] "
					  "fault addr 0xffff000 [fault reason 0x05] PTE Write "
					  "access is not set",
					  &l),
			 0);
	assert_int_equal(l.vendor, FL_INTEL);
	assert_string_equal(l.device, "0000:00:03.0");
	assert_int_equal(l.addr, 0xffff000);
	assert_int_equal(l.access, IT_ACC_WRITE);
	assert_int_equal(l.reason, 5);
	assert_int_equal(l.pasid, IT_PASID_NONE);
	assert_int_equal(fault_line_parse("DMAR: [DMA Read PASID 0x2a] Request device [3b:00.1] "
					  "fault addr 0x7f000 [fault reason 0x59] SM: Present bit "
					  "in PASID Table Entry is clear",
					  &l),
			 0);
	assert_string_equal(l.device, "0000:3b:00.1");
	assert_int_equal(l.access, IT_ACC_READ);
	assert_int_equal(l.pasid, 0x2a);
	assert_int_equal(l.reason, 0x59);
	/* older kernels: no PASID part */
	assert_int_equal(fault_line_parse("DMAR: [DMA Read] Request device [02:00.0] fault addr "
					  "0x1000 [fault reason 0x06] PTE Read access is not set",
					  &l),
			 0);
	assert_int_equal(l.reason, 6);
	assert_int_equal(fault_line_parse("DMAR: [INTR-REMAP] Request device [f0:1f.0] fault "
					  "index 0x15 [fault reason 0x22] Present field in the "
					  "IRTE entry is clear",
					  &l),
			 0);
	assert_true(l.intr);
	assert_int_equal(l.addr, 0x15);
	assert_string_equal(l.device, "0000:f0:1f.0");
	/* not fault lines, or malformed */
	assert_int_equal(fault_line_parse("DMAR: DRHD: handling fault status reg 2", &l), -1);
	assert_int_equal(
	    fault_line_parse("DMAR: [DMA Write NO_PASID] Request device [zz:03.0]", &l), -1);
	assert_int_equal(fault_line_parse("DMAR: [DMA Write NO_PASID] Request device [100:03.0] "
					  "fault addr 0x1 [fault reason 0x05] x",
					  &l),
			 -1);
	assert_int_equal(fault_line_parse("DMAR: [DMA Wri", &l), -1);
	assert_int_equal(fault_line_parse("", &l), -1);
	assert_int_equal(fault_line_parse(NULL, &l), -1);
}

static void test_parse_amd_lines(void **state)
{
	struct fault_line l;

	(void)state;
	assert_int_equal(fault_line_parse("vfio-pci 0000:41:00.0: AMD-Vi: Event logged "
					  "[IO_PAGE_FAULT domain=0x0020 address=0xfffd0000 "
					  "flags=0x0030]",
					  &l),
			 0);
	assert_int_equal(l.vendor, FL_AMD);
	assert_string_equal(l.device, "0000:41:00.0");
	assert_int_equal(l.addr, 0xfffd0000);
	assert_int_equal(l.flags, 0x30);
	assert_int_equal(l.access, IT_ACC_WRITE);
	assert_int_equal(fault_line_parse("AMD-Vi: Event logged [IO_PAGE_FAULT device=03:00.0 "
					  "domain=0x000e address=0x1000 flags=0x0000]",
					  &l),
			 0);
	assert_string_equal(l.device, "0000:03:00.0");
	assert_int_equal(l.access, IT_ACC_READ);
	assert_int_equal(fault_line_parse("AMD-Vi: Event logged [INVALID_DEVICE_REQUEST "
					  "device=03:00.0]",
					  &l),
			 -1);
	assert_int_equal(fault_line_parse("AMD-Vi: Event logged [IO_PAGE_FAULT address=0x1 "
					  "flags=0x0]",
					  &l),
			 -1); /* no device anywhere */
}

static void test_sid_to_bdf(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(sid_to_bdf(b, sizeof(b), 0, 0x0018), "0000:00:03.0");
	assert_string_equal(sid_to_bdf(b, sizeof(b), 1, 0x3b09), "0001:3b:01.1");
}

static struct fm_mapping map(__u64 addr, __u64 size, __u8 dir, __u64 map_ms, __u64 unmap_ms)
{
	return (struct fm_mapping){.dma_addr = addr,
				   .size = size,
				   .dir = dir,
				   .map_ns = map_ms * MS,
				   .unmap_ns = unmap_ms * MS,
				   .map_stack_id = 7,
				   .unmap_stack_id = unmap_ms ? 8 : -1};
}

static void test_match_inside_direction_bug(void **state)
{
	struct fm_mapping m[] = {map(0xffff000, 4096, IT_DIR_TO_DEVICE, 100, 0),
				 map(0xfffe000, 4096, IT_DIR_FROM_DEVICE, 100, 0)};
	struct fm_result r;
	char buf[512];

	(void)state;
	fault_match(m, 2, 0xffff000, 200 * MS, IT_ACC_WRITE, &r);
	assert_int_equal(r.kind, FM_INSIDE);
	assert_int_equal(r.m.dma_addr, 0xffff000);
	assert_int_equal(r.ago_ns, 100 * MS);
	assert_non_null(fault_diagnosis(&r, IT_ACC_WRITE, 0xffff000, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "direction bug"));
	assert_non_null(strstr(buf, "DMA_TO_DEVICE"));
	/* a read of a FROM_DEVICE buffer */
	fault_match(m, 2, 0xfffe000, 200 * MS, IT_ACC_READ, &r);
	assert_int_equal(r.kind, FM_INSIDE);
	fault_diagnosis(&r, IT_ACC_READ, 0xfffe000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "DMA_FROM_DEVICE"));
	/* an access the direction allows: the IOMMU disagrees with the DMA API */
	fault_match(m, 2, 0xfffe000, 200 * MS, IT_ACC_WRITE, &r);
	fault_diagnosis(&r, IT_ACC_WRITE, 0xfffe000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "allows this access"));
	/* an offset mapping covers its whole pages */
	m[0] = map(0xffff800, 0x1000, IT_DIR_TO_DEVICE, 100, 0);
	fault_match(m, 1, 0x10000000, 200 * MS, IT_ACC_WRITE, &r);
	assert_int_equal(r.kind, FM_INSIDE);
}

static void test_match_after_unmap(void **state)
{
	/* unmapped at 150 ms; the same IOVA mapped again at 300 ms (after the fault) */
	struct fm_mapping m[] = {map(0x5000, 4096, IT_DIR_TO_DEVICE, 100, 150),
				 map(0x5000, 4096, IT_DIR_TO_DEVICE, 300, 0)};
	struct fm_result r;
	char buf[512];

	(void)state;
	fault_match(m, 2, 0x5000, 250 * MS, IT_ACC_READ, &r);
	assert_int_equal(r.kind, FM_AFTER_UNMAP);
	assert_int_equal(r.ago_ns, 100 * MS);
	assert_int_equal(r.m.unmap_stack_id, 8);
	fault_diagnosis(&r, IT_ACC_READ, 0x5000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "use after unmap"));
	assert_non_null(strstr(buf, "100 ms"));
}

static void test_match_report_latency(void **state)
{
	/* unmapped 2 ms before the fault was reported: a write into it is still the direction
	 * bug; a read (allowed) means the unmap explains it */
	struct fm_mapping m[] = {map(0x5000, 4096, IT_DIR_TO_DEVICE, 100, 198)};
	struct fm_result r;

	(void)state;
	fault_match(m, 1, 0x5000, 200 * MS, IT_ACC_WRITE, &r);
	assert_int_equal(r.kind, FM_INSIDE);
	fault_match(m, 1, 0x5000, 200 * MS, IT_ACC_READ, &r);
	assert_int_equal(r.kind, FM_AFTER_UNMAP);
	/* long before: use after unmap even for a write */
	fault_match(m, 1, 0x5000, 400 * MS, IT_ACC_WRITE, &r);
	assert_int_equal(r.kind, FM_AFTER_UNMAP);
}

static void test_match_past_end_and_none(void **state)
{
	struct fm_mapping m[] = {map(0xffff000, 4096, IT_DIR_FROM_DEVICE, 100, 0),
				 map(0x8000, 4096, IT_DIR_FROM_DEVICE, 100, 0)};
	struct fm_result r;
	char buf[512];

	(void)state;
	fault_match(m, 2, 0x10000000, 200 * MS, IT_ACC_WRITE, &r);
	assert_int_equal(r.kind, FM_PAST_END);
	assert_int_equal(r.m.dma_addr, 0xffff000);
	assert_int_equal(r.past_by, 0);
	fault_diagnosis(&r, IT_ACC_WRITE, 0x10000000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "beyond the mapped size"));
	/* two pages past: not "past the end" any more */
	fault_match(m, 2, 0x10001000, 200 * MS, IT_ACC_WRITE, &r);
	assert_int_equal(r.kind, FM_NONE);
	assert_null(fault_diagnosis(&r, IT_ACC_WRITE, 0x10001000, buf, sizeof(buf)));
	/* never mapped */
	fault_match(m, 2, 0x100000, 200 * MS, IT_ACC_READ, &r);
	assert_int_equal(r.kind, FM_NONE);
	/* a mapping made after the fault does not explain it */
	fault_match(m, 2, 0x8000, 50 * MS, IT_ACC_READ, &r);
	assert_int_equal(r.kind, FM_NONE);
	fault_match(NULL, 0, 0x8000, 50 * MS, IT_ACC_READ, &r);
	assert_int_equal(r.kind, FM_NONE);
}

static void test_storm_detection(void **state)
{
	struct fault_storms s;
	struct fs_dev *d;
	int starts = 0, ends = 0;
	__u64 t = 1000 * MS;

	(void)state;
	storms_init(&s, 5, 2000 * MS);
	d = storms_dev(&s, "0000:00:03.0", "edu");
	assert_non_null(d);
	assert_ptr_equal(storms_dev(&s, "0000:00:03.0", NULL), d);
	/* 1 fault/s: no storm */
	for (int i = 0; i < 5; i++, t += 1000 * MS)
		starts += storms_add(&s, d, t, true, 0x1000, 5) == FS_STORM_START;
	assert_int_equal(starts, 0);
	/* 300 faults at 10/s: one storm */
	for (int i = 0; i < 300; i++, t += 100 * MS) {
		starts += storms_add(&s, d, t, true, 0xffff000, 5) == FS_STORM_START;
		ends += storms_tick(&s, d, t) == FS_STORM_END;
	}
	assert_int_equal(starts, 1);
	assert_int_equal(ends, 0);
	assert_true(d->storm);
	assert_true(d->peak_rate >= 9.0 && d->peak_rate <= 10.5);
	/* quiet: it ends */
	ends += storms_tick(&s, d, t + 3000 * MS) == FS_STORM_END;
	assert_int_equal(ends, 1);
	assert_false(d->storm);
	assert_true(d->ever_storm);
	assert_int_equal(d->faults, 305);
	assert_int_equal(d->decoded, 305);
	for (int i = 0; i < 21; i++)
		storms_printed(d);
	assert_int_equal(storms_suppressed(d), 284);
	assert_true(d->storm_faults >= 295 && d->storm_faults <= 305);
	storms_sort_ranges(d);
	assert_int_equal(d->ranges[0].base, 0xfff0000);
	assert_int_equal(d->ranges[0].count, 300);
	assert_int_equal(d->ranges[1].count, 5);
	storms_free(&s);
}

static void test_storm_ranges_space_saving(void **state)
{
	struct fault_storms s;
	struct fs_dev *d;

	(void)state;
	storms_init(&s, 1000, 1000 * MS);
	d = storms_dev(&s, "x", "");
	for (int i = 0; i < 100; i++)
		storms_add(&s, d, 1, true, 0x40000000, 5); /* the heavy hitter */
	for (__u64 i = 0; i < 50; i++)
		storms_add(&s, d, 1, true, i * FS_RANGE_SZ, 5); /* 50 one-off ranges */
	storms_sort_ranges(d);
	assert_int_equal(d->ranges[0].base, 0x40000000);
	assert_int_equal(d->ranges[0].count, 100);
	assert_int_equal(storms_suppressed(d), 150);
	storms_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vtd_reasons),
	    cmocka_unit_test(test_amd_flags),
	    cmocka_unit_test(test_parse_intel_lines),
	    cmocka_unit_test(test_parse_amd_lines),
	    cmocka_unit_test(test_sid_to_bdf),
	    cmocka_unit_test(test_match_inside_direction_bug),
	    cmocka_unit_test(test_match_after_unmap),
	    cmocka_unit_test(test_match_report_latency),
	    cmocka_unit_test(test_match_past_end_and_none),
	    cmocka_unit_test(test_storm_detection),
	    cmocka_unit_test(test_storm_ranges_space_saving),
	};

	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
