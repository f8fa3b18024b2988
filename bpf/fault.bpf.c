// SPDX-License-Identifier: GPL-2.0
/*
 * fault.bpf.c: IOMMU faults, from three places.
 *
 * - iommu:io_page_fault: AMD-Vi, ARM SMMU and every driver that calls report_iommu_fault().
 * - dmar_fault(), the VT-d fault interrupt handler (Intel never calls report_iommu_fault()). Its
 *   per-record decoder is inlined in distribution kernels and, past the kernel's rate limit, the
 *   records are cleared without being decoded. So at entry, before the handler touches anything,
 *   we read the pending fault recording registers the handler is about to read: every record is
 *   counted and decoded, printed or not. Reads only: the handler clears them as it always does.
 * - printk:console: the kernel's own fault lines ("DMAR: [DMA Write NO_PASID] ..." and AMD-Vi's
 *   "Event logged [IO_PAGE_FAULT ..."), which tell how many faults the kernel printed (the rest it
 *   suppressed) and decode faults where the registers cannot be read.
 */
#include "common.bpf.h"
#include "hooks.bpf.h"
#include "vtd_regs.h"

#include <bpf/bpf_core_read.h>

/* io_page_fault (struct device *dev, unsigned long iova, int flags) */
IT_RAW_TP(tp_io_page_fault)
{
	struct it_dev_stats *s;
	struct it_event e = {};
	__u32 flags = (__u32)ctx[2];

	it_hit(IT_TP_IO_PAGE_FAULT);
	s = it_dev(ctx[0]);
	if (s)
		s->faults += 1;
	it_event_init(&e, IT_EV_FAULT, ctx[0]);
	e.addr = ctx[1];
	e.aux = flags;
	e.fault_src = IT_FSRC_TRACEPOINT;
	e.fault_pasid = IT_PASID_NONE;
	/* IOMMU_FAULT_WRITE is bit 0 for every caller; AMD's event flags put RW at bit 5. */
	e.fault_access = (flags & 1) || (flags & ~1u && flags & 0x20) ? IT_ACC_WRITE : IT_ACC_READ;
	it_emit(&e);
	return 0;
}

/* Eight characters as the little-endian word they load as. */
#define IT_LE8(a, b, c, d, e, f, g, h)                                                             \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 |   \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

static __always_inline int it_read32(__u32 *v, void *p)
{
	return bpf_probe_read_kernel(v, sizeof(*v), p);
}

/* The requester of the last record read, for a record the kernel handles unread (below). */
struct it_fault_last {
	__u64 dev;
	__u64 ts;
	__u32 sid;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct it_fault_last);
} fault_last SEC(".maps");

static __always_inline void it_fault_last(__u32 sid, __u64 dev)
{
	struct it_fault_last *l = bpf_map_lookup_elem(&fault_last, &(__u32){0});

	if (l) {
		l->dev = dev;
		l->sid = sid;
		l->ts = bpf_ktime_get_ns();
	}
}

/*
 * A fault interrupt with nothing pending and no other cause: its record arrived while the previous
 * handler ran, and that handler's loop handled it before this one could read it. Counted, not
 * decoded; attributed to the requester of the last record read within a second (a fault storm
 * is one requester), else to none.
 */
static __always_inline void it_fault_late(void)
{
	struct it_fault_last *l = bpf_map_lookup_elem(&fault_last, &(__u32){0});
	struct it_event e = {};
	struct it_dev_stats *s;
	bool recent = l && bpf_ktime_get_ns() - l->ts < 1000000000ULL;

	it_count(IT_C_FAULT_LATE);
	s = it_dev(recent ? l->dev : 0);
	if (s)
		s->faults += 1;
	it_event_init(&e, IT_EV_FAULT, recent ? l->dev : 0);
	e.fault_src = IT_FSRC_REGS;
	e.fault_access = IT_ACC_UNKNOWN;
	e.fault_seg = recent ? l->sid >> 16 : 0;
	e.fault_sid = recent ? l->sid & 0xffff : 0;
	e.fault_pasid = IT_PASID_NONE;
	e.fault_flags = IT_FEV_UNDECODED | (recent ? 0 : IT_FEV_NO_REQUESTER);
	it_emit(&e);
}

/*
 * One fault recording register: if its F bit is set, count and emit the record (attributed to its
 * device when user space has told us the requester, see sid_dev). Returns whether it was set, or
 * -1 if it could not be read.
 */
