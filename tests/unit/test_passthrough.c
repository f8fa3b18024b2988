// SPDX-License-Identifier: GPL-2.0
/*
 * test_passthrough.c: snapshot, diff and doctor on a sysfs/procfs tree recorded in the lab VM
 * (tests/unit/data/labvm-6.12, by tests/unit/data/record-tree), each case changing a copy of it
 * the way a real host would differ: vendor mismatch, ACS override, no interrupt remapping, a
 * nearly full swiotlb, a 32-bit DMA-mask device, no intel_iommu=on, groups that grew. Plus the
 * command-line parser and malformed snapshot files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "doctor.h"
#include "hostinfo.h"
#include "snapdiff.h"
#include "snapdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREE "tests/unit/data/labvm-6.12"
#define EDU  "0000:00:03.0"
#define NVME "0000:00:02.0"

static char tmp[256];

static int tree_setup(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_passthrough.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(cmd, sizeof(cmd), "cp -a %s/. %s/", TREE, tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static int tree_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void sh(const char *fmt, ...)
{
	char cmd[1024], full[1300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd %s && %s", tmp, cmd);
	assert_int_equal(system(full), 0);
}

static json_object *collect(void)
{
	struct hostinfo_opts o = {.root = tmp, .pci_ids = "/nonexistent/pci.ids"};
	json_object *doc = hostinfo_collect(&o);
	char err[256] = "";

	assert_non_null(doc);
	if (snapdoc_validate(doc, err, sizeof(err)))
		fail_msg("collected snapshot does not validate: %s", err);
	return doc;
}

static const struct doc_step *step(const struct doctor *d, const char *id)
{
	for (int i = 0; i < DOCTOR_STEPS; i++)
		if (strcmp(d->steps[i].id, id) == 0)
			return &d->steps[i];
	fail_msg("no step %s", id);
	return NULL;
}

static bool any_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strstr(l->v[i], s))
			return true;
	return false;
}

static json_object *doctor(struct doctor *d, const char *target)
{
	json_object *doc = collect();
	char err[256];

	assert_int_equal(doctor_run(doc, target, d, err, sizeof(err)), 0);
	return doc;
}

/* The recorded guest as it is: the CPU says AuthenticAMD (QEMU TCG) but the IOMMU is an Intel
 * VT-d with its DMAR table, so intel_iommu=on is right and no mismatch is reported. */
static void test_recorded_tree(void **state)
{
	struct doctor d;
	json_object *doc = doctor(&d, "00:03.0"), *dev = sd_device(doc, EDU);
	const struct doc_step *b = step(&d, "binding");

	(void)state;
	assert_string_equal(sd_str(sd_obj(doc, "cpu"), "vendor"), "AuthenticAMD");
	assert_string_equal(sd_iommu_vendor(doc), "intel");
	assert_string_equal(sd_param(doc, "intel_iommu"), "on");
	assert_int_equal(sd_iommu_active(doc), TRI_YES);
	assert_int_equal(sd_irq_remap(doc), TRI_YES);
	assert_int_equal(sd_tri(sd_obj(doc, "kernel_log"), "complete"), TRI_YES);
	assert_non_null(dev);
	assert_string_equal(sd_str(dev, "vendor_id"), "1234");
	assert_int_equal(sd_len(sd_arr(dev, "reset_methods")), 0);
	assert_int_equal(sd_group_size(doc, EDU), 1);
	assert_int_equal(sd_int(sd_device(doc, NVME), "dma_mask_bits", 0), 64);
	assert_int_equal(sd_tri(sd_obj(sd_device(doc, NVME), "caps"), "flr"), TRI_YES);
	assert_int_equal(step(&d, "iommu")->status, DOC_PASS);
	assert_int_equal(b->status, DOC_FAIL);
	assert_non_null(strstr(b->summary, "not bound to vfio-pci"));
	assert_string_equal(b->next.v[0], "modprobe vfio-pci && echo vfio-pci > "
					  "/sys/bus/pci/devices/0000:00:03.0/driver_override && "
					  "echo 0000:00:03.0 > /sys/bus/pci/drivers/vfio-pci/bind");
	assert_int_equal(step(&d, "group")->status, DOC_SKIP);
	assert_int_equal(step(&d, "irq-remapping")->status, DOC_PASS);
	assert_int_equal(step(&d, "swiotlb")->status, DOC_PASS);
	assert_int_equal(doctor_worst(&d), DOC_FAIL);
	/* Unknowns are listed with their reason. */
	assert_non_null(strstr(json_object_to_json_string(sd_arr(doc, "unknown")), "pci.ids"));
	doctor_free(&d);
	json_object_put(doc);
}

