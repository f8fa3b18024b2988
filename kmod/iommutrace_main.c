// SPDX-License-Identifier: GPL-2.0
/*
 * iommutrace.ko: the optional debugfs side of iommutrace.
 *
 * It creates /sys/kernel/debug/iommutrace/ and publishes the format version there, so that user
 * space can tell a loaded module from an absent one. The counters it fills (DMA map/unmap, IOVA
 * alloc/free, Intel fault-recording registers) are added module by module in kmod/.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#define IOMMUTRACE_KMOD_FORMAT 1

static struct dentry *iommutrace_dir;

static int version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "iommutrace-kmod format %d\n", IOMMUTRACE_KMOD_FORMAT);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(version);

static int __init iommutrace_init(void)
{
	iommutrace_dir = debugfs_create_dir("iommutrace", NULL);
	if (IS_ERR(iommutrace_dir)) {
		pr_err("iommutrace: cannot create debugfs directory (is debugfs enabled?)\n");
		return PTR_ERR(iommutrace_dir);
	}
	debugfs_create_file("version", 0400, iommutrace_dir, NULL, &version_fops);
	return 0;
}

static void __exit iommutrace_exit(void)
{
	debugfs_remove_recursive(iommutrace_dir);
}

module_init(iommutrace_init);
module_exit(iommutrace_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iommutrace debugfs counters");
