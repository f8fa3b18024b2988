// SPDX-License-Identifier: GPL-2.0
/*
 * iommutrace.ko: the optional debugfs side of iommutrace, for kernels where the BPF side cannot
 * run (no BTF, BPF locked down) and for what BPF cannot do as well. It counts DMA map/unmap per
 * device and IOVA allocations per domain (counters.c), reads every Intel VT-d fault record before
 * the kernel's handler clears it (faults.c), and prints them under /sys/kernel/debug/iommutrace/
 * (output.c; format in docs/KMOD.md).
 *
 * Order matters: hooks go in before the files appear, and on unload the files go first (no reader
 * left), then the hooks (unregistering waits for running handlers), then the memory.
 */
#include "iommutrace_kmod.h"

#include <linux/module.h>

static int __init iommutrace_init(void)
{
	int r = itk_counters_init();

	if (r)
		return r;
	itk_faults_init();
	r = itk_debugfs_init();
	if (r) {
		itk_faults_exit();
		itk_counters_exit();
	}
	return r;
}

static void __exit iommutrace_exit(void)
{
	itk_debugfs_exit();
	itk_faults_exit();
	itk_counters_exit();
}

module_init(iommutrace_init);
module_exit(iommutrace_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iommutrace debugfs counters");
