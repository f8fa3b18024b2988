// SPDX-License-Identifier: GPL-2.0
/* hostinfo.c: collecting the passthrough health snapshot (see hostinfo.h, snapdoc.h). */
#include "hostinfo.h"
#include "snapdoc.h"

#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_LOG_LINES	60
#define MAX_FAULT_LINES 50

struct ctx {
	char root[PATH_MAX];
	json_object *doc, *unknown;
};

static void unknown(struct ctx *c, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void unknown(struct ctx *c, const char *what, const char *fmt, ...)
{
	json_object *u = json_object_new_object();
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	json_object_object_add(u, "what", json_object_new_string(what));
	json_object_object_add(u, "why", json_object_new_string(why));
	json_object_array_add(c->unknown, u);
}

static const char *errno_why(int err)
{
	return err == EACCES || err == EPERM ? "permission denied (run as root)" : strerror(err);
}

static void path(const struct ctx *c, char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s%s", c->root, rel);
}

/*
 * The name of a uid in the inspected root's /etc/passwd, or of a gid in its /etc/group: both are
 * lines "name:password:id:...". Read directly, not with getpwuid/getgrgid: those load the host's
 * NSS modules, which the static binary must never do (a static glibc crashes in a module built for
 * another one). NULL where the file or the id is not there.
 */
static const char *id_name(const struct ctx *c, const char *file, unsigned int id, char *name,
			   size_t len)
{
	char p[PATH_MAX], line[1024];
	const char *found = NULL;
	FILE *f;

	path(c, p, sizeof(p), file);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *n = strtok_r(line, ":", &save);
		char *pw = n ? strtok_r(NULL, ":", &save) : NULL;
		char *num = pw ? strtok_r(NULL, ":", &save) : NULL, *end;

		if (num && *num && strtoul(num, &end, 10) == id && *end == '\0') {
			snprintf(name, len, "%s", n);
			found = name;
		}
	}
	fclose(f);
	return found;
}

/* Reads a small file into buf (NUL-terminated, trailing newline stripped); -1 with errno set. */
static ssize_t read_text(const struct ctx *c, const char *rel, char *buf, size_t len)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	path(c, p, sizeof(p), rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return n;
}

static bool exists(const struct ctx *c, const char *rel)
{
	char p[PATH_MAX];

	path(c, p, sizeof(p), rel);
	return access(p, F_OK) == 0;
}

static int link_base(const struct ctx *c, const char *rel, char *out, size_t len)
{
	char p[PATH_MAX], buf[PATH_MAX];
	ssize_t n;

	path(c, p, sizeof(p), rel);
	n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0)
		return -1;
	buf[n] = 0;
	snprintf(out, len, "%s", basename(buf));
	return 0;
}

