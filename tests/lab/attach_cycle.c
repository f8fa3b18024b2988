// SPDX-License-Identifier: GPL-2.0
/*
 * attach_cycle: load iommutrace's programs once, then detach and attach all of them N times, so
 * that kernel text is patched again and again while the guest is busy (scripts/lab-attach-trials
 * --cycle). Loading costs most of a command's start under TCG; the attach and the detach are what
 * patch the kernel, so one load serves many attach-under-traffic trials.
 *   attach_cycle N HOLD_MS     prints "CYCLE I attach S s detach S s" per cycle
 */
#include "collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double secs_since(__u64 t0)
{
	return (clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
}

int main(int argc, char **argv)
{
	struct collector_opts o;
	struct collector c;
	char err[512];
	int n, hold_ms;

	if (argc != 3 || (n = atoi(argv[1])) < 1 || (hold_ms = atoi(argv[2])) < 0) {
		fprintf(stderr, "usage: attach_cycle N HOLD_MS\n");
		return 2;
	}
	collector_default_opts(&o);
	if (collector_open(&c, &o, err, sizeof(err))) {
		fprintf(stderr, "attach_cycle: %s\n", err);
		return 1;
	}
	for (int i = 1; i <= n; i++) {
		__u64 t0 = clock_ns(CLOCK_MONOTONIC);
		double detach_s, attach_s;
		int failed;

		collector_detach(&c);
		detach_s = secs_since(t0);
		usleep(hold_ms * 1000);
		t0 = clock_ns(CLOCK_MONOTONIC);
		failed = collector_attach(&c);
		attach_s = secs_since(t0);
		printf("CYCLE %d attach %.2f s detach %.2f s%s\n", i, attach_s, detach_s,
		       failed ? " (some hooks failed to attach)" : "");
		fflush(stdout);
		if (failed)
			break;
		usleep(hold_ms * 1000);
	}
	collector_close(&c);
	return 0;
}
