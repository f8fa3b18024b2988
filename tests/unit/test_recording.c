// SPDX-License-Identifier: GPL-2.0
/* test_recording.c: the record/report file format — round trip, cuts at every byte, corruption. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "recording.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small recording in memory: header, device, stack, event, snapshot, end. */
static unsigned char *sample(size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	struct rec_writer w = {.f = f};
	struct rec_header h = {.start_realtime_ns = 1700000000000000000ULL,
			       .start_mono_ns = 1000,
			       .interval_ms = 1000,
			       .nsources = 2};
	struct rec_device d = {.id = 1, .group = 7};
	struct it_event e = {.type = IT_EV_DMA_ISSUE,
			     .kind = IT_ISSUE_UNMAP_DIRECTION,
			     .dev = 1,
			     .addr = 0xfffff000,
			     .size = 4096,
			     .map_size = 4096,
			     .dir = 1,
			     .map_dir = 2,
			     .stack_id = 0,
			     .map_stack_id = 0,
			     .ts_ns = 1500};
	struct dev_snap ds = {.key = 1};
	struct dom_snap dm = {.key = 1, .dev = 1};
	struct snapshot s = {.ts_ns = 3000, .ndev = 1, .ndom = 1, .devs = &ds, .doms = &dm};

	snprintf(h.kernel, sizeof(h.kernel), "6.12.0-test");
	snprintf(h.tool_version, sizeof(h.tool_version), "0.1.0");
	snprintf(h.sources[0].name, sizeof(h.sources[0].name), "dma_map");
	snprintf(h.sources[0].mech, sizeof(h.sources[0].mech), "fentry");
	h.sources[0].used = 4;
	snprintf(h.sources[1].name, sizeof(h.sources[1].name), "faults");
	snprintf(h.sources[1].detail, sizeof(h.sources[1].detail), "unavailable: no tracepoint");
	snprintf(d.name, sizeof(d.name), "0000:00:02.0");
	snprintf(d.driver, sizeof(d.driver), "nvme");
	snprintf(d.group_type, sizeof(d.group_type), "DMA");
	ds.st.map = 42;
	ds.st.map_bytes = 0x8000000000000005ULL; /* a 10-byte varint */
	ds.st.hist[IT_H_MAP][10] = 3;
	dm.st.allocs = 40;
	s.counters[IT_C_RB_DROPPED] = 5;
	assert_int_equal(rec_write_header(&w, &h), 0);
	assert_int_equal(rec_write_device(&w, &d), 0);
	assert_int_equal(
	    rec_write_stack(&w, 0, "entry_SYSCALL_64;do_syscall_64;edu_dma [iommutrace_edu]"), 0);
	assert_int_equal(rec_write_event(&w, &e, NULL), 0);
	e.type = IT_EV_CONSOLE;
	assert_int_equal(rec_write_event(&w, &e, "DMAR: [DMA Write] fault addr 0xffff000"), 0);
	assert_int_equal(rec_write_snapshot(&w, &s), 0);
	assert_int_equal(rec_write_end(&w, 4000), 0);
	fclose(f);
	assert_int_equal(w.bytes, n);
	*len = n;
	return (unsigned char *)buf;
}

/* Read every record; returns how many, -1 on a malformed one. */
static int read_all(const unsigned char *buf, size_t len, struct rec_reader *r, int *types)
{
	struct rec_item *it = calloc(1, sizeof(*it));
	int n = 0, ret;

	if (rec_reader_open(r, buf, len)) {
		free(it);
		return -2;
	}
	while ((ret = rec_next(r, it)) > 0) {
		if (types)
			types[n] = it->type;
		n++;
		if (it->type == REC_SNAPSHOT)
			snapshot_free(&it->snap);
	}
	free(it);
	return ret < 0 ? -1 : n;
}

