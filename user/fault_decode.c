// SPDX-License-Identifier: GPL-2.0
/* fault_decode.c: fault reason tables, AMD flags and the kernel's fault lines (fault_decode.h). */
#include "fault_decode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(c, t, k)                                                                                 \
	{                                                                                          \
		c, FAULT_CLASS_DMA, t, k                                                           \
	}
#define I(c, t, k)                                                                                 \
	{                                                                                          \
		c, FAULT_CLASS_INTR, t, k                                                          \
	}

static const char cause_unmapped[] =
    "the device used an address with no mapping: a stale address after unmap, an address "
    "past the buffer, or a descriptor the driver never mapped";
static const char cause_context[] =
    "the device has no translation context: not attached to a domain (driver unbound, "
    "device reset or hot-removed while DMA was in flight), or a requester ID alias (PCIe-to-PCI "
    "bridge, phantom functions)";

/* drivers/iommu/intel/dmar.c: dma_remap_fault_reasons, irq_remap_fault_reasons,
 * dma_remap_sm_fault_reasons. */
static const struct vtd_reason reasons[] = {
    D(0x00, "Software", NULL),
    D(0x01, "Present bit in root entry is clear", cause_context),
    D(0x02, "Present bit in context entry is clear", cause_context),
    D(0x03, "Invalid context entry", "corrupt or half-written context entry"),
    D(0x04, "Access beyond MGAW",
      "the device used an address wider than the IOMMU supports: a wrong DMA mask or a "
      "corrupted descriptor"),
    D(0x05, "PTE Write access is not set",
      "write to a page mapped read-only: a DMA_TO_DEVICE buffer the device wrote into (an RX "
      "buffer mapped the wrong way), or a write to an unmapped page"),
    D(0x06, "PTE Read access is not set",
      "read of a page not mapped for reading: usually no mapping at all (use after unmap, or "
      "an address the driver never mapped)"),
    D(0x07, "Next page table ptr is invalid", cause_unmapped),
    D(0x08, "Root table address invalid", "IOMMU set up wrongly (firmware or kernel bug)"),
    D(0x09, "Context table ptr is invalid", "IOMMU set up wrongly (firmware or kernel bug)"),
    D(0x0a, "non-zero reserved fields in RTP", "IOMMU set up wrongly (kernel bug)"),
    D(0x0b, "non-zero reserved fields in CTP", "IOMMU set up wrongly (kernel bug)"),
    D(0x0c, "non-zero reserved fields in PTE", "corrupt page table entry (kernel bug)"),
    D(0x0d, "PCE for translation request specifies blocking",
      "the device's translation requests are blocked (ATS disabled for it)"),
    I(0x20, "Detected reserved fields in the decoded interrupt-remapped request",
      "malformed MSI from the device"),
    I(0x21, "Interrupt index exceeded the interrupt-remapping table size",
      "the device sent an MSI with a stale or wrong remapping index"),
    I(0x22, "Present field in the IRTE entry is clear",
      "MSI after its interrupt was freed: the driver freed IRQ vectors while the device could "
      "still send them (or a device reset restored old MSI values)"),
    I(0x23, "Error accessing interrupt-remapping table pointed by IRTA_REG",
      "interrupt remapping set up wrongly (firmware or kernel bug)"),
    I(0x24, "Detected reserved fields in the IRTE entry", "corrupt IRTE (kernel bug)"),
    I(0x25, "Blocked a compatibility format interrupt request",
      "a device or IOAPIC sent a compatibility-format interrupt while x2APIC/remapping blocks "
      "them: firmware left a legacy interrupt source on"),
    I(0x26, "Blocked an interrupt request due to source-id verification failure",
      "the MSI came from another requester ID than the one programmed: a bridge or alias"),
    D(0x30, "SM: Invalid Root Table Address", NULL),
    D(0x31, "SM: TTM 0 for request with PASID", NULL),
    D(0x32, "SM: TTM 0 for page group request", NULL),
    D(0x38, "SM: Error attempting to access Root Entry", NULL),
    D(0x39, "SM: Present bit in Root Entry is clear", cause_context),
    D(0x3a, "SM: Non-zero reserved field set in Root Entry", NULL),
    D(0x40, "SM: Error attempting to access Context Entry", NULL),
    D(0x41, "SM: Present bit in Context Entry is clear", cause_context),
    D(0x42, "SM: Non-zero reserved field set in the Context Entry", NULL),
    D(0x43, "SM: Invalid Context Entry", NULL),
    D(0x44, "SM: DTE field in Context Entry is clear", NULL),
    D(0x45, "SM: PASID Enable field in Context Entry is clear",
      "a request with PASID to a device whose PASID support is not enabled"),
    D(0x46, "SM: PASID is larger than the max in Context Entry", NULL),
    D(0x47, "SM: PRE field in Context-Entry is clear", NULL),
    D(0x48, "SM: RID_PASID field error in Context-Entry", NULL),
    D(0x50, "SM: Error attempting to access the PASID Directory Entry", NULL),
    D(0x51, "SM: Present bit in Directory Entry is clear",
      "request with a PASID that is not set up (freed or never bound)"),
    D(0x52, "SM: Non-zero reserved field set in PASID Directory Entry", NULL),
    D(0x58, "SM: Error attempting to access PASID Table Entry", NULL),
    D(0x59, "SM: Present bit in PASID Table Entry is clear",
      "request with a PASID that is not set up (freed or never bound)"),
    D(0x5a, "SM: Non-zero reserved field set in PASID Table Entry", NULL),
    D(0x5b, "SM: Invalid Scalable-Mode PASID Table Entry", NULL),
    D(0x5c, "SM: ERE field is clear in PASID Table Entry", NULL),
    D(0x5d, "SM: SRE field is clear in PASID Table Entry", NULL),
    D(0x70, "SM: Error attempting to access first-level paging entry", NULL),
    D(0x71, "SM: Present bit in first-level paging entry is clear", cause_unmapped),
    D(0x72, "SM: Non-zero reserved field set in first-level paging entry", NULL),
    D(0x73, "SM: Error attempting to access FL-PML4 entry", NULL),
    D(0x74, "SM: First-level entry address beyond MGAW in Nested translation", NULL),
    D(0x75, "SM: Read permission error in FL-PML4 entry in Nested translation", NULL),
    D(0x76, "SM: Read permission error in first-level paging entry in Nested translation", NULL),
    D(0x77, "SM: Write permission error in first-level paging entry in Nested translation",
      "write to a page mapped read-only: a DMA_TO_DEVICE buffer the device wrote into"),
    D(0x78, "SM: Error attempting to access second-level paging entry", NULL),
    D(0x79, "SM: Read/Write permission error in second-level paging entry",
      "access the mapping does not allow: a DMA_TO_DEVICE buffer written by the device, or an "
      "unmapped page"),
    D(0x7a, "SM: Non-zero reserved field set in second-level paging entry", NULL),
    D(0x7b, "SM: Invalid second-level page table pointer", NULL),
    D(0x7c, "SM: A/D bit update needed in second-level entry when set up in no snoop", NULL),
    D(0x80, "SM: Address in first-level translation is not canonical",
      "a corrupted or uninitialised address in a descriptor"),
    D(0x81, "SM: U/S set 0 for first-level translation with user privilege", NULL),
    D(0x82, "SM: No execute permission for request with PASID and ER=1", NULL),
    D(0x83, "SM: Address beyond the DMA hardware max",
      "the device used an address wider than the IOMMU supports: wrong DMA mask or corrupted "
      "descriptor"),
    D(0x84, "SM: Second-level entry address beyond the max", NULL),
    D(0x85, "SM: No write permission for Write/AtomicOp request",
      "write to a page mapped read-only: a DMA_TO_DEVICE buffer the device wrote into"),
    D(0x86, "SM: No read permission for Read/AtomicOp request",
      "read of a page not mapped for reading (use after unmap, or never mapped)"),
    D(0x87, "SM: Invalid address-interrupt address", NULL),
    D(0x90, "SM: A/D bit update needed in first-level entry when set up in no snoop", NULL),
};

