// SPDX-License-Identifier: GPL-2.0
/* snapdoc.c: validation of, and facts derived from, a snapshot document (see snapdoc.h). */
#include "snapdoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the schema ----------------------------------------------------------------------------- */

enum { T_NULL = 1, T_BOOL = 2, T_INT = 4, T_STR = 8, T_OBJ = 16, T_ARR = 32 };
#define T_TRI (T_NULL | T_BOOL)

struct field {
	const char *key;	 /* NULL ends a list; "*" in an object spec: every member */
	int types;		 /* allowed types */
	const struct field *sub; /* for T_OBJ: its fields; for T_ARR: the fields of each element */
	int elem;		 /* for T_ARR: allowed element types */
};

/* The tables leave sub and elem out where they do not apply. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct field f_kconfig[] = {{"*", T_STR}, {0}};
static const struct field f_kernel[] = {{"release", T_STR | T_NULL},
					{"config", T_OBJ | T_NULL, f_kconfig},
					{"config_source", T_STR | T_NULL},
					{0}};
static const struct field f_params[] = {{"*", T_STR}, {0}};
static const struct field f_cmdline[] = {{"raw", T_STR | T_NULL}, {"params", T_OBJ, f_params}, {0}};
static const struct field f_cpu[] = {{"vendor", T_STR | T_NULL}, {"model", T_STR | T_NULL}, {0}};
static const struct field f_firmware[] = {{"dmar", T_TRI}, {"ivrs", T_TRI}, {0}};
static const struct field f_iommu[] = {
    {"units", T_ARR | T_NULL, NULL, T_STR}, {"irq_remap_chips", T_INT | T_NULL}, {0}};
static const struct field f_fault[] = {
    {"device", T_STR | T_NULL}, {"ts_us", T_INT | T_NULL}, {"line", T_STR}, {0}};
static const struct field f_log[] = {{"source", T_STR | T_NULL},
				     {"complete", T_TRI},
				     {"iommu", T_ARR, NULL, T_STR},
				     {"irq_remapping", T_ARR, NULL, T_STR},
				     {"vfio", T_ARR, NULL, T_STR},
				     {"other", T_ARR, NULL, T_STR},
				     {"faults", T_ARR, f_fault, T_OBJ},
				     {"faults_total", T_INT},
				     {0}};
static const struct field f_group[] = {
    {"id", T_INT}, {"type", T_STR | T_NULL}, {"devices", T_ARR, NULL, T_STR}, {0}};
static const struct field f_sriov[] = {{"total_vfs", T_INT}, {"num_vfs", T_INT}, {0}};
static const struct field f_caps[] = {{"pcie", T_BOOL},
				      {"flr", T_BOOL},
				      {"acs", T_BOOL},
				      {"acs_cap", T_INT | T_NULL},
				      {"acs_ctrl", T_INT | T_NULL},
				      {"ari", T_BOOL},
				      {"sriov", T_BOOL},
				      {0}};
static const struct field f_device[] = {{"bdf", T_STR},
					{"vendor_id", T_STR | T_NULL},
					{"device_id", T_STR | T_NULL},
					{"class", T_STR | T_NULL},
					{"vendor_name", T_STR | T_NULL},
					{"device_name", T_STR | T_NULL},
					{"driver", T_STR | T_NULL},
					{"iommu_group", T_INT | T_NULL},
					{"dma_mask_bits", T_INT | T_NULL},
					{"reset_methods", T_ARR | T_NULL, NULL, T_STR},
					{"sriov", T_OBJ | T_NULL, f_sriov},
					{"physfn", T_STR | T_NULL},
					{"caps", T_OBJ | T_NULL, f_caps},
					{0}};
static const struct field f_modules[] = {{"*", T_STR | T_NULL}, {0}};
static const struct field f_node[] = {{"name", T_STR},
				      {"mode", T_STR},
				      {"uid", T_INT},
				      {"gid", T_INT},
				      {"owner", T_STR | T_NULL},
				      {"group", T_STR | T_NULL},
				      {0}};
static const struct field f_vfio[] = {
    {"modules", T_OBJ, f_modules}, {"devnodes", T_ARR | T_NULL, f_node, T_OBJ}, {0}};
static const struct field f_swiotlb[] = {{"present", T_TRI},
					 {"nslabs", T_INT | T_NULL},
					 {"used", T_INT | T_NULL},
					 {"hiwater", T_INT | T_NULL},
					 {"slab_bytes", T_INT},
					 {"mapped_mb", T_INT | T_NULL},
					 {0}};
static const struct field f_security[] = {
    {"lockdown", T_STR | T_NULL}, {"efi", T_TRI}, {"secure_boot", T_TRI}, {0}};
static const struct field f_unknown[] = {{"what", T_STR}, {"why", T_STR}, {0}};
static const struct field f_doc[] = {{"format", T_STR},
				     {"version", T_INT},
				     {"tool", T_STR},
				     {"taken_at", T_STR},
				     {"hostname", T_STR | T_NULL},
				     {"source_root", T_STR},
				     {"kernel", T_OBJ, f_kernel},
				     {"cmdline", T_OBJ, f_cmdline},
				     {"cpu", T_OBJ, f_cpu},
				     {"firmware", T_OBJ, f_firmware},
				     {"iommu", T_OBJ, f_iommu},
				     {"kernel_log", T_OBJ, f_log},
				     {"groups", T_ARR | T_NULL, f_group, T_OBJ},
				     {"devices", T_ARR, f_device, T_OBJ},
				     {"vfio", T_OBJ, f_vfio},
				     {"swiotlb", T_OBJ, f_swiotlb},
				     {"security", T_OBJ, f_security},
				     {"unknown", T_ARR, f_unknown, T_OBJ},
				     {0}};
#pragma GCC diagnostic pop

static int type_of(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return T_NULL;
	case json_type_boolean:
		return T_BOOL;
	case json_type_int:
		return T_INT;
	case json_type_string:
		return T_STR;
	case json_type_object:
		return T_OBJ;
	case json_type_array:
		return T_ARR;
	default: /* double */
		return 0;
	}
}

