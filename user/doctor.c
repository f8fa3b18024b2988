// SPDX-License-Identifier: GPL-2.0
/* doctor.c: the passthrough diagnosis playbook (see doctor.h, docs/PASSTHROUGH.md). */
#include "doctor.h"
#include "snapdoc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_IOMMU, S_BINDING, S_GROUP, S_IRQ, S_FAULTS, S_RESET, S_SWIOTLB };

static const struct {
	const char *id, *title;
	unsigned depends; /* bit mask of the steps that must not have failed */
} step_defs[DOCTOR_STEPS] = {
    {"iommu", "IOMMU active", 0},
    {"binding", "Device bound to vfio-pci, with its companion functions", 1u << S_IOMMU},
    {"group", "IOMMU group viable for VFIO", 1u << S_IOMMU | 1u << S_BINDING},
    {"irq-remapping", "Interrupt remapping", 1u << S_IOMMU},
    {"faults", "Recent DMA faults", 1u << S_IOMMU},
    {"reset", "Reset capability (FLR)", 1u << S_IOMMU},
    {"swiotlb", "swiotlb pressure and 32-bit DMA masks", 1u << S_IOMMU},
};

static void sl_add(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sl_add(struct strlist *l, const char *fmt, ...)
{
	char buf[1024], **nv;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	l->v = nv;
	l->v[l->n] = strdup(buf);
	if (l->v[l->n])
		l->n++;
}

static void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Raises a step's status to s if s is worse; the first decision at a level is its summary. */
static void decide(struct doc_step *st, enum doc_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void decide(struct doc_step *st, enum doc_status s, const char *fmt, ...)
{
	va_list ap;

	if (s < st->status || (s == st->status && st->summary[0]))
		return;
	st->status = s;
	va_start(ap, fmt);
	vsnprintf(st->summary, sizeof(st->summary), fmt, ap);
	va_end(ap);
}

static const char *or_none(const char *s)
{
	return s && s[0] ? s : "none";
}

/* "0000:00:03.0 [1234:11e8] Name" */
static const char *dev_desc(json_object *dev, char *buf, size_t len)
{
	const char *dn = sd_str(dev, "device_name"), *vn = sd_str(dev, "vendor_name");

	snprintf(buf, len, "%s [%s:%s]%s%s%s%s", or_none(sd_str(dev, "bdf")),
		 or_none(sd_str(dev, "vendor_id")), or_none(sd_str(dev, "device_id")),
		 vn || dn ? " " : "", vn ? vn : "", vn && dn ? " " : "", dn ? dn : "");
	return buf;
}

static bool is_vfio(const char *driver)
{
	return driver && strncmp(driver, "vfio", 4) == 0;
}

/* --- 1. IOMMU active ------------------------------------------------------------------------ */

static bool kconfig_y(json_object *s, const char *key)
{
	const char *v = sd_kconfig(s, key);

	return v && strcmp(v, "y") == 0;
}

/* Whether the kernel enables the Intel IOMMU without intel_iommu=on: the DEFAULT_ON choices. */
static int intel_default_on(json_object *s)
{
	if (!sd_kconfig(s, "CONFIG_INTEL_IOMMU"))
		return TRI_UNKNOWN;
	return kconfig_y(s, "CONFIG_INTEL_IOMMU_DEFAULT_ON") ||
		       kconfig_y(s, "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF")
		   ? TRI_YES
		   : TRI_NO;
}

static void step_iommu(json_object *s, struct doc_step *st)
{
	json_object *fw = sd_obj(s, "firmware"), *iommu = sd_obj(s, "iommu");
	json_object *units = sd_arr(iommu, "units"), *groups = sd_arr(s, "groups");
	json_object *lines = sd_arr(sd_obj(s, "kernel_log"), "iommu");
	const char *vendor = sd_iommu_vendor(s), *cpu = sd_str(sd_obj(s, "cpu"), "vendor");
	const char *ip = sd_param(s, "intel_iommu"), *ap = sd_param(s, "amd_iommu");
	const char *pt = sd_param(s, "iommu"), *pass = sd_param(s, "iommu.passthrough");
	int dmar = sd_tri(fw, "dmar"), ivrs = sd_tri(fw, "ivrs"), active = sd_iommu_active(s);
	bool intel = vendor && strcmp(vendor, "intel") == 0,
	     amd = vendor && strcmp(vendor, "amd") == 0;
	const char *init_line = NULL;
	char params[512] = "";
	json_object *pobj = sd_obj(sd_obj(s, "cmdline"), "params");
	int default_on = intel_default_on(s);

	if (dmar == TRI_YES || ivrs == TRI_YES)
		sl_add(&st->evidence, "firmware: %s table present (%s)",
		       dmar == TRI_YES ? "DMAR" : "IVRS",
		       dmar == TRI_YES ? "Intel VT-d" : "AMD-Vi");
	else if (dmar == TRI_NO && ivrs == TRI_NO)
		sl_add(&st->evidence, "firmware: no DMAR or IVRS ACPI table");
	else
		sl_add(&st->evidence, "firmware: ACPI tables not readable");
	sl_add(&st->evidence, "CPU vendor: %s", or_none(cpu));
	json_object_object_foreach(pobj, k, v)
	{
		size_t off = strlen(params);

		snprintf(params + off, sizeof(params) - off, "%s%s%s%s", off ? " " : "", k,
			 json_object_get_string(v)[0] ? "=" : "", json_object_get_string(v));
	}
	sl_add(&st->evidence, "kernel parameters: %s", params[0] ? params : "no IOMMU parameters");
	for (size_t i = 0; i < sd_len(lines) && !init_line; i++) {
		const char *l = json_object_get_string(sd_at(lines, i));

		if (l && (strstr(l, "Virtualization Technology for Directed I/O") ||
			  strstr(l, "AMD-Vi: Found IOMMU") || strstr(l, "Detected AMD IOMMU")))
			init_line = l;
	}
	if (init_line)
		sl_add(&st->evidence, "kernel log: \"%s\"", init_line);
	else if (sd_tri(sd_obj(s, "kernel_log"), "complete") == TRI_YES)
		sl_add(&st->evidence, "kernel log: no IOMMU driver initialisation line since boot");
	else
		sl_add(&st->evidence, "kernel log: boot messages not available");
	if (default_on != TRI_UNKNOWN)
		sl_add(&st->evidence, "kernel config: the Intel IOMMU is %s by default%s",
		       default_on == TRI_YES ? "on" : "off",
		       kconfig_y(s, "CONFIG_IOMMU_DEFAULT_PASSTHROUGH")
			   ? ", DMA default passthrough"
		       : kconfig_y(s, "CONFIG_IOMMU_DEFAULT_DMA_LAZY") ? ", DMA default lazy"
								       : "");
	if (units)
		sl_add(&st->evidence, "IOMMU units in /sys/class/iommu: %zu", sd_len(units));
	if (groups)
		sl_add(&st->evidence, "IOMMU groups: %zu", sd_len(groups));

	/* The parameter of the other vendor does nothing. */
	if (amd && ip && sd_onoff(ip) == TRI_YES && !ap) {
		decide(st, DOC_WARN, "intel_iommu=on is decorative: this is an AMD IOMMU (%s)",
		       ivrs == TRI_YES ? "IVRS table" : "AMD CPU, no IOMMU table seen");
		sl_add(&st->next,
		       "the AMD IOMMU is on by default when the firmware enables it; drop "
		       "intel_iommu=on and use amd_iommu= options only to change it");
	}
	if (intel && ap && !ip) {
		decide(st, DOC_WARN, "amd_iommu=%s is decorative: this is an Intel VT-d IOMMU", ap);
		sl_add(&st->next, "use intel_iommu=on on Intel VT-d");
	}
	if (active == TRI_NO) {
		decide(st, DOC_FAIL,
		       "IOMMU not active: no IOMMU unit registered and no IOMMU groups");
		if (dmar == TRI_NO && ivrs == TRI_NO)
			sl_add(&st->next, "enable VT-d / AMD-Vi (IOMMU) in the firmware setup: the "
					  "firmware exposes no DMAR or IVRS table");
		else if (intel && sd_onoff(ip) == TRI_NO)
			sl_add(&st->next, "remove intel_iommu=off from the kernel command line");
		else if (intel && sd_kconfig(s, "CONFIG_INTEL_IOMMU") &&
			 strcmp(sd_kconfig(s, "CONFIG_INTEL_IOMMU"), "y") != 0)
			sl_add(&st->next,
			       "this kernel is built without CONFIG_INTEL_IOMMU: boot a kernel "
			       "with Intel VT-d support");
		else if (intel && sd_onoff(ip) != TRI_YES && default_on == TRI_YES)
			sl_add(&st->next,
			       "this kernel turns the Intel IOMMU on by default, yet it is not "
			       "active: check VT-d in the firmware setup and the DMAR lines "
			       "of the kernel log (dmesg | grep DMAR)");
		else if (intel && sd_onoff(ip) != TRI_YES)
			sl_add(&st->next,
			       "add intel_iommu=on to the kernel command line (%s): "
			       "GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot",
			       default_on == TRI_NO
				   ? "this kernel leaves the Intel IOMMU off by default"
				   : "kernels built without "
				     "CONFIG_INTEL_IOMMU_DEFAULT_ON leave it off");
		else if (amd && ap && strstr(ap, "off"))
			sl_add(&st->next, "remove amd_iommu=off from the kernel command line");
		else
			sl_add(&st->next, "look for DMAR/AMD-Vi errors: dmesg | grep -iE "
					  "'DMAR|AMD-Vi|IOMMU'; check the firmware IOMMU setting");
		sl_add(&st->next, "do not touch VFIO, libvirt or QEMU settings before this passes");
		return;
	}
	if (active == TRI_UNKNOWN) {
		decide(st, DOC_WARN, "cannot tell whether an IOMMU is active (sysfs not readable)");
		return;
	}
	if ((pt && strstr(pt, "pt")) || sd_onoff(pass) == TRI_YES)
		sl_add(&st->evidence, "host devices use identity domains (iommu=pt / "
				      "iommu.passthrough=1): fine for VFIO, which gives assigned "
				      "devices their own domain");
	decide(st, DOC_PASS, "%s IOMMU active: %zu unit(s), %zu group(s)",
	       intel ? "Intel VT-d"
	       : amd ? "AMD-Vi"
		     : "an",
	       sd_len(units), sd_len(groups));
}

/* --- 2. binding ----------------------------------------------------------------------------- */

static void bind_fix(json_object *s, json_object *dev, struct strlist *next)
{
	const char *bdf = sd_str(dev, "bdf"), *drv = sd_str(dev, "driver");
	const char *mod = sd_str(sd_obj(sd_obj(s, "vfio"), "modules"), "vfio_pci");
	char cmd[768] = "";

	if (!mod || strcmp(mod, "absent") == 0)
		snprintf(cmd, sizeof(cmd), "modprobe vfio-pci && ");
	if (drv && drv[0])
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			 "echo %s > /sys/bus/pci/devices/%s/driver/unbind && ", bdf, bdf);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		 "echo vfio-pci > /sys/bus/pci/devices/%s/driver_override && echo %s > "
		 "/sys/bus/pci/drivers/vfio-pci/bind",
		 bdf, bdf);
	sl_add(next, "%s", cmd);
}