static __always_inline int it_fault_record(void *reg, __u32 off, __u32 idx, __u16 seg, __u32 fsts)
{
	void *rec = reg + off + (idx & 0xff) * FRCD_LEN;
	struct it_event e = {};
	struct it_dev_stats *s;
	__u32 hi, mid, sid;
	__u64 lo, *dev;

	if (it_read32(&hi, rec + 12))
		return -1;
	if (!(hi & DMA_FRCD_F))
		return 0;
	if (it_read32(&mid, rec + 8) || bpf_probe_read_kernel(&lo, sizeof(lo), rec))
		return -1;
	sid = (__u32)seg << 16 | (mid & 0xffff);
	dev = bpf_map_lookup_elem(&sid_dev, &sid);
	it_fault_last(sid, dev ? *dev : 0);
	s = it_dev(dev ? *dev : 0);
	if (s)
		s->faults += 1;
	it_event_init(&e, IT_EV_FAULT, dev ? *dev : 0);
	e.addr = lo & ~0xfffULL;
	e.aux = fsts;
	e.fault_src = IT_FSRC_REGS;
	e.fault_seg = seg;
	e.fault_sid = mid & 0xffff;
	e.fault_reason = hi & 0xff;
	e.fault_access = (hi >> 30) & 1 ? IT_ACC_READ : IT_ACC_WRITE;
	e.fault_pasid = (mid >> 31) & 1 ? (hi >> 8) & 0xfffff : IT_PASID_NONE;
	it_emit(&e);
	it_count(IT_C_FAULT_RECORDS);
	return 1;
}

/*
 * Read, at the handler's entry, the records pending then, oldest (FRI) first as the handler does.
 * (___ratelimit, called at the top of the handler's record loop, would show each record as the
 * kernel reads it, but the kernel refuses both fentry and kprobes there.)
 */
static __always_inline void it_read_pending(void *reg, __u64 cap, __u16 seg, __u32 fsts)
{
	__u32 idx = fsts_fault_index(fsts), nregs = cap_num_fault(cap), off = cap_fault_off(cap);
	int r;

	for (__u32 i = 0; i < IT_FRCD_MAX; i++) {
		if (i >= nregs) /* each register once: the ring wraps back to FRI */
			return;
		r = it_fault_record(reg, off, idx, seg, fsts);
		if (r < 0)
			it_count(IT_C_FAULT_UNREAD);
		if (r <= 0)
			return;
		if (++idx >= nregs)
			idx = 0;
	}
	it_count(IT_C_FAULT_REGS_TRUNC);
}

/* irqreturn_t dmar_fault(int irq, void *dev_id): dev_id is the struct intel_iommu */
static __always_inline int dmar_fault_entry(void *ctx, u64 *a)
{
	struct intel_iommu *iommu = (void *)a[1];
	struct it_event e = {};
	void *reg;
	__u64 cap;
	__u32 fsts;

	it_hit(IT_FN_DMAR_FAULT);
	it_count(IT_C_FAULT_IRQ);
	if (!bpf_core_field_exists(iommu->reg) || !bpf_core_field_exists(iommu->cap)) {
		/* No struct intel_iommu in this kernel's BTF: only the interrupt is known. */
		it_count(IT_C_FAULT_UNREAD);
		it_event_init(&e, IT_EV_FAULT_IRQ, 0);
		e.aux = a[1];
		it_emit(&e);
		return 0;
	}
	reg = BPF_CORE_READ(iommu, reg);
	cap = BPF_CORE_READ(iommu, cap);
	if (!reg || it_read32(&fsts, reg + DMAR_FSTS_REG)) {
		it_count(IT_C_FAULT_UNREAD);
		return 0;
	}
	if (fsts & DMA_FSTS_PFO)
		it_count(IT_C_FAULT_HW_OVERFLOW);
	if (fsts & DMA_FSTS_PPF)
		it_read_pending(reg, cap, BPF_CORE_READ(iommu, segment), fsts);
	else if (!(fsts & DMA_FSTS_ANY))
		it_fault_late();
	return 0;
}
IT_FUNC_ENTRY(dmar_fault)

/* A kernel log line about an IOMMU fault? "DMAR: [" (Intel) or "AMD-Vi: Event logged [" after
 * the device prefix (AMD). Anything else returns before copying the line. */

static __always_inline bool it_fault_line(const char *text)
{
	char head[64];
	__u64 w;

	if (bpf_probe_read_kernel(head, sizeof(head), text))
		return false;
	__builtin_memcpy(&w, head, 8);
	if ((w & 0x00ffffffffffffffULL) == IT_LE8('D', 'M', 'A', 'R', ':', ' ', '[', 0))
		return true;
	for (int i = 0; i < 56; i++) {
		__builtin_memcpy(&w, head + i, 8);
		if (w == IT_LE8('A', 'M', 'D', '-', 'V', 'i', ':', ' '))
			return true;
	}
	return false;
}

/* console (const char *text, size_t len) */
IT_RAW_TP(tp_console)
{
	const char *text = (const char *)ctx[0];
	struct it_console_event *e;

	it_hit(IT_TP_CONSOLE);
	if (!it_fault_line(text))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		it_count(IT_C_RB_DROPPED);
		return 0;
	}
	__builtin_memset(&e->h, 0, sizeof(e->h));
	it_event_init(&e->h, IT_EV_CONSOLE, 0);
	if (bpf_probe_read_kernel_str(e->text, sizeof(e->text), text) < 0)
		e->text[0] = 0;
	bpf_ringbuf_submit(e, it_wakeup_flags());
	return 0;
}
