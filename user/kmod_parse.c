// SPDX-License-Identifier: GPL-2.0
/* kmod_parse.c: the kernel module's debugfs tables parsed (see kmod_parse.h, docs/KMOD.md). */
#include "kmod_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOK	     16
#define LINE_MAX_LEN 512

/* A cursor over the lines of one file; tokens are whitespace-separated. */
struct cursor {
	const char *p, *file;
	int line;
	char buf[LINE_MAX_LEN];
	char *tok[MAX_TOK];
	int ntok;
};

static void cursor_init(struct cursor *c, const char *text, const char *file)
{
	memset(c, 0, sizeof(*c));
	c->p = text ? text : "";
	c->file = file;
}

/* Next line that is not blank or a comment; 1 if there is one, 0 at the end, -1 if too long. */
static int next_line(struct cursor *c)
{
	while (*c->p) {
		const char *line = c->p, *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *save;

		c->p = nl ? nl + 1 : line + len;
		c->line++;
		if (line[0] == '#') /* comments may be long: never tokenized */
			continue;
		if (len >= sizeof(c->buf))
			return -1;
		memcpy(c->buf, line, len);
		c->buf[len] = 0;
		c->ntok = 0;
		for (char *t = strtok_r(c->buf, " \t\r", &save); t;
		     t = strtok_r(NULL, " \t\r", &save)) {
			if (c->ntok == MAX_TOK)
				return -1;
			c->tok[c->ntok++] = t;
		}
		if (c->ntok)
			return 1;
	}
	return 0;
}

static int fail(const struct cursor *c, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "kernel module %s, line %d: ", c->file, c->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_u64(const char *s, __u64 *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Tokens from..from+n as numbers into dst[0..n). */
static int parse_u64s(const struct cursor *c, int from, int n, __u64 *dst)
{
	for (int i = 0; i < n; i++)
		if (parse_u64(c->tok[from + i], &dst[i]))
			return -1;
	return 0;
}

static int parse_int(const char *s, int max, int *out)
{
	__u64 v;

	if (parse_u64(s, &v) || v > (__u64)max)
		return -1;
	*out = (int)v;
	return 0;
}

/* "-" means empty. */
static void copy_name(char *dst, size_t len, const char *tok)
{
	snprintf(dst, len, "%s", strcmp(tok, "-") == 0 ? "" : tok);
}

/* The rest of the line from token i on, joined by blanks ("-" alone: empty). */
static void copy_rest(const struct cursor *c, int i, char *dst, size_t len)
{
	size_t n = 0;

	dst[0] = 0;
	if (i == c->ntok - 1 && strcmp(c->tok[i], "-") == 0)
		return;
	for (; i < c->ntok && n < len; i++)
		n += snprintf(dst + n, len - n, "%s%s", n ? " " : "", c->tok[i]);
}

static int line_error(const struct cursor *c, int r, char *err, size_t errlen)
{
	return r < 0 ? fail(c, err, errlen, "line too long or too many fields") : 0;
}

int kmod_parse_version(const char *text, int *format, char *err, size_t errlen)
{
	struct cursor c;
	int r;

	cursor_init(&c, text, "version");
	r = next_line(&c);
	if (r <= 0)
		return r < 0 ? line_error(&c, r, err, errlen)
			     : fail(&c, err, errlen, "empty (is this the iommutrace module?)");
	if (c.ntok != 3 || strcmp(c.tok[0], "iommutrace-kmod") != 0 ||
	    strcmp(c.tok[1], "format") != 0 || parse_int(c.tok[2], 1000000, format))
		return fail(&c, err, errlen, "expected 'iommutrace-kmod format N'");
	return 0;
}

int kmod_parse_hooks(const char *text, struct kmod_hooks *out, char *err, size_t errlen)
{
	struct cursor c;
	int r;

	memset(out, 0, sizeof(*out));
	cursor_init(&c, text, "hooks");
	while ((r = next_line(&c)) > 0) {
		if (strcmp(c.tok[0], "hook") == 0) {
			struct kmod_hook *h = &out->v[out->n];

			if (c.ntok != 5)
				return fail(&c, err, errlen,
					    "expected 'hook NAME SYMBOL HITS MISSED'");
			if (out->n == KMOD_HOOKS_MAX)
				return fail(&c, err, errlen, "more than %d hooks", KMOD_HOOKS_MAX);
			copy_name(h->name, sizeof(h->name), c.tok[1]);
			copy_name(h->symbol, sizeof(h->symbol), c.tok[2]);
			if (!h->name[0] || parse_u64(c.tok[3], &h->hits) ||
			    parse_u64(c.tok[4], &h->missed))
				return fail(&c, err, errlen, "bad hook line");
			out->n++;
		} else if (strcmp(c.tok[0], "fault_decode") == 0) {
			if (c.ntok < 2 || (strcmp(c.tok[1], "on") && strcmp(c.tok[1], "off")))
				return fail(&c, err, errlen, "expected 'fault_decode on|off NOTE'");
			out->fault_decode = strcmp(c.tok[1], "on") == 0;
			if (c.ntok > 2)
				copy_rest(&c, 2, out->fault_note, sizeof(out->fault_note));
		}
		/* unknown keywords: added by a later version of the same format, skipped */
	}
	return line_error(&c, r, err, errlen);
}

int kmod_parse_counters(const char *text, struct kmod_counters *out, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
#define C(n) {#n, offsetof(struct kmod_counters, n)}
	    C(device_overflow),	  C(domain_overflow),	   C(context_mismatch),
	    C(fault_irqs),	  C(fault_records),	   C(fault_unread),
	    C(fault_hw_overflow), C(fault_regs_truncated), C(kretprobe_missed),
#undef C
	};
	struct cursor c;
	int r;

	memset(out, 0, sizeof(*out));
	cursor_init(&c, text, "counters");
	while ((r = next_line(&c)) > 0) {
		__u64 v;

		if (strcmp(c.tok[0], "counter") != 0)
			continue;
		if (c.ntok != 3 || parse_u64(c.tok[2], &v))
			return fail(&c, err, errlen, "expected 'counter NAME VALUE'");
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(c.tok[1], names[i].name) == 0)
				memcpy((char *)out + names[i].off, &v, sizeof(v));
	}
	return line_error(&c, r, err, errlen);
}

