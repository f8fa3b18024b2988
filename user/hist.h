/* SPDX-License-Identifier: GPL-2.0 */
/* hist.h: log2 histograms as the BPF side keeps them (slot i: values in [2^i, 2^(i+1))). */
#ifndef IOMMUTRACE_HIST_H
#define IOMMUTRACE_HIST_H

#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>

__u64 hist_total(const __u64 *slots, int n);
/* Upper bound of the bucket holding the q-quantile (0 < q <= 1); 0 if empty. */
__u64 hist_quantile(const __u64 *slots, int n, double q);
/* Upper bound of the highest non-empty bucket; 0 if empty. */
__u64 hist_max(const __u64 *slots, int n);
/* print_log2_hist-style text, unit e.g. "ns". */
void hist_print(FILE *out, const __u64 *slots, int n, const char *unit);
/* "1.2us" / "340ns" / "2.0ms" */
const char *fmt_ns(char *buf, size_t len, __u64 ns);

#endif
