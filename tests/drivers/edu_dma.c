// SPDX-License-Identifier: GPL-2.0
/*
 * iommutrace_edu: a test driver for QEMU's edu device (PCI 1234:11e8) that makes one DMA API
 * mistake on purpose, so iommutrace's checks can be tested against the real kernel.
 *
 *   insmod iommutrace_edu.ko mode=MODE [count=N]
 *
 * MODE is clean (map/unmap/sync/sg/coherent done right, N rounds), unmap_direction, unmap_size,
 * double_unmap, unknown_unmap, sg_nents, sync_direction, sync_range, sync_unmapped or leak (the
 * mapping stays live until the driver unbinds). Each bug is in its own noinline function so that
 * it shows up by name in the kernel stacks iommutrace reports.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

static char *mode = "clean";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "which DMA API mistake to make (see the source)");
static int count = 1;
module_param(count, int, 0444);
MODULE_PARM_DESC(count, "how many times");

#define BUF_ORDER 1 /* two pages: room for the oversized unmaps and syncs */
#define BUF_SIZE  (PAGE_SIZE << BUF_ORDER)

struct edu {
	struct pci_dev *pdev;
	void *buf[2];
};

/*
 * On 6.12+ a device behind an IOMMU gets dma_skip_sync and dma_sync_* return before the DMA API
 * (and its tracepoints) is reached. Clear it, as a device that needs bouncing would have it.
 */
static void edu_want_syncs(struct device *dev)
{
#ifdef CONFIG_DMA_NEED_SYNC
	dev->dma_skip_sync = false;
#endif
}

static noinline int edu_clean_round(struct device *dev, struct edu *e)
{
	struct scatterlist sg[2];
	dma_addr_t a, b, c;
	void *cpu;
	int n;

	a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, a))
		return -ENOMEM;
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);

	b = dma_map_single(dev, e->buf[1], 2048, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, b))
		return -ENOMEM;
	dma_sync_single_for_cpu(dev, b, 2048, DMA_FROM_DEVICE);
	dma_sync_single_for_device(dev, b, 2048, DMA_FROM_DEVICE);
	dma_unmap_single(dev, b, 2048, DMA_FROM_DEVICE);

	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], e->buf[0], PAGE_SIZE);
	sg_set_buf(&sg[1], e->buf[1], PAGE_SIZE);
	n = dma_map_sg(dev, sg, 2, DMA_BIDIRECTIONAL);
	if (!n)
		return -ENOMEM;
	dma_unmap_sg(dev, sg, 2, DMA_BIDIRECTIONAL);

	cpu = dma_alloc_coherent(dev, PAGE_SIZE, &c, GFP_KERNEL);
	if (!cpu)
		return -ENOMEM;
	dma_free_coherent(dev, PAGE_SIZE, cpu, c);
	return 0;
}

static noinline void edu_bug_unmap_direction(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);

	if (!dma_mapping_error(dev, a))
		dma_unmap_single(dev, a, PAGE_SIZE, DMA_FROM_DEVICE);
}

static noinline void edu_bug_unmap_size(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], BUF_SIZE, DMA_TO_DEVICE);

	if (!dma_mapping_error(dev, a))
		dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
}

static noinline void edu_bug_double_unmap(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
}

static noinline void edu_bug_unknown_unmap(struct device *dev, struct edu *e)
{
	/* An address in the device's 28-bit space that was never mapped. */
	dma_unmap_single(dev, 0x7ff0000, PAGE_SIZE, DMA_TO_DEVICE);
}

static noinline void edu_bug_sg_nents(struct device *dev, struct edu *e)
{
	struct scatterlist sg[2];

	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], e->buf[0], PAGE_SIZE);
	sg_set_buf(&sg[1], e->buf[1], PAGE_SIZE);
	if (dma_map_sg(dev, sg, 2, DMA_TO_DEVICE))
		dma_unmap_sg(dev, sg, 1, DMA_TO_DEVICE); /* must be the nents passed to map: 2 */
}

static noinline void edu_bug_sync_direction(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	dma_sync_single_for_cpu(dev, a, PAGE_SIZE, DMA_FROM_DEVICE);
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
}

static noinline void edu_bug_sync_range(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_FROM_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	dma_sync_single_for_cpu(dev, a, BUF_SIZE, DMA_FROM_DEVICE);
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_FROM_DEVICE);
}

static noinline void edu_bug_sync_unmapped(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_FROM_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_FROM_DEVICE);
	dma_sync_single_for_cpu(dev, a, PAGE_SIZE, DMA_FROM_DEVICE);
}

static noinline void edu_bug_leak(struct device *dev, struct edu *e)
{
	/* Never unmapped: still live when the driver unbinds. */
	dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);
}

static const struct {
	const char *name;
	void (*fn)(struct device *dev, struct edu *e);
} bugs[] = {
    {"unmap_direction", edu_bug_unmap_direction},
    {"unmap_size", edu_bug_unmap_size},
    {"double_unmap", edu_bug_double_unmap},
    {"unknown_unmap", edu_bug_unknown_unmap},
    {"sg_nents", edu_bug_sg_nents},
    {"sync_direction", edu_bug_sync_direction},
    {"sync_range", edu_bug_sync_range},
    {"sync_unmapped", edu_bug_sync_unmapped},
    {"leak", edu_bug_leak},
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct edu *e;
	int i, r;

	r = pcim_enable_device(pdev);
	if (r)
		return r;
	pci_set_master(pdev);
	r = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(28));
	if (r)
		return r;
	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	for (i = 0; i < 2; i++) {
		e->buf[i] = (void *)devm_get_free_pages(dev, GFP_KERNEL, BUF_ORDER);
		if (!e->buf[i])
			return -ENOMEM;
	}
	pci_set_drvdata(pdev, e);
	edu_want_syncs(dev);
	if (strcmp(mode, "clean") == 0) {
		for (i = 0; i < count; i++) {
			r = edu_clean_round(dev, e);
			if (r)
				return r;
		}
		dev_info(dev, "iommutrace_edu: %d clean rounds\n", count);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(bugs); i++) {
		if (strcmp(mode, bugs[i].name) == 0) {
			int n;

			for (n = 0; n < count; n++)
				bugs[i].fn(dev, e);
			dev_info(dev, "iommutrace_edu: made the %s mistake %d times\n", mode,
				 count);
			return 0;
		}
	}
	dev_err(dev, "iommutrace_edu: unknown mode '%s'\n", mode);
	return -EINVAL;
}

static void edu_remove(struct pci_dev *pdev)
{
	/* Nothing to undo: buffers are devm-managed; a leak-mode mapping is left live on purpose.
	 */
}

static const struct pci_device_id edu_ids[] = {
    {PCI_DEVICE(0x1234, 0x11e8)},
    {0},
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
    .name = "iommutrace_edu",
    .id_table = edu_ids,
    .probe = edu_probe,
    .remove = edu_remove,
};
module_pci_driver(edu_driver);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DMA API mistakes on QEMU's edu device, for testing iommutrace");