static void test_round_trip(void **state)
{
	size_t len;
	unsigned char *buf = sample(&len);
	struct rec_reader r;
	struct rec_item *it = calloc(1, sizeof(*it));

	assert_int_equal(rec_reader_open(&r, buf, len), 0);
	assert_string_equal(r.hdr.kernel, "6.12.0-test");
	assert_int_equal(r.hdr.start_mono_ns, 1000);
	assert_int_equal(r.hdr.nsources, 2);
	assert_string_equal(r.hdr.sources[0].mech, "fentry");
	assert_int_equal(r.hdr.sources[0].used, 4);
	assert_string_equal(r.hdr.sources[1].detail, "unavailable: no tracepoint");
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_DEVICE);
	assert_string_equal(it->dev.name, "0000:00:02.0");
	assert_string_equal(it->dev.driver, "nvme");
	assert_int_equal(it->dev.group, 7);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_STACK);
	assert_string_equal(it->stack, "entry_SYSCALL_64;do_syscall_64;edu_dma [iommutrace_edu]");
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_EVENT);
	assert_int_equal(it->ev.kind, IT_ISSUE_UNMAP_DIRECTION);
	assert_int_equal(it->ev.addr, 0xfffff000);
	assert_string_equal(it->text, "");
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->ev.type, IT_EV_CONSOLE);
	assert_string_equal(it->text, "DMAR: [DMA Write] fault addr 0xffff000");
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_SNAPSHOT);
	assert_int_equal(it->snap.ndev, 1);
	assert_int_equal(it->snap.devs[0].st.map, 42);
	assert_true(it->snap.devs[0].st.map_bytes == 0x8000000000000005ULL);
	assert_int_equal(it->snap.devs[0].st.hist[IT_H_MAP][10], 3);
	assert_int_equal(it->snap.doms[0].st.allocs, 40);
	assert_int_equal(it->snap.doms[0].dev, 1);
	assert_int_equal(it->snap.counters[IT_C_RB_DROPPED], 5);
	snapshot_free(&it->snap);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_END);
	assert_int_equal(it->end_mono_ns, 4000);
	assert_int_equal(rec_next(&r, it), 0);
	assert_true(r.ended);
	assert_false(r.truncated);
	free(it);
	free(buf);
}

/* A cut at any byte: either the header is incomplete (open fails) or every whole record before
 * the cut reads and the cut is reported. */
static void test_cut_everywhere(void **state)
{
	size_t len;
	unsigned char *buf = sample(&len);
	struct rec_reader r;
	int full = read_all(buf, len, &r, NULL), opened = 0;

	assert_int_equal(full, 6);
	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *part = malloc(cut ? cut : 1);
		int n;

		memcpy(part, buf, cut);
		n = read_all(part, cut, &r, NULL);
		if (n == -2) {
			assert_true(strlen(r.err) > 0);
		} else {
			opened++;
			assert_true(n >= 0 && n < full);
			/* A cut exactly between records is indistinguishable from a clean end
			 * without REC_END: then nothing is truncated, but the end is missing. */
			assert_false(r.ended);
			if (r.truncated)
				assert_non_null(strstr(r.err, "truncated"));
		}
		free(part);
	}
	assert_true(opened > 0);
	free(buf);
}

static void test_foreign_and_future(void **state)
{
	size_t len;
	unsigned char *buf = sample(&len);
	struct rec_reader r;
	__u32 v = htole32(REC_VERSION + 1);

	assert_int_equal(rec_reader_open(&r, "hello world, not a recording", 28), -1);
	assert_non_null(strstr(r.err, "not an iommutrace recording"));
	assert_int_equal(rec_reader_open(&r, "", 0), -1);
	memcpy(buf + 8, &v, 4);
	assert_int_equal(rec_reader_open(&r, buf, len), -1);
	assert_non_null(strstr(r.err, "format version"));
	free(buf);
}

/* Offsets of the records after the file header. */
static size_t record_at(const unsigned char *buf, size_t len, int index)
{
	size_t off = 16;

	for (int i = 0; i < index && off + 8 <= len; i++) {
		__u32 plen;

		memcpy(&plen, buf + off + 4, 4);
		off += 8 + le32toh(plen);
	}
	return off;
}