static json_object *str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static json_object *tri_json(int t)
{
	return t == TRI_UNKNOWN ? NULL : json_object_new_boolean(t == TRI_YES);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a directory (without . and ..); NULL with errno if it cannot be read. */
static char **list_dir(const struct ctx *c, const char *rel, size_t *n)
{
	char p[PATH_MAX];
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	path(c, p, sizeof(p), rel);
	d = opendir(p);
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (!v)
		v = calloc(1, sizeof(*v));
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Numeric-aware order for group directories. */
static int cmp_num(const void *a, const void *b)
{
	long x = atol(*(char *const *)a), y = atol(*(char *const *)b);

	return (x > y) - (x < y);
}

/* --- kernel build configuration ------------------------------------------------------------ */

/* The options that set IOMMU, interrupt-remapping and VFIO defaults. */
static const char *const kconfig_keys[] = {
    "CONFIG_IOMMU_SUPPORT",
    "CONFIG_INTEL_IOMMU",
    "CONFIG_AMD_IOMMU",
    "CONFIG_INTEL_IOMMU_DEFAULT_ON",
    "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF",
    "CONFIG_INTEL_IOMMU_DEFAULT_OFF",
    "CONFIG_IOMMU_DEFAULT_DMA_STRICT",
    "CONFIG_IOMMU_DEFAULT_DMA_LAZY",
    "CONFIG_IOMMU_DEFAULT_PASSTHROUGH",
    "CONFIG_IRQ_REMAP",
    "CONFIG_VFIO",
    "CONFIG_VFIO_IOMMU_TYPE1",
    "CONFIG_VFIO_PCI",
    "CONFIG_SWIOTLB_DYNAMIC",
};

/* "CONFIG_X=y" or "# CONFIG_X is not set" for one of the keys: records "y", "m" or "n". */
static void kconfig_line(json_object *cfg, const char *line)
{
	const char *p = line[0] == '#' ? line + 2 : line;

	for (size_t k = 0; k < sizeof(kconfig_keys) / sizeof(kconfig_keys[0]); k++) {
		size_t n = strlen(kconfig_keys[k]);

		if (strncmp(p, kconfig_keys[k], n) != 0)
			continue;
		if (line[0] == '#' && strncmp(p + n, " is not set", 11) == 0)
			json_object_object_add(cfg, kconfig_keys[k], json_object_new_string("n"));
		else if (line[0] != '#' && p[n] == '=' && (p[n + 1] == 'y' || p[n + 1] == 'm'))
			json_object_object_add(cfg, kconfig_keys[k],
					       json_object_new_string(p[n + 1] == 'y' ? "y" : "m"));
	}
}

/* /boot/config-RELEASE, else /proc/config.gz (CONFIG_IKCONFIG_PROC). */
static void collect_kconfig(struct ctx *c, json_object *kernel, const char *release)
{
	json_object *cfg = json_object_new_object();
	char p[PATH_MAX], rel[PATH_MAX], line[512], src[PATH_MAX] = "";
	FILE *f = NULL;
	gzFile gz = NULL;

	if (release[0]) {
		snprintf(rel, sizeof(rel), "/boot/config-%s", release);
		path(c, p, sizeof(p), rel);
		f = fopen(p, "r");
		if (f)
			snprintf(src, sizeof(src), "%s", rel);
	}
	if (!f) {
		path(c, p, sizeof(p), "/proc/config.gz");
		gz = gzopen(p, "rb");
		if (gz)
			snprintf(src, sizeof(src), "/proc/config.gz");
	}
	while (f && fgets(line, sizeof(line), f))
		kconfig_line(cfg, line);
	while (gz && gzgets(gz, line, sizeof(line)))
		kconfig_line(cfg, line);
	if (f)
		fclose(f);
	if (gz)
		gzclose(gz);
	if (!src[0] || json_object_object_length(cfg) == 0) {
		unknown(c, "kernel.config", "%s",
			src[0] ? "no IOMMU options in the kernel config"
			       : "no /boot/config-RELEASE and no "
				 "/proc/config.gz");
		json_object_put(cfg);
		cfg = NULL;
	}
	json_object_object_add(kernel, "config", cfg);
	json_object_object_add(kernel, "config_source", cfg ? json_object_new_string(src) : NULL);
}

/* --- kernel command line -------------------------------------------------------------------- */

static const char *const cmdline_keys[] = {
    "intel_iommu",
    "amd_iommu",
    "iommu",
    "iommu.strict",
    "iommu.passthrough",
    "iommu.forcedac",
    "swiotlb",
    "pcie_acs_override",
    "vfio-pci.ids",
    "intremap",
    "nointremap",
    "amd_iommu_intr",
    "vfio_iommu_type1.allow_unsafe_interrupts",
    "pci",
    "intel_iommu.igfx_off",
};

json_object *hostinfo_cmdline_params(const char *cmdline)
{
	json_object *params = json_object_new_object();
	const char *p = cmdline ? cmdline : "";

	while (*p) {
		char tok[1024], key[128];
		const char *eq, *val;
		size_t n = 0;
		bool quote = false;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		/* A parameter ends at a space outside double quotes; quotes are dropped. */
		for (; *p && (quote || !isspace((unsigned char)*p)); p++) {
			if (*p == '"')
				quote = !quote;
			else if (n < sizeof(tok) - 1)
				tok[n++] = *p;
		}
		tok[n] = 0;
		if (strcmp(tok, "--") == 0)
			break; /* the rest goes to init */
		eq = strchr(tok, '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq ? eq - tok : (long)n), tok);
		val = eq ? eq + 1 : "";
		/* Module parameters spell '-' and '_' alike: record vfio_pci.ids as vfio-pci.ids.
		 */
		if (strncmp(key, "vfio_pci.", 9) == 0)
			key[4] = '-';
		for (size_t k = 0; k < sizeof(cmdline_keys) / sizeof(cmdline_keys[0]); k++) {
			json_object *old;
			char joined[2048];

			if (strcmp(key, cmdline_keys[k]) != 0)
				continue;
			if (json_object_object_get_ex(params, key, &old)) {
				snprintf(joined, sizeof(joined), "%s,%s",
					 json_object_get_string(old), val);
				val = joined;
			}
			json_object_object_add(params, key, json_object_new_string(val));
			break;
		}
	}
	return params;
}

static void collect_cmdline(struct ctx *c)
{
	char buf[8192];
	json_object *o = json_object_new_object();

	if (read_text(c, "/proc/cmdline", buf, sizeof(buf)) < 0) {
		unknown(c, "cmdline", "/proc/cmdline: %s", errno_why(errno));
		json_object_object_add(o, "raw", NULL);
		json_object_object_add(o, "params", json_object_new_object());
	} else {
		json_object_object_add(o, "raw", json_object_new_string(buf));
		json_object_object_add(o, "params", hostinfo_cmdline_params(buf));
	}
	json_object_object_add(c->doc, "cmdline", o);
}

static void collect_cpu(struct ctx *c)
{
	char p[PATH_MAX], line[512], vendor[64] = "", model[256] = "";
	json_object *o = json_object_new_object();
	FILE *f;

	path(c, p, sizeof(p), "/proc/cpuinfo");
	f = fopen(p, "r");
	if (f) {
		while (fgets(line, sizeof(line), f) && (!vendor[0] || !model[0])) {
			char *v = strchr(line, ':');

			if (!v)
				continue;
			v += 1 + (v[1] == ' ');
			v[strcspn(v, "\n")] = 0;
			if (!vendor[0] && strncmp(line, "vendor_id", 9) == 0)
				snprintf(vendor, sizeof(vendor), "%s", v);
			else if (!model[0] && strncmp(line, "model name", 10) == 0)
				snprintf(model, sizeof(model), "%s", v);
		}
		fclose(f);
	}
	if (!vendor[0])
		unknown(c, "cpu.vendor", "no vendor_id in /proc/cpuinfo%s",
			f ? "" : " (cannot read it)");
	json_object_object_add(o, "vendor", str_or_null(vendor));
	json_object_object_add(o, "model", str_or_null(model));
	json_object_object_add(c->doc, "cpu", o);
}

static void collect_firmware(struct ctx *c)
{
	json_object *o = json_object_new_object();
	bool acpi = exists(c, "/sys/firmware/acpi/tables");

	if (!acpi)
		unknown(c, "firmware",
			"no /sys/firmware/acpi/tables (not an ACPI system, or sysfs "
			"not mounted)");
	json_object_object_add(
	    o, "dmar", tri_json(acpi ? exists(c, "/sys/firmware/acpi/tables/DMAR") : TRI_UNKNOWN));
	json_object_object_add(
	    o, "ivrs", tri_json(acpi ? exists(c, "/sys/firmware/acpi/tables/IVRS") : TRI_UNKNOWN));
	json_object_object_add(c->doc, "firmware", o);
}

static void collect_iommu(struct ctx *c)
{
	json_object *o = json_object_new_object(), *units = NULL;
	char p[PATH_MAX], line[1024];
	size_t n;
	char **v = list_dir(c, "/sys/class/iommu", &n);
	FILE *f;

	if (v) {
		units = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(units, json_object_new_string(v[i]));
		free_list(v, n);
	} else {
		unknown(c, "iommu.units", "/sys/class/iommu: %s", errno_why(errno));
	}
	json_object_object_add(o, "units", units);
	/* Interrupts delivered through a remapping domain have an "IR-" chip name. */
	path(c, p, sizeof(p), "/proc/interrupts");
	f = fopen(p, "r");
	if (f) {
		long chips = 0;

		while (fgets(line, sizeof(line), f))
			if (strstr(line, " IR-"))
				chips++;
		fclose(f);
		json_object_object_add(o, "irq_remap_chips", json_object_new_int64(chips));
	} else {
		unknown(c, "iommu.irq_remap_chips", "/proc/interrupts: %s", errno_why(errno));
		json_object_object_add(o, "irq_remap_chips", NULL);
	}
	json_object_object_add(c->doc, "iommu", o);
}

/* --- kernel log ------------------------------------------------------------------------------ */

struct logsum {
	json_object *iommu, *irq, *vfio, *other, *faults;
	long faults_total;
	long swiotlb_mb;
};

static void add_capped(json_object *arr, const char *msg, size_t max)
{
	if (json_object_array_length(arr) < max)
		json_object_array_add(arr, json_object_new_string(msg));
}

/* "Request device [00:03.0]" (VT-d), "device=0000:01:00.0" / "device=01:00.0" (AMD-Vi). */
static void fault_device(const char *msg, char *out, size_t len)
{
	const char *p = strstr(msg, "Request device [");
	char raw[32];

	out[0] = 0;
	if (p)
		p += strlen("Request device [");
	else if ((p = strstr(msg, "device=")))
		p += strlen("device=");
	if (!p)
		return;
	snprintf(raw, sizeof(raw), "%.*s", (int)strcspn(p, "] "), p);
	if (sd_norm_bdf(raw, out, len))
		out[0] = 0;
}

static bool is_fault(const char *m)
{
	return strstr(m, "DMAR: [DMA ") || strstr(m, "DMAR: [INTR-REMAP") ||
	       strstr(m, "IO_PAGE_FAULT") || strstr(m, "[fault reason") ||
	       (strstr(m, "AMD-Vi") && strstr(m, "Event logged"));
}

static void classify(struct logsum *s, const char *m, long long ts_us)
{
	const char *sw;

	if (is_fault(m)) {
		json_object *f = json_object_new_object();
		char dev[32];

		/* One VT-d fault is two lines; count the one that names the device. */
		fault_device(m, dev, sizeof(dev));
		if (!dev[0] && strstr(m, "[fault reason") && !strstr(m, "Request device")) {
			json_object_put(f);
			return;
		}
		s->faults_total++;
		json_object_object_add(f, "device", str_or_null(dev));
		json_object_object_add(f, "ts_us", json_object_new_int64(ts_us));
		json_object_object_add(f, "line", json_object_new_string(m));
		if (json_object_array_length(s->faults) >= MAX_FAULT_LINES)
			json_object_array_del_idx(s->faults, 0, 1); /* keep the latest */
		json_object_array_add(s->faults, f);
		return;
	}
	if (strstr(m, "IRQ remapping") || strstr(m, "Interrupt remapping") ||
	    strstr(m, "DMAR-IR:") || strstr(m, "AMD-Vi: Interrupt"))
		add_capped(s->irq, m, MAX_LOG_LINES);
	else if (strstr(m, "Adding to iommu group"))
		; /* the groups themselves are in the snapshot */
	else if (strstr(m, "DMAR:") || strstr(m, "AMD-Vi:") || strstr(m, "iommu:") ||
		 strstr(m, "IOMMU") || strstr(m, "amd_iommu"))
		add_capped(s->iommu, m, MAX_LOG_LINES);
	else if (strstr(m, "vfio") || strstr(m, "VFIO"))
		add_capped(s->vfio, m, MAX_LOG_LINES);
	else if (strstr(m, "Lockdown:") || strstr(m, "Secure boot") || strstr(m, "secureboot:") ||
		 strstr(m, "software IO TLB") || strstr(m, "swiotlb"))
		add_capped(s->other, m, MAX_LOG_LINES);
	if ((sw = strstr(m, "software IO TLB: mapped")) && (sw = strrchr(sw, '(')))
		s->swiotlb_mb = atol(sw + 1);
}

/* /dev/kmsg records: "prio,seq,ts_us,flags;message", continuation lines start with a space. A
 * regular file (a recorded log) holds them one per line. */
static void collect_log(struct ctx *c, long *swiotlb_mb)
{
	struct logsum s = {json_object_new_array(),
			   json_object_new_array(),
			   json_object_new_array(),
			   json_object_new_array(),
			   json_object_new_array(),
			   0,
			   -1};
	json_object *o = json_object_new_object();
	char p[PATH_MAX], rec[8192];
	long long first_seq = -1;
	int fd, complete = TRI_UNKNOWN;
	char *acc = NULL;
	size_t alen = 0, acap = 0;

	path(c, p, sizeof(p), "/dev/kmsg");
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		unknown(c, "kernel_log", "/dev/kmsg: %s", errno_why(errno));
	} else {
		for (;;) {
			ssize_t n = read(fd, rec, sizeof(rec));

			if (n < 0 && errno == EPIPE)
				continue; /* a record was overwritten while we read */
			if (n <= 0)
				break;
			if (alen + n + 1 > acap) {
				char *na = realloc(acc, acap = (alen + n + 1) * 2);

				if (!na)
					break;
				acc = na;
			}
			memcpy(acc + alen, rec, n);
			alen += n;
		}
		close(fd);
	}
	for (char *line = acc, *next; line && line < acc + alen; line = next) {
		char *semi, *nl = memchr(line, '\n', acc + alen - line);
		long long seq = 0, ts = 0;
		int pri;

		if (!nl)
			nl = acc + alen;
		*nl = 0;
		next = nl + 1;
		semi = strchr(line, ';');
		if (line[0] == ' ' || !semi || sscanf(line, "%d,%lld,%lld", &pri, &seq, &ts) != 3)
			continue;
		if (first_seq < 0)
			first_seq = seq;
		classify(&s, semi + 1, ts);
	}
	free(acc);
	if (first_seq >= 0)
		complete = first_seq == 0 ? TRI_YES : TRI_NO;
	if (complete == TRI_NO)
		unknown(c, "kernel_log.boot",
			"the kernel log no longer holds the boot messages (first record %lld): "
			"IOMMU and interrupt-remapping lines may be missing",
			first_seq);
	json_object_object_add(o, "source", fd >= 0 ? json_object_new_string("/dev/kmsg") : NULL);
	json_object_object_add(o, "complete", tri_json(complete));
	json_object_object_add(o, "iommu", s.iommu);
	json_object_object_add(o, "irq_remapping", s.irq);
	json_object_object_add(o, "vfio", s.vfio);
	json_object_object_add(o, "other", s.other);
	json_object_object_add(o, "faults", s.faults);
	json_object_object_add(o, "faults_total", json_object_new_int64(s.faults_total));
	json_object_object_add(c->doc, "kernel_log", o);
	*swiotlb_mb = s.swiotlb_mb;
}

/* --- IOMMU groups and PCI devices ----------------------------------------------------------- */

static void collect_groups(struct ctx *c)
{
	size_t n;
	char **ids = list_dir(c, "/sys/kernel/iommu_groups", &n);
	json_object *arr;

	if (!ids) {
		unknown(c, "groups", "/sys/kernel/iommu_groups: %s", errno_why(errno));
		json_object_object_add(c->doc, "groups", NULL);
		return;
	}
	qsort(ids, n, sizeof(*ids), cmp_num);
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *g = json_object_new_object(), *devs = json_object_new_array();
		char rel[PATH_MAX], type[32];
		size_t nd;
		char **d;

		snprintf(rel, sizeof(rel), "/sys/kernel/iommu_groups/%s/type", ids[i]);
		json_object_object_add(g, "id", json_object_new_int(atoi(ids[i])));
		json_object_object_add(g, "type",
				       read_text(c, rel, type, sizeof(type)) > 0 ? str_or_null(type)
										 : NULL);
		snprintf(rel, sizeof(rel), "/sys/kernel/iommu_groups/%s/devices", ids[i]);
		d = list_dir(c, rel, &nd);
		for (size_t k = 0; d && k < nd; k++)
			json_object_array_add(devs, json_object_new_string(d[k]));
		free_list(d, nd);
		json_object_object_add(g, "devices", devs);
		json_object_array_add(arr, g);
	}
	free_list(ids, n);
	json_object_object_add(c->doc, "groups", arr);
}

static unsigned cfg16(const unsigned char *b, size_t off)
{
	return b[off] | b[off + 1] << 8;
}

static unsigned cfg32(const unsigned char *b, size_t off)
{
	return cfg16(b, off) | cfg16(b, off + 2) << 16;
}

/* Capabilities from config space: PCIe (FLR in DevCap), the conventional AF capability (FLR),
 * and the extended ACS, ARI and SR-IOV capabilities. */
static json_object *parse_caps(const unsigned char *cfg, size_t len)
{
	json_object *o = json_object_new_object();
	bool pcie = false, flr = false, acs = false, ari = false, sriov = false;
	int acs_cap = -1, acs_ctrl = -1;

	if (cfg16(cfg, 6) & 0x10) { /* status: capabilities list */
		unsigned pos = cfg[0x34] & 0xfc;

		for (int guard = 0; pos >= 0x40 && pos + 8 <= len && guard < 48; guard++) {
			unsigned id = cfg[pos];

			if (id == 0x10) { /* PCI Express */
				pcie = true;
				if (cfg32(cfg, pos + 4) & (1u << 28))
					flr = true;
			} else if (id == 0x13 && (cfg[pos + 3] & 0x02)) { /* AF: FLR */
				flr = true;
			}
			pos = cfg[pos + 1] & 0xfc;
		}
	}
	if (len >= 0x104 && pcie) {
		unsigned pos = 0x100;

		for (int guard = 0; pos >= 0x100 && pos + 8 <= len && guard < 96; guard++) {
			unsigned h = cfg32(cfg, pos);

			if (h == 0 || h == 0xffffffff)
				break;
			switch (h & 0xffff) {
			case 0x000d:
				acs = true;
				acs_cap = cfg16(cfg, pos + 4);
				acs_ctrl = cfg16(cfg, pos + 6);
				break;
			case 0x000e:
				ari = true;
				break;
			case 0x0010:
				sriov = true;
				break;
			}
			pos = (h >> 20) & 0xffc;
		}
	}
	json_object_object_add(o, "pcie", json_object_new_boolean(pcie));
	json_object_object_add(o, "flr", json_object_new_boolean(flr));
	json_object_object_add(o, "acs", json_object_new_boolean(acs));
	json_object_object_add(o, "acs_cap", acs_cap >= 0 ? json_object_new_int(acs_cap) : NULL);
	json_object_object_add(o, "acs_ctrl", acs_ctrl >= 0 ? json_object_new_int(acs_ctrl) : NULL);
	json_object_object_add(o, "ari", json_object_new_boolean(ari));
	json_object_object_add(o, "sriov", json_object_new_boolean(sriov));
	return o;
}

static json_object *read_caps(struct ctx *c, const char *bdf, int *unknown_caps)
{
	char p[PATH_MAX], rel[PATH_MAX];
	unsigned char cfg[4096];
	ssize_t n = 0, r;
	struct stat st;
	int fd;

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/config", bdf);
	path(c, p, sizeof(p), rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		(*unknown_caps)++;
		return NULL;
	}
	while (n < (ssize_t)sizeof(cfg) && (r = pread(fd, cfg + n, sizeof(cfg) - n, n)) > 0)
		n += r;
	if (fstat(fd, &st) < 0)
		st.st_size = n;
	close(fd);
	/* Without CAP_SYS_ADMIN the kernel returns only the first 64 bytes. */
	if (n < 0x40 || (n <= 0x40 && st.st_size > 0x40)) {
		(*unknown_caps)++;
		return NULL;
	}
	return parse_caps(cfg, (size_t)n);
}

static json_object *read_hex_id(struct ctx *c, const char *bdf, const char *attr, int digits)
{
	char rel[PATH_MAX], buf[32], out[16];
	unsigned long v;

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	if (read_text(c, rel, buf, sizeof(buf)) <= 0)
		return NULL;
	v = strtoul(buf, NULL, 16);
	snprintf(out, sizeof(out), digits == 4 ? "%04lx" : "0x%06lx", v);
	return json_object_new_string(out);
}

static json_object *read_int_attr(struct ctx *c, const char *bdf, const char *attr)
{
	char rel[PATH_MAX], buf[32];

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	if (read_text(c, rel, buf, sizeof(buf)) <= 0 || !isdigit((unsigned char)buf[0]))
		return NULL;
	return json_object_new_int(atoi(buf));
}

static json_object *collect_device(struct ctx *c, const char *bdf, bool have_reset_attr,
				   int *unknown_caps)
{
	json_object *d = json_object_new_object(), *rm = NULL, *sriov = NULL;
	char rel[PATH_MAX], buf[512];

	json_object_object_add(d, "bdf", json_object_new_string(bdf));
	json_object_object_add(d, "vendor_id", read_hex_id(c, bdf, "vendor", 4));
	json_object_object_add(d, "device_id", read_hex_id(c, bdf, "device", 4));
	json_object_object_add(d, "class", read_hex_id(c, bdf, "class", 6));
	json_object_object_add(d, "vendor_name", NULL);
	json_object_object_add(d, "device_name", NULL);
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/driver", bdf);
	json_object_object_add(d, "driver",
			       link_base(c, rel, buf, sizeof(buf)) == 0 ? str_or_null(buf) : NULL);
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	json_object_object_add(
	    d, "iommu_group",
	    link_base(c, rel, buf, sizeof(buf)) == 0 ? json_object_new_int(atoi(buf)) : NULL);
	json_object_object_add(d, "dma_mask_bits", read_int_attr(c, bdf, "dma_mask_bits"));
	/* reset_method (5.15+) is hidden for a device without any reset method. */
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/reset_method", bdf);
	if (read_text(c, rel, buf, sizeof(buf)) >= 0) {
		rm = json_object_new_array();
		for (char *save, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
			json_object_array_add(rm, json_object_new_string(t));
	} else if (have_reset_attr) {
		rm = json_object_new_array();
	}
	json_object_object_add(d, "reset_methods", rm);
	{
		json_object *tot = read_int_attr(c, bdf, "sriov_totalvfs");

		if (tot) {
			json_object *num = read_int_attr(c, bdf, "sriov_numvfs");

			sriov = json_object_new_object();
			json_object_object_add(sriov, "total_vfs", tot);
			json_object_object_add(sriov, "num_vfs",
					       num ? num : json_object_new_int(0));
		}
	}
	json_object_object_add(d, "sriov", sriov);
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/physfn", bdf);
	json_object_object_add(d, "physfn",
			       link_base(c, rel, buf, sizeof(buf)) == 0 ? str_or_null(buf) : NULL);
	json_object_object_add(d, "caps", read_caps(c, bdf, unknown_caps));
	return d;
}

/* Vendor and device names from pci.ids ("vvvv  Name", "\tdddd  Name"), in one pass. */
static void name_devices(struct ctx *c, json_object *devs, const char *pci_ids)
{
	static const char *const places[] = {"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids",
					     "/usr/share/pci.ids"};
	char p[PATH_MAX], line[512], vendor[8] = "";
	FILE *f = NULL;

	if (pci_ids) {
		snprintf(p, sizeof(p), "%s", pci_ids);
		f = fopen(p, "r");
	}
	for (size_t i = 0; !pci_ids && !f && i < sizeof(places) / sizeof(places[0]); i++) {
		path(c, p, sizeof(p), places[i]);
		f = fopen(p, "r");
	}
	if (!f) {
		unknown(c, "devices[].vendor_name",
			"no pci.ids (%s; install the pci.ids or pciutils package)",
			pci_ids ? strerror(errno) : "not in /usr/share/misc or /usr/share/hwdata");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		bool dev_line = line[0] == '\t' && line[1] != '\t';
		const char *id = dev_line ? line + 1 : line, *name;

		if (line[0] == 'C' && line[1] == ' ')
			break; /* the device classes follow the vendors */
		if (!isxdigit((unsigned char)id[0]) || strlen(id) < 7 || id[4] != ' ')
			continue;
		name = id + 6;
		if (!dev_line)
			snprintf(vendor, sizeof(vendor), "%.4s", id);
		for (size_t i = 0; i < json_object_array_length(devs); i++) {
			json_object *d = json_object_array_get_idx(devs, i);
			const char *v = sd_str(d, "vendor_id"), *dv = sd_str(d, "device_id");
			char nm[256];

			if (!v || strcmp(v, vendor) != 0)
				continue;
			snprintf(nm, sizeof(nm), "%.*s", (int)strcspn(name, "\n"), name);
			if (!dev_line)
				json_object_object_add(d, "vendor_name",
						       json_object_new_string(nm));
			else if (dv && strncmp(dv, id, 4) == 0)
				json_object_object_add(d, "device_name",
						       json_object_new_string(nm));
		}
	}
	fclose(f);
}

static void collect_devices(struct ctx *c, const char *pci_ids)
{
	size_t n;
	char **names = list_dir(c, "/sys/bus/pci/devices", &n);
	json_object *arr = json_object_new_array();
	bool have_reset_attr = false;
	int unknown_caps = 0;

	if (!names)
		unknown(c, "devices", "/sys/bus/pci/devices: %s", errno_why(errno));
	for (size_t i = 0; names && i < n && !have_reset_attr; i++) {
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/reset_method", names[i]);
		have_reset_attr = exists(c, rel);
	}
	for (size_t i = 0; names && i < n; i++)
		json_object_array_add(arr,
				      collect_device(c, names[i], have_reset_attr, &unknown_caps));
	if (names && n && !have_reset_attr)
		unknown(c, "devices[].reset_methods",
			"no device has a reset_method attribute (kernel before 5.15?)");
	if (unknown_caps)
		unknown(
		    c, "devices[].caps",
		    "%d device(s): config space unreadable or only its first 64 bytes (needs root)",
		    unknown_caps);
	free_list(names, n);
	if (n)
		name_devices(c, arr, pci_ids);
	json_object_object_add(c->doc, "devices", arr);
}

/* --- VFIO, swiotlb, security ---------------------------------------------------------------- */

static const char *const vfio_modules[] = {"vfio", "vfio_iommu_type1", "vfio_pci_core", "vfio_pci"};

static void collect_vfio(struct ctx *c)
{
	json_object *o = json_object_new_object(), *mods = json_object_new_object(), *nodes = NULL;
	char p[PATH_MAX], line[512];
	bool loaded[4] = {false};
	FILE *f;
	size_t n;
	char **v;

	path(c, p, sizeof(p), "/proc/modules");
	f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f))
		for (size_t k = 0; k < 4; k++)
			if (strncmp(line, vfio_modules[k], strlen(vfio_modules[k])) == 0 &&
			    line[strlen(vfio_modules[k])] == ' ')
				loaded[k] = true;
	if (!f)
		unknown(c, "vfio.modules", "/proc/modules: %s", errno_why(errno));
	for (size_t k = 0; k < 4; k++) {
		char rel[128];
		const char *state;

		/* /sys/module/NAME exists for loaded modules and for built-in ones. */
		snprintf(rel, sizeof(rel), "/sys/module/%s", vfio_modules[k]);
		state = loaded[k] ? "loaded" : exists(c, rel) ? "builtin" : f ? "absent" : NULL;
		json_object_object_add(mods, vfio_modules[k],
				       state ? json_object_new_string(state) : NULL);
	}
	if (f)
		fclose(f);
	v = list_dir(c, "/dev/vfio", &n);
	if (v) {
		nodes = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			json_object *nd = json_object_new_object();
			struct stat st;
			char rel[PATH_MAX], mode[8], owner[64], group[64];
			const char *pw, *gr;

			snprintf(rel, sizeof(rel), "/dev/vfio/%s", v[i]);
			path(c, p, sizeof(p), rel);
			if (stat(p, &st) < 0) {
				json_object_put(nd);
				continue;
			}
			snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
			pw = id_name(c, "/etc/passwd", st.st_uid, owner, sizeof(owner));
			gr = id_name(c, "/etc/group", st.st_gid, group, sizeof(group));
			json_object_object_add(nd, "name", json_object_new_string(v[i]));
			json_object_object_add(nd, "mode", json_object_new_string(mode));
			json_object_object_add(nd, "uid", json_object_new_int((int)st.st_uid));
			json_object_object_add(nd, "gid", json_object_new_int((int)st.st_gid));
			json_object_object_add(nd, "owner", pw ? json_object_new_string(pw) : NULL);
			json_object_object_add(nd, "group", gr ? json_object_new_string(gr) : NULL);
			json_object_array_add(nodes, nd);
		}
		free_list(v, n);
	} else if (errno == ENOENT) {
		nodes = json_object_new_array(); /* no VFIO: no nodes */
	} else {
		unknown(c, "vfio.devnodes", "/dev/vfio: %s", errno_why(errno));
	}
	json_object_object_add(o, "modules", mods);
	json_object_object_add(o, "devnodes", nodes);
	json_object_object_add(c->doc, "vfio", o);
}

