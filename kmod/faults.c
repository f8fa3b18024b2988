// SPDX-License-Identifier: GPL-2.0
/*
 * faults.c: Intel VT-d faults, every one of them. A kprobe pre-handler on dmar_fault() (the fault
 * interrupt handler) runs before the handler and reads the fault recording registers it is about
 * to process — so records the kernel clears without decoding, past its print rate limit, are
 * counted and decoded too. Reads only: the handler clears the registers as it always does.
 *
 * struct intel_iommu is private to drivers/iommu/intel; its first fields (reg at 0, cap at 24)
 * have been the same since the DMAR code began (checked in the BTF of both lab kernels). Before the
 * first read of an IOMMU's registers the layout is checked against the hardware: reg must be an
 * ioremapped address and cap must equal the CAP register read through it. If not, decoding stays
 * off with a message (the interrupts are still counted).
 */
#include "iommutrace_kmod.h"
#include "../bpf/vtd_regs.h"

#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>

/* The first fields of struct intel_iommu (drivers/iommu/intel/iommu.h). */
struct itk_intel_iommu_head {
	void __iomem *reg;
	u64 reg_phys;
	u64 reg_size;
	u64 cap;
};

#define ITK_CHECKED_MAX 8

static DEFINE_RAW_SPINLOCK(ring_lock);
static struct it_kmod_fault ring[IT_KMOD_RING];
static u64 ring_seq;
static u16 sids[IT_KMOD_SIDS];
static u64 sid_count[IT_KMOD_SIDS + 1];
static unsigned int nsids;
/* IOMMUs whose layout passed the check; decoding off for good once one fails */
static void *checked[ITK_CHECKED_MAX];
static unsigned int nchecked;
static bool decode_off;
static char decode_note[128];

static void count(enum it_kmod_counter c)
{
	this_cpu_inc(itk_pcpu->counters[c]);
}

/* Under ring_lock. */
static bool layout_ok(struct itk_intel_iommu_head *h)
{
	u64 hw;
	unsigned int i;

	if (decode_off)
		return false;
	for (i = 0; i < nchecked; i++)
		if (checked[i] == h)
			return true;
	if (!h->reg || !is_vmalloc_addr((const void __force *)h->reg) || h->reg_size < 0x1000 ||
	    h->reg_size > 0x100000) {
		snprintf(decode_note, sizeof(decode_note),
			 "layout check failed: reg %px size 0x%llx is not an ioremapped register "
			 "window",
			 (void __force *)h->reg, h->reg_size);
		goto bad;
	}
	hw = readq(h->reg + DMAR_CAP_REG);
	if (hw != h->cap) {
		snprintf(decode_note, sizeof(decode_note),
			 "layout check failed: cap 0x%llx != CAP register 0x%llx", h->cap, hw);
		goto bad;
	}
	if (nchecked < ITK_CHECKED_MAX)
		checked[nchecked++] = h;
	return true;
bad:
	decode_off = true;
	pr_err("iommutrace: struct intel_iommu does not look as expected (%s): VT-d fault decoding "
	       "disabled, fault interrupts still counted\n",
	       decode_note);
	return false;
}

static void add_record(u32 fsts, u64 lo, u32 mid, u32 hi)
{
	struct it_kmod_fault *f = &ring[ring_seq % IT_KMOD_RING];
	unsigned int i;

	f->seq = ++ring_seq;
	f->ts_ns = ktime_get_ns();
	f->addr = lo & ~0xfffULL;
	f->fsts = fsts;
	f->sid = mid & 0xffff;
	f->reason = hi & 0xff;
	f->write = !((hi >> 30) & 1);
	f->pasid = (mid >> 31) & 1 ? (hi >> 8) & 0xfffff : 0xffffffffu;
	for (i = 0; i < nsids; i++)
		if (sids[i] == f->sid)
			break;
	if (i == nsids && nsids < IT_KMOD_SIDS)
		sids[nsids++] = f->sid;
	sid_count[i]++;
}

