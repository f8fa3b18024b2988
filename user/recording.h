/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recording.h: the `iommutrace record` file format, writer and reader. Pure (a FILE for the
 * writer, a memory buffer for the reader), so unit tests and the fuzzer drive both.
 *
 * File: magic "IOMMUTRC", u32 format version, u32 flags (0); then records, each
 *   u32 type, u32 payload length, payload
 * all little-endian. The first record is REC_HEADER (struct sizes, start time, kernel, sources);
 * REC_DEVICE and REC_STACK define the recording's own device and stack ids before any record uses
 * them; REC_EVENT is a ring-buffer struct it_event as is (then a console event's text), except
 * that dev is a recording device id,
 * stack_id/map_stack_id are recording stack ids and aux is zeroed where it held a kernel pointer;
 * REC_SNAPSHOT is the aggregates of one moment (device ids as keys; counters as varints);
 * REC_FAULT is one fault as `faults` decodes and correlates it while recording (struct fault_rec,
 * its mapping's map/unmap stacks as recording stack ids), or a kernel line about one (FE_PRINTED),
 * or an unreadable fault interrupt (FE_UNREAD); FE_IGNORE carries only the registers_read state;
 * REC_IOVA_STACKS follows a snapshot: the IOVA allocations per (device id, recording stack id);
 * REC_END closes the file.
 * No kernel address is ever stored: stacks are symbol strings. A reader skips record types it
 * does not know; struct sizes in the header let it read files written with shorter or longer
 * structs (fields are only ever appended). A file cut anywhere reads up to the last whole record.
 */
#ifndef IOMMUTRACE_RECORDING_H
#define IOMMUTRACE_RECORDING_H

#include "fault_events.h"
#include "iommutrace.h"
#include "snapshot.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define REC_MAGIC	"IOMMUTRC"
#define REC_VERSION	1
#define REC_MAX_SOURCES 32
#define REC_STACK_MAX	8192
#define REC_MAX_RECORD	(64u << 20) /* larger records are corruption */
#define REC_NO_DEVICE	0	    /* device id of unattributed events */

enum rec_type {
	REC_HEADER = 1,
	REC_DEVICE = 2,
	REC_STACK = 3,
	REC_EVENT = 4,
	REC_SNAPSHOT = 5,
	REC_END = 6,
	REC_FAULT = 7,
	REC_IOVA_STACKS = 8,
};

struct rec_source {
	char name[32]; /* capability, e.g. "dma_map" */
	char mech[16]; /* "fentry", "raw_tp", "kprobe", "none" */
	__u16 used, total;
	char detail[256];
};

struct rec_header {
	__u32 version;
	char kernel[128];
	char tool_version[32];
	__u64 start_realtime_ns, start_mono_ns;
	__u32 interval_ms;
	__u32 nsources;
	struct rec_source sources[REC_MAX_SOURCES];
	__u32 ncpu; /* possible CPUs (0 in files written before it was added) */
};

struct rec_device {
	__u32 id; /* > 0 */
	__s32 group;
	char name[IT_NAME_LEN], driver[IT_NAME_LEN];
	char group_type[16];
};

struct rec_item {
	enum rec_type type;
	struct rec_device dev; /* REC_DEVICE */
	__u32 stack_id;	       /* REC_STACK */
	char stack[REC_STACK_MAX];
	struct it_event ev;	/* REC_EVENT */
	char text[IT_TEXT_LEN]; /* REC_EVENT of type IT_EV_CONSOLE: the log line, else "" */
	struct snapshot snap;	/* REC_SNAPSHOT: keys are device ids; free with snapshot_free() */
	__u64 end_mono_ns;	/* REC_END */
	struct rec_fault {	/* REC_FAULT */
		__u32 kind;	/* enum fe_kind */
		bool regs_ok;	/* VT-d records read from the registers (fault_events.regs_ok) */
		struct fault_rec r; /* dev 0; match.m stack ids are recording stack ids */
	} fault;
	struct iova_stack_snap *iova; /* REC_IOVA_STACKS: key.dev a device id; free() it */
	size_t niova;
};

struct rec_writer {
	FILE *f;
	__u64 bytes;
	int err; /* errno of the first failed write */
};

/* Each returns 0 or -1 (w->err set). */
int rec_write_header(struct rec_writer *w, const struct rec_header *h);
int rec_write_device(struct rec_writer *w, const struct rec_device *d);
int rec_write_stack(struct rec_writer *w, __u32 id, const char *stack);
/* text: what follows the struct in the ring buffer (IT_EV_CONSOLE's log line), or NULL. */
int rec_write_event(struct rec_writer *w, const struct it_event *e, const char *text);
/* devs[].key and doms[].dev must be recording device ids (< 2^32), doms[].key any small id. */
int rec_write_snapshot(struct rec_writer *w, const struct snapshot *s);
/* f->r.match.m.{map,unmap}_stack_id must be recording stack ids; f->r.dev is not written. */
int rec_write_fault(struct rec_writer *w, const struct rec_fault *f);
/* s[].key.dev must be recording device ids, s[].key.stack_id recording stack ids (or -1). */
int rec_write_iova_stacks(struct rec_writer *w, const struct iova_stack_snap *s, size_t n);
int rec_write_end(struct rec_writer *w, __u64 end_mono_ns);

struct rec_reader {
	const unsigned char *buf;
	size_t len, off;
	struct rec_header hdr;
	__u32 ev_size, dev_size, dom_size, ncounters, nhooks; /* as written */
	bool truncated; /* the file ends inside a record (at off) */
	bool ended;	/* REC_END seen */
	__u64 nrecords; /* whole records read */
	char err[256];	/* why rec_reader_open / rec_next failed, or the truncation */
};

/* Check the magic, version and header record. 0, or -1 with r->err. buf must outlive r. */
int rec_reader_open(struct rec_reader *r, const void *buf, size_t len);
/* The next record: 1 (it filled), 0 at the end of the file or a cut (r->truncated, r->err says
 * where), -1 on a malformed record (r->err). Records of unknown type are skipped. */
int rec_next(struct rec_reader *r, struct rec_item *it);

#endif