static void test_corrupt_records(void **state)
{
	size_t len;
	unsigned char *buf = sample(&len);
	struct rec_reader r;
	size_t dev = record_at(buf, len, 1), snap = record_at(buf, len, 5),
	       hdr = record_at(buf, len, 0);
	__u32 v;
	int types[8];

	/* A device id 0 is malformed. */
	unsigned char *b = malloc(len);

	memcpy(b, buf, len);
	memset(b + dev + 8, 0, 4);
	assert_int_equal(read_all(b, len, &r, NULL), -1);
	assert_non_null(strstr(r.err, "bad device record"));
	/* A snapshot claiming more devices than its bytes hold. */
	memcpy(b, buf, len);
	/* After 5 fixed u64s, the counters and hooks: one varint byte each in the sample. */
	size_t ndev_off = snap + 8 + 5 * 8 + IT_C_NR + 2 * IT_HOOK_NR;

	v = htole32(0x7fffffff);
	memcpy(b + ndev_off, &v, 4);
	assert_int_equal(read_all(b, len, &r, NULL), -1);
	assert_non_null(strstr(r.err, "bad snapshot record"));
	/* An absurd record length: malformed, not a huge allocation. */
	memcpy(b, buf, len);
	v = htole32(0xfffffff0);
	memcpy(b + dev + 4, &v, 4);
	assert_int_equal(read_all(b, len, &r, NULL), -1);
	/* A record type from a newer version is skipped. */
	memcpy(b, buf, len);
	v = htole32(99);
	memcpy(b + dev, &v, 4);
	assert_int_equal(read_all(b, len, &r, types), 5);
	assert_int_equal(types[0], REC_STACK);
	/* A header with zero-sized structs. */
	memcpy(b, buf, len);
	memset(b + hdr + 8, 0, 4);
	assert_int_equal(rec_reader_open(&r, b, len), -1);
	assert_non_null(strstr(r.err, "bad header"));
	free(b);
	free(buf);
}

/* A recording written with a shorter struct it_event (an older version) reads zero-filled. */
static void test_shorter_structs(void **state)
{
	size_t len;
	unsigned char *buf = sample(&len);
	size_t hdr = record_at(buf, len, 0), ev = record_at(buf, len, 3);
	size_t short_size = offsetof(struct it_event, comm);
	unsigned char *b = malloc(len);
	__u32 v;
	struct rec_reader r;
	struct rec_item *it = calloc(1, sizeof(*it));

	/* Rebuild: everything up to the event payload, a shorter payload, then the rest. */
	size_t n;

	memcpy(b, buf, ev + 8 + short_size);
	n = ev + 8 + short_size;
	memcpy(b + n, buf + ev + 8 + sizeof(struct it_event),
	       len - (ev + 8 + sizeof(struct it_event)));
	n += len - (ev + 8 + sizeof(struct it_event));
	v = htole32(short_size);
	memcpy(b + hdr + 8, &v, 4);
	memcpy(b + ev + 4, &v, 4);
	assert_int_equal(rec_reader_open(&r, b, n), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_EVENT);
	assert_int_equal(it->ev.kind, IT_ISSUE_UNMAP_DIRECTION);
	assert_int_equal(it->ev.comm[0], 0);
	assert_int_equal(rec_next(&r, it), 1); /* the console event */
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_SNAPSHOT);
	snapshot_free(&it->snap);
	free(it);
	free(b);
	free(buf);
}

/* A recording of one fault record (between a stack and the end), as `record` writes it. */
static unsigned char *fault_sample(size_t *len, const struct rec_fault *f)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	struct rec_writer w = {.f = fp};
	struct rec_header h = {.start_mono_ns = 1000};

	assert_int_equal(rec_write_header(&w, &h), 0);
	assert_int_equal(rec_write_stack(&w, 0, "do_syscall_64;edu_bug_fault_after_unmap"), 0);
	assert_int_equal(rec_write_fault(&w, f), 0);
	assert_int_equal(rec_write_end(&w, 4000), 0);
	fclose(fp);
	*len = n;
	return (unsigned char *)buf;
}

static void sample_fault(struct rec_fault *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = FE_FAULT;
	f->regs_ok = true;
	f->r.ts_ns = 2500;
	f->r.src = IT_FSRC_REGS;
	snprintf(f->r.device, sizeof(f->r.device), "0000:00:03.0");
	snprintf(f->r.driver, sizeof(f->r.driver), "iommutrace_edu");
	f->r.iova = 0xfffe000;
	f->r.access = IT_ACC_READ;
	f->r.reason = 6;
	f->r.decoded = true;
	f->r.pasid = IT_PASID_NONE;
	f->r.match.kind = FM_AFTER_UNMAP;
	f->r.match.m = (struct fm_mapping){.dma_addr = 0xfffe000,
					   .size = 4096,
					   .map_ns = 1100,
					   .unmap_ns = 2000,
					   .map_stack_id = 0,
					   .unmap_stack_id = 0,
					   .dir = IT_DIR_TO_DEVICE};
	f->r.match.ago_ns = 500;
}

