// SPDX-License-Identifier: GPL-2.0
/* fault_match.c: fault-to-mapping correlation and diagnosis (see fault_match.h). */
#include "fault_match.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

static __u64 page_floor(__u64 a)
{
	return a & ~(FM_PAGE - 1);
}

static __u64 page_ceil(__u64 a)
{
	return (a + FM_PAGE - 1) & ~(FM_PAGE - 1);
}

/* The IOMMU maps whole pages: the pages a mapping covers. */
static bool covers(const struct fm_mapping *m, __u64 iova)
{
	return iova >= page_floor(m->dma_addr) && iova < page_ceil(m->dma_addr + m->size);
}

bool fm_forbids(unsigned access, unsigned dir)
{
	return (access == IT_ACC_WRITE && dir == IT_DIR_TO_DEVICE) ||
	       (access == IT_ACC_READ && dir == IT_DIR_FROM_DEVICE);
}

void fault_match(const struct fm_mapping *maps, size_t n, __u64 iova, __u64 fault_ns,
		 unsigned access, struct fm_result *out)
{
	const struct fm_mapping *inside = NULL, *gone = NULL, *before = NULL;

	*out = (struct fm_result){.kind = FM_NONE};
	for (size_t i = 0; i < n; i++) {
		const struct fm_mapping *m = &maps[i];
		bool live, recent;

		if (m->map_ns > fault_ns)
			continue; /* mapped after the fault was reported */
		live = !m->unmap_ns || m->unmap_ns > fault_ns;
		/* Unmapped just before the fault was reported: the device's access may well have
		 * come first (a driver unmaps on completion; the fault interrupt can be later). */
		recent = !live && m->unmap_ns + FM_REPORT_SLACK_NS > fault_ns;
		if (covers(m, iova)) {
			/* In the slack, a direction that forbids the access explains the fault;
			 * otherwise the unmap does. */
			if ((live || (recent && fm_forbids(access, m->dir))) &&
			    (!inside || m->map_ns > inside->map_ns))
				inside = m;
			else if (!live && (!gone || m->unmap_ns > gone->unmap_ns))
				gone = m;
		} else if ((live || recent) && page_ceil(m->dma_addr + m->size) <= iova &&
			   iova - page_ceil(m->dma_addr + m->size) < FM_PAGE &&
			   (!before || m->dma_addr > before->dma_addr)) {
			before = m; /* the mapping ending in the page just below the address */
		}
	}
	/* An unmap of the very page outranks "past the end of the neighbour": the top-down IOVA
	 * allocator packs mappings, so a stale address is nearly always next to a live one. */
	if (inside) {
		out->kind = FM_INSIDE;
		out->m = *inside;
		out->ago_ns = fault_ns - inside->map_ns;
	} else if (gone) {
		out->kind = FM_AFTER_UNMAP;
		out->m = *gone;
		out->ago_ns = fault_ns > gone->unmap_ns ? fault_ns - gone->unmap_ns : 0;
	} else if (before) {
		out->kind = FM_PAST_END;
		out->m = *before;
		out->past_by = iova - (before->dma_addr + before->size);
	}
}

const char *fm_kind_name(enum fm_kind k)
{
	switch (k) {
	case FM_INSIDE:
		return "inside";
	case FM_AFTER_UNMAP:
		return "after_unmap";
	case FM_PAST_END:
		return "past_end";
	default:
		return "none";
	}
}

const char *fm_dir_name(unsigned dir)
{
	switch (dir) {
	case IT_DIR_BIDIRECTIONAL:
		return "BIDIRECTIONAL";
	case IT_DIR_TO_DEVICE:
		return "TO_DEVICE";
	case IT_DIR_FROM_DEVICE:
		return "FROM_DEVICE";
	default:
		return "NONE";
	}
}

/* "12 ms", "340 us" */
static const char *human_ns(__u64 ns, char *buf, size_t len)
{
	if (ns >= 10000000000ULL)
		snprintf(buf, len, "%" PRIu64 " s", (uint64_t)(ns / 1000000000ULL));
	else if (ns >= 10000000ULL)
		snprintf(buf, len, "%" PRIu64 " ms", (uint64_t)(ns / 1000000ULL));
	else
		snprintf(buf, len, "%" PRIu64 " us", (uint64_t)(ns / 1000ULL));
	return buf;
}

const char *fault_diagnosis(const struct fm_result *r, unsigned access, __u64 iova, char *buf,
			    size_t len)
{
	const struct fm_mapping *m = &r->m;
	char t[32];

	switch (r->kind) {
	case FM_INSIDE:
		if (fm_forbids(access, m->dir)) {
			bool w = access == IT_ACC_WRITE;

			snprintf(buf, len,
				 "direction bug: the device %s a DMA_%s mapping (%s to the device) "
				 "of %" PRIu64 " bytes at 0x%" PRIx64 "; a buffer the device %s "
				 "must be mapped DMA_%s or DMA_BIDIRECTIONAL",
				 w ? "wrote into" : "read", fm_dir_name(m->dir),
				 w ? "read-only" : "write-only", (uint64_t)m->size,
				 (uint64_t)m->dma_addr, w ? "fills" : "reads",
				 w ? "FROM_DEVICE" : "TO_DEVICE");
			return buf;
		}
		snprintf(buf, len,
			 "the address is inside a live DMA_%s mapping that allows this access: "
			 "the IOMMU's page table or IOTLB disagrees with the DMA API (mapping torn "
			 "down behind the driver's back, or an IOMMU driver bug)",
			 fm_dir_name(m->dir));
		return buf;
	case FM_AFTER_UNMAP:
		snprintf(buf, len,
			 "use after unmap: the device accessed 0x%" PRIx64 " %s after the driver "
			 "unmapped it (a DMA_%s mapping of %" PRIu64 " bytes at 0x%" PRIx64
			 "); the driver unmapped a buffer the device still uses",
			 (uint64_t)iova, human_ns(r->ago_ns, t, sizeof(t)), fm_dir_name(m->dir),
			 (uint64_t)m->size, (uint64_t)m->dma_addr);
		return buf;
	case FM_PAST_END:
		snprintf(t, sizeof(t), "%" PRIu64 " bytes past", (uint64_t)r->past_by);
		snprintf(buf, len,
			 "access beyond the mapped size: the device accessed 0x%" PRIx64
			 ", %s the end of a DMA_%s mapping of %" PRIu64 " bytes at 0x%" PRIx64
			 "; it was given a longer transfer than the buffer that was mapped",
			 (uint64_t)iova, r->past_by ? t : "right at", fm_dir_name(m->dir),
			 (uint64_t)m->size, (uint64_t)m->dma_addr);
		return buf;
	default:
		return NULL;
	}
}
