/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault_decode.h: what an IOMMU fault means. VT-d fault reason codes (legacy DMA remapping,
 * interrupt remapping and scalable mode, as the kernel's own tables name them) with the usual
 * cause; AMD-Vi IO_PAGE_FAULT event flags; and the kernel's own fault log lines parsed back into
 * records. Pure: no I/O.
 */
#ifndef IOMMUTRACE_FAULT_DECODE_H
#define IOMMUTRACE_FAULT_DECODE_H

#include "iommutrace.h"

#include <stdbool.h>
#include <stddef.h>

enum fault_class {
	FAULT_CLASS_UNKNOWN = 0,
	FAULT_CLASS_DMA,  /* DMA remapping (legacy or scalable mode) */
	FAULT_CLASS_INTR, /* interrupt remapping */
};

struct vtd_reason {
	unsigned code;
	enum fault_class cls;
	const char *text;  /* the kernel's wording */
	const char *cause; /* the usual cause, NULL when there is nothing useful to add */
};

/* Never NULL: an unknown code gets an entry with text "Unknown". */
const struct vtd_reason *vtd_reason(unsigned code);

/* AMD-Vi IO_PAGE_FAULT event flags (AMD IOMMU spec, event log entry bits 16+). */
enum {
	AMD_EV_GN = 0x001, /* guest/nested */
	AMD_EV_NX = 0x002, /* no-execute */
	AMD_EV_US = 0x004, /* user/supervisor */
	AMD_EV_I = 0x008,  /* interrupt request (not a memory access) */
	AMD_EV_PR = 0x010, /* the page was present: a permission fault */
	AMD_EV_RW = 0x020, /* write */
	AMD_EV_PE = 0x040, /* permission bits were checked */
	AMD_EV_RZ = 0x080, /* reserved bit not zero */
	AMD_EV_TR = 0x100, /* translation request (ATS), not a transaction */
};

/* "write, page present (permission), ..." into buf. */
const char *amd_flags_text(__u32 flags, char *buf, size_t len);
/* One-line meaning of AMD event flags (what went wrong). */
const char *amd_flags_meaning(__u32 flags);

/* iommu:io_page_fault flags: IOMMU_FAULT_WRITE (bit 0) from every caller; AMD-Vi's raw event
 * flags (RW at bit 5) when other bits are set. */
bool tp_flags_are_amd(__u32 flags);
enum it_access tp_flags_access(__u32 flags);

/* A kernel fault log line, parsed. */
struct fault_line {
	enum { FL_INTEL = 1, FL_AMD = 2 } vendor;
	char device[IT_NAME_LEN]; /* "0000:00:03.0" (Intel lines carry no segment: 0000 assumed) */
	__u64 addr;		  /* faulting address; interrupt index for INTR-REMAP */
	enum it_access access;
	unsigned reason; /* VT-d reason code */
	__u32 pasid;	 /* IT_PASID_NONE if none */
	__u32 flags;	 /* AMD event flags */
	bool intr;	 /* interrupt-remapping fault */
};

/* 0 and *out filled if text is one of the kernel's fault lines, -1 otherwise. */
int fault_line_parse(const char *text, struct fault_line *out);

/* "0000:00:03.0" from a PCI segment and requester id. */
const char *sid_to_bdf(char *buf, size_t len, unsigned seg, unsigned sid);
const char *access_name(unsigned access);

#endif
