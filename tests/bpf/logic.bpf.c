// SPDX-License-Identifier: GPL-2.0
/*
 * logic.bpf.c: raw_tp wrappers around the function-hook logic (dma_fn.bpf.h, iova.bpf.h), so the
 * exact code the fentry/kprobe programs run can be driven with BPF_PROG_TEST_RUN on any host.
 * ctx[] carries the function's arguments (entry) or its return value in ctx[0] (exit). Linked
 * with the production objects, so the real raw_tp programs (tp_*) are tested alongside.
 */
#include "dma_fn.bpf.h"
#include "iova.bpf.h"

#define T_ENTRY(name)                                                                              \
	SEC("raw_tp")                                                                              \
	int t_##name##_entry(u64 *ctx)                                                             \
	{                                                                                          \
		return name##_entry(ctx, ctx);                                                     \
	}
#define T_EXIT(name)                                                                               \
	SEC("raw_tp")                                                                              \
	int t_##name##_exit(u64 *ctx)                                                              \
	{                                                                                          \
		return name##_exit(ctx, ctx[0], 0);                                                \
	}

/* As fexit calls them: the arguments, then the return value at ctx[nargs]. */
#define T_FEXIT(name, nargs)                                                                       \
	SEC("raw_tp")                                                                              \
	int t_fexit_##name(u64 *ctx)                                                               \
	{                                                                                          \
		return name##_exit(ctx, ctx[nargs], ctx);                                          \
	}

/* Tests run with cfg_test_stack: this sets the stack position of the calls that follow. */
SEC("raw_tp")
int t_set_sp(u64 *ctx)
{
	struct it_ctxstack *s = it_ctx();

	if (s)
		s->scratch = ctx[0];
	return 0;
}

T_FEXIT(dma_map_page, 6)
T_FEXIT(alloc_iova_fast, 4)
T_FEXIT(free_iova_fast, 3)
T_ENTRY(dma_map_page)
T_EXIT(dma_map_page)
T_ENTRY(dma_unmap_page)
T_EXIT(dma_unmap_page)
T_EXIT(dma_map_sg)
T_ENTRY(dma_alloc)
T_EXIT(dma_alloc)
T_ENTRY(alloc_iova_fast)
T_EXIT(alloc_iova_fast)
T_ENTRY(alloc_iova)
T_ENTRY(free_iova_fast)
T_EXIT(free_iova_fast)