static const char *type_names(int types, char *buf, size_t len)
{
	static const char *const names[] = {"null",   "boolean", "integer",
					    "string", "object",	 "array"};
	size_t off = 0;

	buf[0] = 0;
	for (int i = 5; i >= 0; i--) {
		if (!(types & (1 << i)))
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? " or " : "",
				names[i]);
	}
	return buf;
}

static int check_fields(json_object *o, const struct field *spec, const char *path, char *err,
			size_t errlen);

static int check_value(json_object *v, const struct field *f, const char *path, char *err,
		       size_t errlen)
{
	char want[64], sub[256];
	int t = type_of(v);

	if (!(t & f->types)) {
		snprintf(err, errlen, "%s: expected %s", path,
			 type_names(f->types, want, sizeof(want)));
		return -1;
	}
	if (t == T_OBJ && f->sub)
		return check_fields(v, f->sub, path, err, errlen);
	if (t == T_ARR) {
		size_t n = json_object_array_length(v);

		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);
			struct field ef = {f->key, f->elem, f->sub, 0};

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (check_value(e, &ef, sub, err, errlen))
				return -1;
		}
	}
	return 0;
}

static int check_fields(json_object *o, const struct field *spec, const char *path, char *err,
			size_t errlen)
{
	char sub[256];

	for (const struct field *f = spec; f->key; f++) {
		json_object *v;

		if (strcmp(f->key, "*") == 0) {
			json_object_object_foreach(o, k, mv)
			{
				snprintf(sub, sizeof(sub), "%s.%s", path, k);
				if (check_value(mv, f, sub, err, errlen))
					return -1;
			}
			continue;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", f->key);
		if (!json_object_object_get_ex(o, f->key, &v)) {
			snprintf(err, errlen, "%s: missing", sub);
			return -1;
		}
		if (check_value(v, f, sub, err, errlen))
			return -1;
	}
	return 0;
}

int snapdoc_validate(json_object *doc, char *err, size_t errlen)
{
	const char *fmt;
	long long ver;

	if (type_of(doc) != T_OBJ) {
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	fmt = sd_str(doc, "format");
	if (!fmt || strcmp(fmt, SNAPDOC_FORMAT) != 0) {
		snprintf(err, errlen, "not an iommutrace snapshot (\"format\" is not \"%s\")",
			 SNAPDOC_FORMAT);
		return -1;
	}
	ver = sd_int(doc, "version", -1);
	if (!json_object_is_type(json_object_object_get(doc, "version"), json_type_int)) {
		snprintf(err, errlen, "\"version\" is not an integer");
		return -1;
	}
	if (ver != SNAPDOC_VERSION) {
		snprintf(err, errlen, "snapshot version %lld; this iommutrace reads version %d",
			 ver, SNAPDOC_VERSION);
		return -1;
	}
	return check_fields(doc, f_doc, "", err, errlen);
}

json_object *snapdoc_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *doc;
	size_t used;

	if (len == 0) {
		snprintf(err, errlen, "empty file");
		return NULL;
	}
	if (len > (size_t)0x7fffffff || memchr(buf, 0, len)) {
		snprintf(err, errlen, "not a JSON text (binary data)");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	doc = json_tokener_parse_ex(tok, buf, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (!doc) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(err, errlen, "not valid JSON at byte %zu: %s", used,
			 e == json_tokener_continue ? "unexpected end of file"
						    : json_tokener_error_desc(e));
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	for (; used < len; used++) {
		if (!strchr(" \t\r\n", buf[used])) {
			snprintf(err, errlen, "trailing data after the JSON document at byte %zu",
				 used);
			json_object_put(doc);
			return NULL;
		}
	}
	if (snapdoc_validate(doc, err, errlen)) {
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

json_object *snapdoc_load(const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t cap = 1 << 16, len = 0, n;
	char *buf;
	json_object *doc = NULL;
	char why[256];

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *nb = cap >= (64u << 20) ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				snprintf(err, errlen, "%s: larger than 64 MiB, not a snapshot",
					 path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (buf) {
		doc = snapdoc_parse(buf, len, why, sizeof(why));
		if (!doc)
			snprintf(err, errlen, "%s: %s", path, why);
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	return doc;
}

/* --- typed access --------------------------------------------------------------------------- */

static json_object *get(json_object *o, const char *key, enum json_type t)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *sd_str(json_object *o, const char *key)
{
	json_object *v = get(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

long long sd_int(json_object *o, const char *key, long long def)
{
	json_object *v = get(o, key, json_type_int);

	return v ? (long long)json_object_get_int64(v) : def;
}

int sd_tri(json_object *o, const char *key)
{
	json_object *v = get(o, key, json_type_boolean);

	return v ? (json_object_get_boolean(v) ? TRI_YES : TRI_NO) : TRI_UNKNOWN;
}

json_object *sd_obj(json_object *o, const char *key)
{
	return get(o, key, json_type_object);
}

json_object *sd_arr(json_object *o, const char *key)
{
	return get(o, key, json_type_array);
}

size_t sd_len(json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

json_object *sd_at(json_object *arr, size_t i)
{
	return i < sd_len(arr) ? json_object_array_get_idx(arr, i) : NULL;
}

bool sd_has_str(json_object *arr, const char *s)
{
	for (size_t i = 0; i < sd_len(arr); i++) {
		const char *v = json_object_get_string(sd_at(arr, i));

		if (v && json_object_is_type(sd_at(arr, i), json_type_string) && strcmp(v, s) == 0)
			return true;
	}
	return false;
}

json_object *sd_device(json_object *doc, const char *bdf)
{
	json_object *devs = sd_arr(doc, "devices");

	for (size_t i = 0; i < sd_len(devs); i++) {
		const char *b = sd_str(sd_at(devs, i), "bdf");

		if (b && strcmp(b, bdf) == 0)
			return sd_at(devs, i);
	}
	return NULL;
}

int sd_norm_bdf(const char *in, char *out, size_t len)
{
	unsigned dom = 0, bus, dev, fn;
	char tail;

	if (!in)
		return -1;
	if (sscanf(in, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(in, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3)
			return -1;
	}
	if (dev > 31 || fn > 7 || strlen(in) > 12)
		return -1;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

const char *sd_kconfig(json_object *doc, const char *key)
{
	return sd_str(sd_obj(sd_obj(doc, "kernel"), "config"), key);
}

const char *sd_param(json_object *doc, const char *key)
{
	return sd_str(sd_obj(sd_obj(doc, "cmdline"), "params"), key);
}

int sd_onoff(const char *value)
{
	int r = TRI_UNKNOWN;
	const char *p = value;

	while (p && *p) {
		size_t n = strcspn(p, ",");

		if ((n == 2 && strncmp(p, "on", 2) == 0) || (n == 1 && *p == '1'))
			r = TRI_YES;
		else if ((n == 3 && strncmp(p, "off", 3) == 0) || (n == 1 && *p == '0'))
			r = TRI_NO;
		p += n + (p[n] == ',');
	}
	return r;
}

const char *sd_iommu_vendor(json_object *doc)
{
	json_object *fw = sd_obj(doc, "firmware");
	const char *cpu = sd_str(sd_obj(doc, "cpu"), "vendor");

	if (sd_tri(fw, "dmar") == TRI_YES)
		return "intel";
	if (sd_tri(fw, "ivrs") == TRI_YES)
		return "amd";
	if (cpu && strcmp(cpu, "GenuineIntel") == 0)
		return "intel";
	if (cpu && (strcmp(cpu, "AuthenticAMD") == 0 || strcmp(cpu, "HygonGenuine") == 0))
		return "amd";
	return NULL;
}

/* The lines IOMMU drivers print once they translate DMA (not the parameter echo "DMAR: IOMMU
 * enabled", which intel_iommu=on prints even without any IOMMU hardware). */
static const char *const active_lines[] = {
    "Intel(R) Virtualization Technology for Directed I/O",
    "AMD-Vi: Found IOMMU",
    "AMD-Vi: Lazy IO/TLB flushing enabled",
    "AMD-Vi: Interrupt remapping enabled",
    "perf/amd_iommu: Detected AMD IOMMU",
    "Adding to iommu group",
};

int sd_iommu_active(json_object *doc)
{
	json_object *iommu = sd_obj(doc, "iommu"), *units = sd_arr(iommu, "units");
	json_object *groups = sd_arr(doc, "groups"), *log = sd_obj(doc, "kernel_log");
	json_object *lines = sd_arr(log, "iommu");

	if (sd_len(units) > 0 || sd_len(groups) > 0)
		return TRI_YES;
	for (size_t i = 0; i < sd_len(lines); i++) {
		const char *l = json_object_get_string(sd_at(lines, i));

		for (size_t k = 0; l && k < sizeof(active_lines) / sizeof(active_lines[0]); k++)
			if (strstr(l, active_lines[k]))
				return TRI_YES;
	}
	/* No units and no groups, both read: nothing translates. */
	if (units && groups)
		return TRI_NO;
	return TRI_UNKNOWN;
}

int sd_irq_remap(json_object *doc)
{
	json_object *log = sd_obj(doc, "kernel_log"), *lines = sd_arr(log, "irq_remapping");
	long long chips = sd_int(sd_obj(doc, "iommu"), "irq_remap_chips", -1);
	int from_log = TRI_UNKNOWN;

	for (size_t i = 0; i < sd_len(lines); i++) {
		const char *l = json_object_get_string(sd_at(lines, i));

		if (!l)
			continue;
		if (strstr(l, "Enabled IRQ remapping") || strstr(l, "Interrupt remapping enabled"))
			from_log = TRI_YES;
		else if (from_log != TRI_YES &&
			 (strcasestr(l, "disabl") || strstr(l, "Not enabling") ||
			  strstr(l, "Failed to enable") || strstr(l, "doesn't support")))
			from_log = TRI_NO;
	}
	if (from_log == TRI_YES || chips > 0)
		return TRI_YES;
	if (from_log == TRI_NO)
		return TRI_NO;
	/* Interrupts were listed and none goes through a remapping chip. */
	if (chips == 0)
		return TRI_NO;
	return TRI_UNKNOWN;
}

size_t sd_group_size(json_object *doc, const char *bdf)
{
	json_object *dev = sd_device(doc, bdf);
	long long g = sd_int(dev, "iommu_group", -1);
	json_object *groups = sd_arr(doc, "groups");

	if (g < 0)
		return 0;
	for (size_t i = 0; i < sd_len(groups); i++)
		if (sd_int(sd_at(groups, i), "id", -2) == g)
			return sd_len(sd_arr(sd_at(groups, i), "devices"));
	return 1;
}

bool sd_driver_vfio_viable(const char *driver)
{
	return !driver || !driver[0] || strncmp(driver, "vfio", 4) == 0 ||
	       strcmp(driver, "pci-stub") == 0 || strcmp(driver, "pcieport") == 0;
}

bool sd_is_bridge(json_object *dev)
{
	const char *cls = sd_str(dev, "class");

	return cls && strncmp(cls, "0x06", 4) == 0 && strlen(cls) == 8;
}