/* Same domain, bus and slot: "0000:01:00.1" is a companion of "0000:01:00.0". */
static bool same_slot(const char *a, const char *b)
{
	return strlen(a) == 12 && strlen(b) == 12 && strncmp(a, b, 10) == 0 && strcmp(a, b) != 0;
}

static void step_binding(json_object *s, const struct strlist *targets, struct doc_step *st)
{
	json_object *devs = sd_arr(s, "devices");
	char desc[384], ids[256] = "";
	bool persist = false;

	for (size_t t = 0; t < targets->n; t++) {
		json_object *dev = sd_device(s, targets->v[t]);
		const char *drv = sd_str(dev, "driver");

		dev_desc(dev, desc, sizeof(desc));
		if (is_vfio(drv)) {
			sl_add(&st->evidence, "%s: bound to %s", desc, drv);
		} else {
			sl_add(&st->evidence, "%s: driver %s", desc, or_none(drv));
			decide(st, DOC_FAIL, "%s is not bound to vfio-pci (driver: %s)",
			       targets->v[t], or_none(drv));
			bind_fix(s, dev, &st->next);
			persist = true;
		}
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s:%s", ids[0] ? "," : "",
			 or_none(sd_str(dev, "vendor_id")), or_none(sd_str(dev, "device_id")));
		for (size_t i = 0; i < sd_len(devs); i++) {
			json_object *c = sd_at(devs, i);
			const char *cb = sd_str(c, "bdf"), *cd = sd_str(c, "driver");

			if (!cb || !same_slot(cb, targets->v[t]) || sd_is_bridge(c))
				continue;
			dev_desc(c, desc, sizeof(desc));
			if (is_vfio(cd)) {
				sl_add(&st->evidence, "companion %s: bound to %s", desc, cd);
				continue;
			}
			sl_add(&st->evidence, "companion %s: driver %s", desc, or_none(cd));
			decide(st, DOC_FAIL,
			       "companion function %s is not bound to vfio-pci (driver: %s)", cb,
			       or_none(cd));
			bind_fix(s, c, &st->next);
			persist = true;
		}
	}
	if (persist)
		sl_add(&st->next,
		       "to make it persist: 'options vfio-pci ids=%s' in "
		       "/etc/modprobe.d/vfio.conf, the vfio modules in the initramfs "
		       "(update-initramfs -u), reboot",
		       ids);
	decide(st, DOC_PASS, "bound to vfio-pci, companion functions included");
}