static void test_fault_records(void **state)
{
	struct rec_fault f;
	size_t len, off;
	unsigned char *buf, *b;
	struct rec_reader r;
	struct rec_item *it = calloc(1, sizeof(*it));
	__u32 v;
	int types[8];

	sample_fault(&f);
	buf = fault_sample(&len, &f);
	/* Round trip: every field back. */
	assert_int_equal(rec_reader_open(&r, buf, len), 0);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_FAULT);
	assert_int_equal(it->fault.kind, FE_FAULT);
	assert_true(it->fault.regs_ok);
	assert_true(it->fault.r.decoded);
	assert_false(it->fault.r.intr);
	assert_false(it->fault.r.has_flags);
	assert_int_equal(it->fault.r.ts_ns, 2500);
	assert_int_equal(it->fault.r.src, IT_FSRC_REGS);
	assert_string_equal(it->fault.r.device, "0000:00:03.0");
	assert_string_equal(it->fault.r.driver, "iommutrace_edu");
	assert_int_equal(it->fault.r.iova, 0xfffe000);
	assert_int_equal(it->fault.r.access, IT_ACC_READ);
	assert_int_equal(it->fault.r.reason, 6);
	assert_int_equal(it->fault.r.pasid, IT_PASID_NONE);
	assert_int_equal(it->fault.r.dev, 0);
	assert_int_equal(it->fault.r.match.kind, FM_AFTER_UNMAP);
	assert_int_equal(it->fault.r.match.m.size, 4096);
	assert_int_equal(it->fault.r.match.m.unmap_ns, 2000);
	assert_int_equal(it->fault.r.match.m.map_stack_id, 0);
	assert_int_equal(it->fault.r.match.m.unmap_stack_id, 0);
	assert_int_equal(it->fault.r.match.m.dir, IT_DIR_TO_DEVICE);
	assert_int_equal(it->fault.r.match.ago_ns, 500);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_END);
	/* No mapping: stack ids -1 survive; a kernel line (FE_PRINTED) keeps its kind. */
	free(buf);
	f.kind = FE_PRINTED;
	f.r.reason = -1;
	f.r.match.kind = FM_NONE;
	f.r.match.m.map_stack_id = f.r.match.m.unmap_stack_id = -1;
	buf = fault_sample(&len, &f);
	assert_int_equal(rec_reader_open(&r, buf, len), 0);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->fault.kind, FE_PRINTED);
	assert_int_equal(it->fault.r.reason, -1);
	assert_int_equal(it->fault.r.match.m.map_stack_id, -1);
	assert_int_equal(it->fault.r.match.m.unmap_stack_id, -1);
	free(buf);

	sample_fault(&f);
	buf = fault_sample(&len, &f);
	off = record_at(buf, len, 2);
	assert_int_equal(read_all(buf, len, &r, types), 3);
	assert_int_equal(types[1], REC_FAULT);
	/* A cut inside the fault record: the stack before it reads, the cut is reported. */
	for (size_t cut = off + 1; cut < record_at(buf, len, 3); cut++) {
		assert_int_equal(read_all(buf, cut, &r, NULL), 1);
		assert_true(r.truncated);
		assert_non_null(strstr(r.err, "truncated"));
	}
	b = malloc(len + 8);
	/* A length shorter than the fields: malformed, not read past. */
	memcpy(b, buf, len);
	v = htole32(20);
	memcpy(b + off + 4, &v, 4);
	assert_int_equal(read_all(b, len, &r, NULL), -1);
	assert_non_null(strstr(r.err, "bad fault record"));
	/* An absurd length: malformed. */
	memcpy(b, buf, len);
	v = htole32(0xfffffff0);
	memcpy(b + off + 4, &v, 4);
	assert_int_equal(read_all(b, len, &r, NULL), -1);
	/* Out-of-range values the views switch on: a kind, a match kind, a stack id < -1. */
	memcpy(b, buf, len);
	v = htole32(77);
	memcpy(b + off + 8, &v, 4);
	assert_int_equal(read_all(b, len, &r, NULL), -1);
	memcpy(b, buf, len);
	v = htole32((__u32)-5);
	/* kind, bits, ts, src, 2 strings, iova, access, reason, flags, pasid, match kind, 4 u64s */
	size_t map_stack = off + 8 + 4 + 4 + 8 + 4 + 2 + 12 + 2 + 14 + 8 + 4 * 5 + 8 * 4;

	memcpy(b + map_stack, &v, 4);
	assert_int_equal(read_all(b, len, &r, NULL), -1);
	/* A newer writer's longer fault record: the extra bytes are ignored. */
	memcpy(b, buf, off);
	memcpy(b + off, buf + off, record_at(buf, len, 3) - off);
	memcpy(&v, buf + off + 4, 4);
	v = htole32(le32toh(v) + 8);
	memcpy(b + off + 4, &v, 4);
	memset(b + record_at(buf, len, 3), 0xab, 8);
	memcpy(b + record_at(buf, len, 3) + 8, buf + record_at(buf, len, 3),
	       len - record_at(buf, len, 3));
	assert_int_equal(read_all(b, len + 8, &r, types), 3);
	assert_int_equal(types[1], REC_FAULT);
	assert_true(r.ended);
	free(b);
	free(it);
	free(buf);
}