const struct vtd_reason *vtd_reason(unsigned code)
{
	static __thread struct vtd_reason unknown;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return &reasons[i];
	unknown = (struct vtd_reason){code, FAULT_CLASS_UNKNOWN, "Unknown", NULL};
	return &unknown;
}

const char *amd_flags_text(__u32 flags, char *buf, size_t len)
{
	static const struct {
		__u32 bit;
		const char *set, *clear;
	} bits[] = {
	    {AMD_EV_RW, "write", "read"},
	    {AMD_EV_PR, "page present (permission fault)", "page not present"},
	    {AMD_EV_TR, "translation request", NULL},
	    {AMD_EV_I, "interrupt request", NULL},
	    {AMD_EV_US, "user", NULL},
	    {AMD_EV_NX, "execute", NULL},
	    {AMD_EV_PE, "permission checked", NULL},
	    {AMD_EV_RZ, "reserved bit set", NULL},
	    {AMD_EV_GN, "guest", NULL},
	};
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]) && n < len; i++) {
		const char *s = flags & bits[i].bit ? bits[i].set : bits[i].clear;

		if (s)
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", s);
	}
	return buf;
}

const char *amd_flags_meaning(__u32 flags)
{
	if (flags & AMD_EV_I)
		return "interrupt request to an address that is not remapped: an MSI the IOMMU "
		       "does not "
		       "know (vectors freed or device reset)";
	if (flags & AMD_EV_RZ)
		return "reserved bit set in the page table entry (kernel bug or corruption)";
	if (flags & AMD_EV_PR)
		return flags & AMD_EV_RW
			   ? "write to a page mapped read-only: a DMA_TO_DEVICE buffer "
			     "the device wrote into"
			   : "read of a page mapped without read permission: a "
			     "DMA_FROM_DEVICE buffer the device read";
	return flags & AMD_EV_TR
		   ? "translation request for an unmapped address (ATS)"
		   : "access to an unmapped address: use after unmap, past the end of a "
		     "buffer, or never mapped";
}

