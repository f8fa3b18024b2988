/* SPDX-License-Identifier: GPL-2.0 */
/* devices.h: what sysfs says about a device by name — driver, IOMMU group, group type. */
#ifndef IOMMUTRACE_DEVICES_H
#define IOMMUTRACE_DEVICES_H

#include <stddef.h>

struct dev_sysfs {
	char driver[32];     /* bound driver, "" if none */
	int group;	     /* IOMMU group number, -1 if none */
	char group_type[16]; /* DMA, DMA-FQ, identity, blocked, "" if unknown */
};

/* Looks the device up under /sys/bus/{pci,platform}/devices (sysfs_root: "/sys" or a test tree). */
int dev_sysfs_lookup(const char *sysfs_root, const char *name, struct dev_sysfs *out);
/* "0000:00:03.0 nvme" into buf; unattributed (empty name) is "(no device)". */
const char *dev_label(char *buf, size_t len, const char *name, const char *driver);

/* "Intel VT-d (dmar0); groups: 4 DMA, 1 identity" from sysfs_root/class/iommu and the IOMMU
 * groups' types; "none" and why if the kernel has no IOMMU. */
const char *iommu_mode_describe(const char *sysfs_root, char *buf, size_t len);

#endif
