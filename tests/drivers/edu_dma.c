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
 *
 * Fault modes make the device itself DMA through the IOMMU (edu's DMA engine: one transfer of up
 * to 4 KiB, done ~100 ms after it is started), so the emulated VT-d raises real faults that the
 * real kernel handles: fault_to_device (the device writes into a DMA_TO_DEVICE mapping, N times:
 * a storm with count=N), fault_past_end (a write that runs 1 KiB past the end of a 4 KiB
 * DMA_FROM_DEVICE mapping), fault_after_unmap (the device reads a buffer after it was unmapped),
 * fault_unmapped (the device reads an IOVA nothing ever mapped) and report_fault (calls
 * report_iommu_fault() for the device with flags=F, as AMD-Vi and ARM SMMU drivers do, firing
 * the real iommu:io_page_fault tracepoint, N times).
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
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

static int flags = 0x30;
module_param(flags, int, 0444);
MODULE_PARM_DESC(flags, "report_fault: the flags passed to report_iommu_fault()");

/* edu's registers (QEMU docs/specs/edu.txt) */
#define EDU_DMA_SRC	  0x80
#define EDU_DMA_DST	  0x88
#define EDU_DMA_CNT	  0x90
#define EDU_DMA_CMD	  0x98
#define EDU_CMD_START	  0x1
#define EDU_CMD_TO_RAM	  0x2 /* device writes host memory; clear: device reads it */
#define EDU_DMA_BUF	  0x40000
#define EDU_DMA_LEN	  2048 /* QEMU 7.2 rejects (and aborts on) a transfer of its whole 4 KiB */
#define EDU_UNMAPPED_IOVA 0x100000 /* far below where the top-down IOVA allocator starts */

#define BUF_ORDER 1 /* two pages: room for the oversized unmaps and syncs */
#define BUF_SIZE  (PAGE_SIZE << BUF_ORDER)

struct edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	void *buf[2];
};

/* One transfer by the device, waited for. A faulting transfer completes too (the data is lost). */
static int edu_device_dma(struct edu *e, dma_addr_t addr, bool write_ram, u32 len)
{
	int i;

	writeq(write_ram ? EDU_DMA_BUF : addr, e->regs + EDU_DMA_SRC);
	writeq(write_ram ? addr : EDU_DMA_BUF, e->regs + EDU_DMA_DST);
	writeq(len, e->regs + EDU_DMA_CNT);
	writeq(EDU_CMD_START | (write_ram ? EDU_CMD_TO_RAM : 0), e->regs + EDU_DMA_CMD);
	for (i = 0; i < 1000; i++) {
		if (!(readq(e->regs + EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		usleep_range(2000, 3000);
	}
	dev_err(&e->pdev->dev, "iommutrace_edu: DMA to %pad did not finish\n", &addr);
	return -ETIMEDOUT;
}

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

static noinline void edu_bug_fault_to_device(struct device *dev, struct edu *e)
{
	/* An RX buffer mapped the wrong way: the IOMMU makes it read-only for the device. */
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	edu_device_dma(e, a, true, EDU_DMA_LEN);
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
}

static noinline void edu_bug_fault_past_end(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_FROM_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	/* Starts 1 KiB before the end: the second half lands past it. */
	edu_device_dma(e, a + PAGE_SIZE - EDU_DMA_LEN / 2, true, EDU_DMA_LEN);
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_FROM_DEVICE);
}

static noinline void edu_bug_fault_after_unmap(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	edu_device_dma(e, a, false, EDU_DMA_LEN); /* the device still has the old address */
}

static noinline void edu_bug_fault_unmapped(struct device *dev, struct edu *e)
{
	edu_device_dma(e, EDU_UNMAPPED_IOVA, false, EDU_DMA_LEN);
}

static noinline void edu_bug_report_fault(struct device *dev, struct edu *e)
{
	dma_addr_t a = dma_map_single(dev, e->buf[0], PAGE_SIZE, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, a))
		return;
	report_iommu_fault(iommu_get_domain_for_dev(dev), dev, a, flags);
	dma_unmap_single(dev, a, PAGE_SIZE, DMA_TO_DEVICE);
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
    {"fault_to_device", edu_bug_fault_to_device},
    {"fault_past_end", edu_bug_fault_past_end},
    {"fault_after_unmap", edu_bug_fault_after_unmap},
    {"fault_unmapped", edu_bug_fault_unmapped},
    {"report_fault", edu_bug_report_fault},
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
	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->regs = pcim_iomap(pdev, 0, 0);
	if (!e->regs)
		return -ENOMEM;
	r = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(28));
	if (r)
		return r;
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
