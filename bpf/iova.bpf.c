// SPDX-License-Identifier: GPL-2.0
/* iova.bpf.c: fentry/fexit and kprobe/kretprobe programs for the IOVA allocator (logic:
 * iova.bpf.h). */
#include "iova.bpf.h"
#include "hooks.bpf.h"

IT_FUNC_ENTRY(alloc_iova_fast)
IT_FUNC_EXIT(alloc_iova_fast, 4)
IT_FUNC_ENTRY(alloc_iova)
IT_FUNC_ENTRY(free_iova_fast)
IT_FUNC_EXIT(free_iova_fast, 3)
IT_FUNC_ENTRY(fq_flush_timeout)
IT_FUNC_ENTRY(fq_flush_iotlb)