bool tp_flags_are_amd(__u32 flags)
{
	return (flags & ~1u) != 0;
}

enum it_access tp_flags_access(__u32 flags)
{
	if (tp_flags_are_amd(flags))
		return flags & AMD_EV_RW ? IT_ACC_WRITE : IT_ACC_READ;
	return flags & 1 ? IT_ACC_WRITE : IT_ACC_READ;
}

const char *sid_to_bdf(char *buf, size_t len, unsigned seg, unsigned sid)
{
	snprintf(buf, len, "%04x:%02x:%02x.%u", seg & 0xffff, (sid >> 8) & 0xff, (sid >> 3) & 0x1f,
		 sid & 7);
	return buf;
}

const char *access_name(unsigned access)
{
	return access == IT_ACC_READ ? "read" : access == IT_ACC_WRITE ? "write" : "unknown";
}

/* "... Request device [00:03.0] fault addr 0x1000 [fault reason 0x05] ..." after the "[KIND]". */
static int parse_intel_tail(const char *p, struct fault_line *o, const char *what)
{
	unsigned bus, dev, fn, reason;
	unsigned long long addr;
	char fmt[96];

	snprintf(fmt, sizeof(fmt), " Request device [%%x:%%x.%%u] %s 0x%%llx [fault reason 0x%%x]",
		 what);
	if (sscanf(p, fmt, &bus, &dev, &fn, &addr, &reason) != 5 || bus > 0xff || dev > 0x1f ||
	    fn > 7 || reason > 0xff)
		return -1;
	snprintf(o->device, sizeof(o->device), "0000:%02x:%02x.%u", bus, dev, fn);
	o->addr = addr;
	o->reason = reason;
	return 0;
}

static int parse_intel(const char *t, struct fault_line *o)
{
	const char *p = t + strlen("DMAR: [");
	const char *close = strchr(p, ']');
	unsigned pasid;

	if (!close)
		return -1;
	o->vendor = FL_INTEL;
	o->pasid = IT_PASID_NONE;
	if (strncmp(p, "INTR-REMAP]", 11) == 0) {
		o->intr = true;
		return parse_intel_tail(close + 1, o, "fault index");
	}
	if (strncmp(p, "DMA Read", 8) == 0)
		o->access = IT_ACC_READ;
	else if (strncmp(p, "DMA Write", 9) == 0)
		o->access = IT_ACC_WRITE;
	else
		return -1;
	p += o->access == IT_ACC_READ ? 8 : 9;
	if (sscanf(p, " PASID 0x%x]", &pasid) == 1)
		o->pasid = pasid;
	else if (strncmp(p, " NO_PASID]", 10) != 0 && *p != ']')
		return -1;
	return parse_intel_tail(close + 1, o, "fault addr");
}

/* "[drv BDF: ]AMD-Vi: Event logged [IO_PAGE_FAULT [device=BDF ]domain=0x.. address=0x..
 * flags=0x..]" */
static int parse_amd(const char *t, const char *ev, struct fault_line *o)
{
	const char *p = strstr(ev, "[IO_PAGE_FAULT"), *q;
	unsigned long long addr;
	unsigned fl, b, d, f, seg = 0;

	if (!p)
		return -1;
	o->vendor = FL_AMD;
	o->pasid = IT_PASID_NONE;
	q = strstr(p, "address=");
	if (!q || sscanf(q, "address=0x%llx", &addr) != 1)
		return -1;
	q = strstr(p, "flags=");
	if (!q || sscanf(q, "flags=0x%x", &fl) != 1)
		return -1;
	o->addr = addr;
	o->flags = fl;
	o->access = fl & AMD_EV_RW ? IT_ACC_WRITE : IT_ACC_READ;
	q = strstr(p, "device=");
	if (q && (sscanf(q, "device=%x:%x:%x.%u", &seg, &b, &d, &f) == 4 ||
		  (seg = 0, sscanf(q, "device=%x:%x.%u", &b, &d, &f) == 3))) {
		/* older kernels: the device inside the brackets */
	} else {
		/* dev_err() prefix: "DRIVER SSSS:BB:DD.F: AMD-Vi: ..." */
		const char *sp = strchr(t, ' ');

		if (!sp || sp > ev || sscanf(sp + 1, "%x:%x:%x.%u:", &seg, &b, &d, &f) != 4)
			return -1;
	}
	if (b > 0xff || d > 0x1f || f > 7 || seg > 0xffff)
		return -1;
	snprintf(o->device, sizeof(o->device), "%04x:%02x:%02x.%u", seg, b, d, f);
	return 0;
}

int fault_line_parse(const char *text, struct fault_line *out)
{
	const char *amd;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -1;
	if (strncmp(text, "DMAR: [", 7) == 0)
		return parse_intel(text, out);
	amd = strstr(text, "AMD-Vi: Event logged [");
	if (amd)
		return parse_amd(text, amd, out);
	return -1;
}
