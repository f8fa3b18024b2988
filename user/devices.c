// SPDX-License-Identifier: GPL-2.0
/* devices.c: device facts from sysfs (see devices.h). */
#include "devices.h"

#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return -1;
	buf[n] = 0;
	snprintf(out, len, "%s", basename(buf));
	return 0;
}

int dev_sysfs_lookup(const char *sysfs_root, const char *name, struct dev_sysfs *out)
{
	static const char *const buses[] = {"pci", "platform"};
	char base[PATH_MAX], p[PATH_MAX + 32], grp[32];

	memset(out, 0, sizeof(*out));
	out->group = -1;
	if (!name || !name[0] || strchr(name, '/'))
		return -1;
	for (size_t i = 0; i < sizeof(buses) / sizeof(buses[0]); i++) {
		snprintf(base, sizeof(base), "%s/bus/%s/devices/%s", sysfs_root, buses[i], name);
		if (access(base, F_OK) == 0)
			break;
		base[0] = 0;
	}
	if (!base[0])
		return -1;
	snprintf(p, sizeof(p), "%s/driver", base);
	read_link_base(p, out->driver, sizeof(out->driver));
	snprintf(p, sizeof(p), "%s/iommu_group", base);
	if (read_link_base(p, grp, sizeof(grp)) == 0) {
		FILE *f;

		out->group = atoi(grp);
		snprintf(p, sizeof(p), "%s/kernel/iommu_groups/%d/type", sysfs_root, out->group);
		f = fopen(p, "r");
		if (f) {
			if (fgets(out->group_type, sizeof(out->group_type), f))
				out->group_type[strcspn(out->group_type, "\n")] = 0;
			fclose(f);
		}
	}
	return 0;
}

const char *dev_label(char *buf, size_t len, const char *name, const char *driver)
{
	if (!name || !name[0])
		snprintf(buf, len, "(no device)");
	else if (driver && driver[0])
		snprintf(buf, len, "%s %s", name, driver);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

static const char *iommu_kind(const char *name)
{
	if (strncmp(name, "dmar", 4) == 0)
		return "Intel VT-d";
	if (strncmp(name, "ivhd", 4) == 0)
		return "AMD-Vi";
	if (strstr(name, "smmu"))
		return "Arm SMMU";
	return "IOMMU";
}

const char *iommu_mode_describe(const char *sysfs_root, char *buf, size_t len)
{
	char p[PATH_MAX], types[8][16], t[16];
	int counts[8] = {}, ntypes = 0, units = 0;
	size_t off = 0;
	struct dirent *de;
	DIR *d;

	buf[0] = 0;
	snprintf(p, sizeof(p), "%s/class/iommu", sysfs_root);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (units++ == 0)
			off += snprintf(buf + off, len - off, "%s (%s", iommu_kind(de->d_name),
					de->d_name);
		else if (off < len)
			off += snprintf(buf + off, len - off, ", %s", de->d_name);
	}
	if (d)
		closedir(d);
	if (!units) {
		snprintf(buf, len, "none (no %s/class/iommu entries)", sysfs_root);
		return buf;
	}
	if (off < len)
		off += snprintf(buf + off, len - off, ")");
	snprintf(p, sizeof(p), "%s/kernel/iommu_groups", sysfs_root);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		FILE *f;
		int k;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/kernel/iommu_groups/%s/type", sysfs_root, de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (!fgets(t, sizeof(t), f))
			t[0] = 0;
		fclose(f);
		t[strcspn(t, "\n")] = 0;
		for (k = 0; k < ntypes && strcmp(types[k], t) != 0; k++)
			;
		if (k == ntypes && ntypes < 8)
			snprintf(types[ntypes++], sizeof(types[0]), "%s", t);
		if (k < ntypes)
			counts[k]++;
	}
	if (d)
		closedir(d);
	for (int k = 0; k < ntypes && off < len; k++)
		off += snprintf(buf + off, len - off, "%s%d %s", k ? ", " : "; groups: ", counts[k],
				types[k]);
	return buf;
}