/* Append one zeroed element to a growing array. */
static void *grow(void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *more = realloc(*v, nc * size);

		if (!more)
			return NULL;
		*v = more;
		*cap = nc;
	}
	memset((char *)*v + *n * size, 0, size);
	return (char *)*v + (*n)++ * size;
}

/* A table of rows "KW LEAD... COUNT...": the counts go to consecutive __u64 fields at num_off of
 * each element, the leading fields are read by lead(). Other keywords are skipped. */
struct row_spec {
	const char *file, *kw, *usage;
	int lead, nums;
	size_t size, num_off;
	int (*lead_fn)(const struct cursor *c, void *elem);
};

static int parse_rows(const char *text, const struct row_spec *rs, void **out, size_t *n, char *err,
		      size_t errlen)
{
	struct cursor c;
	size_t cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	cursor_init(&c, text, rs->file);
	while ((r = next_line(&c)) > 0) {
		char *e;

		if (strcmp(c.tok[0], rs->kw) != 0)
			continue;
		if (c.ntok != 1 + rs->lead + rs->nums)
			return fail(&c, err, errlen, "expected '%s' and %d counts", rs->usage,
				    rs->nums);
		e = grow(out, n, &cap, rs->size);
		if (!e)
			return fail(&c, err, errlen, "out of memory");
		if (rs->lead_fn(&c, e) ||
		    parse_u64s(&c, 1 + rs->lead, rs->nums, (__u64 *)(e + rs->num_off)))
			return fail(&c, err, errlen, "bad number");
	}
	return line_error(&c, r, err, errlen);
}

static int dev_lead(const struct cursor *c, void *elem)
{
	struct kmod_dev *d = elem;

	copy_name(d->name, sizeof(d->name), c->tok[2]);
	copy_name(d->driver, sizeof(d->driver), c->tok[3]);
	return parse_int(c->tok[1], 1 << 20, &d->slot);
}

int kmod_parse_devices(const char *text, struct kmod_dev **out, size_t *n, char *err, size_t errlen)
{
	static const struct row_spec rs = {
	    "devices",
	    "dev",
	    "dev SLOT NAME DRIVER",
	    3,
	    (offsetof(struct kmod_dev, unmap_sg_nents) - offsetof(struct kmod_dev, map)) / 8 + 1,
	    sizeof(struct kmod_dev),
	    offsetof(struct kmod_dev, map),
	    dev_lead};

	return parse_rows(text, &rs, (void **)out, n, err, errlen);
}

static int dom_lead(const struct cursor *c, void *elem)
{
	struct kmod_dom *d = elem;

	d->dev = -1;
	return parse_int(c->tok[1], 1 << 20, &d->slot) ||
	       (strcmp(c->tok[2], "-") && parse_int(c->tok[2], 1 << 20, &d->dev));
}

int kmod_parse_domains(const char *text, struct kmod_dom **out, size_t *n, char *err, size_t errlen)
{
	static const struct row_spec rs = {
	    "domains",
	    "dom",
	    "dom SLOT DEVSLOT",
	    2,
	    (offsetof(struct kmod_dom, free_pages) - offsetof(struct kmod_dom, allocs)) / 8 + 1,
	    sizeof(struct kmod_dom),
	    offsetof(struct kmod_dom, allocs),
	    dom_lead};

	return parse_rows(text, &rs, (void **)out, n, err, errlen);
}