/* --- 3. group viability --------------------------------------------------------------------- */

static void step_group(json_object *s, const struct strlist *targets, struct doc_step *st)
{
	json_object *groups = sd_arr(s, "groups");
	const char *acs = sd_param(s, "pcie_acs_override");
	char desc[384];

	for (size_t t = 0; t < targets->n; t++) {
		json_object *dev = sd_device(s, targets->v[t]), *g = NULL, *members;
		long long gid = sd_int(dev, "iommu_group", -1);

		for (size_t i = 0; gid >= 0 && i < sd_len(groups); i++)
			if (sd_int(sd_at(groups, i), "id", -2) == gid)
				g = sd_at(groups, i);
		if (!g) {
			decide(st, DOC_FAIL, "%s is in no IOMMU group", targets->v[t]);
			sl_add(&st->next,
			       "the IOMMU does not cover %s: check the kernel log for it",
			       targets->v[t]);
			continue;
		}
		members = sd_arr(g, "devices");
		sl_add(&st->evidence, "%s: IOMMU group %lld (%s), %zu device(s)", targets->v[t],
		       gid, or_none(sd_str(g, "type")), sd_len(members));
		for (size_t i = 0; i < sd_len(members); i++) {
			const char *m = json_object_get_string(sd_at(members, i));
			json_object *md = m ? sd_device(s, m) : NULL;
			const char *drv = sd_str(md, "driver");

			if (!m || strcmp(m, targets->v[t]) == 0)
				continue;
			sl_add(&st->evidence, "  group member %s: driver %s%s",
			       md ? dev_desc(md, desc, sizeof(desc)) : m, or_none(drv),
			       sd_is_bridge(md) ? " (bridge)" : "");
			if (sd_driver_vfio_viable(drv))
				continue;
			decide(st, DOC_FAIL, "group %lld is not viable: %s is bound to %s", gid, m,
			       drv);
			sl_add(&st->next,
			       "bind %s to vfio-pci too and assign it to the same VM, or unbind it "
			       "(echo %s > /sys/bus/pci/devices/%s/driver/unbind); or move %s to a "
			       "slot "
			       "with its own group",
			       m, m, m, targets->v[t]);
		}
	}
	if (acs) {
		decide(st, DOC_WARN,
		       "pcie_acs_override=%s in use: groups show what the override "
		       "claims, not what the hardware isolates",
		       acs);
		sl_add(&st->next,
		       "ACS override lets devices in different groups reach each other by "
		       "peer-to-peer DMA: avoid it on shared or multi-tenant hosts; move "
		       "devices to ACS-capable root ports instead");
	}
	decide(st, DOC_PASS,
	       "every device in the group is bound to a VFIO driver, a bridge driver or "
	       "none");
}

