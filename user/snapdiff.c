// SPDX-License-Identifier: GPL-2.0
/* snapdiff.c: comparing two snapshots (see snapdiff.h). */
#include "snapdiff.h"
#include "snapdoc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add(struct sdiff *d, enum sdiff_sev sev, const char *kind, const char *subject,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int add(struct sdiff *d, enum sdiff_sev sev, const char *kind, const char *subject,
	       const char *fmt, ...)
{
	struct sdiff_item *it;
	va_list ap;
	char msg[2048];

	if (d->n == d->cap) {
		struct sdiff_item *nv =
		    realloc(d->v, (d->cap = d->cap ? d->cap * 2 : 16) * sizeof(*nv));

		if (!nv)
			return -1;
		d->v = nv;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	it = &d->v[d->n];
	it->sev = sev;
	snprintf(it->kind, sizeof(it->kind), "%s", kind);
	snprintf(it->subject, sizeof(it->subject), "%s", subject ? subject : "");
	it->message = strdup(msg);
	if (!it->message)
		return -1;
	d->n++;
	d->count[sev]++;
	return 0;
}

static const char *or_none(const char *s)
{
	return s && s[0] ? s : "none";
}

static bool same_str(const char *x, const char *y)
{
	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* The group id holding a device name in a snapshot's group list; -1 if in none. */
static long long group_of(json_object *doc, const char *name)
{
	json_object *groups = sd_arr(doc, "groups");

	for (size_t i = 0; i < sd_len(groups); i++) {
		json_object *devs = sd_arr(sd_at(groups, i), "devices");

		for (size_t k = 0; k < sd_len(devs); k++) {
			const char *n = json_object_get_string(sd_at(devs, k));

			if (n && strcmp(n, name) == 0)
				return sd_int(sd_at(groups, i), "id", -1);
		}
	}
	return -1;
}

static json_object *group_by_id(json_object *doc, long long id)
{
	json_object *groups = sd_arr(doc, "groups");

	for (size_t i = 0; id >= 0 && i < sd_len(groups); i++)
		if (sd_int(sd_at(groups, i), "id", -2) == id)
			return sd_at(groups, i);
	return NULL;
}

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t off = strlen(buf);
	va_list ap;

	if (off >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
}

/* A group of B whose members were not all together in one group of A grew (or merged). */
static int diff_groups(json_object *a, json_object *b, struct sdiff *d)
{
	json_object *gb = sd_arr(b, "groups"), *ga = sd_arr(a, "groups");

	for (size_t i = 0; i < sd_len(gb); i++) {
		json_object *g = sd_at(gb, i), *devs = sd_arr(g, "devices");
		long long first = -2;
		bool grew = false;
		char subj[32], members[1024] = "", before[1024] = "";

		if (sd_len(devs) < 2)
			continue;
		for (size_t k = 0; k < sd_len(devs); k++) {
			const char *n = json_object_get_string(sd_at(devs, k));
			long long ag = n ? group_of(a, n) : -1;

			if (!n)
				continue;
			if (first == -2)
				first = ag;
			if (ag < 0 || ag != first)
				grew = true;
			append(members, sizeof(members), "%s%s", k ? ", " : "", n);
			if (ag < 0)
				append(before, sizeof(before), "%s%s %s", before[0] ? "; " : "", n,
				       sd_device(a, n) ? "in no group" : "not present");
			else
				append(before, sizeof(before), "%s%s in group %lld (%zu device%s)",
				       before[0] ? "; " : "", n, ag,
				       sd_len(sd_arr(group_by_id(a, ag), "devices")),
				       sd_len(sd_arr(group_by_id(a, ag), "devices")) == 1 ? ""
											  : "s");
		}
		if (!grew)
			continue;
		snprintf(subj, sizeof(subj), "group %lld", sd_int(g, "id", -1));
		if (add(d, SDIFF_REGRESSION, "group-grew", subj,
			"%zu devices now share IOMMU group %lld: %s (before: %s)", sd_len(devs),
			sd_int(g, "id", -1), members, before))
			return -1;
	}
	/* Split: members of one group of A are now in different groups of B. */
	for (size_t i = 0; i < sd_len(ga); i++) {
		json_object *g = sd_at(ga, i), *devs = sd_arr(g, "devices");
		long long first = -2;
		bool split = false;
		char subj[32], now[1024] = "";

		if (sd_len(devs) < 2)
			continue;
		for (size_t k = 0; k < sd_len(devs); k++) {
			const char *n = json_object_get_string(sd_at(devs, k));
			long long bg = n ? group_of(b, n) : -1;

			if (!n || bg < 0)
				continue;
			if (first == -2)
				first = bg;
			else if (bg != first)
				split = true;
			append(now, sizeof(now), "%s%s in group %lld", now[0] ? ", " : "", n, bg);
		}
		if (!split)
			continue;
		snprintf(subj, sizeof(subj), "group %lld", sd_int(g, "id", -1));
		if (add(d, SDIFF_CHANGE, "group-split", subj,
			"IOMMU group %lld split: %s (isolation changed: ACS/quirks or an ACS "
			"override)",
			sd_int(g, "id", -1), now))
			return -1;
	}
	return 0;
}

static const char *group_type(json_object *doc, json_object *dev)
{
	return sd_str(group_by_id(doc, sd_int(dev, "iommu_group", -1)), "type");
}

static bool is_vfio(const char *driver)
{
	return driver && strncmp(driver, "vfio", 4) == 0;
}

static int diff_device(json_object *a, json_object *b, json_object *da, json_object *db,
		       struct sdiff *d)
{
	const char *bdf = sd_str(da, "bdf");
	const char *dra = sd_str(da, "driver"), *drb = sd_str(db, "driver");
	const char *ta = group_type(a, da), *tb = group_type(b, db);
	long long ma = sd_int(da, "dma_mask_bits", -1), mb = sd_int(db, "dma_mask_bits", -1);
	json_object *ca = sd_obj(da, "caps"), *cb = sd_obj(db, "caps");
	json_object *ra = sd_arr(da, "reset_methods"), *rb = sd_arr(db, "reset_methods");
	static const char *const capnames[] = {"acs", "ari", "flr", "sriov"};

	if (!same_str(dra, drb) &&
	    add(d, is_vfio(dra) ? SDIFF_REGRESSION : SDIFF_CHANGE, "driver", bdf,
		"%s: driver %s -> %s%s", bdf, or_none(dra), or_none(drb),
		is_vfio(dra) ? " (no longer bound to VFIO)" : ""))
		return -1;
	if (ta && tb && strcmp(ta, tb) != 0 &&
	    add(d, SDIFF_REGRESSION, "group-type", bdf,
		"%s: IOMMU domain type %s -> %s (IOMMU mode changed)", bdf, ta, tb))
		return -1;
	if (ma > 0 && mb > 0 && ma != mb &&
	    add(d, mb < ma ? SDIFF_REGRESSION : SDIFF_CHANGE, "dma-mask", bdf,
		"%s: DMA mask %lld -> %lld bits%s", bdf, ma, mb,
		mb < ma ? " (competes for less IOVA space)" : ""))
		return -1;
	for (size_t i = 0; ca && cb && i < sizeof(capnames) / sizeof(capnames[0]); i++) {
		int x = sd_tri(ca, capnames[i]), y = sd_tri(cb, capnames[i]);

		if (x != TRI_UNKNOWN && y != TRI_UNKNOWN && x != y &&
		    add(d, SDIFF_CHANGE, "capability", bdf, "%s: %s capability %s", bdf,
			capnames[i], y ? "appeared" : "disappeared"))
			return -1;
	}
	if (ca && cb && sd_int(ca, "acs_ctrl", -1) != sd_int(cb, "acs_ctrl", -1) &&
	    sd_int(ca, "acs_ctrl", -1) >= 0 && sd_int(cb, "acs_ctrl", -1) >= 0 &&
	    add(d, SDIFF_CHANGE, "acs", bdf, "%s: ACS control 0x%04llx -> 0x%04llx", bdf,
		sd_int(ca, "acs_ctrl", 0), sd_int(cb, "acs_ctrl", 0)))
		return -1;
	if (ra && rb && sd_has_str(ra, "flr") && !sd_has_str(rb, "flr") &&
	    add(d, SDIFF_REGRESSION, "reset", bdf, "%s: the kernel no longer resets it with FLR",
		bdf))
		return -1;
	if (sd_int(sd_obj(da, "sriov"), "total_vfs", -1) !=
		sd_int(sd_obj(db, "sriov"), "total_vfs", -1) &&
	    add(d, SDIFF_CHANGE, "sriov", bdf, "%s: SR-IOV total VFs %lld -> %lld", bdf,
		sd_int(sd_obj(da, "sriov"), "total_vfs", 0),
		sd_int(sd_obj(db, "sriov"), "total_vfs", 0)))
		return -1;
	return 0;
}

static int diff_devices(json_object *a, json_object *b, struct sdiff *d)
{
	json_object *va = sd_arr(a, "devices"), *vb = sd_arr(b, "devices");

	for (size_t i = 0; i < sd_len(va); i++) {
		json_object *da = sd_at(va, i), *db;
		const char *bdf = sd_str(da, "bdf"), *drv = sd_str(da, "driver");

		if (!bdf)
			continue;
		db = sd_device(b, bdf);
		if (!db) {
			if (add(d, is_vfio(drv) ? SDIFF_REGRESSION : SDIFF_CHANGE, "device-gone",
				bdf, "%s [%s:%s] (driver %s) is gone", bdf,
				or_none(sd_str(da, "vendor_id")), or_none(sd_str(da, "device_id")),
				or_none(drv)))
				return -1;
			continue;
		}
		if (diff_device(a, b, da, db, d))
			return -1;
	}
	for (size_t i = 0; i < sd_len(vb); i++) {
		json_object *db = sd_at(vb, i);
		const char *bdf = sd_str(db, "bdf");

		if (bdf && !sd_device(a, bdf) &&
		    add(d, SDIFF_CHANGE, "device-new", bdf, "%s [%s:%s] (driver %s) is new", bdf,
			or_none(sd_str(db, "vendor_id")), or_none(sd_str(db, "device_id")),
			or_none(sd_str(db, "driver"))))
			return -1;
	}
	return 0;
}

static bool minor_param(const char *k)
{
	return strcmp(k, "swiotlb") == 0 || strcmp(k, "pci") == 0 ||
	       strcmp(k, "iommu.forcedac") == 0 || strcmp(k, "intel_iommu.igfx_off") == 0;
}

static int diff_params(json_object *a, json_object *b, struct sdiff *d)
{
	json_object *pa = sd_obj(sd_obj(a, "cmdline"), "params");
	json_object *pb = sd_obj(sd_obj(b, "cmdline"), "params");

	if (!pa || !pb)
		return 0;
	json_object_object_foreach(pa, k, va)
	{
		const char *x = json_object_get_string(va), *y = sd_str(pb, k);

		if (!same_str(x, y) &&
		    add(d, minor_param(k) ? SDIFF_CHANGE : SDIFF_REGRESSION, "param", k,
			"kernel parameter %s=%s %s%s", k, x, y ? "-> " : "removed", y ? y : ""))
			return -1;
	}
	json_object_object_foreach(pb, kb, vb)
	{
		if (!sd_str(pa, kb) &&
		    add(d, minor_param(kb) ? SDIFF_CHANGE : SDIFF_REGRESSION, "param", kb,
			"kernel parameter %s=%s added", kb, json_object_get_string(vb)))
			return -1;
	}
	return 0;
}

/* Build options that set IOMMU, interrupt-remapping and VFIO defaults: a change alters
 * behaviour without any parameter changing. */
static int diff_kconfig(json_object *a, json_object *b, struct sdiff *d)
{
	json_object *ca = sd_obj(sd_obj(a, "kernel"), "config");
	json_object *cb = sd_obj(sd_obj(b, "kernel"), "config");

	if (!ca || !cb)
		return 0;
	json_object_object_foreach(ca, k, va)
	{
		const char *x = json_object_get_string(va), *y = sd_str(cb, k);

		if (!same_str(x, y) &&
		    add(d,
			strcmp(k, "CONFIG_SWIOTLB_DYNAMIC") == 0 ? SDIFF_CHANGE : SDIFF_REGRESSION,
			"kconfig", k, "kernel build option %s=%s -> %s", k, x, y ? y : "absent"))
			return -1;
	}
	json_object_object_foreach(cb, kb, vb)
	{
		if (!sd_str(ca, kb) &&
		    add(d, SDIFF_CHANGE, "kconfig", kb, "kernel build option %s=%s is new", kb,
			json_object_get_string(vb)))
			return -1;
	}
	return 0;
}

static const char *tri_word(int t)
{
	return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "unknown";
}

/* A yes/no fact: losing it is a regression (unknown afterwards: a change), gaining it a change. */
static int diff_fact(struct sdiff *d, const char *kind, const char *what, int x, int y)
{
	if (x == y)
		return 0;
	return add(d, x == TRI_YES && y == TRI_NO ? SDIFF_REGRESSION : SDIFF_CHANGE, kind, what,
		   "%s: %s -> %s", what, tri_word(x), tri_word(y));
}

static int diff_platform(json_object *a, json_object *b, struct sdiff *d)
{
	json_object *fa = sd_obj(a, "firmware"), *fb = sd_obj(b, "firmware");
	json_object *ma = sd_obj(sd_obj(a, "vfio"), "modules"),
		    *mb = sd_obj(sd_obj(b, "vfio"), "modules");

	if (diff_fact(d, "iommu", "IOMMU translating DMA", sd_iommu_active(a),
		      sd_iommu_active(b)) ||
	    diff_fact(d, "irq-remapping", "interrupt remapping", sd_irq_remap(a),
		      sd_irq_remap(b)) ||
	    diff_fact(d, "firmware", "DMAR table (Intel VT-d)", sd_tri(fa, "dmar"),
		      sd_tri(fb, "dmar")) ||
	    diff_fact(d, "firmware", "IVRS table (AMD-Vi)", sd_tri(fa, "ivrs"), sd_tri(fb, "ivrs")))
		return -1;
	if (ma && mb) {
		json_object_object_foreach(ma, k, v)
		{
			const char *x = json_object_get_string(v), *y = sd_str(mb, k);
			bool had = x && strcmp(x, "absent") != 0,
			     has = y && strcmp(y, "absent") != 0;

			if (had && y && !has &&
			    add(d, SDIFF_REGRESSION, "vfio-module", k,
				"VFIO module %s: %s -> absent", k, x))
				return -1;
			if (!had && has &&
			    add(d, SDIFF_CHANGE, "vfio-module", k, "VFIO module %s: %s -> %s", k,
				or_none(x), y))
				return -1;
		}
	}
	return 0;
}

static int diff_rest(json_object *a, json_object *b, struct sdiff *d)
{
	const char *ka = sd_str(sd_obj(a, "kernel"), "release"),
		   *kb = sd_str(sd_obj(b, "kernel"), "release");
	const char *ca = sd_str(sd_obj(a, "cpu"), "vendor"),
		   *cb = sd_str(sd_obj(b, "cpu"), "vendor");
	json_object *sa = sd_obj(a, "security"), *sb = sd_obj(b, "security");
	json_object *wa = sd_obj(a, "swiotlb"), *wb = sd_obj(b, "swiotlb");
	json_object *na = sd_arr(sd_obj(a, "vfio"), "devnodes"),
		    *nb = sd_arr(sd_obj(b, "vfio"), "devnodes");
	json_object *ua = sd_arr(a, "unknown"), *ub = sd_arr(b, "unknown");

	if (!same_str(ka, kb) &&
	    add(d, SDIFF_INFO, "kernel", "kernel", "kernel %s -> %s", or_none(ka), or_none(kb)))
		return -1;
	if (!same_str(ca, cb) &&
	    add(d, SDIFF_CHANGE, "cpu", "cpu", "CPU vendor %s -> %s", or_none(ca), or_none(cb)))
		return -1;
	if (!same_str(sd_str(sa, "lockdown"), sd_str(sb, "lockdown")) &&
	    add(d, SDIFF_CHANGE, "lockdown", "lockdown",
		"kernel lockdown %s -> %s (unsigned modules may no longer load)",
		or_none(sd_str(sa, "lockdown")), or_none(sd_str(sb, "lockdown"))))
		return -1;
	if (diff_fact(d, "secure-boot", "Secure Boot", sd_tri(sa, "secure_boot"),
		      sd_tri(sb, "secure_boot")))
		return -1;
	if (sd_int(wa, "nslabs", -1) != sd_int(wb, "nslabs", -1) &&
	    add(d, SDIFF_CHANGE, "swiotlb", "swiotlb", "swiotlb size %lld -> %lld slots of 2 KiB",
		sd_int(wa, "nslabs", -1), sd_int(wb, "nslabs", -1)))
		return -1;
	for (size_t i = 0; i < sd_len(na); i++) {
		json_object *x = sd_at(na, i), *y = NULL;
		const char *name = sd_str(x, "name");

		for (size_t k = 0; name && k < sd_len(nb); k++)
			if (same_str(name, sd_str(sd_at(nb, k), "name")))
				y = sd_at(nb, k);
		if (!name || !y)
			continue;
		if ((!same_str(sd_str(x, "mode"), sd_str(y, "mode")) ||
		     sd_int(x, "uid", -1) != sd_int(y, "uid", -1) ||
		     sd_int(x, "gid", -1) != sd_int(y, "gid", -1)) &&
		    add(d, SDIFF_CHANGE, "devnode", name,
			"/dev/vfio/%s: %s %lld:%lld -> %s %lld:%lld", name,
			or_none(sd_str(x, "mode")), sd_int(x, "uid", -1), sd_int(x, "gid", -1),
			or_none(sd_str(y, "mode")), sd_int(y, "uid", -1), sd_int(y, "gid", -1)))
			return -1;
	}
	for (size_t i = 0; i < sd_len(ub); i++) {
		const char *w = sd_str(sd_at(ub, i), "what");
		bool known_before = false;

		for (size_t k = 0; w && k < sd_len(ua); k++)
			known_before |= same_str(w, sd_str(sd_at(ua, k), "what"));
		if (w && !known_before &&
		    add(d, SDIFF_INFO, "unknown", w, "B could not tell %s: %s", w,
			or_none(sd_str(sd_at(ub, i), "why"))))
			return -1;
	}
	return 0;
}

/* Stable: by severity, each in the order found. */
static int sort_by_sev(struct sdiff *d)
{
	struct sdiff_item *v = malloc(d->n * sizeof(*v));
	size_t k = 0;

	if (!v)
		return -1;
	for (int sev = SDIFF_REGRESSION; sev <= SDIFF_INFO; sev++)
		for (size_t i = 0; i < d->n; i++)
			if ((int)d->v[i].sev == sev)
				v[k++] = d->v[i];
	free(d->v);
	d->v = v;
	d->cap = d->n;
	return 0;
}

int snapdiff(json_object *a, json_object *b, struct sdiff *out)
{
	memset(out, 0, sizeof(*out));
	if (diff_groups(a, b, out) || diff_devices(a, b, out) || diff_params(a, b, out) ||
	    diff_kconfig(a, b, out) || diff_platform(a, b, out) || diff_rest(a, b, out) ||
	    (out->n && sort_by_sev(out))) {
		sdiff_free(out);
		return -1;
	}
	return 0;
}

void sdiff_free(struct sdiff *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].message);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

const char *sdiff_sev_name(enum sdiff_sev s)
{
	return s == SDIFF_REGRESSION ? "regression" : s == SDIFF_CHANGE ? "change" : "info";
}

json_object *sdiff_json(const struct sdiff *d)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array();

	json_object_object_add(o, "regressions", json_object_new_int64(d->count[SDIFF_REGRESSION]));
	json_object_object_add(o, "changes", json_object_new_int64(d->count[SDIFF_CHANGE]));
	json_object_object_add(o, "info", json_object_new_int64(d->count[SDIFF_INFO]));
	for (size_t i = 0; i < d->n; i++) {
		json_object *it = json_object_new_object();

		json_object_object_add(it, "severity",
				       json_object_new_string(sdiff_sev_name(d->v[i].sev)));
		json_object_object_add(it, "kind", json_object_new_string(d->v[i].kind));
		json_object_object_add(it, "subject", json_object_new_string(d->v[i].subject));
		json_object_object_add(it, "message", json_object_new_string(d->v[i].message));
		json_object_array_add(items, it);
	}
	json_object_object_add(o, "items", items);
	return o;
}
