/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks.bpf.h: one logic function, several attach mechanisms. For a kernel function NAME with
 * NAME_entry(ctx, args) and NAME_exit(ctx, ret) written once, these macros emit the fentry/fexit
 * and kprobe/kretprobe programs. User space autoloads exactly one mechanism per hook and sets the
 * target symbol at run time, so one object serves every kernel. Entry logic reads at most
 * the first five arguments. Every program does nothing until tracing is armed (it_armed).
 */
#ifndef IOMMUTRACE_HOOKS_BPF_H
#define IOMMUTRACE_HOOKS_BPF_H

#include "common.bpf.h"

#define IT_KPROBE_ARGS(regs)                                                                       \
	u64 a[5] = {PT_REGS_PARM1(regs), PT_REGS_PARM2(regs), PT_REGS_PARM3(regs),                 \
		    PT_REGS_PARM4(regs), PT_REGS_PARM5(regs)}

#define IT_FUNC_ENTRY(name)                                                                        \
	SEC("fentry")                                                                              \
	int fentry_##name(u64 *ctx)                                                                \
	{                                                                                          \
		return it_armed() ? name##_entry(ctx, ctx) : 0;                                    \
	}                                                                                          \
	SEC("kprobe")                                                                              \
	int kprobe_##name(struct pt_regs *regs)                                                    \
	{                                                                                          \
		IT_KPROBE_ARGS(regs);                                                              \
		return it_armed() ? name##_entry(regs, a) : 0;                                     \
	}

/*
 * nargs: the function's argument count (fexit finds the return value after the arguments).
 * NAME_exit(ctx, ret, args): args is the argument array under fexit, NULL under kretprobe.
 */
#define IT_FUNC_EXIT(name, nargs)                                                                  \
	SEC("fexit")                                                                               \
	int fexit_##name(u64 *ctx)                                                                 \
	{                                                                                          \
		return it_armed() ? name##_exit(ctx, ctx[nargs], ctx) : 0;                         \
	}                                                                                          \
	SEC("kretprobe")                                                                           \
	int kretprobe_##name(struct pt_regs *regs)                                                 \
	{                                                                                          \
		return it_armed() ? name##_exit(regs, PT_REGS_RC(regs), 0) : 0;                    \
	}

#endif /* IOMMUTRACE_HOOKS_BPF_H */