/* --- 4. interrupt remapping ----------------------------------------------------------------- */

static void step_irq(json_object *s, struct doc_step *st)
{
	json_object *lines = sd_arr(sd_obj(s, "kernel_log"), "irq_remapping");
	long long chips = sd_int(sd_obj(s, "iommu"), "irq_remap_chips", -1);
	const char *unsafe = sd_param(s, "vfio_iommu_type1.allow_unsafe_interrupts");
	const char *intremap = sd_param(s, "intremap");
	int ir = sd_irq_remap(s);

	for (size_t i = 0; i < sd_len(lines) && i < 4; i++)
		sl_add(&st->evidence, "kernel log: \"%s\"",
		       json_object_get_string(sd_at(lines, i)));
	if (chips >= 0)
		sl_add(&st->evidence, "/proc/interrupts: %lld interrupt(s) through IR- chips",
		       chips);
	if (ir == TRI_YES) {
		decide(st, DOC_PASS, "interrupt remapping enabled");
		return;
	}
	if (ir == TRI_UNKNOWN) {
		decide(st, DOC_WARN, "cannot tell whether interrupt remapping is enabled");
		sl_add(&st->next, "check: dmesg | grep -iE 'IRQ remapping|Interrupt remapping'");
		return;
	}
	if (sd_onoff(unsafe) == TRI_YES || (unsafe && unsafe[0] == 'Y')) {
		decide(st, DOC_WARN,
		       "no interrupt remapping; VFIO allowed anyway by "
		       "vfio_iommu_type1.allow_unsafe_interrupts");
		sl_add(&st->next,
		       "a guest can forge interrupts (MSI) to the host: enable interrupt "
		       "remapping in the firmware and drop allow_unsafe_interrupts");
		return;
	}
	decide(st, DOC_FAIL, "interrupt remapping is not enabled: VFIO refuses devices without it");
	if (intremap && strstr(intremap, "off"))
		sl_add(&st->next, "remove intremap=%s from the kernel command line", intremap);
	if (sd_param(s, "nointremap"))
		sl_add(&st->next, "remove nointremap from the kernel command line");
	sl_add(&st->next, "enable interrupt remapping in the firmware (VT-d / AMD-Vi with x2APIC); "
			  "vfio_iommu_type1.allow_unsafe_interrupts=1 only with a threat model");
}