static json_object *read_long(struct ctx *c, const char *rel)
{
	char buf[64];

	if (read_text(c, rel, buf, sizeof(buf)) <= 0 || !isdigit((unsigned char)buf[0]))
		return NULL;
	return json_object_new_int64(atoll(buf));
}

static void collect_swiotlb(struct ctx *c, long mapped_mb)
{
	json_object *o = json_object_new_object(), *nslabs = NULL, *used = NULL, *hw = NULL;
	int present = TRI_UNKNOWN;
	size_t n;
	char **dbg = list_dir(c, "/sys/kernel/debug", &n);

	if (exists(c, "/sys/kernel/debug/swiotlb/io_tlb_nslabs")) {
		nslabs = read_long(c, "/sys/kernel/debug/swiotlb/io_tlb_nslabs");
		used = read_long(c, "/sys/kernel/debug/swiotlb/io_tlb_used");
		hw = read_long(c, "/sys/kernel/debug/swiotlb/io_tlb_used_hiwater");
		present = nslabs && json_object_get_int64(nslabs) == 0 ? TRI_NO : TRI_YES;
		if (!nslabs || !used)
			unknown(c, "swiotlb.used",
				"cannot read /sys/kernel/debug/swiotlb/io_tlb_*");
	} else if (exists(c, "/sys/kernel/debug/swiotlb")) {
		/* The directory is made at boot; its files only for a pool that exists. */
		present = TRI_NO;
	} else if (dbg && n > 0) {
		/* debugfs is mounted and readable, and the kernel made no swiotlb directory. */
		present = TRI_NO;
	} else {
		unknown(c, "swiotlb", "debugfs %s at /sys/kernel/debug",
			dbg ? "not mounted" : "not readable (needs root) or not mounted");
		if (mapped_mb > 0)
			present = TRI_YES;
	}
	free_list(dbg, n);
	json_object_object_add(o, "present", tri_json(present));
	json_object_object_add(o, "nslabs", nslabs);
	json_object_object_add(o, "used", used);
	json_object_object_add(o, "hiwater", hw);
	json_object_object_add(o, "slab_bytes", json_object_new_int(2048));
	json_object_object_add(o, "mapped_mb",
			       mapped_mb >= 0 ? json_object_new_int64(mapped_mb) : NULL);
	json_object_object_add(c->doc, "swiotlb", o);
}