/* Read the pending records oldest (FRI) first, as the handler will. Under ring_lock. */
static void read_records(struct itk_intel_iommu_head *h)
{
	void __iomem *reg = h->reg;
	u32 fsts = readl(reg + DMAR_FSTS_REG), idx, nregs, off, i, hi, mid;
	u64 lo;

	if (fsts & DMA_FSTS_PFO)
		count(ITK_C_FAULT_HW_OVERFLOW);
	if (!(fsts & DMA_FSTS_PPF))
		return;
	idx = fsts_fault_index(fsts);
	nregs = cap_num_fault(h->cap);
	off = cap_fault_off(h->cap);
	for (i = 0; i < nregs; i++) {
		void __iomem *rec = reg + off + (idx % nregs) * FRCD_LEN;

		if (i >= IT_KMOD_FRCD_MAX) {
			count(ITK_C_FAULT_REGS_TRUNC);
			return;
		}
		hi = readl(rec + 12);
		if (!(hi & DMA_FRCD_F))
			return;
		mid = readl(rec + 8);
		lo = readq(rec);
		add_record(fsts, lo, mid, hi);
		count(ITK_C_FAULT_RECORDS);
		if (++idx >= nregs)
			idx = 0;
	}
}

/* irqreturn_t dmar_fault(int irq, void *dev_id): dev_id is the struct intel_iommu */
static int dmar_fault_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct itk_intel_iommu_head *h = (void *)regs_get_kernel_argument(regs, 1);
	unsigned long flags;

	this_cpu_inc(itk_pcpu->hits[ITK_H_DMAR_FAULT]);
	count(ITK_C_FAULT_IRQ);
	raw_spin_lock_irqsave(&ring_lock, flags);
	if (h && layout_ok(h))
		read_records(h);
	else
		count(ITK_C_FAULT_UNREAD);
	raw_spin_unlock_irqrestore(&ring_lock, flags);
	return 0;
}

static struct kprobe kp_dmar_fault = {.symbol_name = "dmar_fault", .pre_handler = dmar_fault_pre};
static bool registered;

unsigned int itk_faults_copy(struct it_kmod_fault *out, struct it_kmod_fault_view *v)
{
	unsigned long flags;
	unsigned int n, i;
	u64 first;

	raw_spin_lock_irqsave(&ring_lock, flags);
	v->seq = ring_seq;
	v->decode_on = registered && !decode_off;
	if (!registered)
		snprintf(v->decode_note, sizeof(v->decode_note),
			 "dmar_fault not hookable (no Intel VT-d driver in this kernel)");
	else
		snprintf(v->decode_note, sizeof(v->decode_note), "%s",
			 decode_off ? decode_note : "-");
	memcpy(v->sids, sids, sizeof(sids));
	memcpy(v->sid_count, sid_count, sizeof(sid_count));
	v->nsids = nsids;
	n = ring_seq < IT_KMOD_RING ? ring_seq : IT_KMOD_RING;
	first = ring_seq - n;
	for (i = 0; out && i < n; i++)
		out[i] = ring[(first + i) % IT_KMOD_RING];
	raw_spin_unlock_irqrestore(&ring_lock, flags);
	return n;
}

unsigned long itk_faults_missed(void)
{
	return registered ? kp_dmar_fault.nmissed : 0;
}

int itk_faults_init(void)
{
	int r = register_kprobe(&kp_dmar_fault);

	if (r) {
		pr_info("iommutrace: dmar_fault not hookable (error %d): no VT-d fault records\n",
			r);
		return 0; /* optional: AMD and non-IOMMU kernels have no dmar_fault */
	}
	registered = true;
	itk_hooks[ITK_H_DMAR_FAULT].symbol = "dmar_fault";
	return 0;
}

void itk_faults_exit(void)
{
	if (!registered)
		return;
	/* Waits for a pre-handler running in a fault interrupt on another CPU. */
	unregister_kprobe(&kp_dmar_fault);
	registered = false;
	itk_hooks[ITK_H_DMAR_FAULT].symbol = NULL;
}