/* --- 5. faults ------------------------------------------------------------------------------ */

static bool in_list(const struct strlist *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void step_faults(json_object *s, const struct strlist *targets, struct doc_step *st)
{
	json_object *log = sd_obj(s, "kernel_log"), *faults = sd_arr(log, "faults");
	long long total = sd_int(log, "faults_total", 0);
	size_t mine = 0, others = 0;

	if (!sd_str(log, "source")) {
		decide(st, DOC_WARN, "the kernel log could not be read: faults unknown");
		sl_add(&st->next, "run as root (dmesg_restrict), then: dmesg | grep -iE "
				  "'DMAR|AMD-Vi|IO_PAGE_FAULT'");
		return;
	}
	for (size_t i = 0; i < sd_len(faults); i++) {
		json_object *f = sd_at(faults, i);
		const char *dev = sd_str(f, "device");

		if (in_list(targets, dev)) {
			if (mine++ < 3)
				sl_add(&st->evidence, "kernel log: \"%s\"", sd_str(f, "line"));
		} else {
			others++;
		}
	}
	sl_add(&st->evidence,
	       "%lld DMA fault record(s) in the kernel log since boot; %zu of the last "
	       "%zu from the target(s)",
	       total, mine, sd_len(faults));
	if (mine) {
		decide(st, DOC_FAIL, "%zu DMA fault(s) from the target device(s)", mine);
		sl_add(&st->next,
		       "the device accessed memory outside its mappings: read the fault "
		       "reason; look for a reset problem (faults right after a VM start) or "
		       "a driver DMA-direction bug (iommutrace check)");
		return;
	}
	if (others && !targets->n) {
		decide(st, DOC_WARN, "%zu recent DMA fault(s) in the kernel log", others);
		sl_add(&st->next, "see which device: dmesg | grep -E 'DMAR|AMD-Vi|IO_PAGE_FAULT'");
		return;
	}
	decide(st, DOC_PASS, "no DMA faults from %s", targets->n ? "the target" : "any device");
}

/* --- 6. reset --------------------------------------------------------------------------------- */

static void step_reset(json_object *s, const struct strlist *targets, struct doc_step *st)
{
	for (size_t t = 0; t < targets->n; t++) {
		json_object *dev = sd_device(s, targets->v[t]), *rm = sd_arr(dev, "reset_methods");
		json_object *caps = sd_obj(dev, "caps");
		char methods[128] = "";

		for (size_t i = 0; i < sd_len(rm); i++)
			snprintf(methods + strlen(methods), sizeof(methods) - strlen(methods),
				 "%s%s", i ? " " : "", json_object_get_string(sd_at(rm, i)));
		if (caps)
			sl_add(&st->evidence, "%s: config space %s FLR", targets->v[t],
			       sd_tri(caps, "flr") == TRI_YES ? "advertises"
							      : "does not advertise");
		if (!rm) {
			decide(st, DOC_WARN, "%s: reset methods unknown", targets->v[t]);
			continue;
		}
		sl_add(&st->evidence, "%s: kernel reset methods: %s", targets->v[t],
		       methods[0] ? methods : "none");
		if (sd_has_str(rm, "flr"))
			continue;
		if (caps && sd_tri(caps, "flr") == TRI_YES)
			sl_add(&st->evidence,
			       "%s advertises FLR but the kernel does not use it (a quirk)",
			       targets->v[t]);
		if (methods[0]) {
			decide(st, DOC_WARN, "%s has no FLR; the kernel resets it with: %s",
			       targets->v[t], methods);
			sl_add(&st->next,
			       "a %s reset may leave the device unusable for the next VM: "
			       "avoid rapid VM restarts; if the second start fails, cold "
			       "reboot the host between assignments",
			       methods);
		} else {
			decide(st, DOC_WARN, "%s cannot be reset by the kernel at all",
			       targets->v[t]);
			sl_add(&st->next,
			       "the device keeps its state from one VM to the next: cold reboot "
			       "the host between assignments, or use hardware with FLR");
		}
	}
	decide(st, DOC_PASS, "function-level reset available");
}

/* --- 7. swiotlb and 32-bit masks -------------------------------------------------------------- */

static void step_swiotlb(json_object *s, struct doc_step *st)
{
	json_object *sw = sd_obj(s, "swiotlb"), *devs = sd_arr(s, "devices");
	long long n = sd_int(sw, "nslabs", -1), used = sd_int(sw, "used", -1);
	int present = sd_tri(sw, "present");
	size_t narrow = 0;
	char list[512] = "";
	bool full = false;

	if (present == TRI_YES && n > 0 && used >= 0) {
		double pct = 100.0 * used / n;

		sl_add(&st->evidence,
		       "swiotlb: %lld of %lld slots used (%.0f%%, %lld MiB), high water %lld", used,
		       n, pct, n * 2048 / (1 << 20), sd_int(sw, "hiwater", -1));
		if (pct >= 90) {
			full = true;
			decide(st, DOC_FAIL, "swiotlb nearly full: %.0f%% of %lld slots used", pct,
			       n);
		} else if (pct >= 75) {
			decide(st, DOC_WARN, "swiotlb filling up: %.0f%% of %lld slots used", pct,
			       n);
		}
		if (pct >= 75)
			sl_add(&st->next,
			       "enlarge the bounce buffer: swiotlb=<slots of 2 KiB> on the "
			       "kernel command line (swiotlb=262144 is 512 MiB); find who "
			       "bounces: the 32-bit DMA-mask devices below");
	} else if (present == TRI_NO) {
		sl_add(&st->evidence, "swiotlb: no bounce buffer in use");
	} else {
		sl_add(&st->evidence, "swiotlb: usage unknown (debugfs not readable)");
	}
	for (size_t i = 0; i < sd_len(devs); i++) {
		json_object *d = sd_at(devs, i);
		const char *drv = sd_str(d, "driver");
		long long bits = sd_int(d, "dma_mask_bits", -1);

		/* Without a driver the mask is the PCI default, not a driver's choice; VFIO devices
		 * map through their VM's domain. */
		if (!drv || is_vfio(drv) || bits <= 0 || bits > 32)
			continue;
		if (narrow++ < 8)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s (%s, %lld-bit)", list[0] ? ", " : "", sd_str(d, "bdf"), drv,
				 bits);
	}
	if (narrow) {
		sl_add(&st->evidence, "DMA masks of 32 bits or less: %s", list);
		decide(st, full ? DOC_FAIL : DOC_WARN,
		       "%zu device(s) with a DMA mask of 32 bits or less compete for IOVA space "
		       "below 4 GiB",
		       narrow);
		sl_add(&st->next,
		       "check that their drivers set a 64-bit mask where the hardware "
		       "allows (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))); watch "
		       "swiotlb use under load");
	}
	decide(st, DOC_PASS, "no swiotlb pressure, no 32-bit DMA-mask device");
}