static void collect_security(struct ctx *c)
{
	json_object *o = json_object_new_object();
	char buf[256], lock[32] = "";
	int efi = exists(c, "/sys/firmware/efi") ? TRI_YES : TRI_NO, sb = TRI_UNKNOWN;

	if (read_text(c, "/sys/kernel/security/lockdown", buf, sizeof(buf)) > 0) {
		char *l = strchr(buf, '['), *r = l ? strchr(l, ']') : NULL;

		if (l && r)
			snprintf(lock, sizeof(lock), "%.*s", (int)(r - l - 1), l + 1);
	}
	if (!lock[0])
		unknown(c, "security.lockdown", "/sys/kernel/security/lockdown: %s",
			exists(c, "/sys/kernel/security/lockdown")
			    ? "unreadable"
			    : "absent (securityfs not mounted, or no lockdown LSM)");
	if (efi == TRI_NO) {
		sb = TRI_NO; /* legacy BIOS boot: no Secure Boot */
	} else {
		char p[PATH_MAX];
		unsigned char v[5];
		int fd;

		path(c, p, sizeof(p),
		     "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c");
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, v, sizeof(v)) == (ssize_t)sizeof(v))
				sb = v[4] ? TRI_YES
					  : TRI_NO; /* 4 bytes of attributes, then the value */
			close(fd);
		}
		if (sb == TRI_UNKNOWN)
			unknown(c, "security.secure_boot", "EFI SecureBoot variable not readable");
	}
	json_object_object_add(o, "lockdown", str_or_null(lock));
	json_object_object_add(o, "efi", tri_json(efi));
	json_object_object_add(o, "secure_boot", tri_json(sb));
	json_object_object_add(c->doc, "security", o);
}

