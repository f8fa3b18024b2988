// SPDX-License-Identifier: GPL-2.0
/* recording.c: the record/report file format (see recording.h). */
#include "recording.h"

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRUCT_MAX 65536 /* larger struct sizes in a header are corruption */
#define ARRAY_MAX  1024	 /* likewise counter and hook counts */

/* --- writer ------------------------------------------------------------------------------------
 */

struct wbuf {
	unsigned char *p;
	size_t n, cap;
	bool oom;
};

static void put(struct wbuf *b, const void *data, size_t len)
{
	if (b->oom)
		return;
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *p;

		while (cap < b->n + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void put_u16(struct wbuf *b, __u16 v)
{
	v = htole16(v);
	put(b, &v, sizeof(v));
}

static void put_u32(struct wbuf *b, __u32 v)
{
	v = htole32(v);
	put(b, &v, sizeof(v));
}

static void put_u64(struct wbuf *b, __u64 v)
{
	v = htole64(v);
	put(b, &v, sizeof(v));
}

static void put_str(struct wbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > 65535)
		n = 65535;
	put_u16(b, n);
	put(b, s, n);
}

/* Arrays and structs of __u64 (counters, stats): each an unsigned LEB128 varint, so the many
 * zero counters and histogram slots take a byte each. */
static void put_u64s(struct wbuf *b, const void *st, size_t size)
{
	const __u64 *v = st;

	for (size_t i = 0; i < size / sizeof(__u64); i++) {
		unsigned char out[10];
		size_t n = 0;
		__u64 x = v[i];

		do {
			out[n] = (x & 0x7f) | (x > 0x7f ? 0x80 : 0);
			x >>= 7;
			n++;
		} while (x);
		put(b, out, n);
	}
}

static int emit(struct rec_writer *w, enum rec_type type, struct wbuf *b)
{
	struct wbuf hdr = {};
	int r = 0;

	put_u32(&hdr, type);
	put_u32(&hdr, b->n);
	if (b->oom || hdr.oom) {
		w->err = ENOMEM;
		r = -1;
	} else if (fwrite(hdr.p, 1, hdr.n, w->f) != hdr.n ||
		   (b->n && fwrite(b->p, 1, b->n, w->f) != b->n)) {
		w->err = errno ? errno : EIO;
		r = -1;
	} else {
		w->bytes += hdr.n + b->n;
	}
	free(hdr.p);
	free(b->p);
	return r;
}

int rec_write_header(struct rec_writer *w, const struct rec_header *h)
{
	struct wbuf b = {};

	put(&b, REC_MAGIC, 8);
	put_u32(&b, REC_VERSION);
	put_u32(&b, 0);
	if (b.oom || fwrite(b.p, 1, b.n, w->f) != b.n) {
		w->err = b.oom ? ENOMEM : errno ? errno : EIO;
		free(b.p);
		return -1;
	}
	w->bytes += b.n;
	b.n = 0;
	put_u32(&b, sizeof(struct it_event));
	put_u32(&b, sizeof(struct it_dev_stats));
	put_u32(&b, sizeof(struct it_dom_stats));
	put_u32(&b, IT_C_NR);
	put_u32(&b, IT_HOOK_NR);
	put_u64(&b, h->start_realtime_ns);
	put_u64(&b, h->start_mono_ns);
	put_u32(&b, h->interval_ms);
	put_str(&b, h->kernel);
	put_str(&b, h->tool_version);
	put_u32(&b, h->nsources);
	for (__u32 i = 0; i < h->nsources && i < REC_MAX_SOURCES; i++) {
		const struct rec_source *s = &h->sources[i];

		put_str(&b, s->name);
		put_str(&b, s->mech);
		put_u16(&b, s->used);
		put_u16(&b, s->total);
		put_str(&b, s->detail);
	}
	put_u32(&b, h->ncpu); /* appended: absent in older files */
	return emit(w, REC_HEADER, &b);
}

int rec_write_device(struct rec_writer *w, const struct rec_device *d)
{
	struct wbuf b = {};

	put_u32(&b, d->id);
	put_u32(&b, (__u32)d->group);
	put_str(&b, d->name);
	put_str(&b, d->driver);
	put_str(&b, d->group_type);
	return emit(w, REC_DEVICE, &b);
}

int rec_write_stack(struct rec_writer *w, __u32 id, const char *stack)
{
	struct wbuf b = {};

	put_u32(&b, id);
	put_str(&b, stack);
	return emit(w, REC_STACK, &b);
}

int rec_write_event(struct rec_writer *w, const struct it_event *e, const char *text)
{
	struct wbuf b = {};

	put(&b, e, sizeof(*e));
	if (text)
		put(&b, text, strnlen(text, IT_TEXT_LEN - 1));
	return emit(w, REC_EVENT, &b);
}

int rec_write_snapshot(struct rec_writer *w, const struct snapshot *s)
{
	struct wbuf b = {};

	put_u64(&b, s->ts_ns);
	put_u64(&b, s->recursion_misses);
	put_u64(&b, s->rb_events);
	put_u64(&b, s->bpf_run_ns);
	put_u64(&b, s->bpf_run_cnt);
	put_u64s(&b, s->counters, sizeof(s->counters));
	put_u64s(&b, s->hooks, sizeof(s->hooks));
	put_u64s(&b, s->hook_misses, sizeof(s->hook_misses));
	put_u32(&b, s->ndev);
	for (size_t i = 0; i < s->ndev; i++) {
		put_u32(&b, (__u32)s->devs[i].key);
		put_u64s(&b, &s->devs[i].st, sizeof(s->devs[i].st));
	}
	put_u32(&b, s->ndom);
	for (size_t i = 0; i < s->ndom; i++) {
		put_u32(&b, (__u32)s->doms[i].key);
		put_u32(&b, (__u32)s->doms[i].dev);
		put_u64s(&b, &s->doms[i].st, sizeof(s->doms[i].st));
	}
	return emit(w, REC_SNAPSHOT, &b);
}

enum { RF_REGS_OK = 1, RF_HAS_FLAGS = 2, RF_INTR = 4, RF_DECODED = 8 };

int rec_write_fault(struct rec_writer *w, const struct rec_fault *f)
{
	const struct fault_rec *r = &f->r;
	const struct fm_result *m = &r->match;
	struct wbuf b = {};

	put_u32(&b, f->kind);
	put_u32(&b, (f->regs_ok ? RF_REGS_OK : 0) | (r->has_flags ? RF_HAS_FLAGS : 0) |
			(r->intr ? RF_INTR : 0) | (r->decoded ? RF_DECODED : 0));
	put_u64(&b, r->ts_ns);
	put_u32(&b, r->src);
	put_str(&b, r->device);
	put_str(&b, r->driver);
	put_u64(&b, r->iova);
	put_u32(&b, r->access);
	put_u32(&b, (__u32)r->reason);
	put_u32(&b, r->flags);
	put_u32(&b, r->pasid);
	put_u32(&b, m->kind);
	put_u64(&b, m->m.dma_addr);
	put_u64(&b, m->m.size);
	put_u64(&b, m->m.map_ns);
	put_u64(&b, m->m.unmap_ns);
	put_u32(&b, (__u32)m->m.map_stack_id);
	put_u32(&b, (__u32)m->m.unmap_stack_id);
	put_u32(&b, m->m.dir);
	put_u64(&b, m->past_by);
	put_u64(&b, m->ago_ns);
	return emit(w, REC_FAULT, &b);
}

int rec_write_iova_stacks(struct rec_writer *w, const struct iova_stack_snap *s, size_t n)
{
	struct wbuf b = {};

	put_u32(&b, n);
	put_u32(&b, sizeof(s->val) / 8); /* values per entry: the struct may grow */
	for (size_t i = 0; i < n; i++) {
		put_u32(&b, (__u32)s[i].key.dev);
		put_u32(&b, (__u32)s[i].key.stack_id);
		put_u64s(&b, &s[i].val, sizeof(s[i].val));
	}
	return emit(w, REC_IOVA_STACKS, &b);
}

int rec_write_end(struct rec_writer *w, __u64 end_mono_ns)
{
	struct wbuf b = {};

	put_u64(&b, end_mono_ns);
	return emit(w, REC_END, &b);
}

/* --- reader ------------------------------------------------------------------------------------
 */

/* A bounds-checked cursor over one record's payload: reads past the end set bad and yield 0. */
struct cur {
	const unsigned char *p;
	size_t n;
	bool bad;
};

static bool take(struct cur *c, void *out, size_t len)
{
	if (c->bad || len > c->n) {
		c->bad = true;
		memset(out, 0, len);
		return false;
	}
	memcpy(out, c->p, len);
	c->p += len;
	c->n -= len;
	return true;
}

static __u16 get_u16(struct cur *c)
{
	__u16 v;

	take(c, &v, sizeof(v));
	return le16toh(v);
}

static __u32 get_u32(struct cur *c)
{
	__u32 v;

	take(c, &v, sizeof(v));
	return le32toh(v);
}

static __u64 get_u64(struct cur *c)
{
	__u64 v;

	take(c, &v, sizeof(v));
	return le64toh(v);
}

/* A string into a fixed buffer: cut to fit, NUL-terminated, embedded NULs end it. */
static void get_str(struct cur *c, char *out, size_t size)
{
	size_t n = get_u16(c);

	out[0] = 0;
	if (c->bad || n > c->n) {
		c->bad = true;
		return;
	}
	size_t k = n < size - 1 ? n : size - 1;

	memcpy(out, c->p, k);
	out[k] = 0;
	c->p += n;
	c->n -= n;
}

/* `size` bytes written as a struct of that size (ours is `ours` bytes): zero-fill or cut. */
static void get_struct(struct cur *c, void *out, size_t ours, size_t size)
{
	memset(out, 0, ours);
	if (c->bad || size > c->n) {
		c->bad = true;
		return;
	}
	memcpy(out, c->p, size < ours ? size : ours);
	c->p += size;
	c->n -= size;
}

static __u64 get_varint(struct cur *c)
{
	__u64 v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		unsigned char byte;

		if (!take(c, &byte, 1))
			return 0;
		v |= (__u64)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	c->bad = true; /* more than 10 bytes */
	return 0;
}

/* `theirs` varints into `ours` slots: extra ones dropped, missing ones zero. */
static void get_u64s(struct cur *c, __u64 *out, size_t ours, size_t theirs)
{
	memset(out, 0, ours * sizeof(*out));
	for (size_t i = 0; i < theirs; i++) {
		__u64 v = get_varint(c);

		if (i < ours)
			out[i] = v;
	}
}

static int fail(struct rec_reader *r, const char *fmt, const char *what, unsigned long long at)
{
	snprintf(r->err, sizeof(r->err), fmt, what, at);
	return -1;
}

static int parse_header(struct rec_reader *r, struct cur *c)
{
	struct rec_header *h = &r->hdr;
	__u32 n;

	r->ev_size = get_u32(c);
	r->dev_size = get_u32(c);
	r->dom_size = get_u32(c);
	r->ncounters = get_u32(c);
	r->nhooks = get_u32(c);
	h->start_realtime_ns = get_u64(c);
	h->start_mono_ns = get_u64(c);
	h->interval_ms = get_u32(c);
	get_str(c, h->kernel, sizeof(h->kernel));
	get_str(c, h->tool_version, sizeof(h->tool_version));
	n = get_u32(c);
	for (__u32 i = 0; i < n && !c->bad; i++) {
		struct rec_source s;

		get_str(c, s.name, sizeof(s.name));
		get_str(c, s.mech, sizeof(s.mech));
		s.used = get_u16(c);
		s.total = get_u16(c);
		get_str(c, s.detail, sizeof(s.detail));
		if (h->nsources < REC_MAX_SOURCES)
			h->sources[h->nsources++] = s;
	}
	if (!c->bad && c->n >= 4)
		h->ncpu = get_u32(c);
	if (c->bad)
		return -1;
	if (!r->ev_size || r->ev_size > STRUCT_MAX || !r->dev_size || r->dev_size > STRUCT_MAX ||
	    r->dev_size % 8 || !r->dom_size || r->dom_size > STRUCT_MAX || r->dom_size % 8 ||
	    r->ncounters > ARRAY_MAX || r->nhooks > ARRAY_MAX)
		return -1;
	return 0;
}

int rec_reader_open(struct rec_reader *r, const void *buf, size_t len)
{
	__u32 version, type, plen;
	struct cur c = {buf, len, false};
	char magic[8];
	int ret;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	if (!take(&c, magic, sizeof(magic)) || memcmp(magic, REC_MAGIC, 8) != 0) {
		snprintf(r->err, sizeof(r->err), "not an iommutrace recording (no %s magic)",
			 REC_MAGIC);
		return -1;
	}
	version = get_u32(&c);
	get_u32(&c); /* flags */
	if (c.bad)
		return fail(r, "%s: the file ends inside its first %llu bytes", "truncated", 16);
	if (version == 0 || version > REC_VERSION) {
		snprintf(r->err, sizeof(r->err),
			 "recording format version %u; this iommutrace reads up to %u", version,
			 REC_VERSION);
		return -1;
	}
	r->hdr.version = version;
	r->off = len - c.n;
	type = get_u32(&c);
	plen = get_u32(&c);
	if (c.bad || type != REC_HEADER)
		return fail(r, "%s: no header record at byte %llu", "malformed recording", r->off);
	if (plen > c.n)
		return fail(r, "%s: the header record is cut at byte %llu", "truncated recording",
			    len);
	struct cur h = {c.p, plen, false};

	ret = parse_header(r, &h);
	if (ret)
		return fail(r, "%s: bad header record at byte %llu", "malformed recording", r->off);
	r->off += 8 + plen;
	r->nrecords = 1;
	return 0;
}

static int parse_snapshot(struct rec_reader *r, struct cur *c, struct snapshot *s)
{
	/* The fewest bytes a device / domain entry takes: ids and one byte per value. */
	size_t dev_rec = 4 + r->dev_size / 8, dom_rec = 8 + r->dom_size / 8;
	__u32 n;

	memset(s, 0, sizeof(*s));
	s->ts_ns = get_u64(c);
	s->recursion_misses = get_u64(c);
	s->rb_events = get_u64(c);
	s->bpf_run_ns = get_u64(c);
	s->bpf_run_cnt = get_u64(c);
	get_u64s(c, s->counters, IT_C_NR, r->ncounters);
	get_u64s(c, s->hooks, IT_HOOK_NR, r->nhooks);
	get_u64s(c, s->hook_misses, IT_HOOK_NR, r->nhooks);
	n = get_u32(c);
	/* Bound the allocation by what the record can hold. */
	if (c->bad || n > c->n / dev_rec)
		return -1;
	s->devs = calloc(n ? n : 1, sizeof(*s->devs));
	if (!s->devs)
		return -1;
	s->ndev = n;
	for (__u32 i = 0; i < n; i++) {
		s->devs[i].key = get_u32(c);
		get_u64s(c, (__u64 *)&s->devs[i].st, sizeof(s->devs[i].st) / 8, r->dev_size / 8);
	}
	n = get_u32(c);
	if (c->bad || n > c->n / dom_rec)
		return -1;
	s->doms = calloc(n ? n : 1, sizeof(*s->doms));
	if (!s->doms)
		return -1;
	s->ndom = n;
	for (__u32 i = 0; i < n; i++) {
		s->doms[i].key = get_u32(c);
		s->doms[i].dev = get_u32(c);
		get_u64s(c, (__u64 *)&s->doms[i].st, sizeof(s->doms[i].st) / 8, r->dom_size / 8);
	}
	return c->bad ? -1 : 0;
}

/* Trailing bytes (fields a newer writer appended) are ignored. */
static int parse_fault(struct cur *c, struct rec_fault *f)
{
	struct fault_rec *r = &f->r;
	struct fm_result *m = &r->match;
	__u32 bits;

	memset(f, 0, sizeof(*f));
	f->kind = get_u32(c);
	bits = get_u32(c);
	f->regs_ok = bits & RF_REGS_OK;
	r->has_flags = bits & RF_HAS_FLAGS;
	r->intr = bits & RF_INTR;
	r->decoded = bits & RF_DECODED;
	r->ts_ns = get_u64(c);
	r->src = get_u32(c);
	get_str(c, r->device, sizeof(r->device));
	get_str(c, r->driver, sizeof(r->driver));
	r->iova = get_u64(c);
	r->access = get_u32(c);
	r->reason = (__s32)get_u32(c);
	r->flags = get_u32(c);
	r->pasid = get_u32(c);
	m->kind = get_u32(c);
	m->m.dma_addr = get_u64(c);
	m->m.size = get_u64(c);
	m->m.map_ns = get_u64(c);
	m->m.unmap_ns = get_u64(c);
	m->m.map_stack_id = (__s32)get_u32(c);
	m->m.unmap_stack_id = (__s32)get_u32(c);
	m->m.dir = get_u32(c);
	m->past_by = get_u64(c);
	m->ago_ns = get_u64(c);
	/* Values the views index or switch on must be in range. */
	if (c->bad || f->kind > FE_UNREAD || m->kind > FM_PAST_END || r->reason < -1 ||
	    r->reason > 0xff || r->access > 0xf || m->m.map_stack_id < -1 ||
	    m->m.unmap_stack_id < -1)
		return -1;
	return 0;
}

static int parse_iova_stacks(struct cur *c, struct rec_item *it)
{
	__u32 n = get_u32(c), nvals = get_u32(c);
	/* The fewest bytes an entry takes: ids and one byte per value. */
	size_t each = 8 + (size_t)nvals;

	it->iova = NULL;
	it->niova = 0;
	if (c->bad || nvals > ARRAY_MAX || n > c->n / each)
		return -1;
	it->iova = calloc(n ? n : 1, sizeof(*it->iova));
	if (!it->iova)
		return -1;
	it->niova = n;
	for (__u32 i = 0; i < n; i++) {
		it->iova[i].key.dev = get_u32(c);
		it->iova[i].key.stack_id = (__s32)get_u32(c);
		get_u64s(c, (__u64 *)&it->iova[i].val, sizeof(it->iova[i].val) / 8, nvals);
		if (it->iova[i].key.stack_id < -1)
			c->bad = true;
	}
	if (c->bad) {
		free(it->iova);
		it->iova = NULL;
		it->niova = 0;
		return -1;
	}
	return 0;
}

int rec_next(struct rec_reader *r, struct rec_item *it)
{
	static const char *const names[] = {"?",	"header", "device", "stack",	  "event",
					    "snapshot", "end",	  "fault",  "iova stacks"};

	for (;;) {
		struct cur c = {r->buf + r->off, r->len - r->off, false};
		__u32 type, plen;
		int bad = 0;

		if (r->off >= r->len || r->ended)
			return 0;
		type = get_u32(&c);
		plen = get_u32(&c);
		if (c.bad || plen > c.n) {
			if (!c.bad && plen > REC_MAX_RECORD)
				return fail(r, "%s: record length too large at byte %llu",
					    "malformed recording", r->off);
			r->truncated = true;
			fail(r, "%s: the file ends inside a record at byte %llu",
			     "truncated recording", r->off);
			return 0;
		}
		struct cur p = {c.p, plen, false};

		memset(&it->ev, 0, sizeof(it->ev));
		it->type = type;
		switch (type) {
		case REC_HEADER:
			bad = 1; /* only one, first */
			break;
		case REC_DEVICE:
			memset(&it->dev, 0, sizeof(it->dev));
			it->dev.id = get_u32(&p);
			it->dev.group = (__s32)get_u32(&p);
			get_str(&p, it->dev.name, sizeof(it->dev.name));
			get_str(&p, it->dev.driver, sizeof(it->dev.driver));
			get_str(&p, it->dev.group_type, sizeof(it->dev.group_type));
			bad = p.bad || it->dev.id == REC_NO_DEVICE;
			break;
		case REC_STACK:
			it->stack_id = get_u32(&p);
			get_str(&p, it->stack, sizeof(it->stack));
			bad = p.bad || it->stack_id > INT32_MAX;
			break;
		case REC_EVENT:
			get_struct(&p, &it->ev, sizeof(it->ev), r->ev_size);
			bad = p.bad;
			memset(it->text, 0, sizeof(it->text));
			if (!bad && p.n)
				memcpy(it->text, p.p,
				       p.n < IT_TEXT_LEN - 1 ? p.n : IT_TEXT_LEN - 1);
			break;
		case REC_SNAPSHOT:
			bad = parse_snapshot(r, &p, &it->snap);
			if (bad)
				snapshot_free(&it->snap);
			break;
		case REC_FAULT:
			bad = parse_fault(&p, &it->fault);
			break;
		case REC_IOVA_STACKS:
			bad = parse_iova_stacks(&p, it);
			break;
		case REC_END:
			it->end_mono_ns = get_u64(&p);
			bad = p.bad;
			r->ended = !bad;
			break;
		default:
			r->off += 8 + plen; /* a newer record type: skip it */
			r->nrecords++;
			continue;
		}
		if (bad)
			return fail(r, "malformed recording: bad %s record at byte %llu",
				    names[type < 9 ? type : 0], r->off);
		r->off += 8 + plen;
		r->nrecords++;
		return 1;
	}
}