/* A bound driver is unbound first; the bound device then passes binding and group. */
static void test_bound_driver_and_vfio(void **state)
{
	struct doctor d;
	json_object *doc;

	(void)state;
	doc = doctor(&d, NVME);
	assert_string_equal(
	    step(&d, "binding")->next.v[0],
	    "modprobe vfio-pci && echo 0000:00:02.0 > "
	    "/sys/bus/pci/devices/0000:00:02.0/driver/unbind && echo vfio-pci > "
	    "/sys/bus/pci/devices/0000:00:02.0/driver_override && echo 0000:00:02.0 "
	    "> /sys/bus/pci/drivers/vfio-pci/bind");
	assert_int_equal(step(&d, "reset")->status, DOC_PASS);
	doctor_free(&d);
	json_object_put(doc);
	sh("ln -s ../../drivers/vfio-pci sys/bus/pci/devices/" EDU "/driver");
	doc = doctor(&d, NULL); /* no --device: the devices bound to vfio-pci */
	assert_int_equal(d.targets.n, 1);
	assert_string_equal(d.targets.v[0], EDU);
	assert_int_equal(step(&d, "binding")->status, DOC_PASS);
	assert_int_equal(step(&d, "group")->status, DOC_PASS);
	assert_int_equal(step(&d, "reset")->status, DOC_WARN); /* edu has no reset method */
	assert_int_equal(doctor_worst(&d), DOC_WARN);
	doctor_free(&d);
	json_object_put(doc);
}

/* intel_iommu=on on an AMD IOMMU (IVRS table, AMD CPU) is decorative. */
static void test_vendor_mismatch(void **state)
{
	struct doctor d;
	json_object *doc;
	const struct doc_step *s;

	(void)state;
	sh("mv sys/firmware/acpi/tables/DMAR sys/firmware/acpi/tables/IVRS");
	doc = doctor(&d, EDU);
	s = step(&d, "iommu");
	assert_string_equal(sd_iommu_vendor(doc), "amd");
	assert_int_equal(s->status, DOC_WARN); /* the IOMMU is active: AMD's is on by default */
	assert_non_null(strstr(s->summary, "intel_iommu=on is decorative"));
	assert_true(any_contains(&s->next, "drop intel_iommu=on"));
	doctor_free(&d);
	json_object_put(doc);
}