json_object *hostinfo_collect(const struct hostinfo_opts *o)
{
	struct ctx c = {0};
	json_object *k = json_object_new_object();
	char buf[256], ts[32];
	time_t now = time(NULL);
	struct tm tm;
	long mapped_mb;

	snprintf(c.root, sizeof(c.root), "%s",
		 o && o->root && strcmp(o->root, "/") != 0 ? o->root : "");
	c.doc = json_object_new_object();
	c.unknown = json_object_new_array();
	if (!c.doc || !c.unknown || !k)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(c.doc, "format", json_object_new_string(SNAPDOC_FORMAT));
	json_object_object_add(c.doc, "version", json_object_new_int(SNAPDOC_VERSION));
	json_object_object_add(c.doc, "tool",
			       json_object_new_string("iommutrace " IOMMUTRACE_VERSION));
	json_object_object_add(c.doc, "taken_at", json_object_new_string(ts));
	json_object_object_add(c.doc, "hostname",
			       read_text(&c, "/proc/sys/kernel/hostname", buf, sizeof(buf)) > 0
				   ? json_object_new_string(buf)
				   : NULL);
	json_object_object_add(c.doc, "source_root",
			       json_object_new_string(c.root[0] ? c.root : "/"));
	if (read_text(&c, "/proc/sys/kernel/osrelease", buf, sizeof(buf)) <= 0) {
		unknown(&c, "kernel.release", "/proc/sys/kernel/osrelease: %s", errno_why(errno));
		buf[0] = 0;
	}
	json_object_object_add(k, "release", str_or_null(buf));
	collect_kconfig(&c, k, buf);
	json_object_object_add(c.doc, "kernel", k);
	collect_cmdline(&c);
	collect_cpu(&c);
	collect_firmware(&c);
	collect_iommu(&c);
	collect_log(&c, &mapped_mb);
	collect_groups(&c);
	collect_devices(&c, o ? o->pci_ids : NULL);
	collect_vfio(&c);
	collect_swiotlb(&c, mapped_mb);
	collect_security(&c);
	json_object_object_add(c.doc, "unknown", c.unknown);
	return c.doc;
}
