// SPDX-License-Identifier: GPL-2.0
/*
 * iommutrace_bench: load generator for iommutrace's overhead benchmarks (bench/run).
 *
 * Binds QEMU's edu device (PCI 1234:11e8) and runs DMA API and IOVA allocator loops through the
 * real IOMMU on request, timing them. One load serves any number of rounds:
 *
 *   cd /sys/kernel/debug/iommutrace_bench
 *   echo "map 20000"   > run   N dma_map_single + dma_unmap_single pairs (4 KiB)
 *   echo "iova 20000"  > run   N alloc_iova_fast + free_iova_fast pairs on a private domain
 *   echo "hold 100000" > run   map N buffers and keep them mapped (live mappings)
 *   echo "release"     > run   unmap everything "hold" mapped
 *   echo "fault 5000"  > run   N report_iommu_fault() calls (iommu:io_page_fault)
 *   cat run                    the last result: "op=map n=20000 ns=123456789 ns_per_op=6172"
 *
 * The device itself never makes DMA here, so its DMA mask is raised to 64 bits: that gives the
 * IOVA space for a million live mappings (edu's real 28-bit mask holds 64k pages).
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define BENCH_MAX_OPS  (1u << 24)
#define BENCH_MAX_HOLD (1u << 21)

struct bench {
	struct pci_dev *pdev;
	void *buf;
	struct dentry *dir;
	struct mutex lock; /* one request at a time */
	dma_addr_t *held;
	u32 nheld;
	char result[160];
};

static struct bench *the_bench;

static void bench_set_result(struct bench *b, const char *op, u64 n, u64 ns)
{
	snprintf(b->result, sizeof(b->result), "op=%s n=%llu ns=%llu ns_per_op=%llu\n", op, n, ns,
		 n ? div64_u64(ns, n) : 0);
}

static noinline int bench_map_loop(struct bench *b, u32 n)
{
	struct device *dev = &b->pdev->dev;
	u64 t0 = ktime_get_ns();
	u32 i;

	for (i = 0; i < n; i++) {
		dma_addr_t a = dma_map_single(dev, b->buf, PAGE_SIZE, DMA_TO_DEVICE);

		if (dma_mapping_error(dev, a))
			return -ENOMEM;
		dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
		if ((i & 1023) == 1023)
			cond_resched();
	}
	bench_set_result(b, "map", n, ktime_get_ns() - t0);
	return 0;
}

/* The allocator alone, on a domain of our own: what every map/unmap pays for its IOVA. */
static noinline int bench_iova_loop(struct bench *b, u32 n)
{
	struct iova_domain *iovad;
	unsigned long limit = DMA_BIT_MASK(32) >> PAGE_SHIFT;
	u64 t0;
	u32 i;
	int r;

	iovad = kzalloc(sizeof(*iovad), GFP_KERNEL);
	if (!iovad)
		return -ENOMEM;
	r = iova_cache_get();
	if (r)
		goto out_free;
	init_iova_domain(iovad, PAGE_SIZE, 1);
	r = iova_domain_init_rcaches(iovad);
	if (r)
		goto out_put_cache;
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		unsigned long pfn = alloc_iova_fast(iovad, 1, limit, true);

		if (!pfn) {
			r = -ENOMEM;
			break;
		}
		free_iova_fast(iovad, pfn, 1);
		if ((i & 1023) == 1023)
			cond_resched();
	}
	if (!r)
		bench_set_result(b, "iova", n, ktime_get_ns() - t0);
	put_iova_domain(iovad);
out_put_cache:
	iova_cache_put();
out_free:
	kfree(iovad);
	return r;
}

static void bench_release(struct bench *b)
{
	struct device *dev = &b->pdev->dev;
	u64 t0 = ktime_get_ns();
	u32 i, n = b->nheld;

	for (i = 0; i < n; i++) {
		dma_unmap_single(dev, b->held[i], PAGE_SIZE, DMA_TO_DEVICE);
		if ((i & 1023) == 1023)
			cond_resched();
	}
	vfree(b->held);
	b->held = NULL;
	b->nheld = 0;
	bench_set_result(b, "release", n, ktime_get_ns() - t0);
}