/* Booted without intel_iommu=on: no units, no groups; step 1 fails and everything stops. */
static void test_no_intel_iommu_on(void **state)
{
	struct doctor d;
	json_object *doc;
	const struct doc_step *s;

	(void)state;
	sh("sed -i 's/ intel_iommu=on//' proc/cmdline && rm -rf sys/kernel/iommu_groups/* "
	   "sys/class/iommu/* sys/bus/pci/devices/*/iommu_group && "
	   "grep -v -e 'Virtualization Technology' -e 'IOMMU enabled' dev/kmsg > k && mv k "
	   "dev/kmsg");
	doc = doctor(&d, EDU);
	s = step(&d, "iommu");
	assert_int_equal(sd_iommu_active(doc), TRI_NO);
	assert_int_equal(s->status, DOC_FAIL);
	/* Debian's config turns the Intel IOMMU on by default: the parameter is not the cause. */
	assert_string_equal(sd_kconfig(doc, "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF"), "y");
	assert_true(any_contains(&s->evidence, "kernel config: the Intel IOMMU is on by default, "
					       "DMA default lazy"));
	assert_true(any_contains(&s->next, "turns the Intel IOMMU on by default, yet it is not"));
	for (int i = 1; i < DOCTOR_STEPS; i++) {
		assert_int_equal(d.steps[i].status, DOC_SKIP);
		assert_non_null(strstr(d.steps[i].summary, "step 1 (IOMMU active) failed"));
	}
	doctor_free(&d);
	json_object_put(doc);
	/* A kernel that leaves it off: add intel_iommu=on. */
	sh("sed -i -e 's/^CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y/# "
	   "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF is not set/' -e 's/^# "
	   "CONFIG_INTEL_IOMMU_DEFAULT_OFF is not set/CONFIG_INTEL_IOMMU_DEFAULT_OFF=y/' "
	   "boot/config-*");
	doc = doctor(&d, EDU);
	assert_true(
	    any_contains(&step(&d, "iommu")->next,
			 "add intel_iommu=on to the kernel command line (this kernel leaves the "
			 "Intel IOMMU off by default)"));
	doctor_free(&d);
	json_object_put(doc);
	/* No kernel config at all: say what decides it. */
	sh("rm boot/config-*");
	doc = doctor(&d, EDU);
	assert_true(
	    any_contains(&step(&d, "iommu")->next,
			 "add intel_iommu=on to the kernel command line (kernels built without "
			 "CONFIG_INTEL_IOMMU_DEFAULT_ON leave it off)"));
	doctor_free(&d);
	json_object_put(doc);
}

static void test_acs_override(void **state)
{
	struct doctor d;
	json_object *doc;
	const struct doc_step *s;

	(void)state;
	sh("sed -i 's/$/ pcie_acs_override=downstream,multifunction/' proc/cmdline && "
	   "ln -s ../../drivers/vfio-pci sys/bus/pci/devices/" EDU "/driver");
	doc = doctor(&d, EDU);
	s = step(&d, "group");
	assert_string_equal(sd_param(doc, "pcie_acs_override"), "downstream,multifunction");
	assert_int_equal(step(&d, "binding")->status, DOC_PASS);
	assert_int_equal(s->status, DOC_WARN);
	assert_non_null(strstr(s->summary, "pcie_acs_override=downstream,multifunction"));
	doctor_free(&d);
	json_object_put(doc);
}

/* A group that also holds a device bound to a host driver is not viable. */
static void test_group_not_viable(void **state)
{
	struct doctor d;
	json_object *doc;
	const struct doc_step *s;

	(void)state;
	sh("ln -s ../../drivers/vfio-pci sys/bus/pci/devices/" EDU "/driver && "
	   "ln -s ../../../../bus/pci/devices/" NVME " sys/kernel/iommu_groups/3/devices/ && "
	   "rm -r sys/kernel/iommu_groups/2 && ln -sfn ../../../../kernel/iommu_groups/3 "
	   "sys/bus/pci/devices/" NVME "/iommu_group");
	doc = doctor(&d, EDU);
	s = step(&d, "group");
	assert_int_equal(s->status, DOC_FAIL);
	assert_non_null(strstr(s->summary, "group 3 is not viable: 0000:00:02.0 is bound to nvme"));
	assert_true(any_contains(&s->next, "echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/"
					   "driver/unbind"));
	doctor_free(&d);
	json_object_put(doc);
}

static void test_no_irq_remapping(void **state)
{
	struct doctor d;
	json_object *doc;
	const struct doc_step *s;

	(void)state;
	sh("grep -v 'DMAR-IR' dev/kmsg > k && mv k dev/kmsg && sed -i 's/IR-//' proc/interrupts");
	doc = doctor(&d, NULL);
	s = step(&d, "irq-remapping");
	assert_int_equal(sd_irq_remap(doc), TRI_NO);
	assert_int_equal(s->status, DOC_FAIL);
	assert_true(any_contains(&s->next, "allow_unsafe_interrupts=1 only with a threat model"));
	doctor_free(&d);
	json_object_put(doc);
	sh("sed -i 's/$/ vfio_iommu_type1.allow_unsafe_interrupts=1/' proc/cmdline");
	doc = doctor(&d, NULL);
	assert_int_equal(step(&d, "irq-remapping")->status, DOC_WARN);
	doctor_free(&d);
	json_object_put(doc);
}

