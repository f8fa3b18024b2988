/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostinfo.h: collects the passthrough health snapshot (snapdoc.h) from sysfs, procfs, /dev and
 * PCI config space under a root directory: "/" on a real host, a recorded tree in the tests.
 */
#ifndef IOMMUTRACE_HOSTINFO_H
#define IOMMUTRACE_HOSTINFO_H

#include <json-c/json.h>

struct hostinfo_opts {
	const char *root;    /* prefix of every path read; "/" or "" for this host */
	const char *pci_ids; /* pci.ids path (not prefixed); NULL: the usual places under root */
};

/* Never fails for lack of information: whatever cannot be read is null in the document and
 * listed under "unknown" with the reason. NULL only when out of memory. */
json_object *hostinfo_collect(const struct hostinfo_opts *o);

/* Parses a kernel command line into the IOMMU-relevant parameters (repeats joined by ','). */
json_object *hostinfo_cmdline_params(const char *cmdline);

#endif