static void test_iova_stacks(void **state)
{
	struct iova_stack_snap in[2] = {
	    {.key = {.dev = 1, .stack_id = 0},
	     .val = {.allocs = 1200, .misses = 7, .ns = 1ULL << 40, .timed = 1199}},
	    {.key = {.dev = 0, .stack_id = -1}, .val = {.allocs = 3}},
	};
	char *buf = NULL;
	size_t n = 0, off;
	FILE *fp = open_memstream(&buf, &n);
	struct rec_writer w = {.f = fp};
	struct rec_header h = {.start_mono_ns = 1000, .ncpu = 2};
	struct rec_reader r;
	struct rec_item *it = calloc(1, sizeof(*it));
	unsigned char *b;
	__u32 v;

	assert_int_equal(rec_write_header(&w, &h), 0);
	assert_int_equal(rec_write_iova_stacks(&w, in, 2), 0);
	assert_int_equal(rec_write_end(&w, 4000), 0);
	fclose(fp);
	assert_int_equal(rec_reader_open(&r, buf, n), 0);
	assert_int_equal(r.hdr.ncpu, 2);
	assert_int_equal(rec_next(&r, it), 1);
	assert_int_equal(it->type, REC_IOVA_STACKS);
	assert_int_equal(it->niova, 2);
	assert_int_equal(it->iova[0].key.dev, 1);
	assert_int_equal(it->iova[0].key.stack_id, 0);
	assert_int_equal(it->iova[0].val.allocs, 1200);
	assert_int_equal(it->iova[0].val.misses, 7);
	assert_true(it->iova[0].val.ns == 1ULL << 40);
	assert_int_equal(it->iova[0].val.timed, 1199);
	assert_int_equal(it->iova[1].key.stack_id, -1);
	assert_int_equal(it->iova[1].val.allocs, 3);
	free(it->iova);
	off = record_at((unsigned char *)buf, n, 1);
	/* Cuts inside it: the reader stops before it and says so. */
	for (size_t cut = off + 1; cut < record_at((unsigned char *)buf, n, 2); cut++) {
		assert_int_equal(read_all((unsigned char *)buf, cut, &r, NULL), 0);
		assert_true(r.truncated);
	}
	b = malloc(n);
	/* More entries than the record holds: malformed, no huge allocation. */
	memcpy(b, buf, n);
	v = htole32(0x7fffffff);
	memcpy(b + off + 8, &v, 4);
	assert_int_equal(read_all(b, n, &r, NULL), -1);
	assert_non_null(strstr(r.err, "bad iova stacks record"));
	/* An absurd number of values per entry. */
	memcpy(b, buf, n);
	memcpy(b + off + 12, &v, 4);
	assert_int_equal(read_all(b, n, &r, NULL), -1);
	/* A stack id below -1. */
	memcpy(b, buf, n);
	v = htole32((__u32)-7);
	memcpy(b + off + 16 + 4, &v, 4);
	assert_int_equal(read_all(b, n, &r, NULL), -1);
	/* A header without ncpu (written before it was added) reads, ncpu 0. */
	{
		size_t hdr = record_at((unsigned char *)buf, n, 0);
		__u32 plen;

		memcpy(&plen, buf + hdr + 4, 4);
		plen = htole32(le32toh(plen) - 4);
		memcpy(b, buf, off - 4);
		memcpy(b + hdr + 4, &plen, 4);
		memcpy(b + off - 4, buf + off, n - off);
		assert_int_equal(rec_reader_open(&r, b, n - 4), 0);
		assert_int_equal(r.hdr.ncpu, 0);
		assert_int_equal(rec_next(&r, it), 1);
		assert_int_equal(it->niova, 2);
		free(it->iova);
	}
	free(b);
	free(it);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),	       cmocka_unit_test(test_cut_everywhere),
	    cmocka_unit_test(test_foreign_and_future), cmocka_unit_test(test_corrupt_records),
	    cmocka_unit_test(test_shorter_structs),    cmocka_unit_test(test_fault_records),
	    cmocka_unit_test(test_iova_stacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
