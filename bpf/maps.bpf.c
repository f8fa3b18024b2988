// SPDX-License-Identifier: GPL-2.0
/* maps.bpf.c: the one definition of the shared maps and configuration (see common.bpf.h). */
#define IT_DEFINE_MAPS
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";
