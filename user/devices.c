// SPDX-License-Identifier: GPL-2.0
/* devices.c: device facts from sysfs (see devices.h). */
#include "devices.h"

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