static void test_swiotlb_nearly_full(void **state)
{
	struct doctor d;
	json_object *doc;
	const struct doc_step *s;

	(void)state;
	sh("mkdir -p sys/kernel/debug/swiotlb && echo 32768 > "
	   "sys/kernel/debug/swiotlb/io_tlb_nslabs && "
	   "echo 31500 > sys/kernel/debug/swiotlb/io_tlb_used");
	doc = doctor(&d, NULL);
	s = step(&d, "swiotlb");
	assert_int_equal(sd_int(sd_obj(doc, "swiotlb"), "nslabs", 0), 32768);
	assert_int_equal(s->status, DOC_FAIL);
	assert_non_null(strstr(s->summary, "swiotlb nearly full: 96% of 32768 slots used"));
	assert_true(any_contains(&s->next, "swiotlb=262144 is 512 MiB"));
	doctor_free(&d);
	json_object_put(doc);
	sh("echo 100 > sys/kernel/debug/swiotlb/io_tlb_used");
	doc = doctor(&d, NULL);
	assert_int_equal(step(&d, "swiotlb")->status, DOC_PASS);
	doctor_free(&d);
	json_object_put(doc);
}

static void test_32bit_mask_device(void **state)
{
	struct doctor d;
	json_object *doc;
	const struct doc_step *s;

	(void)state;
	sh("echo 32 > sys/bus/pci/devices/" NVME "/dma_mask_bits");
	doc = doctor(&d, NULL);
	s = step(&d, "swiotlb");
	assert_int_equal(s->status, DOC_WARN);
	assert_non_null(strstr(s->summary, "1 device(s) with a DMA mask of 32 bits or less"));
	assert_true(any_contains(&s->evidence, "0000:00:02.0 (nvme, 32-bit)"));
	doctor_free(&d);
	json_object_put(doc);
}

static void test_faults(void **state)
{
	struct doctor d;
	json_object *doc;

	(void)state;
	sh("printf '%%s\\n' '3,900,5000000,-;DMAR: DRHD: handling fault status reg 2' "
	   "'3,901,5000001,-;DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr "
	   "0x200000 [fault reason 0x05] PTE Write access is not set' >> dev/kmsg");
	doc = doctor(&d, EDU);
	assert_int_equal(sd_int(sd_obj(doc, "kernel_log"), "faults_total", 0), 1);
	/* Faults depend on the IOMMU only, not on the binding that failed. */
	assert_int_equal(step(&d, "binding")->status, DOC_FAIL);
	assert_int_equal(step(&d, "faults")->status, DOC_FAIL);
	assert_true(any_contains(&step(&d, "faults")->evidence, "fault reason 0x05"));
	doctor_free(&d);
	json_object_put(doc);
	doc = doctor(&d, NVME);
	assert_int_equal(step(&d, "faults")->status, DOC_PASS);
	doctor_free(&d);
	json_object_put(doc);
}