/* Map the same page n times and keep every mapping: n live IOVAs. */
static noinline int bench_hold(struct bench *b, u32 n)
{
	struct device *dev = &b->pdev->dev;
	u64 t0;

	if (b->held)
		bench_release(b);
	b->held = vmalloc(array_size(n, sizeof(*b->held)));
	if (!b->held)
		return -ENOMEM;
	t0 = ktime_get_ns();
	for (b->nheld = 0; b->nheld < n; b->nheld++) {
		dma_addr_t a = dma_map_single(dev, b->buf, PAGE_SIZE, DMA_TO_DEVICE);

		if (dma_mapping_error(dev, a))
			return -ENOMEM; /* what was mapped stays held until "release" */
		b->held[b->nheld] = a;
		if ((b->nheld & 1023) == 1023)
			cond_resched();
	}
	bench_set_result(b, "hold", n, ktime_get_ns() - t0);
	return 0;
}

/* What AMD-Vi and ARM SMMU drivers do per fault: iommu:io_page_fault fires for each call. */
static noinline int bench_faults(struct bench *b, u32 n)
{
	struct device *dev = &b->pdev->dev;
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	u64 t0 = ktime_get_ns();
	u32 i;

	if (!dom)
		return -ENODEV;
	for (i = 0; i < n; i++) {
		report_iommu_fault(dom, dev, 0x100000 + ((u64)(i & 255) << PAGE_SHIFT),
				   IOMMU_FAULT_WRITE);
		if ((i & 1023) == 1023)
			cond_resched();
	}
	bench_set_result(b, "fault", n, ktime_get_ns() - t0);
	return 0;
}

static ssize_t bench_run_write(struct file *f, const char __user *ubuf, size_t len, loff_t *off)
{
	struct bench *b = the_bench;
	char cmd[48], op[16];
	u32 n = 0;
	int r, fields;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = 0;
	fields = sscanf(cmd, "%15s %u", op, &n);
	if (fields < 1)
		return -EINVAL;
	if (strcmp(op, "release") != 0 && (fields != 2 || n == 0 || n > BENCH_MAX_OPS))
		return -EINVAL;
	mutex_lock(&b->lock);
	b->result[0] = 0;
	if (strcmp(op, "map") == 0)
		r = bench_map_loop(b, n);
	else if (strcmp(op, "iova") == 0)
		r = bench_iova_loop(b, n);
	else if (strcmp(op, "hold") == 0)
		r = n > BENCH_MAX_HOLD ? -EINVAL : bench_hold(b, n);
	else if (strcmp(op, "release") == 0) {
		bench_release(b);
		r = 0;
	} else if (strcmp(op, "fault") == 0)
		r = bench_faults(b, n);
	else
		r = -EINVAL;
	mutex_unlock(&b->lock);
	return r ? r : len;
}

static ssize_t bench_run_read(struct file *f, char __user *ubuf, size_t len, loff_t *off)
{
	struct bench *b = the_bench;
	ssize_t r;

	mutex_lock(&b->lock);
	r = simple_read_from_buffer(ubuf, len, off, b->result, strlen(b->result));
	mutex_unlock(&b->lock);
	return r;
}

static const struct file_operations bench_run_fops = {
    .owner = THIS_MODULE,
    .read = bench_run_read,
    .write = bench_run_write,
};

static int bench_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct bench *b;
	int r;

	if (the_bench)
		return -EBUSY; /* one device is enough */
	r = pcim_enable_device(pdev);
	if (r)
		return r;
	r = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (r)
		return r;
	b = devm_kzalloc(dev, sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->buf = (void *)devm_get_free_pages(dev, GFP_KERNEL, 0);
	if (!b->buf)
		return -ENOMEM;
	b->pdev = pdev;
	mutex_init(&b->lock);
	b->dir = debugfs_create_dir("iommutrace_bench", NULL);
	debugfs_create_file("run", 0600, b->dir, b, &bench_run_fops);
	pci_set_drvdata(pdev, b);
	the_bench = b;
	dev_info(dev, "iommutrace_bench: ready (%s)\n",
		 iommu_get_domain_for_dev(dev) ? "behind an IOMMU" : "no IOMMU domain");
	return 0;
}

static void bench_remove(struct pci_dev *pdev)
{
	struct bench *b = pci_get_drvdata(pdev);

	debugfs_remove_recursive(b->dir);
	mutex_lock(&b->lock);
	if (b->held)
		bench_release(b);
	mutex_unlock(&b->lock);
	the_bench = NULL;
}

static const struct pci_device_id bench_ids[] = {
    {PCI_DEVICE(0x1234, 0x11e8)},
    {0},
};
MODULE_DEVICE_TABLE(pci, bench_ids);

static struct pci_driver bench_driver = {
    .name = "iommutrace_bench",
    .id_table = bench_ids,
    .probe = bench_probe,
    .remove = bench_remove,
};
module_pci_driver(bench_driver);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DMA map/unmap, IOVA and fault load loops for iommutrace's benchmarks");