/* --- the playbook ----------------------------------------------------------------------------- */

int doctor_run(json_object *snap, const char *target, struct doctor *out, char *err, size_t errlen)
{
	json_object *devs = sd_arr(snap, "devices");
	char bdf[32];

	memset(out, 0, sizeof(*out));
	if (target) {
		if (sd_norm_bdf(target, bdf, sizeof(bdf))) {
			snprintf(err, errlen, "'%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
				 target);
			return -1;
		}
		if (!sd_device(snap, bdf)) {
			snprintf(err, errlen, "no PCI device %s on this host (see lspci -D)", bdf);
			return -1;
		}
		sl_add(&out->targets, "%s", bdf);
		snprintf(out->target_note, sizeof(out->target_note), "--device %s", bdf);
	} else {
		for (size_t i = 0; i < sd_len(devs); i++)
			if (is_vfio(sd_str(sd_at(devs, i), "driver")))
				sl_add(&out->targets, "%s", sd_str(sd_at(devs, i), "bdf"));
		snprintf(out->target_note, sizeof(out->target_note), "%s",
			 out->targets.n ? "the devices bound to vfio-pci"
					: "no --device and no device bound to vfio-pci");
	}
	for (int i = 0; i < DOCTOR_STEPS; i++) {
		struct doc_step *st = &out->steps[i];
		bool needs_target = i == S_BINDING || i == S_GROUP || i == S_RESET;

		st->id = step_defs[i].id;
		st->title = step_defs[i].title;
		st->status = DOC_PASS;
		for (int k = 0; k < i; k++) {
			if ((step_defs[i].depends & (1u << k)) &&
			    out->steps[k].status == DOC_FAIL) {
				st->status = DOC_SKIP;
				snprintf(st->summary, sizeof(st->summary),
					 "skipped: step %d (%s) failed; fix it first", k + 1,
					 out->steps[k].title);
				break;
			}
		}
		if (st->status == DOC_SKIP)
			continue;
		if (needs_target && !out->targets.n) {
			st->status = DOC_SKIP;
			snprintf(st->summary, sizeof(st->summary),
				 "skipped: no target device (pass --device BDF)");
			continue;
		}
		switch (i) {
		case S_IOMMU:
			step_iommu(snap, st);
			break;
		case S_BINDING:
			step_binding(snap, &out->targets, st);
			break;
		case S_GROUP:
			step_group(snap, &out->targets, st);
			break;
		case S_IRQ:
			step_irq(snap, st);
			break;
		case S_FAULTS:
			step_faults(snap, &out->targets, st);
			break;
		case S_RESET:
			step_reset(snap, &out->targets, st);
			break;
		case S_SWIOTLB:
			step_swiotlb(snap, st);
			break;
		}
	}
	return 0;
}