static int parse_fault(const struct cursor *c, struct kmod_fault *f)
{
	__u64 v[4], sid, reason, fsts, pasid = IT_PASID_NONE;
	char sidhex[8];

	if (c->ntok != 9 || parse_u64s(c, 1, 2, v))
		return -1;
	/* SID is four hex digits without 0x */
	if (strlen(c->tok[3]) != 4 || strspn(c->tok[3], "0123456789abcdefABCDEF") != 4)
		return -1;
	snprintf(sidhex, sizeof(sidhex), "0x%s", c->tok[3]);
	if (parse_u64(sidhex, &sid) || parse_u64(c->tok[4], &v[2]) ||
	    parse_u64(c->tok[6], &reason) || reason > 0xff || parse_u64(c->tok[8], &fsts) ||
	    fsts > 0xffffffffu)
		return -1;
	if (strcmp(c->tok[5], "read") && strcmp(c->tok[5], "write"))
		return -1;
	if (strcmp(c->tok[7], "-") && (parse_u64(c->tok[7], &pasid) || pasid > 0xfffff))
		return -1;
	f->seq = v[0];
	f->ts_ns = v[1];
	f->addr = v[2];
	f->sid = (__u16)sid;
	f->write = strcmp(c->tok[5], "write") == 0;
	f->reason = (__u8)reason;
	f->pasid = (__u32)pasid;
	f->fsts = (__u32)fsts;
	return 0;
}

int kmod_parse_faults(const char *text, struct kmod_faults *out, char *err, size_t errlen)
{
	struct cursor c;
	size_t cap = 0;
	bool have_seq = false;
	int r;

	memset(out, 0, sizeof(*out));
	cursor_init(&c, text, "faults");
	while ((r = next_line(&c)) > 0) {
		const char *k = c.tok[0];

		if (strcmp(k, "fault") == 0) {
			struct kmod_fault *f = grow((void **)&out->v, &out->n, &cap, sizeof(*f));

			if (!f)
				return fail(&c, err, errlen, "out of memory");
			if (parse_fault(&c, f))
				return fail(&c, err, errlen,
					    "expected 'fault SEQ TS_NS SID ADDR read|write REASON "
					    "PASID|- FSTS'");
			if (out->n > 1 && f->seq <= out->v[out->n - 2].seq)
				return fail(&c, err, errlen, "records out of order");
		} else if (strcmp(k, "decode") == 0) {
			if (c.ntok < 2 || (strcmp(c.tok[1], "on") && strcmp(c.tok[1], "off")))
				return fail(&c, err, errlen, "expected 'decode on|off NOTE'");
			out->decode = strcmp(c.tok[1], "on") == 0;
			if (c.ntok > 2)
				copy_rest(&c, 2, out->note, sizeof(out->note));
		} else if (strcmp(k, "seq") == 0) {
			if (c.ntok != 2 || parse_u64(c.tok[1], &out->seq))
				return fail(&c, err, errlen, "expected 'seq N'");
			have_seq = true;
		} else if (strcmp(k, "ring") == 0) {
			__u64 v;

			if (c.ntok != 2 || parse_u64(c.tok[1], &v) || !v || v > 1u << 24)
				return fail(&c, err, errlen, "expected 'ring N'");
			out->ring = (__u32)v;
		} else if (strcmp(k, "source") == 0) {
			__u64 sid, cnt;
			char sidhex[8];

			if (c.ntok != 3 || parse_u64(c.tok[2], &cnt))
				return fail(&c, err, errlen, "expected 'source SID|other COUNT'");
			if (strcmp(c.tok[1], "other") == 0) {
				out->other_count = cnt;
				continue;
			}
			snprintf(sidhex, sizeof(sidhex), "0x%.4s", c.tok[1]);
			if (strlen(c.tok[1]) != 4 || parse_u64(sidhex, &sid))
				return fail(&c, err, errlen, "bad source id '%s'", c.tok[1]);
			if (out->nsids == KMOD_SIDS_MAX) {
				out->other_count += cnt;
				continue;
			}
			out->sids[out->nsids] = (__u16)sid;
			out->sid_count[out->nsids++] = cnt;
		}
	}
	if (r < 0)
		return line_error(&c, r, err, errlen);
	if (!have_seq)
		return fail(&c, err, errlen, "no 'seq' line");
	if (out->n && out->v[out->n - 1].seq > out->seq)
		return fail(&c, err, errlen, "a record newer than 'seq'");
	return 0;
}