static void test_bad_target(void **state)
{
	struct doctor d;
	json_object *doc = collect();
	char err[256];

	(void)state;
	assert_int_equal(doctor_run(doc, "00:09.0", &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no PCI device 0000:00:09.0"));
	assert_int_equal(doctor_run(doc, "edu", &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a PCI address"));
	json_object_put(doc);
}

/* --- diff ---------------------------------------------------------------------------------- */

static bool has_item(const struct sdiff *d, enum sdiff_sev sev, const char *kind, const char *msg)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sev == sev && strcmp(d->v[i].kind, kind) == 0 &&
		    strstr(d->v[i].message, msg))
			return true;
	return false;
}

static void test_diff_self_and_regressions(void **state)
{
	json_object *a = collect(), *b;
	struct sdiff d;

	(void)state;
	assert_int_equal(snapdiff(a, a, &d), 0);
	assert_int_equal(d.n, 0);
	sdiff_free(&d);
	/* After the "update": nvme joins edu's group, edu loses vfio-pci... */
	sh("ln -s ../../drivers/vfio-pci sys/bus/pci/devices/" EDU "/driver");
	json_object_put(a);
	a = collect();
	sh("rm sys/bus/pci/devices/" EDU "/driver && "
	   "ln -s ../../../../bus/pci/devices/" NVME " sys/kernel/iommu_groups/3/devices/ && "
	   "rm -r sys/kernel/iommu_groups/2 && ln -sfn ../../../../kernel/iommu_groups/3 "
	   "sys/bus/pci/devices/" NVME "/iommu_group && "
	   "echo 32 > sys/bus/pci/devices/" NVME "/dma_mask_bits && "
	   "sed -i 's/iommu.strict=1/iommu.strict=0/' proc/cmdline && "
	   "grep -v 'DMAR-IR' dev/kmsg > k && mv k dev/kmsg && sed -i 's/IR-//' proc/interrupts && "
	   "echo DMA-FQ > sys/kernel/iommu_groups/1/type && "
	   "sed -i 's/^CONFIG_IOMMU_DEFAULT_DMA_LAZY=y/# CONFIG_IOMMU_DEFAULT_DMA_LAZY is not "
	   "set/' "
	   "boot/config-* && mv boot/config-* boot/config-6.13.0 && "
	   "echo 6.13.0 > proc/sys/kernel/osrelease");
	b = collect();
	assert_int_equal(snapdiff(a, b, &d), 0);
	assert_true(
	    has_item(&d, SDIFF_REGRESSION, "group-grew",
		     "2 devices now share IOMMU group 3: 0000:00:02.0, 0000:00:03.0 (before: "
		     "0000:00:02.0 in group 2 (1 device); 0000:00:03.0 in group 3 (1 device))"));
	assert_true(has_item(&d, SDIFF_REGRESSION, "driver",
			     "0000:00:03.0: driver vfio-pci -> none (no longer bound to VFIO)"));
	assert_true(
	    has_item(&d, SDIFF_REGRESSION, "dma-mask", "0000:00:02.0: DMA mask 64 -> 32 bits"));
	assert_true(has_item(&d, SDIFF_REGRESSION, "param", "iommu.strict=1 -> 0"));
	assert_true(
	    has_item(&d, SDIFF_REGRESSION, "irq-remapping", "interrupt remapping: yes -> no"));
	assert_true(has_item(&d, SDIFF_REGRESSION, "group-type", "DMA -> DMA-FQ"));
	assert_true(has_item(&d, SDIFF_INFO, "kernel", "-> 6.13.0"));
	assert_true(
	    has_item(&d, SDIFF_REGRESSION, "kconfig", "CONFIG_IOMMU_DEFAULT_DMA_LAZY=y -> n"));
	/* Regressions first. */
	assert_int_equal(d.v[0].sev, SDIFF_REGRESSION);
	assert_string_equal(d.v[0].kind, "group-grew");
	assert_int_equal(d.v[d.n - 1].sev, SDIFF_INFO);
	assert_int_equal(d.count[SDIFF_REGRESSION], 7);
	sdiff_free(&d);
	/* The other way round: the group split, edu bound to vfio-pci: changes, not regressions. */
	assert_int_equal(snapdiff(b, a, &d), 0);
	assert_true(has_item(&d, SDIFF_CHANGE, "group-split", "IOMMU group 3 split"));
	assert_true(has_item(&d, SDIFF_CHANGE, "driver", "driver none -> vfio-pci"));
	assert_true(has_item(&d, SDIFF_CHANGE, "irq-remapping", "no -> yes"));
	sdiff_free(&d);
	json_object_put(a);
	json_object_put(b);
}

/* --- parsing -------------------------------------------------------------------------------- */

static void test_cmdline_params(void **state)
{
	json_object *p = hostinfo_cmdline_params(
	    "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet intel_iommu=on iommu=pt intel_iommu=igfx_off "
	    "vfio_pci.ids=10de:1e87,10de:10f8 opt=\"a b\" amd_iommu= -- intel_iommu=off");

	(void)state;
	assert_string_equal(sd_str(p, "intel_iommu"), "on,igfx_off");
	assert_int_equal(sd_onoff(sd_str(p, "intel_iommu")), TRI_YES);
	assert_int_equal(sd_onoff("on,off"), TRI_NO);
	assert_int_equal(sd_onoff("igfx_off"), TRI_UNKNOWN);
	assert_string_equal(sd_str(p, "iommu"), "pt");
	assert_string_equal(sd_str(p, "vfio-pci.ids"), "10de:1e87,10de:10f8");
	assert_string_equal(sd_str(p, "amd_iommu"), "");
	assert_null(sd_str(p, "root"));
	assert_int_equal(json_object_object_length(p), 4);
	json_object_put(p);
}

static void test_norm_bdf(void **state)
{
	char b[32];

	(void)state;
	assert_int_equal(sd_norm_bdf("00:03.0", b, sizeof(b)), 0);
	assert_string_equal(b, "0000:00:03.0");
	assert_int_equal(sd_norm_bdf("0001:3A:1f.7", b, sizeof(b)), 0);
	assert_string_equal(b, "0001:3a:1f.7");
	assert_int_equal(sd_norm_bdf("00:20.0", b, sizeof(b)), -1);
	assert_int_equal(sd_norm_bdf("00:03.0x", b, sizeof(b)), -1);
	assert_int_equal(sd_norm_bdf("", b, sizeof(b)), -1);
}

/* Malformed snapshot files are refused with a reason, never half-read. */
static void test_malformed(void **state)
{
	json_object *good = collect();
	const char *gs = json_object_to_json_string_ext(good, JSON_C_TO_STRING_PLAIN);
	char err[256], *buf;
	size_t n = strlen(gs);
	static const struct {
		const char *text, *why;
	} cases[] = {
	    {"", "empty file"},
	    {"{", "unexpected end of file"},
	    {"[1,2]", "not a JSON object"},
	    {"{}", "not an iommutrace snapshot"},
	    {"{\"format\":\"iommutrace-snapshot\",\"version\":2}", "snapshot version 2"},
	    {"{\"format\":\"iommutrace-snapshot\",\"version\":\"1\"}",
	     "\"version\" is not an integer"},
	    {"{\"format\":\"iommutrace-snapshot\",\"version\":1}", "tool: missing"},
	    {"nul\0byte", "binary data"},
	    {"{\"a\":1} x", "trailing data"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);

		if (strcmp(cases[i].text, "nul") == 0)
			len = 8;
		err[0] = 0;
		assert_null(snapdoc_parse(cases[i].text, len, err, sizeof(err)));
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: '%s', want '%s'", i, err, cases[i].why);
	}
	/* The good document parses; with one nested field of the wrong type it does not. */
	json_object_put(snapdoc_parse(gs, n, err, sizeof(err)));
	json_object_object_add(sd_at(sd_arr(good, "devices"), 3), "iommu_group",
			       json_object_new_string("3"));
	buf = strdup(json_object_to_json_string_ext(good, JSON_C_TO_STRING_PLAIN));
	assert_null(snapdoc_parse(buf, strlen(buf), err, sizeof(err)));
	assert_string_equal(err, "devices[3].iommu_group: expected integer or null");
	free(buf);
	json_object_put(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_recorded_tree, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_bound_driver_and_vfio, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_vendor_mismatch, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_no_intel_iommu_on, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_acs_override, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_group_not_viable, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_no_irq_remapping, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_swiotlb_nearly_full, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_32bit_mask_device, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_faults, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_target, tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_diff_self_and_regressions, tree_setup,
					    tree_teardown),
	    cmocka_unit_test(test_cmdline_params),
	    cmocka_unit_test(test_norm_bdf),
	    cmocka_unit_test_setup_teardown(test_malformed, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