void doctor_free(struct doctor *d)
{
	for (int i = 0; i < DOCTOR_STEPS; i++) {
		sl_free(&d->steps[i].evidence);
		sl_free(&d->steps[i].next);
	}
	sl_free(&d->targets);
}

enum doc_status doctor_worst(const struct doctor *d)
{
	enum doc_status w = DOC_PASS;

	for (int i = 0; i < DOCTOR_STEPS; i++)
		if (d->steps[i].status > w && d->steps[i].status != DOC_SKIP)
			w = d->steps[i].status;
	return w;
}

const char *doctor_status_name(enum doc_status s)
{
	static const char *const names[] = {"PASS", "SKIP", "WARN", "FAIL"};

	return names[s];
}

static json_object *sl_json(const struct strlist *l)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(a, json_object_new_string(l->v[i]));
	return a;
}

json_object *doctor_json(const struct doctor *d)
{
	json_object *o = json_object_new_object(), *steps = json_object_new_array();

	json_object_object_add(o, "format", json_object_new_string("iommutrace-doctor"));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "targets", sl_json(&d->targets));
	json_object_object_add(o, "worst",
			       json_object_new_string(doctor_status_name(doctor_worst(d))));
	for (int i = 0; i < DOCTOR_STEPS; i++) {
		const struct doc_step *st = &d->steps[i];
		json_object *s = json_object_new_object();

		json_object_object_add(s, "step", json_object_new_int(i + 1));
		json_object_object_add(s, "id", json_object_new_string(st->id));
		json_object_object_add(s, "title", json_object_new_string(st->title));
		json_object_object_add(s, "status",
				       json_object_new_string(doctor_status_name(st->status)));
		json_object_object_add(s, "summary", json_object_new_string(st->summary));
		json_object_object_add(s, "evidence", sl_json(&st->evidence));
		json_object_object_add(s, "next", sl_json(&st->next));
		json_object_array_add(steps, s);
	}
	json_object_object_add(o, "steps", steps);
	return o;
}
